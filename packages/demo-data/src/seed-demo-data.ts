import { logger, type Database, type SubgraphName } from '@joinery/core';
import { DEMO_BRAND, generateBrand, isEmpty, seedInventory, seedMarketing, seedSales } from './seed/index';

const FIRST_TABLE: Record<SubgraphName, string> = { inventory: 'locations', sales: 'sales_orders', marketing: 'campaigns' };
const LOADERS = { inventory: seedInventory, sales: seedSales, marketing: seedMarketing };

/**
 * Fills one subgraph's empty database with its part of the demo brand; leaves a database with data
 * alone. The brand's history ends at the start of today (UTC), so services started apart, each
 * seeding only its own database, generate the very same brand and agree on ids.
 */
export async function seedDemoData(name: SubgraphName, database: Database): Promise<boolean> {
  return database.withConnection(async (sql) => {
    if (!(await isEmpty(sql, FIRST_TABLE[name]))) return false;
    const started = Date.now();
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    await LOADERS[name](sql, generateBrand({ ...DEMO_BRAND, until: today }));
    logger(name).info({ ms: Date.now() - started }, 'seeded demo data');
    return true;
  });
}
