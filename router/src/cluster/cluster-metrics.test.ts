import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { channelPair } from './channel-pair';
import { aggregateWorkerMetrics, workerMetricsHandlers } from './cluster-metrics';
import { IpcClient, serveIpc } from './ipc';

/** A worker with its own registry, as each cluster worker has, reached by the primary over a channel. */
function worker(pid: number, requests: number, { answers = true } = {}) {
  const registry = new Registry();
  new Counter({ name: 'joinery_test_requests_total', help: 'requests', labelNames: ['outcome'], registers: [registry] }).inc({ outcome: 'ok' }, requests);
  new Histogram({ name: 'joinery_test_seconds', help: 'latency', buckets: [0.1, 1], registers: [registry] }).observe(0.05);
  const [primaryEnd, workerEnd] = channelPair();
  if (answers) serveIpc(workerEnd, workerMetricsHandlers(registry));
  return { pid, channel: new IpcClient(primaryEnd, 200) };
}

describe('metrics of a router cluster', () => {
  it('add every worker up: counters and histogram buckets are sums', async () => {
    const text = await aggregateWorkerMetrics([worker(11, 2), worker(12, 3)], () => {});
    expect(text).toContain('joinery_test_requests_total{outcome="ok"} 5');
    expect(text).toContain('joinery_test_seconds_bucket{le="0.1"} 2');
    expect(text).toContain('joinery_test_seconds_count 2');
  });

  it('leave out a worker that does not answer, and say which', async () => {
    const lines: Record<string, unknown>[] = [];
    const text = await aggregateWorkerMetrics([worker(21, 4), worker(22, 100, { answers: false })], (line) => lines.push(line));
    expect(text).toContain('joinery_test_requests_total{outcome="ok"} 4');
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', pid: 22 })]);
  });
});
