import Decimal from 'decimal.js';
import { graphQLError, isUuid, SubgraphUnavailableError } from '@joinery/core';
import { Prisma, type PrismaClient } from './generated/prisma/client';
import type { LocationDirectory } from './location-directory';
import type { SalesReportMetricsModel, SalesReportModel, SalesReportRowModel } from './models';

export type SalesReportDimension = 'LOCATION' | 'REGION' | 'CHANNEL' | 'DAY' | 'WEEK' | 'MONTH' | 'CATEGORY' | 'PRODUCT';

export interface SalesReportFilter {
  locationIds?: string[] | null;
  categories?: string[] | null;
  skus?: string[] | null;
  campaignIds?: string[] | null;
  from?: Date | null;
  to?: Date | null;
}

/** Bounds of one report; the defaults are documented on the GraphQL schema and in docs/analytics.md. */
export const SALES_REPORT_LIMITS = {
  /** Room for the year of weekly figures per location of a 200-location brand (200 × 53 = 10,600 rows). */
  maxRows: 20_000,
  /** Three years and a leap day. */
  maxDays: 1_096,
  /** `from` when omitted: this many days before `to`. */
  defaultDays: 30,
  maxListLength: 1_000,
};

const DAY_MS = 86_400_000;
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9998, 11, 31);
const HOUR_MS = 3_600_000;
/**
 * A local day is at most 25 h long, so an order on a local day that straddles `from` (or `to`) is
 * less than 25 h after `from` (before `to`); 26 h leaves a margin. Only these edges are read from
 * the orders when the rollups answer the rest.
 */
const EDGE_MS = 26 * HOUR_MS;

/**
 * Each dimension's value over the facts `f` (location_id, local_date, and on order lines category
 * and sku) and the location directory `d`, in its own type (uuid, date): grouping and sorting on
 * those is cheaper than on text. Week and month are computed from the local date itself, never
 * through a timestamptz (which would move them by the session's time zone).
 */
const DIMENSION_SQL: Record<SalesReportDimension, string> = {
  LOCATION: 'f.location_id',
  REGION: 'd.region',
  CHANNEL: 'd.kind',
  DAY: 'f.local_date',
  // date_part, not extract: extract returns numeric since PostgreSQL 14 and cost 10 ms more per
  // use on a year of 200 locations' days.
  WEEK: "(f.local_date - (date_part('isodow', f.local_date)::int - 1))",
  MONTH: "(f.local_date - (date_part('day', f.local_date)::int - 1))",
  CATEGORY: 'f.category',
  PRODUCT: 'f.sku',
};

const LINE_DIMENSIONS = new Set<SalesReportDimension>(['CATEGORY', 'PRODUCT']);

interface ReportRow {
  is_total: number;
  location: string | null;
  region: string | null;
  channel: string | null;
  day: string | null;
  week: string | null;
  month: string | null;
  category: string | null;
  product: string | null;
  order_count: string;
  unit_count: string;
  revenue: string | null;
  discount: string | null;
  as_of: Date;
}

interface Range {
  from: Date;
  to: Date;
}

/**
 * Sales reports (Query.salesReport), aggregated in PostgreSQL. Order-level questions (no CATEGORY
 * or PRODUCT, no skus or categories filter) read the daily rollups for local days wholly inside
 * the range and the orders for the partial days at its ends; the others read the order lines.
 * `visible` is the locations the caller may see (undefined: all): facts from any other location
 * never enter the report, so rows, REGION/CHANNEL groups and totals alike count only those.
 */
