import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlMetricsPlugin, operationLabels } from './graphql-metrics';
import { observeEventLag } from './event-metrics';
import { trackDatabasePool } from './database-metrics';
import { metricValue, sourcedGauge } from './metrics';

describe('operation name labels', () => {
  it('name a missing operation anonymous and a name that is not a short GraphQL name invalid', () => {
    const operationLabel = operationLabels();
    expect(operationLabel(undefined)).toBe('anonymous');
    expect(operationLabel('')).toBe('anonymous');
    expect(operationLabel('StockPage')).toBe('StockPage');
    expect(operationLabel('_private2')).toBe('_private2');
    expect(operationLabel('x'.repeat(65))).toBe('invalid');
    expect(operationLabel('Stock Page')).toBe('invalid');
    expect(operationLabel('1stPage')).toBe('invalid');
    expect(operationLabel('Page{label="x"}')).toBe('invalid');
  });

  it('stop taking new names once `max` are known, keeping the known ones', () => {
    const operationLabel = operationLabels(3);
    expect(['StockPage', 'A', 'B'].map(operationLabel)).toEqual(['StockPage', 'A', 'B']);
    expect(operationLabel('C')).toBe('other');
    expect(operationLabel('StockPage')).toBe('StockPage');
    expect(operationLabel(undefined)).toBe('anonymous');
  });
});

describe('graphqlMetricsPlugin', () => {
  const service = 'metrics-test';
  let apollo: ApolloServer;

  beforeAll(async () => {
    apollo = new ApolloServer({
      typeDefs: 'type Query { ok: Boolean, broken: Boolean }',
      resolvers: {
        Query: {
          ok: () => true,
          broken: () => {
            throw new GraphQLError('it broke', { extensions: { code: 'UNAVAILABLE' } });
          },
        },
      },
      plugins: [graphqlMetricsPlugin(service)],
    });
    await apollo.start();
  }, 30_000);
  afterAll(() => apollo.stop());

  const count = (operation: string, outcome: string, operationType = 'query') => metricValue('joinery_graphql_requests_total', { service, operation, operation_type: operationType, outcome });

  it('counts a successful operation by name and times it', async () => {
    const before = await count('Healthy', 'success');
    const timedBefore = await metricValue('joinery_graphql_request_duration_seconds_count', { service, operation: 'Healthy' });
    await apollo.executeOperation({ query: 'query Healthy { ok }' });
    expect(await count('Healthy', 'success')).toBe(before + 1);
    expect(await metricValue('joinery_graphql_request_duration_seconds_count', { service, operation: 'Healthy' })).toBe(timedBefore + 1);
  });

  it('counts an operation that ran with errors as errors, and one that never ran as refused', async () => {
    const errors = await count('Broken', 'errors');
    const refused = await count('anonymous', 'refused', 'unknown');
    await apollo.executeOperation({ query: 'query Broken { broken }' });
    await apollo.executeOperation({ query: '{ noSuchField }' });
    expect(await count('Broken', 'errors')).toBe(errors + 1);
    expect(await count('anonymous', 'refused', 'unknown')).toBe(refused + 1);
  });
});

describe('sourced gauges', () => {
  it('read their tracked sources at scrape time and forget one once untracked', async () => {
    const gauge = sourcedGauge('joinery_test_things', 'Things, for a test', ['kind']);
    let live = 3;
    const untrack = gauge.track(() => [[{ kind: 'a' }, live]]);
    expect(await metricValue('joinery_test_things', { kind: 'a' })).toBe(3);
    live = 5;
    expect(await register.metrics()).toContain('joinery_test_things{kind="a"} 5');
    untrack();
    expect(await register.metrics()).not.toContain('joinery_test_things{kind="a"}');
  });

  it('report a PostgreSQL pool, and nothing for PGlite', async () => {
    const untrackPool = trackDatabasePool('pool-test', { poolStats: () => ({ total: 4, idle: 1, waiting: 2, max: 10 }) });
    const untrackPglite = trackDatabasePool('pglite-test', { poolStats: () => undefined });
    expect(await metricValue('joinery_db_pool_connections', { service: 'pool-test' })).toBe(4);
    expect(await metricValue('joinery_db_pool_idle_connections', { service: 'pool-test' })).toBe(1);
    expect(await metricValue('joinery_db_pool_waiting_requests', { service: 'pool-test' })).toBe(2);
    expect(await metricValue('joinery_db_pool_max_connections', { service: 'pool-test' })).toBe(10);
    expect(await register.metrics()).not.toContain('service="pglite-test"');
    untrackPool();
    untrackPglite();
    expect(await register.metrics()).not.toContain('service="pool-test"');
  });
});

describe('event lag', () => {
  it('observes the seconds since each event occurred, under its consumer group', async () => {
    const group = 'lag-test';
    observeEventLag(group, [{ occurredAt: new Date(Date.now() - 90_000).toISOString() }, { occurredAt: new Date().toISOString() }]);
    expect(await metricValue('joinery_event_lag_seconds_count', { group })).toBe(2);
    const sum = await metricValue('joinery_event_lag_seconds_sum', { group });
    expect(sum).toBeGreaterThanOrEqual(90);
    expect(sum).toBeLessThan(3_600);
    // The 60 s bucket holds only the recent event; the 300 s one both.
    expect(await metricValue('joinery_event_lag_seconds_bucket', { group, le: '60' })).toBe(1);
    expect(await metricValue('joinery_event_lag_seconds_bucket', { group, le: '300' })).toBe(2);
  });
});
