import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authHeaders } from '@joinery/core/testing';
import { buildRouter, readSupergraph, type Router } from '../server';

/** A subgraph that answers `{ data: { locations } }` after `delayMs`, counting the calls that reached it and the ones abandoned. */
async function slowSubgraph(delayMs: number) {
  const state = { calls: 0, abandoned: 0 };
  const server = createServer((request, response) => {
    state.calls += 1;
    request.resume();
    const timer = setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: { locations: { nodes: [] } } }));
    }, delayMs);
    response.on('close', () => {
      if (!response.writableFinished) {
        state.abandoned += 1;
        clearTimeout(timer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

describe('router timeouts', () => {
  let subgraph: Awaited<ReturnType<typeof slowSubgraph>>;
  const routers: Router[] = [];
  const start = async (options: Parameters<typeof buildRouter>[0]) => {
    const router = await buildRouter(options);
    routers.push(router);
    return router.listen(0);
  };
  const ask = async (url: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify({ query: '{ locations { nodes { id } } }' }) });
    return { status: response.status, requestId: response.headers.get('x-request-id'), body: await response.json() };
  };

  beforeAll(async () => {
    subgraph = await slowSubgraph(2_000);
  });
  afterAll(async () => {
    await Promise.all(routers.map((router) => router.stop()));
    subgraph.server.closeAllConnections();
    await new Promise((resolve) => (subgraph.server as Server).close(resolve));
  });

  it('stops a subgraph call after subgraphTimeoutMs and answers UNAVAILABLE naming the subgraph', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const url = await start({ supergraphSdl: readSupergraph(), subgraphUrls: { inventory: subgraph.url }, subgraphTimeoutMs: 200 });
    const started = Date.now();
    const answer = await ask(url);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(answer).toEqual({ status: 200, requestId: expect.any(String), body: { data: null, errors: [{ message: 'The inventory subgraph did not answer within 200 ms; retry later', extensions: { code: 'UNAVAILABLE', serviceName: 'inventory', requestId: answer.requestId } }] } });
    log.mockRestore();
  });

  it('answers 504 TIMEOUT when the whole request outlasts requestTimeoutMs, and abandons the subgraph call', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const url = await start({ supergraphSdl: readSupergraph(), subgraphUrls: { inventory: subgraph.url }, http: { requestTimeoutMs: 250 } });
    const abandoned = subgraph.state.abandoned;
    const answer = await ask(url);
    expect(answer).toEqual({ status: 504, requestId: expect.any(String), body: { errors: [{ message: 'The request took longer than 250 ms and was stopped; ask for less or retry later', extensions: { code: 'TIMEOUT', requestId: answer.requestId } }] } });
    await vi.waitFor(() => expect(subgraph.state.abandoned).toBe(abandoned + 1));
    log.mockRestore();
  });
});
