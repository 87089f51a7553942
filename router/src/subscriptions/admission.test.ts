import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessEventBus } from '@joinery/core';
import { collect, waitUntil, wsClient } from '@joinery/core/testing-ws';
import { JwtVerifier } from '../auth/jwt-verifier';
import { queryLimits } from '../hardening/limits';
import { PersistedOperations } from '../hardening/persisted-operations';
import { SubscriptionHub } from './subscription-hub';
import { serveWebSockets } from './websocket-server';

const schema = buildSchema(`
  type Query { stockChange(id: ID!): StockChange }
  type Subscription { stockChanged(locationId: ID, skus: [ID!]): StockChange! }
  type StockChange { id: ID! delta: Int! }
`);
const LISTED = 'subscription Listed { stockChanged { id delta } }';
const LISTED_ID = 'listed-operation-id';

describe('operations over the socket obey the router\'s persisted list and limits', () => {
  let stop: () => Promise<void>;
  afterEach(async () => {
    await stop?.();
  });

  async function serve(rules: Parameters<typeof serveWebSockets>[0]['rules']) {
    const hub = await SubscriptionHub.start({ bus: new InProcessEventBus(), run: async () => ({ data: null }) });
    const http = createServer();
    const sockets = serveWebSockets({ http, schema: () => schema, hub, run: async () => ({ data: null }), verifier: new JwtVerifier({}), rules });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const client: Client = wsClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`);
    stop = async () => {
      await client.dispose();
      await sockets.dispose();
      await hub.stop();
      await new Promise((resolve) => http.close(resolve));
    };
    return { hub, client };
  }

  it('refuses a subscription over the alias limit, before subscribing it', async () => {
    const { hub, client } = await serve({ limits: queryLimits({ maxAliases: 2 }) });
    const wide = collect(client, 'subscription { stockChanged { a: id b: id c: id } }');
    const narrow = collect(client, 'subscription { stockChanged { a: id b: id } }');
    await waitUntil(() => wide.error !== undefined && hub.subscriberCount === 1);
    expect(wide.error).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) })]);
    expect(narrow.error).toBeUndefined();
  });

  it('in enforce mode, runs only listed subscriptions: by their exact body, or by id alone', async () => {
    const persisted = new PersistedOperations('enforce', { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: LISTED_ID, name: 'Listed', type: 'subscription', body: LISTED }] });
    const { hub, client } = await serve({ limits: queryLimits(), persisted });
    const unlisted = collect(client, 'subscription { stockChanged { id } }');
    await waitUntil(() => unlisted.error !== undefined);
    expect(unlisted.error).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_NOT_IN_LIST' }) })]);
    expect(hub.subscriberCount).toBe(0);

    collect(client, LISTED);
    await waitUntil(() => hub.subscriberCount === 1);
    const byId: unknown[] = [];
    let byIdError: unknown;
    client.subscribe({ query: '', extensions: { persistedQuery: { version: 1, sha256Hash: LISTED_ID } } }, { next: (value) => byId.push(value), error: (error) => (byIdError = error), complete: () => {} });
    await waitUntil(() => hub.subscriberCount === 2);
    expect(byIdError).toBeUndefined();
  });
});
