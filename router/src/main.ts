import { auditDatabaseTarget, loadEnv, openEventBus, routerSettings, runMain, webSocketLimits, serveUntilSignalled, SUBGRAPHS, subgraphUrl } from '@joinery/core';
import { AuditStore, buildRouter, DEFAULT_SUPERGRAPH_PATH, PersistedOperations, readSupergraph } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  // Bad or (in production) missing secrets stop the router here, each named (see routerSettings).
  const settings = routerSettings(env);
  const persistedOperations = settings.persistedOperations ? PersistedOperations.load(settings.persistedOperations.mode, settings.persistedOperations.path) : undefined;
  if (settings.developmentJwt) {
    console.warn(JSON.stringify({ level: 'warn', service: 'router', msg: 'JWT_SECRET and JWKS_URL are unset: tokens are checked with the public development secret. Mint one with `npm run token -- --role manager --locations <id>` (or --role admin --locations "*"); set JWT_SECRET or JWKS_URL for anything shared.' }));
  }
  const path = env.SUPERGRAPH_PATH ?? DEFAULT_SUPERGRAPH_PATH;
  const explicit = { inventory: env.INVENTORY_URL, sales: env.SALES_URL, marketing: env.MARKETING_URL };
  // A supergraph given by path routes to its own URLs unless overridden; ours routes to the configured ports.
  const subgraphUrls = env.SUPERGRAPH_PATH ? explicit : Object.fromEntries(SUBGRAPHS.map((name) => [name, subgraphUrl(env, name)]));
  if (!env.REDIS_URL) {
    console.warn(JSON.stringify({ level: 'warn', service: 'router', msg: 'REDIS_URL is not set: a router in its own process receives no stock events, so subscriptions stay silent. Set REDIS_URL (and on the inventory subgraph too), or run `npm start` for the all-in-one process.' }));
  }
  const bus = await openEventBus({ redisUrl: env.REDIS_URL, channelPrefix: env.EVENT_CHANNEL_PREFIX });
  // Every mutation is recorded here (AUDIT_DATABASE_URL / DATABASE_URL, else PGlite in DATA_DIR/audit).
  const audit = await AuditStore.open(auditDatabaseTarget(env));
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
  });
  await serveUntilSignalled('router', { listen: router.listen, stop: () => router.stop().finally(() => Promise.all([bus.close(), audit.close()])) }, { host: env.HOST, port: env.ROUTER_PORT, portVariable: 'ROUTER_PORT' }, { supergraph: path, events: bus.kind, persistedOperations: persistedOperations ? `${persistedOperations.mode} (${persistedOperations.size})` : 'off', rateLimits: settings.rateLimits.redisUrl ? 'redis' : 'memory' });
}

runMain(main);
