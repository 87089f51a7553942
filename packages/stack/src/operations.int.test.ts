/**
 * What an operator sees of the whole stack (docs/operations.md): every service's /healthz and
 * /readyz, metrics that move as requests and events go through, and a graceful drain. PGlite with
 * the in-process bus, and PostgreSQL with Redis when their URLs are set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, type SubgraphName } from '@joinery/core';
import { backends, expectData } from '@joinery/core/testing';
import { startStack, type Stack } from './stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };
const SUBGRAPH_NAMES: SubgraphName[] = ['inventory', 'sales', 'marketing'];

describe.each(backends())('operating the stack on $name', (backend) => {
  let stack: Stack;
  const base = (service: SubgraphName | 'router') => stack.urls[service].replace('/graphql', '');
  const get = async (service: SubgraphName | 'router', path: string) => {
    const response = await fetch(`${base(service)}${path}`);
    return { status: response.status, text: await response.text() };
  };

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports, bus: await backend.bus() });
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it('answers /healthz on every service, and /readyz naming what each depends on', async () => {
    const ok = { status: 'ok' };
    const redis = stack.bus.kind === 'redis' ? { redis: ok } : {};
    for (const service of [...SUBGRAPH_NAMES, 'router'] as const) {
      expect(JSON.parse((await get(service, '/healthz')).text)).toEqual({ status: 'ok', service });
    }
    for (const service of SUBGRAPH_NAMES) {
      expect(JSON.parse((await get(service, '/readyz')).text)).toEqual({ status: 'ready', service, checks: { database: ok, ...redis } });
    }
    expect(JSON.parse((await get('router', '/readyz')).text)).toEqual({ status: 'ready', service: 'router', checks: { 'subgraph:inventory': ok, 'subgraph:sales': ok, 'subgraph:marketing': ok, ...redis } });
  });

  it('moves the metrics as a change goes through the router to inventory and its event to marketing', async () => {
    const router = { service: 'router', operation: 'ReceiveStock', operation_type: 'mutation', outcome: 'success' };
    const before = {
      router: await metricValue('joinery_graphql_requests_total', router),
      inventory: await metricValue('joinery_graphql_requests_total', { service: 'inventory', operation_type: 'mutation', outcome: 'success' }),
      fetches: await metricValue('joinery_subgraph_fetch_duration_seconds_count', { subgraph: 'inventory', outcome: 'ok' }),
      lag: await metricValue('joinery_event_lag_seconds_count', { group: 'marketing.automation' }),
    };
    const store = await expectData(stack.urls.router, `mutation OpenStore { createLocation(input: { code: "OPS-1", name: "Ops Store", kind: STORE, timezone: "Europe/Oslo",
      address: { line1: "Storgata 1", city: "Oslo", region: "Nordics", postalCode: "0155", country: "NO" } }) { location { id } } }`);
    await expectData(stack.urls.router, `mutation AddProduct { createProduct(input: { sku: "OPS-LAMP", name: "Lamp", category: "lamps", price: "199.00" }) { userErrors { message } } }`);
    const received = await expectData(stack.urls.router, `mutation ReceiveStock($l: ID!) { adjustInventory(input: { locationId: $l, sku: "OPS-LAMP", delta: 5, reason: RECEIVED }) { userErrors { message } } }`, { l: store.createLocation.location.id });
    expect(received.adjustInventory.userErrors).toEqual([]);

    expect(await metricValue('joinery_graphql_requests_total', router)).toBe(before.router + 1);
    expect(await metricValue('joinery_graphql_requests_total', { service: 'inventory', operation_type: 'mutation', outcome: 'success' })).toBeGreaterThanOrEqual(before.inventory + 3);
    expect(await metricValue('joinery_subgraph_fetch_duration_seconds_count', { subgraph: 'inventory', outcome: 'ok' })).toBeGreaterThanOrEqual(before.fetches + 3);
    // The stock event reaches marketing's automation group through the outbox and the bus.
    await expect.poll(() => metricValue('joinery_event_lag_seconds_count', { group: 'marketing.automation' }), { timeout: 30_000, interval: 100 }).toBeGreaterThan(before.lag);

    const metrics = await get('router', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('joinery_graphql_requests_total{service="router",operation="ReceiveStock",operation_type="mutation",outcome="success"}');
    expect(metrics.text).toContain('joinery_event_lag_seconds_bucket{le="1",group="marketing.automation"}');
    if (backend.name === 'postgres') {
      for (const service of SUBGRAPH_NAMES) expect(metrics.text).toMatch(new RegExp(`joinery_db_pool_max_connections\\{service="${service}"\\} 10`));
    } else {
      expect(metrics.text).not.toContain('joinery_db_pool_connections{');
    }
    // One process, one registry: every port of the stack shows the same series.
    expect((await get('marketing', '/metrics')).text).toContain('operation="ReceiveStock"');
  });

  it('drains: every /readyz says draining at once, and no service takes new connections', async () => {
    const drained = stack.drain(10_000);
    for (const service of [stack.router, stack.inventory, stack.sales, stack.marketing]) expect(service.health.isDraining).toBe(true);
    await drained;
    for (const service of [stack.router, stack.inventory, stack.sales, stack.marketing]) expect(service.http.listening).toBe(false);
  });
});
