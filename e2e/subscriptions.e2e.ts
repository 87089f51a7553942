/**
 * Scale-out of live stock through Redis: two inventory processes on one database, two router
 * processes, one sales and one marketing, every one its own process. Inventory A and B write to
 * the same outbox; only the relay holding the outbox's advisory lock publishes, through Redis, to
 * both routers. Router A routes inventory to inventory A, router B to inventory B.
 *
 * Proves: every subscriber on either router sees every matching change exactly once (by event id,
 * none missing, none twice), whichever router and inventory instance made the change, with a
 * level's changes in commit order and sales fields resolved per event across processes; and that
 * when the publishing inventory instance is killed (SIGKILL), the standby takes over and the
 * changes keep arriving.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventBus } from '@joinery/core';
import { createTestLocation, expectData } from '@joinery/core/testing';
import { collect, waitUntil, wsClient, type Received } from '@joinery/core/testing-ws';
import { freePort, startProcess, type RunningProcess } from './processes';

const READY = /"msg":"listening"/;
const WARM_UP_SKU = 'E2E-WARM-UP';
const SKUS = ['E2E-CHAIR', 'E2E-TABLE'];
const STOCK_CHANGED = 'inventory.stock_changed';

/** At one location, with inventory's own fields only. */
const AT_LOCATION = /* GraphQL */ `
  subscription AtLocation($location: ID) {
    stockChanged(locationId: $location) { id delta onHand reason reference location { id } product { sku } }
  }
`;
/** Every change, with a sales field: each event is resolved through inventory and sales. */
const EVERYTHING = /* GraphQL */ `
  subscription Everything {
    stockChanged { id delta onHand reason reference location { id name } product { sku name salesSummary { unitsSold } } }
  }
`;

interface Change {
  id: string;
  delta: number;
  onHand: number;
  reason: string;
  reference: string | null;
  location: { id: string; name?: string };
  product: { sku: string; name?: string; salesSummary?: { unitsSold: number } };
}

interface Subscriber {
  name: string;
  router: 'A' | 'B';
  /** Location the subscription is filtered to, or undefined for every change. */
  location?: string;
  received: Received;
}

