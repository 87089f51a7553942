import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import type { FormattedExecutionResult, GraphQLSchema } from 'graphql';
import { eventBusChecks, IDENTITY_HEADER, incomingRequestId, inOperationSpan, internalAuth, loadEnv, operationTracingPlugins, refuseSubscriptionsOverHttp, routerSettings, runInRequestScope, scopeKey, serveGraphQL, tracingActive, type EventBus, type GraphQLService, type Identity, type InternalAuth } from '@joinery/core';
import { AUDIT_SUBGRAPH, auditDataSource, auditPlugin, type AuditLog } from './audit';
import { routerMetricsText } from './cluster/cluster-metrics';
import { JwtVerifier, type JwtSettings } from './auth/jwt-verifier';
import { routerErrorFormatter } from './hardening/errors';
import { requestGuard } from './hardening/guard';
import { admissionPlugin, TRUSTED_OPERATION } from './hardening/admission';
import { fieldSuggestionMasking, queryLimits, type QueryLimits } from './hardening/limits';
import { PersistedOperations } from './hardening/persisted-operations';
import { RequestRateLimits, type RateLimitSettings } from './hardening/rate-limit';
import { TimedRemoteGraphQLDataSource } from './hardening/subgraph-fetch';
import { servesQuery, withRouterExecution } from './execution/gateway-execution';
import { SubscriptionHub } from './subscriptions/subscription-hub';
import { ResponseCache, type ResponseCacheOptions } from './cache/response-cache';
import { serveWebSockets, type OperationRunner, type WebSocketLimits } from './subscriptions/websocket-server';
import { requestLoggingPlugins } from './observability/logging-plugin';
import { propagateToSubgraph } from './observability/tracing-propagation';
import { routerMetrics } from './observability/router-metrics';
import { subgraphCheck } from './observability/subgraph-readiness';

export { routerErrorFormatter } from './hardening/errors';
export { PersistedOperations } from './hardening/persisted-operations';
export { routerExecutionCounts } from './execution/gateway-execution';

// Whoever opens the audit store (the stack, main.ts) imports it from here: @joinery/router exports only this file.
export { AuditStore } from './audit';

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
  /**
   * How bearer tokens are verified. Default: the JWT_* / JWKS_URL variables (so every way of
   * starting a router honours them), which outside production may leave the development secret.
   */
  jwt?: JwtSettings;
  /** Depth, alias, directive, token and cost limits, introspection, suggestions. Default: queryLimits() (the GRAPHQL_* defaults). */
  limits?: Partial<QueryLimits>;
  /** Request rate limits; `false` turns them off. Default: DEFAULT_RATE_LIMITS, counted in memory. */
  rateLimits?: Partial<RateLimitSettings> | false;
  /** The persisted operation list and its mode (see PersistedOperations). Default: none (mode off). */
  persistedOperations?: PersistedOperations;
  /** HTTP protections. Defaults: 256 KiB bodies, 30 s per request, Node header/request timeouts 10 s / 30 s. */
  http?: { maxBodyBytes?: number; requestTimeoutMs?: number; headersTimeoutMs?: number; socketRequestTimeoutMs?: number };
  /** Longest one call to a subgraph may take, in ms. Default 20000. */
  subgraphTimeoutMs?: number;
  /** Identical subgraph reads in flight at once, for the same subject and scope, share one call. Default true. */
  deduplicateSubgraphRequests?: boolean;
  /** Signs the identity forwarded to subgraphs. Default: INTERNAL_AUTH_SECRET's. */
  internalAuth?: InternalAuth;
  /**
   * Where every mutation is recorded, and what `auditLog` reads (opened and closed by the caller).
   * Without one nothing is recorded and `auditLog` answers UNAVAILABLE.
   */
  audit?: AuditLog;
  /** The response cache for expensive reads (docs/operations.md, "Response cache"); events come from `bus`. Default: off. */
  responseCache?: ResponseCacheOptions;
}

/** What the router's resolvers and subgraph calls know about a request. */
export interface RouterContext {
  identity: Identity;
  requestId: string;
}

