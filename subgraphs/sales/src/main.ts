import { ConfigError, listenOrExplain, createInventoryDirectory, createSubgraphClient, databaseTarget, loadEnv, shouldSeed, subgraphUrl } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { createCampaignDirectory } from './campaign-directory';
import { buildSalesSubgraph, openSalesDatabase } from './server';
import { createStockAllocator } from './stock-allocator';

async function main(): Promise<void> {
  const env = loadEnv();
  const target = databaseTarget(env, 'sales');
  const database = await openSalesDatabase(target);
  if (shouldSeed(env, target)) await seedDemoData('sales', database);
  const inventory = createSubgraphClient('inventory', subgraphUrl(env, 'inventory'), env.SUBGRAPH_CALL_TIMEOUT_MS);
  const subgraph = await buildSalesSubgraph({
    database,
    inventory: createInventoryDirectory(inventory),
    allocator: createStockAllocator(inventory),
    campaigns: createCampaignDirectory(createSubgraphClient('marketing', subgraphUrl(env, 'marketing'), env.SUBGRAPH_CALL_TIMEOUT_MS)),
    recoveryIntervalMs: env.SALE_RECOVERY_INTERVAL_MS,
  });
  const url = await listenOrExplain(subgraph.listen(env.SALES_PORT, env.HOST), 'HOST / SALES_PORT');
  console.log(JSON.stringify({ level: 'info', service: 'sales', msg: 'listening', url, database: target.kind }));
  const shutdown = () => subgraph.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
