/**
 * Movement history: pages of a level's, a location's or a product's movements, newest first,
 * filtered by reason, state, actor, reference and time. Pages asked for many levels (locations,
 * products) in one request share one query.
 */
import DataLoader from 'dataloader';
import { connection, graphQLError, InputErrors, isSequenceId, isUuid, readPage, type PageArgs } from '@joinery/core';
import { Prisma, type InventoryState, type PrismaClient, type StockMovement, type StockMovementReason } from './generated/prisma/client';
import { canonicalReference } from './stock-rules';

type Scope = 'level' | 'location' | 'product';

export interface StockMovementFilter {
  reasons?: StockMovementReason[] | null;
  states?: InventoryState[] | null;
  actor?: string | null;
  reference?: string | null;
  /** Inclusive. */
  from?: Date | string | null;
  /** Exclusive. */
  to?: Date | string | null;
}

/** A filter as loaders key it: only what is set, instants as ISO text. */
interface NormalFilter {
  reasons?: StockMovementReason[];
  states?: InventoryState[];
  actor?: string;
  reference?: string;
  from?: string;
  to?: string;
  /** Only these locations (lower case): a product's movements as a caller limited to some locations sees them. */
  locationIds?: string[];
}

export interface MovementPageKey {
  scope: Scope;
  locationId: string | null;
  sku: string | null;
  take: number;
  /** Movement id: rows older than it. */
  before: string | null;
  filter: NormalFilter;
}

type MovementCountKey = Omit<MovementPageKey, 'take' | 'before'>;

interface MovementRow {
  position: bigint;
  id: bigint;
  location_id: string;
  sku: string;
  delta: number;
  quantity_after: number;
  reason: StockMovementReason;
  reference: string | null;
  state: InventoryState;
  actor: string;
  occurred_at: Date;
}

const toMovement = (row: MovementRow): StockMovement => ({
  id: BigInt(row.id), locationId: row.location_id, sku: row.sku, delta: row.delta, quantityAfter: row.quantity_after,
  reason: row.reason, reference: row.reference, state: row.state, actor: row.actor, occurredAt: row.occurred_at,
});

function scopeSql(scope: Scope): Prisma.Sql {
  if (scope === 'level') return Prisma.sql`location_id = wanted.location_id AND sku = wanted.sku`;
  if (scope === 'location') return Prisma.sql`location_id = wanted.location_id`;
  return Prisma.sql`sku = wanted.sku`;
}

function filterSql(filter: NormalFilter): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  if (filter.reasons) parts.push(Prisma.sql`AND reason = ANY(${filter.reasons}::text[]::stock_movement_reason[])`);
  if (filter.states) parts.push(Prisma.sql`AND state = ANY(${filter.states}::text[]::inventory_state[])`);
  if (filter.actor !== undefined) parts.push(Prisma.sql`AND actor = ${filter.actor}`);
  if (filter.reference !== undefined) parts.push(Prisma.sql`AND reference = ${filter.reference}`);
  if (filter.from !== undefined) parts.push(Prisma.sql`AND occurred_at >= ${filter.from}::timestamptz`);
  if (filter.to !== undefined) parts.push(Prisma.sql`AND occurred_at < ${filter.to}::timestamptz`);
  if (filter.locationIds !== undefined) parts.push(Prisma.sql`AND location_id = ANY(${filter.locationIds}::uuid[])`);
  return parts.length ? Prisma.join(parts, ' ') : Prisma.empty;
}

function groupBy<K>(keys: readonly K[], groupOf: (key: K) => string): Map<string, { key: K; index: number }[]> {
  const groups = new Map<string, { key: K; index: number }[]>();
  keys.forEach((key, index) => groups.set(groupOf(key), [...(groups.get(groupOf(key)) ?? []), { key, index }]));
  return groups;
}

const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();

