/**
 * The router's authentication and hardening through a real stack: each refusal is checked for its
 * answer AND for having changed nothing (the stock level, read back as an admin). PGlite, and
 * PostgreSQL with Redis (rate limits shared through it) when DATABASE_URL / REDIS_URL are set.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPMENT_JWT_SECRET, IDENTITY_HEADER, InProcessEventBus, InternalAuth, signUserToken, type SubgraphName } from '@joinery/core';
import { authHeaders, backends, createTestLocation, expectData } from '@joinery/core/testing';
import { wsClient } from '@joinery/core/testing-ws';
import { buildRouter, PersistedOperations, readSupergraph, type Router, type RouterOptions } from '@joinery/router';
import { startStack, type Stack } from './stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };
const SKU = 'OAK-TBL-180';
const ADJUST = `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 5, reason: RECEIVED }) { level { onHand } userErrors { message } } }`;

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function send(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

const now = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const unsigned = (payload: object) => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

describe.each(backends())('security through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;
  let oslo: string;
  let admin: Record<string, string>;
  const extraRouters: Router[] = [];

  /** On-hand stock of the test product at Oslo, read as an admin: what every refusal must leave alone. */
  const onHand = async (): Promise<number> => {
    const data = await expectData(url, `query($l: ID!) { location(id: $l) { inventory(first: 10) { nodes { product { sku } onHand } } } }`, { l: oslo });
    return data.location.inventory.nodes.find((node: { product: { sku: string } }) => node.product.sku === SKU)?.onHand ?? 0;
  };

  /** Runs `attempt` and checks it changed no stock; returns what it answered. */
  const unchanged = async <T>(attempt: () => Promise<T>): Promise<T> => {
    const before = await onHand();
    const answer = await attempt();
    expect(await onHand()).toBe(before);
    return answer;
  };

  /** Another router in front of the same subgraphs, with settings of its own. */
  const router = async (options: Partial<RouterOptions>): Promise<string> => {
    const built = await buildRouter({ supergraphSdl: readSupergraph(), subgraphUrls: { inventory: stack.urls.inventory, sales: stack.urls.sales, marketing: stack.urls.marketing }, ...options });
    extraRouters.push(built);
    return built.listen(0, '127.0.0.1');
  };

  /** Rate limits counted in Redis when the backend has it (shared by routers), in memory otherwise. */
  const sharedCounts = () => (backend.name === 'postgres' && process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL, keyPrefix: `test:${randomBytes(5).toString('hex')}:ratelimit:` } : {});

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports, bus: await backend.bus() });
    url = stack.urls.router;
    admin = await authHeaders();
    oslo = await createTestLocation(url, 'OSL-SEC-1');
    await expectData(url, `mutation { createProduct(input: { sku: "${SKU}", name: "Oak Dining Table 180 cm", category: "tables", price: "1299.00" }) { userErrors { message } } }`);
    await expectData(url, ADJUST, { l: oslo });
    expect(await onHand()).toBe(5);
  });
  afterAll(async () => {
    await Promise.all(extraRouters.map((built) => built.stop()));
    await stack?.stop();
    await backend.cleanup();
  });

  describe('authentication', () => {
    it('refuses a request without a token with 401 and WWW-Authenticate: Bearer', async () => {
      const answer = await unchanged(() => send(url, { query: ADJUST, variables: { l: oslo } }));
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(answer.body).toEqual({ errors: [{ message: 'Authentication required: send Authorization: Bearer <token>', extensions: { code: 'UNAUTHENTICATED', requestId: answer.headers.get('x-request-id') } }] });
    });

    it('refuses forged, expired, unsigned (alg none) and role-less tokens', async () => {
      const claims = { sub: 'mallory', role: 'admin', locations: ['*'] };
      const forged = await new SignJWT({ ...claims, exp: now() + 600 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a-guessed-secret-of-at-least-32-characters'));
      const expired = await new SignJWT({ ...claims, exp: now() - 120 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
      const roleless = await new SignJWT({ sub: 'nobody', locations: ['*'], exp: now() + 600 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
      for (const [token, status, code, message] of [
        [forged, 401, 'UNAUTHENTICATED', 'The token signature is not valid'],
        [expired, 401, 'UNAUTHENTICATED', 'The token has expired'],
        [unsigned({ ...claims, exp: now() + 600 }), 401, 'UNAUTHENTICATED', /./],
        [roleless, 403, 'FORBIDDEN', /no Joinery role/],
      ] as const) {
        const answer = await unchanged(() => send(url, { query: ADJUST, variables: { l: oslo } }, bearer(token)));
        expect(answer.status, String(message)).toBe(status);
        expect(answer.body.data).toBeUndefined();
        expect(answer.body.errors).toEqual([{ message: expect.stringMatching(message), extensions: { code, requestId: expect.any(String) } }]);
      }
    });

    it('refuses an internal identity token as a bearer token, even at a router whose JWT secret signed it', async () => {
      // The misconfiguration config refuses (JWT_SECRET = INTERNAL_AUTH_SECRET), built directly.
      const shared = 'one-secret-for-both-of-at-least-32-characters';
      const misconfigured = await router({ jwt: { secret: shared }, internalAuth: new InternalAuth(shared) });
      const internal = await new InternalAuth(shared).sign({ subject: 'boss', role: 'admin', locations: '*', actor: 'boss' });
      const answer = await unchanged(() => send(misconfigured, { query: ADJUST, variables: { l: oslo } }, bearer(internal)));
      expect(answer.status).toBe(401);
      expect(answer.body.errors).toEqual([{ message: 'The token is an internal Joinery identity token, not a user token', extensions: { code: 'UNAUTHENTICATED', requestId: expect.any(String) } }]);
    });

    it('does not take a joinery-identity header from a client in place of a token', async () => {
      const { [IDENTITY_HEADER]: identity } = await authHeaders();
      const answer = await unchanged(() => send(url, { query: ADJUST, variables: { l: oslo } }, { [IDENTITY_HEADER]: identity! }));
      expect(answer.status).toBe(401);
    });
  });

  describe('subgraphs answer only the router', () => {
    const calls: Record<SubgraphName, string[]> = {
      inventory: [
        '{ locations { nodes { id } } }',
        `mutation { adjustInventory(input: { locationId: "LOCATION", sku: "${SKU}", delta: 100, reason: RECEIVED }) { level { onHand } } }`,
        `query { _entities(representations: [{ __typename: "Location", id: "LOCATION" }]) { ... on Location { id } } }`,
        '{ _service { sdl } }',
      ],
      sales: ['{ _service { sdl } }', `query { _entities(representations: [{ __typename: "Location", id: "LOCATION" }]) { ... on Location { id } } }`],
      marketing: ['{ _service { sdl } }', '{ campaigns { nodes { id } } }'],
    };

    it('refuses queries, mutations, _entities and _service without a signed identity (401, nothing run)', async () => {
      const forgedIdentity = await new InternalAuth('not-the-internal-secret-but-32-characters-long').sign({ subject: 'mallory', role: 'service', locations: '*', actor: 'mallory' });
      for (const [subgraph, queries] of Object.entries(calls) as [SubgraphName, string[]][]) {
        for (const query of queries) {
          for (const headers of [{}, bearer(await signUserToken({ subject: 'mallory', role: 'admin', locations: ['*'] })), { [IDENTITY_HEADER]: forgedIdentity }] as Record<string, string>[]) {
            const answer = await unchanged(() => send(stack.urls[subgraph], { query: query.replace('LOCATION', oslo) }, headers));
            expect(answer.status, `${subgraph}: ${query}`).toBe(401);
            expect(answer.body).toEqual({ errors: [{ message: expect.stringMatching(new RegExp(`The ${subgraph} subgraph answers only the router`)), extensions: { code: 'UNAUTHENTICATED', requestId: expect.any(String) } }] });
          }
        }
      }
    });
  });

  describe('query limits', () => {
    const payload = 'level { onHand } userErrors { message }';
    const refusedShapes: [string, string, Record<string, unknown>, RegExp][] = [
      [
        'deep',
        `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 5, reason: RECEIVED }) { level { location { inventory(first: 1) { nodes { product { movements(first: 1) { nodes { location { inventory(first: 1) { nodes { onHand } } } } } } } } } } } }`,
        {},
        /^Query depth limit of 10 exceeded, found 12: /,
      ],
      ['wide (aliases)', `mutation($l: ID!) { ${Array.from({ length: 16 }, (_, i) => `a${i}: adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 1, reason: RECEIVED }) { ${payload} }`).join(' ')} }`, {}, /^Aliases limit of 15 exceeded, found 16: /],
      [
        'cost-heavy (page sizes in variables)',
        `mutation($l: ID!, $n: Int, $m: Int) { adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 5, reason: RECEIVED }) { level { location { inventory(first: $n) { nodes { movements(first: $m) { nodes { id delta } } } } } } } }`,
        { n: 250, m: 250 },
        /^Query cost limit of 300000 exceeded, found \d+: /,
      ],
      ['directive-heavy', `mutation($l: ID!, $y: Boolean!) { adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 5, reason: RECEIVED }) { ${Array.from({ length: 21 }, (_, i) => `f${i}: __typename @include(if: $y)`).join(' ')} } }`, { y: true }, /^Directives limit of 20 exceeded, found 21: /],
      ['token-heavy', `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 5, reason: RECEIVED }) { ${'__typename '.repeat(1_000)} } }`, {}, /^Token limit of 1000 exceeded: /],
    ];

    it.each(refusedShapes)('refuses a %s mutation with 400 before running it', async (_name, query, variables, message) => {
      const answer = await unchanged(() => send(url, { query, variables: { l: oslo, ...variables } }, admin));
      expect(answer.status).toBe(400);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors).toEqual([{ message: expect.stringMatching(message), extensions: { code: 'GRAPHQL_VALIDATION_FAILED', requestId: answer.headers.get('x-request-id') } }]);
    });

    it('still runs the same mutation within the limits', async () => {
      const before = await onHand();
      const answer = await send(url, { query: `mutation($l: ID!, $n: Int) { adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 5, reason: RECEIVED }) { level { location { inventory(first: $n) { nodes { onHand } } } } } }`, variables: { l: oslo, n: 10 } }, admin);
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(await onHand()).toBe(before + 5);
    });
  });

  describe('HTTP protections', () => {
    it('refuses batched operations', async () => {
      const answer = await unchanged(() => send(url, [{ query: ADJUST, variables: { l: oslo } }, { query: ADJUST, variables: { l: oslo } }], admin));
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST', requestId: expect.any(String) } }]);
    });

    it('refuses a body over 256 KiB with 413', async () => {
      const answer = await unchanged(() => send(url, { query: ADJUST, variables: { l: oslo, padding: 'x'.repeat(300 * 1024) } }, admin));
      expect(answer.status).toBe(413);
      expect(answer.body.errors).toEqual([{ message: expect.stringMatching(/^Request body exceeds 262144 bytes/), extensions: { code: 'PAYLOAD_TOO_LARGE', requestId: expect.any(String) } }]);
    });

    it('refuses a simple (CSRF-able) text/plain POST', async () => {
      const answer = await unchanged(() => send(url, JSON.stringify({ query: ADJUST, variables: { l: oslo } }), { ...admin, 'content-type': 'text/plain' }));
      expect(answer.status).toBe(400);
      expect(answer.body.errors![0]!.message).toMatch(/Cross-Site Request Forgery/);
    });

    it('sends x-request-id on every answer, honouring a sane incoming one, and errors carry it', async () => {
      const answer = await send(url, { query: '{ nope }' }, { ...admin, 'x-request-id': 'trace-123_abc' });
      expect(answer.headers.get('x-request-id')).toBe('trace-123_abc');
      expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', requestId: 'trace-123_abc' });
      const ok = await send(url, { query: '{ products(first: 1) { totalCount } }' }, { ...admin, 'x-request-id': 'not a sane id!' });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('rate limits', () => {
    it('answers a subject over its limit 429 with Retry-After, while another token still works', async () => {
      const limited = await router({ rateLimits: { perSubject: 5, perIp: 1_000, ...sharedCounts() } });
      const flooder = bearer(await signUserToken({ subject: 'flood', role: 'admin', locations: ['*'] }));
      for (let i = 0; i < 5; i += 1) expect((await send(limited, { query: '{ products(first: 1) { totalCount } }' }, flooder)).status).toBe(200);
      const answer = await unchanged(() => send(limited, { query: ADJUST, variables: { l: oslo } }, flooder));
      expect(answer.status).toBe(429);
      const retryAfter = Number(answer.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(answer.body.errors).toEqual([{ message: expect.stringMatching(/^Too many requests for this user \(at most 5 per 60 s\)/), extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter, requestId: expect.any(String) } }]);
      const other = bearer(await signUserToken({ subject: 'calm', role: 'admin', locations: ['*'] }));
      expect((await send(limited, { query: '{ products(first: 1) { totalCount } }' }, other)).status).toBe(200);
    });

    it('limits each client IP before looking at the token, while another IP still works', async () => {
      const limited = await router({ rateLimits: { perIp: 4, trustProxyHops: 1, ...sharedCounts() } });
      const from = (ip: string) => ({ ...admin, 'x-forwarded-for': ip });
      for (let i = 0; i < 4; i += 1) expect((await send(limited, { query: '{ products(first: 1) { totalCount } }' }, from('198.51.100.1'))).status).toBe(200);
      const answer = await unchanged(() => send(limited, { query: ADJUST, variables: { l: oslo } }, from('198.51.100.1')));
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      // Even without a token: the IP limit comes first.
      expect((await send(limited, { query: '{ __typename }' }, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(429);
      expect((await send(limited, { query: '{ products(first: 1) { totalCount } }' }, from('198.51.100.2'))).status).toBe(200);
    });

    it('slows token guessing from an IP with too many bad tokens (429), without locking out valid tokens from it', async () => {
      const limited = await router({ rateLimits: { authFailuresPerIp: 3, trustProxyHops: 1, ...sharedCounts() } });
      // Behind one proxy address: an attacker guessing and a user with a valid token.
      const guess = { authorization: 'Bearer not.a.token', 'x-forwarded-for': '203.0.113.9' };
      for (let i = 0; i < 3; i += 1) expect((await send(limited, { query: '{ __typename }' }, guess)).status).toBe(401);
      const refused = await unchanged(() => send(limited, { query: ADJUST, variables: { l: oslo } }, guess));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.body.errors).toEqual([{ message: expect.stringMatching(/^Too many requests with a missing or invalid token from this address \(at most 3 per 60 s\)/), extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number), requestId: expect.any(String) } }]);
      expect((await send(limited, { query: '{ __typename }' }, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
      const before = await onHand();
      const user = await send(limited, { query: ADJUST, variables: { l: oslo } }, { ...admin, 'x-forwarded-for': '203.0.113.9' });
      expect(user.status).toBe(200);
      expect(user.body.errors).toBeUndefined();
      expect(await onHand()).toBe(before + 5);
      expect((await send(limited, { query: 'query { __typename }' }, { ...guess, 'x-forwarded-for': '203.0.113.10' })).status).toBe(401);
    });

    it('caps the WebSocket connections one user holds open (4429), while other users connect', async () => {
      const bus = new InProcessEventBus();
      const capped = await router({ bus, webSocket: { maxConnectionsPerSubject: 2 } });
      const outcome = (caller: { role: 'manager'; locations: string[]; subject: string }) => {
        const client = wsClient(capped, { caller });
        return new Promise<'connected' | number>((resolve) => {
          client.on('connected', () => resolve('connected'));
          client.on('closed', (closeEvent) => resolve((closeEvent as { code: number }).code));
        }).then((result) => ({ client, result }));
      };
      const maria = { role: 'manager' as const, locations: [oslo], subject: 'maria-ws' };
      const opened = [await outcome(maria), await outcome(maria)];
      expect(opened.map(({ result }) => result)).toEqual(['connected', 'connected']);
      const third = await outcome(maria);
      expect(third.result).toBe(4429);
      const other = await outcome({ ...maria, subject: 'ola-ws' });
      expect(other.result).toBe('connected');
      for (const { client } of [...opened, third, other]) await client.dispose();
      await bus.close();
    });
  });

  describe('persisted operations (enforce)', () => {
    const READ = 'query Stock($l: ID!) { location(id: $l) { name } }';

    it('runs registered operations by id or exact body, and refuses anything else before it runs', async () => {
      const persisted = new PersistedOperations('enforce', {
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [
          { id: 'stock-read', name: 'Stock', type: 'query', body: READ },
          { id: 'receive-five', name: 'Receive', type: 'mutation', body: ADJUST },
        ],
      });
      const enforcing = await router({ persistedOperations: persisted });
      const byId = (id: string) => ({ persistedQuery: { version: 1, sha256Hash: id } });
      expect((await send(enforcing, { extensions: byId('stock-read'), variables: { l: oslo } }, admin)).body).toEqual({ data: { location: { name: 'Store OSL-SEC-1' } } });
      expect((await send(enforcing, { query: READ, variables: { l: oslo } }, admin)).body).toEqual({ data: { location: { name: 'Store OSL-SEC-1' } } });

      const adHoc = `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "${SKU}", delta: 50, reason: RECEIVED }) { level { onHand } } }`;
      for (const body of [{ query: adHoc, variables: { l: oslo } }, { extensions: byId('not-registered'), variables: { l: oslo } }, { query: adHoc, extensions: byId('receive-five'), variables: { l: oslo } }]) {
        const answer = await unchanged(() => send(enforcing, body, admin));
        expect(answer.status).toBe(400);
        expect(answer.body.errors).toEqual([{ message: expect.any(String), extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST', requestId: expect.any(String) } }]);
      }
      const before = await onHand();
      expect((await send(enforcing, { extensions: byId('receive-five'), variables: { l: oslo } }, admin)).status).toBe(200);
      expect(await onHand()).toBe(before + 5);
    });
  });

  describe('production settings', () => {
    it('turns introspection and field suggestions off', async () => {
      const closed = await router({ limits: { introspection: false, fieldSuggestions: false } });
      const introspection = await send(closed, { query: '{ __schema { types { name } } }' }, admin);
      expect(introspection.status).toBe(400);
      expect(introspection.body.errors![0]!.message).toMatch(/introspection is not allowed/i);
      const typo = await send(closed, { query: '{ locationz { nodes { id } } }' }, admin);
      expect(typo.body.errors![0]!.message).not.toMatch(/Did you mean/);
      // The default (outside production) keeps both.
      expect((await send(url, { query: '{ __schema { queryType { name } } }' }, admin)).body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    });
  });
});
