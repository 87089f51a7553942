/**
 * Customer segments end to end: sales recorded through the router reach marketing as order facts
 * (`sales.order_confirmed` → consumer `marketing.attribution`), a refresh scores them, and the
 * segments read back through the router with their locations resolved by inventory.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestLocation, expectData } from '@joinery/core/testing';
import { startStack, type Stack } from '@joinery/stack';

const DAY = 86_400_000;

describe.each(backends())('customer segments through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;
  let oslo: string;
  let bergen: string;
  const ok = (query: string, variables?: Record<string, unknown>) => expectData(url, query, variables);

  async function sell(locationId: string, customerId: string, quantity: number, daysAgo: number) {
    const data = await ok(`mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id totalAmount } userErrors { message } } }`, {
      input: { locationId, customerId, paymentMethod: 'CARD', lines: [{ sku: 'SEG-CHAIR', quantity }], orderedAt: new Date(Date.now() - daysAgo * DAY - 3_600_000).toISOString() },
    });
    expect(data.recordSale.userErrors).toEqual([]);
  }

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports: { router: 0, inventory: 0, sales: 0, marketing: 0 }, bus: await backend.bus() });
    url = stack.urls.router;
    oslo = await createTestLocation(url, 'SEG-OSLO', 'Oslo Store');
    bergen = await createTestLocation(url, 'SEG-BERGEN', 'Bergen Store');
    expect((await ok(`mutation { createProduct(input: { sku: "SEG-CHAIR", name: "Chair", category: "chairs", price: "100.00" }) { userErrors { message } } }`)).createProduct.userErrors).toEqual([]);
    for (const locationId of [oslo, bergen]) {
      const adjusted = await ok(`mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { userErrors { message } } }`, { input: { locationId, sku: 'SEG-CHAIR', delta: 50, reason: 'RECEIVED' } });
      expect(adjusted.adjustInventory.userErrors).toEqual([]);
    }
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it('scores the sales once their facts arrive, overall and per location', async () => {
    await sell(oslo, 'anna', 2, 3);
    await sell(oslo, 'anna', 1, 1);
    await sell(bergen, 'bo', 1, 0);
    await sell(oslo, 'cy', 1, 10);
    for (let attempt = 0; (await stack.marketing.prisma.marketingOrder.count()) < 4; attempt += 1) {
      if (attempt > 400) throw new Error('the order facts did not reach marketing');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }

    const refreshed = await ok(`mutation { refreshCustomerSegments { refresh { customerCount entryCount } userErrors { message } } }`);
    // Overall: anna, bo, cy; Oslo: anna, cy; Bergen: bo.
    expect(refreshed.refreshCustomerSegments).toEqual({ refresh: { customerCount: 3, entryCount: 6 }, userErrors: [] });

    const data = await ok(`query($oslo: ID!, $nowhere: ID!) {
      overall: customerRfm(customerId: "anna") { recencyDays frequency monetary recencyScore frequencyScore monetaryScore segment location { id } }
      bo: customerRfm(customerId: "bo") { recencyScore frequencyScore monetaryScore segment }
      atOslo: customerRfm(customerId: "anna", locationId: $oslo) { recencyScore frequencyScore monetaryScore segment location { id name } }
      report: customerSegments(locationId: $oslo) { customerCount location { name } segments { segment customerCount revenue } }
      nowhere: customerSegments(locationId: $nowhere) { asOf customerCount location { id name } segments { customerCount } }
    }`, { oslo, nowhere: randomUUID() });
    // score = least(5, 1 + floor(5 (rank − 1) / (n − 1))), ranks from worst, ties sharing the lowest.
    // Overall, n = 3: rank 1, 2, 3 -> 1, 3 (1 + floor(5 / 2)), 5 (least(5, 6)).
    // R by days desc: cy 10 (1 -> 1), anna 1 (2 -> 3), bo 0 (3 -> 5); F: bo = cy 1 (1 -> 1), anna 2 (3 -> 5);
    // M: bo = cy 100 (1 -> 1), anna 300 (3 -> 5). anna: R 3, FM 5 -> LOYAL; bo: R 5, FM 1 -> NEW_CUSTOMERS.
    expect(data.overall).toEqual({ recencyDays: 1, frequency: 2, monetary: '300.00', recencyScore: 3, frequencyScore: 5, monetaryScore: 5, segment: 'LOYAL', location: null });
    expect(data.bo).toEqual({ recencyScore: 5, frequencyScore: 1, monetaryScore: 1, segment: 'NEW_CUSTOMERS' });
    // Oslo, n = 2: rank 1 -> 1, rank 2 -> least(5, 1 + 5) = 5. anna is the better of the two on each: 555 -> CHAMPIONS.
    expect(data.atOslo).toEqual({ recencyScore: 5, frequencyScore: 5, monetaryScore: 5, segment: 'CHAMPIONS', location: { id: oslo, name: 'Oslo Store' } });
    expect(data.report.customerCount).toBe(2);
    expect(data.report.location).toEqual({ name: 'Oslo Store' });
    // cy at Oslo: 111 -> LOST.
    expect(data.report.segments.filter((row: { customerCount: number }) => row.customerCount)).toEqual([
      { segment: 'CHAMPIONS', customerCount: 1, revenue: '300.00' },
      { segment: 'LOST', customerCount: 1, revenue: '100.00' },
    ]);
    // A well-formed id of no location: an empty report (marketing cannot tell it from a location without orders), location null.
    expect(data.nowhere).toEqual({ asOf: expect.any(String), customerCount: 0, location: null, segments: new Array(11).fill({ customerCount: 0 }) });
  });
});
