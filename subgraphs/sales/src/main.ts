import { databaseTarget, loadEnv, runMain, serveUntilSignalled, shouldSeed, subgraphUrl } from '@joinery/core';
import { seedDemoData } from '@joinery/demo-data';
import { buildSalesSubgraph, connectToOwners, openSalesDatabase } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  const target = databaseTarget(env, 'sales');
  const database = await openSalesDatabase(target);
  if (shouldSeed(env, target)) await seedDemoData('sales', database);
  const subgraph = await buildSalesSubgraph({
    database,
    ...connectToOwners({ inventory: subgraphUrl(env, 'inventory'), marketing: subgraphUrl(env, 'marketing') }, env.SUBGRAPH_CALL_TIMEOUT_MS),
    recoveryIntervalMs: env.SALE_RECOVERY_INTERVAL_MS,
  });
  await serveUntilSignalled('sales', subgraph, { host: env.HOST, port: env.SALES_PORT, portVariable: 'SALES_PORT' }, { database: target.kind });
}

runMain(main);
