/**
 * Operator command: recomputes sales' daily rollups from the confirmed orders, for a database
 * whose orders were loaded without recordSale (a bulk import) or whose rollups are in doubt.
 * Safe while sales runs on PostgreSQL: confirmations wait for it, briefly, and are counted once.
 * On the embedded PGlite stop the stack first: one process at a time may open a data folder.
 *
 *   npm run rollups:rebuild -w @joinery/sales      (same DATABASE_URL / SALES_DATABASE_* as the service)
 */
import { databaseTarget, loadEnv, logger, runMain } from '@joinery/core';
import { rebuildSalesRollups } from './sales-rollups';
import { openSalesDatabase } from './server';

async function main(): Promise<void> {
  const database = await openSalesDatabase(databaseTarget(loadEnv(), 'sales'));
  try {
    const started = Date.now();
    const days = await database.withConnection(async (sql) => {
      await sql.query('BEGIN');
      try {
        await rebuildSalesRollups(sql);
        const { rows } = await sql.query('SELECT count(*)::int AS days FROM sales_daily_rollups');
        await sql.query('COMMIT');
        return rows[0].days as number;
      } catch (error) {
        await sql.query('ROLLBACK');
        throw error;
      }
    });
    logger('sales').info({ locationDays: days, ms: Date.now() - started }, 'rebuilt sales rollups');
  } finally {
    await database.close();
  }
}

runMain(main);
