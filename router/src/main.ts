import { ConfigError, listenOrExplain, loadEnv, subgraphUrl, SUBGRAPHS } from '@joinery/core';
import { buildRouter, DEFAULT_SUPERGRAPH_PATH, readSupergraph } from './server';

async function main(): Promise<void> {
  const env = loadEnv();
  const path = env.SUPERGRAPH_PATH ?? DEFAULT_SUPERGRAPH_PATH;
  const explicit = { inventory: env.INVENTORY_URL, sales: env.SALES_URL, marketing: env.MARKETING_URL };
  // A supergraph given by path routes to its own URLs unless overridden; ours routes to the configured ports.
  const subgraphUrls = env.SUPERGRAPH_PATH ? explicit : Object.fromEntries(SUBGRAPHS.map((name) => [name, subgraphUrl(env, name)]));
  const router = await buildRouter({ supergraphSdl: readSupergraph(path), subgraphUrls });
  const url = await listenOrExplain(router.listen(env.ROUTER_PORT, env.HOST), 'HOST / ROUTER_PORT');
  console.log(JSON.stringify({ level: 'info', service: 'router', msg: 'listening', url, supergraph: path }));
  const shutdown = () => router.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
