/**
 * A return end to end through the router and the real inventory subgraph: the goods go back into
 * stock (RESTOCK as available, DAMAGED as damaged) under the return's id and the clerk's name, the
 * order shows the return, and the sales relay publishes the order's events on `sales.orders`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@joinery/core';
import { backends, createTestLocation, expectData } from '@joinery/core/testing';
import { startStack, type Stack } from '@joinery/stack';
import { gqlAs } from './fake-owners';
import { ORDER_CONFIRMED, ORDER_RETURNED, SALES_TOPIC } from './sales-events';

describe.each(backends())('a return through the router on $name', (backend) => {
  let stack: Stack;
  const published: EventEnvelope[] = [];
  const as = (actor: string, query: string, variables?: Record<string, unknown>) => gqlAs(stack.urls.router, actor, query, variables);

  beforeAll(async () => {
    const bus = await backend.bus();
    await bus.subscribe(SALES_TOPIC, (event) => published.push(event));
    stack = await startStack({ targets: backend.targets(), ports: { router: 0, inventory: 0, sales: 0, marketing: 0 }, bus });
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  async function level(locationId: string, sku: string) {
    const data = await expectData(stack.urls.router, `query($sku: ID!) { product(sku: $sku) { inventory { location { id } onHand available damaged
      movements(first: 50) { nodes { state delta reason reference actor } } } } }`, { sku });
    return data.product.inventory.find((row: { location: { id: string } }) => row.location.id === locationId);
  }

  it('puts RESTOCK lines back as available and DAMAGED lines as damaged, and publishes the order confirmed then returned', async () => {
    const locationId = await createTestLocation(stack.urls.router, 'RETURN-STORE');
    for (const [sku, price] of [['RT-SOFA', '1999.00'], ['RT-LAMP', '120.00']]) {
      const created = await expectData(stack.urls.router, `mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, {
        input: { sku, name: `Product ${sku}`, category: 'sofas', price },
      });
      expect(created.createProduct.userErrors).toEqual([]);
      const adjusted = await expectData(stack.urls.router, `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { userErrors { message } } }`, {
        input: { locationId, sku, delta: 5, reason: 'RECEIVED' },
      });
      expect(adjusted.adjustInventory.userErrors).toEqual([]);
    }
    const sold = await as('till-3', `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { message } } }`, {
      input: { locationId, paymentMethod: 'CARD', lines: [{ sku: 'RT-SOFA', quantity: 2 }, { sku: 'RT-LAMP', quantity: 3 }] },
    });
    expect(sold.data!.recordSale.userErrors).toEqual([]);
    const orderId = sold.data!.recordSale.order.id;

    const result = await as('clerk-eva', `mutation($input: ReturnSaleLinesInput!) { returnSaleLines(input: $input) {
      return { id createdBy refundTotal location { id } order { id lines { product { sku } returnedQuantity } } lines { product { sku } quantity condition refundAmount } }
      userErrors { code field message } } }`, {
      input: { orderId, reason: 'changed mind', idempotencyKey: 'rt-1', lines: [{ sku: 'RT-SOFA', quantity: 1, condition: 'RESTOCK' }, { sku: 'RT-LAMP', quantity: 2, condition: 'DAMAGED' }] },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.returnSaleLines.userErrors).toEqual([]);
    const returned = result.data!.returnSaleLines.return;
    expect(returned).toEqual({
      id: expect.any(String),
      createdBy: 'clerk-eva',
      refundTotal: '2239.00',
      location: { id: locationId },
      order: { id: orderId, lines: [{ product: { sku: 'RT-SOFA' }, returnedQuantity: 1 }, { product: { sku: 'RT-LAMP' }, returnedQuantity: 2 }] },
      lines: [
        { product: { sku: 'RT-SOFA' }, quantity: 1, condition: 'RESTOCK', refundAmount: '1999.00' },
        { product: { sku: 'RT-LAMP' }, quantity: 2, condition: 'DAMAGED', refundAmount: '240.00' },
      ],
    });

    const sofa = await level(locationId, 'RT-SOFA');
    expect(sofa).toMatchObject({ onHand: 4, available: 4, damaged: 0 });
    expect(sofa.movements.nodes.filter((movement: { reason: string }) => movement.reason !== 'RECEIVED')).toEqual([
      expect.objectContaining({ delta: 1, reason: 'RETURN', reference: returned.id, actor: 'clerk-eva' }),
      expect.objectContaining({ delta: -2, reason: 'SALE', reference: orderId, actor: 'till-3' }),
    ]);
    const lamp = await level(locationId, 'RT-LAMP');
    expect(lamp).toMatchObject({ onHand: 4, available: 2, damaged: 2 });
    // Inventory's ledger: a damaged return adds to on-hand (AVAILABLE) and to damaged.
    const lampReturns = lamp.movements.nodes.filter((movement: { reason: string }) => movement.reason === 'RETURN');
    expect(lampReturns).toContainEqual(expect.objectContaining({ state: 'DAMAGED', delta: 2 }));
    for (const movement of lampReturns) expect(movement).toMatchObject({ reference: returned.id, actor: 'clerk-eva' });

    // A retry changes no stock and publishes nothing more.
    const again = await as('clerk-eva', `mutation($input: ReturnSaleLinesInput!) { returnSaleLines(input: $input) { return { id } userErrors { code } } }`, {
      input: { orderId, reason: 'changed mind', idempotencyKey: 'rt-1', lines: [{ sku: 'RT-SOFA', quantity: 1, condition: 'RESTOCK' }, { sku: 'RT-LAMP', quantity: 2, condition: 'DAMAGED' }] },
    });
    expect(again.data!.returnSaleLines).toEqual({ return: { id: returned.id }, userErrors: [] });
    expect((await level(locationId, 'RT-LAMP')).damaged).toBe(2);

    await expect.poll(() => published.filter((event) => event.aggregate === orderId).map((event) => event.type), { timeout: 5_000 }).toEqual([ORDER_CONFIRMED, ORDER_RETURNED]);
    expect(published.find((event) => event.type === ORDER_RETURNED)!.payload).toMatchObject({ returnId: returned.id, orderId, locationId, refundTotal: '2239.00' });
  });
});
