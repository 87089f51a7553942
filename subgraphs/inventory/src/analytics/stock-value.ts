/**
 * Stock value per group. Groups of locations and categories are summed from stock_value_rollups
 * (one row per location and category, kept exact by triggers in the writers' transactions, see
 * migration 0005): a few thousand rows instead of millions of levels. Products, or a sku filter,
 * need the levels themselves.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { filterSql, groupingSql, toGroupKeys, type InventoryDimension, type LevelFilter } from './analytics-input';
import type { Money, StockValueRowModel } from './analytics-models';

export interface StockValueReport {
  asOf: Date;
  rows: StockValueRowModel[];
  rowCount: number;
  totals: { onHand: number; available: number; value: Money };
}

interface Row {
  as_of: Date;
  location_id: string | null;
  category: string | null;
  sku: string | null;
  on_hand: bigint | null;
  available: bigint | null;
  value: string | null;
  row_count: bigint | null;
  total_on_hand: bigint | null;
  total_available: bigint | null;
  total_value: string | null;
}

/** Whether the rollup can answer: it has no products, so it cannot group or filter by them. */
export const servedByRollup = (dimensions: InventoryDimension[], filter: LevelFilter) => !dimensions.includes('PRODUCT') && !filter.skus;

function sourceSql(dimensions: InventoryDimension[], filter: LevelFilter): Prisma.Sql {
  if (servedByRollup(dimensions, filter)) {
    return Prisma.sql`
      SELECT rollup.location_id, rollup.category, NULL::text AS sku, rollup.on_hand, rollup.available, rollup.value
      FROM stock_value_rollups AS rollup
      WHERE ${filterSql(filter, { location: Prisma.sql`rollup.location_id`, sku: Prisma.sql`NULL`, category: Prisma.sql`rollup.category` })}`;
  }
  return Prisma.sql`
    SELECT level.location_id, product.category, level.sku, level.on_hand, level.on_hand - level.committed - level.damaged AS available,
           level.on_hand * product.price AS value
    FROM inventory_levels AS level JOIN products AS product ON product.sku = level.sku
    WHERE ${filterSql(filter, { location: Prisma.sql`level.location_id`, sku: Prisma.sql`level.sku`, category: Prisma.sql`product.category` })}`;
}

export async function stockValue(prisma: PrismaClient, filter: LevelFilter, dimensions: InventoryDimension[], first: number): Promise<StockValueReport> {
  const grouping = groupingSql(dimensions);
  // One statement, so rows, count and totals come from one snapshot; the window sums run before LIMIT.
  const rows = await prisma.$queryRaw<Row[]>`
    WITH grouped AS (
      SELECT ${grouping.select}, sum(source.on_hand)::bigint AS on_hand, sum(source.available)::bigint AS available, sum(source.value) AS value
      FROM (${sourceSql(dimensions, filter)}) AS source
      GROUP BY ${grouping.groupBy}
      HAVING sum(source.on_hand) <> 0
    ),
    page AS (
      SELECT grouped.*, count(*) OVER () AS row_count, sum(on_hand) OVER ()::bigint AS total_on_hand,
             sum(available) OVER ()::bigint AS total_available, sum(value) OVER () AS total_value
      FROM grouped
      ORDER BY value DESC, ${grouping.tieBreak}
      LIMIT ${first}
    )
    SELECT clock.as_of, page.location_id, page.category, page.sku, page.on_hand, page.available, page.value::text AS value,
           page.row_count, page.total_on_hand, page.total_available, page.total_value::text AS total_value
    FROM (SELECT now() AS as_of) AS clock LEFT JOIN page ON true
    ORDER BY page.value DESC, page.location_id, page.category, page.sku`;
  const found = rows.filter((row) => row.on_hand !== null);
  const head = found[0];
  return {
    asOf: rows[0].as_of,
    rows: found.map((row) => ({ ...toGroupKeys(row), onHand: Number(row.on_hand), available: Number(row.available), value: row.value! })),
    rowCount: head ? Number(head.row_count) : 0,
    totals: head
      ? { onHand: Number(head.total_on_hand), available: Number(head.total_available), value: head.total_value! }
      : { onHand: 0, available: 0, value: '0.00' },
  };
}

/** Recomputes stock_value_rollups from the levels (for a bulk load that bypassed the triggers, or a check). */
export async function rebuildStockValueRollups(prisma: PrismaClient): Promise<void> {
  await prisma.$executeRaw`SELECT rebuild_stock_value_rollups()`;
}
