import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, type FormattedExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { InProcessEventBus, signUserToken, type EventEnvelope, type Identity } from '@joinery/core';
import { collect, waitUntil, wsClient } from '@joinery/core/testing-ws';
import { JwtVerifier } from '../auth/jwt-verifier';
import { RequestRateLimits, type RateLimitSettings } from '../hardening/rate-limit';
import { AUTH_CLOSE_CODE, RATE_LIMIT_CLOSE_CODE } from './connection-auth';
import { SubscriptionHub } from './subscription-hub';
import { serveWebSockets, TOO_SLOW_CLOSE_CODE, type OperationRunner } from './websocket-server';

const schema = buildSchema(`
  type Query { stockChange(id: ID!): StockChange me: String }
  type Subscription { stockChanged(locationId: ID, skus: [ID!]): StockChange! }
  type StockChange { id: ID! delta: Int! }
`);

const OSLO = '0193a3c5-7d1e-7000-8000-000000000001';
const BERGEN = '0193a3c5-7d1e-7000-8000-000000000002';

let sequence = 0;
function event(locationId = OSLO): EventEnvelope {
  sequence += 1;
  const now = new Date().toISOString();
  return { id: `0193a3c5-7d1e-7000-8000-${String(sequence).padStart(12, '0')}`, type: 'inventory.stock_changed', version: 1, aggregate: 'x', occurredAt: now, recordedAt: now, payload: { locationId, sku: 'A' } };
}

/** The code and reason the server closed a client's socket with. */
function closedWith(client: Client): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => client.on('closed', (closeEvent) => resolve({ code: (closeEvent as { code: number }).code, reason: String((closeEvent as { reason: string }).reason) })));
}

