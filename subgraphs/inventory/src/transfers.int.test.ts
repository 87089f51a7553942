/**
 * Transfers: DRAFT commits at the origin, SHIPPED moves the goods into the destination's
 * incoming, RECEIVED puts them on hand there with any shortfall and damage recorded, CANCELLED
 * releases a draft. Each step is idempotent by key and refused with CONFLICT out of order.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '@joinery/core/testing';
import { verifyStockLevels } from './stock-verification';
import { ADJUST, ALLOCATE, CANCEL_TRANSFER, CREATE_TRANSFER, outbox, RECEIVE_TRANSFER, salesService, SHIP_TRANSFER, startInventory, type InventoryClient } from './testing/inventory-client';

describe.each(backends())('inventory transfers on $name', (backend) => {
  let client: InventoryClient;
  let warehouse: string;
  let store: string;

  const stock = async (locationId: string, sku: string, delta: number) => {
    const data = await client.ok(ADJUST, { input: { locationId, sku, delta, reason: 'RECEIVED' } });
    expect(data.adjustInventory.userErrors).toEqual([]);
  };
  const create = async (input: Record<string, unknown>, actor?: string) => (await client.ok(CREATE_TRANSFER, { input: { originId: warehouse, destinationId: store, ...input } }, actor)).createTransfer;
  const ship = async (input: Record<string, unknown>) => (await client.ok(SHIP_TRANSFER, { input })).shipTransfer;
  const receive = async (input: Record<string, unknown>) => (await client.ok(RECEIVE_TRANSFER, { input })).receiveTransfer;
  const cancel = async (input: Record<string, unknown>) => (await client.ok(CANCEL_TRANSFER, { input })).cancelTransfer;

  beforeAll(async () => {
    client = await startInventory(backend.targets().inventory);
    warehouse = await client.location('OSL-WH-1');
    store = await client.location('BGO-STORE-1');
  });
  afterAll(async () => {
    await client?.stop();
    await backend.cleanup();
  });

  it('runs DRAFT → SHIPPED → RECEIVED, moving committed, on-hand, incoming and damaged, with a partial receipt', async () => {
    const [chair, table] = [await client.product('TRF-CHAIR'), await client.product('TRF-TABLE')];
    await stock(warehouse, chair, 10);
    await stock(warehouse, table, 5);

    const created = await create({ lines: [{ sku: table, quantity: 5 }, { sku: chair, quantity: 4 }], reference: 'pick 12' }, 'planner');
    expect(created.userErrors).toEqual([]);
    const transfer = created.transfer;
    expect(transfer).toMatchObject({
      status: 'DRAFT', reference: 'pick 12', createdBy: 'planner', shippedAt: null, receivedAt: null, cancelledAt: null, shortfall: 0,
      origin: { id: warehouse }, destination: { id: store },
      lines: [
        { product: { sku: chair }, quantity: 4, receivedQuantity: null, damagedQuantity: null, shortfall: null },
        { product: { sku: table }, quantity: 5, receivedQuantity: null, damagedQuantity: null, shortfall: null },
      ],
    });
    expect(await client.level(warehouse, chair)).toEqual({ onHand: 10, available: 6, committed: 4, incoming: 0, damaged: 0 });
    expect(await client.level(warehouse, table)).toEqual({ onHand: 5, available: 0, committed: 5, incoming: 0, damaged: 0 });
    const sale = await client.ok(ALLOCATE, { input: { orderId: randomUUID(), locationId: warehouse, lines: [{ sku: table, quantity: 1 }] } }, salesService('tester'));
    expect(sale.allocateSaleStock.userErrors).toEqual([{ code: 'INSUFFICIENT_STOCK', field: ['input', 'lines', '0', 'quantity'], message: `Not enough stock for sku ${table} at location ${warehouse}: requested 1, available 0` }]);

    const shipped = await ship({ id: transfer.id });
    expect(shipped.userErrors).toEqual([]);
    expect(shipped.transfer).toMatchObject({ status: 'SHIPPED', shippedAt: expect.any(String) });
    expect(await client.level(warehouse, chair)).toEqual({ onHand: 6, available: 6, committed: 0, incoming: 0, damaged: 0 });
    expect(await client.level(warehouse, table)).toEqual({ onHand: 0, available: 0, committed: 0, incoming: 0, damaged: 0 });
    expect(await client.level(store, chair)).toEqual({ onHand: 0, available: 0, committed: 0, incoming: 4, damaged: 0 });

    const received = await receive({ id: transfer.id, lines: [{ sku: chair, receivedQuantity: 2, damagedQuantity: 1 }] });
    expect(received.userErrors).toEqual([]);
    expect(received.transfer).toMatchObject({
      status: 'RECEIVED', receivedAt: expect.any(String), shortfall: 1,
      lines: [
        { product: { sku: chair }, quantity: 4, receivedQuantity: 2, damagedQuantity: 1, shortfall: 1 },
        { product: { sku: table }, quantity: 5, receivedQuantity: 5, damagedQuantity: 0, shortfall: 0 },
      ],
    });
    expect(await client.level(store, chair)).toEqual({ onHand: 3, available: 2, committed: 0, incoming: 0, damaged: 1 });
    expect(await client.level(store, table)).toEqual({ onHand: 5, available: 5, committed: 0, incoming: 0, damaged: 0 });

    const ledger = async (locationId: string) => (await client.ok(`query($l: ID!, $r: String!) { location(id: $l) { movements(first: 50, filter: { reference: $r }) {
      nodes { product { sku } state delta quantityAfter reason } } } }`, { l: locationId, r: transfer.id })).location.movements.nodes.reverse();
    expect(await ledger(warehouse)).toEqual([
      { product: { sku: chair }, state: 'COMMITTED', delta: 4, quantityAfter: 4, reason: 'RESERVED' },
      { product: { sku: table }, state: 'COMMITTED', delta: 5, quantityAfter: 5, reason: 'RESERVED' },
      { product: { sku: chair }, state: 'AVAILABLE', delta: -4, quantityAfter: 6, reason: 'TRANSFER_OUT' },
      { product: { sku: chair }, state: 'COMMITTED', delta: -4, quantityAfter: 0, reason: 'TRANSFER_OUT' },
      { product: { sku: table }, state: 'AVAILABLE', delta: -5, quantityAfter: 0, reason: 'TRANSFER_OUT' },
      { product: { sku: table }, state: 'COMMITTED', delta: -5, quantityAfter: 0, reason: 'TRANSFER_OUT' },
    ]);
    expect(await ledger(store)).toEqual([
      { product: { sku: chair }, state: 'INCOMING', delta: 4, quantityAfter: 4, reason: 'TRANSFER_OUT' },
      { product: { sku: table }, state: 'INCOMING', delta: 5, quantityAfter: 5, reason: 'TRANSFER_OUT' },
      { product: { sku: chair }, state: 'INCOMING', delta: -3, quantityAfter: 1, reason: 'TRANSFER_IN' },
      { product: { sku: chair }, state: 'INCOMING', delta: -1, quantityAfter: 0, reason: 'TRANSFER_SHORTFALL' },
      { product: { sku: chair }, state: 'AVAILABLE', delta: 3, quantityAfter: 3, reason: 'TRANSFER_IN' },
      { product: { sku: chair }, state: 'DAMAGED', delta: 1, quantityAfter: 1, reason: 'TRANSFER_IN' },
      { product: { sku: table }, state: 'INCOMING', delta: -5, quantityAfter: 0, reason: 'TRANSFER_IN' },
      { product: { sku: table }, state: 'AVAILABLE', delta: 5, quantityAfter: 5, reason: 'TRANSFER_IN' },
    ]);

    const events = (await outbox(client)).filter((event) => event.aggregate === `transfer:${transfer.id}`);
    expect(events.map((event) => event.type)).toEqual(['inventory.transfer_created', 'inventory.transfer_shipped', 'inventory.transfer_received']);
    expect(events[2].payload).toEqual({
      transferId: transfer.id, status: 'RECEIVED', originId: warehouse, destinationId: store, reference: 'pick 12', actor: 'tester', shortfall: 1,
      lines: [
        { sku: chair, quantity: 4, receivedQuantity: 2, damagedQuantity: 1, shortfall: 1 },
        { sku: table, quantity: 5, receivedQuantity: 5, damagedQuantity: 0, shortfall: 0 },
      ],
    });
    expect(events[0].payload).toMatchObject({ status: 'DRAFT', actor: 'planner', shortfall: 0, lines: [{ sku: chair, quantity: 4, receivedQuantity: null }, { sku: table, quantity: 5 }] });
    const shippedChanges = (await outbox(client)).filter((event) => event.type === 'inventory.stock_changed' && event.payload.reference === transfer.id && event.payload.reason === 'TRANSFER_OUT');
    expect(shippedChanges.map((event) => [event.payload.locationId, event.payload.sku, event.payload.state, event.payload.delta, event.payload.availableDelta, event.payload.incoming])).toEqual([
      [warehouse, chair, 'AVAILABLE', -4, 0, 0],
      [warehouse, table, 'AVAILABLE', -5, 0, 0],
      [store, chair, 'INCOMING', 0, 0, 4],
      [store, table, 'INCOMING', 0, 0, 5],
    ]);
    expect((await verifyStockLevels(client.inventory.prisma)).mismatches).toEqual([]);
  });

  it('returns the first result when any step is repeated with its idempotencyKey, and refuses the key with other input', async () => {
    const sku = await client.product('TRF-IDEM');
    await stock(warehouse, sku, 20);
    const input = { lines: [{ sku, quantity: 3 }], idempotencyKey: 'trf-idem-create' };
    const first = await create(input);
    expect(await create(input)).toEqual(first);
    expect(await client.level(warehouse, sku)).toMatchObject({ committed: 3, available: 17 });
    const listed = await client.ok(`query($l: ID!) { transfers(filter: { originId: $l, statuses: [DRAFT] }) { nodes { id lines { product { sku } } } } }`, { l: warehouse });
    expect(listed.transfers.nodes.filter((node: { lines: { product: { sku: string } }[] }) => node.lines[0].product.sku === sku)).toHaveLength(1);
    const reused = await create({ ...input, lines: [{ sku, quantity: 4 }] });
    expect(reused.userErrors).toEqual([{ code: 'CONFLICT', field: ['input', 'idempotencyKey'], message: expect.stringContaining('trf-idem-create') }]);

    const id = first.transfer.id;
    const shipped = await ship({ id, idempotencyKey: 'trf-idem-ship' });
    expect(await ship({ id, idempotencyKey: 'trf-idem-ship' })).toEqual(shipped);
    expect(await client.level(store, sku)).toMatchObject({ incoming: 3 });
    const receipt = { id, lines: [{ sku, receivedQuantity: 2 }], idempotencyKey: 'trf-idem-receive' };
    const received = await receive(receipt);
    expect(received.transfer).toMatchObject({ status: 'RECEIVED', shortfall: 1 });
    expect(await receive(receipt)).toEqual(received);
    expect(await client.level(store, sku)).toEqual({ onHand: 2, available: 2, committed: 0, incoming: 0, damaged: 0 });

    const draft = (await create({ lines: [{ sku, quantity: 5 }] })).transfer;
    const cancelled = await cancel({ id: draft.id, idempotencyKey: 'trf-idem-cancel' });
    expect(await cancel({ id: draft.id, idempotencyKey: 'trf-idem-cancel' })).toEqual(cancelled);
    expect(await client.level(warehouse, sku)).toEqual({ onHand: 17, available: 17, committed: 0, incoming: 0, damaged: 0 });
  });

  it('cancels a draft, releasing what it committed', async () => {
    const sku = await client.product('TRF-CANCEL');
    await stock(warehouse, sku, 6);
    const draft = (await create({ lines: [{ sku, quantity: 6 }] })).transfer;
    expect(await client.level(warehouse, sku)).toMatchObject({ available: 0, committed: 6 });
    const cancelled = await cancel({ id: draft.id });
    expect(cancelled.userErrors).toEqual([]);
    expect(cancelled.transfer).toMatchObject({ status: 'CANCELLED', cancelledAt: expect.any(String), shippedAt: null });
    expect(await client.level(warehouse, sku)).toEqual({ onHand: 6, available: 6, committed: 0, incoming: 0, damaged: 0 });
    const released = (await client.ok(`query($sku: ID!) { product(sku: $sku) { movements(first: 1) { nodes { state delta reason reference } } } }`, { sku })).product.movements.nodes;
    expect(released).toEqual([{ state: 'COMMITTED', delta: -6, reason: 'RELEASED', reference: draft.id }]);
  });

  it('refuses a step out of order with CONFLICT naming the transfer and its status, and changes nothing', async () => {
    const sku = await client.product('TRF-ORDER');
    await stock(warehouse, sku, 10);
    const cancelledDraft = (await create({ lines: [{ sku, quantity: 1 }] })).transfer;
    await cancel({ id: cancelledDraft.id });
    const shippedOne = (await create({ lines: [{ sku, quantity: 2 }] })).transfer;
    await ship({ id: shippedOne.id });
    const draft = (await create({ lines: [{ sku, quantity: 3 }] })).transfer;
    const receivedOne = (await create({ lines: [{ sku, quantity: 1 }] })).transfer;
    await ship({ id: receivedOne.id });
    await receive({ id: receivedOne.id });
    const before = [await client.level(warehouse, sku), await client.level(store, sku)];

    const cases: [string, () => Promise<{ transfer: unknown; userErrors: unknown[] }>, string, string][] = [
      ['ship a cancelled transfer', () => ship({ id: cancelledDraft.id }), cancelledDraft.id, 'CANCELLED'],
      ['receive a cancelled transfer', () => receive({ id: cancelledDraft.id }), cancelledDraft.id, 'CANCELLED'],
      ['cancel a shipped transfer', () => cancel({ id: shippedOne.id }), shippedOne.id, 'SHIPPED'],
      ['ship a shipped transfer', () => ship({ id: shippedOne.id }), shippedOne.id, 'SHIPPED'],
      ['receive a draft', () => receive({ id: draft.id }), draft.id, 'DRAFT'],
      ['cancel a received transfer', () => cancel({ id: receivedOne.id }), receivedOne.id, 'RECEIVED'],
      ['receive a received transfer', () => receive({ id: receivedOne.id }), receivedOne.id, 'RECEIVED'],
    ];
    for (const [name, step, id, status] of cases) {
      const refused = await step();
      expect(refused.transfer, name).toBeNull();
      expect(refused.userErrors, name).toEqual([{ code: 'CONFLICT', field: ['input', 'id'], message: expect.stringMatching(new RegExp(`Transfer ${id} is ${status}`)) }]);
    }
    expect((await cancel({ id: shippedOne.id })).userErrors[0].message).toContain('send the goods back with a new transfer');
    expect([await client.level(warehouse, sku), await client.level(store, sku)]).toEqual(before);
    const unknown = await ship({ id: randomUUID() });
    expect(unknown.userErrors).toEqual([{ code: 'NOT_FOUND', field: ['input', 'id'], message: expect.stringContaining('No transfer') }]);
    expect((await ship({ id: 'not-an-id' })).userErrors[0].code).toBe('NOT_FOUND');
  });

  it('refuses bad transfers and bad receipts with userErrors naming the field, and changes nothing', async () => {
    const sku = await client.product('TRF-BAD');
    await stock(warehouse, sku, 2);
    const refusals: [Record<string, unknown>, { code: string; field: string[]; message?: unknown }[]][] = [
      [{ destinationId: warehouse, lines: [{ sku, quantity: 1 }] }, [{ code: 'BAD_USER_INPUT', field: ['input', 'destinationId'] }]],
      [{ lines: [] }, [{ code: 'BAD_USER_INPUT', field: ['input', 'lines'] }]],
      [{ lines: [{ sku, quantity: 1 }, { sku, quantity: 1 }] }, [{ code: 'BAD_USER_INPUT', field: ['input', 'lines'] }]],
      [{ lines: [{ sku, quantity: 0 }] }, [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'quantity'] }]],
      [{ lines: Array.from({ length: 101 }, (_, i) => ({ sku: `S-${i}`, quantity: 1 })) }, [{ code: 'BAD_USER_INPUT', field: ['input', 'lines'] }]],
      [{ originId: randomUUID(), lines: [{ sku, quantity: 1 }] }, [{ code: 'NOT_FOUND', field: ['input', 'originId'] }]],
      [{ lines: [{ sku: 'NO-SUCH', quantity: 1 }] }, [{ code: 'NOT_FOUND', field: ['input', 'lines', '0', 'sku'] }]],
      [{ lines: [{ sku, quantity: 3 }] }, [{ code: 'INSUFFICIENT_STOCK', field: ['input', 'lines', '0', 'quantity'], message: `Not enough stock for sku ${sku} at location ${warehouse}: requested 3, available 2` }]],
    ];
    for (const [input, errors] of refusals) {
      const refused = await create(input);
      expect(refused.transfer).toBeNull();
      expect(refused.userErrors, JSON.stringify(input).slice(0, 80)).toEqual(errors.map((error) => ({ message: expect.any(String), ...error })));
    }
    expect(await client.level(warehouse, sku)).toEqual({ onHand: 2, available: 2, committed: 0, incoming: 0, damaged: 0 });

    const shipped = (await create({ lines: [{ sku, quantity: 2 }] })).transfer;
    await ship({ id: shipped.id });
    for (const [lines, field] of [
      [[{ sku, receivedQuantity: 2, damagedQuantity: 1 }], ['input', 'lines', '0', 'receivedQuantity']],
      [[{ sku: 'TRF-OTHER', receivedQuantity: 1 }], ['input', 'lines', '0', 'sku']],
      [[{ sku, receivedQuantity: -1 }], ['input', 'lines', '0', 'receivedQuantity']],
    ] as const) {
      const refused = await receive({ id: shipped.id, lines });
      expect(refused.userErrors).toEqual([{ code: 'BAD_USER_INPUT', field, message: expect.any(String) }]);
    }
    expect(await client.level(store, sku)).toMatchObject({ onHand: 0, incoming: 2 });
  });

  it('lists transfers newest first with filters and pages, per location too, and resolves them as entities', async () => {
    const third = await client.location('TRD-STORE-1');
    const sku = await client.product('TRF-LIST');
    await stock(warehouse, sku, 50);
    await stock(store, sku, 50);
    const ids: string[] = [];
    for (const [originId, destinationId] of [[warehouse, third], [store, third], [third === warehouse ? store : warehouse, third], [store, warehouse]]) {
      ids.push((await create({ originId, destinationId, lines: [{ sku, quantity: 1 }] })).transfer.id);
    }
    await ship({ id: ids[1] });
    const list = async (filter: Record<string, unknown>) => (await client.ok(`query($f: TransferFilter) { transfers(first: 250, filter: $f) { nodes { id } totalCount } }`, { f: filter })).transfers;
    const mine = (nodes: { id: string }[]) => nodes.map((node) => node.id).filter((id) => ids.includes(id));
    expect(mine((await list({ destinationId: third })).nodes)).toEqual([ids[2], ids[1], ids[0]]);
    expect(mine((await list({ locationId: third, statuses: ['SHIPPED'] })).nodes)).toEqual([ids[1]]);
    expect(mine((await list({ originId: store })).nodes)).toEqual([ids[3], ids[1]]);
    expect((await list({ locationId: third })).totalCount).toBe(3);
    expect((await list({ originId: 'not-a-uuid' })).totalCount).toBe(0);

    const walked: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const data: any = await client.ok(`query($l: ID!, $after: String) { location(id: $l) { transfers(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } totalCount } } }`, { l: third, after });
      walked.push(...data.location.transfers.nodes.map((node: { id: string }) => node.id));
      if (!data.location.transfers.pageInfo.hasNextPage) break;
      after = data.location.transfers.pageInfo.endCursor;
    }
    expect(walked).toEqual([ids[2], ids[1], ids[0]]);
    const drafts = await client.ok(`query($l: ID!) { location(id: $l) { transfers(statuses: [DRAFT]) { totalCount } } }`, { l: third });
    expect(drafts.location.transfers.totalCount).toBe(2);

    const entities = await client.ok(`query($r: [_Any!]!) { _entities(representations: $r) { ... on InventoryTransfer { id status } } }`, {
      r: [{ __typename: 'InventoryTransfer', id: ids[1] }, { __typename: 'InventoryTransfer', id: randomUUID() }, { __typename: 'InventoryTransfer', id: 'nope' }],
    });
    expect(entities._entities).toEqual([{ id: ids[1], status: 'SHIPPED' }, null, null]);
  });
});
