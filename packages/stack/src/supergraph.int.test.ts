import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, gql } from '@joinery/core/testing';
import { routerExecutionCounts } from '@joinery/router';
import { startStack, type Stack } from './stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };

describe.each(backends())('supergraph through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;
  let oslo: string;

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports });
    url = stack.urls.router;
    const created = await gql(url, `mutation {
      createLocation(input: { code: "OSL-STORE-1", name: "Oslo Store", kind: STORE, timezone: "Europe/Oslo",
        address: { line1: "Karl Johans gate 1", city: "Oslo", region: "Nordics", postalCode: "0154", country: "NO" } }) {
        location { id } userErrors { message } } }`);
    oslo = created.data.createLocation.location.id;
    await gql(url, `mutation { createProduct(input: { sku: "OAK-TBL-180", name: "Oak Dining Table 180 cm", category: "tables", price: "1299.00" }) { userErrors { message } } }`);
    await gql(url, `mutation { createProduct(input: { sku: "FJORD-SOFA-3", name: "Fjord 3-Seat Sofa", category: "sofas", price: "2499.00" }) { userErrors { message } } }`);
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it('records a sale that takes stock and shows up in summaries across subgraphs', async () => {
    // The answers below come from the router's own plan executor, not the gateway's.
    const plansBefore = routerExecutionCounts().plans;
    await gql(url, `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "OAK-TBL-180", delta: 10, reason: RECEIVED }) { userErrors { message } } }`, { l: oslo });
    await gql(url, `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "FJORD-SOFA-3", delta: 3, reason: RECEIVED }) { userErrors { message } } }`, { l: oslo });
    const campaign = await gql(url, `mutation { createCampaign(input: { name: "Autumn Sofa Event", channel: EMAIL, status: ACTIVE, startsAt: "2026-09-01T00:00:00Z", budget: "5000.00" }) { campaign { id } userErrors { message } } }`);
    const campaignId = campaign.data.createCampaign.campaign.id;

    const sale = await gql(url, `mutation($input: RecordSaleInput!) { recordSale(input: $input) {
      order { id totalAmount subtotal discountTotal unitCount location { name } campaign { name }
        lines { product { sku name } quantity unitPrice discount lineTotal } }
      userErrors { field message code } } }`, {
      input: { locationId: oslo, paymentMethod: 'CARD', campaignId, idempotencyKey: 'sale-1',
        lines: [{ sku: 'OAK-TBL-180', quantity: 2 }, { sku: 'FJORD-SOFA-3', quantity: 1, unitPrice: '2299.00', discount: '100.00' }] },
    });
    expect(sale.errors).toBeUndefined();
    expect(sale.data.recordSale.userErrors).toEqual([]);
    const order = sale.data.recordSale.order;
    expect(order).toMatchObject({
      subtotal: '4897.00', discountTotal: '100.00', totalAmount: '4797.00', unitCount: 3,
      location: { name: 'Oslo Store' }, campaign: { name: 'Autumn Sofa Event' },
      lines: [
        { product: { sku: 'OAK-TBL-180', name: 'Oak Dining Table 180 cm' }, quantity: 2, unitPrice: '1299.00', discount: '0.00', lineTotal: '2598.00' },
        { product: { sku: 'FJORD-SOFA-3' }, quantity: 1, unitPrice: '2299.00', discount: '100.00', lineTotal: '2199.00' },
      ],
    });

    const read = await gql(url, `query($l: ID!, $c: ID!) {
      location(id: $l) { name salesSummary { orderCount unitsSold revenue averageOrderValue }
        inventory { nodes { product { sku salesSummary { unitsSold revenue } } onHand available } } }
      campaign(id: $c) { name }
    }`, { l: oslo, c: campaignId });
    expect(read.errors).toBeUndefined();
    expect(read.data.location.salesSummary).toEqual({ orderCount: 1, unitsSold: 3, revenue: '4797.00', averageOrderValue: '4797.00' });
    expect(read.data.location.inventory.nodes).toEqual([
      { product: { sku: 'FJORD-SOFA-3', salesSummary: { unitsSold: 1, revenue: '2199.00' } }, onHand: 2, available: 2 },
      { product: { sku: 'OAK-TBL-180', salesSummary: { unitsSold: 2, revenue: '2598.00' } }, onHand: 8, available: 8 },
    ]);
    // Marketing attributes from the order event, which arrives after recordSale returns: wait for it.
    const performance = await eventually(async () => {
      const answer = await gql(url, `query($c: ID!) { campaign(id: $c) { performance { orderCount unitsSold revenue byLocation { location { code } revenue } source } } }`, { c: campaignId });
      expect(answer.errors).toBeUndefined();
      expect(answer.data.campaign.performance.orderCount).toBe(1);
      return answer.data.campaign.performance;
    });
    // The default model (last touch) credits the campaign the order carries in full.
    expect(performance).toEqual({ orderCount: 1, unitsSold: 3, revenue: '4797.00', byLocation: [{ location: { code: 'OSL-STORE-1' }, revenue: '4797.00' }], source: 'ROLLUP' });

    const replay = await gql(url, `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { code } } }`, {
      input: { locationId: oslo, paymentMethod: 'CARD', campaignId, idempotencyKey: 'sale-1',
        lines: [{ sku: 'OAK-TBL-180', quantity: 2 }, { sku: 'FJORD-SOFA-3', quantity: 1, unitPrice: '2299.00', discount: '100.00' }] },
    });
    expect(replay.data.recordSale.order.id).toBe(order.id);
    const after = await gql(url, `query($l: ID!) { location(id: $l) { salesSummary { orderCount } inventory { nodes { onHand } } } }`, { l: oslo });
    expect(after.data.location.salesSummary.orderCount).toBe(1);
    expect(after.data.location.inventory.nodes.map((n: { onHand: number }) => n.onHand)).toEqual([2, 8]);
    expect(routerExecutionCounts().plans).toBeGreaterThan(plansBefore);
  });
});

describe('an unreachable subgraph', () => {
  it('is reported by the router as UNAVAILABLE naming the subgraph, not as an anonymous internal error', async () => {
    const [backend] = backends();
    const stack = await startStack({ targets: backend.targets(), ports });
    try {
      await stack.inventory.http.close();
      stack.inventory.http.closeAllConnections();
      const result = await gql(stack.urls.router, '{ locations { nodes { name } } }');
      expect(result.errors?.[0]).toMatchObject({
        message: 'The inventory subgraph could not be reached; retry later',
        extensions: { code: 'UNAVAILABLE', serviceName: 'inventory' },
      });
    } finally {
      await stack.router.stop();
      await stack.sales.stop();
      await stack.marketing.stop();
    }
  });
});

/** Retries `check` until it stops throwing (at most ~5 s), for effects that follow events. */
async function eventually<T>(check: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
