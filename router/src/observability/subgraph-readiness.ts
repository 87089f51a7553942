import { ReadinessFailure, type ReadinessCheck } from '@joinery/core';

/** Longest the router waits for a subgraph's /healthz. Default 1000 ms. */
export const SUBGRAPH_HEALTH_TIMEOUT_MS = 1_000;

/**
 * `subgraph:<name>`: the subgraph answers GET /healthz (beside its GraphQL URL) with a status
 * below 500. Its liveness, not its readiness: a subgraph whose database is down answers that on
 * its own /readyz, and taking every router out of the load balancer with it would turn one
 * subgraph's outage into the whole graph's. A subgraph without /healthz (404) still counts as
 * reachable.
 */
export function subgraphCheck(name: string, graphqlUrl: string, timeoutMs = SUBGRAPH_HEALTH_TIMEOUT_MS): ReadinessCheck {
  const url = new URL('/healthz', graphqlUrl).toString();
  return {
    name: `subgraph:${name}`,
    async run(signal) {
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
      } catch (error) {
        if ((error as Error)?.name === 'TimeoutError' || signal.aborted) throw new ReadinessFailure(`no answer within ${timeoutMs} ms`);
        const code = (error as { cause?: { code?: unknown } })?.cause?.code;
        throw new ReadinessFailure(typeof code === 'string' ? `unreachable (${code})` : 'unreachable');
      }
      // Read to the end so the connection is reused.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 500) throw new ReadinessFailure(`answered HTTP ${response.status}`);
    },
  };
}
