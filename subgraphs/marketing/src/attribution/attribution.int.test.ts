/**
 * Attribution on the worked example of docs/attribution.md (credits computed by hand there), on a
 * randomised set (each order's credits sum to its revenue), live against rollup, a late
 * touchpoint, returns, and a replay from the outbox.
 */
import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayConsumer, uuidv7, type Database, type EventEnvelope } from '@joinery/core';
import { backends } from '@joinery/core/testing';
import { PrismaClient } from '../generated/prisma/client';
import { openMarketingDatabase } from '../server';
import { applyAttributionEvents, attributionConsumer, replayAttribution, resetAttribution } from './attribution-consumer';
import { ORDER_RETURNED } from './attribution-events';
import { campaignCategories, campaignSummary, compareCampaigns, type AttributionRequest } from './attribution-reports';
import { ATTRIBUTION_MODELS, type AttributionModel } from './attribution-sql';
import { prismaRunner, rebuildAttribution } from './attribution-store';
import { CAMPAIGN, NEW_YORK, ORDER, OSLO, seedWorkedExample, touchpointRecordedEvent } from './worked-example';

type Credits = Record<string, Record<string, string>>;
type Row = Record<string, unknown>;
const U = 'unattributed';

/** docs/attribution.md, "Worked example": every order's credits under every model, by hand. */
const EXPECTED: Record<AttributionModel, Credits> = {
  LAST_TOUCH: {
    O1: { [U]: '100.00' }, O2: { C: '200.00' }, O3: { [U]: '50.00' }, O4: { B: '10.00' }, O5: { B: '99.99' },
  },
  FIRST_TOUCH: {
    O1: { A: '100.00' }, O2: { B: '200.00' }, O3: { [U]: '50.00' }, O4: { B: '10.00' }, O5: { A: '99.99' },
  },
  LINEAR: {
    O1: { A: '33.34', B: '33.33', [U]: '33.33' }, O2: { B: '66.67', C: '66.67', [U]: '66.66' }, O3: { [U]: '50.00' }, O4: { B: '10.00' }, O5: { A: '49.99', B: '25.00', C: '25.00' },
  },
  TIME_DECAY: {
    O1: { A: '19.69', B: '32.30', [U]: '48.01' }, O2: { B: '14.09', C: '102.13', [U]: '83.78' }, O3: { [U]: '50.00' }, O4: { B: '10.00' }, O5: { A: '42.62', B: '31.52', C: '25.85' },
  },
  POSITION_BASED: {
    O1: { A: '40.00', B: '20.00', [U]: '40.00' }, O2: { B: '80.00', C: '80.00', [U]: '40.00' }, O3: { [U]: '50.00' }, O4: { B: '10.00' }, O5: { A: '49.99', B: '40.00', C: '10.00' },
  },
  LAST_NON_DIRECT: {
    O1: { B: '100.00' }, O2: { C: '200.00' }, O3: { [U]: '50.00' }, O4: { B: '10.00' }, O5: { B: '99.99' },
  },
};

const ORDER_NAME = Object.fromEntries(Object.entries(ORDER).map(([name, id]) => [id, name]));
const CAMPAIGN_NAME: Record<string, string> = Object.fromEntries(Object.entries(CAMPAIGN).map(([name, id]) => [id, name]));

const request = (model: AttributionModel, from: string | null = null, to: string | null = null): AttributionRequest => ({
  model, lookbackDays: 30, halfLifeDays: 7, from: from ? new Date(from) : null, to: to ? new Date(to) : null,
});

