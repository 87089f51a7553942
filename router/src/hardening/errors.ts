import type { GraphQLFormattedError } from 'graphql';
import { currentRequestScope, logger, RequestTimeoutError } from '@joinery/core';
import { SubgraphTimeoutError } from './subgraph-fetch';

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|network timeout|aborted|UND_ERR_SOCKET|other side closed|UND_ERR_CONNECT_TIMEOUT|Connect Timeout/i;

/** Extensions that describe our internals (a subgraph's URL and answer, stacks): never sent to clients. */
const INTERNAL_EXTENSIONS = ['response', 'exception', 'stacktrace', 'http'];

/** The error's cause chain (GraphQLError.originalError, Error.cause), outermost first. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current && chain.length < 10; ) {
    chain.push(current);
    const next = (current as { originalError?: unknown }).originalError ?? (current as { cause?: unknown }).cause;
    current = next === current ? undefined : next;
  }
  return chain;
}

/** The request's id comes with its scope (see logger). */
function log({ msg, ...fields }: { msg: string } & Record<string, unknown>): void {
  logger('router').error(fields, msg);
}

/**
 * The router's formatError. Every error gets `extensions.requestId` (the `x-request-id` the
 * client got, and the id in our logs). Subgraph outages and timeouts become UNAVAILABLE naming
 * the subgraph (clients may retry); a request out of time is TIMEOUT; anything without one of our
 * codes, or INTERNAL_SERVER_ERROR, is logged whole and shown as "Internal server error" only: no
 * stack, SQL, URL or subgraph answer reaches a client, in production and development alike.
 * The gateway names only the URL it failed to reach, so `urls` maps URLs to subgraph names.
 */
export function routerErrorFormatter(urls: Map<string, string>) {
  const format = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const chain = causes(error);
    const timeout = chain.find((cause): cause is SubgraphTimeoutError => cause instanceof SubgraphTimeoutError);
    if (timeout) {
      log({ msg: 'subgraph timed out', subgraph: timeout.subgraph, timeoutMs: timeout.timeoutMs, path: formatted.path });
      return { message: `${timeout.message}; retry later`, path: formatted.path, extensions: { code: 'UNAVAILABLE', serviceName: timeout.subgraph } };
    }
    const expired = chain.find((cause): cause is RequestTimeoutError => cause instanceof RequestTimeoutError);
    if (expired) return { message: expired.message, path: formatted.path, extensions: { code: 'TIMEOUT' } };
    if (UNREACHABLE.test(formatted.message)) {
      const subgraph = formatted.extensions?.serviceName ?? [...urls].find(([url]) => formatted.message.includes(url))?.[1];
      if (typeof subgraph === 'string') {
        log({ msg: 'subgraph unreachable', subgraph, error: formatted.message });
        return { message: `The ${subgraph} subgraph could not be reached; retry later`, path: formatted.path, extensions: { code: 'UNAVAILABLE', serviceName: subgraph } };
      }
    }
    // A subgraph answering other than 200: the gateway passes its URL and body along.
    const response = formatted.extensions?.response as { status?: number; url?: string } | undefined;
    if (response) {
      const subgraph = (typeof formatted.extensions?.serviceName === 'string' ? formatted.extensions.serviceName : undefined) ?? (response.url ? urls.get(response.url) : undefined) ?? 'a';
      log({ msg: 'subgraph answered an error status', subgraph, status: response.status, error: formatted.message, path: formatted.path });
      return (response.status ?? 0) >= 500
        ? { message: `The ${subgraph} subgraph failed; retry later`, path: formatted.path, extensions: { code: 'UNAVAILABLE', serviceName: subgraph } }
        : { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    const code = formatted.extensions?.code;
    if (!code || code === 'INTERNAL_SERVER_ERROR') {
      const original = chain.at(-1);
      // From a subgraph, the gateway names it: that subgraph's own log line has the details, under the same requestId.
      const subgraph = typeof formatted.extensions?.serviceName === 'string' ? formatted.extensions.serviceName : undefined;
      log({ msg: formatted.message, path: formatted.path, ...(subgraph ? { subgraph } : {}), error: String((original as Error)?.stack ?? original) });
      return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    const extensions = Object.fromEntries(Object.entries(formatted.extensions ?? {}).filter(([key]) => !INTERNAL_EXTENSIONS.includes(key)));
    return { ...formatted, extensions };
  };
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const shown = format(formatted, error);
    const requestId = currentRequestScope()?.id;
    return requestId ? { ...shown, extensions: { ...shown.extensions, requestId } } : shown;
  };
}
