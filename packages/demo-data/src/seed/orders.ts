import { LINE_COUNTS } from './assortment';
import { CampaignAttribution } from './campaign-attribution';
import { HOUR_MS, UtcOffsets } from './calendar';
import type { Campaign, Level, Location, Order, OrderLine, PaymentMethod, Product } from './model';
import { percentOf } from './money';
import { tradingDays, type TradingDay } from './order-calendar';
import { cumulative, deriveSeed, pickIndex, Rng } from './prng';
import { OrderMemo } from './order-memo';
import { OUTDOOR_SEASON, VOCABULARY_BY_CATEGORY } from './product-vocabulary';
import { dayFactor, hourCurve } from './trading-hours';

const PAYMENT_METHODS: PaymentMethod[] = ['CARD', 'CASH', 'GIFT_CARD', 'INVOICE', 'FINANCING', 'MOBILE_WALLET'];
const STORE_PAYMENTS = [60, 5, 4, 4, 9, 18];
/** Online shops take no cash; invoice (pay later) is common in the Nordics. */
const ONLINE_PAYMENTS = [55, 0, 3, 12, 8, 22];
/** Baskets from this amount are three times as likely to be financed. */
const FINANCING_FROM_CENTS = 150_000;
/** Share of orders with a known customer: online needs an account, in store a loyalty card. */
const IDENTIFIED = { STORE: 0.6, ONLINE: 0.95 };
const ORDERS_PER_CUSTOMER = 2.5;
const LOYAL_ORDERS = 0.4;
const OUTDOOR_PEAK = Math.max(...OUTDOOR_SEASON);

export interface OrderStreamInput {
  seed: number;
  orders: number;
  historyStart: Date;
  until: Date;
  locations: readonly Location[];
  products: readonly Product[];
  levels: readonly Level[];
  campaigns: readonly Campaign[];
}

/** A location that sells, with what it carries and the customers who shop there. */
interface Outlet {
  location: Location;
  products: number[];
  popularity: Float64Array;
  firstCustomer: number;
  customers: number;
}

interface Draft {
  ms: number;
  outlet: Outlet;
  campaign: Campaign | null;
  customerId: string | null;
  paymentMethod: PaymentMethod;
  lines: OrderLine[];
}

function outletsOf(input: OrderStreamInput): Outlet[] {
  const productIndex = new Map(input.products.map((product, i) => [product.sku, i]));
  const carried = new Map<string, number[]>();
  for (const level of input.levels) {
    const list = carried.get(level.locationId) ?? [];
    list.push(productIndex.get(level.sku)!);
    carried.set(level.locationId, list);
  }
  const selling = input.locations.filter((location) => location.salesShare > 0);
  const customers = Math.max(20, Math.round((input.orders * 0.7) / ORDERS_PER_CUSTOMER));
  let firstCustomer = 1;
  return selling.map((location) => {
    const products = carried.get(location.id) ?? [];
    const pool = Math.max(5, Math.round(customers * location.salesShare));
    const outlet = { location, products, popularity: cumulative(products.map((p) => input.products[p].popularity)), firstCustomer, customers: pool };
    firstCustomer += pool;
    return outlet;
  });
}

/**
 * The sales history as a deterministic stream: `batches(n)` yields the same orders in the same
 * (chronological) order every time it is called, n at a time, so the loaders can each walk it
 * without holding the orders as objects: the first walk draws them, later ones read them back
 * from a compact record (OrderMemo).
 */
