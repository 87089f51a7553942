import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, metricValue, type CapturedLogs } from '@joinery/core';
import { authHeaders } from '@joinery/core/testing';
import { buildRouter, readSupergraph, type Router } from '../server';
import { startStandIns, type StandIns } from './stand-in-subgraphs';

// Several servers per test on a shared, busy machine: generous time limits.
describe('router metrics', { timeout: 30_000 }, () => {
  let subgraphs: StandIns;
  let router: Router;
  let url: string;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs();
    subgraphs = await startStandIns({
      inventory: {
        Query: {
          locations: () => ({ nodes: [] }),
          location: () => {
            throw new GraphQLError('Location 42 not found', { extensions: { code: 'NOT_FOUND' } });
          },
        },
      },
    });
    // sales is given a port nothing listens on: its calls fail as network errors.
    await subgraphs.servers.sales.stop();
    router = await buildRouter({ supergraphSdl: readSupergraph(), subgraphUrls: subgraphs.urls, rateLimits: false });
    url = await router.listen(0);
  }, 60_000);
  afterAll(async () => {
    await router?.stop();
    await subgraphs?.stop();
    logs.restore();
  });

  const ask = async (query: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify({ query }) });
    return (await response.json()) as { data?: unknown; errors?: unknown[] };
  };
  const requests = (labels: Record<string, string>) => metricValue('joinery_graphql_requests_total', { service: 'router', ...labels });

  it('counts a successful operation by name, times it, and counts and times its subgraph call', async () => {
    const before = {
      requests: await requests({ operation: 'StockPage', operation_type: 'query', outcome: 'success' }),
      timed: await metricValue('joinery_graphql_request_duration_seconds_count', { service: 'router', operation: 'StockPage' }),
      fetches: await metricValue('joinery_subgraph_fetch_duration_seconds_count', { subgraph: 'inventory', outcome: 'ok' }),
      subgraph: await metricValue('joinery_graphql_requests_total', { service: 'inventory', operation: 'StockPage__inventory__0', operation_type: 'query', outcome: 'success' }),
    };
    expect(await ask('query StockPage { locations { nodes { id } } }')).toEqual({ data: { locations: { nodes: [] } } });
    expect(await requests({ operation: 'StockPage', operation_type: 'query', outcome: 'success' })).toBe(before.requests + 1);
    expect(await metricValue('joinery_graphql_request_duration_seconds_count', { service: 'router', operation: 'StockPage' })).toBe(before.timed + 1);
    expect(await metricValue('joinery_subgraph_fetch_duration_seconds_count', { subgraph: 'inventory', outcome: 'ok' })).toBe(before.fetches + 1);
    // The subgraph counts the call too, under the name the query plan gave it.
    expect(await metricValue('joinery_graphql_requests_total', { service: 'inventory', operation: 'StockPage__inventory__0', operation_type: 'query', outcome: 'success' })).toBe(before.subgraph + 1);
  });

  it('counts an operation that failed in part as errors, and one refused before running as refused', async () => {
    const errors = await requests({ operation: 'OneLocation', outcome: 'errors' });
    const refused = await requests({ operation: 'anonymous', operation_type: 'unknown', outcome: 'refused' });
    expect((await ask('query OneLocation { location(id: "42") { id } }')).errors).toHaveLength(1);
    expect((await ask('{ noSuchField }')).errors).toHaveLength(1);
    expect(await requests({ operation: 'OneLocation', outcome: 'errors' })).toBe(errors + 1);
    expect(await requests({ operation: 'anonymous', operation_type: 'unknown', outcome: 'refused' })).toBe(refused + 1);
  });

  it('counts a failed subgraph call as a subgraph fetch error', async () => {
    const before = await metricValue('joinery_subgraph_fetch_errors_total', { subgraph: 'sales', outcome: 'network_error' });
    const answer = await ask('query Report { order(id: "0193a3c5-7d1e-7000-8000-000000000001") { id } }');
    expect(answer.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAVAILABLE', serviceName: 'sales' }) })]);
    expect(await metricValue('joinery_subgraph_fetch_errors_total', { subgraph: 'sales', outcome: 'network_error' })).toBe(before + 1);
    expect(await requests({ operation: 'Report', outcome: 'errors' })).toBeGreaterThanOrEqual(1);
  });

  it('shows them on GET /metrics, without a token', async () => {
    const response = await fetch(url.replace('/graphql', '/metrics'));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('joinery_graphql_requests_total{service="router",operation="StockPage",operation_type="query",outcome="success"}');
    expect(text).toContain('# TYPE joinery_graphql_request_duration_seconds histogram');
    expect(text).toContain('joinery_subgraph_fetch_duration_seconds_bucket{le="0.005",subgraph="inventory",outcome="ok"}');
    expect(text).toContain('# TYPE joinery_subgraph_fetch_errors_total counter');
    expect(text).toContain('joinery_readiness_check{service="router",check="subgraph:sales"} 0');
  });
});
