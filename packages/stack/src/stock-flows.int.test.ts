/**
 * Stock that moves and automation that reacts, end to end through the router: a transfer from a
 * warehouse to a store, a sale returned partly damaged, and a low-stock rule that sends a signed
 * webhook once per crossing and retries a failing receiver; then the automation state rebuilt by
 * replay from the outboxes. PGlite with the in-process bus, and PostgreSQL with Redis Streams.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayConsumer, type Database, type OutboxSource } from '@joinery/core';
import { backends, createTestLocation, expectData } from '@joinery/core/testing';
import { automationConsumer } from '@joinery/marketing/automation-consumer';
import { verifyWebhookSignature } from '@joinery/marketing/webhooks';
import { AutomationEngine } from '../../../subgraphs/marketing/src/automation/automation-engine';
import { topicOf as inventoryTopicOf } from '../../../subgraphs/inventory/src/stock-events';
import { enqueueWebhookDelivery } from '../../../subgraphs/marketing/src/webhooks/enqueue';
import { startStack, type Stack } from './stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };

interface Received {
  id: string;
  signature: string;
  body: string;
  status: number;
}

/** A webhook receiver that answers 500 to the first `failFirst` requests, then 200. */
async function receiver(failFirst: number): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer(async (request: IncomingMessage, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const status = received.length < failFirst ? 500 : 200;
    received.push({ id: String(request.headers['joinery-webhook-id']), signature: String(request.headers['joinery-webhook-signature']), body, status });
    response.writeHead(status).end(status === 200 ? 'ok' : 'try later');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received, server };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last saw ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const outbox = (name: string, database: Database, topicOf: OutboxSource['topicOf']): OutboxSource => ({
  name,
  topicOf,
  connection: { query: (sql, params) => database.withConnection((connection) => connection.query(sql, params)) },
});

describe.each(backends())('stock flows and automation through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;
  let warehouse: string;
  let store: string;
  const level = (locationId: string, sku: string) =>
    expectData(url, `query($l: ID!) { location(id: $l) { inventory(first: 50) { nodes { product { sku } onHand available committed incoming damaged } } } }`, { l: locationId }).then(
      (data) => data.location.inventory.nodes.find((node: { product: { sku: string } }) => node.product.sku === sku) ?? null,
    );

  beforeAll(async () => {
    stack = await startStack({
      targets: backend.targets(),
      ports,
      bus: await backend.bus(),
      webhooks: { pollIntervalMs: 50, retry: { firstRetryMs: 200, maxDelayMs: 1_000, jitter: 0 } },
      consumer: { reclaimAfterMs: 500 },
    });
    url = stack.urls.router;
    store = await createTestLocation(url, 'OSL-STORE-9', 'Oslo Store');
    const created = await expectData(url, `mutation { createLocation(input: { code: "OSL-WH-1", name: "Oslo Warehouse", kind: WAREHOUSE, timezone: "Europe/Oslo",
      address: { line1: "Lager 1", city: "Oslo", region: "Nordics", postalCode: "0580", country: "NO" } }) { location { id } } }`);
    warehouse = created.createLocation.location.id;
    for (const [sku, price] of [['OAK-TBL-180', '1299.00'], ['FJORD-SOFA-3', '2499.00'], ['LUNA-LAMP', '199.00']]) {
      await expectData(url, `mutation($sku: ID!, $name: String!, $price: Decimal!) { createProduct(input: { sku: $sku, name: $name, category: "tables", price: $price }) { userErrors { message } } }`, { sku, name: sku, price });
    }
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it('moves stock from a warehouse to a store: committed as a draft, incoming once shipped, received short with one damaged', async () => {
    await expectData(url, `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "OAK-TBL-180", delta: 10, reason: RECEIVED }) { userErrors { message } } }`, { l: warehouse });
    const created = await expectData(url, `mutation($from: ID!, $to: ID!) { createTransfer(input: { originId: $from, destinationId: $to, lines: [{ sku: "OAK-TBL-180", quantity: 6 }], reference: "TO-1", idempotencyKey: "transfer-1" }) {
      transfer { id status } userErrors { field message code } } }`, { from: warehouse, to: store });
    expect(created.createTransfer.userErrors).toEqual([]);
    const id = created.createTransfer.transfer.id;
    expect(await level(warehouse, 'OAK-TBL-180')).toMatchObject({ onHand: 10, committed: 6, available: 4 });

    const ship = `mutation($id: ID!) { shipTransfer(input: { id: $id, idempotencyKey: "ship-1" }) { transfer { status shippedAt } userErrors { code } } }`;
    const shipped = await expectData(url, ship, { id });
    expect(shipped.shipTransfer).toMatchObject({ transfer: { status: 'SHIPPED' }, userErrors: [] });
    // A retried step has its effect once.
    expect((await expectData(url, ship, { id })).shipTransfer).toEqual(shipped.shipTransfer);
    expect(await level(warehouse, 'OAK-TBL-180')).toMatchObject({ onHand: 4, committed: 0, available: 4 });
    expect(await level(store, 'OAK-TBL-180')).toMatchObject({ onHand: 0, incoming: 6, available: 0 });

    const received = await expectData(url, `mutation($id: ID!) { receiveTransfer(input: { id: $id, lines: [{ sku: "OAK-TBL-180", receivedQuantity: 4, damagedQuantity: 1 }], idempotencyKey: "receive-1" }) {
      transfer { status shortfall lines { quantity receivedQuantity damagedQuantity shortfall } } userErrors { message } } }`, { id });
    expect(received.receiveTransfer).toEqual({ transfer: { status: 'RECEIVED', shortfall: 1, lines: [{ quantity: 6, receivedQuantity: 4, damagedQuantity: 1, shortfall: 1 }] }, userErrors: [] });
    expect(await level(store, 'OAK-TBL-180')).toMatchObject({ onHand: 5, damaged: 1, available: 4, incoming: 0 });

    const cancelled = await expectData(url, `mutation($id: ID!) { cancelTransfer(input: { id: $id }) { transfer { status } userErrors { code message } } }`, { id });
    expect(cancelled.cancelTransfer.userErrors[0]).toMatchObject({ code: 'CONFLICT' });
    expect(cancelled.cancelTransfer.userErrors[0].message).toContain(id);

    const history = await expectData(url, `query($l: ID!) { location(id: $l) { movements(first: 10, filter: { reasons: [TRANSFER_IN] }) { nodes { delta reason reference state } } } }`, { l: store });
    expect(history.location.movements.nodes.length).toBeGreaterThan(0);
    for (const movement of history.location.movements.nodes) expect(movement).toMatchObject({ reason: 'TRANSFER_IN', reference: id });
  });

  it('returns a sale line to the store: one unit back in stock, one as damaged, refunds summing to the line', async () => {
    await expectData(url, `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "FJORD-SOFA-3", delta: 5, reason: RECEIVED }) { userErrors { message } } }`, { l: store });
    const sale = await expectData(url, `mutation($l: ID!) { recordSale(input: { locationId: $l, paymentMethod: CARD, idempotencyKey: "sale-for-return", lines: [{ sku: "FJORD-SOFA-3", quantity: 2 }] }) {
      order { id } userErrors { message } } }`, { l: store });
    const orderId = sale.recordSale.order.id;
    expect(await level(store, 'FJORD-SOFA-3')).toMatchObject({ onHand: 3, available: 3 });

    const returned = await expectData(url, `mutation($o: ID!) { returnSaleLines(input: { orderId: $o, idempotencyKey: "return-1", lines: [{ sku: "FJORD-SOFA-3", quantity: 1, condition: RESTOCK }] }) {
      return { refundTotal lines { quantity condition refundAmount } } userErrors { message } } }`, { o: orderId });
    expect(returned.returnSaleLines).toEqual({ return: { refundTotal: '2499.00', lines: [{ quantity: 1, condition: 'RESTOCK', refundAmount: '2499.00' }] }, userErrors: [] });
    await expectData(url, `mutation($o: ID!) { returnSaleLines(input: { orderId: $o, idempotencyKey: "return-2", lines: [{ sku: "FJORD-SOFA-3", quantity: 1, condition: DAMAGED }] }) { userErrors { message } } }`, { o: orderId });
    expect(await level(store, 'FJORD-SOFA-3')).toMatchObject({ onHand: 5, damaged: 1, available: 4 });

    const tooMany = await expectData(url, `mutation($o: ID!) { returnSaleLines(input: { orderId: $o, lines: [{ sku: "FJORD-SOFA-3", quantity: 1, condition: RESTOCK }] }) { return { id } userErrors { code message } } }`, { o: orderId });
    expect(tooMany.returnSaleLines.return).toBeNull();
    expect(tooMany.returnSaleLines.userErrors[0].message).toMatch(/FJORD-SOFA-3/);
    const order = await expectData(url, `query($o: ID!) { order(id: $o) { lines { returnedQuantity } returns { refundTotal } } }`, { o: orderId });
    expect(order.order).toEqual({ lines: [{ returnedQuantity: 2 }], returns: [{ refundTotal: '2499.00' }, { refundTotal: '2499.00' }] });
  });

  it('fires a low-stock rule as a signed webhook once per crossing, retrying a receiver that fails, and rebuilds the same automation state by replay', async () => {
    const hooks = await receiver(1);
    try {
      const endpoint = await expectData(url, `mutation($url: String!) { createWebhookEndpoint(input: { name: "Ops", provider: GENERIC, url: $url }) { endpoint { id } signingSecret userErrors { message } } }`, { url: hooks.url });
      const secret = endpoint.createWebhookEndpoint.signingSecret as string;
      const rule = await expectData(url, `mutation($l: ID!, $e: ID!) { createAutomationRule(input: { name: "Lamps running low",
        trigger: { kind: STOCK_AT_OR_BELOW, locationId: $l, sku: "LUNA-LAMP", threshold: "2" }, action: { kind: SEND_WEBHOOK, webhookEndpointId: $e } }) {
        automationRule { id } userErrors { field message } } }`, { l: store, e: endpoint.createWebhookEndpoint.endpoint.id });
      expect(rule.createAutomationRule.userErrors).toEqual([]);
      const ruleId = rule.createAutomationRule.automationRule.id;
      const adjust = (delta: number) =>
        expectData(url, `mutation($l: ID!, $d: Int!) { adjustInventory(input: { locationId: $l, sku: "LUNA-LAMP", delta: $d, reason: CORRECTION }) { userErrors { message } } }`, { l: store, d: delta });
      const firings = () => expectData(url, `query($id: ID!) { automationRule(id: $id) { firings(first: 10) { totalCount nodes { eventId webhookDeliveryId } } } }`, { id: ruleId }).then((data) => data.automationRule.firings);

      await adjust(5); // 5: above the threshold
      await adjust(-3); // 2: crosses to at-or-below → fires
      await adjust(-1); // 1: still below → no new firing
      await adjust(4); // 5: back above
      await adjust(-4); // 1: crosses again → fires a second time
      // The page and its count are read apart: wait for both firings in the page itself, each with its delivery.
      const fired = await until(firings, (value) => value.nodes.length >= 2 && value.nodes.every((node: { webhookDeliveryId: string | null }) => node.webhookDeliveryId), 'two firings');
      // Events are handled in order by one member, so the non-crossing ones were seen before the second firing.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await firings()).totalCount).toBe(2);

      // Two deliveries; the first got a 500 once and was retried. Every request is signed.
      const deliveryIds = fired.nodes.map((node: { webhookDeliveryId: string }) => node.webhookDeliveryId);
      await until(async () => hooks.received.filter((request) => request.status === 200).length, (count) => count >= 2, 'both deliveries accepted');
      expect(hooks.received.map((request) => request.status)).toEqual([500, 200, 200]);
      expect(new Set(hooks.received.map((request) => request.id))).toEqual(new Set(deliveryIds));
      for (const request of hooks.received) expect(verifyWebhookSignature({ secret, header: request.signature, body: request.body })).toMatchObject({ ok: true });
      expect(JSON.parse(hooks.received[1].body)).toMatchObject({ type: 'automation.stock_at_or_below', data: { rule: { id: ruleId } } });
      const delivery = await expectData(url, `query($id: ID!) { webhookDelivery(id: $id) { status attemptCount attempts { number responseStatus } } }`, { id: hooks.received[0].id });
      expect(delivery.webhookDelivery).toEqual({ status: 'SUCCEEDED', attemptCount: 2, attempts: [{ number: 1, responseStatus: 500 }, { number: 2, responseStatus: 200 }] });
    } finally {
      hooks.server.close();
    }

    // Sales feed customer stats; replaying every recorded event rebuilds them identically, and fires nothing again.
    for (const key of ['a', 'b', 'c']) {
      await expectData(url, `mutation($l: ID!, $k: String!) { recordSale(input: { locationId: $l, paymentMethod: CARD, customerId: "cust-42", idempotencyKey: $k, lines: [{ sku: "OAK-TBL-180", quantity: 1 }] }) { userErrors { message } } }`, { l: store, k: `replay-${key}` });
    }
    const prisma = stack.marketing.prisma;
    // updatedAt is bookkeeping (when the row was last written), not derived state.
    const stats = () => prisma.customerStats.findMany({ orderBy: { customerId: 'asc' }, omit: { updatedAt: true } });
    const live = await until(stats, (rows) => rows.some((row) => row.customerId === 'cust-42' && row.orderCount === 3), 'customer stats from the sales');
    const firingsBefore = await prisma.ruleFiring.count();
    await stack.marketing.automation!.stop();
    const replayed = await replayConsumer({
      db: prisma,
      consumer: automationConsumer(new AutomationEngine({ enqueueWebhook: enqueueWebhookDelivery })),
      sources: [outbox('inventory', stack.databases.inventory, (event) => inventoryTopicOf(event.type)), outbox('sales', stack.databases.sales, () => 'sales.orders')],
    });
    expect(replayed.events).toBeGreaterThan(10);
    expect(replayed.applied).toBe(replayed.events);
    expect(await stats()).toEqual(live);
    expect(await prisma.ruleFiring.count()).toBe(firingsBefore);
  });
});
