import { auditDatabaseTarget, loadEnv, logger, openEventBus, responseCacheSettings, routerSettings, runMain, startLogging, startTracing, webSocketLimits, serveUntilSignalled, SUBGRAPHS, subgraphUrl } from '@joinery/core';
import cluster from 'node:cluster';
import { joinCluster, openAuditLog, reportingStartupFailure, routerWorkerCount, runPrimary } from './cluster';
import { buildRouter, DEFAULT_SUPERGRAPH_PATH, PersistedOperations, readSupergraph } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  // JSON logs at LOG_LEVEL (docs/operations.md); traces start below, in the process that serves.
  startLogging(env, 'router');
  // Bad or (in production) missing secrets stop the router here, each named (see routerSettings).
  const settings = routerSettings(env);
  const responseCache = responseCacheSettings(env);
  if (responseCache && !env.REDIS_URL && !cluster.isWorker) {
    logger('router').warn(`RESPONSE_CACHE=${env.RESPONSE_CACHE} without REDIS_URL: a router in its own process receives no events, so cached answers are refreshed only by mutations sent through this router and after RESPONSE_CACHE_TTL_SECONDS (${env.RESPONSE_CACHE_TTL_SECONDS}). Set REDIS_URL, or run \`npm start\` for the all-in-one process.`);
  }
  const persistedOperations = settings.persistedOperations ? PersistedOperations.load(settings.persistedOperations.mode, settings.persistedOperations.path) : undefined;
  // With ROUTER_WORKERS > 1 the primary gives these warnings, once; its workers keep quiet.
  if (settings.developmentJwt && !cluster.isWorker) {
    logger('router').warn('JWT_SECRET and JWKS_URL are unset: tokens are checked with the public development secret. Mint one with `npm run token -- --role manager --locations <id>` (or --role admin --locations "*"); set JWT_SECRET or JWKS_URL for anything shared.');
  }
  const path = env.SUPERGRAPH_PATH ?? DEFAULT_SUPERGRAPH_PATH;
  const explicit = { inventory: env.INVENTORY_URL, sales: env.SALES_URL, marketing: env.MARKETING_URL };
  // A supergraph given by path routes to its own URLs unless overridden; ours routes to the configured ports.
  const subgraphUrls = env.SUPERGRAPH_PATH ? explicit : Object.fromEntries(SUBGRAPHS.map((name) => [name, subgraphUrl(env, name)]));
  if (!env.REDIS_URL && !cluster.isWorker) {
    logger('router').warn('REDIS_URL is not set: a router in its own process receives no stock events, so subscriptions stay silent. Set REDIS_URL (and on the inventory subgraph too), or run `npm start` for the all-in-one process.');
  }
  const workers = routerWorkerCount(env);
  // ROUTER_WORKERS > 1: this process only forks and supervises the routers (router/src/cluster); each worker runs on from here.
  if (workers > 1 && cluster.isPrimary) return runPrimary({ workers, audit: auditDatabaseTarget(env), shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS });
  // Each serving process (each worker) exports its own spans; none while OTEL_EXPORTER_OTLP_ENDPOINT is unset.
  const tracing = await startTracing({ service: 'router', endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME });
  const bus = await openEventBus({ redisUrl: env.REDIS_URL, channelPrefix: env.EVENT_CHANNEL_PREFIX });
  // Every mutation is recorded here (AUDIT_DATABASE_URL / DATABASE_URL, else PGlite in DATA_DIR/audit).
  const audit = await openAuditLog(auditDatabaseTarget(env));
  const router = await buildRouter({
    supergraphSdl: readSupergraph(path),
    subgraphUrls,
    bus,
    webSocket: webSocketLimits(env),
    audit,
    jwt: settings.jwt,
    limits: settings.limits,
    rateLimits: settings.rateLimits,
    persistedOperations,
    http: settings.http,
    subgraphTimeoutMs: settings.subgraphTimeoutMs,
    deduplicateSubgraphRequests: env.ROUTER_DEDUPLICATE_SUBGRAPH_REQUESTS,
    responseCache,
  });
  joinCluster(router.http);
  await serveUntilSignalled('router', { listen: router.listen, drain: router.drain, stop: () => router.stop().finally(() => Promise.all([bus.close(), audit.close(), tracing?.shutdown()])) }, { host: env.HOST, port: env.ROUTER_PORT, portVariable: 'ROUTER_PORT' }, { supergraph: path, events: bus.kind, persistedOperations: persistedOperations ? `${persistedOperations.mode} (${persistedOperations.size})` : 'off', rateLimits: settings.rateLimits.redisUrl ? 'redis' : 'memory', responseCache: responseCache?.store ?? 'off' });
}

runMain(reportingStartupFailure(main));
