/**
 * One failed request followed across services by its id: the client's error, the router's log
 * and the subgraph's log all carry the same requestId.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSubgraphServer, captureLogs, type CapturedLogs, type SubgraphServer } from '@joinery/core';
import { authHeaders } from '@joinery/core/testing';
import { buildRouter, readSupergraph, type Router } from '../server';

const INVENTORY_SCHEMA = fileURLToPath(new URL('../../../subgraphs/inventory/schema.graphql', import.meta.url));

describe('a request id across the router and a subgraph', () => {
  let inventory: SubgraphServer;
  let router: Router;
  let url: string;
  let inventoryUrl: string;
  let logs: CapturedLogs;
  /** What the inventory stand-in saw of each call: its x-request-id header. */
  const seen: (string | undefined)[] = [];

  beforeAll(async () => {
    logs = captureLogs();
    // The real subgraph server (its error masking and request ids) over inventory's real schema, whose `locations` breaks.
    inventory = await buildSubgraphServer({
      name: 'inventory',
      schemaPath: INVENTORY_SCHEMA,
      resolvers: {
        Query: {
          locations: () => {
            throw new Error('relation "locations" does not exist: SELECT * FROM locations');
          },
        },
      },
      createContext: () => ({}),
    });
    inventory.http.prependListener('request', (request) => seen.push(request.headers['x-request-id'] as string | undefined));
    inventoryUrl = await inventory.listen(0);
    router = await buildRouter({ supergraphSdl: readSupergraph(), subgraphUrls: { inventory: inventoryUrl }, rateLimits: false });
    url = await router.listen(0);
  }, 60_000);
  afterAll(async () => {
    logs.restore();
    await router?.stop();
    await inventory?.stop();
  });

  const ask = async (headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()), ...headers }, body: JSON.stringify({ query: '{ locations { nodes { id } } }' }) });
    return { requestId: response.headers.get('x-request-id'), body: (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] } };
  };

  it.each<[string, Record<string, string>]>([
    ['a sane id the client sent', { 'x-request-id': 'client-req-42' }],
    ['an id the router made', {}],
  ])('an internal error in the subgraph: the client, the router\'s log and the subgraph\'s log share %s', async (_, headers) => {
    const before = logs.lines.length;
    const answer = await ask(headers);
    const requestId = answer.requestId!;
    if (headers['x-request-id']) expect(requestId).toBe('client-req-42');
    else expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.at(-1)).toBe(requestId);
    expect(answer.body.errors).toEqual([{ message: 'Internal server error', path: ['locations'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }]);
    const lines = logs.lines.slice(before);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', service: 'inventory', requestId, path: ['locations'], error: expect.stringContaining('relation "locations" does not exist') }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', service: 'router', requestId, subgraph: 'inventory' }));
    // Nothing of the failure's internals reaches the client.
    expect(JSON.stringify(answer.body)).not.toContain('relation');
  });

  it('a subgraph called by another service answers with that caller\'s id, in its header and masked errors', async () => {
    const response = await fetch(inventoryUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'sales-call-7', ...(await authHeaders()) }, body: JSON.stringify({ query: '{ locations { nodes { id } } }' }) });
    expect(response.headers.get('x-request-id')).toBe('sales-call-7');
    expect(((await response.json()) as { errors: unknown[] }).errors).toEqual([{ message: 'Internal server error', path: ['locations'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'sales-call-7' } }]);
  });
});
