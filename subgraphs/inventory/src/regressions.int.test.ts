/**
 * Regressions found in review: repeated sale allocations with other input, idempotency keys
 * matched on raw input, Location.transfers N+1, level overflow, UUID references in two cases, and
 * createTransfer naming only one unknown location.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '@joinery/core/testing';
import { ADJUST, ALLOCATE, CREATE_TRANSFER, RECEIVE_TRANSFER, RESTOCK, salesService, SHIP_TRANSFER, startInventory, type InventoryClient } from './testing/inventory-client';

const INT_MAX = 2_147_483_647;

describe.each(backends())('inventory regressions on $name', (backend) => {
  let client: InventoryClient;
  let warehouse: string;
  let store: string;

  const stock = async (locationId: string, sku: string, delta: number) => {
    const data = await client.ok(ADJUST, { input: { locationId, sku, delta, reason: 'RECEIVED' } });
    expect(data.adjustInventory.userErrors).toEqual([]);
  };
  /** Puts a level near the column's limit behind the ledger's back: no client can build one quickly. */
  const nearLimit = (locationId: string, sku: string, column = 'on_hand') => client.inventory.database.withConnection((sql) =>
    sql.query(`UPDATE inventory_levels SET ${column} = $1 WHERE location_id = $2::uuid AND sku = $3`, [INT_MAX - 10, locationId, sku]));
  const references = async (locationId: string, reference: string) => (await client.ok(`query($l: ID!, $r: String!) { location(id: $l) {
    movements(first: 50, filter: { reference: $r }) { nodes { reference reason delta } } } }`, { l: locationId, r: reference })).location.movements.nodes;

  beforeAll(async () => {
    client = await startInventory(backend.targets().inventory);
    warehouse = await client.location('REG-WH-1');
    store = await client.location('REG-STORE-1');
  });
  afterAll(async () => {
    await client?.stop();
    await backend.cleanup();
  });

  it('refuses a repeated allocateSaleStock for one order with another location or other lines with CONFLICT naming the order', async () => {
    const sku = await client.product('REG-ALLOC');
    await stock(warehouse, sku, 10);
    await stock(store, sku, 10);
    const orderId = randomUUID();
    const first = await client.ok(ALLOCATE, { input: { orderId, locationId: warehouse, lines: [{ sku, quantity: 2 }] } }, salesService('tester'));
    expect(first.allocateSaleStock).toEqual({ allocated: true, userErrors: [] });

    const same = await client.ok(ALLOCATE, { input: { orderId: orderId.toUpperCase(), locationId: warehouse.toUpperCase(), lines: [{ sku, quantity: 2 }] } }, salesService('tester'));
    expect(same.allocateSaleStock).toEqual({ allocated: true, userErrors: [] });
    for (const input of [
      { orderId, locationId: store, lines: [{ sku, quantity: 2 }] },
      { orderId, locationId: warehouse, lines: [{ sku, quantity: 3 }] },
    ]) {
      const other = await client.ok(ALLOCATE, { input }, salesService('tester'));
      expect(other.allocateSaleStock.allocated).toBe(false);
      expect(other.allocateSaleStock.userErrors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: ['input', 'orderId'], message: expect.stringContaining(orderId) })]);
    }
    expect(await client.level(warehouse, sku)).toMatchObject({ onHand: 8 });
    expect(await client.level(store, sku)).toMatchObject({ onHand: 10 });
  });

  it('stores a sale reference in lower case and finds UUID references whatever their case', async () => {
    const sku = await client.product('REG-REF');
    await stock(warehouse, sku, 5);
    const orderId = randomUUID();
    const data = await client.ok(ALLOCATE, { input: { orderId: orderId.toUpperCase(), locationId: warehouse, lines: [{ sku, quantity: 1 }] } }, salesService('tester'));
    expect(data.allocateSaleStock.userErrors).toEqual([]);
    expect(await references(warehouse, orderId)).toEqual([{ reference: orderId, reason: 'SALE', delta: -1 }]);
    expect(await references(warehouse, orderId.toUpperCase())).toEqual([{ reference: orderId, reason: 'SALE', delta: -1 }]);

    const note = randomUUID();
    const adjusted = await client.ok(ADJUST, { input: { locationId: warehouse, sku, delta: 1, reason: 'RECEIVED', reference: note.toUpperCase() } });
    expect(adjusted.adjustInventory.movement.reference).toBe(note);
    expect(await references(warehouse, note.toUpperCase())).toEqual([{ reference: note, reason: 'RECEIVED', delta: 1 }]);
  });

  it('replays idempotency keys whatever the case of the UUIDs and whether defaults were spelled out', async () => {
    const sku = await client.product('REG-KEYS');
    await stock(warehouse, sku, 20);
    const createKey = `create-${randomUUID()}`;
    const created = (await client.ok(CREATE_TRANSFER, { input: { originId: warehouse, destinationId: store, lines: [{ sku, quantity: 2 }], idempotencyKey: createKey } })).createTransfer;
    expect(created.userErrors).toEqual([]);
    const again = (await client.ok(CREATE_TRANSFER, { input: { originId: warehouse.toUpperCase(), destinationId: store, lines: [{ sku, quantity: 2 }], idempotencyKey: createKey } })).createTransfer;
    expect(again.userErrors).toEqual([]);
    expect(again.transfer.id).toBe(created.transfer.id);

    const shipKey = `ship-${randomUUID()}`;
    expect((await client.ok(SHIP_TRANSFER, { input: { id: created.transfer.id, idempotencyKey: shipKey } })).shipTransfer.userErrors).toEqual([]);
    const reshipped = (await client.ok(SHIP_TRANSFER, { input: { id: created.transfer.id.toUpperCase(), idempotencyKey: shipKey } })).shipTransfer;
    expect(reshipped.userErrors).toEqual([]);
    expect(reshipped.transfer.status).toBe('SHIPPED');

    const adjustKey = `adjust-${randomUUID()}`;
    const adjusted = (await client.ok(ADJUST, { input: { locationId: warehouse, sku, delta: 1, reason: 'RECEIVED', idempotencyKey: adjustKey } })).adjustInventory;
    expect(adjusted.userErrors).toEqual([]);
    const readjusted = (await client.ok(ADJUST, { input: { locationId: warehouse.toUpperCase(), sku, delta: 1, state: 'AVAILABLE', reason: 'RECEIVED', idempotencyKey: adjustKey } })).adjustInventory;
    expect(readjusted.userErrors).toEqual([]);
    expect(readjusted.movement.id).toBe(adjusted.movement.id);
    expect(await client.level(warehouse, sku)).toMatchObject({ onHand: 19 });
  });

  it('answers Location.transfers for many locations with one query for the pages and one for the counts', async () => {
    const sku = await client.product('REG-BATCH');
    const locations = [warehouse, store, await client.location('REG-STORE-2'), await client.location('REG-STORE-3')];
    await stock(warehouse, sku, 50);
    for (const destination of locations.slice(1)) {
      expect((await client.ok(CREATE_TRANSFER, { input: { originId: warehouse, destinationId: destination, lines: [{ sku, quantity: 1 }] } })).createTransfer.userErrors).toEqual([]);
    }
    const query = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Location { id transfers(first: 2, statuses: [DRAFT]) {
      totalCount nodes { id destination { id } lines { product { sku } quantity } } } } } }`;
    const run = async (ids: string[]) => {
      client.inventory.database.statements.reset();
      const data = await client.ok(query, { representations: ids.map((id) => ({ __typename: 'Location', id })) });
      return { data, statements: client.inventory.database.statements.count };
    };
    const two = await run(locations.slice(2));
    const four = await run(locations);
    expect(four.statements).toBe(two.statements);
    const byId = new Map(four.data._entities.map((node: { id: string }) => [node.id, node]));
    expect((byId.get(locations[2]) as any).transfers).toMatchObject({ totalCount: 1, nodes: [{ destination: { id: locations[2] }, lines: [{ product: { sku }, quantity: 1 }] }] });
    expect((byId.get(warehouse) as any).transfers.totalCount).toBeGreaterThanOrEqual(3);
    expect((byId.get(warehouse) as any).transfers.nodes).toHaveLength(2);
  });

  it('refuses a change that would take a level past the largest quantity with BAD_USER_INPUT naming sku and location', async () => {
    const sku = await client.product('REG-OVERFLOW');
    await stock(store, sku, 5);
    await nearLimit(store, sku);
    for (const input of [
      { locationId: store, sku, delta: 1_000_000, reason: 'RECEIVED' },
      { locationId: store, sku, delta: 1_000_000, reason: 'RECEIVED', idempotencyKey: `overflow-${randomUUID()}` },
      { locationId: store, sku, delta: 1_000_000, state: 'DAMAGED', reason: 'RECEIVED' },
    ]) {
      const data = await client.ok(ADJUST, { input });
      expect(data.adjustInventory.userErrors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: ['input', 'delta'], message: expect.stringMatching(new RegExp(`${sku}.*${store}`)) })]);
    }

    const restock = await client.ok(RESTOCK, { input: { returnId: randomUUID(), orderId: randomUUID(), locationId: store, lines: [{ sku, quantity: 100, condition: 'RESTOCK' }] } }, salesService('tester'));
    expect(restock.restockReturn.restocked).toBe(false);
    expect(restock.restockReturn.userErrors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', message: expect.stringMatching(new RegExp(`${sku}.*${store}`)) })]);

    await stock(warehouse, sku, 100);
    const transfer = (await client.ok(CREATE_TRANSFER, { input: { originId: warehouse, destinationId: store, lines: [{ sku, quantity: 100 }] } })).createTransfer.transfer;
    expect((await client.ok(SHIP_TRANSFER, { input: { id: transfer.id } })).shipTransfer.userErrors).toEqual([]);
    const received = (await client.ok(RECEIVE_TRANSFER, { input: { id: transfer.id } })).receiveTransfer;
    expect(received.userErrors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', message: expect.stringMatching(new RegExp(`${sku}.*${store}`)) })]);
    expect(await client.level(store, sku)).toEqual({ onHand: INT_MAX - 10, available: INT_MAX - 10, committed: 0, incoming: 100, damaged: 0 });

    const other = await client.product('REG-OVERFLOW-IN');
    await stock(warehouse, other, 100);
    await stock(store, other, 1);
    await nearLimit(store, other, 'incoming');
    const second = (await client.ok(CREATE_TRANSFER, { input: { originId: warehouse, destinationId: store, lines: [{ sku: other, quantity: 100 }] } })).createTransfer.transfer;
    const shipped = (await client.ok(SHIP_TRANSFER, { input: { id: second.id } })).shipTransfer;
    expect(shipped.userErrors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', message: expect.stringMatching(new RegExp(`${other}.*${store}`)) })]);
  });

  it('names both unknown locations when createTransfer is given two', async () => {
    const [origin, destination] = [randomUUID(), randomUUID()];
    const data = await client.ok(CREATE_TRANSFER, { input: { originId: origin, destinationId: destination, lines: [{ sku: 'REG-NONE', quantity: 1 }] } });
    expect(data.createTransfer.userErrors).toEqual([
      { code: 'NOT_FOUND', field: ['input', 'originId'], message: `No location with id ${origin}` },
      { code: 'NOT_FOUND', field: ['input', 'destinationId'], message: `No location with id ${destination}` },
    ]);
  });
});
