import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestLocation, expectData, gql, withLevelLocked } from '@joinery/core/testing';
import { startStack, type Stack } from '@joinery/stack';
import { post, salesService } from './testing/inventory-client';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };

interface Movement {
  id: string;
  delta: number;
  quantityAfter: number;
  reason: string;
  reference: string | null;
}

const MOVEMENT = 'id delta quantityAfter reason reference';

const ADJUST = `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) {
  level { onHand } movement { ${MOVEMENT} } userErrors { field message code } } }`;

const SET = `mutation($input: SetInventoryInput!) { setInventory(input: $input) {
  level { onHand reorderPoint } movement { ${MOVEMENT} } userErrors { field message code } } }`;

const ALLOCATE = `mutation($input: AllocateSaleStockInput!) { allocateSaleStock(input: $input) { allocated userErrors { field message code } } }`;


describe.each(backends())('inventory stock through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;
  let oslo: string;
  let bergen: string;

  const ok = (query: string, variables?: Record<string, unknown>) => expectData(url, query, variables);

  const createLocation = (code: string, name: string) => createTestLocation(url, code, name);

  async function createProduct(sku: string, price = '100.00'): Promise<string> {
    const data = await ok(`mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, {
      input: { sku, name: `Product ${sku}`, category: 'tables', price },
    });
    expect(data.createProduct.userErrors).toEqual([]);
    return sku;
  }

  async function adjust(input: Record<string, unknown>) {
    return (await ok(ADJUST, { input })).adjustInventory;
  }

  async function set(input: Record<string, unknown>) {
    return (await ok(SET, { input })).setInventory;
  }

  /** A level's on-hand and how many movements it has; null when the level was never written. */
  async function level(locationId: string, sku: string): Promise<{ onHand: number; reorderPoint: number; movements: number } | null> {
    const data = await ok(`query($sku: ID!) { product(sku: $sku) { inventory { location { id } onHand reorderPoint movements(first: 1) { totalCount } } } }`, { sku });
    const found = (data.product?.inventory ?? []).find((row: { location: { id: string } }) => row.location.id === locationId);
    return found ? { onHand: found.onHand, reorderPoint: found.reorderPoint, movements: found.movements.totalCount } : null;
  }

  /** Every movement of a level, newest first, read page by page. */
  async function movements(locationId: string, sku: string, pageSize: number): Promise<Movement[]> {
    const all: Movement[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page += 1) {
      // Through the product's levels: a location's page of 250 levels, each with a page of
      // movements, is over the router's query cost limit.
      const data = await ok(`query($sku: ID!, $first: Int!, $after: String) { product(sku: $sku) { inventory {
        location { id } movements(first: $first, after: $after) { nodes { ${MOVEMENT} } pageInfo { hasNextPage endCursor } totalCount } } } }`, { sku, first: pageSize, after });
      const node = data.product.inventory.find((row: { location: { id: string } }) => row.location.id === locationId);
      all.push(...node.movements.nodes);
      expect(node.movements.nodes.length).toBeLessThanOrEqual(pageSize);
      if (!node.movements.pageInfo.hasNextPage) {
        expect(all).toHaveLength(node.movements.totalCount);
        return all;
      }
      after = node.movements.pageInfo.endCursor;
    }
    throw new Error(`movements of ${sku} at ${locationId} did not end after 100 pages`);
  }

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports });
    url = stack.urls.router;
    oslo = await createLocation('OSL-STORE-1', 'Oslo Store');
    bergen = await createLocation('BGO-STORE-1', 'Bergen Store');
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  describe('adjustInventory', () => {
    it('adds and removes stock, recording each change as a movement', async () => {
      const sku = await createProduct('ADJ-OAK-TBL');
      const received = await adjust({ locationId: oslo, sku, delta: 5, reason: 'RECEIVED', reference: 'delivery 881' });
      expect(received.userErrors).toEqual([]);
      expect(received.level).toEqual({ onHand: 5 });
      expect(received.movement).toMatchObject({ delta: 5, quantityAfter: 5, reason: 'RECEIVED', reference: 'delivery 881' });

      const damaged = await adjust({ locationId: oslo, sku, delta: -2, reason: 'DAMAGED' });
      expect(damaged.userErrors).toEqual([]);
      expect(damaged.level).toEqual({ onHand: 3 });
      expect(damaged.movement).toMatchObject({ delta: -2, quantityAfter: 3, reason: 'DAMAGED', reference: null });

      expect(await level(oslo, sku)).toEqual({ onHand: 3, reorderPoint: 0, movements: 2 });
      expect(await level(bergen, sku)).toBeNull();
    });

    it('refuses to go below zero with INSUFFICIENT_STOCK naming sku, location, requested and available, and writes nothing', async () => {
      const sku = await createProduct('ADJ-SHORT');
      await adjust({ locationId: oslo, sku, delta: 3, reason: 'RECEIVED' });

      const refused = await adjust({ locationId: oslo, sku, delta: -4, reason: 'SHRINKAGE' });
      expect(refused).toEqual({
        level: null,
        movement: null,
        userErrors: [{ code: 'INSUFFICIENT_STOCK', field: ['input', 'delta'], message: `Not enough stock for sku ${sku} at location ${oslo}: requested 4, available 3` }],
      });
      expect(await level(oslo, sku)).toEqual({ onHand: 3, reorderPoint: 0, movements: 1 });

      const nothingHere = await adjust({ locationId: bergen, sku, delta: -1, reason: 'SHRINKAGE' });
      expect(nothingHere.userErrors).toEqual([
        { code: 'INSUFFICIENT_STOCK', field: ['input', 'delta'], message: `Not enough stock for sku ${sku} at location ${bergen}: requested 1, available 0` },
      ]);
      expect(await level(bergen, sku)).toBeNull();
    });

    const refusals = [
      { name: 'a zero delta', own: 'ADJ-BAD-ZERO', input: { delta: 0 }, errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'delta'] }] },
      { name: 'reason SALE', own: 'ADJ-BAD-SALE', input: { delta: -1, reason: 'SALE' }, errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'reason'] }] },
      { name: 'an unknown location', own: 'ADJ-BAD-LOCATION', input: { locationId: randomUUID() }, errors: [{ code: 'NOT_FOUND', field: ['input', 'locationId'] }] },
      { name: 'a malformed location id', own: 'ADJ-BAD-UUID', input: { locationId: 'oslo-store' }, errors: [{ code: 'NOT_FOUND', field: ['input', 'locationId'] }] },
      { name: 'an unknown sku', own: 'ADJ-BAD-SKU', input: { sku: 'NO-SUCH-SKU' }, errors: [{ code: 'NOT_FOUND', field: ['input', 'sku'] }] },
      {
        name: 'an unknown location and an unknown sku together',
        own: 'ADJ-BAD-BOTH',
        input: { locationId: randomUUID(), sku: 'NO-SUCH-SKU' },
        errors: [{ code: 'NOT_FOUND', field: ['input', 'locationId'] }, { code: 'NOT_FOUND', field: ['input', 'sku'] }],
      },
    ];
    it.each(refusals)('refuses $name with userErrors and writes nothing', async ({ own, input, errors }) => {
      const sku = await createProduct(own);
      await adjust({ locationId: oslo, sku, delta: 4, reason: 'RECEIVED' });

      const refused = await adjust({ locationId: oslo, sku, delta: 2, reason: 'RECEIVED', ...input });
      expect(refused.level).toBeNull();
      expect(refused.movement).toBeNull();
      expect(refused.userErrors).toEqual(errors.map((error) => ({ ...error, message: expect.any(String) })));
      expect(await level(oslo, sku)).toEqual({ onHand: 4, reorderPoint: 0, movements: 1 });
      expect(await level(bergen, sku)).toBeNull();
    });
  });

  describe('setInventory', () => {
    it('refuses a stale compareQuantity with CONFLICT and leaves stock unchanged', async () => {
      const sku = await createProduct('SET-STALE');
      await adjust({ locationId: oslo, sku, delta: 7, reason: 'RECEIVED' });

      const refused = await set({ locationId: oslo, sku, quantity: 10, compareQuantity: 6 });
      expect(refused.level).toBeNull();
      expect(refused.movement).toBeNull();
      expect(refused.userErrors).toEqual([{ code: 'CONFLICT', field: ['input', 'compareQuantity'], message: expect.stringContaining(sku) }]);
      expect(refused.userErrors[0].message).toContain('7');
      expect(await level(oslo, sku)).toEqual({ onHand: 7, reorderPoint: 0, movements: 1 });
    });

    it('sets stock when compareQuantity matches and records the difference as a RECOUNT movement', async () => {
      const sku = await createProduct('SET-MATCH');
      await adjust({ locationId: oslo, sku, delta: 7, reason: 'RECEIVED' });

      const counted = await set({ locationId: oslo, sku, quantity: 4, compareQuantity: 7, reference: 'count sheet 12' });
      expect(counted.userErrors).toEqual([]);
      expect(counted.level).toEqual({ onHand: 4, reorderPoint: 0 });
      expect(counted.movement).toMatchObject({ delta: -3, quantityAfter: 4, reason: 'RECOUNT', reference: 'count sheet 12' });

      const up = await set({ locationId: oslo, sku, quantity: 9, compareQuantity: 4 });
      expect(up.movement).toMatchObject({ delta: 5, quantityAfter: 9, reason: 'RECOUNT' });
      expect(await level(oslo, sku)).toEqual({ onHand: 9, reorderPoint: 0, movements: 3 });
    });
  });

  describe('idempotency', () => {
    it('returns the first movement when a change is replayed with its idempotencyKey, and changes nothing more', async () => {
      const sku = await createProduct('IDEM-REPLAY');
      const input = { locationId: oslo, sku, delta: 6, reason: 'RECEIVED', reference: 'delivery 9', idempotencyKey: 'idem-replay-adjust' };
      const first = await adjust(input);
      const replay = await adjust(input);
      expect(first.userErrors).toEqual([]);
      expect(replay).toEqual(first);

      const setInput = { locationId: oslo, sku, quantity: 2, compareQuantity: 6, idempotencyKey: 'idem-replay-set' };
      const counted = await set(setInput);
      expect(counted.movement).toMatchObject({ delta: -4, quantityAfter: 2 });
      // The compareQuantity no longer matches, so only the remembered answer can make this succeed.
      const countedAgain = await set(setInput);
      expect(countedAgain.userErrors).toEqual([]);
      expect(countedAgain.movement.id).toBe(counted.movement.id);
      expect(await level(oslo, sku)).toEqual({ onHand: 2, reorderPoint: 0, movements: 2 });
    });

    it('refuses an idempotencyKey reused with other input with CONFLICT and changes nothing', async () => {
      const sku = await createProduct('IDEM-CONFLICT');
      await adjust({ locationId: oslo, sku, delta: 6, reason: 'RECEIVED', idempotencyKey: 'idem-conflict' });

      const reused = await adjust({ locationId: oslo, sku, delta: 7, reason: 'RECEIVED', idempotencyKey: 'idem-conflict' });
      expect(reused.level).toBeNull();
      expect(reused.userErrors).toEqual([{ code: 'CONFLICT', field: ['input', 'idempotencyKey'], message: expect.stringContaining('idem-conflict') }]);
      expect(await level(oslo, sku)).toEqual({ onHand: 6, reorderPoint: 0, movements: 1 });
    });

    it('applies 20 concurrent requests with one idempotencyKey exactly once', async () => {
      const sku = await createProduct('IDEM-RACE');
      await adjust({ locationId: oslo, sku, delta: 1, reason: 'RECEIVED' });
      const input = { locationId: oslo, sku, delta: 3, reason: 'RECEIVED', idempotencyKey: 'idem-race' };

      const results = await Promise.all(Array.from({ length: 20 }, () => gql(url, ADJUST, { input })));
      for (const result of results) {
        expect(result.errors).toBeUndefined();
        expect(result.data.adjustInventory.userErrors).toEqual([]);
      }
      expect(new Set(results.map((result) => result.data.adjustInventory.movement.id)).size).toBe(1);
      expect(results[0].data.adjustInventory.movement).toMatchObject({ delta: 3, quantityAfter: 4 });
      expect(await level(oslo, sku)).toEqual({ onHand: 4, reorderPoint: 0, movements: 2 });
    });
  });

  describe('ledger', () => {
    it("keeps every level's movements summing to its on-hand, with quantityAfter as the running total", async () => {
      const skus = [await createProduct('LEDGER-CHAIR', '149.00'), await createProduct('LEDGER-LAMP', '89.00')];
      const store = await createLocation('LEDGER-STORE', 'Ledger Store');
      for (const locationId of [store, bergen]) {
        for (const sku of skus) {
          await adjust({ locationId, sku, delta: 12, reason: 'RECEIVED' });
          await adjust({ locationId, sku, delta: -1, reason: 'DAMAGED' });
          await adjust({ locationId, sku, delta: -50, reason: 'SHRINKAGE' });
          await set({ locationId, sku, quantity: 9, compareQuantity: 11, reason: 'CORRECTION' });
          await set({ locationId, sku, quantity: 9 });
          await adjust({ locationId, sku, delta: 2, reason: 'RETURN' });
        }
        for (let sale = 0; sale < 3; sale += 1) {
          const sold = await ok(`mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { message } } }`, {
            input: { locationId, paymentMethod: 'CARD', lines: [{ sku: skus[0], quantity: 2 }, { sku: skus[1], quantity: 1 }] },
          });
          expect(sold.recordSale.userErrors).toEqual([]);
        }
        const oversold = await ok(`mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { code } } }`, {
          input: { locationId, paymentMethod: 'CARD', lines: [{ sku: skus[0], quantity: 1 }, { sku: skus[1], quantity: 9 }] },
        });
        expect(oversold.recordSale.userErrors).toEqual([{ code: 'INSUFFICIENT_STOCK' }]);
      }

      const data = await ok(`query($l: ID!) { location(id: $l) { inventory { nodes { product { sku } onHand } totalCount } } }`, { l: store });
      expect(data.location.inventory.nodes).toEqual([
        { product: { sku: 'LEDGER-CHAIR' }, onHand: 5 },
        { product: { sku: 'LEDGER-LAMP' }, onHand: 8 },
      ]);
      for (const locationId of [store, bergen]) {
        const levels = (await ok(`query($l: ID!) { location(id: $l) { inventory(first: 250) { nodes { product { sku } onHand } } } }`, { l: locationId })).location.inventory.nodes;
        for (const { product, onHand } of levels as { product: { sku: string }; onHand: number }[]) {
          const ledger = (await movements(locationId, product.sku, 2)).reverse();
          expect(new Set(ledger.map((movement) => movement.id)).size).toBe(ledger.length);
          let running = 0;
          for (const movement of ledger) {
            running += movement.delta;
            expect(movement.quantityAfter, `${product.sku} at ${locationId}, movement ${movement.id}`).toBe(running);
          }
          expect(running, `${product.sku} at ${locationId}`).toBe(onHand);
        }
      }
      const chair = await movements(store, 'LEDGER-CHAIR', 50);
      expect(chair.map((movement) => movement.reason)).toEqual(['SALE', 'SALE', 'SALE', 'RETURN', 'CORRECTION', 'DAMAGED', 'RECEIVED']);
    });

    // Fails today: StockService.movements accepts any JSON string as a cursor and hands it to
    // BigInt(), which throws a SyntaxError that is masked as INTERNAL_SERVER_ERROR.
    it('refuses a movements cursor that did not come from the movements list with BAD_USER_INPUT', async () => {
      const sku = await createProduct('LEDGER-CURSOR');
      await adjust({ locationId: oslo, sku, delta: 1, reason: 'RECEIVED' });
      // A products cursor (a JSON string, like a movements cursor) sent to the inventory subgraph
      // itself, so the router's handling of errors plays no part.
      const foreignCursor = Buffer.from(JSON.stringify(sku)).toString('base64url');
      const result = await gql(stack.urls.inventory, `query($sku: ID!, $after: String) { product(sku: $sku) { inventory { movements(after: $after) { totalCount } } } }`, { sku, after: foreignCursor });
      expect(result.errors?.[0]).toMatchObject({ path: ['product', 'inventory', 0, 'movements'], extensions: { code: 'BAD_USER_INPUT' } });
    });
  });

  describe('sale allocation', () => {
    it('takes a sale\'s stock once when the sales subgraph asks twice for the same order', async () => {
      const sku = await createProduct('ALLOC-TWICE');
      await adjust({ locationId: oslo, sku, delta: 5, reason: 'RECEIVED' });
      const input = { orderId: randomUUID(), locationId: oslo, lines: [{ sku, quantity: 2 }] };

      const [first, second] = await Promise.all([post(stack.urls.inventory, ALLOCATE, { input }, salesService()), post(stack.urls.inventory, ALLOCATE, { input }, salesService())]);
      expect(first.data.allocateSaleStock).toEqual({ allocated: true, userErrors: [] });
      expect(second.data.allocateSaleStock).toEqual({ allocated: true, userErrors: [] });
      const ledger = await movements(oslo, sku, 10);
      expect(ledger.map(({ delta, reason, reference }) => ({ delta, reason, reference }))).toEqual([
        { delta: -2, reason: 'SALE', reference: input.orderId },
        { delta: 5, reason: 'RECEIVED', reference: null },
      ]);
    });

    // Fails today on PostgreSQL: allocateSale reads sale_allocations before it locks the levels, so
    // a repeat call that started while the first held the lock re-checks the stock the first just
    // took and refuses its own order with INSUFFICIENT_STOCK (the sales subgraph then rejects an
    // order whose stock is gone). PGlite runs one transaction at a time, so it cannot interleave.
    it.skipIf(backend.name === 'pglite')('answers a repeat allocation of the last units as allocated while the first still holds the stock', async () => {
      const sku = await createProduct('ALLOC-LAST');
      await adjust({ locationId: oslo, sku, delta: 2, reason: 'RECEIVED' });
      const input = { orderId: randomUUID(), locationId: oslo, lines: [{ sku, quantity: 2 }] };

      const results = await withLevelLocked(stack.databases.inventory, { locationId: oslo, sku }, 2, () =>
        Promise.all([post(stack.urls.inventory, ALLOCATE, { input }, salesService()), post(stack.urls.inventory, ALLOCATE, { input }, salesService())]),
      );
      expect(await level(oslo, sku)).toEqual({ onHand: 0, reorderPoint: 0, movements: 2 });
      expect(results.map((result) => result.data.allocateSaleStock)).toEqual([
        { allocated: true, userErrors: [] },
        { allocated: true, userErrors: [] },
      ]);
    });
  });

  describe('pagination', () => {
    it('walks every product exactly once with first/after, in SKU order, and counts them all', async () => {
      for (const sku of ['PAGE-A', 'PAGE-B', 'PAGE-C', 'PAGE-D', 'PAGE-E']) await createProduct(sku);
      const everything = (await ok(`{ products(first: 250) { nodes { sku } totalCount } }`)).products;
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 200; page += 1) {
        const { products } = await ok(`query($after: String) { products(first: 2, after: $after) { nodes { sku } edges { cursor node { sku } } pageInfo { hasNextPage hasPreviousPage endCursor } totalCount } }`, { after });
        expect(products.nodes.length).toBeLessThanOrEqual(2);
        expect(products.totalCount).toBe(everything.totalCount);
        expect(products.pageInfo.hasPreviousPage).toBe(after !== null);
        expect(products.edges.map((edge: { node: { sku: string } }) => edge.node.sku)).toEqual(products.nodes.map((node: { sku: string }) => node.sku));
        seen.push(...products.nodes.map((node: { sku: string }) => node.sku));
        if (!products.pageInfo.hasNextPage) break;
        expect(products.pageInfo.endCursor).toBe(products.edges.at(-1).cursor);
        after = products.pageInfo.endCursor;
      }
      expect(seen).toEqual(everything.nodes.map((node: { sku: string }) => node.sku));
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toHaveLength(everything.totalCount);
      expect(seen).toEqual([...seen].sort());
      expect(seen).toEqual(expect.arrayContaining(['PAGE-A', 'PAGE-B', 'PAGE-C', 'PAGE-D', 'PAGE-E']));
    });

    it('has the inventory subgraph refuse a garbage cursor and a page over 250 with BAD_USER_INPUT', async () => {
      const garbage = await gql(stack.urls.inventory, `{ products(first: 2, after: "garbage") { totalCount } }`);
      expect(garbage.errors?.[0]).toMatchObject({ path: ['products'], extensions: { code: 'BAD_USER_INPUT' } });
      const huge = await gql(stack.urls.inventory, `{ products(first: 1000) { totalCount } }`);
      expect(huge.errors?.[0]).toMatchObject({ path: ['products'], extensions: { code: 'BAD_USER_INPUT' } });
    });

    // Fails today: CatalogService.listLocations checks only that a cursor is a pair of strings, so a
    // pair whose second part is not a UUID reaches SQL and comes back as an internal error.
    it('has the inventory subgraph refuse a forged locations cursor of the right shape with BAD_USER_INPUT', async () => {
      const forged = Buffer.from(JSON.stringify(['Oslo Store', 'not-an-id'])).toString('base64url');
      const result = await gql(stack.urls.inventory, `query($after: String) { locations(first: 2, after: $after) { totalCount } }`, { after: forged });
      expect(result.errors?.[0]).toMatchObject({ path: ['locations'], extensions: { code: 'BAD_USER_INPUT' } });
    });

    // Fails today: the subgraph answers these with HTTP 400 (graphQLError puts http.status in the
    // error), the gateway turns any non-2xx answer into "400: Bad Request" and the router masks that.
    it('refuses a garbage cursor with BAD_USER_INPUT through the router', async () => {
      const result = await gql(url, `{ products(first: 2, after: "garbage") { totalCount } }`);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('refuses first: 1000 with BAD_USER_INPUT through the router', async () => {
      const result = await gql(url, `{ products(first: 1000) { totalCount } }`);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  it('lists only levels at or below their reorder point with belowReorderPoint: true', async () => {
    const depot = await createLocation('REORDER-DEPOT', 'Reorder Depot');
    const cases = [
      { sku: 'REORDER-BELOW', quantity: 2, reorderPoint: 5, expected: true },
      { sku: 'REORDER-EQUAL', quantity: 5, reorderPoint: 5, expected: true },
      { sku: 'REORDER-ABOVE', quantity: 6, reorderPoint: 5, expected: false },
      { sku: 'REORDER-EMPTY', quantity: 0, reorderPoint: 0, expected: true },
      { sku: 'REORDER-NONE', quantity: 3, reorderPoint: 0, expected: false },
    ];
    for (const { sku, quantity, reorderPoint } of cases) {
      await createProduct(sku);
      const changed = await set({ locationId: depot, sku, quantity, reorderPoint });
      expect(changed.level).toEqual({ onHand: quantity, reorderPoint });
    }
    const query = `query($l: ID!, $below: Boolean) { location(id: $l) { inventory(belowReorderPoint: $below) {
      nodes { product { sku } onHand reorderPoint atOrBelowReorderPoint } totalCount } } }`;
    const below = (await ok(query, { l: depot, below: true })).location.inventory;
    expect(below.nodes.map((node: { product: { sku: string } }) => node.product.sku)).toEqual(['REORDER-BELOW', 'REORDER-EMPTY', 'REORDER-EQUAL']);
    expect(below.nodes.every((node: { onHand: number; reorderPoint: number; atOrBelowReorderPoint: boolean }) => node.onHand <= node.reorderPoint && node.atOrBelowReorderPoint)).toBe(true);
    expect(below.totalCount).toBe(3);

    const all = (await ok(query, { l: depot, below: false })).location.inventory;
    expect(all.totalCount).toBe(5);
    for (const { sku, expected } of cases) {
      expect(all.nodes.find((node: { product: { sku: string } }) => node.product.sku === sku).atOrBelowReorderPoint, sku).toBe(expected);
    }
  });

  it('resolves Location and Product entities as the router asks for them, unknown and malformed ids as null', async () => {
    await createProduct('ENTITY-SOFA', '2499.00');
    const result = await gql(stack.urls.inventory, `query($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on Location { id code name } ... on Product { sku name price } } }`, {
      representations: [
        { __typename: 'Location', id: oslo },
        { __typename: 'Product', sku: 'ENTITY-SOFA' },
        { __typename: 'Location', id: randomUUID() },
        { __typename: 'Location', id: 'not-a-uuid' },
        { __typename: 'Product', sku: 'NO-SUCH-SKU' },
        { __typename: 'Location', id: bergen },
      ],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual([
      { id: oslo, code: 'OSL-STORE-1', name: 'Oslo Store' },
      { sku: 'ENTITY-SOFA', name: 'Product ENTITY-SOFA', price: '2499.00' },
      null,
      null,
      null,
      { id: bergen, code: 'BGO-STORE-1', name: 'Bergen Store' },
    ]);
  });
});
