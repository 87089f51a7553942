/**
 * The response cache through a real stack: routers with the cache on in front of the stack's
 * subgraphs, hearing their events on the stack's bus, beside the stack's own router (cache off),
 * which stands for a change made elsewhere. PGlite with the memory store; PostgreSQL with the
 * Redis store and the Redis bus when DATABASE_URL and REDIS_URL are set (keys under a prefix of
 * their own, deleted afterwards).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, backends, createTestLocation, expectData, type Backend, type TestCaller } from '@joinery/core/testing';
import { startStack, type Stack } from '@joinery/stack';
import { buildRouter, readSupergraph, type Router, type RouterOptions } from '../server';
import { cacheRequests } from './cache-metrics';
import { RedisResponseStore } from './redis-store';
import type { ResponseCacheOptions } from './response-cache';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };
const SKU = 'CACHE-CHAIR';
const FROM = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();

const REPORT = /* GraphQL */ `
  query Revenue($from: DateTime!) {
    salesReport(filter: { from: $from, skus: ["${SKU}"] }, groupBy: [LOCATION]) {
      rows { location { id name } orderCount unitsSold revenue }
      totals { orderCount unitsSold revenue }
    }
  }
`;
const STOCK_VALUE = `{ inventoryStockValue(filter: { skus: ["${SKU}"] }, groupBy: [PRODUCT]) { rows { product { sku price } onHand value } } }`;
const SELL = `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { message } } }`;

interface Answer {
  status: number;
  cache: string | null;
  text: string;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function send(url: string, query: string, variables: Record<string, unknown> = {}, caller?: TestCaller, headers?: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(headers ?? (await authHeaders(caller))) }, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  return { status: response.status, cache: response.headers.get('joinery-cache'), text, body: JSON.parse(text) };
}

/**
 * Sends until the answer comes from the cache. An event of an earlier change (the set-up's sales)
 * may still be on its way and drop a fresh answer once: events are asynchronous.
 */
async function cached(url: string, query: string, variables: Record<string, unknown> = {}, caller?: TestCaller): Promise<Answer> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const answer = await send(url, query, variables, caller);
    if (answer.cache === 'HIT') return answer;
    expect(answer.cache).toBe('MISS');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('never answered from the cache');
}

async function count(result: string): Promise<number> {
  return (await cacheRequests.get()).values.find((value) => value.labels.result === result)?.value ?? 0;
}

/** PGlite: the memory store; PostgreSQL: Redis when REDIS_URL is set (the bus is Redis there too). */
const cases = backends().map((backend) => ({ backend, name: backend.name, store: backend.name === 'postgres' && process.env.REDIS_URL ? ('redis' as const) : ('memory' as const) }));