export class SalesReportService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly locations: LocationDirectory,
    private readonly visible?: readonly string[],
  ) {}

  async report(filter: SalesReportFilter, groupBy: SalesReportDimension[]): Promise<SalesReportModel> {
    const range = validate(filter, groupBy);
    const source = groupBy.some((dimension) => LINE_DIMENSIONS.has(dimension)) || filter.skus || filter.categories ? 'ORDER_LINES' : 'ROLLUP';
    const facts = source === 'ROLLUP' ? rollupFacts(filter, range, this.visible) : lineFacts(filter, range, this.visible);
    const directory = groupBy.includes('REGION') || groupBy.includes('CHANNEL') ? await this.directory() : Prisma.empty;
    const dimensions = groupBy.map((dimension) => ({ dimension, sql: DIMENSION_SQL[dimension] }));
    const metrics =
      source === 'ROLLUP'
        ? Prisma.sql`sum(f.order_count)::text AS order_count, sum(f.unit_count)::text AS unit_count, sum(f.revenue)::text AS revenue, sum(f.discount)::text AS discount`
        : Prisma.sql`count(DISTINCT f.order_id)::text AS order_count, sum(f.quantity)::text AS unit_count, sum(f.line_total)::text AS revenue, sum(f.discount)::text AS discount`;
    const selected = Prisma.raw(dimensions.map(({ dimension, sql }) => `${sql}::text AS ${dimension.toLowerCase()}`).join(', '));
    const grouped = Prisma.raw(dimensions.map(({ sql }) => sql).join(', '));
    // Rows and totals in one pass: the empty grouping set is the totals row (present even when
    // nothing sold), sorted last; one row past the cap tells that the cap was exceeded.
    // work_mem for this statement only: at the default 4 MB a year of 200 locations by week spilled
    // its aggregate to disk (16 ms of 160).
    const [, rows] = await this.prisma.$transaction([
      this.prisma.$executeRaw`SET LOCAL work_mem = '64MB'`,
      this.prisma.$queryRaw<ReportRow[]>`
      WITH f AS (${facts})
      SELECT ${selected}, GROUPING(${Prisma.raw(dimensions[0].sql)}) AS is_total, ${metrics}, now() AS as_of
      FROM f ${directory}
      GROUP BY GROUPING SETS ((${grouped}), ())
      ORDER BY is_total, ${grouped}
      LIMIT ${SALES_REPORT_LIMITS.maxRows + 2}`,
    ]);
    const total = rows.find((row) => Number(row.is_total) === 1);
    const body = rows.filter((row) => Number(row.is_total) === 0);
    if (body.length > SALES_REPORT_LIMITS.maxRows) {
      throw graphQLError(
        'BAD_USER_INPUT',
        `This report has more than ${SALES_REPORT_LIMITS.maxRows.toLocaleString('en')} rows, the most one report returns; group by fewer dimensions, a coarser period (WEEK, MONTH) or narrow the filter`,
        { argumentName: 'groupBy' },
      );
    }
    return {
      rows: body.map((row) => toRow(row, groupBy)),
      totals: total ? metricsOf(total) : metricsOf({ order_count: '0', unit_count: '0', revenue: null, discount: null }),
      from: range.from,
      to: range.to,
      asOf: total?.as_of ?? new Date(),
      source,
    };
  }

  /** The locations' current region and kind as a relation `d` joined to the facts. */
  private async directory(): Promise<Prisma.Sql> {
    let all;
    try {
      all = await this.locations.all();
    } catch (error) {
      if (error instanceof SubgraphUnavailableError) throw graphQLError('UNAVAILABLE', `${error.message}; REGION and CHANNEL need it, retry later or group by LOCATION`);
      throw error;
    }
    return Prisma.sql`LEFT JOIN unnest(${all.map((l) => l.id)}::uuid[], ${all.map((l) => l.region)}::text[], ${all.map((l) => l.kind)}::text[])
      AS d(location_id, region, kind) ON d.location_id = f.location_id`;
  }
}

