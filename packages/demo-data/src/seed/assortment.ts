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

/**
 * `count` products drawn without replacement, bestsellers first in line (Efraimidis-Spirakis):
 * the `count` largest keys log(u) / popularity, ties to the lower index, returned in index order.
 * The keys are sorted as a typed array (no comparator) to find the cut: 200 locations × 20,000
 * products made a comparator sort the slowest part of generating the large brand.
 */
function sample(rng: Rng, products: readonly Product[], count: number): number[] {
  const keys = new Float64Array(products.length);
  for (let i = 0; i < products.length; i += 1) keys[i] = Math.log(rng.next() || Number.MIN_VALUE) / products[i].popularity;
  if (count <= 0) return [];
  const cut = keys.slice().sort()[products.length - Math.min(count, products.length)];
  let above = 0;
  for (let i = 0; i < keys.length; i += 1) if (keys[i] > cut) above += 1;
  let atCut = count - above;
  const chosen: number[] = [];
  for (let i = 0; i < keys.length; i += 1) {
    if (keys[i] > cut) chosen.push(i);
    else if (keys[i] === cut && atCut > 0) {
      chosen.push(i);
      atCut -= 1;
    }
  }
  return chosen;
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

  // Demand by location and product index (typed arrays, not "location|sku" string keys: a large
  // brand has millions of levels).
  const meanQuantity = new Map([...VOCABULARY_BY_CATEGORY].map(([category, vocabulary]) => [category, mean(vocabulary.quantities)]));
  const locationIndex = new Map(locations.map((location, l) => [location.id, l]));
  const dailyUnits = locations.map(() => new Float64Array(products.length));
  const warehouseDemand = locations.map((location) => (location.kind === 'WAREHOUSE' ? new Float64Array(products.length) : null));
  locations.forEach((location, l) => {
    if (!location.salesShare) return;
    const popularity = carried[l].reduce((sum, p) => sum + products[p].popularity, 0);
    const ordersPerDay = (orders * location.salesShare) / days;
    const supplied = location.supplierId === null ? null : warehouseDemand[locationIndex.get(location.supplierId) ?? -1] ?? null;
    for (const p of carried[l]) {
      const product = products[p];
      const units = ordersPerDay * MEAN_LINES * (product.popularity / popularity) * meanQuantity.get(product.category)!;
      dailyUnits[l][p] = units;
      if (supplied) supplied[p] += units;
    }
  });

  const levels: Level[] = [];
  locations.forEach((location, l) => {
    for (const p of carried[l]) {
      const product = products[p];
      const minDelivery = MIN_DELIVERY[product.category];
      if (location.kind === 'WAREHOUSE') {
        const demand = warehouseDemand[l]![p];
        const reorderPoint = Math.ceil(demand * WAREHOUSE_LEAD_DAYS) + minDelivery;
        levels.push({ locationId: location.id, sku: product.sku, reorderPoint, targetStock: reorderPoint + Math.max(3 * minDelivery, Math.ceil(demand * 45)) });
        continue;
      }
      const demand = dailyUnits[l][p];
      const reorderPoint = Math.ceil(demand * STORE_LEAD_DAYS * 1.3) + 1;
      levels.push({ locationId: location.id, sku: product.sku, reorderPoint, targetStock: reorderPoint + Math.max(minDelivery, Math.ceil(demand * 21)) });
    }
  });
  return levels;
}
