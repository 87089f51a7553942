import type { Brand } from './brand';
import { DAY_MS, HOUR_MS } from './calendar';
import { EventQueue } from './event-queue';
import type { LevelState, MovementReason, StockMovement } from './model';
import { deriveSeed, Rng } from './prng';

/** A restock on its way: picked at a warehouse ('ship') or due at the level ('arrive'). */
interface Restock {
  ms: number;
  level: number;
  kind: 'ship' | 'arrive';
  quantity: number;
  reference: string;
  cancelled: boolean;
}

/** Days a warehouse takes to pick a transfer, a transfer spends on the road, a supplier takes to deliver. */
const PICK_DAYS: [number, number] = [0.5, 1.5];
const TRANSIT_DAYS: [number, number] = [1, 3];
const STORE_SUPPLIER_DAYS: [number, number] = [5, 12];
const WAREHOUSE_SUPPLIER_DAYS: [number, number] = [14, 35];
/** Chance that handling breaks one unit just before a sale. */
const DAMAGE_CHANCE = 0.003;
/** Share of shop levels a final stock count finds empty (sold out, lost or written off). */
const COUNTED_OUT_SHARE = 0.015;

/**
 * Replays the brand's orders against its stock, day by day, as the inventory subgraph would
 * have recorded them: opening deliveries before the first sale, one SALE per order line,
 * restocks by warehouse transfer (warehouse OTHER out, shop RECEIVED in, same TRF reference)
 * or supplier delivery when a level falls to its reorder point, the odd damaged unit, and a
 * final count that finds a few shelves empty. A sale that would oversell pulls the pending
 * delivery forward, so stock never goes negative.
 *
 * Yields movements in id order, `batchSize` (default 5,000) at a time, and returns the levels
 * as they end.
 */
