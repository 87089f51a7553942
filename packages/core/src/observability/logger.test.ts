import { afterEach, describe, expect, it, vi } from 'vitest';
import { runInRequestScope } from '../http/graphql-http';
import { captureLogs, configureLogging, createLogger, logger } from './logger';

/** A destination keeping each raw line. */
function memory() {
  const raw: string[] = [];
  return { raw, destination: { write: (line: string) => void raw.push(line) }, parsed: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const inScope = <T>(id: string, fn: () => T) => runInRequestScope({ id, signal: new AbortController().signal }, fn);

describe('createLogger', () => {
  it('writes one JSON line per entry: level as a word, ISO time, pid, service and "msg":"…"', () => {
    const out = memory();
    createLogger({ service: 'inventory', destination: out.destination }).info({ url: 'http://127.0.0.1:4001/graphql' }, 'listening');
    expect(out.raw).toHaveLength(1);
    // Tests and benchmarks wait for this exact text on a starting service's output.
    expect(out.raw[0]).toContain('"msg":"listening"');
    expect(out.raw[0]!.endsWith('\n')).toBe(true);
    expect(out.parsed()[0]).toMatchObject({ level: 'info', service: 'inventory', url: 'http://127.0.0.1:4001/graphql', pid: process.pid, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
  });

  it('writes nothing below its level (default info)', () => {
    const out = memory();
    const log = createLogger({ destination: out.destination });
    log.debug('per request');
    log.warn('slow');
    expect(out.parsed().map((line) => line.msg)).toEqual(['slow']);
    const verbose = memory();
    createLogger({ level: 'debug', destination: verbose.destination }).debug('per request');
    expect(verbose.parsed()).toEqual([expect.objectContaining({ level: 'debug', msg: 'per request' })]);
  });

  it('puts the running request\'s id on every line, unless the call names one', () => {
    const out = memory();
    const log = createLogger({ destination: out.destination });
    inScope('req-7', () => {
      log.error({ error: 'boom' }, 'failed');
      log.error({ requestId: 'other' }, 'explicit');
      log.error({ requestId: undefined }, 'left undefined');
    });
    log.error('outside any request');
    expect(out.parsed().map(({ msg, requestId }) => ({ msg, requestId }))).toEqual([
      { msg: 'failed', requestId: 'req-7' },
      { msg: 'explicit', requestId: 'other' },
      { msg: 'left undefined', requestId: 'req-7' },
      { msg: 'outside any request', requestId: undefined },
    ]);
  });

  it('never writes a bearer token or a signed identity, should headers be logged', () => {
    const out = memory();
    createLogger({ destination: out.destination }).warn({ headers: { authorization: 'Bearer secret-token', 'joinery-identity': 'signed.jwt', 'x-request-id': 'r1' } }, 'odd request');
    expect(out.raw[0]).not.toContain('secret-token');
    expect(out.raw[0]).not.toContain('signed.jwt');
    expect(out.parsed()[0]!.headers).toEqual({ authorization: '[REDACTED]', 'joinery-identity': '[REDACTED]', 'x-request-id': 'r1' });
  });
});

describe('the process logger', () => {
  afterEach(() => {
    configureLogging({ level: 'info', service: undefined });
    vi.unstubAllEnvs();
  });

  it('names the configured service unless a line names its own, and captureLogs sees every line until restore', () => {
    configureLogging({ service: 'sales' });
    const logs = captureLogs();
    logger().info('resumed pending sales');
    logger('router').warn('rate limit check failed');
    logger().debug('not at info');
    logs.restore();
    logger().info('after restore');
    expect(logs.lines).toEqual([expect.objectContaining({ service: 'sales', level: 'info', msg: 'resumed pending sales' }), expect.objectContaining({ service: 'router', level: 'warn' })]);
  });

  it('follows configureLogging\'s level, even for loggers asked for before', () => {
    const logs = captureLogs();
    logger('router').debug('hidden');
    configureLogging({ level: 'debug' });
    logger('router').debug('shown');
    logs.restore();
    expect(logs.lines.map((line) => line.msg)).toEqual(['shown']);
  });

  it('starts at LOG_LEVEL, before loadEnv has run', async () => {
    vi.stubEnv('LOG_LEVEL', 'warn');
    vi.resetModules();
    const fresh = await import('./logger');
    const logs = fresh.captureLogs();
    fresh.logger().info('hidden');
    fresh.logger().warn('shown');
    logs.restore();
    expect(logs.lines.map((line) => line.msg)).toEqual(['shown']);
  });
});
