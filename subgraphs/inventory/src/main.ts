import { ConfigError, listenOrExplain, databaseTarget, loadEnv, shouldSeed } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { buildInventorySubgraph, openInventoryDatabase } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  const target = databaseTarget(env, 'inventory');
  const database = await openInventoryDatabase(target);
  if (shouldSeed(env, target)) await seedDemoData('inventory', database);
  const subgraph = await buildInventorySubgraph({ database });
  const url = await listenOrExplain(subgraph.listen(env.INVENTORY_PORT, env.HOST), 'HOST / INVENTORY_PORT');
  console.log(JSON.stringify({ level: 'info', service: 'inventory', msg: 'listening', url, database: target.kind }));
  const shutdown = () => subgraph.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