describe.each(cases)('the response cache on $name with the $store store', ({ backend, store }: { backend: Backend; store: 'memory' | 'redis' }) => {
  let stack: Stack;
  /** The stack's router: cache off; changes sent through it reach the cached routers only as events. */
  let elsewhere: string;
  let url: string;
  let a: string;
  let b: string;
  const keyPrefix = `test:${randomBytes(5).toString('hex')}:cache:`;
  const cacheOptions: ResponseCacheOptions = { store, ttlSeconds: 300, redisUrl: process.env.REDIS_URL, keyPrefix };
  const routers: Router[] = [];
  const managerA: TestCaller = { role: 'manager', locations: [], subject: 'manager-a' };
  const managerB: TestCaller = { role: 'manager', locations: [], subject: 'manager-b' };

  /** A router with the cache on, in front of the stack's subgraphs and on its bus. */
  const cachedRouter = async (options: Partial<RouterOptions> = {}): Promise<string> => {
    const router = await buildRouter({
      supergraphSdl: readSupergraph(),
      subgraphUrls: { inventory: stack.urls.inventory, sales: stack.urls.sales, marketing: stack.urls.marketing },
      bus: stack.bus,
      responseCache: cacheOptions,
      ...options,
    });
    routers.push(router);
    return router.listen(0, '127.0.0.1');
  };

  const sell = async (router: string, locationId: string, quantity: number) => {
    const data = await expectData(router, SELL, { input: { locationId, paymentMethod: 'CARD', lines: [{ sku: SKU, quantity }] } });
    expect(data.recordSale.userErrors).toEqual([]);
  };

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports, bus: await backend.bus() });
    elsewhere = stack.urls.router;
    a = await createTestLocation(elsewhere, 'CACHE-A', 'Store A');
    b = await createTestLocation(elsewhere, 'CACHE-B', 'Store B');
    managerA.locations = [a];
    managerB.locations = [b];
    await expectData(elsewhere, `mutation { createProduct(input: { sku: "${SKU}", name: "Chair", category: "chairs", price: "100.00" }) { userErrors { message } } }`);
    for (const location of [a, b]) await expectData(elsewhere, `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 50, reason: RECEIVED }) { userErrors { message } } }`, { l: location });
    await sell(elsewhere, a, 1);
    await sell(elsewhere, b, 2);
    url = await cachedRouter();
  });
  afterAll(async () => {
    await Promise.all(routers.map((router) => router.stop()));
    await stack?.stop();
    if (store === 'redis') {
      const cleaner = await RedisResponseStore.open({ url: process.env.REDIS_URL!, keyPrefix, ttlSeconds: 1 });
      await cleaner.purge();
      await cleaner.close();
    }
    await backend.cleanup();
  });

  it('answers a salesReport from the subgraphs (MISS), then from the cache (HIT), byte for byte as the router would', async () => {
    const [hits, misses] = [await count('hit'), await count('miss')];
    // Nothing is cached yet: the first answer comes from the subgraphs.
    const miss = await send(url, REPORT, { from: FROM });
    expect(miss.cache).toBe('MISS');
    expect(miss.body.data.salesReport.totals).toEqual({ orderCount: 2, unitsSold: 3, revenue: '300.00' });
    expect(await count('miss')).toBe(misses + 1);
    await cached(url, REPORT, { from: FROM });
    const before = [await count('hit'), await count('miss')];
    const hit = await send(url, REPORT, { from: FROM });
    expect(hit.cache).toBe('HIT');
    expect(hit.status).toBe(200);
    expect(hit.text).toBe(miss.text);
    expect(hit.text).toBe((await send(elsewhere, REPORT, { from: FROM })).text);
    expect([await count('hit'), await count('miss')]).toEqual([before[0]! + 1, before[1]]);
    expect(before[0]).toBeGreaterThan(hits);
  });

  it('keys answers by variables', async () => {
    const later = new Date(Date.parse(FROM) + 1000).toISOString();
    expect((await send(url, REPORT, { from: later })).cache).toBe('MISS');
    await cached(url, REPORT, { from: later });
    await cached(url, REPORT, { from: FROM });
  });

  it('never serves one scope’s answer to another: each location’s manager gets its own, never the admin’s', async () => {
    const first = await send(url, REPORT, { from: FROM }, managerA);
    expect(first.cache).toBe('MISS');
    expect(first.body.data.salesReport).toEqual({ rows: [{ location: { id: a, name: 'Store A' }, orderCount: 1, unitsSold: 1, revenue: '100.00' }], totals: { orderCount: 1, unitsSold: 1, revenue: '100.00' } });
    const other = await send(url, REPORT, { from: FROM }, managerB);
    expect(other.cache).toBe('MISS');
    expect(other.body.data.salesReport).toEqual({ rows: [{ location: { id: b, name: 'Store B' }, orderCount: 1, unitsSold: 2, revenue: '200.00' }], totals: { orderCount: 1, unitsSold: 2, revenue: '200.00' } });
    // Another manager of the same location sees the same data: one answer serves both.
    const colleague = await cached(url, REPORT, { from: FROM }, { ...managerA, subject: 'manager-a2' });
    expect(colleague.text).toBe(first.text);
  });

  it('stores only successful answers', async () => {
    const associate: TestCaller = { role: 'associate', locations: [a], subject: 'associate-a' };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await send(url, REPORT, { from: FROM }, associate);
      expect(refused.cache).toBe('MISS');
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('drops a salesReport when a sale recorded elsewhere publishes its event, and answers the new figure', async () => {
    await cached(url, REPORT, { from: FROM }, managerA);
    await sell(elsewhere, a, 4);
    // The event reaches this router after the sale committed, asynchronously: until then the old answer stands.
    let answer: Answer;
    for (let attempt = 0; ; attempt += 1) {
      answer = await send(url, REPORT, { from: FROM }, managerA);
      if (answer.cache !== 'HIT') break;
      expect(answer.body.data.salesReport.totals.unitsSold).toBe(1);
      if (attempt > 200) throw new Error('the order event never invalidated the cached report');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(answer.cache).toBe('MISS');
    expect(answer.body.data.salesReport.totals).toEqual({ orderCount: 2, unitsSold: 5, revenue: '500.00' });
    expect((await cached(url, REPORT, { from: FROM }, managerA)).text).toBe(answer.text);
  });

  it('drops what a mutation through the router changes at once, even a change that publishes no event', async () => {
    const sale = await send(url, SELL, { input: { locationId: b, paymentMethod: 'CARD', lines: [{ sku: SKU, quantity: 1 }] } });
    expect(sale.cache).toBe('BYPASS');
    const report = await send(url, REPORT, { from: FROM }, managerB);
    expect(report.cache).toBe('MISS');
    expect(report.body.data.salesReport.totals.unitsSold).toBe(3);

    expect((await send(url, STOCK_VALUE)).cache).toBe('MISS');
    const before = await cached(url, STOCK_VALUE);
    expect(before.body.data.inventoryStockValue.rows).toEqual([{ product: { sku: SKU, price: '100.00' }, onHand: 92, value: '9200.00' }]);
    await expectData(url, `mutation { updateProduct(input: { sku: "${SKU}", price: "110.00" }) { userErrors { message } } }`);
    const after = await send(url, STOCK_VALUE);
    expect(after.cache).toBe('MISS');
    expect(after.body.data.inventoryStockValue.rows).toEqual([{ product: { sku: SKU, price: '110.00' }, onHand: 92, value: '10120.00' }]);
  });

  it('bypasses mutations, queries outside the policy and reports reaching into live data', async () => {
    const bypasses = await count('bypass');
    const mutation = await send(url, `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 1, reason: RECOUNT }) { userErrors { message } } }`, { l: a });
    expect(mutation.cache).toBe('BYPASS');
    expect((await send(url, `{ locations(first: 5) { totalCount } }`)).cache).toBe('BYPASS');
    // A product's stock on hand changes with stock events, which salesReport's answers do not follow.
    const live = `query($from: DateTime!) { salesReport(filter: { from: $from }, groupBy: [PRODUCT]) { rows { product { sku onHandTotal } unitsSold } } }`;
    expect((await send(url, live, { from: FROM })).cache).toBe('BYPASS');
    expect((await send(url, live, { from: FROM })).cache).toBe('BYPASS');
    expect(await count('bypass')).toBe(bypasses + 4);
  });

  it('adds no header when the cache is off', async () => {
    const answer = await send(elsewhere, REPORT, { from: FROM });
    expect(answer.status).toBe(200);
    expect(answer.cache).toBeNull();
  });

  it('authenticates, rate-limits and checks limits before it answers from the cache', async () => {
    const guarded = await cachedRouter({ rateLimits: { perSubject: 3, windowSeconds: 600 }, limits: { maxAliases: 2 } });
    // Another analyst fills the cache: analysts share one scope.
    await cached(guarded, REPORT, { from: FROM }, { role: 'analyst', subject: 'warm-up-analyst' });
    const analyst: TestCaller = { role: 'analyst', subject: 'rate-limited-analyst' };
    for (let request = 0; request < 2; request += 1) {
      const hit = await send(guarded, REPORT, { from: FROM }, analyst);
      expect(hit.status).toBe(200);
      expect(hit.cache).toBe('HIT');
    }

    const anonymous = await send(guarded, REPORT, { from: FROM }, undefined, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.cache).toBeNull();
    expect(anonymous.body.data).toBeUndefined();

    const aliased = `query($from: DateTime!) { a: salesReport(filter: { from: $from }, groupBy: [DAY]) { totals { revenue } } b: salesReport(filter: { from: $from }, groupBy: [DAY]) { totals { revenue } } c: salesReport(filter: { from: $from }, groupBy: [DAY]) { totals { revenue } } }`;
    const overLimit = await send(guarded, aliased, { from: FROM }, analyst);
    expect(overLimit.status).toBe(400);
    expect(overLimit.cache).toBe('BYPASS');
    expect(overLimit.body.data).toBeUndefined();

    const limited = await send(guarded, REPORT, { from: FROM }, analyst);
    expect(limited.status).toBe(429);
    expect(limited.body.data).toBeUndefined();
  });

  it.skipIf(store !== 'redis')('shares answers and invalidations between routers on one Redis', async () => {
    const other = await cachedRouter();
    const query = `query($from: DateTime!) { salesReport(filter: { from: $from, skus: ["${SKU}"] }, groupBy: [DAY]) { totals { unitsSold } } }`;
    expect((await send(url, query, { from: FROM })).cache).toBe('MISS');
    await cached(other, query, { from: FROM });
    await sell(other, a, 1);
    const after = await send(url, query, { from: FROM });
    expect(after.cache).toBe('MISS');
    expect(after.body.data.salesReport.totals.unitsSold).toBe(9);
  });
});
