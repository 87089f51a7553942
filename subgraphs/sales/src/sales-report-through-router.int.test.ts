/**
 * salesReport end to end through the router, with the real inventory subgraph: the time zone and
 * categories a sale snapshots, and the region and kind (CHANNEL) sales asks inventory for, come
 * from inventory's own locations and products; the router resolves each row's location and product.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, expectData } from '@joinery/core/testing';
import { startStack, type Stack } from '@joinery/stack';

describe.each(backends())('salesReport through the router on $name', (backend) => {
  let stack: Stack;
  const ok = (query: string, variables?: Record<string, unknown>) => expectData(stack.urls.router, query, variables);

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports: { router: 0, inventory: 0, sales: 0, marketing: 0 } });
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  async function location(code: string, kind: string, timezone: string, region: string): Promise<string> {
    const data = await ok(`mutation($input: CreateLocationInput!) { createLocation(input: $input) { location { id } userErrors { message } } }`, {
      input: { code, name: `Location ${code}`, kind, timezone, address: { line1: 'Main St 1', city: region, region, postalCode: '0001', country: 'NO' } },
    });
    expect(data.createLocation.userErrors).toEqual([]);
    return data.createLocation.location.id;
  }

  it('groups by region, channel and week in each location’s zone, and resolves locations and products through the graph', async () => {
    const oslo = await location('RR-OSL', 'STORE', 'Europe/Oslo', 'Oslo');
    const web = await location('RR-WEB', 'ONLINE', 'America/New_York', 'New York');
    for (const [sku, category, price] of [['RR-SOFA', 'sofas', '1000.00'], ['RR-LAMP', 'lighting', '50.00']]) {
      const created = await ok(`mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, {
        input: { sku, name: `Product ${sku}`, category, price },
      });
      expect(created.createProduct.userErrors).toEqual([]);
      for (const locationId of [oslo, web]) {
        const adjusted = await ok(`mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { userErrors { message } } }`, {
          input: { locationId, sku, delta: 10, reason: 'RECEIVED' },
        });
        expect(adjusted.adjustInventory.userErrors).toEqual([]);
      }
    }
    // Sunday 23:30 in Oslo (22:30Z), Monday 00:30 in New York (05:30Z): weeks of 5 and 12 January 2026.
    for (const input of [
      { locationId: oslo, orderedAt: '2026-01-11T22:30:00Z', lines: [{ sku: 'RR-SOFA', quantity: 1, discount: '100.00' }, { sku: 'RR-LAMP', quantity: 2 }] },
      { locationId: web, orderedAt: '2026-01-12T05:30:00Z', lines: [{ sku: 'RR-LAMP', quantity: 3 }] },
    ]) {
      const sold = await ok(`mutation($input: RecordSaleInput!) { recordSale(input: $input) { userErrors { message } } }`, { input: { paymentMethod: 'CARD', ...input } });
      expect(sold.recordSale.userErrors).toEqual([]);
    }

    const data = await ok(`query($filter: SalesReportFilter) {
      byRegion: salesReport(filter: $filter, groupBy: [REGION, CHANNEL, WEEK]) {
        rows { region channel week orderCount unitsSold revenue discount averageOrderValue }
        totals { orderCount unitsSold revenue discount averageOrderValue }
        source
      }
      byProduct: salesReport(filter: $filter, groupBy: [LOCATION, PRODUCT]) {
        rows { location { name timezone } product { name category } orderCount unitsSold revenue }
      }
    }`, { filter: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' } });

    expect(data.byRegion).toEqual({
      rows: [
        { region: 'New York', channel: 'ONLINE', week: '2026-01-12', orderCount: 1, unitsSold: 3, revenue: '150.00', discount: '0.00', averageOrderValue: '150.00' },
        { region: 'Oslo', channel: 'STORE', week: '2026-01-05', orderCount: 1, unitsSold: 3, revenue: '1000.00', discount: '100.00', averageOrderValue: '1000.00' },
      ],
      totals: { orderCount: 2, unitsSold: 6, revenue: '1150.00', discount: '100.00', averageOrderValue: '575.00' },
      source: 'ROLLUP',
    });
    type ProductRow = { location: { name: string }; product: { name: string } };
    const name = (row: ProductRow) => `${row.location.name} ${row.product.name}`;
    const products = [...(data.byProduct.rows as ProductRow[])].sort((a, b) => name(a).localeCompare(name(b)));
    expect(products).toEqual([
      { location: { name: 'Location RR-OSL', timezone: 'Europe/Oslo' }, product: { name: 'Product RR-LAMP', category: 'lighting' }, orderCount: 1, unitsSold: 2, revenue: '100.00' },
      { location: { name: 'Location RR-OSL', timezone: 'Europe/Oslo' }, product: { name: 'Product RR-SOFA', category: 'sofas' }, orderCount: 1, unitsSold: 1, revenue: '900.00' },
      { location: { name: 'Location RR-WEB', timezone: 'America/New_York' }, product: { name: 'Product RR-LAMP', category: 'lighting' }, orderCount: 1, unitsSold: 3, revenue: '150.00' },
    ]);
  });
});
