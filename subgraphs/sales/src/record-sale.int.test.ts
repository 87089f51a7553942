import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createInventoryDirectory, createSubgraphClient, SubgraphUnavailableError, type Database } from '@joinery/core';
import { backends, createTestLocation, expectData, gql, withLevelLocked } from '@joinery/core/testing';
import { buildInventorySubgraph, openInventoryDatabase, type InventorySubgraph } from '@joinery/inventory';
import { buildMarketingSubgraph, openMarketingDatabase, type MarketingSubgraph } from '@joinery/marketing';
import { buildRouter, readSupergraph, type Router } from '@joinery/router';
import { buildSalesSubgraph, openSalesDatabase, type SalesSubgraph } from '@joinery/sales';
import { createCampaignDirectory } from '@joinery/sales/campaign-directory';
import { createLocationDirectory } from '@joinery/sales/location-directory';
import { createSaleCatalogue } from '@joinery/sales/sale-catalogue';
import { createStockAllocator, type StockAllocator } from '@joinery/sales/stock-allocator';
import { createStockRestocker } from '@joinery/sales/stock-restocker';
import { startStack, type Stack } from '@joinery/stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };

const RECORD_SALE = `mutation($input: RecordSaleInput!) { recordSale(input: $input) {
  order { id unitCount totalAmount lines { product { sku } quantity unitPrice discount lineTotal } }
  userErrors { field message code } } }`;

