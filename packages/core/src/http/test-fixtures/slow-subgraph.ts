/**
 * A subgraph process as a main.ts runs one (buildSubgraphServer, serveUntilSignalled) whose one
 * field answers after SLOW_MS: service-main.int.test.ts signals it while a request is in flight.
 * Prints `slow request started` when the field starts resolving.
 */
import { fileURLToPath } from 'node:url';
import { runMain, serveUntilSignalled } from '../../service-main';
import { buildSubgraphServer } from '../../subgraph-server';

async function main(): Promise<void> {
  const slowMs = Number(process.env.SLOW_MS ?? 1_000);
  const server = await buildSubgraphServer({
    name: 'slow',
    schemaPath: fileURLToPath(new URL('./slow-subgraph.graphql', import.meta.url)),
    resolvers: {
      Query: {
        slow: async () => {
          console.log('slow request started');
          await new Promise((resolve) => setTimeout(resolve, slowMs));
          return 'done';
        },
      },
    },
    createContext: () => ({}),
  });
  await serveUntilSignalled('slow', server, { host: '127.0.0.1', port: 0, portVariable: 'SLOW_PORT', shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000) });
}

runMain(main);
