/**
 * Who may do what in the sales subgraph (docs/security.md's matrix) and over which locations.
 * Sales runs alone, against stand-ins for inventory and marketing, and is called as the router
 * would call it: with a signed joinery-identity for each caller. Two stores, A and B; the callers
 * other than the admin hold A only. Every figure expected below was worked out by hand from the
 * orders in `beforeAll`, not read back from the code.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER, internalAuth, type Identity, type Role } from '@joinery/core';
import { backends, gql, type TestCaller } from '@joinery/core/testing';
import { buildSalesSubgraph, openSalesDatabase, type SalesSubgraph } from '@joinery/sales';
import { fakeOwners } from './fake-owners';

interface Result {
  data?: any;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

const RECORD_SALE = `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id location { id } } userErrors { code field message } } }`;
const RETURN = `mutation($input: ReturnSaleLinesInput!) { returnSaleLines(input: $input) { return { id refundTotal createdBy } userErrors { code field message } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id location { id } totalAmount returns { id } } }`;
const ORDERS = `query($filter: OrderFilter) { orders(first: 100, filter: $filter) { nodes { id location { id } } totalCount } }`;
const REPORT = `query($filter: SalesReportFilter, $groupBy: [SalesReportDimension!]!) { salesReport(filter: $filter, groupBy: $groupBy) {
  rows { location { id } region channel product { sku } orderCount unitsSold revenue discount averageOrderValue }
  totals { orderCount unitsSold revenue discount averageOrderValue } source } }`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
  ... on SalesOrder { id location { id } }
  ... on SalesReturn { id order { id } }
} }`;
const LOCATION_SUMMARY = `query($r: [_Any!]!, $from: DateTime, $to: DateTime) { _entities(representations: $r) {
  ... on Location { id salesSummary(from: $from, to: $to) { orderCount unitsSold revenue averageOrderValue returnedAmount netRevenue } } } }`;
const LOCATION_SALES = `query($r: [_Any!]!, $from: DateTime, $to: DateTime) { _entities(representations: $r) {
  ... on Location { id sales(first: 100, from: $from, to: $to) { nodes { id } totalCount } } } }`;
const PRODUCT_SUMMARY = `query($r: [_Any!]!, $from: DateTime, $to: DateTime) { _entities(representations: $r) {
  ... on Product { sku salesSummary(from: $from, to: $to) { orderCount unitsSold revenue averageOrderValue returnedAmount netRevenue } } } }`;

const JANUARY = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };

type Metrics = [orderCount: number, unitsSold: number, revenue: string, discount: string, averageOrderValue: string];
const metrics = ([orderCount, unitsSold, revenue, discount, averageOrderValue]: Metrics) => ({ orderCount, unitsSold, revenue, discount, averageOrderValue });
const NO_DIMENSIONS = { location: null, region: null, channel: null, product: null };

/** The one FORBIDDEN error a refused request answers with (nothing else went wrong). */
function expectForbidden(result: Result, naming?: string[]): string {
  expect(result.errors, JSON.stringify(result)).toHaveLength(1);
  expect(result.errors![0].extensions?.code).toBe('FORBIDDEN');
  for (const name of naming ?? []) expect(result.errors![0].message).toContain(name);
  return result.errors![0].message;
}

