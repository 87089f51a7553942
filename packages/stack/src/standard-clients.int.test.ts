/**
 * The clients dashboards use, unchanged: Apollo Client (GraphQLWsLink) and urql
 * (subscriptionExchange), both over the graphql-ws client, subscribe to the router.
 */
import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { Client as UrqlClient, subscriptionExchange } from '@urql/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestLocation, expectData } from '@joinery/core/testing';
import { waitUntil, wsClient } from '@joinery/core/testing-ws';
import { startStack, type Stack } from './stack';

const SUBSCRIPTION = `subscription($l: ID) { stockChanged(locationId: $l) { delta onHand product { sku name } location { name } } }`;

describe('standard GraphQL clients subscribe through the router', () => {
  let stack: Stack;
  let oslo: string;
  const adjust = (delta: number) =>
    expectData(stack.urls.router, `mutation($l: ID!, $d: Int!) { adjustInventory(input: { locationId: $l, sku: "OAK-TBL-180", delta: $d, reason: RECEIVED }) { userErrors { message } } }`, { l: oslo, d: delta });

  beforeAll(async () => {
    stack = await startStack({ targets: { inventory: { kind: 'pglite' }, sales: { kind: 'pglite' }, marketing: { kind: 'pglite' } }, ports: { router: 0, inventory: 0, sales: 0, marketing: 0 } });
    oslo = await createTestLocation(stack.urls.router, 'OSL-STORE-1', 'Oslo Store');
    await expectData(stack.urls.router, `mutation { createProduct(input: { sku: "OAK-TBL-180", name: "Oak Table", category: "tables", price: "1299.00" }) { userErrors { message } } }`);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Apollo Client with GraphQLWsLink', async () => {
    const ws = wsClient(stack.urls.router);
    const client = new ApolloClient({ link: new GraphQLWsLink(ws), cache: new InMemoryCache() });
    const received: unknown[] = [];
    const subscription = client.subscribe({ query: gql(SUBSCRIPTION), variables: { l: oslo } }).subscribe({ next: (result) => received.push(result.data) });
    await waitUntil(() => stack.router.hub!.subscriberCount === 1);
    await adjust(4);
    await waitUntil(() => received.length === 1);
    expect(received[0]).toMatchObject({ stockChanged: { delta: 4, onHand: 4, product: { sku: 'OAK-TBL-180', name: 'Oak Table' }, location: { name: 'Oslo Store' } } });
    subscription.unsubscribe();
    client.stop();
    await ws.dispose();
    await waitUntil(() => stack.router.hub!.subscriberCount === 0);
  });

  it('urql with subscriptionExchange', async () => {
    const ws = wsClient(stack.urls.router);
    const client = new UrqlClient({
      url: stack.urls.router,
      exchanges: [
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
          }),
        }),
      ],
    });
    const received: unknown[] = [];
    const subscription = client.subscription(SUBSCRIPTION, { l: oslo }).subscribe((result) => received.push(result.data));
    await waitUntil(() => stack.router.hub!.subscriberCount === 1);
    await adjust(-1);
    await waitUntil(() => received.length === 1);
    expect(received[0]).toMatchObject({ stockChanged: { delta: -1, onHand: 3, product: { sku: 'OAK-TBL-180' } } });
    subscription.unsubscribe();
    await ws.dispose();
    await waitUntil(() => stack.router.hub!.subscriberCount === 0);
  });
});
