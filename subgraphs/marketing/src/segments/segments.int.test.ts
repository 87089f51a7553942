/**
 * RFM customer segments on a hand-checked scenario: ten customers over two locations whose recency,
 * frequency and monetary values, quintile scores (ties included, groups of 6 and 7 at the locations)
 * and segments are worked out by hand below; per-location segmentations differ from the overall one; a refresh after new orders
 * moves a customer into a segment and fires an RFM rule once; campaign audiences.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7, type Database, type InventoryDirectory } from '@joinery/core';
import { backends } from '@joinery/core/testing';
import { PrismaClient } from '../generated/prisma/client';
import { AutomationEngine, type WebhookRequest } from '../automation/automation-engine';
import { AutomationService } from '../automation/automation-service';
import { CampaignService } from '../campaign-service';
import { openMarketingDatabase } from '../server';
import { SegmentRefresher } from './segment-refresh';
import { SegmentService } from './segment-service';

const DAY = 86_400_000;
const A = randomUUID();
const B = randomUUID();

const inventory: InventoryDirectory = {
  async lookup({ locationIds = [] }) {
    return { missingLocations: locationIds.filter((id) => id !== A && id !== B), prices: new Map() };
  },
};

interface OrderFact {
  customerId: string | null;
  locationId: string;
  /** Days before the snapshot's asOf (negative: after it). */
  daysAgo: number;
  total: string;
  returned?: string;
}

/**
 * The scenario, as of T1. Overall values (R days, F orders, M = totals − returns):
 *   c01 R2 F3 M600   c02 R2 F1 M50    c03 R5 F2 M200   c04 R20 F2 M800   c05 R45 F1 M60
 *   c06 R90 F4 M3400 c07 R200 F1 M30  c08 R8 F2 M200   c09 R300 F2 M400  c10 R15 F1 M0
 */
const SCENARIO: OrderFact[] = [
  { customerId: 'c01', locationId: A, daysAgo: 2, total: '300.00' },
  { customerId: 'c01', locationId: A, daysAgo: 10, total: '200.00' },
  { customerId: 'c01', locationId: B, daysAgo: 40, total: '100.00' },
  { customerId: 'c02', locationId: A, daysAgo: 2, total: '50.00' },
  { customerId: 'c03', locationId: B, daysAgo: 5, total: '120.00' },
  { customerId: 'c03', locationId: B, daysAgo: 30, total: '80.00' },
  { customerId: 'c04', locationId: A, daysAgo: 20, total: '500.00', returned: '100.00' },
  { customerId: 'c04', locationId: B, daysAgo: 60, total: '400.00' },
  { customerId: 'c05', locationId: B, daysAgo: 45, total: '60.00' },
  // After asOf: left out of this snapshot.
  { customerId: 'c05', locationId: A, daysAgo: -1, total: '999.00' },
  { customerId: 'c06', locationId: A, daysAgo: 90, total: '1000.00' },
  { customerId: 'c06', locationId: A, daysAgo: 100, total: '900.00' },
  { customerId: 'c06', locationId: A, daysAgo: 120, total: '800.00' },
  { customerId: 'c06', locationId: A, daysAgo: 150, total: '700.00' },
  { customerId: 'c07', locationId: B, daysAgo: 200, total: '30.00' },
  { customerId: 'c08', locationId: A, daysAgo: 8, total: '150.00' },
  { customerId: 'c08', locationId: B, daysAgo: 12, total: '50.00' },
  { customerId: 'c09', locationId: A, daysAgo: 300, total: '200.00' },
  { customerId: 'c09', locationId: A, daysAgo: 310, total: '200.00' },
  { customerId: 'c10', locationId: B, daysAgo: 15, total: '100.00', returned: '100.00' },
  // No customer: never scored.
  { customerId: null, locationId: A, daysAgo: 1, total: '70.00' },
];