export function createMovementLoaders(prisma: PrismaClient) {
  return {
    movementPage: new DataLoader<MovementPageKey, StockMovement[], string>(
      async (keys) => {
        const pages: StockMovement[][] = keys.map(() => []);
        for (const group of groupBy(keys, ({ scope, take, before, filter }) => JSON.stringify([scope, take, before, filter])).values()) {
          const { scope, take, before, filter } = group[0].key;
          // LATERAL … LIMIT walks each scope's (…, id) index backwards and stops after `take` rows.
          const rows = await prisma.$queryRaw<MovementRow[]>`
            SELECT wanted.position, movement.id, movement.location_id::text AS location_id, movement.sku, movement.delta, movement.quantity_after,
                   movement.reason::text AS reason, movement.reference, movement.state::text AS state, movement.actor, movement.occurred_at
            FROM unnest(${group.map(({ key }) => key.locationId)}::uuid[], ${group.map(({ key }) => key.sku)}::text[]) WITH ORDINALITY AS wanted(location_id, sku, position)
            CROSS JOIN LATERAL (
              SELECT * FROM stock_movements
              WHERE ${scopeSql(scope)} ${before === null ? Prisma.empty : Prisma.sql`AND id < ${BigInt(before)}`} ${filterSql(filter)}
              ORDER BY id DESC
              LIMIT ${take}
            ) AS movement
            ORDER BY wanted.position, movement.id DESC`;
          for (const row of rows) pages[group[Number(row.position) - 1].index].push(toMovement(row));
        }
        return pages;
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
    movementCount: new DataLoader<MovementCountKey, number, string>(
      async (keys) => {
        const counts: number[] = keys.map(() => 0);
        for (const group of groupBy(keys, ({ scope, filter }) => JSON.stringify([scope, filter])).values()) {
          const { scope, filter } = group[0].key;
          const rows = await prisma.$queryRaw<{ position: bigint; count: number }[]>`
            SELECT wanted.position, (SELECT count(*)::int FROM stock_movements WHERE ${scopeSql(scope)} ${filterSql(filter)}) AS count
            FROM unnest(${group.map(({ key }) => key.locationId)}::uuid[], ${group.map(({ key }) => key.sku)}::text[]) WITH ORDINALITY AS wanted(location_id, sku, position)`;
          for (const row of rows) counts[group[Number(row.position) - 1].index] = row.count;
        }
        return counts;
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
  };
}

export type MovementLoaders = ReturnType<typeof createMovementLoaders>;

function normalFilter(filter: StockMovementFilter | null | undefined): NormalFilter {
  if (!filter) return {};
  const errors = new InputErrors();
  const field = (name: string) => ['filter', name];
  const normal: NormalFilter = {};
  if (filter.reasons?.length) normal.reasons = [...new Set(filter.reasons)].sort();
  if (filter.states?.length) normal.states = [...new Set(filter.states)].sort();
  if (filter.actor != null) normal.actor = errors.text(field('actor'), filter.actor, { max: 200 });
  // UUID references are stored in lower case; a UUID given in upper case is the same reference.
  if (filter.reference != null) normal.reference = canonicalReference(errors.text(field('reference'), filter.reference, { max: 200 }));
  if (filter.from != null) normal.from = iso(filter.from);
  if (filter.to != null) normal.to = iso(filter.to);
  // A query has no userErrors: a bad filter is a GraphQL error naming the argument.
  if (errors.errors.length) throw graphQLError('BAD_USER_INPUT', errors.errors.map((error) => error.message).join('; '), { argumentName: 'filter' });
  return normal;
}

/** Reads movement history; movements are never rewritten, so pages stay stable as new ones arrive. */
export class MovementHistory {
  constructor(private readonly loaders: MovementLoaders) {}

  /**
   * Movements of a level (`locationId` and `sku`), a location (`locationId`) or a product (`sku`),
   * newest first; `within` (lower-case location ids) keeps only those locations' movements.
   */
  async movements(where: { locationId?: string; sku?: string }, args: PageArgs, filter?: StockMovementFilter | null, within?: readonly string[]) {
    const page = readPage(args, isSequenceId);
    const scope: Scope = where.locationId && where.sku ? 'level' : where.locationId ? 'location' : 'product';
    const normal = normalFilter(filter);
    if (within) normal.locationIds = [...within].sort();
    if (where.locationId !== undefined && !isUuid(where.locationId)) return connection([], page, (row: StockMovement) => String(row.id), async () => 0);
    const locationId = where.locationId?.toLowerCase() ?? null;
    const sku = where.sku ?? null;
    const rows = await this.loaders.movementPage.load({ scope, locationId, sku, take: page.take, before: page.after, filter: normal });
    return connection(rows, page, (row) => String(row.id), () => this.loaders.movementCount.load({ scope, locationId, sku, filter: normal }));
  }
}

