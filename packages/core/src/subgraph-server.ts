import { readFileSync } from 'node:fs';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse, type GraphQLFormattedError } from 'graphql';
import { serveGraphQL, type GraphQLHttpOptions, type GraphQLService } from './http/graphql-http';
import type { IncomingMessage } from 'node:http';
import type { Identity } from './auth/identity';
import { internalAuth, type InternalAuth } from './auth/internal-token';
import { currentRequestScope } from './http/graphql-http';
import { logger } from './observability/logger';
import { incomingRequestId } from './observability/request-id';
import { operationTracingPlugins } from './observability/tracing';
import type { Database } from './db/database';
import type { EventBus } from './events/event-bus';
import { databaseCheck, eventBusChecks } from './http/health';
import { trackDatabasePool } from './observability/database-metrics';
import { graphqlMetricsPlugin } from './observability/graphql-metrics';

/** `{ typeDefs, resolvers }` as @apollo/subgraph 2.14 (the last supporting Node 20) takes it. */
type SubgraphModule = Extract<Parameters<typeof buildSubgraphSchema>[0], { resolvers?: unknown }>;

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  /** Path to the subgraph's schema.graphql. */
  schemaPath: string;
  resolvers: unknown;
  /**
   * Builds a request's context: fresh DataLoaders per request. `identity` is who the request acts
   * for, as the router (or a calling subgraph) signed it; `actor` is `identity.actor`, recorded
   * on changes.
   */
  createContext: (request: { identity: Identity; actor: string }) => TContext;
  /** Verifies the joinery-identity header. Default: INTERNAL_AUTH_SECRET's (see internal-token.ts). */
  auth?: InternalAuth;
  /** POST routes beside GraphQL (e.g. inbound webhooks), by path; a path ending in `/*` matches below it. */
  postRoutes?: GraphQLHttpOptions<TContext>['postRoutes'];
  /** Its database: checked by /readyz (`SELECT 1`) and its pool reported on /metrics. Default: neither. */
  database?: Pick<Database, 'ping' | 'poolStats'>;
  /** Its event bus: with Redis, checked by /readyz (PING). */
  bus?: EventBus;
}

export interface SubgraphServer extends GraphQLService {
  readonly name: string;
  readonly apollo: ApolloServer<BaseContext>;
}

/**
 * Errors with no code of ours are bugs or outages: logged whole with the request's id, shown to
 * clients without internals but with that id (`extensions.requestId`), so one can be found from the other.
 */
export function maskInternalErrors(name: string) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (code && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    const original = (error as { originalError?: Error })?.originalError ?? error;
    const requestId = currentRequestScope()?.id;
    logger(name).error({ path: formatted.path, error: String((original as Error)?.stack ?? original) }, formatted.message);
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) } };
  };
}

/**
 * The router treats a non-2xx subgraph answer as a transport failure and drops the errors' codes,
 * so a subgraph answers every GraphQL response, errors included, with HTTP 200.
 */
const answerErrorsWith200: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        response.http.status = 200;
      },
    };
  },
};

/**
 * Subscriptions arrive over WebSocket (graphql-ws) at the router, never over HTTP: one sent by
 * POST is refused with this `message`, before anything runs, instead of failing inside execution.
 */
export function refuseSubscriptionsOverHttp(message: string): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') throw new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        },
      };
    },
  };
}

/** Builds a subgraph's Apollo Server and HTTP server without listening. */
export async function buildSubgraphServer<TContext extends BaseContext>(options: SubgraphServerOptions<TContext>): Promise<SubgraphServer> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(readFileSync(options.schemaPath, 'utf8')),
    resolvers: options.resolvers as SubgraphModule['resolvers'],
  });
  const apollo = new ApolloServer<BaseContext>({
    schema,
    formatError: maskInternalErrors(options.name),
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      answerErrorsWith200,
      refuseSubscriptionsOverHttp(`The ${options.name} subgraph serves no subscriptions: subscribe through the router, over WebSocket (graphql-ws) at ws://<router>/graphql`),
      ...operationTracingPlugins(),
      graphqlMetricsPlugin(options.name),
    ],
    // serveUntilSignalled drains the service before it stops it on SIGTERM/SIGINT; Apollo's own handler
    // would stop it at once instead, with requests in flight, and then raise the signal again.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const auth = options.auth ?? internalAuth();
  const identities = new WeakMap<IncomingMessage, Identity>();
  const untrackPool = options.database ? trackDatabasePool(options.name, options.database) : undefined;
  const service = serveGraphQL(options.name, {
    server: apollo,
    // Only the router and Joinery's subgraphs hold the secret: a direct call, `_service` and
    // `_entities` included, is refused before anything is parsed.
    guard: async (request) => {
      const identity = await auth.fromRequest(request);
      if (identity) {
        identities.set(request, identity);
        return undefined;
      }
      return { status: 401, body: { errors: [{ message: `The ${options.name} subgraph answers only the router: send requests to the router with a bearer token`, extensions: { code: 'UNAUTHENTICATED' } }] } };
    },
    context: async (request) => {
      const identity = identities.get(request)!;
      return options.createContext({ identity, actor: identity.actor });
    },
    postRoutes: options.postRoutes,
    // The caller's id (the router's, for the client request): this subgraph's logs and errors carry it.
    requestId: incomingRequestId,
    readiness: [...(options.database ? [databaseCheck(options.database)] : []), ...eventBusChecks(options.bus)],
  });
  return {
    name: options.name,
    apollo,
    ...service,
    async stop() {
      untrackPool?.();
      await service.stop();
    },
  };
}
