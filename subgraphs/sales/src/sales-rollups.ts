/**
 * Daily rollups of confirmed orders (migration 0005): one row per location, local day and time
 * zone in `sales_daily_rollups`, and per campaign too in `sales_daily_campaign_rollups`. Kept
 * in the statement that confirms an order (ROLLUP_UPSERTS), and rebuilt from the orders by
 * rebuildSalesRollups after bulk loads that bypass recordSale (the demo and benchmark seeds).
 * Plain SQL text, no Prisma: the seed loaders use it through a bare connection.
 */

/** An order's local day: in the time zone the order recorded. */
const LOCAL_DATE = `(ordered_at AT TIME ZONE location_timezone)::date`;

/**
 * Two data-modifying CTEs (`day_rollup`, `campaign_day_rollup`) adding the orders of `source` (a
 * CTE of the same statement returning location_id, ordered_at, location_timezone, campaign_id,
 * unit_count, total_amount, discount_total) to their days. Each row is locked until commit, so
 * concurrent confirmations of one location and day queue there, briefly, and none is lost.
 */
export function rollupUpserts(source: string): string {
  if (!/^[a-z_]+$/.test(source)) throw new Error(`Invalid CTE name ${JSON.stringify(source)}`);
  const sums = `order_count = t.order_count + EXCLUDED.order_count, unit_count = t.unit_count + EXCLUDED.unit_count,
      revenue = t.revenue + EXCLUDED.revenue, discount = t.discount + EXCLUDED.discount`;
  return `day_rollup AS (
    INSERT INTO sales_daily_rollups AS t (location_id, local_date, timezone, order_count, unit_count, revenue, discount)
    SELECT location_id, ${LOCAL_DATE}, location_timezone, 1, unit_count, total_amount, discount_total FROM ${source}
    ON CONFLICT (location_id, local_date, timezone) DO UPDATE SET ${sums}
  ), campaign_day_rollup AS (
    INSERT INTO sales_daily_campaign_rollups AS t (campaign_id, location_id, local_date, timezone, order_count, unit_count, revenue, discount)
    SELECT campaign_id, location_id, ${LOCAL_DATE}, location_timezone, 1, unit_count, total_amount, discount_total FROM ${source}
    WHERE campaign_id IS NOT NULL
    ON CONFLICT (campaign_id, local_date, location_id, timezone) DO UPDATE SET ${sums}
  )`;
}

/** A connection to the sales schema: a pg.Client, a PGlite instance or Database.withConnection's. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Recomputes both rollup tables from the CONFIRMED orders. Run it inside a transaction (BEGIN …
 * COMMIT on `sql`'s connection): it locks the rollups first, so an order confirmed meanwhile
 * either committed before the recount (and is counted by it) or waits and adds itself after.
 */
export async function rebuildSalesRollups(sql: SqlRunner): Promise<void> {
  await sql.query('LOCK TABLE sales_daily_rollups, sales_daily_campaign_rollups IN EXCLUSIVE MODE');
  await sql.query('DELETE FROM sales_daily_rollups');
  await sql.query('DELETE FROM sales_daily_campaign_rollups');
  await sql.query(`
    INSERT INTO sales_daily_rollups (location_id, local_date, timezone, order_count, unit_count, revenue, discount)
    SELECT location_id, ${LOCAL_DATE}, location_timezone, count(*), sum(unit_count), sum(total_amount), sum(discount_total)
    FROM sales_orders WHERE status = 'CONFIRMED'
    GROUP BY 1, 2, 3`);
  await sql.query(`
    INSERT INTO sales_daily_campaign_rollups (campaign_id, location_id, local_date, timezone, order_count, unit_count, revenue, discount)
    SELECT campaign_id, location_id, ${LOCAL_DATE}, location_timezone, count(*), sum(unit_count), sum(total_amount), sum(discount_total)
    FROM sales_orders WHERE status = 'CONFIRMED' AND campaign_id IS NOT NULL
    GROUP BY 1, 2, 3, 4`);
  await sql.query('ANALYZE sales_daily_rollups, sales_daily_campaign_rollups');
}
