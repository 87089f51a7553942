import DataLoader from 'dataloader';
import { isUuid } from '@joinery/core';
import type { InventoryLevel, Location, PrismaClient, Product } from './generated/prisma/client';

export interface Loaders {
  location: DataLoader<string, Location | null>;
  product: DataLoader<string, Product | null>;
  /** All levels of a product, over every location. */
  levelsBySku: DataLoader<string, InventoryLevel[]>;
}

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

export function createLoaders(prisma: PrismaClient): Loaders {
  return {
    location: new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await prisma.location.findMany({ where: { id: { in: valid } } }) : [];
      return byKey(ids, rows, (row) => row.id);
    }),
    product: new DataLoader(async (skus) => byKey(skus, await prisma.product.findMany({ where: { sku: { in: [...skus] } } }), (row) => row.sku)),
    levelsBySku: new DataLoader(async (skus) => {
      const rows = await prisma.inventoryLevel.findMany({ where: { sku: { in: [...skus] } }, orderBy: [{ sku: 'asc' }, { locationId: 'asc' }] });
      const bySku = new Map<string, InventoryLevel[]>();
      for (const row of rows) bySku.set(row.sku, [...(bySku.get(row.sku) ?? []), row]);
      return skus.map((sku) => bySku.get(sku) ?? []);
    }),
  };
}