function validate(filter: SalesReportFilter, groupBy: SalesReportDimension[]): Range {
  const bad = (message: string, argumentName: string) => graphQLError('BAD_USER_INPUT', message, { argumentName });
  if (!groupBy.length) throw bad('groupBy needs at least one dimension, e.g. [LOCATION, WEEK]', 'groupBy');
  const repeated = groupBy.find((dimension, index) => groupBy.indexOf(dimension) !== index);
  if (repeated) throw bad(`groupBy names ${repeated} more than once; name each dimension at most once`, 'groupBy');
  for (const name of ['locationIds', 'categories', 'skus', 'campaignIds'] as const) {
    const list = filter[name];
    if (list && list.length > SALES_REPORT_LIMITS.maxListLength) throw bad(`filter.${name} has ${list.length} entries; at most ${SALES_REPORT_LIMITS.maxListLength}`, 'filter');
  }
  for (const name of ['locationIds', 'campaignIds'] as const) {
    const notId = filter[name]?.find((id) => !isUuid(id));
    if (notId !== undefined) throw bad(`filter.${name} contains ${JSON.stringify(notId)}, which is not an id`, 'filter');
  }
  const to = filter.to ?? new Date();
  const from = filter.from ?? new Date(to.getTime() - SALES_REPORT_LIMITS.defaultDays * DAY_MS);
  // Outside these years the local-date arithmetic below (Date.UTC maps years 0-99 to 19xx) and
  // PostgreSQL's dates (no year 0, none past 9999) fail with an internal error; no sale is there.
  for (const [name, at] of [['from', from], ['to', to]] as const) {
    if (at.getTime() < EARLIEST || at.getTime() > LATEST) throw bad(`${name} (${at.toISOString()}) must lie between 1900-01-01 and 9998-12-31`, 'filter');
  }
  if (from.getTime() >= to.getTime()) throw bad(`from (${from.toISOString()}) must be before to (${to.toISOString()})`, 'filter');
  if (to.getTime() - from.getTime() > SALES_REPORT_LIMITS.maxDays * DAY_MS) {
    throw bad(`The range ${from.toISOString()} to ${to.toISOString()} is longer than ${SALES_REPORT_LIMITS.maxDays.toLocaleString('en')} days, the longest one report covers; ask for each period apart`, 'filter');
  }
  return { from, to };
}

const lower = (ids: readonly string[]) => ids.map((id) => id.toLowerCase());

/** `column = ANY(list)` when the filter (or the caller's scope) names a list, TRUE when it does not. */
function anyOf(column: string, list: readonly string[] | null | undefined, type: 'uuid' | 'text'): Prisma.Sql {
  if (!list) return Prisma.sql`TRUE`;
  return type === 'uuid' ? Prisma.sql`${Prisma.raw(column)} = ANY(${lower(list)}::uuid[])` : Prisma.sql`${Prisma.raw(column)} = ANY(${list}::text[])`;
}

/** A UTC calendar date as YYYY-MM-DD, shifted by `days`. */
const utcDate = (instant: Date, days = 0) => new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate() + days)).toISOString().slice(0, 10);

/**
 * One row per rollup day or per edge order: location_id, local_date and the four sums. A local
 * day is "whole" when it starts at or after `from` and ends at or before `to` in its own time
 * zone; whole days come from the rollups, the orders of the other days from sales_orders. Every
 * order is on exactly one local day, so each is counted once. Local dates lie within a day of the
 * UTC date (offsets are -12 h to +14 h): days more than two UTC days inside the range are whole
 * without computing their bounds.
 */