/** The reads and writes every test here needs, all through one GraphQL endpoint (the router). */
function client(endpoint: () => string) {
  const ok = (query: string, variables?: Record<string, unknown>) => expectData(endpoint(), query, variables);
  return {
    ok,
    createLocation: (code: string): Promise<string> => createTestLocation(endpoint(), code),
    async createProduct(sku: string, price = '100.00'): Promise<string> {
      const data = await ok(`mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, {
        input: { sku, name: `Product ${sku}`, category: 'sofas', price },
      });
      expect(data.createProduct.userErrors).toEqual([]);
      return sku;
    },
    async adjust(locationId: string, sku: string, delta: number, reason = 'RECEIVED'): Promise<void> {
      const data = await ok(`mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { userErrors { message } } }`, { input: { locationId, sku, delta, reason } });
      expect(data.adjustInventory.userErrors).toEqual([]);
    },
    /** On-hand stock and the level's whole ledger (newest first). */
    async stock(locationId: string, sku: string): Promise<{ onHand: number; movements: { delta: number; reason: string; reference: string | null }[] }> {
      const data = await ok(`query($sku: ID!) { product(sku: $sku) { inventory { location { id } onHand
        movements(first: 250) { nodes { delta reason reference } pageInfo { hasNextPage } } } } }`, { sku });
      const level = data.product.inventory.find((row: { location: { id: string } }) => row.location.id === locationId);
      if (!level) return { onHand: 0, movements: [] };
      expect(level.movements.pageInfo.hasNextPage).toBe(false);
      return { onHand: level.onHand, movements: level.movements.nodes };
    },
    async orderCount(locationIds?: string[]): Promise<number> {
      return (await ok(`query($filter: OrderFilter) { orders(filter: $filter) { totalCount } }`, { filter: locationIds ? { locationIds } : null })).orders.totalCount;
    },
    async order(id: string) {
      return (await ok(`query($id: ID!) { order(id: $id) { id unitCount location { id } lines { product { sku } quantity } } }`, { id })).order;
    },
    /** salesReport's totals at one location over the last 30 days (read from the daily rollups). */
    async reportTotals(locationId: string) {
      const report = (await ok(`query($l: [ID!]) { salesReport(filter: { locationIds: $l }, groupBy: [LOCATION]) { totals { orderCount unitsSold revenue } source } }`, { l: [locationId] })).salesReport;
      expect(report.source).toBe('ROLLUP');
      return report.totals;
    },
  };
}

const sum = (numbers: number[]) => numbers.reduce((total, value) => total + value, 0);


describe.each(backends())('recordSale through the router on $name', (backend) => {
  let stack: Stack;
  const api = client(() => stack.urls.router);
  const sell = (input: Record<string, unknown>) => gql(stack.urls.router, RECORD_SALE, { input });

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports });
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it('sells exactly the stock there is when 50 sales of the last 10 units arrive at once', async () => {
    const locationId = await api.createLocation('RUSH-STORE');
    const sku = await api.createProduct('RUSH-CHAIR', '149.00');
    await api.adjust(locationId, sku, 10);

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) => sell({ locationId, paymentMethod: 'CARD', idempotencyKey: `rush-${index}`, lines: [{ sku, quantity: 1 }] })),
    );
    for (const result of results) expect(result.errors).toBeUndefined();
    const payloads = results.map((result) => result.data.recordSale);
    const sold = payloads.filter((payload) => payload.order);
    const refused = payloads.filter((payload) => !payload.order);
    expect(sold).toHaveLength(10);
    for (const payload of sold) expect(payload.userErrors).toEqual([]);
    expect(refused).toHaveLength(40);
    for (const payload of refused) {
      expect(payload.userErrors).toEqual([{ code: 'INSUFFICIENT_STOCK', field: ['input', 'lines', '0', 'quantity'], message: expect.stringMatching(new RegExp(`sku ${sku} at location ${locationId}: requested 1, available 0$`)) }]);
    }

    const stock = await api.stock(locationId, sku);
    expect(stock.onHand).toBe(0);
    expect(sum(stock.movements.map((movement) => movement.delta))).toBe(0);
    const saleReferences = stock.movements.filter((movement) => movement.reason === 'SALE').map((movement) => movement.reference);
    expect(new Set(saleReferences)).toEqual(new Set(sold.map((payload) => payload.order.id)));
    expect(await api.orderCount([locationId])).toBe(10);
    // Ten confirmations upserting the same rollup row at once: none lost.
    expect(await api.reportTotals(locationId)).toEqual({ orderCount: 10, unitsSold: 10, revenue: '1490.00' });
  });

  it('refuses a sale as a whole when one line would oversell, naming that sku, requested and available', async () => {
    const locationId = await api.createLocation('WHOLE-STORE');
    const table = await api.createProduct('WHOLE-TABLE', '1299.00');
    const bench = await api.createProduct('WHOLE-BENCH', '399.00');
    await api.adjust(locationId, table, 5);
    await api.adjust(locationId, bench, 1);

    const result = await sell({ locationId, paymentMethod: 'CARD', lines: [{ sku: table, quantity: 2 }, { sku: bench, quantity: 3 }] });
    expect(result.errors).toBeUndefined();
    expect(result.data.recordSale).toEqual({
      order: null,
      userErrors: [{ code: 'INSUFFICIENT_STOCK', field: ['input', 'lines', '1', 'quantity'], message: `Not enough stock for sku ${bench} at location ${locationId}: requested 3, available 1` }],
    });
    expect(await api.stock(locationId, table)).toEqual({ onHand: 5, movements: [{ delta: 5, reason: 'RECEIVED', reference: null }] });
    expect((await api.stock(locationId, bench)).onHand).toBe(1);
    expect(await api.orderCount([locationId])).toBe(0);
  });

  describe('idempotency', () => {
    it('returns the first order when a sale is replayed with its idempotencyKey, taking the stock once', async () => {
      const locationId = await api.createLocation('REPLAY-STORE');
      const sku = await api.createProduct('REPLAY-SOFA', '2499.00');
      await api.adjust(locationId, sku, 5);
      const input = { locationId, paymentMethod: 'CARD', idempotencyKey: 'replay-1', lines: [{ sku, quantity: 2, discount: '100.00' }] };

      const first = await sell(input);
      expect(first.data.recordSale.userErrors).toEqual([]);
      expect(first.data.recordSale.order).toMatchObject({ unitCount: 2, totalAmount: '4898.00' });
      const replay = await sell(input);
      expect(replay.data.recordSale).toEqual(first.data.recordSale);

      expect((await api.stock(locationId, sku)).onHand).toBe(3);
      expect(await api.orderCount([locationId])).toBe(1);
    });

    it('refuses an idempotencyKey reused for another sale with CONFLICT and changes nothing', async () => {
      const locationId = await api.createLocation('REUSE-STORE');
      const sku = await api.createProduct('REUSE-SOFA', '2499.00');
      await api.adjust(locationId, sku, 5);
      await sell({ locationId, paymentMethod: 'CARD', idempotencyKey: 'reuse-1', lines: [{ sku, quantity: 2 }] });

      const reused = await sell({ locationId, paymentMethod: 'CARD', idempotencyKey: 'reuse-1', lines: [{ sku, quantity: 1 }] });
      expect(reused.data.recordSale).toEqual({
        order: null,
        userErrors: [{ code: 'CONFLICT', field: ['input', 'idempotencyKey'], message: expect.stringContaining('reuse-1') }],
      });
      expect((await api.stock(locationId, sku)).onHand).toBe(3);
      expect(await api.orderCount([locationId])).toBe(1);
    });

    it('records one order and takes its stock once when 10 identical requests with one key arrive at once', async () => {
      const locationId = await api.createLocation('BURST-STORE');
      const sku = await api.createProduct('BURST-LAMP', '89.00');
      await api.adjust(locationId, sku, 10);
      const input = { locationId, paymentMethod: 'CASH', idempotencyKey: 'burst-1', lines: [{ sku, quantity: 2 }] };

      const results = await Promise.all(Array.from({ length: 10 }, () => sell(input)));
      for (const result of results) {
        expect(result.errors).toBeUndefined();
        expect(result.data.recordSale.userErrors).toEqual([]);
      }
      expect(new Set(results.map((result) => result.data.recordSale.order.id)).size).toBe(1);
      const stock = await api.stock(locationId, sku);
      expect(stock.onHand).toBe(8);
      expect(stock.movements.filter((movement) => movement.reason === 'SALE')).toHaveLength(1);
      expect(await api.orderCount([locationId])).toBe(1);
      expect(await api.reportTotals(locationId)).toEqual({ orderCount: 1, unitsSold: 2, revenue: '178.00' });
    });
  });

  // Fails today: OrderService.list checks only that a cursor is a pair of strings, so a pair that
  // is not [ISO date, id] reaches Prisma as an Invalid Date and comes back as an internal error.
  it('has the sales subgraph refuse a forged orders cursor of the right shape with BAD_USER_INPUT', async () => {
    const forged = Buffer.from(JSON.stringify(['yesterday', 'not-an-id'])).toString('base64url');
    const result = await gql(stack.urls.sales, `query($after: String) { orders(first: 2, after: $after) { totalCount } }`, { after: forged });
    expect(result.errors?.[0]).toMatchObject({ path: ['orders'], extensions: { code: 'BAD_USER_INPUT' } });
  });

  describe('bad input', () => {
    let locationId: string;
    /** A campaign that runs only at another store, and one that runs at this one among others. */
    let elsewhere: string;
    let here: string;
    let other: string;
    const sku = 'INPUT-SOFA';
    const base = () => ({ locationId, paymentMethod: 'CARD', lines: [{ sku, quantity: 1 }] });

    beforeAll(async () => {
      locationId = await api.createLocation('INPUT-STORE');
      other = await api.createLocation('INPUT-OTHER');
      await api.createProduct(sku, '2499.00');
      await api.adjust(locationId, sku, 5);
      const campaign = async (name: string, targetLocationIds: string[]) =>
        (await expectData(stack.urls.router, `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } userErrors { message } } }`, {
          input: { name, channel: 'EMAIL', startsAt: '2026-01-01T00:00:00Z', budget: '100.00', targetLocationIds },
        })).createCampaign.campaign.id as string;
      elsewhere = await campaign('Only at the other store', [other]);
      here = await campaign('Here and there', [other, locationId]);
    });

    it('accepts a campaign that runs at the sale location among others', async () => {
      await api.adjust(other, sku, 1);
      const result = await sell({ ...base(), locationId: other, campaignId: here });
      expect(result.data.recordSale.userErrors).toEqual([]);
      expect(await api.orderCount([other])).toBe(1);
    });

    async function expectNothingChanged(ordersBefore: number) {
      expect(await api.orderCount()).toBe(ordersBefore);
      expect(await api.orderCount([locationId])).toBe(0);
      expect(await api.stock(locationId, sku)).toEqual({ onHand: 5, movements: [{ delta: 5, reason: 'RECEIVED', reference: null }] });
    }

    const refusals: { name: string; input: () => Record<string, unknown>; errors: { code: string; field: string[] }[] }[] = [
      { name: 'no lines', input: () => ({ ...base(), lines: [] }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines'] }] },
      { name: 'quantity 0', input: () => ({ ...base(), lines: [{ sku, quantity: 0 }] }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'quantity'] }] },
      { name: 'a negative quantity', input: () => ({ ...base(), lines: [{ sku, quantity: -2 }] }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'quantity'] }] },
      { name: 'a sku twice', input: () => ({ ...base(), lines: [{ sku, quantity: 1 }, { sku, quantity: 2 }] }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '1', 'sku'] }] },
      { name: 'an unknown sku', input: () => ({ ...base(), lines: [{ sku, quantity: 1 }, { sku: 'NO-SUCH-SKU', quantity: 1 }] }), errors: [{ code: 'NOT_FOUND', field: ['input', 'lines', '1', 'sku'] }] },
      { name: 'an unknown location', input: () => ({ ...base(), locationId: randomUUID() }), errors: [{ code: 'NOT_FOUND', field: ['input', 'locationId'] }] },
      { name: 'a malformed location id', input: () => ({ ...base(), locationId: 'input-store' }), errors: [{ code: 'NOT_FOUND', field: ['input', 'locationId'] }] },
      { name: 'an unknown campaignId', input: () => ({ ...base(), campaignId: randomUUID() }), errors: [{ code: 'NOT_FOUND', field: ['input', 'campaignId'] }] },
      { name: 'a malformed campaignId', input: () => ({ ...base(), campaignId: 'autumn' }), errors: [{ code: 'NOT_FOUND', field: ['input', 'campaignId'] }] },
      // Regression: any campaign id was taken, so a sale could inflate a campaign of other stores.
      { name: 'a campaign that runs only at other locations', input: () => ({ ...base(), campaignId: elsewhere }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'campaignId'] }] },
      { name: 'a unitPrice with 3 decimals', input: () => ({ ...base(), lines: [{ sku, quantity: 1, unitPrice: '12.345' }] }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'unitPrice'] }] },
      { name: 'a negative unitPrice', input: () => ({ ...base(), lines: [{ sku, quantity: 1, unitPrice: '-1.00' }] }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'unitPrice'] }] },
      {
        name: 'a discount larger than the line at a given price',
        input: () => ({ ...base(), lines: [{ sku, quantity: 2, unitPrice: '100.00', discount: '200.01' }] }),
        errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'discount'] }],
      },
      {
        name: 'a discount larger than the line at the catalogue price',
        input: () => ({ ...base(), lines: [{ sku, quantity: 1, discount: '2499.01' }] }),
        errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'discount'] }],
      },
      { name: 'orderedAt in the future', input: () => ({ ...base(), orderedAt: new Date(Date.now() + 3_600_000).toISOString() }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'orderedAt'] }] },
    ];
    it.each(refusals)('refuses $name with userErrors and records nothing', async ({ input, errors }) => {
      const ordersBefore = await api.orderCount();
      const result = await sell(input());
      expect(result.errors).toBeUndefined();
      expect(result.data.recordSale).toEqual({ order: null, userErrors: errors.map((error) => ({ ...error, message: expect.any(String) })) });
      await expectNothingChanged(ordersBefore);
    });

    const malformed: { name: string; line?: Record<string, string>; orderedAt?: string }[] = [
      { name: 'unitPrice "12.3.4"', line: { unitPrice: '12.3.4' } },
      { name: 'unitPrice "abc"', line: { unitPrice: 'abc' } },
      { name: 'discount "1,50"', line: { discount: '1,50' } },
      { name: 'orderedAt "2026-13-45"', orderedAt: '2026-13-45' },
      { name: 'orderedAt "2026-13-45T10:00:00Z"', orderedAt: '2026-13-45T10:00:00Z' },
    ];
    const malformedInput = ({ line, orderedAt }: (typeof malformed)[number]) => ({ ...base(), ...(orderedAt ? { orderedAt } : {}), lines: [{ sku, quantity: 1, ...line }] });

    it.each(malformed)('refuses a malformed $name with a GraphQL error and records nothing', async (scalar) => {
      const ordersBefore = await api.orderCount();
      const result = await sell(malformedInput(scalar));
      expect(result.errors?.length).toBeGreaterThan(0);
      expect(result.data?.recordSale ?? null).toBeNull();
      await expectNothingChanged(ordersBefore);
    });

    it.each(malformed)('has the sales subgraph refuse a malformed $name with BAD_USER_INPUT', async (scalar) => {
      const result = await gql(stack.urls.sales, RECORD_SALE, { input: malformedInput(scalar) });
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    // Fails today: the sales subgraph answers with HTTP 400, the gateway turns any non-2xx answer
    // into "400: Bad Request" with no code, and the router masks that as INTERNAL_SERVER_ERROR.
    it.each(malformed)('refuses a malformed $name with BAD_USER_INPUT through the router', async (scalar) => {
      const result = await sell(malformedInput(scalar));
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });
});

describe.each(backends())('recordSale interrupted between order and stock on $name', (backend) => {
  type AllocatorMode = 'healthy' | 'reply-lost' | 'unreachable';
  let mode: AllocatorMode = 'healthy';
  /** When set, awaited before a healthy allocator reports stock taken for `orderId`. */
  let beforeTakenReply: ((orderId: string) => Promise<void>) | null = null;
  let inventoryDb: Database;
  let inventory: InventorySubgraph | undefined;
  let marketing: MarketingSubgraph | undefined;
  let sales: SalesSubgraph | undefined;
  let router: Router | undefined;
  let routerUrl: string;
  let salesUrl: string;
  const api = client(() => routerUrl);
  const sell = (input: Record<string, unknown>) => gql(routerUrl, RECORD_SALE, { input });

  beforeAll(async () => {
    const targets = backend.targets();
    const [inventoryDatabase, salesDb, marketingDb] = await Promise.all([
      openInventoryDatabase(targets.inventory),
      openSalesDatabase(targets.sales),
      openMarketingDatabase(targets.marketing),
    ]);
    inventoryDb = inventoryDatabase;
    inventory = await buildInventorySubgraph({ database: inventoryDb });
    const inventoryUrl = await inventory.listen(0);
    const inventoryClient = createSubgraphClient('inventory', inventoryUrl, 5_000);
    const directory = createInventoryDirectory(inventoryClient);
    marketing = await buildMarketingSubgraph({ database: marketingDb, inventory: directory });
    const marketingUrl = await marketing.listen(0);

    const real = createStockAllocator(inventoryClient);
    // 'reply-lost': inventory takes the stock but sales never hears; 'unreachable': inventory is never asked.
    const allocator: StockAllocator = {
      async allocate(input) {
        if (mode === 'unreachable') throw new SubgraphUnavailableError('inventory', new Error('connection refused'));
        const refused = await real.allocate(input);
        if (mode === 'reply-lost') throw new SubgraphUnavailableError('inventory', new Error('connection reset'));
        if (!refused.length && beforeTakenReply) await beforeTakenReply(input.orderId);
        return refused;
      },
    };
    sales = await buildSalesSubgraph({
      database: salesDb,
      inventory: createSaleCatalogue(inventoryClient),
      locations: createLocationDirectory(inventoryClient),
      allocator,
      restocker: createStockRestocker(inventoryClient),
      campaigns: createCampaignDirectory(createSubgraphClient('marketing', marketingUrl, 5_000)),
    });
    salesUrl = await sales.listen(0);
    router = await buildRouter({ supergraphSdl: readSupergraph(), subgraphUrls: { inventory: inventoryUrl, sales: salesUrl, marketing: marketingUrl } });
    routerUrl = await router.listen(0);
  });
  afterEach(async () => {
    mode = 'healthy';
    beforeTakenReply = null;
    await sales?.recorder.resumePending(0);
  });
  afterAll(async () => {
    await router?.stop();
    await sales?.stop();
    await marketing?.stop();
    await inventory?.stop();
    await backend.cleanup();
  });

  async function pendingOrder(idempotencyKey: string) {
    const order = await sales!.prisma.salesOrder.findUniqueOrThrow({ where: { idempotencyKey } });
    expect(order.status).toBe('PENDING');
    return order;
  }

  const interruptions = [
    { name: 'inventory took the stock but its reply was lost', failure: 'reply-lost', takenWhileDown: 2, finish: 'resumePending' },
    { name: 'inventory took the stock but its reply was lost', failure: 'reply-lost', takenWhileDown: 2, finish: 'a retry with the same key' },
    { name: 'inventory could not be reached', failure: 'unreachable', takenWhileDown: 0, finish: 'resumePending' },
    { name: 'inventory could not be reached', failure: 'unreachable', takenWhileDown: 0, finish: 'a retry with the same key' },
  ] as const;
  it.each(interruptions)('shows the order once and takes its stock once when $name, finished by $finish', async ({ failure, takenWhileDown, finish }) => {
    const tag = `${failure === 'reply-lost' ? 'LOST' : 'DOWN'}-${finish === 'resumePending' ? 'SWEEP' : 'RETRY'}`;
    const locationId = await api.createLocation(`SAGA-${tag}`);
    const sku = await api.createProduct(`SAGA-${tag}`, '500.00');
    await api.adjust(locationId, sku, 5);
    const ordersBefore = await api.orderCount();
    const input = { locationId, paymentMethod: 'CARD', idempotencyKey: `saga-${tag}`, lines: [{ sku, quantity: 2 }] };

    mode = failure;
    const interrupted = await sell(input);
    expect(interrupted.errors).toHaveLength(1);
    expect(interrupted.data?.recordSale ?? null).toBeNull();
    const pending = await pendingOrder(input.idempotencyKey);
    expect(await api.order(pending.id)).toBeNull();
    expect(await api.orderCount()).toBe(ordersBefore);
    expect((await api.stock(locationId, sku)).onHand).toBe(5 - takenWhileDown);

    mode = 'healthy';
    if (finish === 'resumePending') {
      expect(await sales!.recorder.resumePending(0)).toEqual({ confirmed: 1, rejected: 0, stillPending: 0 });
    } else {
      const retried = await sell(input);
      expect(retried.errors).toBeUndefined();
      expect(retried.data.recordSale.userErrors).toEqual([]);
      expect(retried.data.recordSale.order.id).toBe(pending.id);
    }

    expect(await api.order(pending.id)).toMatchObject({ id: pending.id, unitCount: 2, location: { id: locationId }, lines: [{ product: { sku }, quantity: 2 }] });
    expect(await api.orderCount()).toBe(ordersBefore + 1);
    const again = await sell(input);
    expect(again.data.recordSale.order.id).toBe(pending.id);
    const stock = await api.stock(locationId, sku);
    expect(stock.onHand).toBe(3);
    expect(stock.movements.filter((movement) => movement.reason === 'SALE')).toEqual([{ delta: -2, reason: 'SALE', reference: pending.id }]);
    expect(await api.orderCount()).toBe(ordersBefore + 1);
    // And once in the daily rollups salesReport reads, whichever path confirmed it.
    const rollups = await sales!.prisma.salesDailyRollup.findMany({ where: { locationId } });
    expect(rollups.map((day) => [day.orderCount, day.unitCount, day.revenue.toFixed(2)])).toEqual([[1, 2, '1000.00']]);
  });

  it('rejects a pending sale whose stock ran out meanwhile, keeps it invisible, and answers its retry with INSUFFICIENT_STOCK', async () => {
    const locationId = await api.createLocation('SAGA-RAN-OUT');
    const sku = await api.createProduct('SAGA-RAN-OUT', '500.00');
    await api.adjust(locationId, sku, 3);
    const ordersBefore = await api.orderCount();
    const input = { locationId, paymentMethod: 'CARD', idempotencyKey: 'saga-ran-out', lines: [{ sku, quantity: 2 }] };

    mode = 'unreachable';
    expect((await sell(input)).errors).toHaveLength(1);
    const pending = await pendingOrder(input.idempotencyKey);
    mode = 'healthy';
    await api.adjust(locationId, sku, -3, 'SHRINKAGE');

    expect(await sales!.recorder.resumePending(0)).toEqual({ confirmed: 0, rejected: 1, stillPending: 0 });
    expect((await sales!.prisma.salesOrder.findUniqueOrThrow({ where: { id: pending.id } })).status).toBe('REJECTED');
    expect(await api.order(pending.id)).toBeNull();
    expect(await api.orderCount()).toBe(ordersBefore);
    expect(await sales!.prisma.salesDailyRollup.count({ where: { locationId } })).toBe(0);
    const stock = await api.stock(locationId, sku);
    expect(stock.onHand).toBe(0);
    expect(stock.movements.map((movement) => movement.reason)).toEqual(['SHRINKAGE', 'RECEIVED']);

    const retried = await sell(input);
    expect(retried.errors).toBeUndefined();
    expect(retried.data.recordSale).toEqual({
      order: null,
      userErrors: [{ code: 'INSUFFICIENT_STOCK', field: ['input', 'lines', '0', 'quantity'], message: `Not enough stock for sku ${sku} at location ${locationId}: requested 2, available 0` }],
    });
    expect((await api.stock(locationId, sku)).onHand).toBe(0);
  });

  // Fails today on PostgreSQL: the retry's allocation read "not yet allocated" before the first
  // attempt committed, then found the stock gone and was refused; sales marks the order REJECTED
  // although its stock is taken, and the first attempt's client is handed an order that is never
  // shown. PGlite runs one transaction at a time, so the allocations cannot interleave there.
  it.skipIf(backend.name === 'pglite')('sells the last units once when a sale is retried while its first attempt holds the stock', async () => {
    const locationId = await api.createLocation('SAGA-LAST');
    const sku = await api.createProduct('SAGA-LAST', '500.00');
    await api.adjust(locationId, sku, 2);
    const input = { locationId, paymentMethod: 'CARD', idempotencyKey: 'saga-last', lines: [{ sku, quantity: 2 }] };
    // The first attempt to take the stock replies only once the order has left PENDING (or after
    // 5 s), so the outcome does not hang on which reply reaches sales first.
    let holding = false;
    beforeTakenReply = async (orderId) => {
      if (holding) return;
      holding = true;
      for (let poll = 0; poll < 500; poll += 1) {
        if ((await sales!.prisma.salesOrder.findUniqueOrThrow({ where: { id: orderId } })).status !== 'PENDING') return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    const results = await withLevelLocked(inventoryDb, { locationId, sku }, 2, () => Promise.all([sell(input), sell(input)]));
    const stock = await api.stock(locationId, sku);
    const order = await sales!.prisma.salesOrder.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });
    expect(stock.onHand).toBe(0);
    expect(stock.movements.filter((movement) => movement.reason === 'SALE')).toEqual([{ delta: -2, reason: 'SALE', reference: order.id }]);
    expect(await api.orderCount([locationId])).toBe(1);
    expect(await api.order(order.id)).toMatchObject({ id: order.id, unitCount: 2 });
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(result.data.recordSale.userErrors).toEqual([]);
      expect(result.data.recordSale.order.id).toBe(order.id);
    }
  });

  it('has the sales subgraph answer an interrupted sale with UNAVAILABLE and the pending order id', async () => {
    const locationId = await api.createLocation('SAGA-CODE');
    const sku = await api.createProduct('SAGA-CODE', '500.00');
    await api.adjust(locationId, sku, 5);
    const input = { locationId, paymentMethod: 'CARD', idempotencyKey: 'saga-code', lines: [{ sku, quantity: 1 }] };

    mode = 'unreachable';
    const result = await gql(salesUrl, `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { code } } }`, { input });
    const pending = await pendingOrder(input.idempotencyKey);
    expect(result.errors).toEqual([expect.objectContaining({ path: ['recordSale'], extensions: expect.objectContaining({ code: 'UNAVAILABLE', orderId: pending.id }) })]);
    expect(result.errors![0].message).toContain(pending.id);
  });

  // Fails today: the sales subgraph sends UNAVAILABLE with HTTP 503 (graphQLError adds http.status),
  // the gateway turns any non-2xx answer into "503: Service Unavailable" with no code, and the
  // router masks that as INTERNAL_SERVER_ERROR, so a client cannot tell it may retry.
  it('answers an interrupted sale with UNAVAILABLE through the router', async () => {
    const locationId = await api.createLocation('SAGA-ROUTER-CODE');
    const sku = await api.createProduct('SAGA-ROUTER-CODE', '500.00');
    await api.adjust(locationId, sku, 5);

    mode = 'unreachable';
    const result = await sell({ locationId, paymentMethod: 'CARD', idempotencyKey: 'saga-router-code', lines: [{ sku, quantity: 1 }] });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
  });
});
