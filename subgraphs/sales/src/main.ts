import { requireServiceSecrets, databaseTarget, loadEnv, openEventBus, runMain, serveUntilSignalled, shouldSeed, subgraphUrl } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { buildSalesSubgraph, connectToOwners, openSalesDatabase } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  // In production a missing or development INTERNAL_AUTH_SECRET stops the service here, named.
  requireServiceSecrets(env);
  const target = databaseTarget(env, 'sales');
  const database = await openSalesDatabase(target);
  if (shouldSeed(env, target)) await seedDemoData('sales', database);
  const bus = await openEventBus({ redisUrl: env.REDIS_URL, channelPrefix: env.EVENT_CHANNEL_PREFIX });
  const subgraph = await buildSalesSubgraph({
    database,
    ...connectToOwners({ inventory: subgraphUrl(env, 'inventory'), marketing: subgraphUrl(env, 'marketing') }, env.SUBGRAPH_CALL_TIMEOUT_MS),
    recoveryIntervalMs: env.SALE_RECOVERY_INTERVAL_MS,
    bus,
  });
  await serveUntilSignalled(
    'sales',
    { listen: subgraph.listen, stop: () => subgraph.stop().finally(() => bus.close()) },
    { host: env.HOST, port: env.SALES_PORT, portVariable: 'SALES_PORT' },
    { database: target.kind, events: bus.kind },
  );
}

runMain(main);
