/**
 * Read side of attribution: every figure is grouped in SQL. Precomputed models read the daily
 * rollup for the whole local days inside [from, to) and the credits table for the two edge days
 * (cut at the exact instants); other parameters compute credits live from the order facts.
 */
import Decimal from 'decimal.js';
import { Prisma } from '../generated/prisma/client';
import { categorySplitQuery, creditsQuery, isPrecomputed, ORDER_FACT_COLUMNS, type AttributionModel, type AttributionParameters } from './attribution-sql';
import type { RunSql } from './attribution-store';

export interface AttributionRequest extends AttributionParameters {
  model: AttributionModel;
  from: Date | null;
  to: Date | null;
  /**
   * Count only orders placed at these locations (a scoped caller's, docs/security.md); undefined:
   * every location. The comparison also keeps only campaigns such a caller may see, and shows
   * spend only for campaigns wholly within these locations (spend is per campaign, not per store).
   */
  locations?: readonly string[];
}

export type AttributionSource = 'ROLLUP' | 'LIVE';

export const sourceOf = (request: AttributionRequest): AttributionSource => (isPrecomputed(request.model, request) ? 'ROLLUP' : 'LIVE');

export interface Figures {
  orderCount: number;
  unitsSold: number;
  revenue: string;
  conversions: number;
}

export interface CampaignSummary extends Figures {
  byLocation: (Figures & { location: { id: string } })[];
  byDay: (Figures & { start: string })[];
  byWeek: (Figures & { start: string })[];
}

export interface CategoryFigures {
  category: string;
  orderCount: number;
  unitsSold: number;
  revenue: string;
}

/** One campaign, or every campaign and the unattributed share. */
type Scope = { campaignId: string } | 'all';

const EMPTY = Prisma.empty;
const ONE_DAY_BOUND = Prisma.raw(`interval '2 days'`);

function campaignCondition(alias: string, scope: Scope): Prisma.Sql {
  return scope === 'all' ? EMPTY : Prisma.sql`AND ${Prisma.raw(alias)}.campaign_id = ${scope.campaignId}::uuid`;
}

/** Rows whose location is one of the request's (no condition for every location). */
function locationCondition(column: string, request: AttributionRequest): Prisma.Sql {
  return request.locations ? Prisma.sql`AND ${Prisma.raw(column)} = ANY(${[...request.locations]}::uuid[])` : EMPTY;
}

function orderedAtCondition(column: string, request: AttributionRequest): Prisma.Sql {
  const col = Prisma.raw(column);
  return Prisma.sql`${request.from ? Prisma.sql`AND ${col} >= ${request.from}::timestamptz` : EMPTY} ${request.to ? Prisma.sql`AND ${col} < ${request.to}::timestamptz` : EMPTY}`;
}

/**
 * Per (campaign_id, location_id, local_date): order_count, units, conversions, revenue of the
 * orders placed in [from, to). Campaign NULL is the unattributed share.
 */
function cellsQuery(request: AttributionRequest, scope: Scope, source: AttributionSource): Prisma.Sql {
  const model = Prisma.sql`${request.model}::attribution_model`;
  if (source === 'LIVE') {
    // Only orders the campaign can be on the path of: carrying it, or with one of its touches in the lookback.
    const reach = scope === 'all' ? EMPTY : Prisma.sql`AND (o.campaign_id = ${scope.campaignId}::uuid OR EXISTS (
        SELECT 1 FROM touchpoints t WHERE t.customer_id = o.customer_id AND t.campaign_id = ${scope.campaignId}::uuid
          AND t.occurred_at >= o.ordered_at - make_interval(hours => 24 * ${request.lookbackDays}::int) AND t.occurred_at <= o.ordered_at))`;
    // Credits of one order depend on that order alone, so leaving out other locations' orders first changes none of them.
    const orders = Prisma.sql`SELECT ${ORDER_FACT_COLUMNS} FROM marketing_orders o WHERE true ${orderedAtCondition('o.ordered_at', request)} ${locationCondition('o.location_id', request)} ${reach}`;
    return Prisma.sql`
      SELECT c.campaign_id, c.location_id, c.local_date, count(*)::int AS order_count, sum(c.unit_count)::int AS units, sum(c.weight) AS conversions, sum(c.revenue) AS revenue
      FROM (${creditsQuery(orders, [request.model], request)}) c
      WHERE true ${campaignCondition('c', scope)}
      GROUP BY c.campaign_id, c.location_id, c.local_date`;
  }
  const { from, to } = request;
  // Whole local days strictly between the days holding `from` and `to` (the UTC bounds let the index narrow first).
  const interior = Prisma.sql`
    SELECT d.campaign_id, d.location_id, d.local_date, d.order_count, d.units, d.conversions, d.revenue
    FROM attribution_daily d
    WHERE d.model = ${model} ${campaignCondition('d', scope)} ${locationCondition('d.location_id', request)}
      ${from ? Prisma.sql`AND d.local_date >= (${from}::timestamptz AT TIME ZONE 'UTC')::date - 1 AND d.local_date > (${from}::timestamptz AT TIME ZONE d.location_timezone)::date` : EMPTY}
      ${to ? Prisma.sql`AND d.local_date <= (${to}::timestamptz AT TIME ZONE 'UTC')::date + 1 AND d.local_date < (${to}::timestamptz AT TIME ZONE d.location_timezone)::date` : EMPTY}`;
  if (!from && !to) return interior;
  const edges = [
    from ? Prisma.sql`(c.ordered_at < ${from}::timestamptz + ${ONE_DAY_BOUND} AND c.local_date = (${from}::timestamptz AT TIME ZONE c.location_timezone)::date)` : null,
    to ? Prisma.sql`(c.ordered_at >= ${to}::timestamptz - ${ONE_DAY_BOUND} AND c.local_date = (${to}::timestamptz AT TIME ZONE c.location_timezone)::date)` : null,
  ].filter((edge): edge is Prisma.Sql => edge !== null);
  return Prisma.sql`
    ${interior}
    UNION ALL
    SELECT c.campaign_id, c.location_id, c.local_date, count(*)::int, sum(c.unit_count)::int, sum(c.weight), sum(c.revenue)
    FROM attribution_credits c
    WHERE c.model = ${model} ${campaignCondition('c', scope)} ${orderedAtCondition('c.ordered_at', request)} ${locationCondition('c.location_id', request)}
      AND (${Prisma.join(edges, ' OR ')})
    GROUP BY c.campaign_id, c.location_id, c.local_date`;
}

