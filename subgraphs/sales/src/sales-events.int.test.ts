/**
 * Sales records `sales.order_confirmed` in the transaction that confirms an order: exactly one per
 * confirmed order, none for a refused one, none for a retry, and its relay publishes them on
 * `sales.orders`. Sales runs alone here, against stand-ins for inventory and marketing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus, EventEnvelope } from '@joinery/core';
import { backends } from '@joinery/core/testing';
import { buildSalesSubgraph, openSalesDatabase, type SalesSubgraph } from '@joinery/sales';
import { fakeOwners, gqlAs } from './fake-owners';
import { ORDER_CONFIRMED, SALES_TOPIC } from './sales-events';

const RECORD_SALE = `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { code field message } } }`;

describe.each(backends())('sales.order_confirmed on $name', (backend) => {
  const owners = fakeOwners();
  let bus: EventBus;
  let sales: SalesSubgraph;
  let url: string;
  const received: EventEnvelope[] = [];
  const sell = (input: Record<string, unknown>, actor: string | null = 'till-7') => gqlAs(url, actor, RECORD_SALE, { input });

  async function outbox(aggregate?: string) {
    const { rows } = await sales.database.withConnection((sql) =>
      sql.query(`SELECT id::text AS id, type, version, aggregate, payload FROM outbox_events ${aggregate ? 'WHERE aggregate = $1' : ''} ORDER BY seq`, aggregate ? [aggregate] : []),
    );
    return rows as { id: string; type: string; version: number; aggregate: string; payload: Record<string, unknown> }[];
  }

  beforeAll(async () => {
    bus = await backend.bus();
    await bus.subscribe(SALES_TOPIC, (event) => received.push(event));
    sales = await buildSalesSubgraph({ database: await openSalesDatabase(backend.targets().sales), ...owners.deps, bus, relayPollIntervalMs: 100 });
    url = await sales.listen(0);
  });
  afterEach(() => {
    owners.state.outOfStock.clear();
  });
  afterAll(async () => {
    await sales?.stop();
    await backend.cleanup();
  });

  it('writes one event carrying the whole order when it is confirmed, and the relay publishes it on sales.orders', async () => {
    const locationId = owners.location({ timezone: 'America/New_York' }).toUpperCase();
    const sofa = owners.product('EVT-SOFA', '2499.00', 'sofas');
    const lamp = owners.product('EVT-LAMP', '89.90', 'lighting');
    const campaignId = '0193c0de-0000-7000-8000-00000000CAFE';
    const result = await sell({
      locationId,
      customerId: 'cust-42',
      campaignId,
      paymentMethod: 'FINANCING',
      orderedAt: '2026-11-20T10:15:00.000Z',
      lines: [{ sku: sofa, quantity: 1, discount: '250.00' }, { sku: lamp, quantity: 3, unitPrice: '79.95' }],
    });
    expect(result.data!.recordSale.userErrors).toEqual([]);
    const orderId = result.data!.recordSale.order.id;

    const events = await outbox(orderId);
    expect(events).toEqual([
      {
        id: expect.any(String),
        type: ORDER_CONFIRMED,
        version: 1,
        aggregate: orderId,
        payload: {
          orderId,
          locationId: locationId.toLowerCase(),
          customerId: 'cust-42',
          campaignId: campaignId.toLowerCase(),
          orderedAt: '2026-11-20T10:15:00.000Z',
          paymentMethod: 'FINANCING',
          subtotal: '2738.85',
          discountTotal: '250.00',
          totalAmount: '2488.85',
          unitCount: 4,
          locationTimezone: 'America/New_York',
          lines: [
            { sku: sofa, quantity: 1, unitPrice: '2499.00', discount: '250.00', lineTotal: '2249.00', category: 'sofas' },
            { sku: lamp, quantity: 3, unitPrice: '79.95', discount: '0.00', lineTotal: '239.85', category: 'lighting' },
          ],
        },
      },
    ]);
    expect(owners.state.allocated.find((call) => call.orderId === orderId)?.actor).toBe('till-7');

    await expect.poll(() => received.filter((event) => event.aggregate === orderId), { timeout: 5_000 }).toHaveLength(1);
    expect(received.find((event) => event.aggregate === orderId)).toMatchObject({ id: events[0].id, type: ORDER_CONFIRMED, version: 1, payload: events[0].payload });
  });

  it('writes no event for a sale refused for want of stock, and none for its retry', async () => {
    const locationId = owners.location();
    const sku = owners.product('EVT-GONE', '100.00');
    owners.state.outOfStock.add(sku);
    const before = (await outbox()).length;
    const input = { locationId, paymentMethod: 'CARD', idempotencyKey: 'evt-gone', lines: [{ sku, quantity: 1 }] };

    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await sell(input);
      expect(result.data!.recordSale).toMatchObject({ order: null, userErrors: [{ code: 'INSUFFICIENT_STOCK' }] });
    }
    expect(await outbox()).toHaveLength(before);
  });

  it('writes one event when a sale is retried with its idempotencyKey, also when 10 retries arrive at once', async () => {
    const locationId = owners.location();
    const sku = owners.product('EVT-RETRY', '100.00');
    const input = { locationId, paymentMethod: 'CARD', idempotencyKey: 'evt-retry', lines: [{ sku, quantity: 2 }] };

    const results = await Promise.all(Array.from({ length: 10 }, () => sell(input)));
    const again = await sell(input);
    const ids = new Set([...results, again].map((result) => result.data!.recordSale.order.id));
    expect(ids.size).toBe(1);
    const [orderId] = ids;
    expect((await outbox(orderId)).map((event) => event.type)).toEqual([ORDER_CONFIRMED]);
    await expect.poll(() => received.filter((event) => event.aggregate === orderId), { timeout: 5_000 }).toHaveLength(1);
  });

  it('writes one event per confirmed order when many are sold at once', async () => {
    const locationId = owners.location();
    const sku = owners.product('EVT-MANY', '10.00');
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => sell({ locationId, paymentMethod: 'CASH', lines: [{ sku, quantity: index + 1 }] })));
    const orderIds = results.map((result) => result.data!.recordSale.order.id as string);
    const events = (await outbox()).filter((event) => orderIds.includes(event.aggregate));
    expect(events.map((event) => event.aggregate).sort()).toEqual([...orderIds].sort());
    for (const event of events) expect(event.payload.unitCount).toBe(orderIds.indexOf(event.aggregate) + 1);
  });
});
