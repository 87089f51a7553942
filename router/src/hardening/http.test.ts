import { request as httpRequest } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, currentRequestScope, incomingRequestId, RequestTimeoutError, runInRequestScope, serveGraphQL, type GraphQLService } from '@joinery/core';
import { routerErrorFormatter } from './errors';
import { SubgraphTimeoutError } from './subgraph-fetch';

describe('request ids', () => {
  it('keeps a sane incoming x-request-id and replaces anything else with a UUID', () => {
    expect(incomingRequestId({ headers: { 'x-request-id': 'lb-7f3a_09' } })).toBe('lb-7f3a_09');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const bad of ['has space', 'new\nline', 'x'.repeat(65), '', '{"level":"info"}']) expect(incomingRequestId({ headers: { 'x-request-id': bad } })).toMatch(uuid);
    expect(incomingRequestId({ headers: {} })).toMatch(uuid);
  });
});

describe('routerErrorFormatter', () => {
  const format = routerErrorFormatter(new Map([['http://10.0.0.5:4001/graphql', 'inventory']]));
  const scoped = <T>(fn: () => T) => runInRequestScope({ id: 'req-42', signal: new AbortController().signal }, fn);

  it('masks errors without one of our codes (SQL, stacks) and logs them with the request id', () => {
    const logs = captureLogs();
    const original = new Error('relation "inventory_levels" does not exist: SELECT * FROM inventory_levels');
    const shown = scoped(() => format({ message: original.message, path: ['locations'], extensions: { stacktrace: ['at query (db.ts:1)'] } }, new GraphQLError(original.message, { originalError: original })));
    expect(shown).toEqual({ message: 'Internal server error', path: ['locations'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' } });
    expect(logs.lines[0]).toMatchObject({ level: 'error', service: 'router', requestId: 'req-42', error: expect.stringContaining('inventory_levels') });
    expect(scoped(() => format({ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } }, new Error('boom')))).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' } });
    logs.restore();
  });

  it('keeps our codes and messages, dropping internal extensions', () => {
    const shown = scoped(() => format({ message: 'Location x is outside your locations', path: ['location'], extensions: { code: 'FORBIDDEN', stacktrace: ['…'], exception: { sql: 'SELECT' } } }, undefined));
    expect(shown).toEqual({ message: 'Location x is outside your locations', path: ['location'], extensions: { code: 'FORBIDDEN', requestId: 'req-42' } });
  });

  it('names the subgraph for timeouts, unreachable subgraphs and their 5xx answers, without URLs or bodies', () => {
    const logs = captureLogs('silent');
    const timeout = new SubgraphTimeoutError('sales', 800);
    expect(scoped(() => format({ message: timeout.message }, new GraphQLError(timeout.message, { originalError: timeout })))).toEqual({ message: 'The sales subgraph did not answer within 800 ms; retry later', extensions: { code: 'UNAVAILABLE', serviceName: 'sales', requestId: 'req-42' } });
    const refused = 'request to http://10.0.0.5:4001/graphql failed, reason: connect ECONNREFUSED 10.0.0.5:4001';
    expect(scoped(() => format({ message: refused }, new Error(refused)))).toEqual({ message: 'The inventory subgraph could not be reached; retry later', extensions: { code: 'UNAVAILABLE', serviceName: 'inventory', requestId: 'req-42' } });
    const failed = format({ message: '502: Bad Gateway', extensions: { response: { url: 'http://10.0.0.5:4001/graphql', status: 502, body: 'upstream trace' } } }, undefined);
    expect(failed).toEqual({ message: 'The inventory subgraph failed; retry later', extensions: { code: 'UNAVAILABLE', serviceName: 'inventory' } });
    const unauthorised = format({ message: '401: Unauthorized', extensions: { code: 'UNAUTHENTICATED', response: { url: 'http://10.0.0.5:4001/graphql', status: 401, body: { errors: [] } } } }, undefined);
    expect(unauthorised).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    logs.restore();
  });

  it('answers TIMEOUT for work cut short by the request timeout', () => {
    const reason = new RequestTimeoutError(250);
    expect(format({ message: 'This operation was aborted' }, new GraphQLError('aborted', { originalError: reason }))).toEqual({ message: reason.message, extensions: { code: 'TIMEOUT' } });
  });
});

describe('the HTTP layer of a GraphQL service', () => {
  let service: GraphQLService;
  let url: string;
  let slowRuns = 0;

  beforeAll(async () => {
    const apollo = new ApolloServer({
      typeDefs: 'type Query { fast: String slow: String requestId: String }',
      resolvers: {
        Query: {
          fast: () => 'ok',
          requestId: () => currentRequestScope()?.id,
          slow: async () => {
            slowRuns += 1;
            await new Promise((resolve) => setTimeout(resolve, 1_000));
            return 'late';
          },
        },
      },
      formatError: routerErrorFormatter(new Map()),
    });
    await apollo.start();
    service = serveGraphQL('test', {
      server: apollo,
      context: async () => ({}),
      requestId: incomingRequestId,
      maxBodyBytes: 2_048,
      timeoutMs: 300,
      guard: async (request) => (request.headers.authorization === 'Bearer let-me-in' ? undefined : { status: 401, body: { errors: [{ message: 'Authentication required', extensions: { code: 'UNAUTHENTICATED' } }] } }),
    });
    url = await service.listen(0);
  });
  afterAll(async () => {
    await service.stop();
  });

  const post = async (body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer let-me-in', ...headers }, body });
    return { status: response.status, requestId: response.headers.get('x-request-id'), body: (await response.json()) as any };
  };

  it('gives every response an x-request-id, the same id errors carry and resolvers see', async () => {
    const ok = await post(JSON.stringify({ query: '{ requestId }' }), { 'x-request-id': 'client-1' });
    expect(ok).toEqual({ status: 200, requestId: 'client-1', body: { data: { requestId: 'client-1' } } });
    const invalid = await post(JSON.stringify({ query: '{ nope }' }));
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].extensions.requestId).toBe(invalid.requestId);
    const refused = await post(JSON.stringify({ query: '{ fast }' }), { authorization: 'Bearer wrong' });
    expect(refused).toEqual({ status: 401, requestId: expect.any(String), body: { errors: [{ message: 'Authentication required', extensions: { code: 'UNAUTHENTICATED', requestId: refused.requestId } }] } });
  });

  it('answers 413 for a body over the limit, from its Content-Length or while reading it', async () => {
    const big = JSON.stringify({ query: '{ fast }', variables: { pad: 'x'.repeat(4_096) } });
    const declared = await post(big);
    expect(declared).toMatchObject({ status: 413, body: { errors: [{ message: expect.stringMatching(/exceeds 2048 bytes/), extensions: { code: 'PAYLOAD_TOO_LARGE', requestId: declared.requestId } }] } });
    // Chunked, without a Content-Length: refused once 2048 bytes have arrived.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer let-me-in', 'transfer-encoding': 'chunked' } }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      request.on('error', reject);
      for (let i = 0; i < 8; i += 1) request.write('x'.repeat(1_024));
      request.end();
    });
    expect(status).toBe(413);
  });

  it('answers 504 TIMEOUT when the whole request takes longer than its timeout', async () => {
    const started = Date.now();
    const answer = await post(JSON.stringify({ query: '{ slow }' }));
    expect(Date.now() - started).toBeLessThan(900);
    expect(answer).toEqual({ status: 504, requestId: expect.any(String), body: { errors: [{ message: 'The request took longer than 300 ms and was stopped; ask for less or retry later', extensions: { code: 'TIMEOUT', requestId: answer.requestId } }] } });
    expect(slowRuns).toBe(1);
    expect((await post(JSON.stringify({ query: '{ fast }' }))).status).toBe(200);
  });
});