interface SummaryRow {
  level: 'total' | 'location' | 'day' | 'week';
  location_id: string | null;
  start: string | null;
  order_count: number;
  units: number;
  conversions: string | null;
  revenue: string | null;
}

const figures = (row: SummaryRow): Figures => ({
  orderCount: Number(row.order_count ?? 0),
  unitsSold: Number(row.units ?? 0),
  revenue: row.revenue?.toString() ?? '0.00',
  conversions: Number(row.conversions ?? 0),
});

/** Totals, byLocation, byDay and byWeek of one campaign in one statement (GROUPING SETS). */
/** `source` defaults to what the request allows; tests force LIVE to compare it with the rollup. */
export async function campaignSummary(run: RunSql, campaignId: string, request: AttributionRequest, source = sourceOf(request)): Promise<CampaignSummary> {
  const rows = await run<SummaryRow>(Prisma.sql`
    WITH cells AS (${cellsQuery(request, { campaignId }, source)})
    SELECT CASE WHEN grouping(location_id) = 0 THEN 'location' WHEN grouping(local_date) = 0 THEN 'day' WHEN grouping(week) = 0 THEN 'week' ELSE 'total' END AS level,
      location_id::text AS location_id, to_char(coalesce(local_date, week), 'YYYY-MM-DD') AS start,
      sum(order_count)::int AS order_count, sum(units)::int AS units, sum(conversions)::text AS conversions, sum(revenue)::numeric(16,2)::text AS revenue
    FROM (SELECT cells.*, date_trunc('week', local_date)::date AS week FROM cells) c
    GROUP BY GROUPING SETS ((), (location_id), (local_date), (week))
    ORDER BY level, sum(revenue) DESC, location_id, start`);
  const total = rows.find((row) => row.level === 'total');
  return {
    ...(total ? figures(total) : { orderCount: 0, unitsSold: 0, revenue: '0.00', conversions: 0 }),
    byLocation: rows.filter((row) => row.level === 'location').map((row) => ({ location: { id: row.location_id! }, ...figures(row) })),
    byDay: rows.filter((row) => row.level === 'day').map((row) => ({ start: row.start!, ...figures(row) })).sort((a, b) => a.start.localeCompare(b.start)),
    byWeek: rows.filter((row) => row.level === 'week').map((row) => ({ start: row.start!, ...figures(row) })).sort((a, b) => a.start.localeCompare(b.start)),
  };
}

