/**
 * The attribution rules of docs/attribution.md as SQL: each order's path of touches, the weights
 * of each model, and credits rounded so that one order's credits sum exactly to its total. The
 * consumer (precomputed credits), rebuildAttribution and live queries all use these statements,
 * so ROLLUP and LIVE figures cannot drift apart.
 */
import { Prisma } from '../generated/prisma/client';

export const ATTRIBUTION_MODELS = ['LAST_TOUCH', 'FIRST_TOUCH', 'LINEAR', 'TIME_DECAY', 'POSITION_BASED', 'LAST_NON_DIRECT'] as const;
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number];

export interface AttributionParameters {
  lookbackDays: number;
  halfLifeDays: number;
}

/** The parameters credits are precomputed for (all six models). */
export const DEFAULT_PARAMETERS: AttributionParameters = { lookbackDays: 30, halfLifeDays: 7 };

/** Whether precomputed credits answer this model and these parameters (the half-life only matters to TIME_DECAY). */
export function isPrecomputed(model: AttributionModel, parameters: AttributionParameters): boolean {
  return parameters.lookbackDays === DEFAULT_PARAMETERS.lookbackDays && (model !== 'TIME_DECAY' || parameters.halfLifeDays === DEFAULT_PARAMETERS.halfLifeDays);
}

/** The columns of an attribution_credits row, in the order creditsQuery yields them. */
export const CREDIT_COLUMNS = Prisma.raw('order_id, model, campaign_id, weight, revenue, ordered_at, location_id, location_timezone, local_date, unit_count');

/**
 * Credits of the orders `orders` selects (a SELECT over marketing_orders yielding its columns
 * order_id, customer_id, campaign_id, ordered_at, total_amount, location_id, location_timezone,
 * unit_count) under `models`: one row per (order, model, campaign or NULL for unattributed) with
 * a weight above 0, columns as CREDIT_COLUMNS.
 */
export function creditsQuery(orders: Prisma.Sql, models: readonly AttributionModel[], parameters: AttributionParameters): Prisma.Sql {
  // Hours, not days: a day interval follows the session's time zone (23 or 25 hours across DST).
  const lookback = Prisma.sql`make_interval(hours => 24 * ${parameters.lookbackDays}::int)`;
  const halfLife = Prisma.sql`${String(parameters.halfLifeDays)}::numeric`;
  return Prisma.sql`
    WITH o AS MATERIALIZED (${orders}),
    path AS (
      SELECT o.order_id, t.campaign_id, t.occurred_at, 0 AS kind, t.id AS touch_id
      FROM o JOIN touchpoints t ON t.customer_id = o.customer_id AND t.occurred_at >= o.ordered_at - ${lookback} AND t.occurred_at <= o.ordered_at
      UNION ALL
      -- The order's own campaign: one more touch at the order's time, always the last.
      SELECT o.order_id, o.campaign_id, o.ordered_at, 1, NULL::uuid FROM o WHERE o.campaign_id IS NOT NULL
    ),
    positioned AS (
      SELECT order_id, campaign_id,
        row_number() OVER (PARTITION BY order_id ORDER BY kind, occurred_at, touch_id) AS pos,
        count(*) OVER (PARTITION BY order_id) AS n,
        CASE WHEN campaign_id IS NOT NULL
          THEN row_number() OVER (PARTITION BY order_id, campaign_id IS NULL ORDER BY kind DESC, occurred_at DESC, touch_id DESC NULLS FIRST) END AS campaign_touch_from_last,
        -- Half-lives before the path's latest touch rather than the order: the same weights once
        -- normalised, and the latest touch weighs 1, so the sum never underflows to 0.
        extract(epoch FROM max(occurred_at) OVER (PARTITION BY order_id) - occurred_at) / 86400 / ${halfLife} AS half_lives
      FROM path
    ),
    decayed AS (
      SELECT p.*, d.decay, sum(d.decay) OVER (PARTITION BY p.order_id) AS decay_total
      FROM positioned p CROSS JOIN LATERAL (SELECT CASE WHEN p.half_lives > 2000 THEN 0::numeric ELSE power(2::numeric, -p.half_lives) END AS decay) d
    ),
    touch_weights AS (
      SELECT d.order_id, m.model, d.campaign_id,
        CASE m.model
          WHEN 'LAST_TOUCH' THEN CASE WHEN d.pos = d.n THEN 1 ELSE 0 END
          WHEN 'FIRST_TOUCH' THEN CASE WHEN d.pos = 1 THEN 1 ELSE 0 END
          WHEN 'LINEAR' THEN 1::numeric / d.n
          WHEN 'TIME_DECAY' THEN d.decay / d.decay_total
          WHEN 'POSITION_BASED' THEN CASE WHEN d.n = 1 THEN 1 WHEN d.n = 2 THEN 0.5 WHEN d.pos = 1 OR d.pos = d.n THEN 0.4 ELSE 0.2 / (d.n - 2) END
          ELSE CASE WHEN d.campaign_touch_from_last = 1 THEN 1 ELSE 0 END
        END AS weight
      FROM decayed d CROSS JOIN unnest(${[...models]}::text[]::attribution_model[]) AS m(model)
    ),
    shares AS (
      -- LAST_NON_DIRECT ignores direct touches; the other models give their weight to the unattributed share.
      SELECT order_id, model, campaign_id, round(sum(weight), 20) AS weight
      FROM touch_weights
      WHERE campaign_id IS NOT NULL OR model <> 'LAST_NON_DIRECT'
      GROUP BY order_id, model, campaign_id
      HAVING round(sum(weight), 20) > 0
    ),
    path_shares AS (
      SELECT * FROM shares
      UNION ALL
      -- No campaign touch on the path under LAST_NON_DIRECT: the whole order is unattributed.
      SELECT p.order_id, m.model, NULL::uuid, 1::numeric
      FROM (SELECT DISTINCT order_id FROM path) p CROSS JOIN unnest(${[...models]}::text[]::attribution_model[]) AS m(model)
      WHERE NOT EXISTS (SELECT 1 FROM shares s WHERE s.order_id = p.order_id AND s.model = m.model)
    ),
    exact AS (
      SELECT s.order_id, s.model, s.campaign_id, s.weight, o.total_amount, o.ordered_at, o.location_id, o.location_timezone, o.unit_count,
        s.weight * o.total_amount * 100 AS exact_cents
      FROM path_shares s JOIN o ON o.order_id = s.order_id
    ),
    floored AS (
      SELECT e.*, floor(e.exact_cents) AS floor_cents,
        round(e.total_amount * 100) - sum(floor(e.exact_cents)) OVER (PARTITION BY e.order_id, e.model) AS leftover_cents,
        row_number() OVER (PARTITION BY e.order_id, e.model ORDER BY e.exact_cents - floor(e.exact_cents) DESC, e.campaign_id IS NULL, e.campaign_id) AS remainder_rank
      FROM exact e
      WHERE e.weight < 1
    )
    -- A share of weight 1 is the whole order: no rounding, no sort.
    SELECT order_id, model, campaign_id, weight, total_amount AS revenue,
      ordered_at, location_id, location_timezone, (ordered_at AT TIME ZONE location_timezone)::date AS local_date, unit_count
    FROM exact WHERE weight >= 1
    UNION ALL
    SELECT order_id, model, campaign_id, weight,
      ((floor_cents + CASE WHEN remainder_rank <= leftover_cents THEN 1 ELSE 0 END) / 100)::numeric(14,2),
      ordered_at, location_id, location_timezone, (ordered_at AT TIME ZONE location_timezone)::date, unit_count
    FROM floored
    UNION ALL
    -- No touch at all (most orders): the whole order is unattributed, under every model.
    SELECT o.order_id, m.model, NULL::uuid, 1::numeric, o.total_amount,
      o.ordered_at, o.location_id, o.location_timezone, (o.ordered_at AT TIME ZONE o.location_timezone)::date, o.unit_count
    FROM o CROSS JOIN unnest(${[...models]}::text[]::attribution_model[]) AS m(model)
    WHERE NOT EXISTS (SELECT 1 FROM path p WHERE p.order_id = o.order_id)`;
}

