/**
 * Named quantities per level: available = onHand − committed − damaged is what sales and
 * removals check; damaged stock is written off or received with `state: DAMAGED`, and moved to
 * and from available with changeInventoryState; returns restock through restockReturn.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '@joinery/core/testing';
import { ADJUST, ALLOCATE, CHANGE_STATE, outbox, RESTOCK, salesService, SET, startInventory, type InventoryClient } from './testing/inventory-client';
import { RETURN_TOPIC, STOCK_TOPIC, topicOf, TRANSFER_TOPIC } from './stock-events';

describe.each(backends())('inventory quantities on $name', (backend) => {
  let client: InventoryClient;
  let oslo: string;
  let bergen: string;

  const adjust = async (input: Record<string, unknown>, actor?: string) => (await client.ok(ADJUST, { input: { locationId: oslo, reason: 'RECEIVED', ...input } }, actor)).adjustInventory;
  const changeState = async (input: Record<string, unknown>, actor?: string) => (await client.ok(CHANGE_STATE, { input: { locationId: oslo, ...input } }, actor)).changeInventoryState;

  beforeAll(async () => {
    client = await startInventory(backend.targets().inventory);
    oslo = await client.location('OSL-STORE-1');
    bergen = await client.location('BGO-STORE-1');
  });
  afterAll(async () => {
    await client?.stop();
    await backend.cleanup();
  });

  describe('changeInventoryState', () => {
    it('moves units between AVAILABLE and DAMAGED without changing on-hand, recording who and which quantity', async () => {
      const sku = await client.product('STATE-CHAIR');
      await adjust({ sku, delta: 10 });

      const broken = await changeState({ sku, quantity: 3, from: 'AVAILABLE', to: 'DAMAGED', reference: 'inspection 7' }, 'clerk-1');
      expect(broken.userErrors).toEqual([]);
      expect(broken.level).toEqual({ onHand: 10, available: 7, committed: 0, incoming: 0, damaged: 3 });
      expect(broken.movement).toMatchObject({ state: 'DAMAGED', delta: 3, quantityAfter: 3, reason: 'DAMAGED', reference: 'inspection 7', actor: 'clerk-1' });

      const repaired = await changeState({ sku, quantity: 1, from: 'DAMAGED', to: 'AVAILABLE' }, 'clerk-2');
      expect(repaired.level).toEqual({ onHand: 10, available: 8, committed: 0, incoming: 0, damaged: 2 });
      expect(repaired.movement).toMatchObject({ state: 'DAMAGED', delta: -1, quantityAfter: 2, reason: 'CORRECTION', actor: 'clerk-2' });

      const tooMany = await changeState({ sku, quantity: 9, from: 'AVAILABLE', to: 'DAMAGED' });
      expect(tooMany).toEqual({ level: null, movement: null, userErrors: [
        { code: 'INSUFFICIENT_STOCK', field: ['input', 'quantity'], message: `Not enough available stock for sku ${sku} at location ${oslo}: requested 9, available 8` },
      ] });
      const tooManyDamaged = await changeState({ sku, quantity: 3, from: 'DAMAGED', to: 'AVAILABLE' });
      expect(tooManyDamaged.userErrors).toEqual([
        { code: 'INSUFFICIENT_STOCK', field: ['input', 'quantity'], message: `Not enough damaged stock for sku ${sku} at location ${oslo}: requested 3, available 2` },
      ]);
      expect(await client.level(oslo, sku)).toEqual({ onHand: 10, available: 8, committed: 0, incoming: 0, damaged: 2 });
    });

    it.each([
      { from: 'COMMITTED', to: 'AVAILABLE', field: 'from' },
      { from: 'INCOMING', to: 'DAMAGED', field: 'from' },
      { from: 'AVAILABLE', to: 'COMMITTED', field: 'to' },
      { from: 'AVAILABLE', to: 'AVAILABLE', field: 'to' },
      { from: 'DAMAGED', to: 'INCOMING', field: 'to' },
    ])('refuses a move from $from to $to with BAD_USER_INPUT naming input.$field', async ({ from, to, field }) => {
      const sku = await client.product(`STATE-BAD-${from}-${to}`);
      await adjust({ sku, delta: 4 });
      const refused = await changeState({ sku, quantity: 1, from, to });
      expect(refused.userErrors).toEqual([{ code: 'BAD_USER_INPUT', field: ['input', field], message: expect.stringContaining(from) }]);
      expect(await client.level(oslo, sku)).toEqual({ onHand: 4, available: 4, committed: 0, incoming: 0, damaged: 0 });
    });

    it('replays with its idempotencyKey and changes nothing more', async () => {
      const sku = await client.product('STATE-IDEM');
      await adjust({ sku, delta: 5 });
      const input = { sku, quantity: 2, from: 'AVAILABLE', to: 'DAMAGED', idempotencyKey: 'state-idem' };
      const first = await changeState(input);
      expect(await changeState(input)).toEqual(first);
      expect(await client.level(oslo, sku)).toEqual({ onHand: 5, available: 3, committed: 0, incoming: 0, damaged: 2 });
    });
  });

  describe('available is what sales and removals check', () => {
    it('writes damaged stock off and receives damaged goods with state DAMAGED, and refuses to take damaged stock as available', async () => {
      const sku = await client.product('AVAIL-SOFA');
      await adjust({ sku, delta: 10 });
      await changeState({ sku, quantity: 2, from: 'AVAILABLE', to: 'DAMAGED' });

      const writtenOff = await adjust({ sku, delta: -2, state: 'DAMAGED', reason: 'DAMAGED', reference: 'skip 4' });
      expect(writtenOff.userErrors).toEqual([]);
      expect(writtenOff.level).toEqual({ onHand: 8, available: 8, committed: 0, incoming: 0, damaged: 0 });
      expect(writtenOff.movement).toMatchObject({ state: 'DAMAGED', delta: -2, quantityAfter: 0, reason: 'DAMAGED' });

      const noDamaged = await adjust({ sku, delta: -1, state: 'DAMAGED', reason: 'DAMAGED' });
      expect(noDamaged.userErrors).toEqual([
        { code: 'INSUFFICIENT_STOCK', field: ['input', 'delta'], message: `Not enough damaged stock for sku ${sku} at location ${oslo}: requested 1, available 0` },
      ]);

      const damagedDelivery = await adjust({ sku, delta: 3, state: 'DAMAGED', reason: 'RECEIVED', idempotencyKey: 'damaged-delivery' });
      expect(damagedDelivery.level).toEqual({ onHand: 11, available: 8, committed: 0, incoming: 0, damaged: 3 });

      const tooMuch = await adjust({ sku, delta: -9, reason: 'SHRINKAGE' });
      expect(tooMuch.userErrors).toEqual([
        { code: 'INSUFFICIENT_STOCK', field: ['input', 'delta'], message: `Not enough stock for sku ${sku} at location ${oslo}: requested 9, available 8` },
      ]);
      const oversold = await client.ok(ALLOCATE, { input: { orderId: randomUUID(), locationId: oslo, lines: [{ sku, quantity: 9 }] } }, salesService('tester'));
      expect(oversold.allocateSaleStock.userErrors).toEqual([
        { code: 'INSUFFICIENT_STOCK', field: ['input', 'lines', '0', 'quantity'], message: `Not enough stock for sku ${sku} at location ${oslo}: requested 9, available 8` },
      ]);
      const sold = await client.ok(ALLOCATE, { input: { orderId: randomUUID(), locationId: oslo, lines: [{ sku, quantity: 8 }] } }, salesService('sales'));
      expect(sold.allocateSaleStock).toEqual({ allocated: true, userErrors: [] });
      expect(await client.level(oslo, sku)).toEqual({ onHand: 3, available: 0, committed: 0, incoming: 0, damaged: 3 });

      const belowDamaged = (await client.ok(SET, { input: { locationId: oslo, sku, quantity: 2 } })).setInventory;
      expect(belowDamaged.userErrors).toEqual([{ code: 'INSUFFICIENT_STOCK', field: ['input', 'quantity'], message: expect.stringContaining('damaged 3') }]);

      const movements = (await client.ok(`query($sku: ID!) { product(sku: $sku) { movements(first: 3) { nodes { state delta quantityAfter reason actor } } } }`, { sku })).product.movements.nodes;
      expect(movements).toEqual([
        { state: 'AVAILABLE', delta: -8, quantityAfter: 3, reason: 'SALE', actor: 'sales' },
        { state: 'DAMAGED', delta: 3, quantityAfter: 3, reason: 'RECEIVED', actor: 'tester' },
        { state: 'AVAILABLE', delta: 3, quantityAfter: 11, reason: 'RECEIVED', actor: 'tester' },
      ]);
    });

    it('refuses to adjust committed or incoming stock directly, and transfer reasons, with BAD_USER_INPUT', async () => {
      const sku = await client.product('AVAIL-BAD-STATE');
      for (const [input, field] of [[{ state: 'COMMITTED' }, 'state'], [{ state: 'INCOMING' }, 'state'], [{ reason: 'TRANSFER_IN' }, 'reason'], [{ reason: 'RESERVED' }, 'reason']] as const) {
        const refused = await adjust({ sku, delta: 1, ...input });
        expect(refused.userErrors).toEqual([{ code: 'BAD_USER_INPUT', field: ['input', field], message: expect.any(String) }]);
      }
      expect(await client.level(oslo, sku)).toEqual({ onHand: 0, available: 0, committed: 0, incoming: 0, damaged: 0 });
    });

    it('judges the reorder point and availableTotal on available stock, onHandTotal on on-hand', async () => {
      const sku = await client.product('AVAIL-REORDER');
      await client.ok(SET, { input: { locationId: oslo, sku, quantity: 6, reorderPoint: 3 } });
      await client.ok(SET, { input: { locationId: bergen, sku, quantity: 2 } });
      await changeState({ sku, quantity: 4, from: 'AVAILABLE', to: 'DAMAGED' });
      const data = await client.ok(`query($sku: ID!, $l: ID!) {
        product(sku: $sku) { availableTotal onHandTotal }
        location(id: $l) { inventory(belowReorderPoint: true) { nodes { product { sku } onHand available atOrBelowReorderPoint } } } }`, { sku, l: oslo });
      expect(data.product).toEqual({ availableTotal: 4, onHandTotal: 8 });
      expect(data.location.inventory.nodes).toContainEqual({ product: { sku }, onHand: 6, available: 2, atOrBelowReorderPoint: true });
    });

    it('records stock_changed with the new fields and a LOW alert when available crosses the reorder point though on-hand does not', async () => {
      const sku = await client.product('AVAIL-EVENTS');
      await client.ok(SET, { input: { locationId: oslo, sku, quantity: 10, reorderPoint: 5 } });
      const before = (await outbox(client)).length;
      await changeState({ sku, quantity: 6, from: 'AVAILABLE', to: 'DAMAGED' }, 'clerk-9');
      const events = (await outbox(client)).slice(before);
      expect(events.map((event) => event.type)).toEqual(['inventory.stock_changed', 'inventory.low_stock']);
      expect(events[0].payload).toMatchObject({
        locationId: oslo, sku, state: 'DAMAGED', delta: 0, onHand: 10, available: 4, availableDelta: -6, committed: 0, incoming: 0, damaged: 6, reorderPoint: 5, reason: 'DAMAGED', actor: 'clerk-9',
      });
      expect(events[1].payload).toEqual({ status: 'LOW', locationId: oslo, sku, onHand: 10, available: 4, reorderPoint: 5 });
      const change = await client.ok(`query($id: ID!) { stockChange(id: $id) { state delta onHand available availableDelta damaged actor movement { state delta } } }`, { id: (await client.inventory.database.withConnection((sql) => sql.query(`SELECT id::text FROM outbox_events WHERE type = 'inventory.stock_changed' ORDER BY seq DESC LIMIT 1`))).rows[0].id });
      expect(change.stockChange).toEqual({ state: 'DAMAGED', delta: 0, onHand: 10, available: 4, availableDelta: -6, damaged: 6, actor: 'clerk-9', movement: { state: 'DAMAGED', delta: 6 } });
      expect([topicOf('inventory.stock_changed'), topicOf('inventory.low_stock'), topicOf('inventory.transfer_shipped'), topicOf('inventory.return_restocked')]).toEqual([STOCK_TOPIC, STOCK_TOPIC, TRANSFER_TOPIC, RETURN_TOPIC]);
    });
  });

  describe('restockReturn', () => {
    it('puts returned goods back, as damaged when DAMAGED, creating missing levels, once per return id', async () => {
      const [chair, lamp] = [await client.product('RETURN-CHAIR'), await client.product('RETURN-LAMP')];
      const input = { returnId: randomUUID(), orderId: randomUUID(), locationId: bergen, lines: [{ sku: lamp, quantity: 1, condition: 'DAMAGED' }, { sku: chair, quantity: 2, condition: 'RESTOCK' }] };
      const before = (await outbox(client)).length;
      const results = await Promise.all([client.ok(RESTOCK, { input }, salesService('sales')), client.ok(RESTOCK, { input }, salesService('sales'))]);
      expect(results.map((result) => result.restockReturn)).toEqual([{ restocked: true, userErrors: [] }, { restocked: true, userErrors: [] }]);
      expect(await client.level(bergen, chair)).toEqual({ onHand: 2, available: 2, committed: 0, incoming: 0, damaged: 0 });
      expect(await client.level(bergen, lamp)).toEqual({ onHand: 1, available: 0, committed: 0, incoming: 0, damaged: 1 });

      const history = (await client.ok(`query($l: ID!, $r: String!) { location(id: $l) { movements(filter: { reference: $r }) { nodes { product { sku } state delta reason actor } totalCount } } }`, { l: bergen, r: input.returnId })).location.movements;
      expect(history.totalCount).toBe(3);
      expect(history.nodes).toEqual([
        { product: { sku: lamp }, state: 'DAMAGED', delta: 1, reason: 'RETURN', actor: 'sales' },
        { product: { sku: lamp }, state: 'AVAILABLE', delta: 1, reason: 'RETURN', actor: 'sales' },
        { product: { sku: chair }, state: 'AVAILABLE', delta: 2, reason: 'RETURN', actor: 'sales' },
      ]);
      const events = (await outbox(client)).slice(before);
      expect(events.filter((event) => event.type === 'inventory.return_restocked')).toEqual([{
        type: 'inventory.return_restocked', aggregate: `return:${input.returnId}`,
        payload: { returnId: input.returnId, orderId: input.orderId, locationId: bergen, actor: 'sales', lines: [{ sku: chair, quantity: 2, condition: 'RESTOCK' }, { sku: lamp, quantity: 1, condition: 'DAMAGED' }] },
      }]);
      expect(events.filter((event) => event.type === 'inventory.stock_changed').map((event) => [event.payload.sku, event.payload.state, event.payload.availableDelta])).toEqual([[chair, 'AVAILABLE', 2], [lamp, 'DAMAGED', 0]]);

      const other = await client.ok(RESTOCK, { input: { ...input, lines: [{ sku: chair, quantity: 3, condition: 'RESTOCK' }] } }, salesService('tester'));
      expect(other.restockReturn).toEqual({ restocked: false, userErrors: [{ code: 'CONFLICT', field: ['input', 'returnId'], message: expect.stringContaining(input.returnId) }] });
      expect(await client.level(bergen, chair)).toEqual({ onHand: 2, available: 2, committed: 0, incoming: 0, damaged: 0 });
    });

    it('restocks nothing when a line names an unknown product, and refuses a bad return', async () => {
      const sku = await client.product('RETURN-BAD');
      const unknown = await client.ok(RESTOCK, { input: { returnId: randomUUID(), orderId: randomUUID(), locationId: oslo, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }, { sku: 'NO-SUCH', quantity: 1, condition: 'RESTOCK' }] } }, salesService('tester'));
      expect(unknown.restockReturn).toEqual({ restocked: false, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'lines', '1', 'sku'], message: 'No product with sku NO-SUCH' }] });
      expect(await client.level(oslo, sku)).toEqual({ onHand: 0, available: 0, committed: 0, incoming: 0, damaged: 0 });
      const badLocation = await client.ok(RESTOCK, { input: { returnId: randomUUID(), orderId: randomUUID(), locationId: randomUUID(), lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] } }, salesService('tester'));
      expect(badLocation.restockReturn.userErrors).toEqual([{ code: 'NOT_FOUND', field: ['input', 'locationId'], message: expect.any(String) }]);
      const badQuantity = await client.ok(RESTOCK, { input: { returnId: randomUUID(), orderId: randomUUID(), locationId: oslo, lines: [{ sku, quantity: 0, condition: 'RESTOCK' }] } }, salesService('tester'));
      expect(badQuantity.restockReturn.userErrors).toEqual([{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'quantity'], message: expect.any(String) }]);
    });
  });
});
