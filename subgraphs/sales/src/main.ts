import { requireServiceSecrets, startObservability, databaseTarget, loadEnv, openEventBus, runMain, serveUntilSignalled, shouldSeed, subgraphUrl } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { buildSalesSubgraph, connectToOwners, openSalesDatabase } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  // JSON logs at LOG_LEVEL; traces when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations.md).
  const tracing = await startObservability(env, 'sales');
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
    { listen: subgraph.listen, drain: subgraph.drain, stop: () => subgraph.stop().finally(() => Promise.all([bus.close(), tracing?.shutdown()])) },
    { host: env.HOST, port: env.SALES_PORT, portVariable: 'SALES_PORT' },
    { database: target.kind, events: bus.kind },
  );
}

runMain(main);
