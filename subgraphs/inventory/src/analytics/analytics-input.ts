/**
 * Arguments of the inventory reports, checked once (a bad one is a BAD_USER_INPUT GraphQL error
 * naming the argument), and the SQL they turn into: the level filter and the grouping columns.
 */
import { graphQLError, isUuid } from '@joinery/core';
import { Prisma } from '../generated/prisma/client';

export type InventoryDimension = 'LOCATION' | 'CATEGORY' | 'PRODUCT';

export interface InventoryAnalyticsFilter {
  locationIds?: string[] | null;
  categories?: string[] | null;
  skus?: string[] | null;
}

/** A filter with only what is set; ids in the case the tables store them. */
export interface LevelFilter {
  locationIds?: string[];
  categories?: string[];
  skus?: string[];
}

/** Most entries of one filter list. */
export const MAX_FILTER_VALUES = 1_000;

function badInput(argumentName: string, message: string): Error {
  return graphQLError('BAD_USER_INPUT', message, { argumentName });
}

export function readFilter(filter: InventoryAnalyticsFilter | null | undefined): LevelFilter {
  const normal: LevelFilter = {};
  if (!filter) return normal;
  const list = (name: keyof InventoryAnalyticsFilter, values: string[] | null | undefined): string[] | undefined => {
    if (values == null) return undefined;
    if (values.length > MAX_FILTER_VALUES) throw badInput('filter', `filter.${name} has at most ${MAX_FILTER_VALUES} entries; got ${values.length}`);
    return [...new Set(values)];
  };
  const locationIds = list('locationIds', filter.locationIds);
  if (locationIds) {
    const bad = locationIds.find((id) => !isUuid(id));
    if (bad !== undefined) throw badInput('filter', `filter.locationIds: ${JSON.stringify(bad)} is not a location id (a UUID)`);
    normal.locationIds = locationIds.map((id) => id.toLowerCase());
  }
  // Categories are stored in lower case (createProduct lowers them).
  const categories = list('categories', filter.categories);
  if (categories) normal.categories = [...new Set(categories.map((category) => category.trim().toLowerCase()))];
  // Skus are stored trimmed and in upper case (createProduct normalises them so).
  const skus = list('skus', filter.skus);
  if (skus) normal.skus = [...new Set(skus.map((sku) => sku.trim().toUpperCase()))];
  return normal;
}

/** An integer argument within [min, max]. */
export function readInt(argumentName: string, value: number | null | undefined, fallback: number, min: number, max: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min || chosen > max) {
    throw badInput(argumentName, `${argumentName} must be an integer from ${min} to ${max}; got ${chosen}`);
  }
  return chosen;
}

export function readDimensions(groupBy: readonly InventoryDimension[] | null | undefined, fallback: InventoryDimension[]): InventoryDimension[] {
  return [...new Set(groupBy ?? fallback)];
}

/** Longest period a report covers: three years and a leap day, as salesReport. */
export const MAX_PERIOD_DAYS = 1_096;
const DAY_MS = 86_400_000;

/**
 * [from, to) with `to` defaulting to now. The ledger holds nothing after now, so a `to` in the
 * future is answered up to now (the report's `to` says so) and a `from` in the future is refused;
 * `from` must come before `to`, and the period is at most MAX_PERIOD_DAYS long (reports read every
 * movement of their period).
 */
export function readPeriod(from: Date, to: Date | null | undefined, now = new Date()): { from: Date; to: Date } {
  if (from.getTime() >= now.getTime()) throw badInput('from', `from (${from.toISOString()}) is not in the past (now is ${now.toISOString()}); the ledger has nothing after now`);
  const end = to == null || to.getTime() > now.getTime() ? now : to;
  if (!(from.getTime() < end.getTime())) throw badInput('from', `from (${from.toISOString()}) must be before to (${end.toISOString()})`);
  if (end.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY_MS) {
    throw badInput('from', `The period from ${from.toISOString()} to ${end.toISOString()} is longer than ${MAX_PERIOD_DAYS.toLocaleString('en')} days, the longest one report covers; ask for each part apart`);
  }
  return { from, to: end };
}