export function createOrderStream(input: OrderStreamInput): (batchSize?: number) => Generator<Order[]> {
  const { products, until } = input;
  const outlets = outletsOf(input);
  const online = outlets.find((outlet) => outlet.location.kind === 'ONLINE');
  const stores = outlets.filter((outlet) => outlet.location.kind === 'STORE');
  const storeShares = cumulative(stores.map((outlet) => outlet.location.salesShare));
  const days = tradingDays(input.historyStart, until, input.orders, outlets.map((outlet) => outlet.location));
  const attribution = new CampaignAttribution(input.campaigns, days, outlets.map((outlet) => outlet.location));
  const curves = new Map<unknown, Float64Array>();

  function orderTime(rng: Rng, offsets: UtcOffsets, outlet: Outlet, day: TradingDay): number {
    const curve = hourCurve(outlet.location, day.date.getUTCDay());
    let sums = curves.get(curve);
    if (!sums) curves.set(curve, (sums = cumulative(curve[1])));
    const offset = offsets.offsetMs(outlet.location.timezone, day.start);
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const ms = day.start + (curve[0] + pickIndex(rng, sums)) * HOUR_MS + Math.floor(rng.next() * HOUR_MS) - offset;
      if (ms < until.getTime()) return ms;
    }
    // The last day is cut at `until`; if its trading hours are still ahead, any earlier time will do.
    return day.start + Math.floor(rng.next() * (until.getTime() - day.start));
  }

  function customer(rng: Rng, outlet: Outlet): string | null {
    const kind = outlet.location.kind === 'ONLINE' ? 'ONLINE' : 'STORE';
    if (!rng.chance(IDENTIFIED[kind])) return null;
    // Most customers shop at their own store; some also buy online, and online buyers visit stores.
    let pool = outlet;
    if (kind === 'STORE' && online && rng.chance(0.12)) pool = online;
    else if (kind === 'ONLINE' && stores.length && rng.chance(0.3)) pool = stores[pickIndex(rng, storeShares)];
    // A loyal fifth of each pool places a good share of its orders; the rest come now and then.
    const range = rng.chance(LOYAL_ORDERS) ? Math.max(1, Math.round(pool.customers * 0.2)) : pool.customers;
    const number = pool.firstCustomer + Math.floor(range * rng.next());
    return `cus_${String(number).padStart(6, '0')}`;
  }

  // The campaign's target products the outlet carries, in the outlet's order. Walks the (short)
  // target list rather than filtering the outlet's whole range: for 40 campaigns × 200 locations
  // × thousands of products that filter was most of the time spent generating orders.
  const productIndex = new Map(products.map((product, i) => [product.sku, i]));
  const positions = new Map<Outlet, Int32Array>();
  const promotedCache = new Map<string, number[]>();
  function promotedAt(outlet: Outlet, campaign: Campaign): number[] {
    const key = `${campaign.id}|${outlet.location.id}`;
    let promoted = promotedCache.get(key);
    if (!promoted) {
      let position = positions.get(outlet);
      if (!position) {
        position = new Int32Array(products.length);
        outlet.products.forEach((p, i) => (position![p] = i + 1));
        positions.set(outlet, position);
      }
      const at = position;
      const targets = [...new Set(campaign.targetSkus.map((sku) => productIndex.get(sku)).filter((p): p is number => p !== undefined && at[p] > 0))];
      promoted = targets.sort((a, b) => at[a] - at[b]);
      promotedCache.set(key, promoted);
    }
    return promoted;
  }

  function chooseProducts(rng: Rng, outlet: Outlet, campaign: Campaign | null, month: number): number[] {
    const count = Math.min(rng.weighted(...LINE_COUNTS), outlet.products.length);
    const chosen: number[] = [];
    if (campaign?.targetSkus.length && rng.chance(0.8)) {
      const promoted = promotedAt(outlet, campaign);
      if (promoted.length) chosen.push(rng.pick(promoted));
    }
    for (let attempt = 0; chosen.length < count && attempt < 60; attempt += 1) {
      const p = outlet.products[pickIndex(rng, outlet.popularity)];
      if (products[p].category === 'outdoor' && rng.next() * OUTDOOR_PEAK > OUTDOOR_SEASON[month]) continue;
      if (!chosen.includes(p)) chosen.push(p);
    }
    if (!chosen.length) chosen.push(outlet.products[pickIndex(rng, outlet.popularity)]);
    return chosen;
  }

  function draft(rng: Rng, offsets: UtcOffsets, outlet: Outlet, day: TradingDay): Draft {
    const ms = orderTime(rng, offsets, outlet, day);
    const eligible = attribution.eligible(outlet.location.id, ms);
    const campaign = eligible.length && rng.chance(attribution.uptake) ? rng.pick(eligible) : null;
    const lines = chooseProducts(rng, outlet, campaign, day.date.getUTCMonth()).map((p): OrderLine => {
      const product = products[p];
      const quantity = rng.weighted(...VOCABULARY_BY_CATEGORY.get(product.category)!.quantities);
      const gross = quantity * product.priceCents;
      const percent = campaign && attribution.covers(campaign, product.sku) && rng.chance(0.6)
        ? campaign.discountPercent
        : rng.chance(0.03) ? rng.pick([5, 10, 15]) : 0;
      const discountCents = percentOf(gross, percent);
      return { sku: product.sku, quantity, unitPriceCents: product.priceCents, discountCents, lineTotalCents: gross - discountCents };
    });
    const total = lines.reduce((sum, line) => sum + line.lineTotalCents, 0);
    const weights = [...(outlet.location.kind === 'ONLINE' ? ONLINE_PAYMENTS : STORE_PAYMENTS)];
    if (total >= FINANCING_FROM_CENTS) weights[PAYMENT_METHODS.indexOf('FINANCING')] *= 3;
    return { ms, outlet, campaign, customerId: customer(rng, outlet), paymentMethod: rng.weighted(PAYMENT_METHODS, weights), lines };
  }

  function toOrder(rng: Rng, draft: Draft): Order {
    let subtotalCents = 0;
    let discountCents = 0;
    let unitCount = 0;
    for (const line of draft.lines) {
      subtotalCents += line.quantity * line.unitPriceCents;
      discountCents += line.discountCents;
      unitCount += line.quantity;
    }
    return {
      id: rng.uuid(draft.ms),
      locationId: draft.outlet.location.id,
      orderedAt: new Date(draft.ms),
      customerId: draft.customerId,
      campaignId: draft.campaign?.id ?? null,
      paymentMethod: draft.paymentMethod,
      lines: draft.lines,
      subtotalCents,
      discountCents,
      totalCents: subtotalCents - discountCents,
      unitCount,
    };
  }

  // Every walk after the first reads the orders back (see OrderMemo); the UTC offsets are a
  // pure cache, shared for the same reason.
  const offsets = new UtcOffsets();
  const memo = new OrderMemo(deriveSeed(input.seed, 'orders'), input.locations, products, input.campaigns, PAYMENT_METHODS);

  function drawDay(day: TradingDay): Order[] {
    if (!day.orders) return [];
    const rng = new Rng(memo.position);
    const open = cumulative(outlets.map((outlet) => outlet.location.salesShare * dayFactor(outlet.location, day.date)));
    const drafts: Draft[] = [];
    for (let i = 0; i < day.orders; i += 1) drafts.push(draft(rng, offsets, outlets[pickIndex(rng, open)], day));
    drafts.sort((a, b) => a.ms - b.ms);
    const orders = drafts.map((next) => toOrder(rng, next));
    memo.record(orders, rng.position);
    return orders;
  }

  return function* batches(batchSize = 2_000): Generator<Order[]> {
    let batch: Order[] = [];
    for (let d = 0; d < days.length; d += 1) {
      // Walks go day by day, so a day not recorded yet is always the next one to draw.
      const orders = d < memo.days ? memo.read(d) : drawDay(days[d]);
      for (const order of orders) {
        batch.push(order);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length) yield batch;
  };
}
