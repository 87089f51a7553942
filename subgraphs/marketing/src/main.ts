import { ConfigError, listenOrExplain, createInventoryDirectory, createSubgraphClient, databaseTarget, loadEnv, shouldSeed, subgraphUrl } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { buildMarketingSubgraph, openMarketingDatabase } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  const target = databaseTarget(env, 'marketing');
  const database = await openMarketingDatabase(target);
  if (shouldSeed(env, target)) await seedDemoData('marketing', database);
  const inventory = createInventoryDirectory(createSubgraphClient('inventory', subgraphUrl(env, 'inventory'), env.SUBGRAPH_CALL_TIMEOUT_MS));
  const subgraph = await buildMarketingSubgraph({ database, inventory });
  const url = await listenOrExplain(subgraph.listen(env.MARKETING_PORT, env.HOST), 'HOST / MARKETING_PORT');
  console.log(JSON.stringify({ level: 'info', service: 'marketing', msg: 'listening', url, database: target.kind }));
  const shutdown = () => subgraph.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