/**
 * Conditions on a source with columns location_id, sku and category (use `categories: false`
 * where there is no category column, e.g. movements).
 */
export function filterSql(filter: LevelFilter, columns: { location: Prisma.Sql; sku: Prisma.Sql; category?: Prisma.Sql }): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`true`];
  if (filter.locationIds) parts.push(Prisma.sql`${columns.location} = ANY(${filter.locationIds}::uuid[])`);
  if (filter.skus) parts.push(Prisma.sql`${columns.sku} = ANY(${filter.skus}::text[])`);
  if (filter.categories && columns.category) parts.push(Prisma.sql`${columns.category} = ANY(${filter.categories}::text[])`);
  return Prisma.join(parts, ' AND ');
}

/**
 * The grouping of a source with columns location_id, category and sku: what to select (always the
 * three keys, null where not grouped), what to group by, and an order that makes ties stable.
 * PRODUCT groups by category too: a product has one, so the groups are the same.
 */
export function groupingSql(dimensions: InventoryDimension[], source = 'source') {
  const has = (dimension: InventoryDimension) => dimensions.includes(dimension);
  const column = (name: string) => Prisma.raw(`${source}.${name}`);
  const keys: Prisma.Sql[] = [];
  if (has('LOCATION')) keys.push(column('location_id'));
  if (has('CATEGORY') || has('PRODUCT')) keys.push(column('category'));
  if (has('PRODUCT')) keys.push(column('sku'));
  return {
    select: Prisma.sql`${has('LOCATION') ? Prisma.sql`${column('location_id')}::text` : Prisma.sql`NULL::text`} AS location_id,
      ${has('CATEGORY') || has('PRODUCT') ? column('category') : Prisma.sql`NULL::text`} AS category,
      ${has('PRODUCT') ? column('sku') : Prisma.sql`NULL::text`} AS sku`,
    groupBy: keys.length ? Prisma.join(keys, ', ') : Prisma.sql`()`,
    /** After the metric: keys, on the grouped rows' output names. */
    tieBreak: Prisma.sql`location_id, category, sku`,
  };
}

export const toGroupKeys = (row: { location_id: string | null; category: string | null; sku: string | null }) => ({
  locationId: row.location_id,
  category: row.category,
  sku: row.sku,
});

/** The levels a filter selects, with what reports need of each: columns location_id, sku, category, price, on_hand, available. */
export function levelsSql(filter: LevelFilter): Prisma.Sql {
  return Prisma.sql`
    SELECT level.location_id, level.sku, product.category, product.price, level.on_hand, level.on_hand - level.committed - level.damaged AS available
    FROM inventory_levels AS level JOIN products AS product ON product.sku = level.sku
    WHERE ${filterSql(filter, { location: Prisma.sql`level.location_id`, sku: Prisma.sql`level.sku`, category: Prisma.sql`product.category` })}`;
}

/** Conditions on stock_movements AS movement that narrow it to the filter's locations and skus before joining the levels. */
export function movementFilterSql(filter: LevelFilter): Prisma.Sql {
  return filterSql(filter, { location: Prisma.sql`movement.location_id`, sku: Prisma.sql`movement.sku` });
}

/**
 * Net units sold per level over [since, until): SALE units less RETURN units (either condition),
 * from on-hand (AVAILABLE) movements. Columns location_id, sku, net_sold.
 */
export function netSoldSql(filter: LevelFilter, since: Prisma.Sql, until: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT movement.location_id, movement.sku, -sum(movement.delta)::bigint AS net_sold
    FROM stock_movements AS movement
    WHERE movement.reason IN ('SALE', 'RETURN') AND movement.state = 'AVAILABLE'
      AND movement.occurred_at >= ${since} AND movement.occurred_at < ${until} AND ${movementFilterSql(filter)}
    GROUP BY movement.location_id, movement.sku`;
}
