import { request as httpRequest, Agent, type IncomingHttpHeaders } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../observability/logger';
import { metricValue } from '../observability/metrics';
import { serveGraphQL, type GraphQLService } from './graphql-http';
import { Health, ReadinessFailure, type ReadinessCheck } from './health';

/** Calls a route handler as the HTTP server would, returning the status and parsed body. */
async function probe(health: Health, path: string): Promise<{ status: number; body: any }> {
  let status = 0;
  let text = '';
  const response = {
    writeHead(code: number) {
      status = code;
    },
    end(chunk: string) {
      text = chunk;
    },
  };
  await health.routes()[path]({} as never, response as never);
  return { status, body: JSON.parse(text) };
}

const passing = (name: string): ReadinessCheck => ({ name, run: async () => {} });

describe('Health', () => {
  const created: Health[] = [];
  const health = (...args: ConstructorParameters<typeof Health>) => {
    const made = new Health(...args);
    created.push(made);
    return made;
  };
  afterEach(() => created.splice(0).forEach((made) => made.dispose()));

  it('answers /healthz and /health 200 while serving, draining or not', async () => {
    const service = health('alive-test', { checks: [{ name: 'database', run: () => Promise.reject(new Error('down')) }] });
    expect(await probe(service, '/healthz')).toEqual({ status: 200, body: { status: 'ok', service: 'alive-test' } });
    service.startDraining();
    expect(await probe(service, '/health')).toEqual({ status: 200, body: { status: 'ok', service: 'alive-test' } });
  });

  it('answers /readyz 200 naming each check when all pass', async () => {
    const service = health('ready-test', { checks: [passing('database'), passing('redis')] });
    expect(await probe(service, '/readyz')).toEqual({ status: 200, body: { status: 'ready', service: 'ready-test', checks: { database: { status: 'ok' }, redis: { status: 'ok' } } } });
  });

  it('answers /readyz 503 naming what failed, without the internals of an unexpected error', async () => {
    const service = health('failing-test', {
      timeoutMs: 50,
      cacheMs: 0,
      checks: [
        passing('redis'),
        { name: 'database', run: () => Promise.reject(Object.assign(new Error('connect to postgres://admin:secret@db.internal failed'), { code: 'ECONNREFUSED' })) },
        { name: 'subgraph:sales', run: () => Promise.reject(new ReadinessFailure('answered HTTP 502')) },
        { name: 'cache', run: () => Promise.reject(new Error('stack trace with /srv/internal/path')) },
        { name: 'slow', run: () => new Promise(() => {}) },
      ],
    });
    const logs = captureLogs();
    const answer = await probe(service, '/readyz');
    await probe(service, '/readyz');
    logs.restore();
    expect(answer).toEqual({
      status: 503,
      body: {
        status: 'not ready',
        service: 'failing-test',
        checks: {
          redis: { status: 'ok' },
          database: { status: 'failed', reason: 'error ECONNREFUSED' },
          'subgraph:sales': { status: 'failed', reason: 'answered HTTP 502' },
          cache: { status: 'failed', reason: 'error (see the service log)' },
          slow: { status: 'failed', reason: 'no answer within 50 ms' },
        },
      },
    });
    expect(JSON.stringify(answer.body)).not.toMatch(/secret|internal/);
    // The whole error goes to the log instead, once while the check keeps failing.
    expect(logs.lines.filter((line) => line.check === 'cache')).toEqual([expect.objectContaining({ level: 'warn', msg: 'readiness check failed', error: 'stack trace with /srv/internal/path' })]);
    expect(await metricValue('joinery_readiness_check', { service: 'failing-test', check: 'redis' })).toBe(1);
    expect(await metricValue('joinery_readiness_check', { service: 'failing-test', check: 'database' })).toBe(0);
  });

  it('runs the checks at most once per cacheMs, however many probes arrive', async () => {
    const run = vi.fn(async () => {});
    const service = health('cache-test', { cacheMs: 60_000, checks: [{ name: 'database', run }] });
    await Promise.all([probe(service, '/readyz'), probe(service, '/readyz')]);
    await probe(service, '/readyz');
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('answers /readyz 503 draining at once when the service starts draining, without asking its checks', async () => {
    const run = vi.fn(async () => {});
    const service = health('drain-test', { checks: [{ name: 'database', run }] });
    service.startDraining();
    expect(await probe(service, '/readyz')).toEqual({ status: 503, body: { status: 'draining', service: 'drain-test', checks: {} } });
    expect(run).not.toHaveBeenCalled();
  });
});

/** A deferred: a promise and what settles it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** One HTTP request on `agent`; resolves with the status, headers and body, or rejects if the connection is cut. */
function send(url: string, options: { method?: string; body?: string; agent?: Agent; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: options.method ?? 'GET', agent: options.agent, headers: { 'content-type': 'application/json', ...options.headers } }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('serveGraphQL health, metrics and drain', { timeout: 20_000 }, () => {
  let service: GraphQLService | undefined;
  let arrived = deferred();
  let release = deferred();

  const start = async (guarded = false) => {
    const apollo = new ApolloServer({
      typeDefs: 'type Query { slow: String, quick: String }',
      resolvers: {
        Query: {
          slow: async () => {
            arrived.resolve();
            await release.promise;
            return 'done';
          },
          quick: () => 'quick',
        },
      },
      stopOnTerminationSignals: false,
    });
    await apollo.start();
    service = serveGraphQL('drain-test', {
      server: apollo,
      context: async () => ({}),
      routes: {
        '/slow-route': async (_request, response) => {
          arrived.resolve();
          await release.promise;
          response.end('ok');
        },
      },
      // Refuses every GraphQL request: the health and metrics routes must not need a token.
      guard: guarded ? async () => ({ status: 401, body: { errors: [{ message: 'no token', extensions: { code: 'UNAUTHENTICATED' } }] } }) : undefined,
    });
    return service.listen(0);
  };

  afterEach(async () => {
    release.resolve();
    await service?.stop();
    service = undefined;
    arrived = deferred();
    release = deferred();
  });

  it('serves /healthz, /health, /readyz and /metrics without a token, and counts the refused GraphQL request', async () => {
    const url = await start(true);
    const base = url.replace('/graphql', '');
    const refusedBefore = await metricValue('joinery_http_error_responses_total', { service: 'drain-test', status: '401' });
    expect((await send(url, { method: 'POST', body: '{"query":"{ quick }"}' })).status).toBe(401);
    expect(JSON.parse((await send(`${base}/healthz`)).body)).toEqual({ status: 'ok', service: 'drain-test' });
    expect((await send(`${base}/health`)).status).toBe(200);
    expect(JSON.parse((await send(`${base}/readyz`)).body)).toEqual({ status: 'ready', service: 'drain-test', checks: {} });
    const metrics = await send(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('joinery_http_error_responses_total{service="drain-test",status="401"}');
    expect(await metricValue('joinery_http_error_responses_total', { service: 'drain-test', status: '401' })).toBe(refusedBefore + 1);
  });

  it('drains: /readyz 503, no new connections, the request in flight finishes and its connection closes', async () => {
    const url = await start();
    const base = url.replace('/graphql', '');
    const agent = new Agent({ keepAlive: true });
    // An idle keep-alive connection, which Node alone would keep open until its timeout (65 s).
    expect((await send(`${base}/healthz`, { agent })).status).toBe(200);
    const inFlight = send(url, { method: 'POST', body: '{"query":"{ slow }"}', agent: new Agent({ keepAlive: true }) });
    await arrived.promise;
    const drained = service!.drain(30_000);
    expect(service!.health.isDraining).toBe(true);
    expect(JSON.parse(JSON.stringify(await service!.health.readiness()))).toEqual({ status: 'draining', service: 'drain-test', checks: {} });
    await expect(send(`${base}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
    release.resolve();
    const answer = await inFlight;
    expect(answer).toMatchObject({ status: 200, headers: { connection: 'close' } });
    expect(JSON.parse(answer.body)).toEqual({ data: { slow: 'done' } });
    await drained;
    expect(service!.http.listening).toBe(false);
    agent.destroy();
  });

  it('drains a keep-alive connection whose response had begun before the drain once that response ends', async () => {
    const url = await start();
    const agent = new Agent({ keepAlive: true });
    const inFlight = send(url.replace('/graphql', '/slow-route'), { agent });
    await arrived.promise;
    const drained = service!.drain(30_000);
    release.resolve();
    expect(await inFlight).toMatchObject({ status: 200, body: 'ok' });
    await drained;
    agent.destroy();
  });

  it('cuts a request still running when the drain time is up', async () => {
    const url = await start();
    const inFlight = send(url, { method: 'POST', body: '{"query":"{ slow }"}' });
    await arrived.promise;
    await service!.drain(100);
    await expect(inFlight).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});
