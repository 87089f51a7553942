/** The inventory reports through the router, fed by a sale recorded in the sales subgraph. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, expectData, gql } from '@joinery/core/testing';
import { startStack, type Stack } from '@joinery/stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };

describe.each(backends())('inventory analytics through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports });
    url = stack.urls.router;
    const created = await expectData(url, `mutation {
      createLocation(input: { code: "OSL-STORE-1", name: "Oslo Store", kind: STORE, timezone: "Europe/Oslo",
        address: { line1: "Karl Johans gate 1", city: "Oslo", region: "Nordics", postalCode: "0154", country: "NO" } }) { location { id } } }`);
    const oslo = created.createLocation.location.id;
    await expectData(url, `mutation { createProduct(input: { sku: "OAK-TBL-180", name: "Oak Dining Table 180 cm", category: "tables", price: "1299.00" }) { userErrors { message } } }`);
    await expectData(url, `mutation { createProduct(input: { sku: "FJORD-SOFA-3", name: "Fjord 3-Seat Sofa", category: "sofas", price: "2499.00" }) { userErrors { message } } }`);
    await expectData(url, `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "OAK-TBL-180", delta: 10, reason: RECEIVED }) { userErrors { message } } }`, { l: oslo });
    await expectData(url, `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "FJORD-SOFA-3", delta: 3, reason: RECEIVED }) { userErrors { message } } }`, { l: oslo });
    const sale = await gql(url, `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { message } } }`, {
      input: { locationId: oslo, paymentMethod: 'CARD', idempotencyKey: 'analytics-sale-1', lines: [{ sku: 'OAK-TBL-180', quantity: 2 }] },
    });
    expect(sale.errors).toBeUndefined();
    expect(sale.data.recordSale.userErrors).toEqual([]);
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it('answers stock value, days of supply and slow movers with locations and products resolved', async () => {
    const data = await expectData(url, `{
      inventoryStockValue { rows { location { code name } category onHand value } totals { onHand value } }
      inventoryDaysOfSupply(lookbackDays: 28) { rows { product { sku name } netUnitsSold dailySalesRate daysOfSupply } }
      inventorySlowMovers(days: 30) { rows { product { sku } value netUnitsSold } }
    }`);
    // 8 × 1299.00 and 3 × 2499.00
    expect(data.inventoryStockValue).toEqual({
      rows: [
        { location: { code: 'OSL-STORE-1', name: 'Oslo Store' }, category: 'tables', onHand: 8, value: '10392.00' },
        { location: { code: 'OSL-STORE-1', name: 'Oslo Store' }, category: 'sofas', onHand: 3, value: '7497.00' },
      ],
      totals: { onHand: 11, value: '17889.00' },
    });
    // 8 available ÷ (2 sold ÷ 28 days) = 112 days; the sofa sold nothing
    expect(data.inventoryDaysOfSupply.rows).toEqual([
      { product: { sku: 'OAK-TBL-180', name: 'Oak Dining Table 180 cm' }, netUnitsSold: 2, dailySalesRate: 0.0714, daysOfSupply: 112 },
      { product: { sku: 'FJORD-SOFA-3', name: 'Fjord 3-Seat Sofa' }, netUnitsSold: 0, dailySalesRate: null, daysOfSupply: null },
    ]);
    expect(data.inventorySlowMovers.rows).toEqual([{ product: { sku: 'FJORD-SOFA-3' }, value: '7497.00', netUnitsSold: 0 }]);
  });

  it('passes a bad argument on as BAD_USER_INPUT naming it', async () => {
    const result = await gql(url, '{ inventoryStockOuts(from: "2026-01-01T00:00:00Z", first: 501) { levelCount } }');
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(result.errors?.[0].message).toContain('first');
  });
});
