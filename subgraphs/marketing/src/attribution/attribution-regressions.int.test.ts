/**
 * Regressions found in review: a touchpoint stored while the batch of an order it precedes was in
 * flight was lost to that order (concurrent consumer members); the lookback window followed the
 * session's time zone (calendar days) instead of being lookbackDays × 24 hours; a zone Node knew
 * but PostgreSQL did not failed the batch; an amount beyond DECIMAL(14,2) failed it with an
 * overflow naming no field; an order without lines had no category split; a spend day in year 0
 * was an internal error; a spend retry was checked against the campaigns before its key.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Decimal from 'decimal.js';
import { DomainError, uuidv7, type Database, type EventEnvelope } from '@joinery/core';
import { backends } from '@joinery/core/testing';
import { Prisma, PrismaClient } from '../generated/prisma/client';
import { openMarketingDatabase } from '../server';
import { applyAttributionEvents } from './attribution-consumer';
import { UnstorableEventError } from './attribution-events';
import { campaignCategories, campaignSummary } from './attribution-reports';
import { AttributionService } from './attribution-service';
import { prismaRunner } from './attribution-store';
import { touchpointRecordedEvent } from './worked-example';

function orderEvent(orderId: string, customerId: string | null, orderedAt: string, extra: Record<string, unknown> = {}): EventEnvelope {
  const now = new Date().toISOString();
  return {
    id: uuidv7(), type: 'sales.order_confirmed', version: 1, aggregate: orderId, occurredAt: now, recordedAt: now,
    payload: { orderId, locationId: randomUUID(), locationTimezone: 'UTC', customerId, campaignId: null, orderedAt, totalAmount: '10.00', discountTotal: '0.00', unitCount: 1, lines: [{ sku: 'x', quantity: 1, lineTotal: '10.00' }], ...extra },
  };
}

const apply = (prisma: PrismaClient, events: EventEnvelope[]) => prisma.$transaction((tx) => applyAttributionEvents(prismaRunner(tx), events));

describe.each(backends())('attribution regressions on $name', (backend) => {
  let database: Database;
  let prisma: PrismaClient;
  let campaign: string;
  let sourceId: string;
  const lastTouch = (orderId: string) => prisma.$queryRaw<{ campaign_id: string | null }[]>`
    SELECT campaign_id::text FROM attribution_credits WHERE order_id = ${orderId}::uuid AND model = 'LAST_TOUCH'`;

  beforeAll(async () => {
    database = await openMarketingDatabase(backend.targets().marketing);
    prisma = new PrismaClient({ adapter: database.adapter });
    campaign = randomUUID();
    await prisma.campaign.create({ data: { id: campaign, name: 'A', channel: 'SOCIAL', status: 'ACTIVE', startsAt: new Date('2026-01-01T00:00:00Z'), budget: '1.00', targetLocationIds: [], targetSkus: [] } });
    sourceId = (await prisma.engagementSource.create({ data: { id: uuidv7(), name: 'S', provider: 'GENERIC', secret: 'whsec_s' } })).id;
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.close();
    await backend.cleanup();
  });

  // Needs two connections: PGlite has one, so its transactions never overlap.
  it.skipIf(backend.name === 'pglite')('a touchpoint stored while its order\'s batch is in flight still re-credits that order', async () => {
    const orderId = randomUUID();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let computed!: () => void;
    const orderCredited = new Promise<void>((resolve) => (computed = resolve));
    // The sales.orders member: credits computed (no touchpoint yet), not committed.
    const orderBatch = prisma.$transaction(async (tx) => {
      await applyAttributionEvents(prismaRunner(tx), [orderEvent(orderId, 'race-1', '2026-06-10T12:00:00Z')]);
      computed();
      await gate;
    }, { timeout: 20_000 });
    await orderCredited;
    // A touchpoint of the day before is stored, and the marketing member handles its event meanwhile.
    const touchpoint = await prisma.touchpoint.create({ data: { id: uuidv7(), sourceId, externalId: 'race-1', customerId: 'race-1', campaignId: campaign, type: 'AD_CLICK', occurredAt: new Date('2026-06-09T12:00:00Z') } });
    const touchpointBatch = prisma.$transaction((tx) => applyAttributionEvents(prismaRunner(tx), [touchpointRecordedEvent(touchpoint.id, 'race-1')]), { timeout: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await Promise.all([orderBatch, touchpointBatch]);
    expect(await lastTouch(orderId)).toEqual([{ campaign_id: campaign }]);
  });

  it('the lookback is lookbackDays × 24 hours whatever the session time zone', async () => {
    // 720 hours before 2026-04-10 12:00Z is 2026-03-11 12:00Z; 30 calendar days in Oslo (across the DST change) end at 13:00Z.
    const inWindow = randomUUID();
    const reachedLate = randomUUID();
    await prisma.touchpoint.create({ data: { id: uuidv7(), sourceId, externalId: 'tz-1', customerId: 'tz-1', campaignId: campaign, type: 'AD_CLICK', occurredAt: new Date('2026-03-11T12:30:00Z') } });
    const inOslo = (events: EventEnvelope[]) => prisma.$transaction(async (tx) => {
      await tx.$queryRaw(Prisma.sql`SELECT set_config('TimeZone', 'Europe/Oslo', true)`);
      await applyAttributionEvents(prismaRunner(tx), events);
    });
    await inOslo([orderEvent(inWindow, 'tz-1', '2026-04-10T12:00:00Z'), orderEvent(reachedLate, 'tz-2', '2026-04-10T12:00:00Z')]);
    expect(await lastTouch(inWindow)).toEqual([{ campaign_id: campaign }]);
    // The same bound for a touchpoint reported after the order.
    const late = await prisma.touchpoint.create({ data: { id: uuidv7(), sourceId, externalId: 'tz-2', customerId: 'tz-2', campaignId: campaign, type: 'AD_CLICK', occurredAt: new Date('2026-03-11T12:30:00Z') } });
    await inOslo([touchpointRecordedEvent(late.id, 'tz-2')]);
    expect(await lastTouch(reachedLate)).toEqual([{ campaign_id: campaign }]);
    // And live (lookback 30 with TIME_DECAY's other half-life is computed at query time).
    const live = await prisma.$transaction(async (tx) => {
      await tx.$queryRaw(Prisma.sql`SELECT set_config('TimeZone', 'Europe/Oslo', true)`);
      return campaignSummary(prismaRunner(tx), campaign, { model: 'TIME_DECAY', lookbackDays: 30, halfLifeDays: 3, from: new Date('2026-04-10T00:00:00Z'), to: new Date('2026-04-11T00:00:00Z') });
    });
    expect(live).toMatchObject({ orderCount: 2, revenue: '20.00' });
  });

  it('stores a zone PostgreSQL does not know as UTC instead of failing the batch, and a known one in its spelling', async () => {
    const unknown = randomUUID();
    const lowerCase = randomUUID();
    // 23:30 UTC: the 10th in UTC, the 11th in Oslo.
    await apply(prisma, [
      orderEvent(unknown, null, '2026-07-10T23:30:00Z', { campaignId: campaign, locationTimezone: 'Mars/Olympus' }),
      orderEvent(lowerCase, null, '2026-07-10T23:30:00Z', { campaignId: campaign, locationTimezone: 'europe/oslo' }),
    ]);
    const rows = await prisma.$queryRaw<{ order_id: string; location_timezone: string; local_date: string }[]>`
      SELECT o.order_id::text, o.location_timezone, c.local_date::text FROM marketing_orders o JOIN attribution_credits c ON c.order_id = o.order_id AND c.model = 'LAST_TOUCH'
      WHERE o.order_id IN (${unknown}::uuid, ${lowerCase}::uuid) ORDER BY o.location_timezone`;
    expect(rows).toEqual([
      { order_id: lowerCase, location_timezone: 'Europe/Oslo', local_date: '2026-07-11' },
      { order_id: unknown, location_timezone: 'UTC', local_date: '2026-07-10' },
    ]);
  });

  it('fails a batch whose amount is beyond DECIMAL(14,2) naming the field, and writes none of it', async () => {
    const good = randomUUID();
    const bad = randomUUID();
    const failure = await apply(prisma, [orderEvent(good, null, '2026-07-12T12:00:00Z'), orderEvent(bad, null, '2026-07-12T12:00:00Z', { totalAmount: '1234567890123.00' })]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnstorableEventError);
    expect(failure).toMatchObject({ field: 'totalAmount', message: expect.stringContaining(`order ${bad}: totalAmount "1234567890123.00"`) });
    expect(await prisma.marketingOrder.count({ where: { orderId: { in: [good, bad] } } })).toBe(0);
    // Alone, the good event goes through (the consumer machinery retries a failed batch one event at a time).
    await apply(prisma, [orderEvent(good, null, '2026-07-12T12:00:00Z')]);
    expect(await prisma.marketingOrder.count({ where: { orderId: good } })).toBe(1);
  });

  it('puts the credit of an order without lines in uncategorized, so its categories add up to the credit', async () => {
    const split = await prisma.campaign.create({ data: { id: randomUUID(), name: 'No lines', channel: 'SOCIAL', status: 'ACTIVE', startsAt: new Date('2026-01-01T00:00:00Z'), budget: '1.00', targetLocationIds: [], targetSkus: [] } });
    await apply(prisma, [orderEvent(randomUUID(), null, '2026-07-13T12:00:00Z', { campaignId: split.id, totalAmount: '30.00', unitCount: 3, lines: [] })]);
    const request = { model: 'LINEAR' as const, lookbackDays: 30, halfLifeDays: 7, from: null, to: null };
    const expected = [{ category: 'uncategorized', orderCount: 1, unitsSold: 3, revenue: '30.00' }];
    expect(await campaignCategories(prismaRunner(prisma), split.id, request)).toEqual(expected);
    expect(await campaignCategories(prismaRunner(prisma), split.id, request, 'LIVE')).toEqual(expected);
  });

  it('breaks equal category remainders in byte order ("Banana" before "apple") whatever the database collation', async () => {
    const tie = await prisma.campaign.create({ data: { id: randomUUID(), name: 'Tie', channel: 'SOCIAL', status: 'ACTIVE', startsAt: new Date('2026-01-01T00:00:00Z'), budget: '1.00', targetLocationIds: [], targetSkus: [] } });
    // 0.01 over two equal lines: half a cent each, the cent to the first category in byte order.
    await apply(prisma, [orderEvent(randomUUID(), null, '2026-07-14T12:00:00Z', {
      campaignId: tie.id, totalAmount: '0.01', unitCount: 2, lines: [{ sku: 'a', quantity: 1, lineTotal: '1.00', category: 'apple' }, { sku: 'b', quantity: 1, lineTotal: '1.00', category: 'Banana' }],
    })]);
    const request = { model: 'LAST_TOUCH' as const, lookbackDays: 30, halfLifeDays: 7, from: null, to: null };
    expect((await campaignCategories(prismaRunner(prisma), tie.id, request)).map((c) => [c.category, c.revenue])).toEqual([['Banana', '0.01'], ['apple', '0.00']]);
  });

  describe('recordCampaignSpend', () => {
    const spend = (input: Partial<{ campaignId: string; date: string; amount: string; idempotencyKey: string }>) =>
      new AttributionService(prisma).recordSpend({ campaignId: campaign, date: '2026-03-10', idempotencyKey: randomUUID(), ...input, amount: new Decimal(input.amount ?? '5.00') });
    const refusal = (input: Parameters<typeof spend>[0]) => spend(input).then(() => 'recorded', (error: unknown) => (error instanceof DomainError ? error.errors.map((e) => [e.code, e.field?.join('.')]) : error));

    it('refuses a day PostgreSQL cannot store (year 0) as BAD_USER_INPUT on input.date rather than failing inside the database', async () => {
      for (const date of ['0000-01-01', '1999-12-31', '2101-01-01', '2026-02-29']) expect(await refusal({ date })).toEqual([['BAD_USER_INPUT', 'input.date']]);
      for (const date of ['2000-01-01', '2100-12-31', '2028-02-29']) expect(await refusal({ date })).toBe('recorded');
    });

    it('returns the recorded entry to a retry even when the campaign check would now fail (the key is looked up first)', async () => {
      const gone = await prisma.campaign.create({ data: { id: randomUUID(), name: 'Gone', channel: 'SOCIAL', status: 'ACTIVE', startsAt: new Date('2026-01-01T00:00:00Z'), budget: '1.00', targetLocationIds: [], targetSkus: [] } });
      const first = await spend({ campaignId: gone.id, idempotencyKey: 'retry-after-change' });
      // Campaigns cannot be deleted through the API; the row is removed behind the foreign key's back
      // (replica role skips its cascade) so that the one state check recordSpend makes would fail.
      await prisma.$transaction(async (tx) => {
        await tx.$executeRaw(Prisma.sql`SET LOCAL session_replication_role = replica`);
        await tx.$executeRaw(Prisma.sql`DELETE FROM campaigns WHERE id = ${gone.id}::uuid`);
      });
      expect((await spend({ campaignId: gone.id, idempotencyKey: 'retry-after-change' })).spendEntry).toEqual(first.spendEntry);
      expect(await refusal({ campaignId: gone.id })).toEqual([['NOT_FOUND', 'input.campaignId']]);
    });
  });
});
