/** `npm start`: the whole supergraph in one process, on embedded PGlite unless DATABASE_URL is set. */
import { auditDatabaseTarget, databaseTarget, signUserToken, listenOrExplain, loadEnv, openEventBus, responseCacheSettings, routerSettings, runMain, startObservability, initProcessMetrics, stopOnSignals, webSocketLimits, shouldSeed, SUBGRAPHS, type Env } from '@joinery/core';
import { PersistedOperations } from '@joinery/router';
import { seedDemoData } from '@joinery/demo-data';
import { rebuildAttributionIn } from '@joinery/marketing';
import { startStack } from './stack';

/** The router's settings from the environment, as router/src/main.ts reads them (bad ones stop start-up, named). */
function routerOptions(env: Env) {
  const settings = routerSettings(env);
  const persisted = settings.persistedOperations;
  return {
    jwt: settings.jwt,
    limits: settings.limits,
    rateLimits: settings.rateLimits,
    persistedOperations: persisted ? PersistedOperations.load(persisted.mode, persisted.path) : undefined,
    http: settings.http,
    subgraphTimeoutMs: settings.subgraphTimeoutMs,
    // The router hears the subgraphs' events on the stack's bus (in-process, or Redis with REDIS_URL): `memory` misses none.
    responseCache: responseCacheSettings(env),
  };
}

async function main(): Promise<void> {
  const env = loadEnv();
  // One process, one tracer: spans carry service.name joinery-stack and joinery.service naming the part.
  const tracing = await startObservability(env, 'stack');
  // One process serves every part: series carry service="stack" unless they name their part (docs/operations.md).
  initProcessMetrics('stack');
  // The audit log persists beside the subgraphs' data (DATA_DIR/audit, or the audit schema).
  const targets = { ...Object.fromEntries(SUBGRAPHS.map((name) => [name, databaseTarget(env, name)])), audit: auditDatabaseTarget(env) } as Parameters<typeof startStack>[0]['targets'];
  const started = Date.now();
  const bus = await openEventBus({ redisUrl: env.REDIS_URL, channelPrefix: env.EVENT_CHANNEL_PREFIX });
  const stack = await listenOrExplain(startStack({
    targets,
    host: env.HOST,
    ports: { router: env.ROUTER_PORT, inventory: env.INVENTORY_PORT, sales: env.SALES_PORT, marketing: env.MARKETING_PORT },
    prepare: async (name, database) => {
      // The demo seed writes no events: marketing's attribution is computed from the order facts it loaded.
      if (shouldSeed(env, targets[name]) && (await seedDemoData(name, database)) && name === 'marketing') await rebuildAttributionIn(database);
    },
    subgraphCallTimeoutMs: env.SUBGRAPH_CALL_TIMEOUT_MS,
    saleRecoveryIntervalMs: env.SALE_RECOVERY_INTERVAL_MS,
    segmentRefreshIntervalMs: env.SEGMENT_REFRESH_INTERVAL_MS,
    bus,
    webSocket: webSocketLimits(env),
    router: routerOptions(env),
  }), 'HOST / ROUTER_PORT / INVENTORY_PORT / SALES_PORT / MARKETING_PORT');
  // With the development key (JWT_SECRET unset), hand the newcomer a token to try the graph with.
  const token = env.JWT_SECRET || env.JWKS_URL ? undefined : await signUserToken({ subject: 'developer', role: 'admin', locations: ['*'], expiresInSeconds: 30 * 24 * 3600 });
  const tryIt = token
    ? `Every request needs a bearer token. A development admin token (30 days; others: npm run token -- --role manager --locations <id>):
  export TOKEN=${token}

Try:
  curl -s ${stack.urls.router} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"query":"{ locations(first: 3) { nodes { name kind timezone salesSummary { orderCount revenue } } } }"}'`
    : 'Every request needs a bearer token from your identity provider (docs/security.md).';
  const where = `${targets.inventory.kind === 'pglite' ? `embedded PGlite in ${env.DATA_DIR}/` : 'PostgreSQL'}, events ${bus.kind === 'redis' ? 'through Redis' : 'in-process'}`;
  console.log(`
Joinery is up in ${((Date.now() - started) / 1000).toFixed(1)} s on ${where}.

  Router (send queries here):  ${stack.urls.router}
  Subscriptions (graphql-ws):  ${stack.urls.router.replace(/^http/, 'ws')}
  Subgraphs:                   inventory ${stack.urls.inventory}
                               sales     ${stack.urls.sales}
                               marketing ${stack.urls.marketing}

${tryIt}

Live stock: see "Live stock (subscriptions)" in README.md for a graphql-ws client. Ctrl-C stops.
`);
  stopOnSignals('stack', { drain: stack.drain, stop: () => stack.stop().finally(() => Promise.all([bus.close(), tracing?.shutdown()])) }, env.SHUTDOWN_TIMEOUT_MS);
}

runMain(main);