/**
 * A campaign's credit in each order split over the order's categories by their share of the
 * order's line totals, cents by largest remainder (ties by category in byte order, COLLATE "C", so
 * PGlite and PostgreSQL agree), so the categories of one order sum exactly to its campaign credit.
 * An order without lines puts its whole credit, and all its units, in 'uncategorized'. `credits`
 * selects credit rows (CREDIT_COLUMNS) of campaigns (not the unattributed share). Yields order_id,
 * model, campaign_id, category, revenue, units, ordered_at.
 */
export function categorySplitQuery(credits: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    WITH c AS MATERIALIZED (${credits}),
    category_totals AS (
      SELECT o.order_id, coalesce(l.category, 'uncategorized') AS category, coalesce(sum(l.line_total), 0) AS category_total,
        coalesce(sum(l.quantity), min(o.unit_count))::int AS units
      FROM (SELECT DISTINCT order_id, unit_count FROM c) o
      LEFT JOIN marketing_order_lines l ON l.order_id = o.order_id
      GROUP BY o.order_id, l.category
    ),
    categories AS (
      SELECT k.*, sum(k.category_total) OVER (PARTITION BY k.order_id) AS lines_total, count(*) OVER (PARTITION BY k.order_id) AS category_count
      FROM category_totals k
    ),
    exact AS (
      SELECT c.order_id, c.model, c.campaign_id, c.ordered_at, c.revenue, k.category, k.units, k.category_count,
        CASE WHEN k.lines_total = 0 THEN c.revenue * 100 / k.category_count ELSE c.revenue * 100 * k.category_total / k.lines_total END AS exact_cents
      FROM c JOIN categories k ON k.order_id = c.order_id
    ),
    floored AS (
      SELECT e.*, floor(e.exact_cents) AS floor_cents,
        round(e.revenue * 100) - sum(floor(e.exact_cents)) OVER (PARTITION BY e.order_id, e.model, e.campaign_id) AS leftover_cents,
        row_number() OVER (PARTITION BY e.order_id, e.model, e.campaign_id ORDER BY e.exact_cents - floor(e.exact_cents) DESC, e.category COLLATE "C") AS remainder_rank
      FROM exact e
      WHERE e.category_count > 1
    )
    -- One category takes the whole credit: no rounding, no sort.
    SELECT order_id, model, campaign_id, category, revenue, units, ordered_at FROM exact WHERE category_count = 1
    UNION ALL
    SELECT order_id, model, campaign_id, category,
      ((floor_cents + CASE WHEN remainder_rank <= leftover_cents THEN 1 ELSE 0 END) / 100)::numeric(14,2),
      units, ordered_at
    FROM floored`;
}

/** The marketing_orders columns creditsQuery reads, for an `orders` fragment. */
export const ORDER_FACT_COLUMNS = Prisma.raw('order_id, customer_id, campaign_id, ordered_at, total_amount, location_id, location_timezone, unit_count');
