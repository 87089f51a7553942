import { injectTraceContext, REQUEST_ID_HEADER } from '@joinery/core';

/**
 * What every router-to-subgraph call carries so it can be followed: the client request's id as
 * `x-request-id` (the subgraph makes it its own, in its logs and errors) and, while tracing is on,
 * the `traceparent` of the active span (the gateway's `gateway.fetch` for this call), which the
 * subgraph's operation span continues.
 */
export function propagateToSubgraph(headers: { set(name: string, value: string): unknown } | undefined, requestId: string | undefined): void {
  if (!headers) return;
  if (requestId) headers.set(REQUEST_ID_HEADER, requestId);
  injectTraceContext(headers);
}
