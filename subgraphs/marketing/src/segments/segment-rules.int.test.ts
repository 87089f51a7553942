/**
 * RFM rules against rule changes and location scopes: a rule is read again after the snapshot is
 * written (seconds at scale), so one disabled meanwhile must not fire; a rule on a location's
 * segmentation fires for a customer entering the segment there.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7, type Database, type InventoryDirectory } from '@joinery/core';
import { backends } from '@joinery/core/testing';
import { PrismaClient, type Prisma } from '../generated/prisma/client';
import { AutomationEngine } from '../automation/automation-engine';
import { AutomationService } from '../automation/automation-service';
import { openMarketingDatabase } from '../server';
import { SegmentRefresher } from './segment-refresh';

const DAY = 86_400_000;
const L = randomUUID();

const inventory: InventoryDirectory = {
  async lookup({ locationIds = [] }) {
    return { missingLocations: locationIds.filter((id) => id !== L), prices: new Map() };
  },
};

/**
 * The refresher's Prisma client, except that `onSnapshotWrite` runs inside the refresh's transaction
 * just before the snapshot is replaced: as a rule change committed by another session while the
 * refresh writes (READ COMMITTED: the refresh's later statements see it).
 */
function withHookAtSnapshotWrite(prisma: PrismaClient, onSnapshotWrite: (tx: Prisma.TransactionClient) => Promise<void>): PrismaClient {
  const hooked = (tx: Prisma.TransactionClient) =>
    new Proxy(tx, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (typeof value !== 'function') return value;
        if (property !== '$executeRaw') return value.bind(target);
        return async (strings: TemplateStringsArray, ...values: unknown[]) => {
          if (strings.join('?').includes('DELETE FROM customer_rfm')) await onSnapshotWrite(target);
          return value.call(target, strings, ...values);
        };
      },
    });
  return {
    $transaction: (fn: (tx: Prisma.TransactionClient) => Promise<unknown>, options?: object) => prisma.$transaction((tx) => fn(hooked(tx)), options),
  } as unknown as PrismaClient;
}

describe.each(backends())('RFM rules and rule changes on $name', (backend) => {
  let database: Database;
  let prisma: PrismaClient;
  const T1 = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
  const T2 = new Date(T1.getTime() + DAY);

  async function insertOrders(orders: { customerId: string; daysAgo: number; total: string }[], asOf: Date) {
    await database.withConnection(async (sql) => {
      for (const order of orders) {
        await sql.query(
          `INSERT INTO marketing_orders (order_id, location_id, location_timezone, customer_id, ordered_at, total_amount, discount_total, unit_count)
           VALUES ($1, $2, 'Europe/Oslo', $3, $4, $5, 0, 1)`,
          [randomUUID(), L, order.customerId, new Date(asOf.getTime() - order.daysAgo * DAY).toISOString(), order.total],
        );
      }
    });
  }

  beforeAll(async () => {
    database = await openMarketingDatabase(backend.targets().marketing);
    prisma = new PrismaClient({ adapter: database.adapter });
    // One location, so overall and L score alike. At T1, n = 5, one order each: p1 50 days ago 100.00
    // ... p5 10 days ago 500.00: R = M = k for pk, F = 1 for all. p5 R5 FM 3 POTENTIAL_LOYALIST,
    // p4 R4 FM 3 LOYAL, p3 R3 FM 2 ABOUT_TO_SLEEP, p2 R2 FM 2 HIBERNATING, p1 R1 FM 1 LOST: no champion.
    await insertOrders([1, 2, 3, 4, 5].map((k) => ({ customerId: `p${k}`, daysAgo: 60 - 10 * k, total: `${k}00.00` })), T1);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.close();
    await backend.cleanup();
  });

  it('does not fire a rule disabled while the refresh wrote the snapshot; fires a location rule for a customer entering there', async () => {
    const rules = new AutomationService(prisma, inventory, 'maria@joinery.test');
    const create = async (name: string, trigger: { locationId?: string }) =>
      (await rules.create({ name, trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'CHAMPIONS', ...trigger }, action: { kind: 'CREATE_TASK', taskTitle: 'Thank them', locationId: L } })).automationRule.id;
    const atL = await create('Champions at L', { locationId: L });
    const overall = await create('Champions', {});
    const disabledMidway = await create('Champions, disabled during the refresh', {});

    const engine = new AutomationEngine({ enqueueWebhook: async () => ({ deliveryId: uuidv7() }) });
    expect(await new SegmentRefresher({ prisma, engine }).refresh({ asOf: T1 })).toMatchObject({ entryCount: 10, firingCount: 0 });

    // p1 buys twice half a day before T2 (1000.00 each): R 0d (rank 5 of 5 -> 5), F 3 (-> 5), M 2100 (-> 5):
    // CHAMPIONS overall and at L. Everybody else only ages a day (p5 R4 FM 3 LOYAL ...): no other champion.
    await insertOrders([{ customerId: 'p1', daysAgo: 0.5, total: '1000.00' }, { customerId: 'p1', daysAgo: 0.5, total: '1000.00' }], T2);
    const hooked = withHookAtSnapshotWrite(prisma, async (tx) => {
      await tx.automationRule.update({ where: { id: disabledMidway }, data: { enabled: false } });
    });
    const second = await new SegmentRefresher({ prisma: hooked, engine }).refresh({ asOf: T2 });
    expect(second).toMatchObject({ firingCount: 2 });

    const firings = await prisma.ruleFiring.findMany({ where: { eventId: second!.id } });
    const byRule = (ruleId: string) => firings.filter((firing) => firing.ruleId === ruleId).map((firing) => (firing.detail as any).trigger);
    expect(byRule(atL)).toEqual([expect.objectContaining({ customerId: 'p1', rfmSegment: 'CHAMPIONS', previousSegment: 'LOST', locationId: L, rfmScore: '555' })]);
    expect(byRule(overall)).toEqual([expect.objectContaining({ customerId: 'p1', rfmSegment: 'CHAMPIONS', previousSegment: 'LOST', locationId: null })]);
    expect(byRule(disabledMidway)).toEqual([]);
  });
});
