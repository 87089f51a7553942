import { composeServices } from '@apollo/composition';
import { ApolloGateway, LocalGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, defaultFieldResolver, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NESTED_QUERY } from '../../../bench/federation/query';
import { SUBGRAPH_NAMES, subgraphResolvers, subgraphTypeDefs, type BenchSubgraph } from '../../../bench/federation/subgraphs';
import { routerExecutionCounts, routerExecutionInstalled, withRouterExecution } from './gateway-execution';

/**
 * The bench's four subgraphs (users, products, reviews, stock with @requires), in process, where a
 * fault plan can make a field throw (with or without a code) or answer null, decided by the field
 * and the object's key so both executors meet the same faults.
 */
function faultySchema(name: BenchSubgraph, faultRate: number): GraphQLSchema {
  const schema = buildSubgraphSchema({ typeDefs: subgraphTypeDefs(name), resolvers: subgraphResolvers(name) as never });
  if (faultRate === 0) return schema;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!('getFields' in type) || type.name.startsWith('_') || ['Query'].includes(type.name) === false && !['User', 'Product', 'Review'].includes(type.name)) continue;
    for (const field of Object.values((type as { getFields(): Record<string, { resolve?: unknown; name: string }> }).getFields())) {
      const resolve = (field.resolve as typeof defaultFieldResolver | undefined) ?? defaultFieldResolver;
      field.resolve = (source: unknown, args: Record<string, unknown>, context: unknown, info: Parameters<typeof defaultFieldResolver>[3]) => {
        const key = `${name}.${type.name}.${field.name}.${JSON.stringify(source ?? null).slice(0, 80)}.${JSON.stringify(args)}`;
        const roll = hash(key) % 1000;
        if (roll < faultRate * 1000 * 0.4) throw new GraphQLError(`fault at ${type.name}.${field.name}`, { extensions: { code: roll % 2 ? 'FORBIDDEN' : 'NOT_FOUND' } });
        if (roll < faultRate * 1000 * 0.7) throw new Error(`crash at ${type.name}.${field.name}`);
        if (roll < faultRate * 1000) return null;
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

function hash(text: string): number {
  let value = 2166136261;
  for (let index = 0; index < text.length; index++) value = Math.imul(value ^ text.charCodeAt(index), 16777619) >>> 0;
  return value;
}

async function serverOver(faultRate: number, routerExecution: boolean): Promise<ApolloServer> {
  const composed = composeServices(SUBGRAPH_NAMES.map((name) => ({ name, typeDefs: subgraphTypeDefs(name), url: `http://${name}.invalid/graphql` })));
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
  const gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
    buildService: ({ name }) => new LocalGraphQLDataSource(faultySchema(name as BenchSubgraph, faultRate)),
  });
  if (routerExecution) gateway.executor = withRouterExecution(gateway.executor);
  const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
  await server.start();
  return server;
}

const QUERIES: { query: string; variables?: Record<string, unknown> }[] = [
  { query: NESTED_QUERY },
  { query: '{ topProducts(first: 8) { upc name shippingEstimate inStock reviews { id author { username reviews { product { name } } } } } }' },
  { query: 'query($withReviews: Boolean!, $skipStock: Boolean = false) { users { id name reviews @include(if: $withReviews) { body product { name inStock @skip(if: $skipStock) } } } }', variables: { withReviews: true } },
  { query: 'query($withReviews: Boolean!, $skipStock: Boolean = false) { users { id name reviews @include(if: $withReviews) { body product { name inStock @skip(if: $skipStock) } } } }', variables: { withReviews: false } },
  { query: 'query($skipStock: Boolean = true) { topProducts { name inStock @skip(if: $skipStock) } }' },
  { query: '{ a: user(id: "u1") { ...U } b: user(id: "nobody") { ...U } } fragment U on User { __typename id username reviews { __typename product { __typename upc shippingEstimate } } }' },
];

describe('the router plan executor', () => {
  const servers: ApolloServer[] = [];
  const pairs = new Map<number, { gateway: ApolloServer; router: ApolloServer }>();

  beforeAll(async () => {
    for (const faultRate of [0, 0.05, 0.2]) {
      const pair = { gateway: await serverOver(faultRate, false), router: await serverOver(faultRate, true) };
      servers.push(pair.gateway, pair.router);
      pairs.set(faultRate, pair);
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('is installed in the gateway', () => {
    expect(routerExecutionInstalled()).toBe(true);
  });

  it.each([0, 0.05, 0.2])('answers exactly as the gateway does, data and errors, with a fault rate of %s', async (faultRate) => {
    const { gateway, router } = pairs.get(faultRate)!;
    const before = routerExecutionCounts().plans;
    let withErrors = 0;
    for (const { query, variables } of QUERIES) {
      const [expected, actual] = await Promise.all([gateway, router].map(async (server) => {
        const response = await server.executeOperation({ query, variables });
        if (response.body.kind !== 'single') throw new Error('expected a single result');
        return JSON.stringify(response.body.singleResult);
      }));
      expect(actual).toBe(expected);
      if (expected.includes('"errors"')) withErrors++;
    }
    expect(routerExecutionCounts().plans - before).toBe(QUERIES.length);
    // With faults, the comparison covers subgraph errors mapped to the client's paths.
    if (faultRate > 0) expect(withErrors).toBeGreaterThan(0);
  });
});
