/**
 * Days of supply: available ÷ the daily rate at which a group sold over the last `lookbackDays`
 * (SALE less RETURN units, ÷ lookbackDays). A group that sold nothing net has no rate and never
 * runs out at it: null days, listed last.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { groupingSql, levelsSql, netSoldSql, toGroupKeys, type InventoryDimension, type LevelFilter } from './analytics-input';
import type { DaysOfSupplyRowModel } from './analytics-models';

export interface DaysOfSupplyReport {
  asOf: Date;
  lookbackDays: number;
  rows: DaysOfSupplyRowModel[];
  rowCount: number;
}

interface Row {
  as_of: Date;
  location_id: string | null;
  category: string | null;
  sku: string | null;
  on_hand: bigint | null;
  available: bigint;
  net_sold: bigint;
  rate: number | null;
  days: number | null;
  row_count: bigint;
}

export async function daysOfSupply(prisma: PrismaClient, filter: LevelFilter, lookbackDays: number, dimensions: InventoryDimension[], first: number): Promise<DaysOfSupplyReport> {
  const grouping = groupingSql(dimensions);
  const rows = await prisma.$queryRaw<Row[]>`
    WITH levels AS (${levelsSql(filter)}),
    sold AS (${netSoldSql(filter, Prisma.sql`now() - make_interval(days => ${lookbackDays}::int)`, Prisma.sql`now()`)}),
    grouped AS (
      SELECT ${grouping.select}, sum(source.on_hand)::bigint AS on_hand, sum(source.available)::bigint AS available,
             coalesce(sum(sold.net_sold), 0)::bigint AS net_sold
      FROM levels AS source LEFT JOIN sold ON sold.location_id = source.location_id AND sold.sku = source.sku
      GROUP BY ${grouping.groupBy}
      -- Nothing on hand and nothing sold: nothing to run out of.
      HAVING sum(source.on_hand) <> 0 OR coalesce(sum(sold.net_sold), 0) <> 0
    ),
    page AS (
      SELECT grouped.*,
             CASE WHEN net_sold > 0 THEN round(net_sold::numeric / ${lookbackDays}::int, 4)::float8 END AS rate,
             CASE WHEN net_sold > 0 THEN round(available::numeric * ${lookbackDays}::int / net_sold, 2)::float8 END AS days,
             count(*) OVER () AS row_count
      FROM grouped
      ORDER BY days ASC NULLS LAST, ${grouping.tieBreak}
      LIMIT ${first}
    )
    SELECT clock.as_of, page.*
    FROM (SELECT now() AS as_of) AS clock LEFT JOIN page ON true
    ORDER BY page.days ASC NULLS LAST, page.location_id, page.category, page.sku`;
  const found = rows.filter((row) => row.on_hand !== null);
  return {
    asOf: rows[0].as_of,
    lookbackDays,
    rows: found.map((row) => ({
      ...toGroupKeys(row), onHand: Number(row.on_hand), available: Number(row.available), netUnitsSold: Number(row.net_sold),
      dailySalesRate: row.rate, daysOfSupply: row.days,
    })),
    rowCount: found.length ? Number(found[0].row_count) : 0,
  };
}