/** One campaign's credit split by category: the precomputed split, or a live one. */
export async function campaignCategories(run: RunSql, campaignId: string, request: AttributionRequest, source = sourceOf(request)): Promise<CategoryFigures[]> {
  let split: Prisma.Sql;
  if (source === 'ROLLUP') {
    // The category split keeps no location: its order's fact has it.
    const located = request.locations
      ? Prisma.sql`AND EXISTS (SELECT 1 FROM marketing_orders o WHERE o.order_id = c.order_id ${locationCondition('o.location_id', request)})`
      : EMPTY;
    split = Prisma.sql`SELECT * FROM attribution_category_credits c WHERE c.model = ${request.model}::attribution_model AND c.campaign_id = ${campaignId}::uuid ${orderedAtCondition('c.ordered_at', request)} ${located}`;
  } else {
    const orders = Prisma.sql`SELECT ${ORDER_FACT_COLUMNS} FROM marketing_orders o WHERE true ${orderedAtCondition('o.ordered_at', request)} ${locationCondition('o.location_id', request)}
      AND (o.campaign_id = ${campaignId}::uuid OR EXISTS (SELECT 1 FROM touchpoints t WHERE t.customer_id = o.customer_id AND t.campaign_id = ${campaignId}::uuid
        AND t.occurred_at >= o.ordered_at - make_interval(hours => 24 * ${request.lookbackDays}::int) AND t.occurred_at <= o.ordered_at))`;
    split = categorySplitQuery(Prisma.sql`SELECT * FROM (${creditsQuery(orders, [request.model], request)}) credits WHERE campaign_id = ${campaignId}::uuid`);
  }
  const rows = await run<{ category: string; order_count: number; units: number; revenue: string }>(Prisma.sql`
    SELECT category, count(*)::int AS order_count, sum(units)::int AS units, sum(revenue)::numeric(16,2)::text AS revenue
    FROM (${split}) s GROUP BY category ORDER BY sum(revenue) DESC, category COLLATE "C"`);
  return rows.map((row) => ({ category: row.category, orderCount: Number(row.order_count), unitsSold: Number(row.units), revenue: row.revenue }));
}

/** Spend entries of one campaign (or all) whose day, starting at UTC midnight, lies in [from, to). */
function spendCondition(request: AttributionRequest): Prisma.Sql {
  return orderedAtCondition(`(s.spend_date::timestamp AT TIME ZONE 'UTC')`, request);
}

export async function campaignSpend(run: RunSql, campaignId: string, request: AttributionRequest): Promise<string> {
  const [row] = await run<{ spend: string }>(Prisma.sql`
    SELECT coalesce(sum(s.amount), 0)::numeric(16,2)::text AS spend FROM campaign_spend_entries s WHERE s.campaign_id = ${campaignId}::uuid ${spendCondition(request)}`);
  return row.spend;
}

/**
 * For a scoped request, spend only of campaigns wholly within its locations (targets, all of them
 * among the locations): the spend of a campaign that also runs elsewhere, or everywhere, is not
 * theirs to see, and is not split by store.
 */
function spendScope(request: AttributionRequest): Prisma.Sql {
  if (!request.locations) return EMPTY;
  return Prisma.sql`AND EXISTS (SELECT 1 FROM campaigns k WHERE k.id = s.campaign_id AND cardinality(k.target_location_ids) > 0 AND k.target_location_ids <@ ${[...request.locations]}::uuid[])`;
}

/** For a scoped request, the campaigns its caller may see: targeting every location, or one of theirs (campaign alias c). */
function visibleCampaigns(request: AttributionRequest): Prisma.Sql {
  if (!request.locations) return EMPTY;
  return Prisma.sql`AND (cardinality(c.target_location_ids) = 0 OR c.target_location_ids && ${[...request.locations]}::uuid[])`;
}

export type CampaignSortField = 'REVENUE' | 'ORDER_COUNT' | 'UNITS_SOLD' | 'CONVERSIONS' | 'SPEND' | 'ROAS' | 'ROI' | 'NAME';

const SORT_COLUMNS: Record<CampaignSortField, string> = {
  REVENUE: 'revenue', ORDER_COUNT: 'order_count', UNITS_SOLD: 'units', CONVERSIONS: 'conversions', SPEND: 'spend', ROAS: 'roas', ROI: 'roi', NAME: 'name',
};

export interface ComparisonRow extends Figures {
  campaignId: string;
  spend: string | null;
  roas: number | null;
  roi: number | null;
}

export interface Comparison {
  rows: ComparisonRow[];
  totalCount: number;
  totals: { revenue: string; attributedRevenue: string; unattributedRevenue: string; conversions: number; spend: string | null; roas: number | null; roi: number | null };
}

