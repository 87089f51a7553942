import { databaseTarget, loadEnv, runMain, serveUntilSignalled, shouldSeed } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { buildInventorySubgraph, openInventoryDatabase } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  const target = databaseTarget(env, 'inventory');
  const database = await openInventoryDatabase(target);
  if (shouldSeed(env, target)) await seedDemoData('inventory', database);
  const subgraph = await buildInventorySubgraph({ database });
  await serveUntilSignalled('inventory', subgraph, { host: env.HOST, port: env.INVENTORY_PORT, portVariable: 'INVENTORY_PORT' }, { database: target.kind });
}

runMain(main);
