import type { Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs, InProcessEventBus, metricValue, type CapturedLogs, type EventBus } from '@joinery/core';
import { authHeaders } from '@joinery/core/testing';
import { collect, waitUntil, wsClient } from '@joinery/core/testing-ws';
import { buildRouter, readSupergraph, type Router } from '../server';
import { startStandIns, type StandIns } from './stand-in-subgraphs';

/** A deferred: a promise and what settles it. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

// Several servers per test on a shared, busy machine: generous time limits.
describe('router health and shutdown', { timeout: 60_000 }, () => {
  let subgraphs: StandIns | undefined;
  let router: Router | undefined;
  let bus: EventBus | undefined;
  let logs: CapturedLogs | undefined;

  afterEach(async () => {
    await router?.stop();
    await subgraphs?.stop();
    await bus?.close();
    logs?.restore();
    router = subgraphs = bus = logs = undefined;
  }, 30_000);

  const start = async (options: { bus?: EventBus; resolvers?: Parameters<typeof startStandIns>[0] } = {}) => {
    logs = captureLogs();
    subgraphs = await startStandIns(options.resolvers);
    router = await buildRouter({ supergraphSdl: readSupergraph(), subgraphUrls: subgraphs.urls, bus: options.bus, rateLimits: false });
    const url = await router.listen(0);
    return { url, base: url.replace('/graphql', '') };
  };
  const readyz = async (base: string) => {
    const response = await fetch(`${base}/readyz`);
    return { status: response.status, body: await response.json() };
  };

  it('is ready while every subgraph answers, and names the one that stops answering', async () => {
    const { base } = await start();
    const ok = { status: 'ok' };
    expect(await readyz(base)).toEqual({ status: 200, body: { status: 'ready', service: 'router', checks: { 'subgraph:inventory': ok, 'subgraph:sales': ok, 'subgraph:marketing': ok } } });
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', service: 'router' });
    await subgraphs!.servers.sales.stop();
    // Past the one-second cache.
    await expect
      .poll(() => readyz(base), { timeout: 15_000, interval: 200 })
      .toEqual({ status: 503, body: { status: 'not ready', service: 'router', checks: { 'subgraph:inventory': ok, 'subgraph:sales': { status: 'failed', reason: 'unreachable (ECONNREFUSED)' }, 'subgraph:marketing': ok } } });
  });

  it('drains: WebSockets close with 1001, /readyz says draining, the request in flight finishes', async () => {
    const arrived = deferred();
    const release = deferred();
    bus = new InProcessEventBus();
    const { url, base } = await start({
      bus,
      resolvers: {
        inventory: {
          Query: {
            locations: async () => {
              arrived.resolve();
              await release.promise;
              return { nodes: [] };
            },
          },
        },
      },
    });
    const client: Client = wsClient(url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => client.on('closed', (event) => resolve({ code: (event as { code: number }).code, reason: String((event as { reason: string }).reason) })));
    collect(client, 'subscription { stockChanged { id } }');
    await waitUntil(() => router!.hub!.subscriberCount === 1, 15_000, 'the subscription');
    expect(await metricValue('joinery_websocket_connections')).toBe(1);
    expect(await metricValue('joinery_subscriptions_active')).toBe(1);

    const inFlight = fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify({ query: '{ locations { nodes { id } } }' }) });
    await arrived.promise;
    const drained = router!.drain(30_000);
    expect(await router!.health.readiness()).toEqual({ status: 'draining', service: 'router', checks: {} });
    expect(await closed).toEqual({ code: 1001, reason: 'Server shutting down: reconnect' });
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    release.resolve();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { locations: { nodes: [] } } });
    await drained;
    await router!.stop();
    router = undefined;
    expect(await metricValue('joinery_websocket_connections')).toBe(0);
  });
});
