/**
 * Slow movers: groups (products by default) with stock on hand that sold at most `maxUnitsSold`
 * units net of returns over the last `days`, the most stock value tied up first.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { groupingSql, levelsSql, netSoldSql, toGroupKeys, type InventoryDimension, type LevelFilter } from './analytics-input';
import type { SlowMoverRowModel } from './analytics-models';

export interface SlowMoverReport {
  asOf: Date;
  days: number;
  maxUnitsSold: number;
  rows: SlowMoverRowModel[];
  rowCount: number;
}

interface Row {
  as_of: Date;
  location_id: string | null;
  category: string | null;
  sku: string | null;
  on_hand: bigint | null;
  available: bigint;
  value: string;
  net_sold: bigint;
  row_count: bigint;
}

export async function slowMovers(prisma: PrismaClient, filter: LevelFilter, options: { days: number; maxUnitsSold: number }, dimensions: InventoryDimension[], first: number): Promise<SlowMoverReport> {
  const grouping = groupingSql(dimensions);
  const rows = await prisma.$queryRaw<Row[]>`
    WITH levels AS (${levelsSql(filter)}),
    sold AS (${netSoldSql(filter, Prisma.sql`now() - make_interval(days => ${options.days}::int)`, Prisma.sql`now()`)}),
    grouped AS (
      SELECT ${grouping.select}, sum(source.on_hand)::bigint AS on_hand, sum(source.available)::bigint AS available,
             sum(source.on_hand * source.price) AS value, coalesce(sum(sold.net_sold), 0)::bigint AS net_sold
      FROM levels AS source LEFT JOIN sold ON sold.location_id = source.location_id AND sold.sku = source.sku
      GROUP BY ${grouping.groupBy}
      HAVING sum(source.on_hand) > 0 AND coalesce(sum(sold.net_sold), 0) <= ${options.maxUnitsSold}::int
    ),
    page AS (
      SELECT grouped.*, count(*) OVER () AS row_count
      FROM grouped
      ORDER BY value DESC, ${grouping.tieBreak}
      LIMIT ${first}
    )
    SELECT clock.as_of, page.location_id, page.category, page.sku, page.on_hand, page.available, page.value::text AS value, page.net_sold, page.row_count
    FROM (SELECT now() AS as_of) AS clock LEFT JOIN page ON true
    ORDER BY page.value DESC, page.location_id, page.category, page.sku`;
  const found = rows.filter((row) => row.on_hand !== null);
  return {
    asOf: rows[0].as_of,
    days: options.days,
    maxUnitsSold: options.maxUnitsSold,
    rows: found.map((row) => ({ ...toGroupKeys(row), onHand: Number(row.on_hand), available: Number(row.available), value: row.value, netUnitsSold: Number(row.net_sold) })),
    rowCount: found.length ? Number(found[0].row_count) : 0,
  };
}