describe.each(backends())('attribution on $name', (backend) => {
  let database: Database;
  let prisma: PrismaClient;
  const run = () => prismaRunner(prisma);
  const apply = (events: EventEnvelope[]) => prisma.$transaction((tx) => applyAttributionEvents(prismaRunner(tx), events));

  async function storedCredits(): Promise<Record<AttributionModel, Credits>> {
    const rows = await prisma.$queryRaw<{ order_id: string; model: AttributionModel; campaign_id: string | null; revenue: string }[]>`
      SELECT order_id::text, model::text AS model, campaign_id::text, revenue::text FROM attribution_credits`;
    const credits = Object.fromEntries(ATTRIBUTION_MODELS.map((model) => [model, {}])) as Record<AttributionModel, Credits>;
    for (const row of rows) {
      const order = ORDER_NAME[row.order_id] ?? row.order_id;
      (credits[row.model][order] ??= {})[row.campaign_id ? CAMPAIGN_NAME[row.campaign_id] ?? row.campaign_id : U] = row.revenue;
    }
    return credits;
  }

  /** Everything attribution derived, in a stable order, to compare two builds. */
  async function snapshot() {
    const credits = await prisma.$queryRaw<Row[]>`SELECT order_id::text, model::text, campaign_id::text, weight::text, revenue::text, local_date::text, unit_count FROM attribution_credits ORDER BY 1, 2, 3`;
    const categories = await prisma.$queryRaw<Row[]>`SELECT order_id::text, model::text, campaign_id::text, category, revenue::text, units FROM attribution_category_credits ORDER BY 1, 2, 3, 4`;
    const daily = await prisma.$queryRaw<Row[]>`SELECT model::text, campaign_id::text, location_id::text, local_date::text, order_count, units, conversions::text, revenue::text FROM attribution_daily ORDER BY 1, 2, 3, 4`;
    const orders = await prisma.$queryRaw<Row[]>`SELECT order_id::text, total_amount::text, returned_amount::text FROM marketing_orders ORDER BY 1`;
    return { credits, categories, daily, orders };
  }

  beforeAll(async () => {
    database = await openMarketingDatabase(backend.targets().marketing);
    prisma = new PrismaClient({ adapter: database.adapter });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.close();
    await backend.cleanup();
  });

  describe('the worked example', () => {
    let events: EventEnvelope[];
    beforeAll(async () => {
      events = await seedWorkedExample(prisma);
      // Two batches, the second repeating an order: a repeated confirmation changes nothing.
      await apply(events.slice(0, 3));
      await apply([...events.slice(2), events[0]]);
    });

    it.each(ATTRIBUTION_MODELS)('credits every order as computed by hand under %s', async (model) => {
      expect((await storedCredits())[model]).toEqual(EXPECTED[model]);
    });

    it('keeps the order facts, with UTC and uncategorized for what the payload lacked', async () => {
      const lines = await prisma.marketingOrderLine.findMany({ where: { orderId: ORDER.O4 } });
      expect(lines.map((line) => line.category)).toEqual(['uncategorized']);
      expect(await prisma.marketingOrder.count()).toBe(5);
    });

    it('reports a campaign by location, by local day and week, and by category (LINEAR, campaign B and A)', async () => {
      const b = await campaignSummary(run(), CAMPAIGN.B, request('LINEAR'));
      expect(b).toMatchObject({ orderCount: 4, unitsSold: 3 + 1 + 1 + 3, revenue: '135.00' });
      expect(b.conversions).toBeCloseTo(1 / 3 + 1 / 3 + 1 + 1 / 4, 12);
      expect(b.byLocation.map((l) => [l.location.id, l.orderCount, l.revenue])).toEqual([[OSLO, 3, '110.00'], [NEW_YORK, 1, '25.00']]);
      // O4 is on 11 March in Oslo (23:30 UTC on the 10th); O5 on 10 March in New York (02:00 UTC on the 11th).
      expect(b.byDay.map((d) => [d.start, d.orderCount, d.revenue])).toEqual([['2026-03-10', 3, '125.00'], ['2026-03-11', 1, '10.00']]);
      expect(b.byWeek.map((w) => [w.start, w.orderCount, w.revenue])).toEqual([['2026-03-09', 4, '135.00']]);
      expect(await campaignCategories(run(), CAMPAIGN.A, request('LINEAR'))).toEqual([
        { category: 'tables', orderCount: 2, unitsSold: 2, revenue: '36.66' },
        { category: 'lamps', orderCount: 1, unitsSold: 2, revenue: '33.33' },
        { category: 'sofas', orderCount: 1, unitsSold: 2, revenue: '13.34' },
      ]);
      expect(await campaignCategories(run(), CAMPAIGN.B, request('LINEAR'))).toEqual([
        { category: 'beds', orderCount: 1, unitsSold: 1, revenue: '66.67' },
        { category: 'tables', orderCount: 2, unitsSold: 2, revenue: '28.33' },
        { category: 'lamps', orderCount: 1, unitsSold: 2, revenue: '16.67' },
        { category: 'sofas', orderCount: 1, unitsSold: 2, revenue: '13.33' },
        { category: 'uncategorized', orderCount: 1, unitsSold: 1, revenue: '10.00' },
      ]);
    });

    it('compares campaigns with the unattributed revenue in the totals', async () => {
      const comparison = await compareCampaigns(run(), request('LINEAR', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'), { field: 'REVENUE', direction: 'DESC', first: 2 });
      expect(comparison.rows.map((row) => [CAMPAIGN_NAME[row.campaignId], row.revenue, row.orderCount])).toEqual([['B', '135.00', 4], ['C', '91.67', 2]]);
      expect(comparison.totalCount).toBe(3);
      expect(comparison.totals).toMatchObject({ revenue: '459.99', attributedRevenue: '310.00', unattributedRevenue: '149.99', spend: '0.00', roas: null, roi: null });
    });

    it('answers the same live as from the rollup, for every model, with periods cutting local days', async () => {
      const periods: [string | null, string | null][] = [
        [null, null],
        ['2026-03-10T12:30:00Z', null],
        [null, '2026-03-10T23:45:00Z'],
        ['2026-03-10T11:00:00Z', '2026-03-11T01:00:00Z'],
        ['2026-03-10T12:00:00Z', '2026-03-11T02:00:00Z'],
      ];
      for (const model of ATTRIBUTION_MODELS) {
        for (const [from, to] of periods) {
          for (const campaign of Object.values(CAMPAIGN)) {
            expect(await campaignSummary(run(), campaign, request(model, from, to), 'LIVE')).toEqual(await campaignSummary(run(), campaign, request(model, from, to), 'ROLLUP'));
            expect(await campaignCategories(run(), campaign, request(model, from, to), 'LIVE')).toEqual(await campaignCategories(run(), campaign, request(model, from, to), 'ROLLUP'));
          }
          const sort = { field: 'REVENUE' as const, direction: 'DESC' as const, first: 50 };
          expect(await compareCampaigns(run(), request(model, from, to), sort, 'LIVE')).toEqual(await compareCampaigns(run(), request(model, from, to), sort, 'ROLLUP'));
        }
      }
      // The period [12:00, 02:00) leaves out O4 and O5's exclusive end: LAST_TOUCH B has only O4.
      expect((await campaignSummary(run(), CAMPAIGN.B, request('LAST_TOUCH', '2026-03-10T12:00:00Z', '2026-03-11T02:00:00Z'))).revenue).toBe('10.00');
    });

    it('re-credits the orders a late touchpoint precedes, rollup included', async () => {
      const before = await snapshot();
      const source = await prisma.engagementSource.findFirstOrThrow();
      const touchpoint = await prisma.touchpoint.create({
        data: { id: uuidv7(), sourceId: source.id, externalId: 'late-1', customerId: 'cust-3', campaignId: CAMPAIGN.A, type: 'AD_CLICK', occurredAt: new Date('2026-03-09T12:00:00Z') },
      });
      await apply([touchpointRecordedEvent(touchpoint.id, 'cust-3')]);
      // O3's path is now [direct (3 days), A (1 day)].
      const credits = await storedCredits();
      expect(credits.LAST_TOUCH.O3).toEqual({ A: '50.00' });
      expect(credits.LINEAR.O3).toEqual({ A: '25.00', [U]: '25.00' });
      expect(credits.FIRST_TOUCH.O3).toEqual({ [U]: '50.00' });
      expect((await campaignSummary(run(), CAMPAIGN.A, request('LAST_TOUCH'))).revenue).toBe('50.00');
      expect(await campaignSummary(run(), CAMPAIGN.A, request('LINEAR'), 'ROLLUP')).toEqual(await campaignSummary(run(), CAMPAIGN.A, request('LINEAR'), 'LIVE'));
      const after = await snapshot();
      expect(after).not.toEqual(before);
      // What the consumer kept by differences equals a rebuild from scratch.
      await prisma.$transaction((tx) => rebuildAttribution(prismaRunner(tx)));
      expect(await snapshot()).toEqual(after);
    });

    it('adds refunds to the order facts', async () => {
      const now = new Date().toISOString();
      const refund: EventEnvelope = { id: uuidv7(), type: ORDER_RETURNED, version: 1, aggregate: ORDER.O1, occurredAt: now, recordedAt: now, payload: { returnId: randomUUID(), orderId: ORDER.O1, refundTotal: '40.00', lines: [] } };
      await apply([refund]);
      expect((await prisma.marketingOrder.findUniqueOrThrow({ where: { orderId: ORDER.O1 } })).returnedAmount.toFixed(2)).toBe('40.00');
    });

    it('rebuilds identical attribution by replaying the recorded events', async () => {
      const before = await snapshot();
      const touchpoints = await prisma.touchpoint.findMany({ where: { externalId: 'late-1' } });
      const recorded = [...events, ...touchpoints.map((t) => touchpointRecordedEvent(t.id, t.customerId)), refundOf(ORDER.O1, '40.00')];
      // The events as an outbox holds them: marketing's own table stands in for sales' outbox.
      for (const event of recorded) {
        await prisma.outboxEvent.create({ data: { id: event.id, type: event.type, aggregate: event.aggregate, payload: event.payload as object, occurredAt: new Date(event.occurredAt) } });
      }
      await prisma.$transaction((tx) => resetAttribution(prismaRunner(tx)));
      expect(await prisma.attributionCredit.count()).toBe(0);
      // Facts with events come back from them; a fact without one (as the demo seed loads them) stays.
      await prisma.marketingOrder.deleteMany({});
      const seeded = { orderId: randomUUID(), locationId: OSLO, locationTimezone: 'Europe/Oslo', customerId: null, campaignId: CAMPAIGN.C, orderedAt: new Date('2025-01-01T12:00:00Z'), totalAmount: '7.00', discountTotal: '0.00', unitCount: 1 };
      await prisma.marketingOrder.create({ data: { ...seeded, lines: { create: [{ lineNumber: 1, sku: 'SEED', category: 'lamps', quantity: 1, lineTotal: '7.00' }] } } });
      const sources = [{ name: 'recorded', topicOf: (event: EventEnvelope) => (event.type.startsWith('sales.') ? 'sales.orders' : 'marketing'), connection: { query: (sql: string, params?: unknown[]) => database.withConnection((c) => c.query(sql, params)) } }];
      // As `npm run replay -- --consumer marketing.attribution` does: facts by replay, credits by one rebuild.
      const result = await replayAttribution({ prisma, sources });
      expect(result.applied).toBe(recorded.length);
      const withoutSeeded = async () => {
        const all = await snapshot();
        const keep = (row: Row) => row.order_id !== seeded.orderId;
        return { credits: all.credits.filter(keep), categories: all.categories.filter(keep), orders: all.orders.filter(keep) };
      };
      const { daily: _daily, ...beforeRows } = before;
      expect(await withoutSeeded()).toEqual(beforeRows);
      expect((await storedCredits()).LAST_TOUCH[seeded.orderId]).toEqual({ C: '7.00' });
      await prisma.marketingOrder.delete({ where: { orderId: seeded.orderId } });
      await prisma.$transaction((tx) => rebuildAttribution(prismaRunner(tx)));
      expect(await snapshot()).toEqual(before);
      // And as the live consumer would, re-crediting event by event.
      const again = await replayConsumer({ db: prisma, consumer: attributionConsumer(), sources });
      expect(again.applied).toBe(recorded.length);
      expect(await snapshot()).toEqual(before);
    });
  });

  it('credits of every order sum exactly to its revenue under every model (randomised)', async () => {
    const random = mulberry32(20261126);
    const campaigns = Array.from({ length: 4 }, () => randomUUID());
    for (const id of campaigns) {
      await prisma.campaign.create({ data: { id, name: `Random ${id}`, channel: 'SOCIAL', status: 'ACTIVE', startsAt: new Date('2026-01-01T00:00:00Z'), budget: '1.00', targetLocationIds: [], targetSkus: [] } });
    }
    const source = await prisma.engagementSource.create({ data: { id: uuidv7(), name: 'Random', provider: 'GENERIC', secret: 'whsec_random' } });
    const customers = Array.from({ length: 25 }, (_, i) => `rnd-${i}`);
    const start = Date.parse('2026-05-01T00:00:00Z');
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
    for (let i = 0; i < 400; i += 1) {
      await prisma.touchpoint.create({
        data: { id: uuidv7(), sourceId: source.id, externalId: `rnd-${i}`, customerId: pick(customers), campaignId: random() < 0.25 ? null : pick(campaigns), type: 'EMAIL_OPEN', occurredAt: new Date(start + random() * 60 * 86_400_000) },
      });
    }
    const events: EventEnvelope[] = [];
    for (let i = 0; i < 150; i += 1) {
      const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, n) => ({ sku: `R-${n}`, category: pick(['a', 'b', 'c']), quantity: 1 + Math.floor(random() * 3), lineTotal: new Decimal(Math.floor(random() * 100_000)).dividedBy(100).toFixed(2) }));
      const total = lines.reduce((sum, line) => sum.plus(line.lineTotal), new Decimal(0)).toFixed(2);
      const now = new Date().toISOString();
      events.push({
        id: uuidv7(), type: 'sales.order_confirmed', version: 1, aggregate: String(i), occurredAt: now, recordedAt: now,
        payload: { orderId: randomUUID(), locationId: randomUUID(), locationTimezone: pick(['Europe/Oslo', 'Asia/Kolkata', 'America/Los_Angeles']), customerId: random() < 0.1 ? null : pick(customers), campaignId: random() < 0.3 ? pick(campaigns) : null, orderedAt: new Date(start + 20 * 86_400_000 + random() * 40 * 86_400_000).toISOString(), totalAmount: total, discountTotal: '0.00', unitCount: lines.reduce((sum, line) => sum + line.quantity, 0), lines },
      });
    }
    for (let i = 0; i < events.length; i += 50) await apply(events.slice(i, i + 50));
    const mismatches = await prisma.$queryRaw<unknown[]>`
      SELECT o.order_id, m.model, o.total_amount, sum(c.revenue) AS credited
      FROM marketing_orders o CROSS JOIN unnest(enum_range(NULL::attribution_model)) AS m(model)
      LEFT JOIN attribution_credits c ON c.order_id = o.order_id AND c.model = m.model
      WHERE o.order_id = ANY(${events.map((e) => e.payload.orderId as string)}::uuid[])
      GROUP BY o.order_id, m.model, o.total_amount
      HAVING sum(c.revenue) IS DISTINCT FROM o.total_amount OR sum(c.weight) NOT BETWEEN 0.99999999999999 AND 1.00000000000001`;
    expect(mismatches).toEqual([]);
    const categoryMismatches = await prisma.$queryRaw<unknown[]>`
      SELECT c.order_id, c.model, c.campaign_id FROM attribution_credits c
      LEFT JOIN attribution_category_credits k ON k.order_id = c.order_id AND k.model = c.model AND k.campaign_id = c.campaign_id
      WHERE c.campaign_id IS NOT NULL
      GROUP BY c.order_id, c.model, c.campaign_id, c.revenue HAVING sum(k.revenue) IS DISTINCT FROM c.revenue`;
    expect(categoryMismatches).toEqual([]);
    const rollupMismatches = await prisma.$queryRaw<unknown[]>`
      SELECT model, campaign_id FROM (
        SELECT model, campaign_id, revenue, 1 AS side FROM attribution_credits
        UNION ALL SELECT model, campaign_id, -revenue, 1 FROM attribution_daily) x
      GROUP BY model, campaign_id HAVING sum(revenue) <> 0`;
    expect(rollupMismatches).toEqual([]);
  });
});

function refundOf(orderId: string, amount: string): EventEnvelope {
  const now = new Date().toISOString();
  return { id: uuidv7(), type: ORDER_RETURNED, version: 1, aggregate: orderId, occurredAt: now, recordedAt: now, payload: { returnId: randomUUID(), orderId, refundTotal: amount, lines: [] } };
}

/** A small seeded generator: the randomised set is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
