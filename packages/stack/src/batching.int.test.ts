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

async function waitUntil(done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for background work to finish');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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
    // Marketing's consumers handle the three order events in the background; wait until they are
    // done so the statements counted below are the query's own.
    await waitUntil(async () => (await stack.marketing.prisma.marketingOrder.count()) === 3);
    await waitUntil(async () => {
      stack.databases.marketing.statements.reset();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return stack.databases.marketing.statements.count === 0;
    });
  });
  const LOCATIONS = /* GraphQL */ `
    query Stores($first: Int!) {
      locations(first: $first) {
        nodes {
          code
          salesSummary { orderCount }
          sales(first: 2) { totalCount nodes { totalAmount lines { quantity } } }
          inventory(first: 5) { totalCount nodes { onHand movements(first: 2) { totalCount nodes { delta reason } } product { name salesSummary { unitsSold } } } }
          lowStock: inventory(first: 5, belowReorderPoint: true) { totalCount nodes { onHand } }
        }
      }
    }
  `;

  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  async function countOnce(first: number) {
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

  /**
   * The fewest statements each database ran for the query over three runs. Background work (an
   * outbox relay's or a worker's poll) can land inside one run and only ever adds statements,
   * while the query's own statements recur in every run: a regression still shows in the minimum.
   */
  async function countStatements(first: number) {
    const runs = [await countOnce(first), await countOnce(first), await countOnce(first)];
    const least = (key: 'inventory' | 'sales' | 'marketing') => Math.min(...runs.map((run) => run[key]));
    return { inventory: least('inventory'), sales: least('sales'), marketing: least('marketing'), data: runs[0].data };
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

  it('nested stock pages under a list of locations cost the same for 2 locations as for 6', async () => {
    for (let i = 0; i < 5; i += 1) {
      const created = await gql(stack.urls.router, `mutation($code: String!) { createLocation(input: { code: $code, name: $code, kind: STORE, timezone: "Europe/Oslo",
        address: { line1: "Street 1", city: "Oslo", region: "Nordics", postalCode: "0150", country: "NO" } }) { location { id } } }`, { code: `OSL-STORE-${i + 10}` });
      const id = created.data.createLocation.location.id;
      await stack.inventory.prisma.inventoryLevel.createMany({ data: ['CHAIR-000', 'CHAIR-001', 'CHAIR-002', 'CHAIR-003', 'CHAIR-004', 'CHAIR-005', 'CHAIR-006'].map((sku, n) => ({ locationId: id, sku, onHand: n, reorderPoint: 2 })) });
    }
    const run = async (first: number) => {
      for (const database of Object.values(stack.databases)) database.statements.reset();
      const result = await gql(stack.urls.router, LOCATIONS, { first });
      expect(result.errors).toBeUndefined();
      expect(result.data.locations.nodes).toHaveLength(first);
      return { inventory: stack.databases.inventory.statements.count, sales: stack.databases.sales.statements.count, data: result.data };
    };
    const two = await run(2);
    const six = await run(6);
    expect({ inventory: six.inventory, sales: six.sales }).toEqual({ inventory: two.inventory, sales: two.sales });
    const oslo = six.data.locations.nodes.find((node: { code: string }) => node.code === 'OSL-STORE-10');
    expect(oslo.inventory.totalCount).toBe(7);
    expect(oslo.inventory.nodes.map((node: { onHand: number }) => node.onHand)).toEqual([0, 1, 2, 3, 4]);
    const bergenStock = six.data.locations.nodes.find((node: { code: string }) => node.code === 'BGO-STORE-1').inventory.nodes[0];
    expect(bergenStock.movements).toEqual({ totalCount: 1, nodes: [{ delta: -1, reason: 'SALE' }] });
    expect(oslo.lowStock).toEqual({ totalCount: 3, nodes: [{ onHand: 0 }, { onHand: 1 }, { onHand: 2 }] });
    const bergen = six.data.locations.nodes.find((node: { code: string }) => node.code === 'BGO-STORE-1');
    expect(bergen.sales.totalCount).toBe(3);
    expect(bergen.sales.nodes).toEqual([{ totalAmount: '149.00', lines: [{ quantity: 1 }] }, { totalAmount: '149.00', lines: [{ quantity: 1 }] }]);
    const pages = await gql(stack.urls.router, `query($l: ID!) { location(id: $l) { sales(first: 2) { nodes { id } pageInfo { hasNextPage endCursor } } } }`, { l: locationId });
    const { nodes: firstPage, pageInfo } = pages.data.location.sales;
    expect(pageInfo.hasNextPage).toBe(true);
    const rest = await gql(stack.urls.router, `query($l: ID!, $after: String) { location(id: $l) { sales(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage } } } }`, { l: locationId, after: pageInfo.endCursor });
    expect(rest.data.location.sales.pageInfo.hasNextPage).toBe(false);
    const all = await gql(stack.urls.router, `query($l: ID!) { orders(filter: { locationIds: [$l] }) { nodes { id } } }`, { l: locationId });
    expect([...firstPage, ...rest.data.location.sales.nodes]).toEqual(all.data.orders.nodes);
  });
});
