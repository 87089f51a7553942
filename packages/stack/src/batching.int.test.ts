/**
 * Reads never multiply SQL: a page of levels with their products, locations and sales summaries
 * costs the same number of statements per subgraph for 10 rows as for 100 (DataLoader batching,
 * GROUP BY summaries), counted at the database driver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, gql } from '@joinery/core/testing';
import { startStack, type Stack } from './stack';

const PAGE = /* GraphQL */ `
  query StockPage($location: ID!, $first: Int!) {
    location(id: $location) {
      name
      inventory(first: $first) {
        totalCount
        nodes {
          onHand available reorderPoint
          location { id name timezone salesSummary { orderCount revenue } }
          product { sku name category price availableTotal salesSummary(from: "2020-01-01T00:00:00Z") { unitsSold revenue averageOrderValue } }
        }
      }
    }
  }
`;

describe.each(backends())('statements per request on $name', (backend) => {
  let stack: Stack;
  let locationId: string;

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports: { router: 0, inventory: 0, sales: 0, marketing: 0 } });
    const created = await gql(stack.urls.router, `mutation { createLocation(input: { code: "BGO-STORE-1", name: "Bergen Store", kind: STORE, timezone: "Europe/Oslo",
      address: { line1: "Torgallmenningen 1", city: "Bergen", region: "Nordics", postalCode: "5014", country: "NO" } }) { location { id } } }`);
    locationId = created.data.createLocation.location.id;
    const skus = Array.from({ length: 100 }, (_, i) => `CHAIR-${String(i).padStart(3, '0')}`);
    await stack.inventory.prisma.product.createMany({ data: skus.map((sku, i) => ({ sku, name: `Chair ${i}`, category: 'chairs', price: '149.00' })) });
    await stack.inventory.prisma.inventoryLevel.createMany({ data: skus.map((sku) => ({ locationId, sku, onHand: 5 })) });
    for (const sku of skus.slice(0, 3)) {
      const sale = await gql(stack.urls.router, `mutation($input: RecordSaleInput!) { recordSale(input: $input) { userErrors { message } } }`, {
        input: { locationId, paymentMethod: 'CARD', lines: [{ sku, quantity: 1 }] },
      });
      expect(sale.data.recordSale.userErrors).toEqual([]);
    }
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  async function countStatements(first: number) {
    for (const database of Object.values(stack.databases)) database.statements.reset();
    const result = await gql(stack.urls.router, PAGE, { location: locationId, first });
    expect(result.errors).toBeUndefined();
    expect(result.data.location.inventory.nodes).toHaveLength(first);
    return {
      inventory: stack.databases.inventory.statements.count,
      sales: stack.databases.sales.statements.count,
      marketing: stack.databases.marketing.statements.count,
      data: result.data,
    };
  }

  it('a page of 100 levels costs no more statements than a page of 10', async () => {
    const small = await countStatements(10);
    const large = await countStatements(100);
    expect({ inventory: large.inventory, sales: large.sales }).toEqual({ inventory: small.inventory, sales: small.sales });
    // location, level page, count, products, levels of those products (availableTotal).
    expect(large.inventory).toBeLessThanOrEqual(6);
    // one GROUP BY for the location's summary, one for the products'.
    expect(large.sales).toBeLessThanOrEqual(2);
    expect(large.marketing).toBe(0);
    const sold = large.data.location.inventory.nodes.filter((node: { product: { salesSummary: { unitsSold: number } } }) => node.product.salesSummary.unitsSold > 0);
    expect(sold.map((node: { product: { sku: string } }) => node.product.sku)).toEqual(['CHAIR-000', 'CHAIR-001', 'CHAIR-002']);
    expect(large.data.location.inventory.nodes[0].location.salesSummary).toEqual({ orderCount: 3, revenue: '447.00' });
  });
});
