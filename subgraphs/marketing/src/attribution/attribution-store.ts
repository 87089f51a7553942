/**
 * Writes the precomputed attribution (default parameters, all six models): credits per order, their
 * split by category, and the daily rollup. `recreditOrders` replaces the credits of some orders and
 * moves the rollup by the difference, in the caller's transaction; `rebuildAttribution` recomputes
 * everything from the order facts and touchpoints in a few set-based statements.
 */
import type { Database } from '@joinery/core';
import { Prisma } from '../generated/prisma/client';
import { ATTRIBUTION_MODELS, categorySplitQuery, CREDIT_COLUMNS, creditsQuery, DEFAULT_PARAMETERS, ORDER_FACT_COLUMNS } from './attribution-sql';

/** Runs one statement and resolves with its rows: a Prisma transaction and a plain connection both fit. */
export type RunSql = <T = Record<string, unknown>>(query: Prisma.Sql) => Promise<T[]>;

export function prismaRunner(db: { $queryRaw<T = unknown>(query: Prisma.Sql): PromiseLike<T> }): RunSql {
  return <T>(query: Prisma.Sql) => Promise.resolve(db.$queryRaw<T[]>(query));
}

/** For a connection of core's Database (`withConnection`), e.g. the demo seed's. */
export function connectionRunner(connection: { query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }> }): RunSql {
  return async <T>(query: Prisma.Sql) => (await connection.query(query.text, query.values)).rows as T[];
}

const ROLLUP_KEY = Prisma.raw('model, campaign_id, location_id, local_date');

/** Adds (sign 1) or subtracts (sign -1) grouped credit rows of `credits` (a CTE name) to the rollup; resolves with the ids of rows left at zero orders. */
function moveRollup(sign: 1 | -1) {
  const s = Prisma.raw(String(sign));
  return Prisma.sql`
    INSERT INTO attribution_daily (model, campaign_id, location_id, local_date, location_timezone, order_count, units, conversions, revenue)
    SELECT model, campaign_id, location_id, local_date, min(location_timezone), ${s} * count(*)::int, ${s} * sum(unit_count)::int, ${s} * sum(weight), ${s} * sum(revenue)
    FROM changed GROUP BY ${ROLLUP_KEY} ORDER BY ${ROLLUP_KEY}
    ON CONFLICT (${ROLLUP_KEY}) DO UPDATE SET
      order_count = attribution_daily.order_count + excluded.order_count,
      units = attribution_daily.units + excluded.units,
      conversions = attribution_daily.conversions + excluded.conversions,
      revenue = attribution_daily.revenue + excluded.revenue
    RETURNING id, order_count`;
}

/**
 * Recomputes the credits of `orderIds` (from their facts and the touchpoints now stored) and
 * moves the rollup by the difference. Orders without facts are skipped.
 */
export async function recreditOrders(run: RunSql, orderIds: string[]): Promise<void> {
  if (!orderIds.length) return;
  const ids = [...new Set(orderIds.map((id) => id.toLowerCase()))].sort();
  const removed = await run<{ id: bigint | number; order_count: number }>(Prisma.sql`
    WITH changed AS (DELETE FROM attribution_credits WHERE order_id = ANY(${ids}::uuid[]) RETURNING ${CREDIT_COLUMNS})
    ${moveRollup(-1)}`);
  const orders = Prisma.sql`SELECT ${ORDER_FACT_COLUMNS} FROM marketing_orders WHERE order_id = ANY(${ids}::uuid[])`;
  await run(Prisma.sql`
    WITH changed AS (
      INSERT INTO attribution_credits (${CREDIT_COLUMNS})
      ${creditsQuery(orders, ATTRIBUTION_MODELS, DEFAULT_PARAMETERS)}
      RETURNING ${CREDIT_COLUMNS}
    )
    ${moveRollup(1)}`);
  const emptied = removed.filter((row) => Number(row.order_count) === 0).map((row) => String(row.id));
  if (emptied.length) await run(Prisma.sql`DELETE FROM attribution_daily WHERE id = ANY(${emptied}::bigint[]) AND order_count = 0`);
  await run(Prisma.sql`DELETE FROM attribution_category_credits WHERE order_id = ANY(${ids}::uuid[])`);
  await run(Prisma.sql`
    INSERT INTO attribution_category_credits (order_id, model, campaign_id, category, revenue, units, ordered_at)
    ${categorySplitQuery(Prisma.sql`SELECT ${CREDIT_COLUMNS} FROM attribution_credits WHERE order_id = ANY(${ids}::uuid[]) AND campaign_id IS NOT NULL`)}`);
  await markFresh(run);
}

