import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError } from 'graphql';
import { maskInternalErrors, serveGraphQL, type GraphQLService } from '@joinery/core';

export const DEFAULT_SUPERGRAPH_PATH = fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url));

export interface RouterOptions {
  /** Supergraph SDL; routes to the URLs in it unless `subgraphUrls` names another. */
  supergraphSdl: string;
  /** Per-subgraph URL overrides by subgraph name (e.g. { inventory: 'http://inventory:4001/graphql' }). */
  subgraphUrls?: Record<string, string | undefined>;
}

export interface Router extends GraphQLService {
  readonly apollo: ApolloServer;
}

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|network timeout|aborted/i;
const maskInternal = maskInternalErrors('router');

/**
 * Errors the gateway raises when a subgraph cannot be reached become UNAVAILABLE naming the
 * subgraph (clients may retry); other errors without one of our codes are masked and logged.
 * The gateway names only the URL it failed to reach, so `urls` maps URLs to subgraph names.
 */
export function routerErrorFormatter(urls: Map<string, string>) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (UNREACHABLE.test(formatted.message)) {
      const subgraph = formatted.extensions?.serviceName ?? [...urls].find(([url]) => formatted.message.includes(url))?.[1];
      if (typeof subgraph === 'string') {
        console.error(JSON.stringify({ level: 'error', service: 'router', msg: 'subgraph unreachable', subgraph, error: formatted.message }));
        return { message: `The ${subgraph} subgraph could not be reached; retry later`, path: formatted.path, extensions: { code: 'UNAVAILABLE', serviceName: subgraph } };
      }
    }
    return maskInternal(formatted, error);
  };
}

export function readSupergraph(path = DEFAULT_SUPERGRAPH_PATH): string {
  return readFileSync(path, 'utf8');
}

/** Builds the router over a supergraph; never listens by itself. */
export async function buildRouter(options: RouterOptions): Promise<Router> {
  const urls = new Map<string, string>();
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) => {
      const target = options.subgraphUrls?.[name] ?? url!;
      urls.set(target, name);
      return new RemoteGraphQLDataSource({ url: target });
    },
  });
  const apollo = new ApolloServer({
    gateway,
    formatError: routerErrorFormatter(urls),
    csrfPrevention: true,
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginUsageReportingDisabled()],
  });
  await apollo.start();
  return { apollo, ...serveGraphQL('router', { server: apollo, context: async () => ({}) }) };
}
