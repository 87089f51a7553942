/**
 * Authorization in the inventory subgraph: the permission matrix of docs/security.md (admin,
 * manager, associate, analyst, marketer; the service role for subgraphs) and location scope, for
 * every mutation and query, root fields, entity fields and `_entities`. Each refusal is FORBIDDEN
 * and changes nothing; each allowed call is checked to have done what it says. Expectations are
 * worked out by hand from the matrix and the stock each test puts in place.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPMENT_INTERNAL_SECRET, IDENTITY_HEADER, InternalAuth, type Role } from '@joinery/core';
import { backends, type TestCaller } from '@joinery/core/testing';
import {
  ADJUST, ALLOCATE, CANCEL_TRANSFER, CHANGE_STATE, CREATE_TRANSFER, RECEIVE_TRANSFER, RESTOCK, salesService, SET, SHIP_TRANSFER, startInventory,
  type GraphQLResult, type InventoryCaller, type InventoryClient,
} from './testing/inventory-client';
import { LOW_STOCK, STOCK_CHANGED } from './stock-events';

type RoleName = Role;
const ROLE_NAMES: RoleName[] = ['admin', 'manager', 'associate', 'analyst', 'marketer'];
/** Every role but admin is scoped to location A in these tests. */
const SCOPED: RoleName[] = ['manager', 'associate', 'analyst', 'marketer'];

const CREATE_LOCATION = `mutation($input: CreateLocationInput!) { createLocation(input: $input) { location { id code name } userErrors { code message } } }`;
const UPDATE_LOCATION = `mutation($input: UpdateLocationInput!) { updateLocation(input: $input) { location { id name } userErrors { code message } } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { sku price } userErrors { code message } } }`;
const UPDATE_PRODUCT = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { sku price } userErrors { code message } } }`;

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Location { id name }
  ... on InventoryTransfer { id origin { id } destination { id } }
  ... on Product { sku inventory { location { id } onHand } availableTotal onHandTotal } } }`;

const REPORT_CATEGORY = 'authreport';

