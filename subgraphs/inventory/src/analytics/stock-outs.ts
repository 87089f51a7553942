/**
 * Stock-outs: periods when a level's available stock (on hand − committed − damaged) was 0 after
 * it had held stock. The ledger records each quantity after each movement, not available after
 * it, so it is derived: available after a change = available now − what every later change did
 * to it. Only movements since `from` are read. The movements of one change (e.g. a shipment's
 * on-hand −q and committed −q) share their transaction's instant and are taken together, so a
 * change that leaves available as it was never shows as a stock-out of no length. Changes are
 * ordered by their instant (the transaction's start), ties by ledger id.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { levelsSql, movementFilterSql, type LevelFilter } from './analytics-input';
import type { LevelStockOutsModel } from './analytics-models';

/** Periods listed per level; `stockOutCount` counts them all. */
export const MAX_PERIODS_PER_LEVEL = 100;

export interface StockOutReport {
  asOf: Date;
  from: Date;
  to: Date;
  levels: LevelStockOutsModel[];
  levelCount: number;
  stockOutCount: number;
  totalSeconds: number;
}

interface Row {
  as_of: Date;
  location_id: string | null;
  sku: string;
  stock_outs: number;
  total_seconds: bigint;
  out_now: boolean;
  periods: { start: string; end: string | null; startedBeforeFrom: boolean; seconds: number }[];
  level_count: bigint;
  all_stock_outs: bigint;
  all_seconds: bigint;
}

export async function stockOuts(prisma: PrismaClient, filter: LevelFilter, period: { from: Date; to: Date }, first: number): Promise<StockOutReport> {
  const from = Prisma.sql`${period.from.toISOString()}::timestamptz`;
  const to = Prisma.sql`${period.to.toISOString()}::timestamptz`;
  const rows = await prisma.$queryRaw<Row[]>`
    WITH levels AS (${levelsSql(filter)}),
    -- One point per change: what it did to available, at its instant. Changes are ordered by
    -- (instant, last id) everywhere below: the instant is the transaction's start, which a change that
    -- waited for a lock can hold earlier than a change committed (and numbered) before it; ordering the
    -- walk by id alone while filtering and timing by instant could end a period before it started.
    points AS (
      SELECT movement.location_id, movement.sku, movement.occurred_at AS at, max(movement.id) AS seq,
             sum(CASE movement.state WHEN 'AVAILABLE' THEN movement.delta WHEN 'INCOMING' THEN 0 ELSE -movement.delta END) AS change
      FROM stock_movements AS movement
      JOIN levels ON levels.location_id = movement.location_id AND levels.sku = movement.sku
      WHERE movement.occurred_at >= ${from} AND ${movementFilterSql(filter)}
      GROUP BY movement.location_id, movement.sku, movement.occurred_at
    ),
    walked AS (
      SELECT points.location_id, points.sku, points.at, points.seq,
             levels.available - coalesce(sum(points.change) OVER later, 0) AS after,
             levels.available - coalesce(sum(points.change) OVER later, 0) - points.change AS before
      FROM points JOIN levels ON levels.location_id = points.location_id AND levels.sku = points.sku
      WINDOW later AS (PARTITION BY points.location_id, points.sku ORDER BY points.at DESC, points.seq DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    -- Out at \`from\` already: available then was 0, and the level had received stock before.
    out_at_from AS (
      SELECT levels.location_id, levels.sku
      FROM levels LEFT JOIN (SELECT location_id, sku, sum(change) AS total FROM points GROUP BY location_id, sku) AS since
        ON since.location_id = levels.location_id AND since.sku = levels.sku
      WHERE levels.available - coalesce(since.total, 0) = 0
        AND EXISTS (SELECT 1 FROM stock_movements AS earlier
                    WHERE earlier.location_id = levels.location_id AND earlier.sku = levels.sku
                      AND earlier.state = 'AVAILABLE' AND earlier.delta > 0 AND earlier.occurred_at < ${from})
    ),
    transitions AS (
      SELECT location_id, sku, ${from} AS at, 0::bigint AS seq, true AS out, true AS at_from FROM out_at_from
      UNION ALL
      SELECT location_id, sku, at, seq, after = 0, false FROM walked WHERE (after = 0) <> (before = 0)
    ),
    periods AS (
      SELECT location_id, sku, at AS start, seq, at_from, out,
             lead(at) OVER (PARTITION BY location_id, sku ORDER BY at, seq) AS finish
      FROM transitions
    ),
    -- A drop to 0 starts a period; the next change away from 0 ends it. A level that never held
    -- stock rising from 0 ends nothing.
    counted AS (
      SELECT periods.*, greatest(0, floor(extract(epoch FROM least(coalesce(finish, now()), ${to}, now()) - start)))::bigint AS seconds,
             row_number() OVER (PARTITION BY location_id, sku ORDER BY start, seq) AS period_number
      FROM periods WHERE out AND start < ${to}
    ),
    per_level AS (
      SELECT counted.location_id, counted.sku, count(*)::int AS stock_outs, sum(seconds)::bigint AS total_seconds,
             bool_or(finish IS NULL) AS out_now,
             jsonb_agg(jsonb_build_object('start', start, 'end', finish, 'startedBeforeFrom', at_from, 'seconds', seconds) ORDER BY start, seq)
               FILTER (WHERE period_number <= ${MAX_PERIODS_PER_LEVEL}::int) AS periods
      FROM counted
      GROUP BY counted.location_id, counted.sku
    ),
    page AS (
      SELECT per_level.*, count(*) OVER () AS level_count, sum(stock_outs) OVER ()::bigint AS all_stock_outs,
             sum(total_seconds) OVER ()::bigint AS all_seconds
      FROM per_level
      ORDER BY total_seconds DESC, location_id, sku
      LIMIT ${first}
    )
    SELECT clock.as_of, page.location_id::text AS location_id, page.sku, page.stock_outs, page.total_seconds, page.out_now,
           page.periods, page.level_count, page.all_stock_outs, page.all_seconds
    FROM (SELECT now() AS as_of) AS clock LEFT JOIN page ON true
    ORDER BY page.total_seconds DESC, page.location_id, page.sku`;
  const found = rows.filter((row) => row.location_id !== null);
  const head = found[0];
  return {
    asOf: rows[0].as_of,
    from: period.from,
    to: period.to,
    levels: found.map((row) => ({
      locationId: row.location_id!,
      sku: row.sku,
      stockOutCount: row.stock_outs,
      totalSeconds: Number(row.total_seconds),
      outNow: row.out_now,
      periods: row.periods.map((p) => ({
        start: new Date(p.start), end: p.end === null ? null : new Date(p.end), startedBeforeFrom: p.startedBeforeFrom, seconds: p.seconds,
      })),
    })),
    levelCount: head ? Number(head.level_count) : 0,
    stockOutCount: head ? Number(head.all_stock_outs) : 0,
    totalSeconds: head ? Number(head.all_seconds) : 0,
  };
}
