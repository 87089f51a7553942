import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, type TestCaller } from '@joinery/core/testing';
import { buildRouter, readSupergraph, type Router, type RouterOptions } from '../server';
import { runInRequestScope } from '@joinery/core';
import { onSubgraphFetch, TimedRemoteGraphQLDataSource, type SubgraphFetchRecord } from './subgraph-fetch';

/** An inventory stand-in answering every call after `delayMs` with a fresh list; records each call's body. */
async function countingSubgraph(delayMs: number) {
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      bodies.push(body);
      const query = (JSON.parse(body) as { query: string }).query;
      const data = query.startsWith('mutation') ? { createLocation: { location: null, userErrors: [] } } : { locations: { nodes: [{ id: `loc-${bodies.length}` }] } };
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ data }));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, bodies, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

describe('deduplication of subgraph requests', () => {
  let subgraph: Awaited<ReturnType<typeof countingSubgraph>>;
  const routers: Router[] = [];
  const start = async (options: Partial<RouterOptions> = {}) => {
    const router = await buildRouter({ supergraphSdl: readSupergraph(), subgraphUrls: { inventory: subgraph.url }, rateLimits: false, ...options });
    routers.push(router);
    return router.listen(0);
  };
  const ask = async (url: string, query: string, caller?: TestCaller) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders(caller)) }, body: JSON.stringify({ query }) });
    return (await response.json()) as { data?: any; errors?: unknown[] };
  };
  const calls = async (send: () => Promise<unknown>) => {
    const before = subgraph.bodies.length;
    const results = await send();
    return { calls: subgraph.bodies.length - before, results };
  };
  const LOCATIONS = '{ locations { nodes { id } } }';
  const MANAGER_A: TestCaller = { role: 'manager', locations: ['a'], subject: 'manager-a' };
  const MANAGER_B: TestCaller = { role: 'manager', locations: ['b'], subject: 'manager-b' };

  beforeAll(async () => {
    subgraph = await countingSubgraph(300);
  });
  afterAll(async () => {
    await Promise.all(routers.map((router) => router.stop()));
    subgraph.server.closeAllConnections();
    await new Promise((resolve) => (subgraph.server as Server).close(resolve));
  });

  it('shares one call between identical reads in flight for the same caller, each getting its own answer', async () => {
    const url = await start();
    const records: SubgraphFetchRecord[] = [];
    const stop = onSubgraphFetch((record) => records.push(record));
    const { calls: made, results } = await calls(() => Promise.all([ask(url, LOCATIONS), ask(url, LOCATIONS), ask(url, LOCATIONS)]));
    stop();
    expect(made).toBe(1);
    const answers = results as { data: { locations: { nodes: { id: string }[] } } }[];
    expect(new Set(answers.map((answer) => JSON.stringify(answer)))).toEqual(new Set([JSON.stringify(answers[0])]));
    expect(answers[0].data.locations.nodes).toHaveLength(1);
    // Each request saw the call: one sent it, the others joined it.
    expect(records.filter((record) => record.subgraph === 'inventory').map((record) => record.shared).sort()).toEqual([false, true, true]);
  });

  it('does not share between callers of different scopes, nor reads that do not overlap in time', async () => {
    const url = await start();
    expect((await calls(() => Promise.all([ask(url, LOCATIONS, MANAGER_A), ask(url, LOCATIONS, MANAGER_B)]))).calls).toBe(2);
    expect((await calls(async () => [await ask(url, LOCATIONS), await ask(url, LOCATIONS)])).calls).toBe(2);
  });

  it('never shares mutations', async () => {
    const url = await start();
    const mutation = 'mutation { createLocation(input: { code: "X", name: "X", kind: STORE, timezone: "UTC", address: { line1: "a", city: "b", region: "c", postalCode: "d", country: "NO" } }) { userErrors { message } } }';
    expect((await calls(() => Promise.all([ask(url, mutation), ask(url, mutation)]))).calls).toBe(2);
  });

  it('shares nothing when turned off', async () => {
    const url = await start({ deduplicateSubgraphRequests: false });
    expect((await calls(() => Promise.all([ask(url, LOCATIONS), ask(url, LOCATIONS)]))).calls).toBe(2);
  });

  it('sends nothing for a client request already out of time, and leaves no rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const deduplicate of [true, false]) {
        const source = new TimedRemoteGraphQLDataSource({ url: subgraph.url, subgraph: 'inventory', timeoutMs: 5_000, deduplicate });
        const controller = new AbortController();
        controller.abort(new Error('request timed out'));
        const before = subgraph.bodies.length;
        for (const query of ['mutation { createLocation { id } }', '{ locations { nodes { id } } }']) {
          const call = runInRequestScope({ signal: controller.signal }, () => source.process({ kind: 'incoming operation', request: { query }, context: {}, incomingRequestContext: {} } as never));
          await expect(call).rejects.toThrow('request timed out');
        }
        expect(subgraph.bodies.length).toBe(before);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('keeps a shared call going for the requests still waiting when the one that started it times out', async () => {
    const slow = await countingSubgraph(1_500);
    try {
      const router = await buildRouter({ supergraphSdl: readSupergraph(), subgraphUrls: { inventory: slow.url }, rateLimits: false, http: { requestTimeoutMs: 1_200 } });
      routers.push(router);
      const url = await router.listen(0);
      // The first request starts the call and gives up at 1.2 s; the second joins it 0.6 s later
      // and may wait until 1.8 s: the answer (1.5 s) must still reach it.
      const first = ask(url, LOCATIONS);
      await new Promise((resolve) => setTimeout(resolve, 600));
      const second = ask(url, LOCATIONS);
      const [gaveUp, waited] = await Promise.all([first, second]);
      expect(gaveUp.errors).toMatchObject([{ extensions: { code: 'TIMEOUT' } }]);
      expect(waited.errors).toBeUndefined();
      expect(waited.data.locations.nodes).toHaveLength(1);
      expect(slow.bodies).toHaveLength(1);
    } finally {
      slow.server.closeAllConnections();
      await new Promise((resolve) => slow.server.close(resolve));
    }
  });
});
