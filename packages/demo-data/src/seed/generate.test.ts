import { describe, expect, it } from 'vitest';
import { DEMO_BRAND, generateBrand, stockLedger, type Brand, type BrandSize, type LevelState, type Order, type StockMovement } from './index';
import { CATEGORIES } from './model';
import { formatCents, parseCents } from './money';
import { VOCABULARY_BY_CATEGORY } from './product-vocabulary';

/** Four months across the switch to summer time (29 March 2026), with an always-on campaign (8+ campaigns). */
const SMALL: BrandSize = { locations: 14, products: 80, orders: 1_500, campaigns: 8, months: 4, seed: 7, until: new Date('2026-04-15T12:00:00Z') };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ordersOf = (brand: Brand, batchSize?: number): Order[] => [...brand.orderBatches(batchSize)].flat();

function ledgerOf(brand: Brand): { movements: StockMovement[]; levels: LevelState[] } {
  const ledger = stockLedger(brand, 500);
  const movements: StockMovement[] = [];
  let step = ledger.next();
  while (!step.done) {
    movements.push(...step.value);
    step = ledger.next();
  }
  return { movements, levels: step.value };
}

function localClock(timeZone: string, at: Date): { hour: number; weekday: string } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: 'numeric', hourCycle: 'h23', weekday: 'short' }).formatToParts(at);
  return { hour: Number(parts.find((p) => p.type === 'hour')!.value), weekday: parts.find((p) => p.type === 'weekday')!.value };
}

const brand = generateBrand(SMALL);
const orders = ordersOf(brand);
const locationById = new Map(brand.locations.map((location) => [location.id, location]));
const productBySku = new Map(brand.products.map((product) => [product.sku, product]));
const carried = new Set(brand.levels.map((level) => `${level.locationId}|${level.sku}`));
const until = SMALL.until!.getTime();

describe('generateBrand is deterministic', () => {
  it('gives the same brand, orders and stock ledger for the same seed', () => {
    const again = generateBrand(SMALL);
    expect({ ...again, orderBatches: null }).toEqual({ ...brand, orderBatches: null });
    expect(ordersOf(again)).toEqual(orders);
    expect(ledgerOf(again)).toEqual(ledgerOf(brand));
  });

  it('gives another brand for another seed', () => {
    const other = generateBrand({ ...SMALL, seed: 8 });
    expect(other.locations.map((l) => l.id)).not.toEqual(brand.locations.map((l) => l.id));
    expect(ordersOf(other).slice(0, 20)).not.toEqual(orders.slice(0, 20));
  });

  it('yields the same orders whatever the batch size', () => {
    expect(ordersOf(brand, 7)).toEqual(orders);
    expect(ordersOf(brand, 10_000)).toEqual(orders);
  });

  it('keeps location ids and products when only the end of the history moves', () => {
    const later = generateBrand({ ...SMALL, until: new Date(until + 3 * 86_400_000) });
    expect(later.locations.map((l) => [l.id, l.code])).toEqual(brand.locations.map((l) => [l.id, l.code]));
    expect(later.products.map((p) => [p.sku, p.priceCents])).toEqual(brand.products.map((p) => [p.sku, p.priceCents]));
  });
});

describe('locations, products and assortment', () => {
  it('has stores, two or more warehouses and exactly one online channel across time zones', () => {
    const kinds = brand.locations.map((l) => l.kind);
    expect(kinds.filter((k) => k === 'ONLINE')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'WAREHOUSE').length).toBeGreaterThanOrEqual(2);
    expect(brand.locations).toHaveLength(SMALL.locations);
    expect(new Set(brand.locations.map((l) => l.timezone)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(brand.locations.map((l) => l.code)).size).toBe(brand.locations.length);
    for (const location of brand.locations) {
      expect(location.id).toMatch(UUID);
      expect(location.code).toMatch(/^[A-Z0-9][A-Z0-9-]{0,31}$/);
      expect(location.country).toMatch(/^[A-Z]{2}$/);
      expect(['Nordics', 'DACH', 'UK & Ireland', 'Benelux']).toContain(location.region);
      expect(location.addressLine1).toMatch(/\d/);
    }
  });

  it('names more stores than cities by numbering them per city', () => {
    const codes = generateBrand({ ...DEMO_BRAND, locations: 60, orders: 0 }).locations.map((l) => l.code);
    expect(codes).toContain('OSL-STORE-1');
    expect(codes).toContain('OSL-STORE-2');
    expect(new Set(codes).size).toBe(60);
  });

  it('prices each category within its range, with unique upper-case skus', () => {
    expect(brand.products).toHaveLength(SMALL.products);
    expect(new Set(brand.products.map((p) => p.sku)).size).toBe(brand.products.length);
    expect(new Set(brand.products.map((p) => p.category))).toEqual(new Set(CATEGORIES));
    for (const product of brand.products) {
      expect(product.sku).toMatch(/^[A-Z0-9][A-Z0-9._-]{0,63}$/);
      const [min, max] = VOCABULARY_BY_CATEGORY.get(product.category)!.priceRange;
      expect(product.priceCents).toBeGreaterThanOrEqual(min * 100);
      expect(product.priceCents).toBeLessThanOrEqual(max * 100);
    }
  });

  it('stocks most products online and in warehouses, a part of them in stores', () => {
    const carriedShare = (kind: string) => {
      const ids = brand.locations.filter((l) => l.kind === kind).map((l) => l.id);
      return brand.levels.filter((level) => ids.includes(level.locationId)).length / (ids.length * brand.products.length);
    };
    expect(carriedShare('ONLINE')).toBeGreaterThan(0.9);
    expect(carriedShare('WAREHOUSE')).toBeGreaterThan(0.8);
    expect(carriedShare('STORE')).toBeLessThan(0.7);
    expect(carried.size).toBe(brand.levels.length);
    expect(brand.levels.every((level) => level.targetStock > level.reorderPoint && level.reorderPoint >= 1)).toBe(true);
  });
});