function rollupFacts(filter: SalesReportFilter, { from, to }: Range, visible: readonly string[] | undefined): Prisma.Sql {
  const byCampaign = Boolean(filter.campaignIds);
  const rollups = Prisma.raw(byCampaign ? 'sales_daily_campaign_rollups' : 'sales_daily_rollups');
  const first = utcDate(from, -1);
  const last = utcDate(to, 1);
  // Whole: after the local date of the instant just before `from` and before the local date of
  // `to`. Not "local midnight >= from": where midnight is ambiguous (Havana, the Azores fall back
  // from 01:00 to 00:00) PostgreSQL reads 00:00 as the later one, an hour after the day starts.
  const wholeDay = (date: string, zone: string) => {
    const [day, tz] = [Prisma.raw(date), Prisma.raw(zone)];
    return Prisma.sql`(${day} > ((${from}::timestamptz - interval '1 microsecond') AT TIME ZONE ${tz})::date AND ${day} < (${to}::timestamptz AT TIME ZONE ${tz})::date)`;
  };
  // Orders near the ends: one window when the range is short, else the first and last EDGE_MS.
  const edges =
    to.getTime() - from.getTime() <= 2 * EDGE_MS
      ? Prisma.sql`ordered_at >= ${from}::timestamptz AND ordered_at < ${to}::timestamptz`
      : Prisma.sql`((ordered_at >= ${from}::timestamptz AND ordered_at < ${new Date(from.getTime() + EDGE_MS)}::timestamptz)
          OR (ordered_at >= ${new Date(to.getTime() - EDGE_MS)}::timestamptz AND ordered_at < ${to}::timestamptz))`;
  return Prisma.sql`
    SELECT r.location_id, r.local_date, r.order_count, r.unit_count, r.revenue, r.discount
    FROM ${rollups} AS r
    WHERE r.local_date BETWEEN ${first}::date AND ${last}::date
      AND ${anyOf('r.location_id', filter.locationIds, 'uuid')} AND ${anyOf('r.location_id', visible, 'uuid')} AND ${byCampaign ? anyOf('r.campaign_id', filter.campaignIds, 'uuid') : Prisma.sql`TRUE`}
      AND (r.local_date BETWEEN ${first}::date + 3 AND ${last}::date - 3 OR ${wholeDay('r.local_date', 'r.timezone')})
    UNION ALL
    SELECT o.location_id, o.local_date, 1, o.unit_count, o.total_amount, o.discount_total
    FROM (
      SELECT location_id, location_timezone, (ordered_at AT TIME ZONE location_timezone)::date AS local_date, unit_count, total_amount, discount_total
      FROM sales_orders
      WHERE status = 'CONFIRMED' AND ${edges}
        AND ${anyOf('location_id', filter.locationIds, 'uuid')} AND ${anyOf('location_id', visible, 'uuid')} AND ${anyOf('campaign_id', filter.campaignIds, 'uuid')}
    ) AS o
    WHERE NOT ${wholeDay('o.local_date', 'o.location_timezone')}`;
}

/**
 * One row per matching order line, with its order's local date (the line carries its order's zone
 * and campaign). Categories are compared in lower case, as inventory stores and filters them.
 */
function lineFacts(filter: SalesReportFilter, { from, to }: Range, visible: readonly string[] | undefined): Prisma.Sql {
  return Prisma.sql`
    SELECT l.order_id, l.location_id, (l.ordered_at AT TIME ZONE l.location_timezone)::date AS local_date, l.category, l.sku, l.quantity, l.line_total, l.discount
    FROM sales_order_lines AS l
    WHERE l.ordered_at >= ${from}::timestamptz AND l.ordered_at < ${to}::timestamptz
      AND ${anyOf('l.location_id', filter.locationIds, 'uuid')} AND ${anyOf('l.location_id', visible, 'uuid')} AND ${anyOf('l.sku', filter.skus, 'text')}
      AND ${anyOf('l.category', filter.categories?.map((category) => category.trim().toLowerCase()), 'text')} AND ${anyOf('l.campaign_id', filter.campaignIds, 'uuid')}`;
}

function metricsOf(row: Pick<ReportRow, 'order_count' | 'unit_count' | 'revenue' | 'discount'>): SalesReportMetricsModel {
  const orderCount = Number(row.order_count ?? 0);
  const revenue = new Decimal(row.revenue ?? 0);
  return {
    orderCount,
    unitsSold: Number(row.unit_count ?? 0),
    revenue: revenue.toFixed(2),
    discount: new Decimal(row.discount ?? 0).toFixed(2),
    averageOrderValue: orderCount ? revenue.dividedBy(orderCount).toFixed(2, Decimal.ROUND_HALF_UP) : '0.00',
  };
}

function toRow(row: ReportRow, groupBy: SalesReportDimension[]): SalesReportRowModel {
  const has = (dimension: SalesReportDimension) => groupBy.includes(dimension);
  return {
    location: has('LOCATION') && row.location ? { id: row.location } : null,
    region: has('REGION') ? row.region : null,
    channel: has('CHANNEL') ? (row.channel as SalesReportRowModel['channel']) : null,
    day: has('DAY') ? row.day : null,
    week: has('WEEK') ? row.week : null,
    month: has('MONTH') ? row.month : null,
    category: has('CATEGORY') ? row.category : null,
    product: has('PRODUCT') && row.product ? { sku: row.product } : null,
    ...metricsOf(row),
  };
}
