import { Counter, register } from 'prom-client';

const NAME = 'joinery_response_cache_requests_total';

/**
 * Operations the response cache saw, by result: hit (answered from the cache), miss (cacheable,
 * answered by the subgraphs) or bypass (not cacheable, or refused before it ran). In prom-client's
 * default registry, which /metrics serves. Looked up first: a second router in one process (tests,
 * the stack) shares the counter rather than failing to register it again.
 */
export const cacheRequests: Counter<'result'> =
  (register.getSingleMetric(NAME) as Counter<'result'> | undefined) ??
  new Counter({ name: NAME, help: 'GraphQL operations seen by the response cache, by result (hit, miss, bypass)', labelNames: ['result'] as const });

for (const result of ['hit', 'miss', 'bypass']) cacheRequests.inc({ result }, 0);
