import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register, type Aggregator, type LabelValues, type Metric } from 'prom-client';

/**
 * Every Joinery metric lives in prom-client's default registry (`register`), so each service's
 * GET /metrics shows the whole process, other helpers' metrics (the response cache's) included.
 * Names start with `joinery_`; docs/operations.md lists them.
 */

/** Latency buckets, in seconds: few, so each series costs little to keep and to scrape. */
export const LATENCY_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/**
 * The metric called `name` in the default registry, made the first time it is asked for: a module
 * evaluated twice in one process (test isolation, two bundles) then shares it instead of failing
 * on a duplicate name.
 */
function registered<T extends Metric>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return registered(name, () => new Counter({ name, help, labelNames }));
}

export function histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[] = LATENCY_BUCKETS): Histogram<L> {
  return registered(name, () => new Histogram({ name, help, labelNames, buckets }));
}

/** One reading of a sourced gauge: its labels and value. */
export type GaugeReading<L extends string> = readonly [LabelValues<L>, number];

/** What a sourced gauge reads at scrape time: the series of one live thing (a pool, a router). */
export type GaugeSource<L extends string> = () => Iterable<GaugeReading<L>> | Promise<Iterable<GaugeReading<L>>>;

export interface SourcedGauge<L extends string> {
  /** Reads `source` at every scrape until the returned function is called (when the thing stops). */
  track(source: GaugeSource<L>): () => void;
}

// On the gauge itself, not in this module: a second evaluation of the module finds the same set.
const SOURCES = Symbol.for('joinery.metrics.gaugeSources');

/**
 * A gauge whose values are read when Prometheus scrapes, from the sources tracked at that moment,
 * so nothing is updated on the request path. `aggregator`: how a router cluster's primary combines
 * its workers' values (default sum).
 */
export function sourcedGauge<L extends string>(name: string, help: string, labelNames: readonly L[], aggregator: Aggregator = 'sum'): SourcedGauge<L> {
  const gauge = registered(name, () => {
    const sources = new Set<GaugeSource<L>>();
    return Object.assign(
      new Gauge<L>({
        name,
        help,
        labelNames,
        aggregator,
        async collect() {
          // Series of sources that stopped since the last scrape go.
          this.reset();
          for (const source of sources) {
            for (const [labels, value] of await source()) this.set(labels, value);
          }
        },
      }),
      { [SOURCES]: sources },
    );
  }) as Gauge<L> & { [SOURCES]: Set<GaugeSource<L>> };
  return {
    track(source) {
      gauge[SOURCES].add(source);
      return () => void gauge[SOURCES].delete(source);
    },
  };
}

let processMetrics: string | undefined;

/**
 * Once per process, before it serves: labels every series with `service` (a series that has a
 * `service` label of its own keeps it) and starts Node's default metrics (CPU, memory, event
 * loop lag, GC; prom-client's standard `process_*` and `nodejs_*` names). The all-in-one stack,
 * one process holding every service, calls it with `stack`. Later calls change nothing.
 */
export function initProcessMetrics(service: string): void {
  if (processMetrics !== undefined) return;
  processMetrics = service;
  register.setDefaultLabels({ service });
  // Another copy of this module may have started them already (see `registered`).
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
}

/** Where a service's GET /metrics text comes from. Default: this process's registry. */
export type MetricsText = () => Promise<string>;

/** GET /metrics in Prometheus' text format. */
export function metricsRoute(text: MetricsText = () => register.metrics()) {
  return async (_request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await text();
    response.writeHead(200, { 'content-type': register.contentType, 'cache-control': 'no-store' });
    response.end(body);
  };
}

/**
 * The value of the series of `name` whose labels include `labels`, summed over the series that
 * match, 0 when none does (tests and scripts read metrics with it). For a histogram, `name` may
 * end in `_count`, `_sum` or `_bucket` (with an `le` label).
 */
export async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = register.getSingleMetric(register.getSingleMetric(name) ? name : base);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((value) => (value as { metricName?: string }).metricName === undefined || (value as { metricName?: string }).metricName === name)
    .filter((value) => Object.entries(labels).every(([label, wanted]) => String(value.labels[label]) === wanted))
    .reduce((sum, value) => sum + value.value, 0);
}
