import DataLoader from 'dataloader';
import Decimal from 'decimal.js';
import { isUuid } from '@joinery/core';
import { Prisma, type PrismaClient } from './generated/prisma/client';
import type { SalesSummaryModel } from './models';

export interface TimeRange {
  from?: Date | null;
  to?: Date | null;
}

interface RangedKey extends TimeRange {
  id: string;
}

interface Totals {
  key: string;
  order_count: number;
  units: number;
  revenue: Prisma.Decimal | null;
  returned: Prisma.Decimal | null;
}

const rangeOf = (key: TimeRange) => `${key.from?.toISOString() ?? ''}|${key.to?.toISOString() ?? ''}`;
const cacheKeyFn = (key: RangedKey) => `${key.id}|${rangeOf(key)}`;

function timeFilter(column: string, range: TimeRange): Prisma.Sql {
  const parts = [Prisma.sql`TRUE`];
  if (range.from) parts.push(Prisma.sql`${Prisma.raw(column)} >= ${range.from}`);
  if (range.to) parts.push(Prisma.sql`${Prisma.raw(column)} < ${range.to}`);
  return Prisma.join(parts, ' AND ');
}

export function summary(orderCount: number, unitsSold: number, revenue: Decimal.Value, returned: Decimal.Value = 0): SalesSummaryModel {
  const total = new Decimal(revenue);
  const refunded = new Decimal(returned);
  return {
    orderCount,
    unitsSold,
    revenue: total.toFixed(2),
    averageOrderValue: orderCount ? total.dividedBy(orderCount).toFixed(2, Decimal.ROUND_HALF_EVEN) : '0.00',
    returnedAmount: refunded.toFixed(2),
    netRevenue: total.minus(refunded).toFixed(2),
  };
}

/**
 * Groups keys asking for the same time range and answers each group with one GROUP BY, so a
 * page of 100 products or locations costs one statement per distinct range, not 100.
 */
function rangedLoader<V>(load: (ids: string[], range: TimeRange) => Promise<Map<string, V>>, empty: () => V) {
  return new DataLoader<RangedKey, V, string>(
    async (keys) => {
      const groups = new Map<string, RangedKey[]>();
      for (const key of keys) groups.set(rangeOf(key), [...(groups.get(rangeOf(key)) ?? []), key]);
      const answers = new Map<string, V>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const found = await load([...new Set(group.map((key) => key.id))], group[0]);
          for (const key of group) answers.set(cacheKeyFn(key), found.get(key.id) ?? empty());
        }),
      );
      return keys.map((key) => answers.get(cacheKeyFn(key))!);
    },
    { cacheKeyFn },
  );
}

/** `column = ANY(visible)`, or TRUE when the caller sees every location. */
function within(column: string, visible: readonly string[] | undefined): Prisma.Sql {
  return visible ? Prisma.sql`${Prisma.raw(column)} = ANY(${[...visible]}::uuid[])` : Prisma.sql`TRUE`;
}

/**
 * Aggregates over confirmed sales and the refunds of their completed returns, computed in SQL.
 * `visible` is the locations the caller may see (undefined: all): a product's figures, which span
 * locations, count only those; a location's figures are asked only for a location in scope.
 */
export class SummaryService {
  private readonly byLocation: DataLoader<RangedKey, SalesSummaryModel, string>;
  private readonly byProduct: DataLoader<RangedKey, SalesSummaryModel, string>;

  constructor(
    private readonly prisma: PrismaClient,
    visible?: readonly string[],
  ) {
    const toSummaries = (rows: Totals[]) =>
      new Map(rows.map((row) => [row.key, summary(row.order_count, row.units, row.revenue?.toString() ?? 0, row.returned?.toString() ?? 0)]));
    this.byLocation = rangedLoader(
      async (ids, range) =>
        toSummaries(
          await this.prisma.$queryRaw<Totals[]>`
            WITH sold AS (
              SELECT location_id, count(*)::int AS order_count, sum(unit_count)::int AS units, sum(total_amount) AS revenue
              FROM sales_orders
              WHERE status = 'CONFIRMED' AND location_id = ANY(${ids.filter(isUuid)}::uuid[]) AND ${timeFilter('ordered_at', range)}
              GROUP BY location_id
            ), returned AS (
              SELECT line.order_location_id AS location_id, sum(line.refund_amount) AS returned
              FROM sales_return_lines AS line JOIN sales_returns AS ret ON ret.id = line.return_id
              WHERE ret.status = 'COMPLETED' AND line.order_location_id = ANY(${ids.filter(isUuid)}::uuid[]) AND ${timeFilter('line.ordered_at', range)}
              GROUP BY line.order_location_id
            )
            SELECT sold.location_id::text AS key, sold.order_count, sold.units, sold.revenue, returned.returned
            FROM sold LEFT JOIN returned USING (location_id)`,
        ),
      () => summary(0, 0, 0),
    );
    this.byProduct = rangedLoader(
      async (skus, range) =>
        toSummaries(
          await this.prisma.$queryRaw<Totals[]>`
            WITH sold AS (
              SELECT sku, count(*)::int AS order_count, sum(quantity)::int AS units, sum(line_total) AS revenue
              FROM sales_order_lines
              WHERE sku = ANY(${skus}::text[]) AND ${timeFilter('ordered_at', range)} AND ${within('location_id', visible)}
              GROUP BY sku
            ), returned AS (
              SELECT line.sku, sum(line.refund_amount) AS returned
              FROM sales_return_lines AS line JOIN sales_returns AS ret ON ret.id = line.return_id
              WHERE ret.status = 'COMPLETED' AND line.sku = ANY(${skus}::text[]) AND ${timeFilter('line.ordered_at', range)}
                AND ${within('line.order_location_id', visible)}
              GROUP BY line.sku
            )
            SELECT sold.sku AS key, sold.order_count, sold.units, sold.revenue, returned.returned
            FROM sold LEFT JOIN returned USING (sku)`,
        ),
      () => summary(0, 0, 0),
    );
  }

  location(id: string, range: TimeRange): Promise<SalesSummaryModel> {
    return this.byLocation.load({ id, ...range });
  }

  product(sku: string, range: TimeRange): Promise<SalesSummaryModel> {
    return this.byProduct.load({ id: sku, ...range });
  }
}
