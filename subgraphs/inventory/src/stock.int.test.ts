import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, gql } from '@joinery/core/testing';
import { startStack, type Stack } from '@joinery/stack';

describe.each(backends())('probe $name', (backend) => {
  let stack: Stack;
  beforeAll(async () => { stack = await startStack({ targets: backend.targets(), ports: { router: 0, inventory: 0, sales: 0, marketing: 0 } }); });
  afterAll(async () => { await stack?.stop(); await backend.cleanup(); });
  it('probe', async () => {
    const url = stack.urls.router;
    console.log(JSON.stringify(await gql(url, `{ products(first: 1000) { totalCount } }`)));
    console.log(JSON.stringify(await gql(url, `{ products(after: "garbage") { totalCount } }`)));
    console.log(JSON.stringify(await gql(stack.urls.inventory, `{ products(first: 1000) { totalCount } }`)));
    console.log(JSON.stringify(await gql(url, `mutation($i: RecordSaleInput!) { recordSale(input: $i) { userErrors { code } } }`, { i: { locationId: 'x', paymentMethod: 'CARD', lines: [{ sku: 'A', quantity: 1, unitPrice: '12.3.4' }] } })));
    console.log(JSON.stringify(await gql(url, `mutation { recordSale(input: { locationId: "x", paymentMethod: CARD, lines: [{ sku: "A", quantity: 1, unitPrice: "abc" }] }) { userErrors { code } } }`)));
    console.log(JSON.stringify(await gql(url, `mutation($i: RecordSaleInput!) { recordSale(input: $i) { userErrors { code } } }`, { i: { locationId: 'x', paymentMethod: 'CARD', orderedAt: '2026-13-45', lines: [{ sku: 'A', quantity: 1 }] } })));
  });
});