/** The orders a touchpoint can be on the path of (lookback 30 days): its customer's, from its time to 30 days after. */
export async function ordersReachedByTouchpoints(run: RunSql, touchpointIds: string[]): Promise<string[]> {
  if (!touchpointIds.length) return [];
  const rows = await run<{ order_id: string }>(Prisma.sql`
    SELECT DISTINCT o.order_id::text AS order_id
    FROM touchpoints t
    JOIN marketing_orders o ON o.customer_id = t.customer_id
      AND o.ordered_at >= t.occurred_at AND o.ordered_at <= t.occurred_at + make_interval(hours => 24 * ${DEFAULT_PARAMETERS.lookbackDays}::int)
    WHERE t.id = ANY(${touchpointIds}::uuid[])`);
  return rows.map((row) => row.order_id);
}

async function markFresh(run: RunSql): Promise<void> {
  await run(Prisma.sql`
    INSERT INTO attribution_freshness (id, updated_at) VALUES (1, clock_timestamp())
    ON CONFLICT (id) DO UPDATE SET updated_at = GREATEST(attribution_freshness.updated_at, excluded.updated_at)`);
}

/** Forgets every credit and rollup row (before a replay or a rebuild). */
export async function clearAttribution(run: RunSql): Promise<void> {
  await run(Prisma.sql`TRUNCATE attribution_category_credits, attribution_credits, attribution_daily, attribution_freshness`);
}

/**
 * Recomputes all credits, their category split and the rollup from the order facts and
 * touchpoints, set-based. Used by the demo and benchmark seeds. Run it inside a transaction: its
 * settings are SET LOCAL, and it drops and rebuilds indexes, which a failure must restore.
 */
export async function rebuildAttribution(run: RunSql): Promise<void> {
  // Window sorts and groupings over every order: in memory rather than spilled (this transaction only).
  // No JIT: the paths' row counts are guessed far too high, and compiling costs seconds.
  await run(Prisma.sql`SET LOCAL work_mem = '256MB'`);
  await run(Prisma.sql`SET LOCAL jit = off`);
  await clearAttribution(run);
  const orders = Prisma.sql`SELECT ${ORDER_FACT_COLUMNS} FROM marketing_orders`;
  await withoutSecondaryIndexes(run, 'attribution_credits', () =>
    run(Prisma.sql`INSERT INTO attribution_credits (${CREDIT_COLUMNS}) ${creditsQuery(orders, ATTRIBUTION_MODELS, DEFAULT_PARAMETERS)}`));
  await run(Prisma.sql`
    INSERT INTO attribution_daily (model, campaign_id, location_id, local_date, location_timezone, order_count, units, conversions, revenue)
    SELECT model, campaign_id, location_id, local_date, min(location_timezone), count(*)::int, sum(unit_count)::int, sum(weight), sum(revenue)
    FROM attribution_credits GROUP BY ${ROLLUP_KEY}
    -- Stored in the order reports read it (a model's days), so a period's rows share pages.
    ORDER BY model, local_date`);
  await withoutSecondaryIndexes(run, 'attribution_category_credits', () =>
    run(Prisma.sql`
      INSERT INTO attribution_category_credits (order_id, model, campaign_id, category, revenue, units, ordered_at)
      ${categorySplitQuery(Prisma.sql`SELECT ${CREDIT_COLUMNS} FROM attribution_credits WHERE campaign_id IS NOT NULL`)}`));
  await markFresh(run);
  await run(Prisma.sql`ANALYZE attribution_credits, attribution_daily, attribution_category_credits`);
}

/** rebuildAttribution in one transaction on one of `database`'s connections (after the demo seed filled the order facts). */
export async function rebuildAttributionIn(database: Database): Promise<void> {
  await database.withConnection(async (connection) => {
    await connection.query('BEGIN');
    try {
      await rebuildAttribution(connectionRunner(connection));
      await connection.query('COMMIT');
    } catch (error) {
      await connection.query('ROLLBACK');
      throw error;
    }
  });
}

/**
 * Runs a bulk insert into `table` with its indexes other than the primary key dropped, then
 * recreates them from their own definitions: building an index once is about twice as fast as
 * maintaining it row by row. Inside the caller's transaction, so a failure restores them.
 */
async function withoutSecondaryIndexes(run: RunSql, table: string, insert: () => Promise<unknown>): Promise<void> {
  const indexes = await run<{ name: string; definition: string }>(Prisma.sql`
    SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
    WHERE i.schemaname = current_schema() AND i.tablename = ${table}
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype = 'p')`);
  for (const index of indexes) await run(Prisma.sql`DROP INDEX ${Prisma.raw(`"${index.name.replace(/"/g, '""')}"`)}`);
  await insert();
  for (const index of indexes) await run(Prisma.raw(index.definition));
}
