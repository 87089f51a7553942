import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { currentRequestScope } from '@joinery/core';

/** A router-to-subgraph call that ran out of time: answered to clients as UNAVAILABLE naming the subgraph. */
export class SubgraphTimeoutError extends Error {
  constructor(readonly subgraph: string, readonly timeoutMs: number) {
    super(`The ${subgraph} subgraph did not answer within ${timeoutMs} ms`);
    this.name = 'SubgraphTimeoutError';
  }
}

type DataSourceConfig = NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>;

/**
 * A RemoteGraphQLDataSource whose every fetch stops after `timeoutMs`, or as soon as the client
 * request it serves has run out of time (the request scope's signal), whichever comes first.
 */
export class TimedRemoteGraphQLDataSource extends RemoteGraphQLDataSource {
  constructor(config: DataSourceConfig & { subgraph: string; timeoutMs: number }) {
    const { subgraph, timeoutMs, ...rest } = config;
    super(rest);
    const fetcher = this.fetcher;
    this.fetcher = (async (url: string, init: Parameters<typeof fetcher>[1]) => {
      const timeout = AbortSignal.timeout(timeoutMs);
      const request = currentRequestScope()?.signal;
      try {
        return await fetcher(url, { ...init, signal: request ? AbortSignal.any([timeout, request]) : timeout } as typeof init);
      } catch (error) {
        if (timeout.aborted) throw new SubgraphTimeoutError(subgraph, timeoutMs);
        if (request?.aborted) throw request.reason;
        throw error;
      }
    }) as typeof fetcher;
  }
}

/** One router-to-subgraph call, as metrics and logs see it. */
export interface SubgraphFetchRecord {
  subgraph: string;
  durationMs: number;
  /** `ok` (HTTP 2xx), `http_error` (another status), `timeout`, or `network_error`. */
  outcome: 'ok' | 'http_error' | 'timeout' | 'network_error';
  status?: number;
  /** True when this call joined an identical one already in flight instead of sending its own. */
  shared?: boolean;
}

const fetchObservers = new Set<(record: SubgraphFetchRecord) => void>();

/** Calls `observer` after every subgraph call the router makes; returns a function that stops it. */
export function onSubgraphFetch(observer: (record: SubgraphFetchRecord) => void): () => void {
  fetchObservers.add(observer);
  return () => fetchObservers.delete(observer);
}

export function reportSubgraphFetch(record: SubgraphFetchRecord): void {
  for (const observer of fetchObservers) observer(record);
}
