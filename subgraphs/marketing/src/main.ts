import { createInventoryDirectory, createSubgraphClient, databaseTarget, loadEnv, runMain, serveUntilSignalled, shouldSeed, subgraphUrl } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { buildMarketingSubgraph, openMarketingDatabase } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  const target = databaseTarget(env, 'marketing');
  const database = await openMarketingDatabase(target);
  if (shouldSeed(env, target)) await seedDemoData('marketing', database);
  const inventory = createInventoryDirectory(createSubgraphClient('inventory', subgraphUrl(env, 'inventory'), env.SUBGRAPH_CALL_TIMEOUT_MS));
  const subgraph = await buildMarketingSubgraph({ database, inventory });
  await serveUntilSignalled('marketing', subgraph, { host: env.HOST, port: env.MARKETING_PORT, portVariable: 'MARKETING_PORT' }, { database: target.kind });
}

runMain(main);
