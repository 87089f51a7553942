import { createRequire } from 'node:module';
import { composeServices } from '@apollo/composition';
import { operationFromDocument, Supergraph, type Operation } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readSupergraph } from '../server';
import { compileShaper, shape } from './result-shaper';

const require = createRequire(import.meta.url);
// The gateway's own function, which the compiled shaper must match exactly.
const { computeResponse } = require('@apollo/gateway/dist/resultShaping.js') as { computeResponse: (args: unknown) => { data: unknown; errors: { message: string; path?: unknown; extensions?: unknown }[] } };

const SUBGRAPHS = [
  {
    name: 'catalog',
    typeDefs: parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@inaccessible"])
      type Query { items: [Item!]!, item(id: ID!): Item, search: [SearchHit], shelf: Shelf!, count: Int, ratio: Float, ok: Boolean! }
      interface Item { id: ID!, title: String!, tags: [String!] }
      type Chair implements Item @key(fields: "id") { id: ID!, title: String!, tags: [String!], legs: Int!, finish: Finish }
      type Table implements Item @key(fields: "id") { id: ID!, title: String!, tags: [String!], seats: Int, parts: [[Int!]]! }
      type Shelf { id: ID!, items: [Item]!, owner: Person }
      type Person @key(fields: "id") { id: ID!, name: String, friends: [Person!] }
      union SearchHit = Chair | Table | Person
      enum Finish { OAK, WALNUT, SECRET @inaccessible }
    `),
  },
];

function apiSchemaOf(supergraphSdl: string) {
  return Supergraph.build(supergraphSdl).apiSchema();
}

/** A small deterministic random source (mulberry32), so a failure can be replayed by its seed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPENAMES = ['Chair', 'Table', 'Person', 'Shelf', 'Query', 'Nope', 'Finish', '\u0000Query', '\u0000Shelf'];
const LEAVES: unknown[] = ['STORE', 'WAREHOUSE', 'OAK', 'WALNUT', 'SECRET', 'x', 3, 2.5, -0, 1e21, true, false, '12', null, { a: 1 }, [1]];

/**
 * Random subgraph-like data for an operation: mostly well formed, sometimes null, missing, of the
 * wrong type or with another __typename, so every branch of the shaping (null bubbling, invalid
 * values, type conditions, merging of repeated response names) is met.
 */
function randomInput(next: () => number, depth = 0): unknown {
  const roll = next();
  if (depth > 3 || roll < 0.1 + depth * 0.1) return pick(next, LEAVES);
  if (roll < 0.3) return Array.from({ length: Math.floor(next() * 3) }, () => randomInput(next, depth + 1));
  const object: Record<string, unknown> = {};
  if (next() < 0.8) object.__typename = pick(next, TYPENAMES);
  for (const name of [...LEAF_FIELDS, ...OBJECT_FIELDS]) {
    const presence = next();
    // Objects nest: few of their fields hold more objects, or the answers would grow without bound.
    if (presence < 0.15 || (OBJECT_FIELDS.includes(name) && next() < 0.6)) continue;
    const value = presence < 0.25 ? null : LEAF_FIELDS.includes(name) && next() < 0.8 ? pick(next, LEAVES) : randomInput(next, depth + 1);
    // As JSON.parse makes them: own properties, `__proto__` included.
    Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

function pick<T>(next: () => number, values: T[]): T {
  return values[Math.floor(next() * values.length)];
}

const LEAF_FIELDS = ['toString', 'hasOwnProperty', 'valueOf', 'id', 'title', 'name', 'legs', 'seats', 'count', 'ratio', 'ok', 'finish', 'kind', 'totalCount', 'hasNextPage', 'endCursor', 'createdAt', 'city'];
const OBJECT_FIELDS = ['constructor', '__proto__', 'tags', 'parts', 'items', 'owner', 'friends', 'item', 'search', 'shelf', 'alias1', 'alias2', 'first', 'locations', 'nodes', 'pageInfo', 'address', 'inventory'];

const OPERATIONS: { query: string; variables?: Record<string, unknown> }[] = [
  { query: '{ items { id title tags __typename } count ratio ok }' },
  { query: '{ items { ... on Chair { legs finish } ... on Table { seats parts } id } }' },
  { query: '{ search { __typename ... on Item { id title } ... on Person { name friends { name } } } }' },
  { query: '{ shelf { id items { id ...F } owner { kind: __typename name first: friends { id } } } } fragment F on Item { title ... on Chair { legs } }' },
  { query: '{ alias1: items { id } alias2: items { title id } item(id: "1") { id } }' },
  { query: 'query Q($a: Boolean!, $b: Boolean = true) { items { id @skip(if: $a) title @include(if: $b) tags @include(if: false) ... on Chair @skip(if: $a) { legs } } }', variables: { a: false } },
  { query: 'query Q($a: Boolean!, $b: Boolean = true) { items { id @skip(if: $a) title @include(if: $b) } }', variables: { a: true, b: false } },
  { query: '{ items { id ... on Chair { title } ... on Chair { tags legs } title } shelf { items { __typename } } }' },
  { query: '{ __typename shelf { __typename owner { __typename } } }' },
  { query: '{ ... on Query { count } shelf { ... on Shelf { id } } }' },
  // Response names that Object.prototype also has, and one that only a prototype-less object can hold.
  { query: '{ constructor: items { toString: id hasOwnProperty: title } valueOf: count }' },
  { query: '{ __proto__: items { id } items { constructor: title } }' },
];

function compare(operation: Operation, input: unknown, variables?: Record<string, unknown>, compiled = compileShaper(operation)) {
  const introspectionHandling = () => ({ introspected: true });
  let expected: unknown;
  let actual: unknown;
  try {
    const result = computeResponse({ operation, variables, input, introspectionHandling });
    expected = { data: result.data, errors: result.errors.map((error) => ({ message: error.message, path: error.path, extensions: error.extensions })) };
  } catch (error) {
    expected = { threw: (error as Error).message };
  }
  try {
    const result = shape(compiled, input as Record<string, unknown>, variables, introspectionHandling);
    actual = { data: result.data, errors: result.errors.map((error) => ({ message: error.message, path: error.path, extensions: error.extensions })) };
  } catch (error) {
    actual = { threw: (error as Error).message };
  }
  // The router serialises both: the JSON text, key order included, must be the same.
  expect(serialise(actual)).toBe(serialise(expected));
  return expected;
}

/** JSON text of a result; own `__proto__` properties (held by prototype-less objects) are kept. */
function serialise(value: unknown): string {
  return JSON.stringify(value ?? null);
}

describe('compiled result shaping', () => {
  const composed = composeServices(SUBGRAPHS.map((subgraph) => ({ ...subgraph, url: 'http://catalog.invalid/graphql' })));
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
  const apiSchema = apiSchemaOf(composed.supergraphSdl);

  it('matches the gateway on random answers for operations with abstract types, fragments, aliases, conditions and non-null fields', () => {
    const outcomes = new Set<string>();
    for (const [index, { query, variables }] of OPERATIONS.entries()) {
      const operation = operationFromDocument(apiSchema, parse(query), { validate: false });
      // One compiled form for every answer, as the router keeps it: nothing one answer does may change the next.
      const compiled = compileShaper(operation);
      for (let seed = 1; seed <= 80; seed++) {
        const next = random(seed * 1000 + index);
        const input = next() < 0.05 ? null : randomInput(next);
        const expected = compare(operation, input, variables, compiled) as { threw?: string; data?: unknown; errors?: unknown[] };
        outcomes.add(expected.threw ? 'threw' : expected.data === null ? 'null data' : expected.errors?.length ? 'errors' : 'clean');
      }
    }
    // The random answers reach every kind of outcome, or this test would prove little.
    expect([...outcomes].sort()).toEqual(['clean', 'errors', 'null data', 'threw']);
  }, 60_000);

  it('matches the gateway on well-formed answers', () => {
    const operation = operationFromDocument(apiSchema, parse(OPERATIONS[3].query), { validate: false });
    const input = {
      shelf: {
        id: 's1',
        items: [
          { __typename: 'Chair', id: 'c1', title: 'Chair', legs: 4 },
          null,
          { __typename: 'Table', id: 't1', title: 'Table', seats: 6 },
        ],
        owner: { __typename: 'Person', kind: 'Person', name: 'Ada', first: [{ id: 'p2' }] },
      },
    };
    expect(compare(operation, input)).toEqual({
      data: { shelf: { id: 's1', items: [{ id: 'c1', title: 'Chair', legs: 4 }, null, { id: 't1', title: 'Table' }], owner: { kind: 'Person', name: 'Ada', first: [{ id: 'p2' }] } } },
      errors: [],
    });
  });

  it("matches the gateway on Joinery's own supergraph", () => {
    const api = apiSchemaOf(readSupergraph());
    const query = '{ locations(first: 5) { nodes { id name kind createdAt address { city } inventory(first: 2) { nodes { __typename } totalCount } } totalCount pageInfo { hasNextPage endCursor } } }';
    const operation = operationFromDocument(api, parse(query), { validate: false });
    for (let seed = 1; seed <= 200; seed++) compare(operation, randomInput(random(seed)));
  }, 60_000);
});