describe('orders', () => {
  it('spreads exactly the requested number of orders over the history, oldest first', () => {
    expect(orders).toHaveLength(SMALL.orders);
    expect(orders[0].orderedAt.getTime()).toBeGreaterThanOrEqual(brand.historyStart.getTime());
    expect(orders.at(-1)!.orderedAt.getTime()).toBeLessThan(until);
    expect(orders.every((order, i) => i === 0 || orders[i - 1].orderedAt <= order.orderedAt)).toBe(true);
    expect(new Set(orders.map((order) => order.id)).size).toBe(orders.length);
    expect(orders.every((order) => UUID.test(order.id))).toBe(true);
  });

  it('sells 1-4 distinct skus per order, only ones the location carries, at catalogue price', () => {
    for (const order of orders) {
      expect(['STORE', 'ONLINE']).toContain(locationById.get(order.locationId)!.kind);
      expect(order.lines.length).toBeGreaterThanOrEqual(1);
      expect(order.lines.length).toBeLessThanOrEqual(4);
      expect(new Set(order.lines.map((line) => line.sku)).size).toBe(order.lines.length);
      for (const line of order.lines) {
        expect(carried.has(`${order.locationId}|${line.sku}`)).toBe(true);
        expect(line.unitPriceCents).toBe(productBySku.get(line.sku)!.priceCents);
      }
    }
  });

  it('keeps money exact: line totals, order totals and their decimal strings agree', () => {
    for (const order of orders) {
      let subtotal = 0;
      let discount = 0;
      let total = 0;
      for (const line of order.lines) {
        const gross = line.quantity * line.unitPriceCents;
        expect(Number.isInteger(line.discountCents) && line.discountCents >= 0 && line.discountCents <= gross).toBe(true);
        expect(line.lineTotalCents).toBe(gross - line.discountCents);
        subtotal += gross;
        discount += line.discountCents;
        total += parseCents(formatCents(line.lineTotalCents));
      }
      expect(order.subtotalCents).toBe(subtotal);
      expect(order.discountCents).toBe(discount);
      expect(order.totalCents).toBe(subtotal - discount);
      expect(parseCents(formatCents(order.totalCents))).toBe(total);
      expect(order.unitCount).toBe(order.lines.reduce((sum, line) => sum + line.quantity, 0));
    }
    expect(orders.some((order) => order.discountCents > 0)).toBe(true);
  });

  it('never takes cash online, and knows the customer of about 70% of orders, some of them repeat', () => {
    const online = orders.filter((order) => locationById.get(order.locationId)!.kind === 'ONLINE');
    expect(online.length).toBeGreaterThan(0);
    expect(online.some((order) => order.paymentMethod === 'CASH')).toBe(false);
    const known = orders.filter((order) => order.customerId !== null);
    expect(known.length / orders.length).toBeGreaterThan(0.6);
    expect(known.length / orders.length).toBeLessThan(0.8);
    expect(known.every((order) => /^cus_\d{6,}$/.test(order.customerId!))).toBe(true);
    expect(new Set(known.map((order) => order.customerId)).size).toBeLessThan(known.length * 0.8);
  });

  it('attributes about 15% of orders to campaigns that run then and there', () => {
    const campaigns = new Map(brand.campaigns.map((campaign) => [campaign.id, campaign]));
    const attributed = orders.filter((order) => order.campaignId !== null);
    expect(attributed.length / orders.length).toBeGreaterThan(0.08);
    expect(attributed.length / orders.length).toBeLessThan(0.22);
    for (const order of attributed) {
      const campaign = campaigns.get(order.campaignId!)!;
      expect(['ACTIVE', 'COMPLETED']).toContain(campaign.status);
      expect(campaign.startsAt.getTime()).toBeLessThanOrEqual(order.orderedAt.getTime());
      if (campaign.endsAt) expect(order.orderedAt.getTime()).toBeLessThan(campaign.endsAt.getTime());
      if (campaign.targetLocationIds.length) expect(campaign.targetLocationIds).toContain(order.locationId);
    }
  });

  it('is busier at weekends and in the afternoon, local time', () => {
    const perWeekday = new Map<string, number>();
    let afternoon = 0;
    let morning = 0;
    for (const order of orders) {
      const { hour, weekday } = localClock(locationById.get(order.locationId)!.timezone, order.orderedAt);
      perWeekday.set(weekday, (perWeekday.get(weekday) ?? 0) + 1);
      if (hour >= 12 && hour < 18) afternoon += 1;
      else if (hour < 12) morning += 1;
    }
    const weekend = ((perWeekday.get('Sat') ?? 0) + (perWeekday.get('Sun') ?? 0)) / 2;
    const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'].reduce((sum, day) => sum + (perWeekday.get(day) ?? 0), 0) / 5;
    expect(weekend).toBeGreaterThan(weekdays);
    expect(afternoon).toBeGreaterThan(2 * morning);
  });
});

