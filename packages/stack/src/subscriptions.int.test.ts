/**
 * Live stock through the router: graphql-ws subscriptions whose events are resolved per event
 * through the normal query plan, so fields of other subgraphs (sales) come with them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Client } from 'graphql-ws';
import { signUserToken, type EventBus } from '@joinery/core';
import { authHeaders, backends, createTestLocation, expectData, type TestCaller } from '@joinery/core/testing';
import { collect, waitUntil, wsClient } from '@joinery/core/testing-ws';
import { buildRouter, readSupergraph, type Router } from '@joinery/router';
import { startStack, type Stack } from './stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };

const STOCK_CHANGED = /* GraphQL */ `
  subscription Live($location: ID, $skus: [ID!], $from: DateTime) {
    stockChanged(locationId: $location, skus: $skus) {
      id
      location { id name }
      product { sku name category salesSummary(from: $from) { unitsSold } }
      movement { id reason quantityAfter }
      onHand available delta reason reference occurredAt
    }
  }
`;

describe.each(backends())('subscriptions through the router on $name', (backend) => {
  let stack: Stack;
  let bus: EventBus;
  let url: string;
  let oslo: string;
  let bergen: string;
  const clients: Client[] = [];

  const adjust = (locationId: string, sku: string, delta: number, reason = 'RECEIVED') =>
    expectData(url, `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { userErrors { message } } }`, { input: { locationId, sku, delta, reason } });
  const client = (options: Parameters<typeof wsClient>[1] = {}) => {
    const created = wsClient(url, options);
    clients.push(created);
    return created;
  };
  /** The code and reason the router closed a client's socket with. */
  const closedWith = (connection: Client) =>
    new Promise<{ code: number; reason: string }>((resolve) => connection.on('closed', (event) => resolve({ code: (event as { code: number }).code, reason: String((event as { reason: string }).reason) })));
  const managerAt = (location: string, subject = 'manager'): TestCaller => ({ role: 'manager', locations: [location], subject });
  const subscribers = (count: number) => waitUntil(() => stack.router.hub!.subscriberCount === count, 5_000, `${count} subscribers`);

  beforeAll(async () => {
    bus = await backend.bus();
    stack = await startStack({ targets: backend.targets(), ports, bus, webSocket: { maxSubscriptionsPerConnection: 3, connectionInitTimeoutMs: 300, maxMessageBytes: 4096 } });
    url = stack.urls.router;
    oslo = await createTestLocation(url, 'OSL-STORE-1', 'Oslo Store');
    bergen = await createTestLocation(url, 'BGO-STORE-1', 'Bergen Store');
    for (const [sku, name] of [['OAK-TBL-180', 'Oak Dining Table'], ['FJORD-SOFA-3', 'Fjord Sofa']]) {
      await expectData(url, `mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, { input: { sku, name, category: 'tables', price: '100.00' } });
    }
  });
  // A test that fails before disposing its subscriptions must not leave them to the next test,
  // which would then wait in vain for its subscriber count: each test's connections end with it.
  afterEach(async () => {
    for (const created of clients.splice(0)) await created.dispose();
    if (stack?.router.hub) await subscribers(0);
  });
  afterAll(async () => {
    for (const created of clients) await created.dispose();
    await stack?.stop();
    await backend.cleanup();
  });

  it('delivers every change at a location, in commit order, with sales fields resolved per event', async () => {
    const live = collect(client(), STOCK_CHANGED, { location: oslo, from: '2020-01-01T00:00:00Z' });
    await subscribers(1);
    await adjust(oslo, 'OAK-TBL-180', 10);
    await adjust(bergen, 'OAK-TBL-180', 5);
    const sale = await expectData(url, `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { message } } }`, {
      input: { locationId: oslo, paymentMethod: 'CARD', lines: [{ sku: 'OAK-TBL-180', quantity: 3 }] },
    });
    await expectData(url, `mutation($l: ID!) { setInventory(input: { locationId: $l, sku: "OAK-TBL-180", quantity: 4 }) { userErrors { message } } }`, { l: oslo });

    const results = await live.next(3);
    expect(results.every((result) => result.errors === undefined)).toBe(true);
    const events = results.map((result) => result.data.stockChanged);
    expect(events.map(({ delta, onHand, reason }) => ({ delta, onHand, reason }))).toEqual([
      { delta: 10, onHand: 10, reason: 'RECEIVED' },
      { delta: -3, onHand: 7, reason: 'SALE' },
      { delta: -3, onHand: 4, reason: 'RECOUNT' },
    ]);
    expect(events[1]).toMatchObject({ location: { id: oslo, name: 'Oslo Store' }, product: { sku: 'OAK-TBL-180', name: 'Oak Dining Table', category: 'tables' }, reference: sale.recordSale.order.id, available: 7 });
    expect(events[1].movement).toMatchObject({ reason: 'SALE', quantityAfter: 7 });
    // Fields of other subgraphs are read when the event is resolved. Inventory commits a sale's
    // stock just before sales confirms the order, so the sale's own event may not count it yet;
    // a change made after recordSale returned always does.
    expect([0, 3]).toContain(events[1].product.salesSummary.unitsSold);
    expect(events[2].product.salesSummary.unitsSold).toBe(3);
    // Any event can be read again by its id.
    const again = await expectData(url, `query($id: ID!) { stockChange(id: $id) { delta onHand location { name } } }`, { id: events[0].id });
    expect(again.stockChange).toEqual({ delta: 10, onHand: 10, location: { name: 'Oslo Store' } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(live.results).toHaveLength(3);
    live.dispose();
    await subscribers(0);
  });

  it('filters by sku, and without arguments delivers every change', async () => {
    const connection = client();
    const sofas = collect(connection, `subscription { stockChanged(skus: ["FJORD-SOFA-3"]) { product { sku } location { name } delta } }`);
    const everything = collect(connection, `subscription { changes: stockChanged { product { sku } delta } }`);
    await subscribers(2);
    await adjust(bergen, 'OAK-TBL-180', 1);
    await adjust(bergen, 'FJORD-SOFA-3', 2);
    await adjust(oslo, 'FJORD-SOFA-3', 3);
    expect((await sofas.next(2)).map((result) => result.data.stockChanged)).toEqual([
      { product: { sku: 'FJORD-SOFA-3' }, location: { name: 'Bergen Store' }, delta: 2 },
      { product: { sku: 'FJORD-SOFA-3' }, location: { name: 'Oslo Store' }, delta: 3 },
    ]);
    expect((await everything.next(3)).map((result) => result.data.changes.delta)).toEqual([1, 2, 3]);
    sofas.dispose();
    everything.dispose();
    await subscribers(0);
  });

  it('alerts once when a level falls to its reorder point and once when it is restocked above it', async () => {
    const alerts = collect(client(), `subscription($l: ID) { lowStock(locationId: $l) { status onHand reorderPoint product { sku } location { name } } }`, { l: bergen });
    await subscribers(1);
    await expectData(url, `mutation($l: ID!) { setInventory(input: { locationId: $l, sku: "FJORD-SOFA-3", quantity: 6, reorderPoint: 3 }) { userErrors { message } } }`, { l: bergen });
    await adjust(bergen, 'FJORD-SOFA-3', -2, 'DAMAGED');
    await adjust(bergen, 'FJORD-SOFA-3', -1, 'DAMAGED');
    await adjust(bergen, 'FJORD-SOFA-3', -1, 'DAMAGED');
    await adjust(oslo, 'FJORD-SOFA-3', -3, 'DAMAGED');
    await adjust(bergen, 'FJORD-SOFA-3', 5);
    await adjust(bergen, 'FJORD-SOFA-3', 5);
    const results = await alerts.next(2);
    expect(results.map((result) => result.data.lowStock)).toEqual([
      { status: 'LOW', onHand: 3, reorderPoint: 3, product: { sku: 'FJORD-SOFA-3' }, location: { name: 'Bergen Store' } },
      { status: 'RESTOCKED', onHand: 7, reorderPoint: 3, product: { sku: 'FJORD-SOFA-3' }, location: { name: 'Bergen Store' } },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alerts.results).toHaveLength(2);
    alerts.dispose();
    await subscribers(0);
  });

  it('regression: a change sent with an upper-case location id reaches that location\'s subscribers, resolved', async () => {
    const live = collect(client(), `subscription($l: ID) { stockChanged(locationId: $l) { delta location { name } } }`, { l: bergen });
    await subscribers(1);
    await adjust(bergen.toUpperCase(), 'OAK-TBL-180', 2);
    await expectData(url, `mutation($l: ID!) { setInventory(input: { locationId: $l, sku: "OAK-TBL-180", quantity: 1 }) { userErrors { message } } }`, { l: bergen.toUpperCase() });
    expect((await live.next(2)).map((result) => result.errors ?? result.data.stockChanged)).toEqual([
      { delta: 2, location: { name: 'Bergen Store' } },
      { delta: expect.any(Number), location: { name: 'Bergen Store' } },
    ]);
    live.dispose();
    await subscribers(0);
  });

  it('resolves an event once for subscribers that asked the same question', async () => {
    const received = [client(), client(), client()].map((each) => collect(each, `subscription($l: ID) { stockChanged(locationId: $l) { onHand product { name } } }`, { l: oslo }));
    await subscribers(3);
    const before = stack.router.hub!.stats.executions;
    await adjust(oslo, 'OAK-TBL-180', 1);
    for (const each of received) expect((await each.next(1))[0].data.stockChanged.product.name).toBe('Oak Dining Table');
    expect(stack.router.hub!.stats.executions - before).toBe(1);
    received.forEach((each) => each.dispose());
    await subscribers(0);
  });

  it('refuses bad subscriptions with errors naming what was wrong', async () => {
    const connection = client();
    const badLocation = collect(connection, `subscription { stockChanged(locationId: "store-1") { delta } }`);
    const unknownField = collect(connection, `subscription { stockChanged { deltaa } }`);
    const tooManySkus = collect(connection, `subscription($skus: [ID!]) { stockChanged(skus: $skus) { delta } }`, { skus: Array.from({ length: 101 }, (_, i) => `SKU-${i}`) });
    await waitUntil(() => Boolean(badLocation.error && unknownField.error && tooManySkus.error));
    expect(badLocation.error).toEqual([expect.objectContaining({ message: 'locationId "store-1" is not a location id (a UUID)', extensions: { code: 'BAD_USER_INPUT' } })]);
    expect(unknownField.error).toEqual([expect.objectContaining({ message: expect.stringContaining('Cannot query field "deltaa" on type "StockChange"'), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    expect(tooManySkus.error).toEqual([expect.objectContaining({ message: 'skus may name at most 100 products; got 101' })]);
  });

  it('refuses a subscription sent over HTTP with 400, pointing to the WebSocket endpoint', async () => {
    // Authenticated (for the router, and for the subgraph as the router would call it): refused for being a subscription.
    const headers = { 'content-type': 'application/json', ...(await authHeaders()) };
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: 'subscription { stockChanged { delta } }' }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [expect.objectContaining({ message: expect.stringContaining('Subscriptions are served over WebSocket with the graphql-ws protocol'), extensions: expect.objectContaining({ code: 'BAD_REQUEST' }) })] });
    const direct = await fetch(stack.urls.inventory, { method: 'POST', headers, body: JSON.stringify({ query: 'subscription { stockChanged { delta } }' }) });
    expect(((await direct.json()) as { errors: { message: string }[] }).errors[0].message).toBe('The inventory subgraph serves no subscriptions: subscribe through the router, over WebSocket (graphql-ws) at ws://<router>/graphql');
  });

  it('serves queries and mutations over the same socket', async () => {
    const connection = client();
    const result = await new Promise<any>((resolve, reject) => {
      connection.subscribe({ query: `query($l: ID!) { location(id: $l) { name } }`, variables: { l: oslo } }, { next: resolve, error: reject, complete: () => {} });
    });
    expect(result).toEqual({ data: { location: { name: 'Oslo Store' } } });
  });

  it('caps subscriptions per connection', async () => {
    const connection = client();
    const held = [1, 2, 3].map(() => collect(connection, `subscription { lowStock { status } }`));
    const fourth = collect(connection, `subscription { lowStock { status } }`);
    await waitUntil(() => Boolean(fourth.error));
    expect(fourth.error).toEqual([expect.objectContaining({ message: 'A connection may hold at most 3 subscriptions; complete one first' })]);
    expect(held.every((each) => each.error === undefined)).toBe(true);
    held.forEach((each) => each.dispose());
    await subscribers(0);
  });

  it('closes a connection that never sends connection_init (4408) and one that sends an oversized message (1009)', async () => {
    const wsUrl = url.replace(/^http/, 'ws');
    const silent = new WebSocket(wsUrl, 'graphql-transport-ws');
    const silentClose = await new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    expect(silentClose).toBe(4408);

    const large = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => large.on('open', resolve));
    large.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(8192) } }));
    const largeClose = await new Promise<number>((resolve) => large.on('close', (code) => resolve(code)));
    expect(largeClose).toBe(1009);
  });

  it('closes a connection with no token, a forged one or an expired one with 4403, delivering nothing to it', async () => {
    const forged = await signUserToken({ subject: 'mallory', role: 'admin', locations: ['*'] }, 'a-secret-that-is-not-the-routers-secret');
    const expired = await signUserToken({ subject: 'test-admin', role: 'admin', locations: ['*'], expiresInSeconds: -60 });
    const refusals = [
      { params: {}, reason: 'Authentication required: send { authorization: "Bearer <token>" } in connection_init' },
      // The verifier's own words for these (router/src/auth tests them).
      { params: { authorization: `Bearer ${forged}` }, reason: expect.not.stringMatching(/expired/i) },
      { params: { authorization: `Bearer ${expired}` }, reason: expect.stringMatching(/expired/i) },
    ].map(({ params, reason }) => {
      const refused = client({ connectionParams: params });
      return { reason, closed: closedWith(refused), live: collect(refused, `subscription { stockChanged { delta } }`) };
    });
    for (const { reason, closed } of refusals) {
      const at = await closed;
      expect(at).toEqual({ code: 4403, reason });
      expect(at.reason).toMatch(/token/i);
    }
    // A change is published meanwhile (an admin receives it); the refused connections get nothing.
    const admin = collect(client(), `subscription { stockChanged { delta } }`);
    await subscribers(1);
    await adjust(oslo, 'OAK-TBL-180', 1);
    expect((await admin.next(1))[0].data.stockChanged.delta).toBe(1);
    for (const { live } of refusals) expect(live.results).toEqual([]);
  });

  it('closes the socket with 4403 when its token expires mid-subscription', async () => {
    const token = await signUserToken({ subject: 'test-admin', role: 'admin', locations: ['*'], expiresInSeconds: 2 });
    const expiring = client({ connectionParams: { authorization: `Bearer ${token}` } });
    const closed = closedWith(expiring);
    const live = collect(expiring, `subscription { stockChanged { delta } }`);
    await subscribers(1);
    await adjust(oslo, 'OAK-TBL-180', 1);
    expect((await live.next(1))[0].data.stockChanged.delta).toBe(1);
    expect(await closed).toEqual({ code: 4403, reason: 'token expired: reconnect with a fresh token' });
    await subscribers(0);
    await adjust(oslo, 'OAK-TBL-180', 1);
    expect(live.results).toHaveLength(1);
  });

  it('delivers a manager only the changes at its locations', async () => {
    const manager = collect(client({ caller: managerAt(oslo) }), `subscription { stockChanged { delta location { id name } } }`);
    const admin = collect(client(), `subscription { stockChanged { delta location { id } } }`);
    await subscribers(2);
    await adjust(bergen, 'OAK-TBL-180', 7);
    await adjust(oslo, 'OAK-TBL-180', 3);
    await adjust(bergen, 'FJORD-SOFA-3', 9);
    // Bergen's changes were published: the admin receives all three.
    expect((await admin.next(3)).map((result) => [result.data.stockChanged.location.id, result.data.stockChanged.delta])).toEqual([
      [bergen, 7],
      [oslo, 3],
      [bergen, 9],
    ]);
    expect(await manager.next(1)).toEqual([{ data: { stockChanged: { delta: 3, location: { id: oslo, name: 'Oslo Store' } } } }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(manager.results).toHaveLength(1);
  });

  it('refuses a subscription naming a location outside the caller\'s scope with FORBIDDEN', async () => {
    const connection = client({ caller: managerAt(oslo) });
    const changes = collect(connection, `subscription($l: ID) { stockChanged(locationId: $l) { delta } }`, { l: bergen });
    const alerts = collect(connection, `subscription($l: ID) { lowStock(locationId: $l) { status } }`, { l: bergen });
    const own = collect(connection, `subscription($l: ID) { stockChanged(locationId: $l) { delta } }`, { l: oslo });
    await waitUntil(() => Boolean(changes.error && alerts.error));
    for (const refused of [changes, alerts]) {
      expect(refused.error).toEqual([expect.objectContaining({ message: `Location ${bergen} is outside your locations: you may subscribe to events at your own locations only`, extensions: { code: 'FORBIDDEN' } })]);
    }
    await subscribers(1);
    await adjust(oslo, 'OAK-TBL-180', 2);
    expect((await own.next(1))[0].data.stockChanged.delta).toBe(2);
    expect(own.error).toBeUndefined();
  });

  it('gives subscribers of different scopes asking the same question each only their scope\'s events, resolved for that scope', async () => {
    const question = `subscription { stockChanged { delta location { id } product { sku inventory { location { id } } } } }`;
    const atOslo = collect(client({ caller: managerAt(oslo, 'maria') }), question);
    const atBergen = collect(client({ caller: managerAt(bergen, 'bjorn') }), question);
    await subscribers(2);
    await adjust(oslo, 'FJORD-SOFA-3', 4);
    await adjust(bergen, 'FJORD-SOFA-3', 5);
    const [oslos] = await atOslo.next(1);
    const [bergens] = await atBergen.next(1);
    expect(oslos.errors).toBeUndefined();
    expect(bergens.errors).toBeUndefined();
    expect([oslos.data.stockChanged.location.id, oslos.data.stockChanged.delta]).toEqual([oslo, 4]);
    expect([bergens.data.stockChanged.location.id, bergens.data.stockChanged.delta]).toEqual([bergen, 5]);
    // Each result was resolved as its own scope: the product's stock lists only that scope's location.
    expect(oslos.data.stockChanged.product.inventory.map((level: { location: { id: string } }) => level.location.id)).toEqual([oslo]);
    expect(bergens.data.stockChanged.product.inventory.map((level: { location: { id: string } }) => level.location.id)).toEqual([bergen]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([atOslo.results.length, atBergen.results.length]).toEqual([1, 1]);
  });
});

describe('a router restart', () => {
  it('is survived by a graphql-ws client with retries: it reconnects, subscribes again and receives later changes', async () => {
    const stack = await startStack({ targets: { inventory: { kind: 'pglite' }, sales: { kind: 'pglite' }, marketing: { kind: 'pglite' } }, ports });
    const start = (port: number) => buildRouter({ supergraphSdl: readSupergraph(), subgraphUrls: { inventory: stack.urls.inventory, sales: stack.urls.sales, marketing: stack.urls.marketing }, bus: stack.bus }).then(async (router) => ({ router, url: await router.listen(port) }));
    let { router, url } = await start(0);
    const port = Number(new URL(url).port);
    const client = wsClient(url, { retryAttempts: 300, retryWaitMs: 100 });
    try {
      const oslo = await createTestLocation(url, 'OSL-STORE-1');
      await expectData(url, `mutation { createProduct(input: { sku: "OAK-TBL-180", name: "Oak", category: "tables", price: "10.00" }) { userErrors { message } } }`);
      const adjust = (delta: number) => expectData(stack.urls.router, `mutation($l: ID!, $d: Int!) { adjustInventory(input: { locationId: $l, sku: "OAK-TBL-180", delta: $d, reason: RECEIVED }) { userErrors { message } } }`, { l: oslo, d: delta });
      const live = collect(client, `subscription { stockChanged { delta onHand } }`);
      const subscribed = (current: Router) => waitUntil(() => current.hub!.subscriberCount === 1, 10_000, 'the subscription');
      await subscribed(router);
      await adjust(1);
      await live.next(1);

      await router.stop();
      ({ router } = await start(port));
      await subscribed(router);
      await adjust(2);
      const results = await live.next(2);
      expect(results.map((result) => result.data.stockChanged)).toEqual([{ delta: 1, onHand: 1 }, { delta: 2, onHand: 3 }]);
      expect(live.error).toBeUndefined();
    } finally {
      await client.dispose();
      await router.stop();
      await stack.stop();
    }
  });
});