function expectAllowed(result: Result) {
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

describe.each(backends())('sales authorization on $name', (backend) => {
  const owners = fakeOwners();
  const A = owners.location({ region: 'East', kind: 'STORE' });
  const B = owners.location({ region: 'West', kind: 'ONLINE' });
  const sofa = owners.product('AUTH-SOFA', '1000.00', 'sofas');
  const lamp = owners.product('AUTH-LAMP', '50.00', 'lighting');
  let sales: SalesSubgraph;
  let url: string;

  const ADMIN: TestCaller = { role: 'admin' };
  const at = (role: Role, locations = [A]): TestCaller => ({ role, locations });
  const CALLERS: Record<string, TestCaller> = {
    admin: ADMIN,
    'manager@A': at('manager'),
    'associate@A': at('associate'),
    'analyst@A': at('analyst'),
    'marketer@A': at('marketer'),
  };

  /** Orders of January 2026, by name (see beforeAll). */
  const orders: Record<'A0' | 'A1' | 'B0' | 'B1', string> = { A0: '', A1: '', B0: '', B1: '' };
  const returns: Record<'A1' | 'B0', string> = { A1: '', B0: '' };

  const call = (caller: TestCaller, query: string, variables?: Record<string, unknown>): Promise<Result> => gql(url, query, variables, caller);

  async function sell(locationId: string, lines: Record<string, unknown>[], extra: Record<string, unknown> = {}): Promise<string> {
    const result = await call(ADMIN, RECORD_SALE, { input: { locationId, paymentMethod: 'CARD', lines, ...extra } });
    expect(expectAllowed(result)!.recordSale.userErrors).toEqual([]);
    return result.data!.recordSale.order.id;
  }

  async function giveBack(orderId: string, sku: string, caller: TestCaller = ADMIN): Promise<string> {
    const result = await call(caller, RETURN, { input: { orderId, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] } });
    expect(expectAllowed(result)!.returnSaleLines.userErrors).toEqual([]);
    return result.data!.returnSaleLines.return.id;
  }

  /** Everything a refused mutation must leave as it was: rows, calls to inventory, events. */
  async function effects() {
    return {
      orders: await sales.prisma.salesOrder.count(),
      orderLines: await sales.prisma.salesOrderLine.count(),
      returns: await sales.prisma.salesReturn.count(),
      outbox: await sales.prisma.outboxEvent.count(),
      allocations: owners.state.allocated.length,
      restocks: owners.state.restocked.length,
    };
  }

  beforeAll(async () => {
    sales = await buildSalesSubgraph({ database: await openSalesDatabase(backend.targets().sales), ...owners.deps });
    url = await sales.listen(0);
    // order | store | UTC              | lines                          | units | revenue | discount
    // A0    | A     | 2026-01-01 05:00 | lamp ×1                        | 1     |   50.00 |
    // A1    | A     | 2026-01-10 10:00 | sofa ×1 (−100.00), lamp ×2     | 3     | 1000.00 | 100.00
    // B0    | B     | 2026-01-01 06:00 | lamp ×3                        | 3     |  150.00 |
    // B1    | B     | 2026-01-15 10:00 | sofa ×2                        | 2     | 2000.00 |
    // A0 and B0 are on 1 January in Oslo, a local day that starts before the range: a report reads
    // them from the orders; A1 and B1 are on whole days, read from the daily rollups.
    // Returns: one lamp of A1 (50.00) and one lamp of B0 (150.00 / 3 = 50.00).
    orders.A0 = await sell(A, [{ sku: lamp, quantity: 1 }], { orderedAt: '2026-01-01T05:00:00Z' });
    orders.A1 = await sell(A, [{ sku: sofa, quantity: 1, discount: '100.00' }, { sku: lamp, quantity: 2 }], { orderedAt: '2026-01-10T10:00:00Z' });
    orders.B0 = await sell(B, [{ sku: lamp, quantity: 3 }], { orderedAt: '2026-01-01T06:00:00Z' });
    orders.B1 = await sell(B, [{ sku: sofa, quantity: 2 }], { orderedAt: '2026-01-15T10:00:00Z' });
    returns.A1 = await giveBack(orders.A1, lamp);
    returns.B0 = await giveBack(orders.B0, lamp);
  });
  afterAll(async () => {
    await sales?.stop();
    await backend.cleanup();
  });

  const ORDER_READERS: Role[] = ['admin', 'manager', 'associate', 'analyst'];
  const AGGREGATE_READERS: Role[] = ['admin', 'manager', 'analyst', 'marketer'];

  interface Operation {
    name: string;
    allowed: Role[];
    /** Set-up done as the admin before the caller's request (and before effects are counted). */
    prepare?: () => Promise<Record<string, unknown>>;
    run: (caller: TestCaller, prepared: Record<string, unknown>) => Promise<Result>;
    /** What an allowed request answers. */
    check: (data: any, prepared: Record<string, unknown>, caller: TestCaller) => void;
    /** A mutation: refused, it must change nothing; allowed, it must have written. */
    mutation?: boolean;
  }

  const OPERATIONS: Operation[] = [
    {
      name: 'order(id) at A',
      allowed: ORDER_READERS,
      run: (caller) => call(caller, ORDER, { id: orders.A1 }),
      check: (data) => expect(data.order).toEqual({ id: orders.A1, location: { id: A }, totalAmount: '1000.00', returns: [{ id: returns.A1 }] }),
    },
    {
      name: 'orders filtered to A',
      allowed: ORDER_READERS,
      run: (caller) => call(caller, ORDERS, { filter: { locationIds: [A], ...JANUARY } }),
      check: (data) => expect(data.orders.nodes.map((node: { id: string }) => node.id)).toEqual([orders.A1, orders.A0]),
    },
    {
      name: 'salesReport of A',
      allowed: AGGREGATE_READERS,
      run: (caller) => call(caller, REPORT, { filter: { locationIds: [A], ...JANUARY }, groupBy: ['LOCATION'] }),
      check: (data) => expect(data.salesReport.totals).toEqual(metrics([2, 4, '1050.00', '100.00', '525.00'])),
    },
    {
      name: 'Location.salesSummary of A',
      allowed: AGGREGATE_READERS,
      run: (caller) => call(caller, LOCATION_SUMMARY, { r: [{ __typename: 'Location', id: A }], ...JANUARY }),
      check: (data) =>
        expect(data._entities[0].salesSummary).toEqual({ orderCount: 2, unitsSold: 4, revenue: '1050.00', averageOrderValue: '525.00', returnedAmount: '50.00', netRevenue: '1000.00' }),
    },
    {
      name: 'Location.sales of A',
      allowed: ORDER_READERS,
      run: (caller) => call(caller, LOCATION_SALES, { r: [{ __typename: 'Location', id: A }], ...JANUARY }),
      check: (data) => expect(data._entities[0].sales).toEqual({ nodes: [{ id: orders.A1 }, { id: orders.A0 }], totalCount: 2 }),
    },
    {
      name: 'Product.salesSummary',
      allowed: AGGREGATE_READERS,
      run: (caller) => call(caller, PRODUCT_SUMMARY, { r: [{ __typename: 'Product', sku: lamp }], ...JANUARY }),
      // The admin sees both stores' lamps; a caller holding A only, A's (see the scope tests).
      check: (data, _prepared, caller) =>
        expect(data._entities[0].salesSummary.orderCount).toBe(caller.role === 'admin' ? 3 : 2),
    },
    {
      name: 'SalesOrder entity at A',
      allowed: ORDER_READERS,
      run: (caller) => call(caller, ENTITIES, { r: [{ __typename: 'SalesOrder', id: orders.A1 }] }),
      check: (data) => expect(data._entities).toEqual([{ id: orders.A1, location: { id: A } }]),
    },
    {
      name: 'SalesReturn entity of an order at A',
      allowed: ORDER_READERS,
      run: (caller) => call(caller, ENTITIES, { r: [{ __typename: 'SalesReturn', id: returns.A1 }] }),
      check: (data) => expect(data._entities).toEqual([{ id: returns.A1, order: { id: orders.A1 } }]),
    },
    {
      name: 'recordSale at A',
      allowed: ['admin', 'manager', 'associate'],
      mutation: true,
      run: (caller) => call(caller, RECORD_SALE, { input: { locationId: A, paymentMethod: 'CASH', lines: [{ sku: lamp, quantity: 1 }] } }),
      check: (data, _prepared, caller) => {
        expect(data.recordSale).toMatchObject({ order: { location: { id: A } }, userErrors: [] });
        expect(owners.state.allocated.at(-1)).toEqual({ orderId: data.recordSale.order.id, actor: `test-${caller.role}` });
      },
    },
    {
      name: 'returnSaleLines of an order at A',
      allowed: ['admin', 'manager'],
      mutation: true,
      prepare: async () => ({ orderId: await sell(A, [{ sku: lamp, quantity: 2 }]) }),
      run: (caller, { orderId }) => call(caller, RETURN, { input: { orderId, lines: [{ sku: lamp, quantity: 1, condition: 'DAMAGED' }] } }),
      check: (data, _prepared, caller) => {
        expect(data.returnSaleLines).toEqual({ return: { id: expect.any(String), refundTotal: '50.00', createdBy: `test-${caller.role}` }, userErrors: [] });
        expect(owners.state.restocked.at(-1)?.input.returnId).toBe(data.returnSaleLines.return.id);
      },
    },
  ];

  const cases = OPERATIONS.flatMap((operation) =>
    Object.entries(CALLERS).map(([who, caller]) => ({ operation, who, caller, allowed: operation.allowed.includes(caller.role) })),
  );

  it.each(cases)('$operation.name as $who: allowed $allowed', async ({ operation, caller, allowed }) => {
    const prepared = (await operation.prepare?.()) ?? {};
    const before = await effects();
    const result = await operation.run(caller, prepared);
    if (allowed) {
      operation.check(expectAllowed(result), prepared, caller);
      if (operation.mutation) expect(await effects()).not.toEqual(before);
    } else {
      expectForbidden(result, [`The ${caller.role} role may not do this`]);
      if (operation.mutation) expect(await effects()).toEqual(before);
    }
  });

  describe('a manager of A', () => {
    const manager = at('manager');

    it("cannot read B's order, by id or as an entity, and is told which order and location", async () => {
      expectForbidden(await call(manager, ORDER, { id: orders.B1 }), [orders.B1, B]);
      const forged = await call(manager, ENTITIES, { r: [{ __typename: 'SalesOrder', id: orders.B1 }, { __typename: 'SalesOrder', id: orders.A1 }] });
      expectForbidden(forged, [orders.B1, B]);
      expect(forged.errors![0].path).toEqual(['_entities', 0]);
      expect(forged.data!._entities).toEqual([null, { id: orders.A1, location: { id: A } }]);
      const returnAtB = await call(manager, ENTITIES, { r: [{ __typename: 'SalesReturn', id: returns.B0 }] });
      expectForbidden(returnAtB, [orders.B0, B]);
      expect(returnAtB.data!._entities).toEqual([null]);
    });

    it("lists only A's orders, and is refused a filter naming B rather than given an empty list", async () => {
      const listed = expectAllowed(await call(manager, ORDERS, { filter: JANUARY }))!.orders;
      expect(listed).toEqual({ nodes: [{ id: orders.A1, location: { id: A } }, { id: orders.A0, location: { id: A } }], totalCount: 2 });
      const unfiltered = expectAllowed(await call(manager, ORDERS))!.orders;
      expect(unfiltered.nodes.length).toBeGreaterThanOrEqual(2);
      for (const node of unfiltered.nodes) expect(node.location).toEqual({ id: A });
      expectForbidden(await call(manager, ORDERS, { filter: { locationIds: [A, B] } }), [`Location ${B} is outside your locations`]);
      // The admin, for comparison, sees both stores' four.
      expect(expectAllowed(await call(ADMIN, ORDERS, { filter: JANUARY }))!.orders.totalCount).toBe(4);
    });

    it("cannot read B's orders or figures through Location", async () => {
      expectForbidden(await call(manager, LOCATION_SALES, { r: [{ __typename: 'Location', id: B }], ...JANUARY }), [B]);
      expectForbidden(await call(manager, LOCATION_SUMMARY, { r: [{ __typename: 'Location', id: B }], ...JANUARY }), [B]);
    });

    it('cannot record a sale at B: FORBIDDEN, no order, no allocation, no event', async () => {
      const before = await effects();
      const result = await call(manager, RECORD_SALE, { input: { locationId: B, paymentMethod: 'CARD', lines: [{ sku: lamp, quantity: 1 }] } });
      expectForbidden(result, [`Location ${B} is outside your locations`]);
      expect(result.data).toBeNull();
      expect(await effects()).toEqual(before);
    });

    it("cannot return B's order, nor take A's goods back into B's stock, nor replay the admin's return of B's order", async () => {
      const keyed = { orderId: orders.B1, lines: [{ sku: sofa, quantity: 1, condition: 'RESTOCK' }], idempotencyKey: `auth-b1-${backend.name}` };
      const adminReturn = expectAllowed(await call(ADMIN, RETURN, { input: keyed }))!.returnSaleLines;
      expect(adminReturn.userErrors).toEqual([]);
      const orderAtA = await sell(A, [{ sku: lamp, quantity: 2 }]);

      const before = await effects();
      expectForbidden(await call(manager, RETURN, { input: { orderId: orders.B1, lines: [{ sku: sofa, quantity: 1, condition: 'RESTOCK' }] } }), [orders.B1, B]);
      // The same key and input as the admin's: refused, not answered with the admin's return.
      const replay = await call(manager, RETURN, { input: keyed });
      expectForbidden(replay, [orders.B1]);
      expect(replay.data).toBeNull();
      expectForbidden(await call(manager, RETURN, { input: { orderId: orderAtA, locationId: B, lines: [{ sku: lamp, quantity: 1, condition: 'RESTOCK' }] } }), [`Location ${B} is outside your locations`]);
      // Regression: an upper-case id once missed the check's loader while the recorder still found the order.
      expectForbidden(await call(manager, RETURN, { input: { orderId: orders.B1.toUpperCase(), lines: [{ sku: sofa, quantity: 1, condition: 'RESTOCK' }] } }), [B]);
      expectForbidden(await call(manager, ORDER, { id: orders.B1.toUpperCase() }), [B]);
      expect(await effects()).toEqual(before);
    });

    it('is told NOT_FOUND, as before, for an order that does not exist', async () => {
      const missing = randomUUID();
      const result = await call(manager, RETURN, { input: { orderId: missing, lines: [{ sku: lamp, quantity: 1, condition: 'RESTOCK' }] } });
      expect(expectAllowed(result)!.returnSaleLines).toEqual({ return: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'orderId'], message: `No order with id ${missing}` }] });
    });
  });

  describe('an analyst of A', () => {
    const analyst = at('analyst');
    const A_ALONE: Metrics = [2, 4, '1050.00', '100.00', '525.00'];
    const report = async (caller: TestCaller, groupBy: string[], filter: Record<string, unknown> = JANUARY) =>
      expectAllowed(await call(caller, REPORT, { filter, groupBy }))!.salesReport;

    it("gets a salesReport of A's figures alone, from the rollups and the orders at the range's edge alike", async () => {
      expect(await report(analyst, ['LOCATION'])).toEqual({
        rows: [{ ...NO_DIMENSIONS, location: { id: A }, ...metrics(A_ALONE) }],
        totals: metrics(A_ALONE),
        source: 'ROLLUP',
      });
      expect(await report(analyst, ['LOCATION'], { locationIds: [A.toUpperCase()], ...JANUARY })).toMatchObject({ totals: metrics(A_ALONE) });
      // The admin's, for comparison: both stores, 4 orders, 9 units, 3,200.00.
      expect((await report(ADMIN, ['LOCATION'])).totals).toEqual(metrics([4, 9, '3200.00', '100.00', '800.00']));
    });

    it('gets only A in REGION and CHANNEL groupings and their totals', async () => {
      expect(await report(analyst, ['REGION'])).toEqual({ rows: [{ ...NO_DIMENSIONS, region: 'East', ...metrics(A_ALONE) }], totals: metrics(A_ALONE), source: 'ROLLUP' });
      expect(await report(analyst, ['CHANNEL'])).toEqual({ rows: [{ ...NO_DIMENSIONS, channel: 'STORE', ...metrics(A_ALONE) }], totals: metrics(A_ALONE), source: 'ROLLUP' });
    });

    it("gets only A's order lines when grouped by product", async () => {
      expect(await report(analyst, ['PRODUCT'])).toEqual({
        rows: [
          // A0's lamp and A1's two lamps; A1's sofa less its 100.00 discount.
          { ...NO_DIMENSIONS, product: { sku: lamp }, ...metrics([2, 3, '150.00', '0.00', '75.00']) },
          { ...NO_DIMENSIONS, product: { sku: sofa }, ...metrics([1, 1, '900.00', '100.00', '900.00']) },
        ],
        totals: metrics(A_ALONE),
        source: 'ORDER_LINES',
      });
    });

    it('is refused a report naming B, rather than given A alone', async () => {
      expectForbidden(await call(analyst, REPORT, { filter: { locationIds: [A, B], ...JANUARY }, groupBy: ['LOCATION'] }), [`Location ${B} is outside your locations`]);
    });

    it("gets a product's brand-wide summary over A alone", async () => {
      const summary = async (caller: TestCaller) => expectAllowed(await call(caller, PRODUCT_SUMMARY, { r: [{ __typename: 'Product', sku: lamp }], ...JANUARY }))!._entities[0].salesSummary;
      // A: A0 and A1, 3 lamps for 150.00, one returned (50.00).
      expect(await summary(analyst)).toEqual({ orderCount: 2, unitsSold: 3, revenue: '150.00', averageOrderValue: '75.00', returnedAmount: '50.00', netRevenue: '100.00' });
      // Every store: B0's 3 lamps (150.00) and its returned one (50.00) besides.
      expect(await summary(ADMIN)).toEqual({ orderCount: 3, unitsSold: 6, revenue: '300.00', averageOrderValue: '100.00', returnedAmount: '100.00', netRevenue: '200.00' });
    });

    it('with no locations at all, sees no orders and empty figures', async () => {
      const nowhere = at('analyst', []);
      expect(expectAllowed(await call(nowhere, ORDERS, { filter: JANUARY }))!.orders).toEqual({ nodes: [], totalCount: 0 });
      expect(await report(nowhere, ['LOCATION'])).toEqual({ rows: [], totals: metrics([0, 0, '0.00', '0.00', '0.00']), source: 'ROLLUP' });
    });
  });

  describe('identity', () => {
    /** Posts as exactly `identity`, as the router signs it (with its request id). */
    async function postAs(identity: Identity, query: string, variables: Record<string, unknown>): Promise<Result> {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: await internalAuth().sign(identity) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as Result;
    }

    it("compares location ids whatever their case in the token", async () => {
      const upper: TestCaller = { role: 'manager', locations: [A.toUpperCase()] };
      expect(expectAllowed(await call(upper, ORDER, { id: orders.A1 }))!.order.id).toBe(orders.A1);
      expectForbidden(await call(upper, ORDER, { id: orders.B1 }), [B]);
    });

    it("passes the caller's actor and the router's request id to inventory when it allocates a sale and restocks a return", async () => {
      const till: Identity = { subject: 'till-9', role: 'associate', locations: [A], actor: 'till-9', requestId: 'req-auth-sale' };
      const sold = await postAs(till, RECORD_SALE, { input: { locationId: A, paymentMethod: 'CARD', lines: [{ sku: lamp, quantity: 2 }] } });
      const orderId = expectAllowed(sold)!.recordSale.order.id;
      expect(owners.state.allocated.filter((entry) => entry.orderId === orderId)).toEqual([{ orderId, actor: 'till-9', requestId: 'req-auth-sale' }]);

      const clerk: Identity = { subject: 'clerk-7', role: 'manager', locations: [A], actor: 'clerk-7', requestId: 'req-auth-return' };
      const returned = expectAllowed(await postAs(clerk, RETURN, { input: { orderId, lines: [{ sku: lamp, quantity: 1, condition: 'RESTOCK' }] } }))!.returnSaleLines;
      expect(returned.return.createdBy).toBe('clerk-7');
      expect(owners.state.restocked.filter((entry) => entry.input.returnId === returned.return.id)).toEqual([
        { input: expect.objectContaining({ orderId }), actor: 'clerk-7', requestId: 'req-auth-return' },
      ]);
    });
  });
});
