import type { Category, Level, Location, Product } from './model';
import type { Rng } from './prng';
import { VOCABULARY_BY_CATEGORY } from './product-vocabulary';

/** Lines per order (1-4) and how often each count occurs. */
export const LINE_COUNTS: [number[], number[]] = [[1, 2, 3, 4], [50, 28, 15, 7]];

/** Days from a store's reorder to the delivery, and from a warehouse's to its supplier's. */
const STORE_LEAD_DAYS = 6;
const WAREHOUSE_LEAD_DAYS = 30;
/** The smallest sensible delivery: chairs come in sets, sofas one at a time. */
const MIN_DELIVERY: Record<Category, number> = { sofas: 2, tables: 2, chairs: 8, beds: 2, lighting: 4, storage: 3, rugs: 3, outdoor: 6 };

const mean = ([values, weights]: [number[], number[]]) =>
  values.reduce((sum, value, i) => sum + value * weights[i], 0) / weights.reduce((a, b) => a + b, 0);
const MEAN_LINES = mean(LINE_COUNTS);

/** `count` products drawn without replacement, bestsellers first in line (Efraimidis-Spirakis). */
function sample(rng: Rng, products: readonly Product[], count: number): number[] {
  return products
    .map((product, i) => [Math.log(rng.next() || Number.MIN_VALUE) / product.popularity, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, count)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

function carriedShare(rng: Rng, location: Location, maxStoreShare: number): number {
  if (location.kind === 'ONLINE') return 0.95;
  if (location.kind === 'WAREHOUSE') return rng.between(0.85, 0.93);
  return 0.3 + 0.3 * (location.salesShare / maxStoreShare) * rng.between(0.9, 1.1);
}

/**
 * Which products each location carries, and the reorder point and restock target of each,
 * sized from the demand the order generator will put on it: online and warehouses carry most
 * of the range, stores a bestseller-heavy part of it.
 */
export function generateAssortment(rng: Rng, locations: readonly Location[], products: readonly Product[], orders: number, days: number): Level[] {
  const maxStoreShare = Math.max(...locations.filter((l) => l.kind === 'STORE').map((l) => l.salesShare), Number.MIN_VALUE);
  const carried = locations.map((location) => {
    const count = Math.min(products.length, Math.max(8, Math.round(products.length * carriedShare(rng, location, maxStoreShare))));
    return sample(rng, products, count);
  });

  const dailyUnits = new Map<string, number>();
  const warehouseDemand = new Map<string, number>();
  locations.forEach((location, l) => {
    if (!location.salesShare) return;
    const popularity = carried[l].reduce((sum, p) => sum + products[p].popularity, 0);
    const ordersPerDay = (orders * location.salesShare) / days;
    for (const p of carried[l]) {
      const product = products[p];
      const units = ordersPerDay * MEAN_LINES * (product.popularity / popularity) * mean(VOCABULARY_BY_CATEGORY.get(product.category)!.quantities);
      dailyUnits.set(`${location.id}|${product.sku}`, units);
      const supplied = `${location.supplierId}|${product.sku}`;
      warehouseDemand.set(supplied, (warehouseDemand.get(supplied) ?? 0) + units);
    }
  });

  return locations.flatMap((location, l) => carried[l].map((p) => {
    const product = products[p];
    const key = `${location.id}|${product.sku}`;
    const minDelivery = MIN_DELIVERY[product.category];
    if (location.kind === 'WAREHOUSE') {
      const demand = warehouseDemand.get(key) ?? 0;
      const reorderPoint = Math.ceil(demand * WAREHOUSE_LEAD_DAYS) + minDelivery;
      return { locationId: location.id, sku: product.sku, reorderPoint, targetStock: reorderPoint + Math.max(3 * minDelivery, Math.ceil(demand * 45)) };
    }
    const demand = dailyUnits.get(key) ?? 0;
    const reorderPoint = Math.ceil(demand * STORE_LEAD_DAYS * 1.3) + 1;
    return { locationId: location.id, sku: product.sku, reorderPoint, targetStock: reorderPoint + Math.max(minDelivery, Math.ceil(demand * 21)) };
  }));
}
