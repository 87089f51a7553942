/**
 * Sell-through over [from, to): (units sold − units returned) ÷ (on hand at `from` + units received).
 * On hand at `from` is today's on-hand less every on-hand movement since `from`: the ledger sums to
 * the stored quantities, so this is exact without a snapshot of the past.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { groupingSql, levelsSql, movementFilterSql, toGroupKeys, type InventoryDimension, type LevelFilter } from './analytics-input';
import type { SellThroughFigures, SellThroughRowModel } from './analytics-models';

export interface SellThroughReport {
  asOf: Date;
  from: Date;
  to: Date;
  rows: SellThroughRowModel[];
  rowCount: number;
  totals: SellThroughFigures;
}

type Figures = { start: bigint; received: bigint; sold: bigint; returned: bigint; rate: number | null };
interface Row extends Figures {
  as_of: Date;
  location_id: string | null;
  category: string | null;
  sku: string | null;
  row_count: bigint;
  total_start: bigint;
  total_received: bigint;
  total_sold: bigint;
  total_returned: bigint;
  total_rate: number | null;
}

const rateSql = (sold: Prisma.Sql, start: Prisma.Sql) => Prisma.sql`round(${sold}::numeric / nullif(${start}, 0), 4)::float8`;

const figures = (start: bigint, received: bigint, sold: bigint, returned: bigint, rate: number | null): SellThroughFigures => ({
  onHandAtStart: Number(start),
  unitsReceived: Number(received),
  unitsSold: Number(sold),
  unitsReturned: Number(returned),
  sellThroughRate: rate,
});

export async function sellThrough(prisma: PrismaClient, filter: LevelFilter, period: { from: Date; to: Date }, dimensions: InventoryDimension[], first: number): Promise<SellThroughReport> {
  const from = period.from.toISOString();
  const to = period.to.toISOString();
  const grouping = groupingSql(dimensions);
  const rows = await prisma.$queryRaw<Row[]>`
    WITH levels AS (${levelsSql(filter)}),
    moved AS (
      SELECT movement.location_id, movement.sku,
             sum(movement.delta) AS since_from,
             -coalesce(sum(movement.delta) FILTER (WHERE movement.reason = 'SALE' AND movement.occurred_at < ${to}::timestamptz), 0) AS sold,
             coalesce(sum(movement.delta) FILTER (WHERE movement.reason = 'RETURN' AND movement.occurred_at < ${to}::timestamptz), 0) AS returned,
             coalesce(sum(movement.delta) FILTER (WHERE movement.reason IN ('RECEIVED', 'TRANSFER_IN') AND movement.delta > 0 AND movement.occurred_at < ${to}::timestamptz), 0) AS received
      FROM stock_movements AS movement
      WHERE movement.state = 'AVAILABLE' AND movement.occurred_at >= ${from}::timestamptz AND ${movementFilterSql(filter)}
      GROUP BY movement.location_id, movement.sku
    ),
    source AS (
      SELECT levels.location_id, levels.sku, levels.category, levels.on_hand - coalesce(moved.since_from, 0) AS start,
             coalesce(moved.received, 0) AS received, coalesce(moved.sold, 0) AS sold, coalesce(moved.returned, 0) AS returned
      FROM levels LEFT JOIN moved ON moved.location_id = levels.location_id AND moved.sku = levels.sku
    ),
    grouped AS (
      SELECT ${grouping.select}, sum(source.start)::bigint AS start, sum(source.received)::bigint AS received,
             sum(source.sold)::bigint AS sold, sum(source.returned)::bigint AS returned
      FROM source
      GROUP BY ${grouping.groupBy}
      HAVING sum(source.start) + sum(source.received) <> 0 OR sum(source.sold) <> 0 OR sum(source.returned) <> 0
    ),
    page AS (
      SELECT grouped.*, ${rateSql(Prisma.sql`(sold - returned)`, Prisma.sql`(start + received)`)} AS rate,
             count(*) OVER () AS row_count, sum(start) OVER ()::bigint AS total_start, sum(received) OVER ()::bigint AS total_received,
             sum(sold) OVER ()::bigint AS total_sold, sum(returned) OVER ()::bigint AS total_returned
      FROM grouped
      ORDER BY rate DESC NULLS LAST, ${grouping.tieBreak}
      LIMIT ${first}
    )
    SELECT clock.as_of, page.*, ${rateSql(Prisma.sql`(page.total_sold - page.total_returned)`, Prisma.sql`(page.total_start + page.total_received)`)} AS total_rate
    FROM (SELECT now() AS as_of) AS clock LEFT JOIN page ON true
    ORDER BY page.rate DESC NULLS LAST, page.location_id, page.category, page.sku`;
  const found = rows.filter((row) => row.row_count !== null);
  const head = found[0];
  return {
    asOf: rows[0].as_of,
    from: period.from,
    to: period.to,
    rows: found.map((row) => ({ ...toGroupKeys(row), figures: figures(row.start, row.received, row.sold, row.returned, row.rate) })),
    rowCount: head ? Number(head.row_count) : 0,
    totals: head ? figures(head.total_start, head.total_received, head.total_sold, head.total_returned, head.total_rate) : figures(0n, 0n, 0n, 0n, null),
  };
}