describe.each(backends())('customer segments (RFM) on $name', (backend) => {
  let database: Database;
  let prisma: PrismaClient;
  let segments: SegmentService;
  let refresher: SegmentRefresher;
  let webhooks: WebhookRequest[];
  // T1 is just ahead of now, so rules created now are active before the first snapshot.
  const T1 = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
  const T2 = new Date(T1.getTime() + DAY);
  const T3 = new Date(T2.getTime() + 60_000);

  async function insertOrders(orders: OrderFact[], asOf: Date) {
    await database.withConnection(async (sql) => {
      for (const order of orders) {
        await sql.query(
          `INSERT INTO marketing_orders (order_id, location_id, location_timezone, customer_id, ordered_at, total_amount, discount_total, unit_count, returned_amount)
           VALUES ($1, $2, 'Europe/Oslo', $3, $4, $5, 0, 1, $6)`,
          [randomUUID(), order.locationId, order.customerId, new Date(asOf.getTime() - order.daysAgo * DAY).toISOString(), order.total, order.returned ?? '0'],
        );
      }
    });
  }

  const scores = async (locationId: string | null, ids: string[]) => {
    const result: Record<string, string> = {};
    for (const id of ids) {
      const rfm = await segments.customer(id, locationId);
      result[id] = rfm ? `${rfm.recencyDays}d/${rfm.frequency}/${rfm.monetary} ${rfm.recencyScore}${rfm.frequencyScore}${rfm.monetaryScore} ${rfm.segment}` : 'none';
    }
    return result;
  };
  const ALL = ['c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08', 'c09', 'c10'];

  beforeAll(async () => {
    database = await openMarketingDatabase(backend.targets().marketing);
    prisma = new PrismaClient({ adapter: database.adapter });
    segments = new SegmentService(prisma);
    webhooks = [];
    const engine = new AutomationEngine({
      async enqueueWebhook(_tx, request) {
        webhooks.push(request);
        return { deliveryId: uuidv7() };
      },
    });
    refresher = new SegmentRefresher({ prisma, engine });
    await insertOrders(SCENARIO, T1);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.close();
    await backend.cleanup();
  });

  it('answers with no snapshot before the first refresh', async () => {
    const report = await segments.report(null);
    expect(report.asOf).toBeNull();
    expect(report.customerCount).toBe(0);
    expect(report.segments.map((row) => row.customerCount)).toEqual(new Array(11).fill(0));
    expect(await segments.customer('c01', null)).toBeNull();
  });

  describe('after the first snapshot', () => {
    const rules = () => new AutomationService(prisma, inventory, 'maria@joinery.test');
    let champions: string;
    let championsAtA: string;
    let late: string;

    beforeAll(async () => {
      const action = async () => {
        const id = randomUUID();
        await prisma.webhookEndpoint.create({ data: { id, name: 'CRM', provider: 'GENERIC', url: 'https://crm.example/hooks', secret: 'whsec_test' } });
        return { kind: 'SEND_WEBHOOK' as const, webhookEndpointId: id };
      };
      champions = (await rules().create({ name: 'New champions', trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'CHAMPIONS', segmentName: 'Champions' }, action: await action() })).automationRule.id;
      championsAtA = (await rules().create({ name: 'New champions at A', trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'CHAMPIONS', locationId: A }, action: await action() })).automationRule.id;
      late = (await rules().create({ name: 'Written after the first snapshot', trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'CHAMPIONS' }, action: await action() })).automationRule.id;
      // As if written between the first and the second refresh.
      await prisma.automationRule.update({ where: { id: late }, data: { activeSince: new Date(T1.getTime() + 3_600_000) } });
      const refresh = await refresher.refresh({ asOf: T1 });
      expect(refresh).toMatchObject({ customerCount: 10, entryCount: 10 + 6 + 7, firingCount: 0 });
    });

    it('scores every customer overall by rank quintiles, equal values getting equal scores', async () => {
      // score = least(5, 1 + floor(5 (rank − 1) / (n − 1))), ranks from worst (ties share the lowest rank).
      // n = 10: rank 1..10 -> 1 1 2 2 3 3 4 4 5 5 (1 + floor(5 (r − 1) / 9): 5 * 8 / 9 = 4.4 -> 5, 5 * 7 / 9 = 3.9 -> 4).
      // R by days desc: c09 300 (1) c07 200 (2) c06 90 (3) c05 45 (4) c04 20 (5) c10 15 (6) c08 8 (7) c03 5 (8) c01 = c02 2 (9)
      // F asc: c02 c05 c07 c10 = 1 (rank 1 -> 1); c03 c04 c08 c09 = 2 (rank 5 -> 3); c01 3 (rank 9 -> 5); c06 4 (rank 10 -> 5)
      // M asc: c10 0 (1) c07 30 (2) c02 50 (3) c05 60 (4) c03 = c08 200 (5) c09 400 (7) c01 600 (8) c04 800 (9) c06 3400 (10)
      // Segment from (R, FM = round half up of (F + M) / 2).
      expect(await scores(null, ALL)).toEqual({
        c01: '2d/3/600.00 554 CHAMPIONS',
        c02: '2d/1/50.00 512 POTENTIAL_LOYALIST',
        c03: '5d/2/200.00 433 LOYAL',
        c04: '20d/2/800.00 335 LOYAL',
        c05: '45d/1/60.00 212 HIBERNATING',
        c06: '90d/4/3400.00 255 AT_RISK',
        c07: '200d/1/30.00 111 LOST',
        c08: '8d/2/200.00 433 LOYAL',
        c09: '300d/2/400.00 134 CANNOT_LOSE_THEM',
        c10: '15d/1/0.00 311 ABOUT_TO_SLEEP',
      });
    });

    it("scores a location's customers on that location's orders only, among themselves", async () => {
      // A: n = 6 (c05's order at A is after asOf). score = least(5, 1 + floor(5 (rank − 1) / 5)) = least(5, rank).
      // R: c09 300 (1 -> 1) c06 90 (2 -> 2) c04 20 (3 -> 3) c08 8 (4 -> 4) c01 = c02 2 (5 -> 5)
      // F: c02 c04 c08 = 1 (1 -> 1); c01 c09 = 2 (4 -> 4); c06 4 (6 -> 5)
      // M: c02 50 (1 -> 1) c08 150 (2 -> 2) c04 = c09 400 (3 -> 3) c01 500 (5 -> 5) c06 3400 (6 -> 5)
      // FM = floor((F + M + 1) / 2): c01 (4 + 5 + 1) / 2 = 5, c04 (1 + 3 + 1) / 2 -> 2, c08 (1 + 2 + 1) / 2 = 2, c09 (4 + 3 + 1) / 2 = 4.
      expect(await scores(A, ALL)).toEqual({
        c01: '2d/2/500.00 545 CHAMPIONS',
        c02: '2d/1/50.00 511 NEW_CUSTOMERS',
        c03: 'none',
        c04: '20d/1/400.00 313 ABOUT_TO_SLEEP',
        c05: 'none',
        c06: '90d/4/3400.00 255 AT_RISK',
        c07: 'none',
        c08: '8d/1/150.00 412 POTENTIAL_LOYALIST',
        c09: '300d/2/400.00 143 CANNOT_LOSE_THEM',
        c10: 'none',
      });
      // B: n = 7, score = least(5, 1 + floor(5 (rank − 1) / 6)): rank 1..7 -> 1 1 2 3 4 5 5.
      // R: c07 200 (1 -> 1) c04 60 (2 -> 1) c05 45 (3 -> 2) c01 40 (4 -> 3) c10 15 (5 -> 4) c08 12 (6 -> 5) c03 5 (7 -> 5)
      // F: all 1 (1 -> 1) but c03 2 (7 -> 5). M: c10 0 (1) c07 30 (2) c08 50 (3 -> 2) c05 60 (4 -> 3) c01 100 (5 -> 4) c03 200 (6 -> 5) c04 400 (7 -> 5)
      // c04 at B: R1 F1 M5, FM 3: AT_RISK, LOYAL overall. c03: 555 CHAMPIONS, the best of B on all three (LOYAL overall).
      // c01: R3 F1 M4, FM 3: NEED_ATTENTION; c08: R5 F1 M2, FM 2: POTENTIAL_LOYALIST; c10: R4 F1 M1: PROMISING.
      expect(await scores(B, ['c01', 'c03', 'c04', 'c08', 'c10'])).toEqual({
        c01: '40d/1/100.00 314 NEED_ATTENTION',
        c03: '5d/2/200.00 555 CHAMPIONS',
        c04: '60d/1/400.00 115 AT_RISK',
        c08: '12d/1/50.00 512 POTENTIAL_LOYALIST',
        c10: '15d/1/0.00 411 PROMISING',
      });
    });

    it('reports every segment with counts, shares, revenue and averages computed in SQL, and asOf', async () => {
      const report = await segments.report(null);
      expect(report.asOf).toEqual(T1);
      expect(report.customerCount).toBe(10);
      const bySegment = Object.fromEntries(report.segments.map((row) => [row.segment, row]));
      expect(report.segments.map((row) => row.segment)).toEqual([
        'CHAMPIONS', 'LOYAL', 'POTENTIAL_LOYALIST', 'NEW_CUSTOMERS', 'PROMISING', 'NEED_ATTENTION', 'ABOUT_TO_SLEEP', 'AT_RISK', 'CANNOT_LOSE_THEM', 'HIBERNATING', 'LOST',
      ]);
      // LOYAL: c03 (5d, 2, 200), c04 (20d, 2, 800), c08 (8d, 2, 200).
      expect(bySegment.LOYAL).toEqual({ segment: 'LOYAL', customerCount: 3, share: 0.3, revenue: '1200.00', avgRecencyDays: 11, avgFrequency: 2, avgMonetary: '400.00' });
      expect(bySegment.NEW_CUSTOMERS).toEqual({ segment: 'NEW_CUSTOMERS', customerCount: 0, share: 0, revenue: '0.00', avgRecencyDays: null, avgFrequency: null, avgMonetary: null });
      expect(bySegment.CHAMPIONS).toMatchObject({ customerCount: 1, share: 0.1, revenue: '600.00' });

      const atA = await segments.report(A);
      expect(atA.location).toEqual({ id: A });
      expect(atA.customerCount).toBe(6);
      // c02 alone, 1 / 6 to 4 decimals.
      expect(atA.segments.find((row) => row.segment === 'NEW_CUSTOMERS')).toMatchObject({ customerCount: 1, share: 0.1667, revenue: '50.00' });
    });

    it("pages through a segment's customers by id", async () => {
      const first = await segments.customers('LOYAL', null, { first: 2 });
      expect(first.nodes.map((node) => node.customerId)).toEqual(['c03', 'c04']);
      expect(first.pageInfo.hasNextPage).toBe(true);
      expect(await first.totalCount()).toBe(3);
      expect(first.asOf).toEqual(T1);
      const rest = await segments.customers('LOYAL', null, { first: 2, after: first.pageInfo.endCursor });
      expect(rest.nodes.map((node) => node.customerId)).toEqual(['c08']);
      expect(rest.pageInfo.hasNextPage).toBe(false);
    });

    it('gives a campaign the customers of its target segments, at its target locations when it has any', async () => {
      const campaigns = new CampaignService(prisma, inventory);
      const base = { channel: 'EMAIL' as const, startsAt: new Date('2026-01-01T00:00:00Z'), budget: new (await import('decimal.js')).default('100') };
      const everywhere = (await campaigns.create({ ...base, name: 'Thank the best', targetSegments: ['LOYAL', 'CHAMPIONS', 'LOYAL'] })).campaign;
      expect(everywhere.targetSegments).toEqual(['LOYAL', 'CHAMPIONS']);
      const audience = await segments.audience(everywhere, {});
      expect(audience.nodes.map((member) => member.customerId)).toEqual(['c01', 'c03', 'c04', 'c08']);
      expect(await audience.totalCount()).toBe(4);
      expect(audience.nodes[0].matches).toEqual([expect.objectContaining({ locationId: null, segment: 'CHAMPIONS', monetary: '600.00', asOf: T1 })]);

      // AT_RISK at A is c06 (also AT_RISK overall: that match is not the campaign's) and at B is c04 (LOYAL overall).
      const local = (await campaigns.create({ ...base, name: 'Win back', targetLocationIds: [A, B], targetSegments: ['AT_RISK'] })).campaign;
      const page = await segments.audience(local, { first: 1 });
      expect(page.nodes.map((member) => member.customerId)).toEqual(['c04']);
      expect(page.nodes[0].matches).toEqual([expect.objectContaining({ locationId: B, segment: 'AT_RISK', recencyDays: 60 })]);
      expect(await page.totalCount()).toBe(2);
      const next = await segments.audience(local, { first: 1, after: page.pageInfo.endCursor });
      expect(next.nodes.map((member) => member.customerId)).toEqual(['c06']);
      expect(next.nodes[0].matches).toEqual([expect.objectContaining({ locationId: A, segment: 'AT_RISK', recencyDays: 90 })]);

      // No target segments: every customer with an order (in scope).
      const all = (await campaigns.create({ ...base, name: 'Everyone' })).campaign;
      expect(all.targetSegments).toEqual([]);
      expect(await (await segments.audience(all, {})).totalCount()).toBe(10);
      const cleared = (await campaigns.update({ id: local.id, targetSegments: [] })).campaign;
      // Every customer with an order at A or B, each once: all ten.
      expect(await (await segments.audience(cleared, {})).totalCount()).toBe(10);
    });

    describe('a refresh after new orders', () => {
      beforeAll(async () => {
        // c03 buys twice more at B half a day before T2: R 0d, F 4, M 1100.
        await insertOrders([
          { customerId: 'c03', locationId: B, daysAgo: 0.5, total: '500.00' },
          { customerId: 'c03', locationId: B, daysAgo: 0.5, total: '400.00' },
        ], T2);
      });

      it('moves the customer into CHAMPIONS and fires the overall rule once for it; not again on the next refresh', async () => {
        const second = await refresher.refresh({ asOf: T2 });
        expect(second).toMatchObject({ customerCount: 10, firingCount: 1 });
        // At T2 every old recency is one day more, and c05's order dated T1 + 1 day (= T2) now counts: c05 R 0d, F 2, M 1059.
        // R: c09 301 (1) c07 201 (2) c06 91 (3) c04 21 (4) c10 16 (5) c08 9 (6) c01 = c02 3d (7 -> 4) c03 = c05 0d (9 -> 5).
        // F: c02 c07 c10 = 1 (1 -> 1); c04 c05 c08 c09 = 2 (4 -> 2); c01 3 (8 -> 4); c03 = c06 4 (9 -> 5).
        // M: c10 0, c07 30, c02 50, c08 200, c09 400, c01 600 (6 -> 3), c04 800 (7 -> 4), c05 1059 (8 -> 4), c03 1100 (9 -> 5), c06 3400 (10 -> 5).
        expect(await scores(null, ['c01', 'c03', 'c05'])).toEqual({
          c01: '3d/3/600.00 443 CHAMPIONS',
          c03: '0d/4/1100.00 555 CHAMPIONS',
          c05: '0d/2/1059.00 524 POTENTIAL_LOYALIST',
        });
        const c01 = await segments.customer('c01', null);
        const c03 = await segments.customer('c03', null);
        // c01 stayed a champion since T1; c03 entered at T2.
        expect(c01?.segmentSince).toEqual(T1);
        expect(c03?.segmentSince).toEqual(T2);

        const fired = await prisma.ruleFiring.findMany({ where: { ruleId: champions } });
        expect(fired).toHaveLength(1);
        expect(fired[0]).toMatchObject({ eventId: second!.id, eventType: 'marketing.customer_segments_refreshed' });
        expect(fired[0].detail).toMatchObject({
          trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', customerId: 'c03', rfmSegment: 'CHAMPIONS', previousSegment: 'LOYAL', locationId: null, rfmScore: '555', recencyDays: 0, frequency: 4, monetary: '1100.00', segmentName: 'Champions' },
          action: { kind: 'SEND_WEBHOOK' },
        });
        expect(webhooks.map((request) => [request.eventType, (request.data as any).trigger.customerId])).toEqual([['automation.customer_enters_segment', 'c03']]);
        const ruleFired = await prisma.outboxEvent.findMany({ where: { type: 'marketing.rule_fired' } });
        expect(ruleFired.map((event) => (event.payload as any).ruleId)).toEqual([champions]);
        // At A (n = 7 at T2 with c05's new order: rank 1..7 -> 1 1 2 3 4 5 5) c01 stays CHAMPIONS (R 3d rank 5 -> 4, F 2 rank 5 -> 4,
        // M 500 rank 5 -> 4), nobody enters it (c05 R5 F1 M5 POTENTIAL_LOYALIST; c03 has no order at A): the rule on A's
        // segmentation does not fire. The rule written after T1 did not watch both snapshots.
        expect(await scores(A, ['c01', 'c05'])).toEqual({ c01: '3d/2/500.00 444 CHAMPIONS', c05: '0d/1/999.00 515 POTENTIAL_LOYALIST' });
        expect(await prisma.ruleFiring.count({ where: { ruleId: { in: [championsAtA, late] } } })).toBe(0);

        const third = await refresher.refresh({ asOf: T3 });
        expect(third).toMatchObject({ firingCount: 0 });
        expect(await prisma.ruleFiring.count({ where: { ruleId: champions } })).toBe(1);
        // The rule written between T1 and T2 watched T2 and T3: nobody entered CHAMPIONS between them.
        expect(await prisma.ruleFiring.count({ where: { ruleId: late } })).toBe(0);
        expect(await prisma.outboxEvent.count({ where: { type: 'marketing.customer_segments_refreshed' } })).toBe(3);
      });
    });
  });
});