/** Every campaign with credits or spend in the period, sorted in SQL, and the period's totals. */
export async function compareCampaigns(run: RunSql, request: AttributionRequest, sort: { field: CampaignSortField; direction: 'ASC' | 'DESC'; first: number }, source = sourceOf(request)): Promise<Comparison> {
  const direction = Prisma.raw(sort.direction === 'ASC' ? 'ASC' : 'DESC');
  const column = Prisma.raw(SORT_COLUMNS[sort.field]);
  const rows = await run<{ kind: 'row' | 'totals'; campaign_id: string | null; order_count: number; units: number; conversions: string; revenue: string; spend: string; roas: string | null; roi: string | null; unattributed: string | null; total_count: number }>(Prisma.sql`
    WITH cells AS (${cellsQuery(request, 'all', source)}),
    per_campaign AS (
      SELECT campaign_id, sum(order_count)::int AS order_count, sum(units)::int AS units, sum(conversions) AS conversions, sum(revenue) AS revenue
      FROM cells GROUP BY campaign_id
    ),
    spend AS (SELECT s.campaign_id, sum(s.amount) AS spend FROM campaign_spend_entries s WHERE true ${spendCondition(request)} ${spendScope(request)} GROUP BY s.campaign_id),
    campaign_rows AS (
      SELECT c.id AS campaign_id, c.name, coalesce(p.order_count, 0) AS order_count, coalesce(p.units, 0) AS units,
        coalesce(p.conversions, 0) AS conversions, coalesce(p.revenue, 0) AS revenue, coalesce(s.spend, 0) AS spend,
        coalesce(p.revenue, 0) / nullif(s.spend, 0) AS roas, (coalesce(p.revenue, 0) - s.spend) / nullif(s.spend, 0) AS roi
      FROM campaigns c
      LEFT JOIN per_campaign p ON p.campaign_id = c.id
      LEFT JOIN spend s ON s.campaign_id = c.id
      WHERE (p.campaign_id IS NOT NULL OR s.campaign_id IS NOT NULL) ${visibleCampaigns(request)}
    ),
    ranked AS (
      SELECT *, count(*) OVER () AS total_count FROM campaign_rows
      ORDER BY ${column} ${direction} NULLS LAST, campaign_id
      LIMIT ${sort.first}
    ),
    totals AS (
      SELECT sum(p.revenue) FILTER (WHERE p.campaign_id IS NOT NULL) AS attributed, sum(p.revenue) FILTER (WHERE p.campaign_id IS NULL) AS unattributed,
        sum(p.conversions) FILTER (WHERE p.campaign_id IS NOT NULL) AS conversions,
        (SELECT sum(spend) FROM spend) AS spend
      FROM per_campaign p
    )
    SELECT 'row' AS kind, campaign_id::text AS campaign_id, order_count, units, conversions::text AS conversions, revenue::numeric(16,2)::text AS revenue,
      spend::numeric(16,2)::text AS spend, roas::text AS roas, roi::text AS roi, NULL AS unattributed, total_count::int AS total_count,
      row_number() OVER (ORDER BY ${column} ${direction} NULLS LAST, campaign_id) AS position
    FROM ranked
    UNION ALL
    SELECT 'totals', NULL, NULL, NULL, coalesce(conversions, 0)::text, coalesce(attributed, 0)::numeric(16,2)::text, coalesce(spend, 0)::numeric(16,2)::text,
      (coalesce(attributed, 0) / nullif(spend, 0))::text, ((coalesce(attributed, 0) - spend) / nullif(spend, 0))::text,
      coalesce(unattributed, 0)::numeric(16,2)::text, NULL, NULL
    FROM totals
    ORDER BY position NULLS LAST`);
  const totalsRow = rows.find((row) => row.kind === 'totals')!;
  // A scoped caller's attributed revenue is their locations' share, while the spend shown is only
  // that of campaigns wholly within them: a ratio of the two would measure nothing.
  const ratios = !request.locations;
  const campaignRows = rows.filter((row) => row.kind === 'row');
  const attributed = totalsRow.revenue;
  const unattributed = totalsRow.unattributed ?? '0.00';
  return {
    rows: campaignRows.map((row) => ({
      campaignId: row.campaign_id!, orderCount: Number(row.order_count), unitsSold: Number(row.units), conversions: Number(row.conversions), revenue: row.revenue,
      spend: row.spend, roas: row.roas === null ? null : Number(row.roas), roi: row.roi === null ? null : Number(row.roi),
    })),
    totalCount: campaignRows[0]?.total_count ?? 0,
    totals: {
      revenue: new Decimal(attributed).plus(unattributed).toFixed(2),
      attributedRevenue: attributed, unattributedRevenue: unattributed, conversions: Number(totalsRow.conversions), spend: totalsRow.spend,
      roas: !ratios || totalsRow.roas === null ? null : Number(totalsRow.roas), roi: !ratios || totalsRow.roi === null ? null : Number(totalsRow.roi),
    },
  };
}

/** How fresh the figures are: ROLLUP, the consumer's last change; LIVE, now. */
export async function asOf(run: RunSql, source: AttributionSource): Promise<Date> {
  const [row] = await run<{ as_of: Date }>(source === 'ROLLUP'
    ? Prisma.sql`SELECT coalesce((SELECT updated_at FROM attribution_freshness WHERE id = 1), now()) AS as_of`
    : Prisma.sql`SELECT now() AS as_of`);
  return new Date(row.as_of);
}
