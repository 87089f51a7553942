/**
 * The supergraph as a user runs it: real processes on free ports, spoken to over HTTP through the
 * router. The all-in-one `npm start` on embedded PGlite with demo data, surviving a restart; and,
 * when DATABASE_URL is set, each service as its own process on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { RedisEventBus } from '@joinery/core';
import { afterAll, describe, expect, it } from 'vitest';
import { gql } from '@joinery/core/testing';
import { freePort, runToEnd, startProcess, type RunningProcess } from './processes';

const STOCK_AND_SALES = /* GraphQL */ `
  query Overview {
    locations(first: 50) {
      totalCount
      nodes { id code name kind timezone salesSummary { orderCount revenue }
        inventory(first: 5) { nodes { onHand available product { sku name price salesSummary { unitsSold } } } } }
    }
    products(first: 5) { totalCount nodes { sku category inventory { location { code } onHand } } }
    orders(first: 3) { totalCount nodes { id orderedAt totalAmount location { name } lines { product { name } quantity lineTotal } } }
    campaigns { totalCount nodes { id name status performance { orderCount revenue } } }
  }
`;

async function ports() {
  return { ROUTER_PORT: String(await freePort()), INVENTORY_PORT: String(await freePort()), SALES_PORT: String(await freePort()), MARKETING_PORT: String(await freePort()) };
}

async function sellOneUnit(router: string, locationId: string, sku: string, key: string) {
  return gql(router, `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id totalAmount } userErrors { code message } } }`, {
    input: { locationId, paymentMethod: 'CARD', idempotencyKey: key, lines: [{ sku, quantity: 1 }] },
  });
}

describe('npm start: the whole supergraph on embedded PGlite', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'joinery-e2e-'));
  let running: RunningProcess | undefined;
  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts with demo data, serves queries and sales through the router, and keeps them across a restart', async () => {
    // The embedded default: no PostgreSQL and no Redis, whatever the test run was given.
    const env = { ...(await ports()), DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' };
    running = await startProcess('packages/stack/src/start.ts', env, /Joinery is up/);
    const router = `http://127.0.0.1:${env.ROUTER_PORT}/graphql`;
    expect(running.output()).toContain(router.replace('127.0.0.1', '127.0.0.1'));

    const overview = await gql(router, STOCK_AND_SALES);
    expect(overview.errors).toBeUndefined();
    const { locations, products, orders, campaigns } = overview.data;
    expect(locations.totalCount).toBeGreaterThanOrEqual(8);
    expect(new Set(locations.nodes.map((l: { kind: string }) => l.kind))).toEqual(new Set(['STORE', 'WAREHOUSE', 'ONLINE']));
    expect(new Set(locations.nodes.map((l: { timezone: string }) => l.timezone)).size).toBeGreaterThan(2);
    expect(products.totalCount).toBeGreaterThanOrEqual(50);
    expect(orders.totalCount).toBeGreaterThan(1000);
    expect(campaigns.totalCount).toBeGreaterThanOrEqual(3);
    expect(campaigns.nodes.some((c: { performance: { orderCount: number } }) => c.performance.orderCount > 0)).toBe(true);

    const level = locations.nodes.flatMap((l: { id: string; inventory: { nodes: { onHand: number; product: { sku: string } }[] } }) =>
      l.inventory.nodes.filter((n) => n.onHand > 0).map((n) => ({ locationId: l.id, sku: n.product.sku, onHand: n.onHand })))[0];
    const sale = await sellOneUnit(router, level.locationId, level.sku, 'e2e-restart-1');
    expect(sale.data.recordSale.userErrors).toEqual([]);
    const orderId = sale.data.recordSale.order.id;

    expect(await running.stop()).toBe(0);
    running = await startProcess('packages/stack/src/start.ts', env, /Joinery is up/);
    const again = await gql(router, `query($id: ID!, $l: ID!) { order(id: $id) { id } location(id: $l) { inventory(first: 250) { nodes { onHand product { sku } } } } }`, { id: orderId, l: level.locationId });
    expect(again.data.order).toEqual({ id: orderId });
    const after = again.data.location.inventory.nodes.find((n: { product: { sku: string } }) => n.product.sku === level.sku);
    expect(after.onHand).toBe(level.onHand - 1);
    const replay = await sellOneUnit(router, level.locationId, level.sku, 'e2e-restart-1');
    expect(replay.data.recordSale.order.id).toBe(orderId);
  });

  it('refuses to start on a bad setting, naming the variable', async () => {
    const { code, output } = await runToEnd('router/src/main.ts', { ROUTER_PORT: 'eighty' });
    expect(code).toBe(1);
    expect(output).toMatch(/ROUTER_PORT/);
  });
});

describe.runIf(process.env.DATABASE_URL)('each service as its own process on PostgreSQL', () => {
  const prefix = `e2e_${Date.now().toString(36)}`;
  const running: RunningProcess[] = [];
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    for (const name of ['inventory', 'sales', 'marketing', 'audit']) await client.query(`DROP SCHEMA IF EXISTS "${prefix}_${name}" CASCADE`);
    await client.end();
    if (process.env.REDIS_URL) {
      const redis = await RedisEventBus.connect({ url: process.env.REDIS_URL, channelPrefix: `${prefix}:` });
      await redis.purge();
      await redis.close();
    }
  });

  it('serves the supergraph from four processes, seeded consistently', async () => {
    const env = {
      ...(await ports()),
      SEED_DEMO_DATA: 'true',
      INVENTORY_DATABASE_SCHEMA: `${prefix}_inventory`,
      SALES_DATABASE_SCHEMA: `${prefix}_sales`,
      MARKETING_DATABASE_SCHEMA: `${prefix}_marketing`,
      AUDIT_DATABASE_SCHEMA: `${prefix}_audit`,
      // Streams of their own, never a deployment's (default `joinery:`).
      EVENT_CHANNEL_PREFIX: `${prefix}:`,
    };
    for (const service of ['inventory', 'marketing', 'sales']) {
      running.push(await startProcess(`subgraphs/${service}/src/main.ts`, env, /"msg":"listening"/));
    }
    running.push(await startProcess('router/src/main.ts', env, /"msg":"listening"/));
    const router = `http://127.0.0.1:${env.ROUTER_PORT}/graphql`;
    const overview = await gql(router, STOCK_AND_SALES);
    expect(overview.errors).toBeUndefined();
    expect(overview.data.orders.totalCount).toBeGreaterThan(1000);
    const order = overview.data.orders.nodes[0];
    expect(order.location.name).toBeTruthy();
    expect(order.lines[0].product.name).toBeTruthy();
  });
});
