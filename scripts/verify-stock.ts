/**
 * `npm run stock:verify -- [--location <id>] [--sku <sku>]`: rebuilds every inventory level's
 * quantities (on hand, committed, incoming, damaged) from its movements and compares them with
 * the stored ones. Reads the inventory database the subgraph would use (DATABASE_URL or
 * INVENTORY_DATABASE_URL, schema INVENTORY_DATABASE_SCHEMA, default `inventory`; embedded PGlite
 * under DATA_DIR otherwise). Exits 1 if any level disagrees. Read-only: a database with
 * migrations not yet applied is refused (start the subgraph to apply them), never migrated here.
 */
import { parseArgs } from 'node:util';
import { ConfigError, databaseTarget, isUuid, loadEnv, runMain } from '@joinery/core';
import { openInventoryDatabase, pendingInventoryMigrations, verifyStockLevels } from '@joinery/inventory';
import { PrismaClient } from '../subgraphs/inventory/src/generated/prisma/client';

async function main(): Promise<void> {
  let values: { location?: string; sku?: string };
  try {
    ({ values } = parseArgs({ options: { location: { type: 'string' }, sku: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new ConfigError([`${(error as Error).message}; usage: npm run stock:verify -- [--location <id>] [--sku <sku>]`]);
  }
  if (values.location !== undefined && !isUuid(values.location)) throw new ConfigError([`--location: expected a location id (a UUID), got ${JSON.stringify(values.location)}`]);
  const target = databaseTarget(loadEnv(), 'inventory');
  const where = target.kind === 'postgres' ? `PostgreSQL schema ${target.schema}` : `PGlite ${target.dataDir}`;
  const pending = await pendingInventoryMigrations(target);
  if (pending.length) {
    console.error(`The inventory database (${where}) has pending migrations: ${pending.join(', ')}. stock:verify does not change a schema; start the inventory subgraph (it applies them) and run it again.`);
    process.exitCode = 1;
    return;
  }
  // Nothing is pending, so opening applies nothing.
  const database = await openInventoryDatabase(target);
  const prisma = new PrismaClient({ adapter: database.adapter });
  try {
    const { levelsChecked, mismatches } = await verifyStockLevels(prisma, { locationId: values.location, sku: values.sku });
    console.log(`Checked ${levelsChecked} inventory levels in ${where}${values.location ? ` at location ${values.location}` : ''}${values.sku ? ` for sku ${values.sku}` : ''}: ${mismatches.length} mismatched.`);
    for (const { locationId, sku, stored, rebuilt } of mismatches) {
      const show = (q: typeof rebuilt) => `onHand ${q.onHand}, committed ${q.committed}, incoming ${q.incoming}, damaged ${q.damaged}`;
      console.log(`  sku ${sku} at location ${locationId}: stored ${stored ? show(stored) : 'no level'}; movements add up to ${show(rebuilt)}`);
    }
    if (mismatches.length) process.exitCode = 1;
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

runMain(main);
