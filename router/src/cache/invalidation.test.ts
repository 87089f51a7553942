import { randomUUID } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessEventBus, type EventEnvelope } from '@joinery/core';
import { Invalidation } from './invalidation';
import { MemoryResponseStore } from './memory-store';

const event = (type: string): EventEnvelope => ({ id: randomUUID(), type, version: 1, aggregate: 'test', occurredAt: new Date().toISOString(), recordedAt: new Date().toISOString(), payload: {} });

/** A store holding one answer per subject, and a way to ask which are still served. */
async function storeWith(subjects: string[]) {
  const store = new MemoryResponseStore({ maxEntries: 100, ttlSeconds: 600 });
  const save = async (subject: string) => store.save(subject, (await store.lookup(subject, [subject])).generations, subject);
  for (const subject of subjects) await save(subject);
  const served = async () => (await Promise.all(subjects.map(async (subject) => ((await store.lookup(subject, [subject])).body ? subject : undefined)))).filter(Boolean);
  return { store, save, served };
}

describe('response cache invalidation', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });

  it('drops the answers of the fields an event changes, in every scope, and only those', async () => {
    const bus = new InProcessEventBus();
    const { store, served } = await storeWith(['salesReport', 'inventoryStockValue', 'customerSegments']);
    const invalidation = await Invalidation.start({ store, bus, onError: (error) => expect.fail(String(error)) });
    stops.push(() => invalidation.stop(), () => bus.close());

    await bus.publish('sales.orders', [event('sales.order_confirmed')]);
    await tick();
    expect(await served()).toEqual(['inventoryStockValue', 'customerSegments']);
    // A batch of a relay's events is one invalidation.
    await bus.publish('inventory.stock', [event('inventory.stock_changed'), event('inventory.stock_changed'), event('inventory.low_stock')]);
    await tick();
    expect(await served()).toEqual(['customerSegments']);
    expect(invalidation.stats).toEqual({ events: 4, invalidations: 2 });
  });

  it('drops answers derived by another service again once it has had time to apply the event', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const bus = new InProcessEventBus();
    const { store, save, served } = await storeWith(['campaignComparison', 'salesReport']);
    const invalidation = await Invalidation.start({ store, bus, settleMs: 1_000, onError: (error) => expect.fail(String(error)) });
    stops.push(() => invalidation.stop(), () => bus.close());

    await bus.publish('sales.orders', [event('sales.order_confirmed')]);
    await tick();
    expect(await served()).toEqual([]);
    // Read again before marketing's attribution consumer applied the order: an answer without it.
    await save('campaignComparison');
    await vi.advanceTimersByTimeAsync(999);
    expect(await served()).toEqual(['campaignComparison']);
    await vi.advanceTimersByTimeAsync(1);
    expect(await served()).toEqual([]);
  });

  it('drops what a mutation changes, events or not, and nothing once stopped', async () => {
    const bus = new InProcessEventBus();
    const { store, served } = await storeWith(['inventoryStockValue', 'Product', 'salesReport', 'Location']);
    const invalidation = await Invalidation.start({ store, bus, onError: (error) => expect.fail(String(error)) });
    stops.push(() => bus.close());

    await invalidation.afterMutation(['updateProduct']);
    expect(await served()).toEqual(['salesReport', 'Location']);
    await invalidation.afterMutation(['completeStoreTask']);
    expect(await served()).toEqual(['salesReport', 'Location']);
    await invalidation.stop();
    await bus.publish('sales.orders', [event('sales.order_confirmed')]);
    await tick();
    expect(await served()).toEqual(['salesReport', 'Location']);
  });
});
