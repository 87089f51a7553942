import { requireServiceSecrets, startObservability, databaseTarget, loadEnv, openEventBus, runMain, serveUntilSignalled, shouldSeed } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { buildInventorySubgraph, openInventoryDatabase } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  // JSON logs at LOG_LEVEL; traces when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations.md).
  const tracing = await startObservability(env, 'inventory');
  // In production a missing or development INTERNAL_AUTH_SECRET stops the service here, named.
  requireServiceSecrets(env);
  const target = databaseTarget(env, 'inventory');
  const database = await openInventoryDatabase(target);
  if (shouldSeed(env, target)) await seedDemoData('inventory', database);
  const bus = await openEventBus({ redisUrl: env.REDIS_URL, channelPrefix: env.EVENT_CHANNEL_PREFIX });
  const subgraph = await buildInventorySubgraph({ database, bus });
  await serveUntilSignalled('inventory', { listen: subgraph.listen, drain: subgraph.drain, stop: () => subgraph.stop().finally(() => Promise.all([bus.close(), tracing?.shutdown()])) }, { host: env.HOST, port: env.INVENTORY_PORT, portVariable: 'INVENTORY_PORT' }, { database: target.kind, events: bus.kind });
}

runMain(main);