describe('campaigns', () => {
  it('have statuses that agree with their dates, one draft and unique names', () => {
    expect(brand.campaigns).toHaveLength(SMALL.campaigns);
    expect(brand.campaigns.filter((c) => c.status === 'DRAFT')).toHaveLength(1);
    expect(new Set(brand.campaigns.map((c) => c.name)).size).toBe(brand.campaigns.length);
    for (const campaign of brand.campaigns) {
      const start = campaign.startsAt.getTime();
      const end = campaign.endsAt?.getTime() ?? Number.POSITIVE_INFINITY;
      expect(end).toBeGreaterThan(start);
      if (campaign.status === 'COMPLETED') expect(end).toBeLessThan(until);
      if (campaign.status === 'ACTIVE') expect(start <= until && until < end).toBe(true);
      if (campaign.status === 'SCHEDULED' || campaign.status === 'DRAFT') expect(start).toBeGreaterThan(until);
      expect(campaign.budgetCents % 100).toBe(0);
      expect(campaign.targetLocationIds.every((id) => locationById.has(id))).toBe(true);
      expect(campaign.targetSkus.every((sku) => productBySku.has(sku))).toBe(true);
    }
    expect(brand.campaigns.some((c) => c.status === 'ACTIVE')).toBe(true);
    expect(brand.campaigns.some((c) => c.status === 'COMPLETED')).toBe(true);
    expect(brand.campaigns.some((c) => c.status === 'SCHEDULED')).toBe(true);
  });
});

describe('stock ledger', () => {
  const { movements, levels } = ledgerOf(brand);
  const byLevel = new Map<string, StockMovement[]>();
  for (const movement of movements) {
    const key = `${movement.locationId}|${movement.sku}`;
    byLevel.set(key, [...(byLevel.get(key) ?? []), movement]);
  }

  it('numbers movements 1, 2, 3… and ends every level on the sum of its movements', () => {
    expect(movements.every((movement, i) => movement.id === i + 1)).toBe(true);
    expect(levels).toHaveLength(brand.levels.length);
    for (const level of levels) {
      const history = byLevel.get(`${level.locationId}|${level.sku}`) ?? [];
      expect(history.reduce((sum, m) => sum + m.delta, 0)).toBe(level.onHand);
    }
  });

  it('keeps a running total per level that never goes negative, opened by a delivery before the first sale', () => {
    for (const history of byLevel.values()) {
      let running = 0;
      for (const movement of history) {
        running += movement.delta;
        expect(movement.quantityAfter).toBe(running);
        expect(running).toBeGreaterThanOrEqual(0);
      }
      expect(history[0].reason).toBe('RECEIVED');
      const firstSale = history.find((m) => m.reason === 'SALE');
      if (firstSale) expect(history[0].occurredAt.getTime()).toBeLessThan(firstSale.occurredAt.getTime());
      expect(history.every((m, i) => i === 0 || history[i - 1].occurredAt <= m.occurredAt)).toBe(true);
    }
  });

  it('records one SALE per order line, at the order time, referencing the order', () => {
    const sales = movements.filter((m) => m.reason === 'SALE').map((m) => `${m.reference}|${m.locationId}|${m.sku}|${-m.delta}|${m.occurredAt.toISOString()}`);
    const lines = orders.flatMap((order) => order.lines.map((line) => `${order.id}|${order.locationId}|${line.sku}|${line.quantity}|${order.orderedAt.toISOString()}`));
    expect(sales.sort()).toEqual(lines.sort());
  });

  it('leaves some levels at or below their reorder point and a few at zero', () => {
    const low = levels.filter((level) => level.onHand <= level.reorderPoint).length;
    expect(low).toBeGreaterThan(0);
    expect(low).toBeLessThan(levels.length / 2);
    expect(levels.some((level) => level.onHand === 0)).toBe(true);
  });
});

describe('money', () => {
  it('formats whole cents with two decimals and refuses anything else', () => {
    expect(formatCents(0)).toBe('0.00');
    expect(formatCents(5)).toBe('0.05');
    expect(formatCents(129_900)).toBe('1299.00');
    expect(parseCents('1299.95')).toBe(129_995);
    expect(() => formatCents(1.5)).toThrow(RangeError);
    expect(() => formatCents(-1)).toThrow(RangeError);
  });
});