describe.runIf(process.env.DATABASE_URL && process.env.REDIS_URL)('two routers and two inventory instances sharing events through Redis', () => {
  const suffix = randomBytes(5).toString('hex');
  const schemas = { inventory: `e2e_live_${suffix}_inventory`, sales: `e2e_live_${suffix}_sales`, marketing: `e2e_live_${suffix}_marketing`, audit: `e2e_live_${suffix}_audit` };
  const running: RunningProcess[] = [];
  const clients: Client[] = [];
  let db: pg.Client;
  let inventoryA: RunningProcess;
  let routerA: string;
  let routerB: string;
  let oslo: string;
  let bergen: string;
  /** Backend pid of the connection holding the inventory outbox's leadership lock, once inventory A led alone. */
  let leaderAlone: number;

  /** The backend holding the relay's session advisory lock (OutboxRelay.tryLead) for our schema, if any. */
  async function relayLeader(): Promise<number | undefined> {
    const { rows } = await db.query(
      `SELECT pid FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((classid::bigint << 32) | objid::bigint) = hashtext('joinery.outbox.' || $1::text)::bigint`,
      [schemas.inventory],
    );
    return rows[0]?.pid;
  }

  /** The stock-changed events in the outbox, in commit (seq) order, as PostgreSQL has them. */
  async function outbox(): Promise<{ id: string; locationId: string; sku: string; delta: number; onHand: number; reference: string | null; published: boolean }[]> {
    const { rows } = await db.query(
      `SELECT id::text AS id, payload, published_at IS NOT NULL AS published FROM "${schemas.inventory}".outbox_events WHERE type = $1 ORDER BY seq`,
      [STOCK_CHANGED],
    );
    return rows.map((row) => ({ id: row.id, ...row.payload, published: row.published }));
  }

  const urlOf = (router: 'A' | 'B') => (router === 'A' ? routerA : routerB);

  async function adjust(router: 'A' | 'B', locationId: string, sku: string, delta: number, reference: string) {
    const data = await expectData(urlOf(router), `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { movement { quantityAfter } userErrors { code message } } }`, {
      input: { locationId, sku, delta, reason: delta > 0 ? 'RECEIVED' : 'DAMAGED', reference },
    });
    expect(data.adjustInventory.userErrors, `${reference} via router ${router}`).toEqual([]);
    return { reference, locationId, sku, delta, quantityAfter: data.adjustInventory.movement.quantityAfter as number };
  }

  async function sell(router: 'A' | 'B', locationId: string, sku: string, quantity: number) {
    const data = await expectData(urlOf(router), `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { code message } } }`, {
      input: { locationId, paymentMethod: 'CARD', lines: [{ sku, quantity }] },
    });
    expect(data.recordSale.userErrors, `sale via router ${router}`).toEqual([]);
    return { reference: data.recordSale.order.id as string, locationId, sku, delta: -quantity };
  }

  beforeAll(async () => {
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const [inventoryAPort, inventoryBPort, salesPort, marketingPort, routerAPort, routerBPort] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
    const url = (port: number) => `http://127.0.0.1:${port}/graphql`;
    const common = {
      SEED_DEMO_DATA: 'false',
      INVENTORY_DATABASE_SCHEMA: schemas.inventory,
      SALES_DATABASE_SCHEMA: schemas.sales,
      MARKETING_DATABASE_SCHEMA: schemas.marketing,
      AUDIT_DATABASE_SCHEMA: schemas.audit,
      EVENT_CHANNEL_PREFIX: `e2e-live-${suffix}:`,
      SALES_PORT: String(salesPort),
      MARKETING_PORT: String(marketingPort),
      // Sales and marketing call inventory themselves: B, which this test keeps alive throughout.
      INVENTORY_URL: url(inventoryBPort),
      SALES_URL: url(salesPort),
      MARKETING_URL: url(marketingPort),
    };
    const start = (entry: string, env: Record<string, string>) =>
      startProcess(entry, { ...common, ...env }, READY, 60_000, { ownProcessGroup: true }).then((process) => {
        running.push(process);
        return process;
      });

    // Inventory B only once A is up: A creates the schema alone (concurrent CREATE SCHEMA IF NOT
    // EXISTS of one name can fail in PostgreSQL; the migrator's advisory lock is taken after it)
    // and takes relay leadership before B exists.
    [inventoryA] = await Promise.all([
      start('subgraphs/inventory/src/main.ts', { INVENTORY_PORT: String(inventoryAPort) }),
      start('subgraphs/sales/src/main.ts', {}),
      start('subgraphs/marketing/src/main.ts', {}),
      start('router/src/main.ts', { ROUTER_PORT: String(routerAPort), INVENTORY_URL: url(inventoryAPort) }),
      start('router/src/main.ts', { ROUTER_PORT: String(routerBPort), INVENTORY_URL: url(inventoryBPort) }),
    ]);
    await waitUntil(async () => (await relayLeader()) !== undefined, 5_000, 'inventory A to lead the outbox relay');
    leaderAlone = (await relayLeader())!;
    await start('subgraphs/inventory/src/main.ts', { INVENTORY_PORT: String(inventoryBPort) });
    routerA = url(routerAPort);
    routerB = url(routerBPort);

    oslo = await createTestLocation(routerA, 'OSL-LIVE-1', 'Oslo Live');
    bergen = await createTestLocation(routerB, 'BGO-LIVE-1', 'Bergen Live');
    for (const [index, sku] of [WARM_UP_SKU, ...SKUS].entries()) {
      const data = await expectData(index % 2 ? routerB : routerA, `mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, {
        input: { sku, name: `Product ${sku}`, category: 'e2e', price: '10.00' },
      });
      expect(data.createProduct.userErrors).toEqual([]);
    }
  });

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await Promise.all(running.map((process) => process.stop()));
    const redis = await RedisEventBus.connect({ url: process.env.REDIS_URL!, channelPrefix: `e2e-live-${suffix}:` });
    await redis.purge();
    await redis.close();
    if (db) {
      for (const schema of Object.values(schemas)) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
    }
  });

  /** Asserts a subscriber's changes (in arrival order) chain per level: onHand = previous onHand + delta, starting from 0. */
  function expectCommitOrder(changes: Change[], subscriber: string) {
    const last = new Map<string, number>();
    for (const change of changes) {
      const level = `${change.location.id}:${change.product.sku}`;
      const before = last.get(level) ?? 0;
      expect(change.onHand, `${subscriber}: ${change.reference} (${change.id}) on ${level} after onHand ${before}`).toBe(before + change.delta);
      last.set(level, change.onHand);
    }
  }

  /**
   * Each event's `salesSummary` is read from the sales process when the router resolves the event,
   * which is some milliseconds after the change committed. So a change shows at least the sales
   * that had returned before it was made (round 2 shows both sales of round 1, exactly) and at most
   * the sales made by the time it was received. The sales' own changes may show their sale or not:
   * sales confirms an order (SaleRecorder: PENDING, allocate stock, CONFIRMED) only after inventory
   * has committed the stock change, so its event can be resolved before the order counts.
   */
  const SOLD_IN_ROUND_1: Record<string, number> = { [SKUS[0]]: 2, [SKUS[1]]: 3 };
  const SOLD_AFTER_FAILOVER: Record<string, number> = { [SKUS[0]]: 0, [SKUS[1]]: 1 };
  const observedSales: string[] = [];
  function expectUnitsSold(changes: Change[], subscriber: string) {
    for (const change of changes) {
      const { reference, reason, product: { sku, salesSummary } } = change;
      const afterFailover = reference?.startsWith('after-') || (reason === 'SALE' && sku === SKUS[1] && change.location.id === oslo);
      const [least, most] = afterFailover
        ? [SOLD_IN_ROUND_1[sku], SOLD_IN_ROUND_1[sku] + SOLD_AFTER_FAILOVER[sku]]
        : reference?.startsWith('round-2-') ? [SOLD_IN_ROUND_1[sku], SOLD_IN_ROUND_1[sku]] : [0, SOLD_IN_ROUND_1[sku]];
      const what = `${subscriber}: unitsSold of ${sku} with the change ${reason} ${reference}`;
      expect(salesSummary?.unitsSold, what).toBeGreaterThanOrEqual(least);
      expect(salesSummary?.unitsSold, what).toBeLessThanOrEqual(most);
      if (reason === 'SALE') observedSales.push(`${subscriber}: sale of ${sku} showed unitsSold ${salesSummary?.unitsSold}`);
    }
  }

  const counted = (subscriber: Subscriber): Change[] =>
    subscriber.received.results.filter((result) => result.data?.stockChanged && result.data.stockChanged.product.sku !== WARM_UP_SKU).map((result) => result.data.stockChanged);

  it('delivers every change exactly once to every subscriber on both routers, in commit order, and survives losing the publishing inventory', async () => {
    const open = (router: 'A' | 'B', query: string, location?: string): Subscriber => {
      const client = wsClient(urlOf(router));
      clients.push(client);
      return { name: `router ${router} ${location ? 'at Oslo' : 'everything'}`, router, location, received: collect(client, query, location ? { location } : undefined) };
    };
    const subscribers = [open('A', AT_LOCATION, oslo), open('A', EVERYTHING), open('B', AT_LOCATION, oslo), open('B', EVERYTHING)];

    // graphql-ws acknowledges a connection, not a subscription: change a warm-up level (through
    // either router in turn) until every subscriber has seen one of its changes. Every change
    // committed after that reaches every subscriber. Warm-up changes are not counted below.
    for (let attempt = 0; !subscribers.every((s) => s.received.results.some((r) => r.data?.stockChanged?.product.sku === WARM_UP_SKU)); attempt += 1) {
      expect(attempt, 'subscriptions active within 10 s').toBeLessThan(50);
      await adjust(attempt % 2 ? 'B' : 'A', oslo, WARM_UP_SKU, 1, `warm-up-${attempt}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const subscriber of subscribers) expect(subscriber.received.error, subscriber.name).toBeUndefined();

    // The batch: every level gets stock through both routers, then rounds of changes made
    // concurrently through router A (inventory A) and router B (inventory B), the same levels
    // changed from both sides at once, plus a sale through each router (sales -> inventory B).
    const levels = [oslo, bergen].flatMap((locationId) => SKUS.map((sku) => ({ locationId, sku })));
    const made: { reference: string; locationId: string; sku: string; delta: number }[] = [];
    for (const [index, level] of levels.entries()) made.push(await adjust(index % 2 ? 'B' : 'A', level.locationId, level.sku, 50, `first-${index}`));
    for (let round = 0; round < 3; round += 1) {
      const changes = levels.flatMap((level, index) => (['A', 'B'] as const).map((router, side) => {
        const delta = round === 1 ? -(1 + side) : 1 + index + side;
        return () => adjust(router, level.locationId, level.sku, delta, `round-${round}-${index}-${router}`);
      }));
      const sales = round === 1 ? [() => sell('A', oslo, SKUS[0], 2), () => sell('B', bergen, SKUS[1], 3)] : [];
      made.push(...(await Promise.all([...changes, ...sales].map((change) => change()))));
    }

    // What PostgreSQL committed is what every subscriber must see: by id, once each.
    const committed = (await outbox()).filter((event) => event.sku !== WARM_UP_SKU);
    expect(committed.map((event) => `${event.reference}|${event.locationId}|${event.sku}|${event.delta}`).sort()).toEqual(made.map((change) => `${change.reference}|${change.locationId}|${change.sku}|${change.delta}`).sort());
    const expectedIds = (subscriber: Subscriber, events = committed) => events.filter((event) => !subscriber.location || event.locationId === subscriber.location).map((event) => event.id).sort();
    for (const subscriber of subscribers) {
      const wanted = new Set(expectedIds(subscriber));
      await waitUntil(() => [...wanted].every((id) => counted(subscriber).some((change) => change.id === id)), 15_000, `${subscriber.name} to receive ${wanted.size} changes (has ${counted(subscriber).length})`);
    }
    // Time for a duplicate, had any been sent, to arrive.
    await new Promise((resolve) => setTimeout(resolve, 750));

    expect(committed).toHaveLength(4 + 3 * 8 + 2);
    for (const subscriber of subscribers) {
      expect(subscriber.received.error, subscriber.name).toBeUndefined();
      expect(subscriber.received.results.filter((result) => result.errors), `${subscriber.name}: results with errors`).toEqual([]);
      const everyId = subscriber.received.results.map((result) => result.data.stockChanged.id);
      expect(everyId.length - new Set(everyId).size, `${subscriber.name}: duplicates, warm-up changes included`).toBe(0);
      const changes = counted(subscriber);
      const ids = changes.map((change) => change.id);
      expect([...ids].sort(), `${subscriber.name}: ids`).toEqual(expectedIds(subscriber));
      expectCommitOrder(changes, subscriber.name);
      if (!subscriber.location) {
        expect(changes.every((change) => change.location.name === (change.location.id === oslo ? 'Oslo Live' : 'Bergen Live'))).toBe(true);
        expect(changes.every((change) => change.product.name === `Product ${change.product.sku}`)).toBe(true);
        expectUnitsSold(changes, subscriber.name);
      }
    }
    // The subscribers' last onHand per level is the level's committed quantity.
    for (const level of levels) {
      const last = counted(subscribers[3]).filter((change) => change.location.id === level.locationId && change.product.sku === level.sku).at(-1)!;
      expect(last.onHand).toBe(committed.filter((event) => event.locationId === level.locationId && event.sku === level.sku).at(-1)!.onHand);
    }

    // Failover. Inventory A started alone and took the relay's lock; it still holds it (same
    // backend), so killing A kills the publishing relay. Killed between changes (not while it
    // publishes), so which changes come after the failover is known exactly.
    expect(await relayLeader(), 'inventory A still leads the relay').toBe(leaderAlone);
    const before = subscribers.map((subscriber) => subscriber.received.results.length);
    const killedAt = Date.now();
    await inventoryA.kill();

    // Changes through router B (inventory B) right away, while no relay may lead yet.
    const after: { reference: string; locationId: string; sku: string; delta: number }[] = [];
    after.push(...(await Promise.all(levels.map((level, index) => adjust('B', level.locationId, level.sku, 1 + index, `after-${index}`)))));
    after.push(await sell('B', oslo, SKUS[1], 1));
    after.push(await adjust('B', bergen, SKUS[0], -1, 'after-last'));
    const committedAfter = (await outbox()).filter((event) => event.sku !== WARM_UP_SKU).slice(committed.length);
    expect(committedAfter.map((event) => event.reference).sort()).toEqual(after.map((change) => change.reference).sort());

    // Router B resolves through inventory B: its subscribers get every change, fully, once.
    for (const subscriber of subscribers.filter((s) => s.router === 'B')) {
      const wanted = new Set(expectedIds(subscriber, committedAfter));
      await waitUntil(() => [...wanted].every((id) => counted(subscriber).some((change) => change.id === id)), 10_000, `${subscriber.name} to receive the ${wanted.size} changes made after the failover`);
    }
    const takeoverMs = Date.now() - killedAt;
    const newLeader = await relayLeader();
    expect(newLeader, 'inventory B leads the relay').toBeDefined();
    expect(newLeader).not.toBe(leaderAlone);

    // Router A resolves every event through inventory A, which is gone: it still receives each
    // event from Redis and answers each of its subscribers once per matching change, but with
    // no data and the router's UNAVAILABLE error naming the inventory subgraph (the client may
    // retry `stockChange(id:)` elsewhere). Router A does not fail over between inventory
    // instances: it has one URL per subgraph.
    for (const [index, subscriber] of subscribers.entries()) {
      const expected = before[index] + expectedIds(subscriber, committedAfter).length;
      await waitUntil(() => subscriber.received.results.length >= expected, 10_000, `${subscriber.name} to answer each change after the failover`);
    }
    await new Promise((resolve) => setTimeout(resolve, 750));
    for (const [index, subscriber] of subscribers.entries()) {
      const late = subscriber.received.results.slice(before[index]);
      expect(subscriber.received.error, subscriber.name).toBeUndefined();
      expect(late, `${subscriber.name}: one result per change after the failover`).toHaveLength(expectedIds(subscriber, committedAfter).length);
      if (subscriber.router === 'B') {
        expect(late.filter((result) => result.errors)).toEqual([]);
        const changes = counted(subscriber);
        const ids = changes.map((change) => change.id);
        expect(ids.length - new Set(ids).size, `${subscriber.name}: duplicates`).toBe(0);
        expect([...ids].sort()).toEqual(expectedIds(subscriber, [...committed, ...committedAfter]));
        expectCommitOrder(changes, subscriber.name);
        if (!subscriber.location) expectUnitsSold(changes.slice(-committedAfter.length), subscriber.name);
      } else {
        for (const result of late) {
          expect(result).toEqual({
            data: { stockChanged: null },
            errors: [expect.objectContaining({ message: 'The inventory subgraph could not be reached; retry later', extensions: { code: 'UNAVAILABLE', serviceName: 'inventory', requestId: expect.any(String) } })],
          });
        }
      }
    }
    console.info(JSON.stringify({ msg: 'failover', takeoverMs, before: leaderAlone, after: newLeader, observedSales }));
  });
});
