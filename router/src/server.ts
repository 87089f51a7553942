import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import type { FormattedExecutionResult, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { ACTOR_HEADER, actorOf, maskInternalErrors, refuseSubscriptionsOverHttp, serveGraphQL, type EventBus, type GraphQLService } from '@joinery/core';
import { SubscriptionHub } from './subscriptions/subscription-hub';
import { serveWebSockets, type OperationRunner, type WebSocketLimits } from './subscriptions/websocket-server';

export const DEFAULT_SUPERGRAPH_PATH = fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url));

export interface RouterOptions {
  /** Supergraph SDL; routes to the URLs in it unless `subgraphUrls` names another. */
  supergraphSdl: string;
  /** Per-subgraph URL overrides by subgraph name (e.g. { inventory: 'http://inventory:4001/graphql' }). */
  subgraphUrls?: Record<string, string | undefined>;
  /** Where live events arrive from; without one the router serves no subscriptions. */
  bus?: EventBus;
  /** WebSocket protections (see WebSocketLimits for defaults). */
  webSocket?: WebSocketLimits & { /** Results one subscriber may have waiting before it is dropped. Default 10000. */ maxPendingEvents?: number };
}

export interface Router extends GraphQLService {
  readonly apollo: ApolloServer;
  /** Present when the router has a bus: its subscriptions and counters. */
  readonly hub?: SubscriptionHub;
  /** Open WebSocket connections. */
  readonly webSocketConnections: number;
}

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|network timeout|aborted/i;
const maskInternal = maskInternalErrors('router');

/**
 * Errors the gateway raises when a subgraph cannot be reached become UNAVAILABLE naming the
 * subgraph (clients may retry); other errors without one of our codes are masked and logged.
 * The gateway names only the URL it failed to reach, so `urls` maps URLs to subgraph names.
 */
export function routerErrorFormatter(urls: Map<string, string>) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (UNREACHABLE.test(formatted.message)) {
      const subgraph = formatted.extensions?.serviceName ?? [...urls].find(([url]) => formatted.message.includes(url))?.[1];
      if (typeof subgraph === 'string') {
        console.error(JSON.stringify({ level: 'error', service: 'router', msg: 'subgraph unreachable', subgraph, error: formatted.message }));
        return { message: `The ${subgraph} subgraph could not be reached; retry later`, path: formatted.path, extensions: { code: 'UNAVAILABLE', serviceName: subgraph } };
      }
    }
    return maskInternal(formatted, error);
  };
}

export function readSupergraph(path = DEFAULT_SUPERGRAPH_PATH): string {
  return readFileSync(path, 'utf8');
}

/** Builds the router over a supergraph; never listens by itself. */
export async function buildRouter(options: RouterOptions): Promise<Router> {
  const urls = new Map<string, string>();
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) => {
      const target = options.subgraphUrls?.[name] ?? url!;
      urls.set(target, name);
      return new RemoteGraphQLDataSource({
        url: target,
        willSendRequest({ request, context }) {
          const actor = (context as { actor?: string }).actor;
          if (actor) request.http?.headers.set(ACTOR_HEADER, actor);
        },
      });
    },
  });
  const apollo = new ApolloServer({
    gateway,
    formatError: routerErrorFormatter(urls),
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      refuseSubscriptionsOverHttp('Subscriptions are served over WebSocket with the graphql-ws protocol at this same URL (ws:// or wss://); HTTP serves queries and mutations'),
    ],
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
  });
  await apollo.start();
  const service = serveGraphQL('router', { server: apollo, context: async (request) => ({ actor: actorOf(request) }) });

  const run: OperationRunner = async (request) => {
    const response = await apollo.executeOperation({ query: request.query, variables: request.variables, operationName: request.operationName ?? undefined });
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not supported over WebSocket');
    return response.body.singleResult as FormattedExecutionResult;
  };
  const hub = options.bus ? await SubscriptionHub.start({ bus: options.bus, run: (query, variables) => run({ query, variables }), maxPendingEvents: options.webSocket?.maxPendingEvents }) : undefined;
  const sockets = hub ? serveWebSockets({ http: service.http, schema: () => apiSchema!, hub, run, ...options.webSocket }) : undefined;
  return {
    apollo,
    hub,
    http: service.http,
    listen: service.listen,
    get webSocketConnections() {
      return sockets?.connections ?? 0;
    },
    async stop() {
      await sockets?.dispose();
      await hub?.stop();
      await service.stop();
    },
  };
}