/** Makes an HS256 joinery-identity token by hand: to sign with another secret or an expiry in the past. */
function handSignedIdentity(secret: string, expiresAt: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'HS256' })}.${part({ sub: 'auth-admin', role: 'admin', loc: '*', act: 'auth-admin', iss: 'joinery', aud: 'joinery-subgraphs', iat: expiresAt - 60, exp: expiresAt })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe.each(backends())('inventory authorization on $name', (backend) => {
  let client: InventoryClient;
  /** Store A is every scoped caller's location; B and C are outside it. */
  let A: string;
  let B: string;
  let C: string;
  let serial = 0;
  const next = () => (serial += 1);

  const callerFor = (role: RoleName): TestCaller => (role === 'admin' ? { role, subject: 'auth-admin' } : { role, locations: [A], subject: `auth-${role}` });
  const sql = async (text: string, params?: unknown[]) => client.inventory.database.withConnection(async (connection) => (await connection.query(text, params)).rows as any[]);

  /**
   * Every row a mutation could write, whole: a refused call must leave it equal. Movements and
   * events only grow, so their counts say whether any was written.
   */
  const fingerprint = () => sql(`SELECT json_build_object(
      'locations', (SELECT json_agg(row_to_json(l) ORDER BY l.id) FROM locations AS l),
      'products', (SELECT json_agg(row_to_json(p) ORDER BY p.sku) FROM products AS p),
      'levels', (SELECT json_agg(row_to_json(v) ORDER BY v.location_id, v.sku) FROM inventory_levels AS v),
      'transfers', (SELECT json_agg(row_to_json(t) ORDER BY t.id) FROM inventory_transfers AS t),
      'lines', (SELECT json_agg(row_to_json(x) ORDER BY x.transfer_id, x.sku) FROM inventory_transfer_lines AS x),
      'movements', (SELECT count(*) FROM stock_movements),
      'events', (SELECT count(*) FROM outbox_events),
      'allocations', (SELECT count(*) FROM sale_allocations),
      'restocks', (SELECT count(*) FROM return_restocks),
      'keys', (SELECT count(*) FROM idempotency_keys)) AS state`).then((rows) => rows[0].state);

  const expectForbidden = (result: GraphQLResult, path: (string | number)[], naming?: string) => {
    expect(result.errors).toEqual([expect.objectContaining({ path, extensions: expect.objectContaining({ code: 'FORBIDDEN' }), ...(naming ? { message: expect.stringContaining(naming) } : {}) })]);
  };
  const payloadOf = (data: any, field: string) => {
    expect(data[field].userErrors).toEqual([]);
    return data[field];
  };

  const adjust = async (locationId: string, sku: string, delta: number) => payloadOf(await client.ok(ADJUST, { input: { locationId, sku, delta, reason: 'RECEIVED' } }), 'adjustInventory');
  const product = async (sku: string, category = 'chairs', price = '10.00') =>
    payloadOf(await client.ok(CREATE_PRODUCT, { input: { sku, name: sku, category, price } }), 'createProduct');
  /** A fresh product with 10 units on hand at A and at B. */
  const stocked = async () => {
    const sku = `AUTH-${next()}`;
    await product(sku);
    await adjust(A, sku, 10);
    await adjust(B, sku, 10);
    return sku;
  };
  const transfer = async (originId: string, destinationId: string, sku: string, quantity = 4) =>
    payloadOf(await client.ok(CREATE_TRANSFER, { input: { originId, destinationId, lines: [{ sku, quantity }] } }), 'createTransfer').transfer.id as string;
  const ship = async (id: string) => payloadOf(await client.ok(SHIP_TRANSFER, { input: { id } }), 'shipTransfer');
  const sell = async (locationId: string, sku: string, quantity: number) =>
    expect((await client.ok(ALLOCATE, { input: { orderId: randomUUID(), locationId, lines: [{ sku, quantity }] } }, salesService())).allocateSaleStock.allocated).toBe(true);
  const address = { line1: 'Torgallmenningen 1', city: 'Bergen', region: 'Nordics', postalCode: '5014', country: 'NO' };

  /** Fixtures of the read tests, made once. */
  const fixed = {
    transferAB: '', transferBC: '', changeAtA: '', changeAtB: '', lowAtA: '', lowAtB: '', sku: '',
  };

  beforeAll(async () => {
    client = await startInventory(backend.targets().inventory);
    A = await client.location('AUTH-A');
    B = await client.location('AUTH-B');
    C = await client.location('AUTH-C');

    // One product with 10 at A and at B, a reorder point of 5 at each, then 6 lost at each: a
    // stock change and a low-stock alert at each location (4 left).
    fixed.sku = await stocked();
    for (const location of [A, B]) {
      payloadOf(await client.ok(SET, { input: { locationId: location, sku: fixed.sku, quantity: 10, reorderPoint: 5 } }), 'setInventory');
      payloadOf(await client.ok(ADJUST, { input: { locationId: location, sku: fixed.sku, delta: -6, reason: 'SHRINKAGE' } }), 'adjustInventory');
    }
    fixed.transferAB = await transfer(A, B, fixed.sku, 1);
    fixed.transferBC = await transfer(B, C, fixed.sku, 1);
    // A new level starts "low" at reorder point 0: its first receipt records RESTOCKED; the loss, LOW.
    const events = await sql(`SELECT id::text AS id, type, payload->>'locationId' AS location FROM outbox_events
      WHERE type = $1 OR (type = $2 AND payload->>'status' = 'LOW') ORDER BY seq`, [STOCK_CHANGED, LOW_STOCK]);
    const first = (type: string, location: string) => events.find((event) => event.type === type && event.location === location)!.id as string;
    fixed.changeAtA = first(STOCK_CHANGED, A);
    fixed.changeAtB = first(STOCK_CHANGED, B);
    fixed.lowAtA = first(LOW_STOCK, A);
    fixed.lowAtB = first(LOW_STOCK, B);

    // The reports' stock, in a category of its own (R1 at 10.00, R2 at 4.00):
    //   A: R1 received 5, sold 2 (on hand 3).
    //   B: R1 received 7, sold 3 (on hand 4); R2 received 2, sold 2 (out of stock since).
    await product('AUTH-R1', REPORT_CATEGORY, '10.00');
    await product('AUTH-R2', REPORT_CATEGORY, '4.00');
    await adjust(A, 'AUTH-R1', 5);
    await adjust(B, 'AUTH-R1', 7);
    await adjust(B, 'AUTH-R2', 2);
    await sell(A, 'AUTH-R1', 2);
    await sell(B, 'AUTH-R1', 3);
    await sell(B, 'AUTH-R2', 2);
  });
  afterAll(async () => {
    await client?.stop();
    await backend.cleanup();
  });

  describe('mutations: the matrix at the caller\'s location', () => {
    interface MutationCase {
      field: string;
      query: string;
      /** The roles the matrix lets do it at A (the service role may do every one). */
      allowed: RoleName[];
      /** Puts in place, as an admin, what the mutation acts on; returns its input. */
      prepare(): Promise<Record<string, any>>;
      /** After an allowed call: the payload and the stock say it was done, recorded for `actor`. */
      verify(payload: any, input: Record<string, any>, actor: string): Promise<void>;
    }
    const level = (locationId: string, sku: string) => client.level(locationId, sku);
    const cases: MutationCase[] = [
      {
        field: 'createLocation', query: CREATE_LOCATION, allowed: ['admin'],
        prepare: async () => ({ code: `AUTH-NEW-${next()}`, name: 'New store', kind: 'STORE', timezone: 'Europe/Oslo', address }),
        verify: async (payload, input) => expect(payload.location).toMatchObject({ code: input.code, name: 'New store' }),
      },
      {
        field: 'updateLocation', query: UPDATE_LOCATION, allowed: ['admin'],
        prepare: async () => ({ id: await client.location(`AUTH-UPD-${next()}`), name: 'Renamed store' }),
        verify: async (payload, input) => expect(payload.location).toEqual({ id: input.id, name: 'Renamed store' }),
      },
      {
        field: 'createProduct', query: CREATE_PRODUCT, allowed: ['admin'],
        prepare: async () => ({ sku: `AUTH-NEWP-${next()}`, name: 'Stool', category: 'chairs', price: '25.00' }),
        verify: async (payload, input) => expect(payload.product).toEqual({ sku: input.sku, price: '25.00' }),
      },
      {
        field: 'updateProduct', query: UPDATE_PRODUCT, allowed: ['admin'],
        prepare: async () => ({ sku: await stocked(), price: '12.50' }),
        verify: async (payload, input) => expect(payload.product).toEqual({ sku: input.sku, price: '12.50' }),
      },
      {
        field: 'adjustInventory', query: ADJUST, allowed: ['admin', 'manager'],
        prepare: async () => ({ locationId: A, sku: await stocked(), delta: 3, reason: 'RECEIVED' }),
        verify: async (payload, input, actor) => {
          expect(payload.level.onHand).toBe(13);
          expect(payload.movement).toMatchObject({ delta: 3, actor });
          expect(await level(B, input.sku)).toMatchObject({ onHand: 10 });
        },
      },
      {
        field: 'setInventory', query: SET, allowed: ['admin', 'manager'],
        prepare: async () => ({ locationId: A, sku: await stocked(), quantity: 4 }),
        verify: async (payload, input) => {
          expect(payload.level.onHand).toBe(4);
          expect(await level(B, input.sku)).toMatchObject({ onHand: 10 });
        },
      },
      {
        field: 'changeInventoryState', query: CHANGE_STATE, allowed: ['admin', 'manager'],
        prepare: async () => ({ locationId: A, sku: await stocked(), quantity: 2, from: 'AVAILABLE', to: 'DAMAGED' }),
        verify: async (payload, _input, actor) => {
          expect(payload.level).toMatchObject({ onHand: 10, available: 8, damaged: 2 });
          expect(payload.movement.actor).toBe(actor);
        },
      },
      {
        field: 'allocateSaleStock', query: ALLOCATE, allowed: [],
        prepare: async () => ({ orderId: randomUUID(), locationId: A, lines: [{ sku: await stocked(), quantity: 3 }] }),
        verify: async (payload, input, actor) => {
          expect(payload.allocated).toBe(true);
          expect(await level(A, input.lines[0].sku)).toMatchObject({ onHand: 7 });
          expect(await sql(`SELECT actor FROM stock_movements WHERE reference = $1`, [input.orderId])).toEqual([{ actor }]);
        },
      },
      {
        field: 'restockReturn', query: RESTOCK, allowed: [],
        prepare: async () => ({ returnId: randomUUID(), orderId: randomUUID(), locationId: A, lines: [{ sku: await stocked(), quantity: 2, condition: 'RESTOCK' }] }),
        verify: async (payload, input) => {
          expect(payload.restocked).toBe(true);
          expect(await level(A, input.lines[0].sku)).toMatchObject({ onHand: 12 });
        },
      },
      {
        field: 'createTransfer', query: CREATE_TRANSFER, allowed: ['admin', 'manager'],
        prepare: async () => ({ originId: A, destinationId: B, lines: [{ sku: await stocked(), quantity: 4 }] }),
        verify: async (payload, input, actor) => {
          expect(payload.transfer).toMatchObject({ status: 'DRAFT', createdBy: actor, origin: { id: A }, destination: { id: B } });
          expect(await level(A, input.lines[0].sku)).toMatchObject({ onHand: 10, committed: 4 });
        },
      },
      {
        field: 'shipTransfer', query: SHIP_TRANSFER, allowed: ['admin', 'manager'],
        prepare: async () => ({ id: await transfer(A, B, await stocked()) }),
        verify: async (payload) => {
          expect(payload.transfer.status).toBe('SHIPPED');
          const sku = payload.transfer.lines[0].product.sku;
          expect(await level(A, sku)).toMatchObject({ onHand: 6, committed: 0 });
          expect(await level(B, sku)).toMatchObject({ onHand: 10, incoming: 4 });
        },
      },
      {
        field: 'receiveTransfer', query: RECEIVE_TRANSFER, allowed: ['admin', 'manager'],
        prepare: async () => {
          const id = await transfer(B, A, await stocked());
          await ship(id);
          return { id };
        },
        verify: async (payload) => {
          expect(payload.transfer.status).toBe('RECEIVED');
          expect(await level(A, payload.transfer.lines[0].product.sku)).toMatchObject({ onHand: 14, incoming: 0 });
        },
      },
      {
        field: 'cancelTransfer', query: CANCEL_TRANSFER, allowed: ['admin', 'manager'],
        prepare: async () => ({ id: await transfer(A, B, await stocked()) }),
        verify: async (payload) => {
          expect(payload.transfer.status).toBe('CANCELLED');
          expect(await level(A, payload.transfer.lines[0].product.sku)).toMatchObject({ onHand: 10, committed: 0 });
        },
      },
    ];

    interface MatrixCaller {
      name: string;
      caller: () => InventoryCaller;
      /** What a change it makes records as its actor. */
      actor: string;
      may: (c: MutationCase) => boolean;
    }
    const callers: MatrixCaller[] = [
      ...ROLE_NAMES.map((role) => ({ name: `${role}${role === 'admin' ? '' : '@A'}`, caller: () => callerFor(role), actor: `auth-${role}`, may: (c: MutationCase) => c.allowed.includes(role) })),
      // A subgraph acting for a user: every permission, the user recorded as the actor.
      { name: 'the sales service', caller: () => salesService('auth-clerk'), actor: 'auth-clerk', may: () => true },
    ];
    for (const c of cases) {
      for (const { name, caller, actor, may } of callers) {
        if (may(c)) {
          it(`${c.field} as ${name}: allowed`, async () => {
            const input = await c.prepare();
            await c.verify(payloadOf(await client.ok(c.query, { input }, caller()), c.field), input, actor);
          });
        } else {
          it(`${c.field} as ${name}: FORBIDDEN, nothing changed`, async () => {
            const input = await c.prepare();
            const before = await fingerprint();
            const result = await client.raw(c.query, { input }, caller());
            expect(result.data).toBeNull();
            expectForbidden(result, [c.field]);
            expect(await fingerprint()).toEqual(before);
          });
        }
      }
    }
  });

  describe('mutations: location scope (manager@A, who may change stock)', () => {
    const manager = () => callerFor('manager');
    const refused = async (query: string, field: string, input: Record<string, unknown>, naming: string) => {
      const before = await fingerprint();
      const result = await client.raw(query, { input }, manager());
      expect(result.data).toBeNull();
      expectForbidden(result, [field], naming);
      expect(await fingerprint()).toEqual(before);
    };

    it('cannot adjust, set or change the state of stock at B', async () => {
      const sku = await stocked();
      await refused(ADJUST, 'adjustInventory', { locationId: B, sku, delta: 1, reason: 'RECEIVED' }, B);
      await refused(SET, 'setInventory', { locationId: B, sku, quantity: 0 }, B);
      await refused(CHANGE_STATE, 'changeInventoryState', { locationId: B, sku, quantity: 1, from: 'AVAILABLE', to: 'DAMAGED' }, B);
      // The same id in upper case is the same location: still refused.
      await refused(ADJUST, 'adjustInventory', { locationId: B.toUpperCase(), sku, delta: 1, reason: 'RECEIVED' }, B.toUpperCase());
      expect(await client.level(B, sku)).toEqual({ onHand: 10, available: 10, committed: 0, incoming: 0, damaged: 0 });
    });

    it('creates a transfer only from A: a draft commits stock at its origin, and a refusal would name what is available there', async () => {
      const sku = await stocked();
      await refused(CREATE_TRANSFER, 'createTransfer', { originId: B, destinationId: C, lines: [{ sku, quantity: 1 }] }, `leaves from location ${B}`);
      // Regression: B→A was once allowed, letting A's manager read B's available stock from the
      // refusal of an oversized line and commit all of it.
      const probe = await client.raw(CREATE_TRANSFER, { input: { originId: B, destinationId: A, lines: [{ sku, quantity: 1_000_000 }] } }, manager());
      expect(JSON.stringify(probe)).not.toContain('available 10');
      expectForbidden(probe, ['createTransfer'], B);
      await refused(CREATE_TRANSFER, 'createTransfer', { originId: B, destinationId: A, lines: [{ sku, quantity: 2 }] }, `leaves from location ${B}`);
      expect(await client.level(B, sku)).toEqual({ onHand: 10, available: 10, committed: 0, incoming: 0, damaged: 0 });
      const outbound = payloadOf(await client.ok(CREATE_TRANSFER, { input: { originId: A, destinationId: B, lines: [{ sku, quantity: 2 }] } }, manager()), 'createTransfer');
      expect(outbound.transfer).toMatchObject({ status: 'DRAFT', createdBy: 'auth-manager', origin: { id: A }, destination: { id: B } });
    });

    it('ships only from A, receives only at A, cancels with either end at A', async () => {
      const sku = await stocked();
      const intoA = await transfer(B, A, sku, 1);
      await refused(SHIP_TRANSFER, 'shipTransfer', { id: intoA }, `leaves from location ${B}`);
      const outOfA = await transfer(A, B, sku, 1);
      await ship(outOfA);
      await refused(RECEIVE_TRANSFER, 'receiveTransfer', { id: outOfA }, `goes to location ${B}`);
      const elsewhere = await transfer(B, C, sku, 1);
      await refused(CANCEL_TRANSFER, 'cancelTransfer', { id: elsewhere }, `location ${B} to location ${C}`);

      expect(payloadOf(await client.ok(CANCEL_TRANSFER, { input: { id: intoA } }, manager()), 'cancelTransfer').transfer.status).toBe('CANCELLED');
      // B: 1 committed to B→C, 1 on its way from A, the 1 of B→A released.
      expect(await client.level(B, sku)).toEqual({ onHand: 10, available: 9, committed: 1, incoming: 1, damaged: 0 });
    });

    it('leaves an unknown transfer to the service: NOT_FOUND as a userError, not FORBIDDEN', async () => {
      const data = await client.ok(SHIP_TRANSFER, { input: { id: randomUUID() } }, manager());
      expect(data.shipTransfer.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'id'] })]);
    });
  });

  describe('queries: every role reads stock at its own location', () => {
    interface QueryCase {
      name: string;
      query: string;
      variables: () => Record<string, unknown>;
      check: (data: any) => void;
    }
    const cases: QueryCase[] = [
      { name: 'location', query: `query($id: ID!) { location(id: $id) { id code } }`, variables: () => ({ id: A }), check: (data) => expect(data.location).toEqual({ id: A, code: 'AUTH-A' }) },
      {
        name: 'Location.inventory, transfers and movements',
        query: `query($id: ID!) { location(id: $id) { inventory(first: 250) { nodes { product { sku } } } transfers(first: 250) { nodes { id } } movements(first: 1, filter: { reasons: [SHRINKAGE] }) { totalCount } } }`,
        variables: () => ({ id: A }),
        check: (data) => {
          expect(data.location.inventory.nodes).toContainEqual({ product: { sku: fixed.sku } });
          expect(data.location.transfers.nodes).toContainEqual({ id: fixed.transferAB });
          // The one loss recorded at A (B's is not A's).
          expect(data.location.movements.totalCount).toBe(1);
        },
      },
      { name: 'product', query: `query($sku: ID!) { product(sku: $sku) { sku category } }`, variables: () => ({ sku: 'AUTH-R1' }), check: (data) => expect(data.product).toEqual({ sku: 'AUTH-R1', category: REPORT_CATEGORY }) },
      {
        name: 'products', query: `query { products(first: 10, filter: { categories: ["${REPORT_CATEGORY}"] }) { nodes { sku } totalCount } }`, variables: () => ({}),
        check: (data) => expect(data.products).toEqual({ nodes: [{ sku: 'AUTH-R1' }, { sku: 'AUTH-R2' }], totalCount: 2 }),
      },
      { name: 'stockChange', query: `query($id: ID!) { stockChange(id: $id) { id location { id } } }`, variables: () => ({ id: fixed.changeAtA }), check: (data) => expect(data.stockChange).toEqual({ id: fixed.changeAtA, location: { id: A } }) },
      { name: 'lowStockAlert', query: `query($id: ID!) { lowStockAlert(id: $id) { id status location { id } } }`, variables: () => ({ id: fixed.lowAtA }), check: (data) => expect(data.lowStockAlert).toEqual({ id: fixed.lowAtA, status: 'LOW', location: { id: A } }) },
      { name: 'transfer', query: `query($id: ID!) { transfer(id: $id) { id origin { id } } }`, variables: () => ({ id: fixed.transferAB }), check: (data) => expect(data.transfer).toEqual({ id: fixed.transferAB, origin: { id: A } }) },
      { name: 'transfers', query: `query($id: ID!) { transfers(first: 250, filter: { originId: $id }) { nodes { origin { id } } } }`, variables: () => ({ id: A }), check: (data) => expect(data.transfers.nodes).toContainEqual({ origin: { id: A } }) },
      ...(['inventoryStockValue', 'inventoryDaysOfSupply', 'inventorySlowMovers'] as const).map((field): QueryCase => ({
        name: field,
        query: `query($id: ID!) { ${field}(filter: { locationIds: [$id], categories: ["${REPORT_CATEGORY}"] }, groupBy: [LOCATION]${field === 'inventorySlowMovers' ? ', maxUnitsSold: 100' : ''}) { rows { location { id } } } }`,
        variables: () => ({ id: A }), check: (data) => expect(data[field].rows).toEqual([{ location: { id: A } }]),
      })),
      {
        name: 'inventorySellThrough', query: `query($id: ID!, $from: DateTime!) { inventorySellThrough(from: $from, filter: { locationIds: [$id], categories: ["${REPORT_CATEGORY}"] }, groupBy: [LOCATION]) { rows { location { id } } } }`,
        variables: () => ({ id: A, from: new Date(Date.now() - 3_600_000).toISOString() }), check: (data) => expect(data.inventorySellThrough.rows).toEqual([{ location: { id: A } }]),
      },
      {
        name: 'inventoryStockOuts', query: `query($id: ID!, $from: DateTime!) { inventoryStockOuts(from: $from, filter: { locationIds: [$id], categories: ["${REPORT_CATEGORY}"] }) { levelCount } }`,
        variables: () => ({ id: A, from: new Date(Date.now() - 3_600_000).toISOString() }), check: (data) => expect(data.inventoryStockOuts.levelCount).toBe(0),
      },
    ];
    for (const c of cases) {
      for (const role of ROLE_NAMES) {
        it(`${c.name} as ${role}${role === 'admin' ? '' : '@A'}: allowed`, async () => {
          c.check(await client.ok(c.query, c.variables(), callerFor(role)));
        });
      }
    }
  });

  describe.each(SCOPED)('location scope for %s@A', (role) => {
    const caller = () => callerFor(role);

    it('lists only A, and location(B) is FORBIDDEN naming B', async () => {
      const data = await client.ok(`{ locations(first: 100) { nodes { id } totalCount } }`, {}, caller());
      expect(data.locations).toEqual({ nodes: [{ id: A }], totalCount: 1 });
      expectForbidden(await client.raw(`query($id: ID!) { location(id: $id) { id name } }`, { id: B }, caller()), ['location'], B);
      // An admin sees B (and C): the list is narrowed by scope, not by something else.
      const all = await client.ok(`{ locations(first: 100) { nodes { id } } }`, {}, callerFor('admin'));
      expect(all.locations.nodes).toEqual(expect.arrayContaining([{ id: A }, { id: B }, { id: C }]));
    });

    it('sees a product\'s stock, totals and movements at A only', async () => {
      const query = `query($sku: ID!) { product(sku: $sku) { inventory { location { id } onHand } availableTotal onHandTotal movements(first: 250) { nodes { location { id } } totalCount } } }`;
      const mine = (await client.ok(query, { sku: 'AUTH-R1' }, caller())).product;
      // R1: on hand 3 at A (5 received, 2 sold) and 4 at B; movements: 2 at A, 2 at B.
      expect(mine.inventory).toEqual([{ location: { id: A }, onHand: 3 }]);
      expect([mine.availableTotal, mine.onHandTotal]).toEqual([3, 3]);
      expect(mine.movements.totalCount).toBe(2);
      expect(new Set(mine.movements.nodes.map((node: any) => node.location.id))).toEqual(new Set([A]));
      const everyone = (await client.ok(query, { sku: 'AUTH-R1' }, callerFor('admin'))).product;
      expect([everyone.availableTotal, everyone.onHandTotal, everyone.movements.totalCount]).toEqual([7, 7, 4]);
    });

    it('reads B\'s stock, transfers and movements nowhere: FORBIDDEN on a location reached through a transfer', async () => {
      const query = (field: string) => `query($id: ID!) { transfer(id: $id) { destination { id name ${field} } } }`;
      // The other end of A's transfer: its name, not its stock.
      expect((await client.ok(query(''), { id: fixed.transferAB }, caller())).transfer.destination).toEqual({ id: B, name: 'Store AUTH-B' });
      for (const field of ['inventory { totalCount }', 'transfers { totalCount }', 'movements { totalCount }']) {
        const result = await client.raw(query(field), { id: fixed.transferAB }, caller());
        expectForbidden(result, ['transfer', 'destination', field.split(' ')[0]], B);
      }
    });

    it('reads stock changes and alerts at A, FORBIDDEN at B', async () => {
      expectForbidden(await client.raw(`query($id: ID!) { stockChange(id: $id) { id } }`, { id: fixed.changeAtB }, caller()), ['stockChange'], B);
      expectForbidden(await client.raw(`query($id: ID!) { lowStockAlert(id: $id) { id } }`, { id: fixed.lowAtB }, caller()), ['lowStockAlert'], B);
      expect((await client.ok(`query($id: ID!) { stockChange(id: $id) { id } }`, { id: fixed.changeAtB }, callerFor('admin'))).stockChange).toEqual({ id: fixed.changeAtB });
    });

    it('lists transfers with either end at A; transfer(B→C) and filters naming B are FORBIDDEN', async () => {
      const data = await client.ok(`{ transfers(first: 250) { nodes { id origin { id } destination { id } } totalCount } }`, {}, caller());
      const [{ count }] = await sql(`SELECT count(*)::int AS count FROM inventory_transfers WHERE origin_id = $1 OR destination_id = $1`, [A]);
      expect(data.transfers.totalCount).toBe(count);
      expect(data.transfers.nodes).toHaveLength(count);
      for (const node of data.transfers.nodes) expect([node.origin.id, node.destination.id]).toContain(A);
      expect(data.transfers.nodes.map((node: any) => node.id)).toContain(fixed.transferAB);
      expect(data.transfers.nodes.map((node: any) => node.id)).not.toContain(fixed.transferBC);

      expectForbidden(await client.raw(`query($id: ID!) { transfer(id: $id) { id } }`, { id: fixed.transferBC }, caller()), ['transfer'], fixed.transferBC);
      for (const filter of ['originId', 'destinationId', 'locationId']) {
        expectForbidden(await client.raw(`query($id: ID!) { transfers(filter: { ${filter}: $id }) { totalCount } }`, { id: B }, caller()), ['transfers'], B);
      }
    });

    it('resolves _entities as the root fields: Location B and transfer B→C FORBIDDEN, products with A\'s stock only', async () => {
      expectForbidden(await client.raw(ENTITIES, { r: [{ __typename: 'Location', id: B }] }, caller()), ['_entities', 0], B);
      expectForbidden(await client.raw(ENTITIES, { r: [{ __typename: 'InventoryTransfer', id: fixed.transferBC }] }, caller()), ['_entities', 0], fixed.transferBC);
      // In one batch (as the router sends them), B's refusal is B's alone.
      const mixed = await client.raw(ENTITIES, { r: [{ __typename: 'Location', id: A }, { __typename: 'Location', id: B }] }, caller());
      expect(mixed.data?._entities).toEqual([{ id: A, name: 'Store AUTH-A' }, null]);
      expectForbidden(mixed, ['_entities', 1], B);
      const data = await client.ok(ENTITIES, { r: [{ __typename: 'Location', id: A }, { __typename: 'InventoryTransfer', id: fixed.transferAB }, { __typename: 'Product', sku: 'AUTH-R1' }] }, caller());
      expect(data._entities).toEqual([
        { id: A, name: 'Store AUTH-A' },
        { id: fixed.transferAB, origin: { id: A }, destination: { id: B } },
        { sku: 'AUTH-R1', inventory: [{ location: { id: A }, onHand: 3 }], availableTotal: 3, onHandTotal: 3 },
      ]);
    });

    it('computes every report over A alone, totals and category groups included; a filter naming B is FORBIDDEN', async () => {
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const filter = `filter: { categories: ["${REPORT_CATEGORY}"] }`;
      const query = `query($from: DateTime!) {
        inventoryStockValue(${filter}, groupBy: [CATEGORY]) { rows { category onHand value } totals { onHand available value } }
        inventorySellThrough(${filter}, from: $from, groupBy: [CATEGORY]) { totals { onHandAtStart unitsReceived unitsSold sellThroughRate } }
        inventoryDaysOfSupply(${filter}, groupBy: [CATEGORY]) { rows { available netUnitsSold daysOfSupply } }
        inventoryStockOuts(${filter}, from: $from) { levelCount stockOutCount levels { location { id } product { sku } } }
        inventorySlowMovers(${filter}, groupBy: [CATEGORY], maxUnitsSold: 100) { rows { onHand value netUnitsSold } } }`;
      // A: R1 on hand 3 (10.00 each), 5 received and 2 sold in the last hour; nothing ran out.
      expect(await client.ok(query, { from }, caller())).toEqual({
        inventoryStockValue: { rows: [{ category: REPORT_CATEGORY, onHand: 3, value: '30.00' }], totals: { onHand: 3, available: 3, value: '30.00' } },
        inventorySellThrough: { totals: { onHandAtStart: 0, unitsReceived: 5, unitsSold: 2, sellThroughRate: 0.4 } },
        inventoryDaysOfSupply: { rows: [{ available: 3, netUnitsSold: 2, daysOfSupply: 42 }] },
        inventoryStockOuts: { levelCount: 0, stockOutCount: 0, levels: [] },
        inventorySlowMovers: { rows: [{ onHand: 3, value: '30.00', netUnitsSold: 2 }] },
      });
      // Every location (admin): A's and B's (R1 4 on hand, 7 received, 3 sold; R2 2 received, 2 sold, out since).
      expect(await client.ok(query, { from }, callerFor('admin'))).toEqual({
        inventoryStockValue: { rows: [{ category: REPORT_CATEGORY, onHand: 7, value: '70.00' }], totals: { onHand: 7, available: 7, value: '70.00' } },
        inventorySellThrough: { totals: { onHandAtStart: 0, unitsReceived: 14, unitsSold: 7, sellThroughRate: 0.5 } },
        inventoryDaysOfSupply: { rows: [{ available: 7, netUnitsSold: 7, daysOfSupply: 28 }] },
        inventoryStockOuts: { levelCount: 1, stockOutCount: 1, levels: [{ location: { id: B }, product: { sku: 'AUTH-R2' } }] },
        inventorySlowMovers: { rows: [{ onHand: 7, value: '70.00', netUnitsSold: 7 }] },
      });

      const reports = {
        inventoryStockValue: '', inventoryDaysOfSupply: '', inventorySlowMovers: '', inventorySellThrough: 'from: $from,', inventoryStockOuts: 'from: $from,',
      };
      for (const [field, period] of Object.entries(reports)) {
        const variables = period ? '$from: DateTime!, $ids: [ID!]' : '$ids: [ID!]';
        const result = await client.raw(`query(${variables}) { ${field}(${period} filter: { locationIds: $ids }) { __typename } }`, { ids: [A, B], ...(period ? { from } : {}) }, caller());
        expectForbidden(result, [field], B);
      }
    });
  });

  describe('the joinery-identity header', () => {
    const secret = process.env.INTERNAL_AUTH_SECRET || DEVELOPMENT_INTERNAL_SECRET;
    const send = async (headers: Record<string, string>, query: string) => {
      const response = await fetch(client.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
      return { status: response.status, body: (await response.json()) as GraphQLResult };
    };
    const now = () => Math.floor(Date.now() / 1000);

    it.each([
      ['no header', async () => ({})],
      ['one signed with another secret', async () => ({ [IDENTITY_HEADER]: await new InternalAuth('another-secret-that-is-not-the-shared-one').sign({ subject: 'auth-admin', role: 'admin', locations: '*', actor: 'auth-admin' }) })],
      ['an expired one', async () => ({ [IDENTITY_HEADER]: handSignedIdentity(secret, now() - 120) })],
      ['a malformed one', async () => ({ [IDENTITY_HEADER]: 'not-a-token' })],
    ])('refuses a request with %s with HTTP 401 and no data, _service included', async (_name, headers) => {
      for (const query of ['{ locations { nodes { id } } }', '{ _service { sdl } }']) {
        const { status, body } = await send(await headers(), query);
        expect(status).toBe(401);
        expect(body.data).toBeUndefined();
        expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', requestId: expect.any(String) } })]);
      }
    });

    it('answers the same requests with a token signed by hand with the shared secret and a future expiry', async () => {
      // The control for the cases above: the hand-made token is refused for its expiry alone.
      const { status, body } = await send({ [IDENTITY_HEADER]: handSignedIdentity(secret, now() + 60) }, '{ _service { sdl } }');
      expect(status).toBe(200);
      expect(body.data?._service.sdl).toContain('type Location');
    });
  });
});