describe.each(backends())('scheduled segment refreshes on $name', (backend) => {
  let database: Database;
  let prisma: PrismaClient;

  beforeAll(async () => {
    database = await openMarketingDatabase(backend.targets().marketing);
    prisma = new PrismaClient({ adapter: database.adapter });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.close();
    await backend.cleanup();
  });

  it('take one snapshot when two instances refresh at once', async () => {
    const engine = new AutomationEngine({ enqueueWebhook: async () => ({ deliveryId: uuidv7() }) });
    const other = new PrismaClient({ adapter: database.adapter });
    const instances = [new SegmentRefresher({ prisma, engine }), new SegmentRefresher({ prisma: other, engine })];
    const results = await Promise.all(instances.map((instance) => instance.refresh({ ifOlderThanMs: 60_000 }))).finally(() => other.$disconnect());
    // One holds the lock; the other either finds it held or, after it, a snapshot younger than a minute.
    expect(results.filter((result) => result !== null)).toHaveLength(1);
    expect(await prisma.customerSegmentRefresh.count()).toBe(1);
  });

  /** Dates the newest snapshot `secondsAgo` before the database's now, as if taken then. */
  const ageNewestSnapshot = (secondsAgo: number) =>
    prisma.$executeRaw`UPDATE customer_segment_refreshes SET as_of = clock_timestamp() - make_interval(secs => ${secondsAgo}::float8) WHERE id = (SELECT id FROM customer_segment_refreshes ORDER BY as_of DESC LIMIT 1)`;

  it('skip a scheduled refresh while the newest snapshot is younger than the interval', async () => {
    await ageNewestSnapshot(30);
    const refresher = new SegmentRefresher({ prisma, engine: new AutomationEngine({ enqueueWebhook: async () => ({ deliveryId: uuidv7() }) }) });
    expect(await refresher.refresh({ ifOlderThanMs: 60_000 })).toBeNull();
    expect(await prisma.customerSegmentRefresh.count()).toBe(1);
  });

  it('refresh on schedule once the newest snapshot is older than the interval', async () => {
    await ageNewestSnapshot(90);
    const refresher = new SegmentRefresher({ prisma, engine: new AutomationEngine({ enqueueWebhook: async () => ({ deliveryId: uuidv7() }) }) });
    const before = Date.now();
    const refreshed = await refresher.refresh({ ifOlderThanMs: 60_000 });
    expect(refreshed).not.toBeNull();
    // Taken now, not 90 seconds ago (5 s of slack for the clocks of Node and the database).
    expect(refreshed!.asOf.getTime()).toBeGreaterThan(before - 5_000);
    expect(await prisma.customerSegmentRefresh.count()).toBe(2);
    // And the new one is young again.
    expect(await refresher.refresh({ ifOlderThanMs: 60_000 })).toBeNull();
  });
});

