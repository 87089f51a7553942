/** Tests: the real subgraph servers over the real schemas, with a few stub resolvers and no database. */
import { fileURLToPath } from 'node:url';
import { buildSubgraphServer, SUBGRAPHS, type SubgraphName, type SubgraphServer } from '@joinery/core';

export interface StandIns {
  servers: Record<SubgraphName, SubgraphServer>;
  urls: Record<SubgraphName, string>;
  stop(): Promise<void>;
}

/** Starts inventory, sales and marketing on free ports; `resolvers` by subgraph (default none). */
export async function startStandIns(resolvers: Partial<Record<SubgraphName, unknown>> = {}): Promise<StandIns> {
  const servers = {} as Record<SubgraphName, SubgraphServer>;
  const urls = {} as Record<SubgraphName, string>;
  for (const name of SUBGRAPHS) {
    servers[name] = await buildSubgraphServer({
      name,
      schemaPath: fileURLToPath(new URL(`../../../subgraphs/${name}/schema.graphql`, import.meta.url)),
      resolvers: resolvers[name] ?? {},
      createContext: () => ({}),
    });
    urls[name] = await servers[name].listen(0);
  }
  return {
    servers,
    urls,
    // Each once: a test may have stopped one already.
    stop: async () => {
      await Promise.all(Object.values(servers).map((server) => (server.http.listening ? server.stop() : undefined)));
    },
  };
}
