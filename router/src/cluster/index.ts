/** ROUTER_WORKERS > 1: one primary process supervising several routers on one port (node:cluster). */
export { clusterAwareMetrics, routerMetricsText } from './cluster-metrics';
export { runPrimary, type PrimaryOptions } from './primary';
export { joinCluster, openAuditLog, reportingStartupFailure, WORKER_HEADER } from './worker';
export { routerWorkerCount } from './worker-count';
