import { loadEnv, openEventBus, runMain, webSocketLimits, serveUntilSignalled, SUBGRAPHS, subgraphUrl } from '@joinery/core';
import { buildRouter, DEFAULT_SUPERGRAPH_PATH, readSupergraph } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  const path = env.SUPERGRAPH_PATH ?? DEFAULT_SUPERGRAPH_PATH;
  const explicit = { inventory: env.INVENTORY_URL, sales: env.SALES_URL, marketing: env.MARKETING_URL };
  // A supergraph given by path routes to its own URLs unless overridden; ours routes to the configured ports.
  const subgraphUrls = env.SUPERGRAPH_PATH ? explicit : Object.fromEntries(SUBGRAPHS.map((name) => [name, subgraphUrl(env, name)]));
  if (!env.REDIS_URL) {
    console.warn(JSON.stringify({ level: 'warn', service: 'router', msg: 'REDIS_URL is not set: a router in its own process receives no stock events, so subscriptions stay silent. Set REDIS_URL (and on the inventory subgraph too), or run `npm start` for the all-in-one process.' }));
  }
  const bus = await openEventBus({ redisUrl: env.REDIS_URL, channelPrefix: env.EVENT_CHANNEL_PREFIX });
  const router = await buildRouter({
    supergraphSdl: readSupergraph(path),
    subgraphUrls,
    bus,
    webSocket: webSocketLimits(env),
  });
  await serveUntilSignalled('router', { listen: router.listen, stop: () => router.stop().finally(() => bus.close()) }, { host: env.HOST, port: env.ROUTER_PORT, portVariable: 'ROUTER_PORT' }, { supergraph: path, events: bus.kind });
}

runMain(main);
