import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@joinery/core';
import { admissionPlugin } from './admission';
import { queryLimits } from './limits';
import { PersistedOperations, readManifest, type PersistedQueryManifest } from './persisted-operations';

const HELLO = 'query Hello { hello }';
const manifest: PersistedQueryManifest = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [
    { id: 'id-hello', name: 'Hello', type: 'query', body: HELLO },
    { id: 'id-bump', name: 'Bump', type: 'mutation', body: 'mutation Bump { bump }' },
  ],
};
const byId = (id: string) => ({ persistedQuery: { version: 1, sha256Hash: id } });

describe('PersistedOperations.resolve', () => {
  it('off: changes nothing', () => {
    const operations = new PersistedOperations('off', manifest);
    const sent = { query: '{ anything }', extensions: byId('id-hello') };
    expect(operations.resolve(sent)).toBe(sent);
  });

  it('allow: a listed id becomes its body; everything else goes through as sent', () => {
    const operations = new PersistedOperations('allow', manifest);
    expect(operations.resolve({ extensions: { ...byId('id-hello'), other: 1 } })).toEqual({ query: HELLO, extensions: { other: 1 } });
    expect(operations.resolve({ query: HELLO, extensions: byId('id-hello') })).toEqual({ query: HELLO, extensions: {} });
    const unknown = { extensions: byId('not-listed') };
    expect(operations.resolve(unknown)).toBe(unknown);
    const adHoc = { query: '{ somethingElse }' };
    expect(operations.resolve(adHoc)).toBe(adHoc);
  });

  it('enforce: runs listed operations by id or by their exact body, refuses the rest', () => {
    const operations = new PersistedOperations('enforce', manifest);
    expect(operations.resolve({ extensions: byId('id-bump') })).toEqual({ query: 'mutation Bump { bump }', extensions: {} });
    expect(operations.resolve({ query: HELLO })).toEqual({ query: HELLO });
    for (const refused of [{ query: '{ hello }' }, { query: `${HELLO} ` }, { extensions: byId('not-listed') }, { query: '{ hello }', extensions: byId('id-hello') }, {}]) {
      const outcome = operations.resolve(refused);
      expect(outcome, JSON.stringify(refused)).toBeInstanceOf(GraphQLError);
      expect((outcome as GraphQLError).extensions).toEqual({ code: 'PERSISTED_QUERY_NOT_IN_LIST', http: { status: 400 } });
    }
    expect((operations.resolve({ extensions: byId('not-listed') }) as GraphQLError).message).toMatch(/Operation not-listed is not in this router's persisted operation list/);
  });
});

describe('manifest files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-pq-'));
  const write = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('reads an Apollo persisted query manifest', () => {
    expect(PersistedOperations.load('enforce', write('good.json', manifest)).size).toBe(2);
  });

  it('stops start-up naming the file and what is wrong', () => {
    expect(() => readManifest(write('broken.json', '{ not json'))).toThrow(ConfigError);
    expect(() => readManifest(write('broken.json', '{ not json'))).toThrow(/cannot read .*broken\.json as JSON/);
    expect(() => readManifest(write('format.json', { ...manifest, format: 'relay' }))).toThrow(/format/);
    expect(() => readManifest(write('body.json', { ...manifest, operations: [{ id: 'x', name: 'X', type: 'query' }] }))).toThrow(/operations\.0\.body/);
    expect(() => readManifest(write('twice.json', { ...manifest, operations: [...manifest.operations, manifest.operations[0]] }))).toThrow(/lists operation id id-hello twice/);
  });
});

describe('persisted operations in ApolloServer (admission plugin)', () => {
  let server: ApolloServer;
  let runs = 0;

  beforeAll(async () => {
    server = new ApolloServer({
      typeDefs: 'type Query { hello: String } type Mutation { bump: Int }',
      resolvers: { Query: { hello: () => 'hi' }, Mutation: { bump: () => ++runs } },
      plugins: [admissionPlugin({ limits: queryLimits(), persisted: new PersistedOperations('enforce', manifest) })],
      persistedQueries: false,
    });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  const send = async (method: 'GET' | 'POST', body: Record<string, unknown>) => {
    const search = method === 'GET' ? `?${new URLSearchParams(Object.entries(body).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]))}` : '';
    const result = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers: new HeaderMap([['content-type', 'application/json'], ['apollo-require-preflight', 'true']]), search, body: method === 'POST' ? body : undefined },
      context: async () => ({}),
    });
    return { status: result.status ?? 200, body: JSON.parse((result.body as { string: string }).string) };
  };

  it('runs a listed operation sent by id alone (POST and GET) or by its body', async () => {
    expect(await send('POST', { extensions: byId('id-hello') })).toEqual({ status: 200, body: { data: { hello: 'hi' } } });
    expect(await send('GET', { extensions: byId('id-hello') })).toEqual({ status: 200, body: { data: { hello: 'hi' } } });
    expect(await send('POST', { query: HELLO })).toEqual({ status: 200, body: { data: { hello: 'hi' } } });
  });

  it('refuses anything else with 400 PERSISTED_QUERY_NOT_IN_LIST, running nothing', async () => {
    const before = runs;
    for (const body of [{ query: 'mutation { bump }' }, { extensions: byId('made-up') }, { query: 'mutation { bump }', extensions: byId('id-bump') }]) {
      const answer = await send('POST', body);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } }] });
    }
    expect(runs).toBe(before);
    expect(await send('POST', { extensions: byId('id-bump') })).toEqual({ status: 200, body: { data: { bump: before + 1 } } });
  });
});
