import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs, type CapturedLogs } from '@joinery/core';
import { authHeaders } from '@joinery/core/testing';
import { buildRouter, readSupergraph, type Router } from '../server';
import { requestLoggingPlugins } from './logging-plugin';

describe('per-operation logs', () => {
  let logs: CapturedLogs | undefined;
  let router: Router | undefined;
  afterEach(async () => {
    await router?.stop();
    router = undefined;
    logs?.restore();
  });

  /** Builds a router at `level` and sends it one operation answered without any subgraph. */
  const oneOperation = async (level: 'info' | 'debug') => {
    logs = captureLogs(level);
    router = await buildRouter({ supergraphSdl: readSupergraph(), rateLimits: false });
    const url = await router.listen(0);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `probe-${level}`, ...(await authHeaders()) }, body: JSON.stringify({ query: 'query Probe { __typename }' }) });
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    await router.stop();
    router = undefined;
    return logs.lines.filter((line) => line.requestId === `probe-${level}`);
  };

  it('are written at debug: one line naming the operation, its outcome and duration, with the request id', async () => {
    expect(await oneOperation('debug')).toEqual([
      expect.objectContaining({ level: 'debug', service: 'router', msg: 'operation', operationName: 'Probe', operationType: 'query', outcome: 'ok', status: 200, durationMs: expect.any(Number) }),
    ]);
  }, 30_000);

  it('cost nothing at info: no plugin is installed and a request writes no line', async () => {
    expect(await oneOperation('info')).toEqual([]);
    expect(requestLoggingPlugins()).toEqual([]);
  }, 30_000);
});
