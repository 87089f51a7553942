import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, type FormattedExecutionResult } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessEventBus, type EventEnvelope } from '@joinery/core';
import { collect, waitUntil, wsClient } from '@joinery/core/testing-ws';
import { SubscriptionHub } from './subscription-hub';
import { serveWebSockets, TOO_SLOW_CLOSE_CODE } from './websocket-server';

const schema = buildSchema(`
  type Query { stockChange(id: ID!): StockChange }
  type Subscription { stockChanged(locationId: ID, skus: [ID!]): StockChange! }
  type StockChange { id: ID! delta: Int! }
`);

let sequence = 0;
function event(): EventEnvelope {
  sequence += 1;
  const now = new Date().toISOString();
  return { id: `0193a3c5-7d1e-7000-8000-${String(sequence).padStart(12, '0')}`, type: 'inventory.stock_changed', version: 1, aggregate: 'x', occurredAt: now, recordedAt: now, payload: { locationId: 'x', sku: 'A' } };
}

describe('the router WebSocket endpoint', () => {
  let http: Server;
  let stop: () => Promise<void>;
  afterEach(async () => {
    await stop?.();
  });

  async function serve(run: (query: string, variables: Record<string, unknown>) => Promise<FormattedExecutionResult>, maxPendingEvents: number) {
    const bus = new InProcessEventBus();
    const hub = await SubscriptionHub.start({ bus, run, maxPendingEvents });
    http = createServer();
    const sockets = serveWebSockets({ http, schema: () => schema, hub, run: async () => ({ data: null }) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    stop = async () => {
      await sockets.dispose();
      await hub.stop();
      await new Promise((resolve) => http.close(resolve));
    };
    return { bus, hub, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql` };
  }

  it('closes a subscriber that falls too far behind with 1013 (try again later), keeping the others', async () => {
    // Events for the slow subscriber resolve never, so they pile up as they would behind a client that does not read.
    const { bus, hub, url } = await serve((_query, variables) => (variables.joineryEventId ? new Promise(() => {}) : Promise.resolve({ data: null })), 5);
    const slowClient = wsClient(url);
    const closed = new Promise<number>((resolve) => slowClient.on('closed', (event) => resolve((event as { code: number }).code)));
    collect(slowClient, 'subscription { stockChanged { delta } }');
    await waitUntil(() => hub.subscriberCount === 1);
    // One result is taken by the sender as it waits; five more fill the queue; the next one is one too many.
    for (let i = 0; i < 7; i += 1) await bus.publish('inventory.stock', [event()]);
    expect(await closed).toBe(TOO_SLOW_CLOSE_CODE);
    expect(hub.subscriberCount).toBe(0);
    await slowClient.dispose();
  });

  it('keeps a subscriber that reads what arrives', async () => {
    const { bus, hub, url } = await serve(async (_query, variables) => ({ data: { stockChanged: { id: String(variables.joineryEventId), delta: 1 } } }), 60);
    const client = wsClient(url);
    const live = collect(client, 'subscription { stockChanged { id delta } }');
    await waitUntil(() => hub.subscriberCount === 1);
    const events = Array.from({ length: 50 }, event);
    // A burst within the limit: the client reads it all, in order, and is not dropped.
    for (const each of events) await bus.publish('inventory.stock', [each]);
    const results = await live.next(events.length);
    expect(results.map((result) => result.data.stockChanged.id)).toEqual(events.map((each) => each.id));
    await client.dispose();
  });
});