export interface Router extends GraphQLService {
  readonly apollo: ApolloServer;
  /** Present when the router has a bus: its subscriptions and counters. */
  readonly hub?: SubscriptionHub;
  /** Open WebSocket connections. */
  readonly webSocketConnections: number;
}

export function readSupergraph(path = DEFAULT_SUPERGRAPH_PATH): string {
  return readFileSync(path, 'utf8');
}

/** Builds the router over a supergraph; never listens by itself. */
export async function buildRouter(options: RouterOptions): Promise<Router> {
  const urls = new Map<string, string>();
  const verifier = new JwtVerifier(options.jwt ?? routerSettings(loadEnv()).jwt);
  const internal = options.internalAuth ?? internalAuth();
  const limits = queryLimits(options.limits);
  const persisted = options.persistedOperations;
  const rateLimits = options.rateLimits === false ? undefined : await RequestRateLimits.open(options.rateLimits);
  const responseCache = options.responseCache ? await ResponseCache.open(options.responseCache, options.bus) : undefined;
  const subgraphTimeoutMs = options.subgraphTimeoutMs ?? 20_000;
  // One signature per client request, not per subgraph call: a nested query makes several calls.
  const signatures = new WeakMap<object, Promise<string>>();
  const signedIdentity = (context: object, identity: Identity): Promise<string> => {
    let signature = signatures.get(context);
    if (!signature) {
      signature = internal.sign(identity);
      signatures.set(context, signature);
    }
    return signature;
  };
  const metrics = routerMetrics();
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) => {
      // The audit subgraph runs inside the router: its data source calls no URL.
      if (name === AUDIT_SUBGRAPH) return auditDataSource(options.audit);
      const target = options.subgraphUrls?.[name] ?? url!;
      urls.set(target, name);
      return new TimedRemoteGraphQLDataSource({
        url: target,
        subgraph: name,
        timeoutMs: subgraphTimeoutMs,
        deduplicate: options.deduplicateSubgraphRequests ?? true,
        readsOnly: servesQuery,
        // A subgraph's answer depends on who asks: only calls for the same subject and scope are shared.
        callerKey: (context) => {
          const { identity } = context as Partial<RouterContext>;
          return identity ? `${identity.subject}\u0000${scopeKey(identity)}` : '';
        },
        // Every subgraph call carries the verified identity, signed; subgraphs refuse calls without it.
        // And the request id and trace context, so the subgraph's logs, errors and spans join the request's.
        async willSendRequest({ request, context }) {
          const { identity, requestId } = context as Partial<RouterContext>;
          if (identity) request.http?.headers.set(IDENTITY_HEADER, await signedIdentity(context, identity));
          propagateToSubgraph(request.http?.headers, requestId);
        },
      });
    },
  });
  // Plans run, and results are shaped, by forms of each operation compiled once (see execution/).
  gateway.executor = withRouterExecution(gateway.executor);
  const apollo = new ApolloServer({
    gateway,
    formatError: routerErrorFormatter(urls),
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // One operation per request: a batch would multiply every limit below by its length.
    allowBatchedHttpRequests: false,
    introspection: limits.introspection,
    // Enforce mode: only the list's operations run, so Apollo's own APQ cache may not register others.
    ...(persisted?.mode === 'enforce' ? { persistedQueries: false as const } : {}),
    plugins: [
      // First: it may put a persisted operation's body in place of its id.
      admissionPlugin({ limits, persisted }),
      ...(limits.fieldSuggestions ? [] : fieldSuggestionMasking()),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      refuseSubscriptionsOverHttp('Subscriptions are served over WebSocket with the graphql-ws protocol at this same URL (ws:// or wss://); HTTP serves queries and mutations'),
      ...(options.audit ? [auditPlugin(options.audit)] : []),
      ...(responseCache ? [responseCache.plugin()] : []),
      ...operationTracingPlugins(),
      ...requestLoggingPlugins(),
      metrics.plugin,
    ],
    // serveUntilSignalled drains the router before it stops it on SIGTERM/SIGINT; Apollo's own handler
    // would stop it at once instead, with requests in flight, and then raise the signal again.
    stopOnTerminationSignals: false,
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
  });
  await apollo.start();
  const identities = new WeakMap<IncomingMessage, Identity>();
  const service = serveGraphQL('router', {
    server: apollo,
    // Rate limits and the bearer token, before the body is read (see requestGuard).
    guard: requestGuard({ verifier, rateLimits, identities }),
    requestId: incomingRequestId,
    // With ROUTER_WORKERS > 1, every worker's metrics summed up (router/src/cluster).
    metrics: routerMetricsText,
    // The router starts each trace: a client's traceparent (ids, sampling flag) does not decide ours.
    tracing: { continueTrace: false },
    maxBodyBytes: options.http?.maxBodyBytes ?? 256 * 1024,
    timeoutMs: options.http?.requestTimeoutMs ?? 30_000,
    headersTimeoutMs: options.http?.headersTimeoutMs,
    socketRequestTimeoutMs: options.http?.socketRequestTimeoutMs,
    // `urls` is complete once the gateway has loaded the supergraph (apollo.start).
    readiness: [...[...urls].map(([url, name]) => subgraphCheck(name, url)), ...eventBusChecks(options.bus)],
    context: async (request): Promise<RouterContext> => {
      const identity = identities.get(request)!;
      return { identity, requestId: identity.requestId! };
    },
  });

  // Operations over a WebSocket and event resolutions run as the connection's identity (for the
  // hub: one of the subscribers of a scope), each with a request id of its own.
  // The hub's event resolutions are the router's own batched queries: trusted (see admissionPlugin).
  const execute = async (request: Parameters<OperationRunner>[0], identity: Identity, trusted: boolean) => {
    const requestId = randomUUID();
    const contextValue: RouterContext & { [TRUSTED_OPERATION]?: boolean } = { identity: { ...identity, requestId }, requestId, [TRUSTED_OPERATION]: trusted };
    // Its own request scope: errors carry its id, and its subgraph calls stop at the request timeout.
    const scope = { id: requestId, signal: AbortSignal.timeout(options.http?.requestTimeoutMs ?? 30_000) };
    const operation = () => apollo.executeOperation({ query: request.query, variables: request.variables, operationName: request.operationName ?? undefined }, { contextValue });
    const response = await runInRequestScope(scope, () => (tracingActive() ? inOperationSpan({ service: 'router', requestId }, operation) : operation()));
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not supported over WebSocket');
    return response.body.singleResult as FormattedExecutionResult;
  };
  const run: OperationRunner = (request, identity) => execute(request, identity, false);
  const hub = options.bus ? await SubscriptionHub.start({ bus: options.bus, run: (query, variables, identity) => execute({ query, variables }, identity, true), maxPendingEvents: options.webSocket?.maxPendingEvents }) : undefined;
  // Subscriptions never pass through ApolloServer: the same persisted list and limits apply to them there.
  const sockets = hub ? serveWebSockets({ http: service.http, schema: () => apiSchema!, hub, run, verifier, rateLimits, rules: { limits, persisted }, ...options.webSocket }) : undefined;
  const untrackMetrics = metrics.track({
    get webSocketConnections() {
      return sockets?.connections ?? 0;
    },
    get subscriptions() {
      return hub?.subscriberCount ?? 0;
    },
  });
  return {
    apollo,
    hub,
    http: service.http,
    health: service.health,
    listen: service.listen,
    get webSocketConnections() {
      return sockets?.connections ?? 0;
    },
    async drain(timeoutMs) {
      service.health.startDraining();
      // WebSockets close at once (1001): graphql-ws clients reconnect, through the load balancer, to a router that stays.
      await Promise.all([service.drain(timeoutMs), sockets?.dispose()]);
    },
    async stop() {
      untrackMetrics();
      await sockets?.dispose();
      await hub?.stop();
      await service.stop();
      await rateLimits?.close();
      await responseCache?.close();
    },
  };
}
