import { counter, graphqlMetricsPlugin, histogram, sourcedGauge } from '@joinery/core';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { TRUSTED_OPERATION } from '../hardening/admission';
import { onSubgraphFetch, type SubgraphFetchRecord } from '../hardening/subgraph-fetch';

const fetchDurations = histogram('joinery_subgraph_fetch_duration_seconds', 'Router-to-subgraph calls sent, by subgraph and outcome (ok, http_error, timeout, network_error)', ['subgraph', 'outcome']);
const fetchErrors = counter('joinery_subgraph_fetch_errors_total', 'Router-to-subgraph calls that failed, by subgraph and outcome (http_error, timeout, network_error)', ['subgraph', 'outcome']);
const fetchesShared = counter('joinery_subgraph_fetch_shared_total', 'Router-to-subgraph calls that joined an identical one in flight instead of sending their own, by subgraph', ['subgraph']);
const webSockets = sourcedGauge('joinery_websocket_connections', 'WebSocket (graphql-ws) connections open on the router', []);
const subscriptions = sourcedGauge('joinery_subscriptions_active', 'Client subscriptions the router is serving', []);

/** Records one subgraph call: a shared one only counts as shared, its latency is the call it joined. */
export function recordSubgraphFetch(record: SubgraphFetchRecord): void {
  if (record.shared) {
    fetchesShared.inc({ subgraph: record.subgraph });
    return;
  }
  fetchDurations.observe({ subgraph: record.subgraph, outcome: record.outcome }, record.durationMs / 1000);
  if (record.outcome !== 'ok') fetchErrors.inc({ subgraph: record.subgraph, outcome: record.outcome });
}

// One observer per process, however many routers it builds (tests, the stack).
let observing = false;

/**
 * The router's metrics: its GraphQL requests (the same joinery_graphql_* as the subgraphs, with
 * service="router"), every subgraph call, and its open WebSockets and subscriptions. The hub's
 * own queries resolving events for subscribers are not client requests: they are not counted.
 */
export function routerMetrics(): { plugin: ApolloServerPlugin<BaseContext>; track(live: { readonly webSocketConnections: number; readonly subscriptions: number }): () => void } {
  if (!observing) {
    observing = true;
    onSubgraphFetch(recordSubgraphFetch);
  }
  return {
    plugin: graphqlMetricsPlugin<BaseContext>('router', { skip: (context) => (context as { [TRUSTED_OPERATION]?: boolean })[TRUSTED_OPERATION] === true }),
    track(live) {
      const untrack = [webSockets.track(() => [[{}, live.webSocketConnections]]), subscriptions.track(() => [[{}, live.subscriptions]])];
      return () => untrack.forEach((stop) => stop());
    },
  };
}
