import { requireServiceSecrets, startObservability, createInventoryDirectory, createSubgraphClient, databaseTarget, loadEnv, openEventBus, runMain, serveUntilSignalled, shouldSeed, subgraphUrl } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { buildMarketingSubgraph, openMarketingDatabase, rebuildAttributionIn } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  // JSON logs at LOG_LEVEL; traces when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations.md).
  const tracing = await startObservability(env, 'marketing');
  // In production a missing or development INTERNAL_AUTH_SECRET stops the service here, named.
  requireServiceSecrets(env);
  const target = databaseTarget(env, 'marketing');
  const database = await openMarketingDatabase(target);
  if (shouldSeed(env, target) && (await seedDemoData('marketing', database))) await rebuildAttributionIn(database);
  const inventory = createInventoryDirectory(createSubgraphClient('inventory', subgraphUrl(env, 'inventory'), env.SUBGRAPH_CALL_TIMEOUT_MS));
  const bus = await openEventBus({ redisUrl: env.REDIS_URL, channelPrefix: env.EVENT_CHANNEL_PREFIX });
  const subgraph = await buildMarketingSubgraph({ database, inventory, webhooks: {}, bus, segmentRefreshIntervalMs: env.SEGMENT_REFRESH_INTERVAL_MS });
  await serveUntilSignalled('marketing', { listen: subgraph.listen, drain: subgraph.drain, stop: () => subgraph.stop().finally(() => Promise.all([bus.close(), tracing?.shutdown()])) }, { host: env.HOST, port: env.MARKETING_PORT, portVariable: 'MARKETING_PORT' }, { database: target.kind, events: bus.kind });
}

runMain(main);
