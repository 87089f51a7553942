import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { Kind, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionPlugin } from './admission';
import { checkOperation, fieldSuggestionMasking, operationCost, queryLimits, tokenLimitError, withPageSizes } from './limits';

const ROOT = resolve(import.meta.dirname, '../../..');
const limits = queryLimits({ introspection: true, fieldSuggestions: true });

/** Files whose operations are abusive on purpose (the tests of these limits). */
const ABUSIVE = new Set(['router/src/hardening/limits.test.ts', 'router/src/subscriptions/admission.test.ts', 'packages/stack/src/security.int.test.ts']);

function files(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'generated' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files(path, found);
    else if (/\.(ts|md)$/.test(entry)) found.push(path);
  }
  return found;
}

/** GraphQL in template literals and quoted strings of TypeScript, and in ```graphql blocks of Markdown. */
function operationsIn(text: string, markdown: boolean): string[] {
  const found: string[] = [];
  if (markdown) for (const match of text.matchAll(/```graphql\n([\s\S]*?)```/g)) found.push(match[1]!);
  for (const match of text.matchAll(/`([^`]*)`/g)) if (/^\s*(query|mutation|subscription|fragment|\{)/.test(match[1]!)) found.push(match[1]!.replace(/\$\{[^}]*\}/g, ''));
  for (const match of text.matchAll(/'((?:query|mutation|subscription|\{)[^'\n]*)'/g)) found.push(match[1]!);
  return found;
}

/** Each operation of a document on its own, with the fragments it may use (a docs block may hold several). */
function split(document: DocumentNode): DocumentNode[] {
  const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  return document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).map((operation) => ({ ...document, definitions: [operation, ...fragments] }));
}

let schema: GraphQLSchema;
let gateway: ApolloGateway;

beforeAll(async () => {
  gateway = new ApolloGateway({ supergraphSdl: readFileSync(join(ROOT, 'schema/supergraph.graphql'), 'utf8') });
  ({ schema } = await gateway.load());
});
afterAll(async () => {
  await gateway.stop();
});

describe('query limits admit every legitimate operation of the repository', () => {
  it('passes each operation found in the tests, docs, README, bench and scripts that the supergraph validates', async () => {
    const sources = ['packages', 'subgraphs', 'router', 'bench', 'e2e', 'docs', 'scripts'].flatMap((dir) => files(join(ROOT, dir))).concat(join(ROOT, 'README.md'));
    const checked: { file: string; query: string; cost: number }[] = [];
    const refused: string[] = [];
    for (const file of sources) {
      const name = relative(ROOT, file);
      if (ABUSIVE.has(name)) continue;
      for (const text of operationsIn(readFileSync(file, 'utf8'), file.endsWith('.md'))) {
        let document: DocumentNode;
        try {
          document = parse(text);
        } catch {
          continue;
        }
        for (const operation of split(document)) {
          let valid: boolean;
          try {
            valid = validate(schema, operation, specifiedRules).length === 0;
          } catch {
            valid = false;
          }
          // Subgraph-only operations (_entities, internal mutations) and deliberately invalid ones.
          if (!valid) continue;
          const query = (await import('graphql')).print(operation);
          const outcome = checkOperation(schema, query, undefined, limits);
          if ('errors' in outcome) refused.push(`${name}: ${outcome.errors[0]!.message}\n    ${query.replace(/\s+/g, ' ').slice(0, 200)}`);
          checked.push({ file: name, query, cost: operationCost(schema, operation) });
        }
      }
    }
    expect(refused).toEqual([]);
    // The scan must actually find the repository's operations, or this test proves nothing.
    expect(checked.length).toBeGreaterThan(250);
    expect(new Set(checked.map((entry) => entry.file)).size).toBeGreaterThan(40);
    expect(checked.some((entry) => entry.file === 'README.md')).toBe(true);
    expect(checked.some((entry) => entry.file.startsWith('docs/'))).toBe(true);
    expect(checked.some((entry) => entry.file.startsWith('bench/'))).toBe(true);
    // It reads and validates every operation in the repository: seconds on a busy machine.
  }, 60_000);
});

describe('limits', () => {
  // Pages of one: only depth counts here, not cost.
  const nested = (levels: number) => `{ locations(first: 1) { nodes { inventory(first: 1) { nodes { product { ${'movements(first: 1) { nodes { location { '.repeat(levels)}id${' } } }'.repeat(levels)} sku } } } } } }`;

  it('refuses an operation nested deeper than maxDepth, counting fragments as their fields', () => {
    // locations > nodes > inventory > nodes > product > sku: depth 6; each movements > nodes > location adds 3.
    expect(checkOperation(schema, nested(1), undefined, limits)).toHaveProperty('document');
    const deep = checkOperation(schema, nested(2), undefined, limits);
    expect(deep).toEqual({ errors: [expect.objectContaining({ message: 'Query depth limit of 10 exceeded, found 12: nest fewer selections', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } })] });
    const fragment = (levels: number) => `{ locations(first: 1) { nodes { inventory(first: 1) { nodes { product { ...M } } } } } } fragment M on Product { ${'movements(first: 1) { nodes { location { '.repeat(levels)}id${' } } }'.repeat(levels)} sku }`;
    expect(checkOperation(schema, fragment(1), undefined, limits)).toHaveProperty('document');
    expect(checkOperation(schema, fragment(2), undefined, limits)).toMatchObject({ errors: [{ message: expect.stringMatching(/^Query depth limit of 10 exceeded, found 12/) }] });
  });

  it('refuses more than maxAliases aliases (__typename free)', () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: products(first: 1) { totalCount }`).join(' ')} }`;
    expect(checkOperation(schema, aliases(15), undefined, limits)).toHaveProperty('document');
    expect(checkOperation(schema, aliases(16), undefined, limits)).toMatchObject({ errors: [{ message: expect.stringMatching(/^Aliases limit of 15 exceeded, found 16/) }] });
    expect(checkOperation(schema, `{ ${Array.from({ length: 30 }, (_, i) => `t${i}: __typename`).join(' ')} }`, undefined, limits)).toHaveProperty('document');
  });

  it('refuses more than maxDirectives directives', () => {
    const directives = (n: number) => `query($yes: Boolean!) { products(first: 1) { ${Array.from({ length: n }, (_, i) => `t${i}: __typename @include(if: $yes)`).join(' ')} } }`;
    expect(checkOperation(schema, directives(20), { yes: true }, limits)).toHaveProperty('document');
    expect(checkOperation(schema, directives(21), { yes: true }, limits)).toMatchObject({ errors: [{ message: expect.stringMatching(/^Directives limit of 20 exceeded, found 21/) }] });
  });

  it('refuses a document over maxTokens by lexing alone, and leaves syntax errors to the parser', () => {
    const fields = (n: number) => `{ ${'__typename '.repeat(n)}}`;
    expect(tokenLimitError(fields(998), 1000)).toBeUndefined();
    expect(tokenLimitError(fields(999), 1000)).toMatchObject({ message: 'Token limit of 1000 exceeded: send a shorter document (pass values as variables)', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(tokenLimitError('{ "unterminated', 1000)).toBeUndefined();
    expect(checkOperation(schema, '{ "unterminated', undefined, limits)).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
  });

  it('counts page sizes written as literals, variables, variable defaults and field defaults', () => {
    const sizes = (query: string, variables?: Record<string, unknown>) => {
      const found: string[] = [];
      const printed = withPageSizes(schema, parse(query), variables);
      for (const definition of printed.definitions) if (definition.kind === Kind.OPERATION_DEFINITION) JSON.stringify(definition, (key, value) => (key === 'arguments' ? (found.push(...value.map((arg: { name: { value: string }; value: { value: string } }) => `${arg.name.value}=${arg.value.value}`)), value) : value));
      return found;
    };
    expect(sizes('{ locations(first: 7) { nodes { id } } }')).toEqual(['first=7']);
    expect(sizes('query($n: Int) { locations(first: $n) { nodes { id } } }', { n: 200 })).toEqual(['first=200']);
    expect(sizes('query($n: Int = 30) { locations(first: $n) { nodes { id } } }')).toEqual(['first=30']);
    expect(sizes('{ locations { nodes { id } } }')).toEqual(['first=50']);
  });

  it('refuses an operation costing more than maxCost whether its page sizes are literals or variables', () => {
    const query = 'query($n: Int, $m: Int) { locations(first: $n) { nodes { movements(first: $m) { nodes { id delta } } } } }';
    // 2 + 1.5 × (2 + 1.5 × (m × (2 + 1.5 × (2 + 1.5 × 1 + 1.5 × 1)))) per location, × n.
    const perLocation = (m: number) => 2 + 1.5 * (2 + 1.5 * (m * (2 + 1.5 * (2 + 1.5 + 1.5))));
    expect(operationCost(schema, parse(query), { n: 10, m: 10 })).toBeCloseTo(10 * perLocation(10));
    expect(operationCost(schema, parse(query), { n: 250, m: 250 })).toBeCloseTo(250 * perLocation(250));
    expect(checkOperation(schema, query, { n: 10, m: 10 }, limits)).toHaveProperty('document');
    const refused = checkOperation(schema, query, { n: 250, m: 250 }, limits);
    expect(refused).toMatchObject({ errors: [{ message: `Query cost limit of 300000 exceeded, found ${Math.ceil(250 * perLocation(250))}: ask for smaller pages (first/last) or fewer nested lists` }] });
    const literal = checkOperation(schema, '{ locations(first: 250) { nodes { movements(first: 250) { nodes { id delta } } } } }', undefined, limits);
    expect(literal).toHaveProperty('errors');
  });

  it('refuses introspection over WebSocket when it is off', () => {
    expect(checkOperation(schema, '{ __schema { types { name } } }', undefined, { ...limits, introspection: false })).toHaveProperty('errors');
    expect(checkOperation(schema, '{ __schema { types { name } } }', undefined, limits)).toHaveProperty('document');
  });
});

describe('limits in ApolloServer (admission plugin)', () => {
  const typeDefs = 'type Query { items(first: Int = 10): [Item!]! } type Item { id: ID! child: Item name: String }';
  let server: ApolloServer;

  beforeAll(async () => {
    const small = queryLimits({ maxDepth: 3, maxAliases: 2, maxDirectives: 1, maxTokens: 40, maxCost: 500, introspection: true, fieldSuggestions: false });
    server = new ApolloServer({ typeDefs, resolvers: { Query: { items: () => [] } }, plugins: [admissionPlugin({ limits: small }), ...fieldSuggestionMasking()] });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  const post = async (query: string, variables?: Record<string, unknown>) => {
    const result = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body: variables ? { query, variables } : { query } }, context: async () => ({}) });
    return { status: result.status ?? 200, body: JSON.parse((result.body as { string: string }).string) };
  };

  it('answers each refusal with HTTP 400 and GRAPHQL_VALIDATION_FAILED, and runs what is within', async () => {
    expect(await post('{ items { id } }')).toEqual({ status: 200, body: { data: { items: [] } } });
    expect((await post('{ items(first: 100) { id name } }')).status).toBe(200);
    for (const [query, message] of [
      ['{ items { child { child { id } } } }', /^Query depth limit of 3 exceeded, found 4/],
      ['{ a: items { id } b: items { id } c: items { id } }', /^Aliases limit of 2 exceeded, found 3/],
      ['query($y: Boolean!) { items { id @include(if: $y) name @include(if: $y) } }', /^Directives limit of 1 exceeded, found 2/],
      [`{ items { ${'id '.repeat(40)}} }`, /^Token limit of 40 exceeded/],
      // 101 × (2 + 1.5 × 1 + 1.5 × 1) = 505; first: 100 costs exactly 500, within.
      ['{ items(first: 101) { id name } }', /^Query cost limit of 500 exceeded, found 505: /],
    ] as const) {
      const answer = await post(query, { y: true });
      expect(answer.status, query).toBe(400);
      expect(answer.body.errors).toEqual([{ message: expect.stringMatching(message), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    }
  });

  it('counts the cost with the variables sent', async () => {
    expect((await post('query($n: Int) { items(first: $n) { id name } }', { n: 5 })).status).toBe(200);
    expect((await post('query($n: Int) { items(first: $n) { id name } }', { n: 1000 })).status).toBe(400);
  });

  it('keeps syntax errors 400 GRAPHQL_PARSE_FAILED (GraphQL Armor\'s token plugin would make them 500)', async () => {
    expect(await post('{ items { ')).toMatchObject({ status: 400, body: { errors: [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] } });
  });

  it('hides field suggestions when they are off', async () => {
    const answer = await post('{ itemz { id } }');
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].message).not.toMatch(/Did you mean/);
    expect(answer.body.errors[0].message).toMatch(/Cannot query field "itemz"/);
  });
});
