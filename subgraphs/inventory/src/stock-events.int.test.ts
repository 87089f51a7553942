/**
 * Stock events: recorded in the outbox in the transaction of the change (so a refused or repeated
 * change records none), and published by one relay at a time in the order they were written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessEventBus, OutboxRelay, type Database, type EventEnvelope } from '@joinery/core';
import { backends, createTestLocation, expectData } from '@joinery/core/testing';
import { waitUntil } from '@joinery/core/testing-ws';
import { buildInventorySubgraph, openInventoryDatabase, type InventorySubgraph } from './server';
import { STOCK_TOPIC } from './stock-events';
import { post, salesService } from './testing/inventory-client';

const ADJUST = `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { userErrors { code } } }`;
const ALLOCATE = `mutation($input: AllocateSaleStockInput!) { allocateSaleStock(input: $input) { allocated userErrors { code } } }`;

async function outbox(database: Database): Promise<{ type: string; payload: any; published: boolean }[]> {
  return database.withConnection(async (sql) => {
    const { rows } = await sql.query(`SELECT type, payload, published_at IS NOT NULL AS published FROM outbox_events ORDER BY seq`);
    return rows as { type: string; payload: any; published: boolean }[];
  });
}

function listen(bus: InProcessEventBus): EventEnvelope[] {
  const received: EventEnvelope[] = [];
  void bus.subscribe(STOCK_TOPIC, (event) => received.push(event));
  return received;
}

describe.each(backends())('stock events on $name', (backend) => {
  let database: Database;
  let inventory: InventorySubgraph;
  let url: string;
  let oslo: string;

  beforeAll(async () => {
    const { inventory: target } = backend.targets();
    database = await openInventoryDatabase(target);
    // No bus: the relay does not run, so the outbox shows exactly what each change recorded.
    inventory = await buildInventorySubgraph({ database });
    url = await inventory.listen(0);
    oslo = await createTestLocation(url, 'OSL-STORE-1');
    for (const sku of ['A-CHAIR', 'B-TABLE']) {
      await expectData(url, `mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, { input: { sku, name: sku, category: 'chairs', price: '10.00' } });
    }
  });
  afterAll(async () => {
    await inventory?.stop();
    await backend.cleanup();
  });

  it('records each change with the change, and nothing for a refused or repeated one', async () => {
    const adjust = (input: Record<string, unknown>) => expectData(url, ADJUST, { input: { locationId: oslo, reason: 'RECEIVED', ...input } });
    expect((await adjust({ sku: 'A-CHAIR', delta: 5, idempotencyKey: 'delivery-1' })).adjustInventory.userErrors).toEqual([]);
    await adjust({ sku: 'A-CHAIR', delta: 5, idempotencyKey: 'delivery-1' });
    expect((await adjust({ sku: 'A-CHAIR', delta: -9, reason: 'DAMAGED' })).adjustInventory.userErrors).toEqual([{ code: 'INSUFFICIENT_STOCK' }]);
    await adjust({ sku: 'B-TABLE', delta: 2 });
    const orderId = '0193a3c5-7d1e-7000-8000-00000000abcd';
    // allocateSaleStock is the sales subgraph's (the service role's) to call.
    const allocate = async (input: Record<string, unknown>) => {
      const result = await post(url, ALLOCATE, { input }, salesService());
      expect(result.errors).toBeUndefined();
      return result.data;
    };
    const refused = await allocate({ orderId: '0193a3c5-7d1e-7000-8000-00000000ffff', locationId: oslo, lines: [{ sku: 'A-CHAIR', quantity: 1 }, { sku: 'B-TABLE', quantity: 3 }] });
    expect(refused.allocateSaleStock.allocated).toBe(false);
    expect((await allocate({ orderId, locationId: oslo, lines: [{ sku: 'B-TABLE', quantity: 2 }, { sku: 'A-CHAIR', quantity: 1 }] })).allocateSaleStock.allocated).toBe(true);
    await allocate({ orderId, locationId: oslo, lines: [{ sku: 'B-TABLE', quantity: 2 }, { sku: 'A-CHAIR', quantity: 1 }] });

    const rows = await outbox(database);
    expect(rows.map((row) => [row.type, row.payload.sku, row.payload.delta ?? row.payload.status, row.payload.onHand])).toEqual([
      ['inventory.stock_changed', 'A-CHAIR', 5, 5],
      ['inventory.low_stock', 'A-CHAIR', 'RESTOCKED', 5],
      ['inventory.stock_changed', 'B-TABLE', 2, 2],
      ['inventory.low_stock', 'B-TABLE', 'RESTOCKED', 2],
      ['inventory.stock_changed', 'A-CHAIR', -1, 4],
      ['inventory.stock_changed', 'B-TABLE', -2, 0],
      ['inventory.low_stock', 'B-TABLE', 'LOW', 0],
    ]);
    expect(rows[4].payload).toMatchObject({ reason: 'SALE', reference: orderId, locationId: oslo, reorderPoint: 0 });
    expect(rows.every((row) => !row.published)).toBe(true);
  });

  it('publishes in the order written, marks what it published, and publishes again what it had not marked', async () => {
    const bus = new InProcessEventBus();
    const received = listen(bus);
    const relay = new OutboxRelay({ name: 'inventory', database, bus, topicOf: () => STOCK_TOPIC, batchSize: 3 });
    relay.start();
    await waitUntil(() => received.length === 7, 5_000, '7 events');
    await relay.stop();
    expect(received.map((event) => event.payload.onHand)).toEqual((await outbox(database)).map((row) => row.payload.onHand));
    expect((await outbox(database)).every((row) => row.published)).toBe(true);

    // A relay that died after publishing the last two but before marking them.
    await database.withConnection((sql) => sql.query(`UPDATE outbox_events SET published_at = NULL WHERE seq > (SELECT max(seq) - 2 FROM outbox_events)`));
    const again = new OutboxRelay({ name: 'inventory', database, bus, topicOf: () => STOCK_TOPIC });
    again.start();
    await waitUntil(() => received.length === 9, 5_000, '2 events published again');
    await again.stop();
    expect(received.slice(7).map((event) => event.id)).toEqual(received.slice(5, 7).map((event) => event.id));
  });
});

describe.runIf(process.env.DATABASE_URL)('two inventory instances on one PostgreSQL schema', () => {
  const [, postgres] = backends();

  it('publish each event once: one relay leads, the other takes over when the leader stops', async () => {
    const { inventory: target } = postgres.targets();
    const first = await openInventoryDatabase(target);
    const second = await openInventoryDatabase(target);
    const bus = new InProcessEventBus();
    const received = listen(bus);
    const a = await buildInventorySubgraph({ database: first, bus, relayPollIntervalMs: 100 });
    await waitUntil(() => a.relay!.isLeader, 5_000, 'the first relay to lead');
    const b = await buildInventorySubgraph({ database: second, bus, relayPollIntervalMs: 100 });
    try {
      const urlA = await a.listen(0);
      const urlB = await b.listen(0);
      const oslo = await createTestLocation(urlA, 'OSL-STORE-1');
      await expectData(urlA, `mutation { createProduct(input: { sku: "A-CHAIR", name: "Chair", category: "chairs", price: "10.00" }) { userErrors { message } } }`);
      const adjust = (url: string, delta: number) => expectData(url, ADJUST, { input: { locationId: oslo, sku: 'A-CHAIR', delta, reason: 'RECEIVED' } });
      await Promise.all([1, 2, 3, 4, 5, 6].map((n) => adjust(n % 2 ? urlA : urlB, n)));
      await waitUntil(() => received.filter((event) => event.type === 'inventory.stock_changed').length === 6, 5_000, '6 changes');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received.filter((event) => event.type === 'inventory.stock_changed')).toHaveLength(6);
      expect(b.relay!.isLeader).toBe(false);
      const changes = received.filter((event) => event.type === 'inventory.stock_changed').map((event) => event.payload as { delta: number; onHand: number });
      changes.forEach((change, index) => expect(change.onHand).toBe((changes[index - 1]?.onHand ?? 0) + change.delta));

      await a.stop();
      await adjust(urlB, 10);
      await waitUntil(() => received.filter((event) => event.type === 'inventory.stock_changed').length === 7, 5_000, 'the standby to publish');
      expect(b.relay!.isLeader).toBe(true);
      expect(received.at(-1)!.payload).toMatchObject({ delta: 10, onHand: 31 });
    } finally {
      await a.stop().catch(() => {});
      await b.stop();
      await postgres.cleanup();
    }
  });
});