describe.each(backends().filter((backend) => backend.name === 'postgres'))('on-demand segment refreshes across instances on $name', (backend) => {
  let database: Database;
  let prisma: PrismaClient;

  beforeAll(async () => {
    database = await openMarketingDatabase(backend.targets().marketing);
    prisma = new PrismaClient({ adapter: database.adapter });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.close();
    await backend.cleanup();
  });

  // PostgreSQL only: on PGlite every instance shares the one connection, so a session holding the
  // lock would hold up the others' polls too.
  it('wait for the refresh another instance is taking without holding a connection, and answer with it', async () => {
    const engine = new AutomationEngine({ enqueueWebhook: async () => ({ deliveryId: uuidv7() }) });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const lockHeld = new Promise<void>((resolve) => (held = resolve));
    // A third session holds the refresh lock, as an instance in the middle of a refresh, and commits its snapshot's row.
    const holder = prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT true AS locked FROM (SELECT pg_advisory_xact_lock(hashtext('joinery.segments.' || current_schema()))) AS taken`;
      held();
      await released;
      return tx.customerSegmentRefresh.create({ data: { id: uuidv7(), asOf: new Date(), finishedAt: new Date(), customerCount: 0, entryCount: 0, firingCount: 0 } });
    }, { timeout: 60_000 });
    await lockHeld;

    // Two instances (each its own refresher, as two processes would have), counting their finished polls.
    const polls = [0, 0];
    const instance = (index: number) => {
      const counting = { $transaction: (fn: never, options?: object) => prisma.$transaction(fn, options).finally(() => (polls[index] += 1)) } as unknown as PrismaClient;
      return new SegmentRefresher({ prisma: counting, engine });
    };
    const results = Promise.all([instance(0).refresh(), instance(1).refresh()]);
    while (polls[0] < 2 || polls[1] < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    // Each has polled twice while the lock was held: meanwhile the pool still answers.
    expect(await prisma.customerSegmentRefresh.count()).toBe(0);
    release();
    const taken = await holder;
    const [first, second] = await results;
    expect([first?.id, second?.id]).toEqual([taken.id, taken.id]);
    expect(await prisma.customerSegmentRefresh.count()).toBe(1);
  });
});
