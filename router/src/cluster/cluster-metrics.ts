import { AggregatorRegistry, register, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { IpcClient, IpcHandlers } from './ipc';
import { primaryChannel } from './primary-channel';

type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

/**
 * What GET /metrics answers in a router worker: the whole router, every worker's default registry
 * summed up by the primary (prom-client's aggregators: counters and histograms add up, gauges such
 * as event loop lag average). Undefined outside a cluster, where the process's own registry is
 * the whole router.
 */
export function clusterAwareMetrics(): Promise<string> | undefined {
  return primaryChannel()?.call<string>('metrics.cluster');
}

/** GET /metrics' text for a router (serveGraphQL's `metrics`): the cluster's in a worker, else this process's registry. */
export function routerMetricsText(): Promise<string> {
  return clusterAwareMetrics() ?? register.metrics();
}

/** A worker's side: its own registry (the default one, where every metric is), as JSON, for the primary to aggregate. */
export function workerMetricsHandlers(registry: Registry = register): IpcHandlers {
  return { 'metrics.local': (): Promise<WorkerMetrics> => registry.getMetricsAsJSON() };
}

/**
 * The primary's side: asks every worker that listens (one still starting would only time out)
 * and aggregates the answers. A worker that does not answer in time is left out rather than
 * failing the scrape; `log` names it.
 */
export async function aggregateWorkerMetrics(workers: { pid: number; channel: IpcClient }[], log: (line: Record<string, unknown>) => void): Promise<string> {
  const answers = await Promise.allSettled(workers.map(({ channel }) => channel.call<WorkerMetrics>('metrics.local')));
  const metrics: WorkerMetrics[] = [];
  answers.forEach((answer, index) => {
    if (answer.status === 'fulfilled') metrics.push(answer.value);
    else log({ level: 'warn', msg: 'a router worker gave no metrics; /metrics leaves it out', pid: workers[index].pid, error: String(answer.reason?.message ?? answer.reason) });
  });
  return AggregatorRegistry.aggregate(metrics).metrics();
}
