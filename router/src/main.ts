import { loadEnv, runMain, serveUntilSignalled, SUBGRAPHS, subgraphUrl } from '@joinery/core';
import { buildRouter, DEFAULT_SUPERGRAPH_PATH, readSupergraph } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  const path = env.SUPERGRAPH_PATH ?? DEFAULT_SUPERGRAPH_PATH;
  const explicit = { inventory: env.INVENTORY_URL, sales: env.SALES_URL, marketing: env.MARKETING_URL };
  // A supergraph given by path routes to its own URLs unless overridden; ours routes to the configured ports.
  const subgraphUrls = env.SUPERGRAPH_PATH ? explicit : Object.fromEntries(SUBGRAPHS.map((name) => [name, subgraphUrl(env, name)]));
  const router = await buildRouter({ supergraphSdl: readSupergraph(path), subgraphUrls });
  await serveUntilSignalled('router', router, { host: env.HOST, port: env.ROUTER_PORT, portVariable: 'ROUTER_PORT' }, { supergraph: path });
}

runMain(main);