describe('the router WebSocket endpoint', () => {
  let http: Server;
  let stop: () => Promise<void>;
  afterEach(async () => {
    await stop?.();
  });

  async function serve(run: (query: string, variables: Record<string, unknown>, identity: Identity) => Promise<FormattedExecutionResult>, maxPendingEvents: number, operations: OperationRunner = async () => ({ data: null })) {
    const bus = new InProcessEventBus();
    const hub = await SubscriptionHub.start({ bus, run, maxPendingEvents });
    http = createServer();
    const sockets = serveWebSockets({ http, schema: () => schema, hub, run: operations, verifier: new JwtVerifier({}) });
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

describe('the router WebSocket endpoint\'s authentication', () => {
  let stop: () => Promise<void>;
  afterEach(async () => {
    await stop?.();
  });

  /** A router-like endpoint whose resolutions answer with the event id and record who they ran as. */
  async function serve() {
    const bus = new InProcessEventBus();
    const resolvedAs: Identity[] = [];
    const hub = await SubscriptionHub.start({
      bus,
      run: async (_query, variables, identity) => {
        resolvedAs.push(identity);
        return { data: { stockChanged: { id: String(variables.joineryEventId), delta: 1 } } };
      },
    });
    const operations = vi.fn<OperationRunner>(async (_request, identity) => ({ data: { me: `${identity.subject} (${identity.role})` } }));
    const http = createServer();
    const sockets = serveWebSockets({ http, schema: () => schema, hub, run: operations, verifier: new JwtVerifier({}) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const clients: Client[] = [];
    stop = async () => {
      for (const client of clients) await client.dispose();
      await sockets.dispose();
      await hub.stop();
      await new Promise((resolve) => http.close(resolve));
    };
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
    const client = (options: Parameters<typeof wsClient>[1]) => {
      const created = wsClient(url, options);
      clients.push(created);
      return created;
    };
    return { bus, hub, url, client, operations, resolvedAs };
  }

  it('closes a connection without a valid token with 4403 naming why, and delivers nothing to it', async () => {
    const { bus, hub, client, resolvedAs } = await serve();
    const forged = await signUserToken({ subject: 'mallory', role: 'admin', locations: ['*'] }, 'a-secret-that-is-not-the-routers-secret');
    const expired = await signUserToken({ subject: 'maria', role: 'admin', locations: ['*'], expiresInSeconds: -60 });
    // A bad token's reason is the verifier's own message (jwt-verifier.test.ts tests those words).
    const verifierSays = (token: string) => new JwtVerifier({}).verify(token).then(() => 'accepted', (error: Error) => error.message);
    const cases = [
      { params: {}, reason: 'Authentication required: send { authorization: "Bearer <token>" } in connection_init' },
      { params: { authorization: `Bearer ${forged}` }, reason: await verifierSays(forged) },
      { params: { authorization: `Bearer ${expired}` }, reason: await verifierSays(expired) },
      { params: { authorization: 'Basic bWFyaWE6c2VjcmV0' }, reason: 'connection_init\'s authorization must be "Bearer <token>"' },
    ];
    for (const { params, reason } of cases) {
      const refused = client({ connectionParams: params });
      const closed = closedWith(refused);
      const live = collect(refused, 'subscription { stockChanged { id } }');
      expect(await closed).toEqual({ code: AUTH_CLOSE_CODE, reason });
      await waitUntil(() => live.error !== undefined);
      await bus.publish('inventory.stock', [event()]);
      expect(live.results).toEqual([]);
    }
    expect(cases.map(({ reason }) => reason)).not.toContain('accepted');
    expect(hub.subscriberCount).toBe(0);
    expect(resolvedAs).toEqual([]);
  });

  it('accepts the token as `token` in connection_init, or in the upgrade request\'s Authorization header', async () => {
    const { client, url, operations } = await serve();
    const token = await signUserToken({ subject: 'maria', role: 'manager', locations: [OSLO] });
    const byToken = client({ connectionParams: { token } });
    const me = await new Promise((resolve, reject) => byToken.subscribe({ query: '{ me }' }, { next: resolve, error: reject, complete: () => {} }));
    expect(me).toEqual({ data: { me: 'maria (manager)' } });

    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: { authorization: `Bearer ${token}` } });
    const messages: { type: string; payload?: unknown }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.on('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await waitUntil(() => messages.length === 1);
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ me }' } }));
    await waitUntil(() => messages.length >= 2);
    expect(messages.slice(0, 2)).toEqual([{ type: 'connection_ack' }, { id: '1', type: 'next', payload: { data: { me: 'maria (manager)' } } }]);
    socket.close();
    expect(operations.mock.calls.map(([, identity]) => identity)).toEqual([expect.objectContaining({ subject: 'maria', role: 'manager', locations: [OSLO] }), expect.objectContaining({ subject: 'maria', role: 'manager', locations: [OSLO] })]);
  });

  it('closes the socket with 4403 "token expired" when the token expires mid-subscription', async () => {
    const { bus, hub, client } = await serve();
    const token = await signUserToken({ subject: 'maria', role: 'manager', locations: [OSLO], expiresInSeconds: 2 });
    const expiring = client({ connectionParams: { authorization: `Bearer ${token}` } });
    const closed = closedWith(expiring);
    const live = collect(expiring, 'subscription { stockChanged { id } }');
    await waitUntil(() => hub.subscriberCount === 1);
    const first = event();
    await bus.publish('inventory.stock', [first]);
    expect((await live.next(1))[0]).toEqual({ data: { stockChanged: { id: first.id, delta: 1 } } });
    const at = await closed;
    expect(at).toEqual({ code: AUTH_CLOSE_CODE, reason: 'token expired: reconnect with a fresh token' });
    // Not before its exp (seconds, so the close comes at most a second after that second began).
    expect(Date.now()).toBeGreaterThanOrEqual(JwtVerifier.expiresAt(token)! * 1000);
    await waitUntil(() => hub.subscriberCount === 0, 1_000, 'the subscription to end');
  }, 10_000);

  it('scopes a subscription to the connection\'s locations, resolving as its identity, and refuses an out-of-scope location argument', async () => {
    const { bus, hub, client, resolvedAs } = await serve();
    const manager = client({ caller: { role: 'manager', locations: [OSLO], subject: 'maria' } });
    const everything = collect(manager, 'subscription { stockChanged { id } }');
    const elsewhere = collect(manager, 'subscription($l: ID) { stockChanged(locationId: $l) { id } }', { l: BERGEN });
    await waitUntil(() => hub.subscriberCount === 1 && elsewhere.error !== undefined);
    expect(elsewhere.error).toEqual([expect.objectContaining({ message: `Location ${BERGEN} is outside your locations: you may subscribe to events at your own locations only`, extensions: { code: 'FORBIDDEN' } })]);
    const atBergen = event(BERGEN);
    const atOslo = event(OSLO);
    await bus.publish('inventory.stock', [atBergen]);
    await bus.publish('inventory.stock', [atOslo]);
    expect(await everything.next(1)).toEqual([{ data: { stockChanged: { id: atOslo.id, delta: 1 } } }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(everything.results).toHaveLength(1);
    expect(resolvedAs).toEqual([expect.objectContaining({ subject: 'maria', role: 'manager', locations: [OSLO] })]);
  });
});

const stores: { name: string; settings: () => Partial<RateLimitSettings> }[] = [{ name: 'memory', settings: () => ({}) }];
if (process.env.REDIS_URL) stores.push({ name: 'redis', settings: () => ({ redisUrl: process.env.REDIS_URL, keyPrefix: `test:${randomBytes(5).toString('hex')}:ratelimit:` }) });

describe.each(stores)('the router WebSocket endpoint\'s limits (counts in $name)', (store) => {
  let stop: () => Promise<void>;
  afterEach(async () => {
    await stop?.();
  });

  /** An endpoint with the router's rate limits and a per-subject connection cap; operations answer who ran them. */
  async function serve(settings: Partial<RateLimitSettings>, maxConnectionsPerSubject?: number, maxSubscriptionsPerConnection?: number) {
    const bus = new InProcessEventBus();
    const hub = await SubscriptionHub.start({ bus, run: async () => ({ data: null }) });
    const rateLimits = await RequestRateLimits.open({ ...store.settings(), ...settings });
    const operations = vi.fn<OperationRunner>(async (_request, identity) => ({ data: { me: identity.subject } }));
    const http = createServer();
    const sockets = serveWebSockets({ http, schema: () => schema, hub, run: operations, verifier: new JwtVerifier({}), rateLimits, maxConnectionsPerSubject, maxSubscriptionsPerConnection });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const clients: Client[] = [];
    stop = async () => {
      for (const client of clients) await client.dispose();
      await sockets.dispose();
      await hub.stop();
      await rateLimits.close();
      await new Promise((resolve) => http.close(resolve));
    };
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
    const client = (options: Parameters<typeof wsClient>[1]) => {
      const created = wsClient(url, options);
      clients.push(created);
      return created;
    };
    return { url, client, operations, sockets, hub };
  }

  /** Whether a client got connection_ack, or the code and reason it was closed with first. */
  const outcome = (client: Client) =>
    new Promise<'connected' | { code: number; reason: string }>((resolve) => {
      client.on('connected', () => resolve('connected'));
      client.on('closed', (closeEvent) => resolve({ code: (closeEvent as { code: number }).code, reason: String((closeEvent as { reason: string }).reason) }));
    });

  const run = (client: Client, query = '{ me }') =>
    new Promise<unknown>((resolve) => {
      let result: unknown;
      client.subscribe({ query }, { next: (value) => (result = value), error: (errors) => resolve({ errors }), complete: () => resolve(result) });
    });

  it('refuses the upgrade with HTTP 429 and Retry-After, before the handshake, once the IP is over its limit', async () => {
    const { url, client } = await serve({ perIp: 2 });
    for (let i = 0; i < 2; i += 1) expect(await outcome(client({ caller: { role: 'admin', subject: `a${i}` } }))).toBe('connected');
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const refused = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      socket.on('open', () => reject(new Error('the upgrade was accepted')));
      socket.on('error', () => {});
      socket.on('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'] as string | undefined, body }));
      });
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatch(/^Too many requests from this address \(at most 2 per 60 s\)/);
  });

  it('counts bad connection_init tokens against the IP: over the limit closes 4429, while a valid token still connects', async () => {
    const { client, operations } = await serve({ authFailuresPerIp: 2 });
    const bad = () => client({ connectionParams: { authorization: 'Bearer not.a.token' } });
    for (let i = 0; i < 2; i += 1) expect(await outcome(bad())).toEqual({ code: AUTH_CLOSE_CODE, reason: 'The token is not valid' });
    expect(await outcome(bad())).toEqual({ code: RATE_LIMIT_CLOSE_CODE, reason: expect.stringMatching(/^Too many requests with a missing or invalid token from this address \(at most 2 per 60 s\); retry in \d+ s$/) });
    expect(await outcome(client({ connectionParams: {} }))).toMatchObject({ code: RATE_LIMIT_CLOSE_CODE });
    const good = client({ caller: { role: 'manager', locations: [OSLO], subject: 'maria' } });
    expect(await outcome(good)).toBe('connected');
    expect(await run(good)).toEqual({ data: { me: 'maria' } });
    expect(operations).toHaveBeenCalledOnce();
  });

  it('counts each subscribe message against the subject\'s limit, refusing the operation with RATE_LIMITED and keeping the socket', async () => {
    const { client, operations, sockets } = await serve({ perSubject: 3 });
    const flooder = client({ caller: { role: 'admin', subject: 'flooder' } });
    let closed = false;
    flooder.on('closed', () => (closed = true));
    for (let i = 0; i < 3; i += 1) expect(await run(flooder)).toEqual({ data: { me: 'flooder' } });
    expect(await run(flooder)).toEqual({ errors: [expect.objectContaining({ message: expect.stringMatching(/^Too many requests for this user \(at most 3 per 60 s\); retry in \d+ s$/), extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) } })] });
    // Subscriptions count too.
    expect(await run(flooder, 'subscription { stockChanged { id } }')).toEqual({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) })] });
    expect(operations).toHaveBeenCalledTimes(3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    expect(sockets.connections).toBe(1);
    const calm = client({ caller: { role: 'admin', subject: 'calm' } });
    expect(await run(calm)).toEqual({ data: { me: 'calm' } });
  });

  it('still caps subscriptions per connection when several arrive at once while their subject is counted', async () => {
    const { client, hub } = await serve({ perSubject: 1_000 }, undefined, 3);
    const connection = client({ caller: { role: 'admin', subject: 'many' } });
    const all = Array.from({ length: 5 }, () => collect(connection, 'subscription { stockChanged { id } }'));
    await waitUntil(() => all.filter((each) => each.error !== undefined).length === 2 && hub.subscriberCount === 3);
    expect(all.map((each) => each.error)).toEqual([undefined, undefined, undefined, [expect.objectContaining({ message: 'A connection may hold at most 3 subscriptions; complete one first' })], [expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })]]);
  });

  it('caps the connections one subject holds open: one more is closed 4429; closing one makes room', async () => {
    const { client, sockets } = await serve({}, 2);
    const maria = () => client({ caller: { role: 'manager', locations: [OSLO], subject: 'maria' } });
    const [first, second] = [maria(), maria()];
    expect(await Promise.all([outcome(first), outcome(second)])).toEqual(['connected', 'connected']);
    expect(await outcome(maria())).toEqual({ code: RATE_LIMIT_CLOSE_CODE, reason: 'Too many open connections for this user (at most 2); close one first' });
    expect(await outcome(client({ caller: { role: 'manager', locations: [OSLO], subject: 'ola' } }))).toBe('connected');
    await first.dispose();
    await waitUntil(() => sockets.connections === 2, 2_000, 'the closed connection to be released');
    expect(await outcome(maria())).toBe('connected');
  });

  it('caps concurrent connection attempts too', async () => {
    const { client } = await serve({}, 3);
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => outcome(client({ caller: { role: 'admin', subject: 'burst' } }))));
    expect(outcomes.filter((each) => each === 'connected')).toHaveLength(3);
    expect(outcomes.filter((each) => each !== 'connected')).toEqual(Array(5).fill({ code: RATE_LIMIT_CLOSE_CODE, reason: expect.stringMatching(/^Too many open connections/) }));
  });
});
