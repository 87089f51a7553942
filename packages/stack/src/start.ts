/** `npm start`: the whole supergraph in one process, on embedded PGlite unless DATABASE_URL is set. */
import { databaseTarget, listenOrExplain, loadEnv, openEventBus, runMain, webSocketLimits, shouldSeed, SUBGRAPHS } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { rebuildAttributionIn } from '@joinery/marketing';
import { startStack } from './stack';

async function main(): Promise<void> {
  const env = loadEnv();
  const targets = Object.fromEntries(SUBGRAPHS.map((name) => [name, databaseTarget(env, name)])) as Parameters<typeof startStack>[0]['targets'];
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
  }), 'HOST / ROUTER_PORT / INVENTORY_PORT / SALES_PORT / MARKETING_PORT');
  const where = `${targets.inventory.kind === 'pglite' ? `embedded PGlite in ${env.DATA_DIR}/` : 'PostgreSQL'}, events ${bus.kind === 'redis' ? 'through Redis' : 'in-process'}`;
  console.log(`
Joinery is up in ${((Date.now() - started) / 1000).toFixed(1)} s on ${where}.

  Router (send queries here):  ${stack.urls.router}
  Subscriptions (graphql-ws):  ${stack.urls.router.replace(/^http/, 'ws')}
  Subgraphs:                   inventory ${stack.urls.inventory}
                               sales     ${stack.urls.sales}
                               marketing ${stack.urls.marketing}

Try:
  curl -s ${stack.urls.router} -H 'content-type: application/json' \\
    -d '{"query":"{ locations(first: 3) { nodes { name kind timezone salesSummary { orderCount revenue } } } }"}'

Live stock: see "Live stock (subscriptions)" in README.md for a graphql-ws client. Ctrl-C stops.
`);
  const shutdown = () => stack.stop().finally(() => bus.close()).then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

runMain(main);
