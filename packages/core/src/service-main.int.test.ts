import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { authHeaders } from './testing';

const FIXTURE = fileURLToPath(new URL('./http/test-fixtures/slow-subgraph.ts', import.meta.url));

/** Starts the fixture subgraph in a process of its own; resolves once it listens. */
async function startSlowSubgraph(env: Record<string, string>) {
  // NODE_ENV not `test`: Apollo Server installs its own signal handlers outside tests.
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (match) resolve(match);
      };
      child.stdout!.on('data', check);
      void exited.then(() => reject(new Error(`the subgraph exited before printing ${pattern}:\n${output}`)));
      check();
    });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const [, url] = await waitFor(/"url":"([^"]+)"/);
  return { child, url, exited, waitFor, output: () => output };
}

describe('serveUntilSignalled', () => {
  it('labels the process metrics with the service and starts Node\'s default metrics', async () => {
    const service = await startSlowSubgraph({ SLOW_MS: '0' });
    await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify({ query: 'query Quick { slow }' }) });
    const metrics = await (await fetch(service.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/^process_cpu_user_seconds_total\{service="slow"\} /m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_p99_seconds\{service="slow"\} /m);
    expect(metrics).toContain('joinery_graphql_requests_total{service="slow",operation="Quick",operation_type="query",outcome="success"} 1');
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
  });

  it('on SIGTERM finishes the request in flight, refuses new connections and exits 0', async () => {
    const service = await startSlowSubgraph({ SLOW_MS: '1500' });
    const inFlight = fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify({ query: '{ slow }' }) });
    await service.waitFor(/slow request started/);
    service.child.kill('SIGTERM');
    await service.waitFor(/shutting down/);
    await expect(fetch(service.url.replace('/graphql', '/healthz'))).rejects.toThrow();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { slow: 'done' } });
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(service.output()).toMatch(/"msg":"stopped"/);
  });

  it('cuts what still runs after SHUTDOWN_TIMEOUT_MS and exits 0', async () => {
    const service = await startSlowSubgraph({ SLOW_MS: '60000', SHUTDOWN_TIMEOUT_MS: '200' });
    const inFlight = fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify({ query: '{ slow }' }) });
    await service.waitFor(/slow request started/);
    service.child.kill('SIGTERM');
    await expect(inFlight).rejects.toThrow();
    expect(await service.exited).toEqual({ code: 0, signal: null });
  });
});
