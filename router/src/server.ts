import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { closeServer, createGraphQLHttpServer, listen, maskInternalErrors } from '@joinery/core';

export const DEFAULT_SUPERGRAPH_PATH = fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url));

export interface RouterOptions {
  /** Supergraph SDL; routes to the URLs in it unless `subgraphUrls` names another. */
  supergraphSdl: string;
  /** Per-subgraph URL overrides by subgraph name (e.g. { inventory: 'http://inventory:4001/graphql' }). */
  subgraphUrls?: Record<string, string | undefined>;
}

export interface Router {
  readonly http: Server;
  readonly apollo: ApolloServer;
  listen(port: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

export function readSupergraph(path = DEFAULT_SUPERGRAPH_PATH): string {
  return readFileSync(path, 'utf8');
}

/** Builds the router over a supergraph; never listens by itself. */
export async function buildRouter(options: RouterOptions): Promise<Router> {
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) => new RemoteGraphQLDataSource({ url: options.subgraphUrls?.[name] ?? url }),
  });
  const apollo = new ApolloServer({
    gateway,
    formatError: maskInternalErrors('router'),
    csrfPrevention: true,
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginUsageReportingDisabled()],
  });
  await apollo.start();
  const http = createGraphQLHttpServer({
    server: apollo,
    context: async () => ({}),
    routes: {
      '/health': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: 'ok', service: 'router' }));
      },
    },
  });
  return {
    http,
    apollo,
    listen: (port, host = '127.0.0.1') => listen(http, port, host),
    async stop() {
      await closeServer(http);
      await apollo.stop();
    },
  };
}