export function* stockLedger(brand: Brand, batchSize = 5_000): Generator<StockMovement[], LevelState[]> {
  const rng = new Rng(deriveSeed(brand.size.seed, 'ledger'));
  const levels = brand.levels;
  const until = brand.size.until.getTime();
  const kindOf = new Map(brand.locations.map((location) => [location.id, location.kind]));
  const supplierOf = new Map(brand.locations.map((location) => [location.id, location.supplierId]));
  // Level index by location and product number: a typed array rather than "location|sku" string
  // keys, which cost seconds at millions of levels and order lines.
  const locationNumber = new Map(brand.locations.map((location, i) => [location.id, i]));
  const skuNumber = new Map(brand.products.map((product, i) => [product.sku, i]));
  const productCount = brand.products.length;
  const levelAt = new Int32Array(brand.locations.length * productCount).fill(-1);
  levels.forEach((level, i) => (levelAt[locationNumber.get(level.locationId)! * productCount + skuNumber.get(level.sku)!] = i));
  const indexOf = (locationId: string | null | undefined, sku: string): number => {
    const location = locationId == null ? undefined : locationNumber.get(locationId);
    const product = skuNumber.get(sku);
    return location === undefined || product === undefined ? -1 : levelAt[location * productCount + product];
  };
  const isWarehouse = levels.map((level) => kindOf.get(level.locationId) === 'WAREHOUSE');
  const supplierLevel = levels.map((level) => indexOf(supplierOf.get(level.locationId), level.sku));
  const onHand = new Int32Array(levels.length);
  const lastMs = new Float64Array(levels.length);
  const pending: (Restock | null)[] = levels.map(() => null);
  const queue = new EventQueue<Restock>();
  const counters = { PO: 0, TRF: 0 };
  const reference = (kind: keyof typeof counters) => `${kind}-${String(++counters[kind]).padStart(6, '0')}`;
  const after = (ms: number, [min, max]: [number, number]) => ms + Math.round(rng.between(min, max) * DAY_MS);

  let out: StockMovement[] = [];
  let nextId = 1;
  function record(level: number, delta: number, reason: MovementReason, ref: string | null, ms: number): void {
    const at = Math.max(ms, lastMs[level]);
    onHand[level] += delta;
    if (onHand[level] < 0) throw new Error(`Seed ledger bug: ${levels[level].sku} at ${levels[level].locationId} went to ${onHand[level]}`);
    lastMs[level] = at;
    const { locationId, sku } = levels[level];
    out.push({ id: nextId++, locationId, sku, delta, quantityAfter: onHand[level], reason, reference: ref, occurredAt: new Date(at) });
  }

  function schedule(restock: Omit<Restock, 'cancelled'>): void {
    const event = { ...restock, cancelled: false };
    pending[restock.level] = event;
    queue.push(event);
  }

  function reorderIfLow(level: number, ms: number): void {
    if (pending[level] || onHand[level] > levels[level].reorderPoint) return;
    const quantity = levels[level].targetStock - onHand[level];
    if (isWarehouse[level]) schedule({ ms: after(ms, WAREHOUSE_SUPPLIER_DAYS), level, kind: 'arrive', quantity, reference: reference('PO') });
    else if (supplierLevel[level] >= 0) schedule({ ms: after(ms, PICK_DAYS), level, kind: 'ship', quantity, reference: reference('TRF') });
    else schedule({ ms: after(ms, STORE_SUPPLIER_DAYS), level, kind: 'arrive', quantity, reference: reference('PO') });
  }

  function run(restock: Restock): void {
    if (restock.cancelled) return;
    pending[restock.level] = null;
    if (restock.kind === 'arrive') {
      record(restock.level, restock.quantity, 'RECEIVED', restock.reference, restock.ms);
      reorderIfLow(restock.level, restock.ms);
      return;
    }
    const warehouse = supplierLevel[restock.level];
    if (onHand[warehouse] >= restock.quantity) {
      record(warehouse, -restock.quantity, 'OTHER', restock.reference, restock.ms);
      reorderIfLow(warehouse, restock.ms);
      schedule({ ...restock, kind: 'arrive', ms: after(restock.ms, TRANSIT_DAYS) });
    } else {
      schedule({ ...restock, kind: 'arrive', ms: after(restock.ms, STORE_SUPPLIER_DAYS), reference: reference('PO') });
    }
  }

  function runUntil(ms: number): void {
    while (queue.size && queue.peek()!.ms <= ms) run(queue.pop()!);
  }

  /** Stock for a sale that would oversell: the delivery on its way arrives early, or the supplier rushes one. */
  function expedite(level: number, quantity: number, ms: number): void {
    const restock = pending[level];
    if (restock) {
      restock.cancelled = true;
      pending[level] = null;
      // A transfer already on the road still arrives; one not yet picked is simply dropped.
      if (restock.kind === 'arrive') record(level, restock.quantity, 'RECEIVED', restock.reference, ms - HOUR_MS);
    }
    if (onHand[level] < quantity) record(level, levels[level].targetStock + quantity - onHand[level], 'RECEIVED', reference('PO'), ms - HOUR_MS);
  }

  const opening = levels.map((_, i) => ({ i, ms: brand.historyStart.getTime() - rng.int(2, 21) * DAY_MS - rng.int(6, 16) * HOUR_MS }));
  opening.sort((a, b) => a.ms - b.ms || a.i - b.i);
  for (const { i, ms } of opening) {
    record(i, levels[i].targetStock, 'RECEIVED', reference('PO'), ms);
    if (out.length >= batchSize) {
      yield out;
      out = [];
    }
  }

  for (const orders of brand.orderBatches()) {
    for (const order of orders) {
      const ms = order.orderedAt.getTime();
      runUntil(ms);
      for (const line of order.lines) {
        const level = indexOf(order.locationId, line.sku);
        if (level < 0) throw new Error(`Seed bug: order ${order.id} sells sku ${line.sku}, which location ${order.locationId} does not carry`);
        if (onHand[level] > line.quantity && rng.chance(DAMAGE_CHANCE)) record(level, -1, 'DAMAGED', null, ms - rng.int(1, 180) * 60_000);
        if (onHand[level] < line.quantity) expedite(level, line.quantity, ms);
        record(level, -line.quantity, 'SALE', order.id, ms);
        reorderIfLow(level, ms);
      }
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
  }
  runUntil(until);

  for (let level = 0; level < levels.length; level += 1) {
    if (isWarehouse[level] || onHand[level] === 0 || !rng.chance(COUNTED_OUT_SHARE)) continue;
    record(level, -onHand[level], 'RECOUNT', 'Stock count', lastMs[level] + rng.next() * (until - lastMs[level]));
  }
  if (out.length) yield out;

  return levels.map((level, i) => ({
    locationId: level.locationId, sku: level.sku, onHand: onHand[i], reorderPoint: level.reorderPoint, updatedAt: new Date(lastMs[i]),
  }));
}
