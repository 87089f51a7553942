import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '@joinery/core';
import { freePort, startProcess, type RunningProcess } from '../../../e2e/processes';
import { AUDIT_SCHEMA_PATH } from '../audit';
import { WORKER_HEADER } from './worker';

/**
 * The router as `npm run start:router` runs it, with ROUTER_WORKERS=2, over a supergraph of one
 * small subgraph (this process serves it) and the router's own audit subgraph (SUPERGRAPH_PATH
 * mode). Each request goes on a connection of its own, so node:cluster's round robin hands them
 * to the workers in turn.
 */

const JWT_SECRET = randomBytes(32).toString('hex');
const INTERNAL_AUTH_SECRET = randomBytes(32).toString('hex');
const LISTENING = /"msg":"listening"/;

let counter = 0;
const TOY_SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query { hello: String! }
  type Mutation { bump(by: Int!): Int! }`;

async function startToySubgraph(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(TOY_SDL), resolvers: { Query: { hello: () => 'hi' }, Mutation: { bump: (_: unknown, { by }: { by: number }) => (counter += by) } } }),
  });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url, stop: () => server.stop() };
}

function writeSupergraph(dir: string, toyUrl: string): string {
  const composed = composeServices([
    { name: 'toy', url: toyUrl, typeDefs: parse(TOY_SDL) },
    { name: 'audit', url: 'http://router.invalid/audit', typeDefs: parse(readFileSync(AUDIT_SCHEMA_PATH, 'utf8')) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
  const path = join(dir, 'supergraph.graphql');
  writeFileSync(path, composed.supergraphSdl);
  return path;
}

interface Answer {
  status: number;
  worker: number;
  body: { data?: Record<string, any>; errors?: unknown[] };
}

/** GraphQL requests this file sent, which the router's metrics must add up to. */
let sent = 0;

/** One request on a connection of its own (no keep-alive agent): the cluster picks the worker anew. POST `query` to /graphql, or GET `path`. */
function send(port: number, token: string, query: string, path = '/graphql'): Promise<Answer & { text: string }> {
  const graphql = path === '/graphql';
  if (graphql) sent++;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: graphql ? 'POST' : 'GET', agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, worker: Number(res.headers[WORKER_HEADER]), text, body: graphql ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(graphql ? JSON.stringify({ query }) : undefined);
  });
}

/** Sends until a worker other than `not` answers (round robin makes that the next one). */
async function sendAvoiding(not: number, port: number, token: string, query: string, path = '/graphql'): Promise<Answer & { text: string }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const answer = await send(port, token, query, path);
    if (answer.worker !== not) return answer;
  }
  throw new Error(`every answer came from worker ${not}`);
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const lines = (output: string): Record<string, any>[] => output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));

// PGlite: the primary keeps the audit store and the workers reach it over IPC. PostgreSQL: each worker opens its own pool.
const audits = [{ name: 'PGlite (kept by the primary)', postgres: false }, ...(process.env.DATABASE_URL ? [{ name: 'PostgreSQL (one pool per worker)', postgres: true }] : [])];

describe.each(audits)('the router with ROUTER_WORKERS=2, its audit log on $name', ({ postgres }) => {
  let toy: Awaited<ReturnType<typeof startToySubgraph>>;
  let router: RunningProcess;
  let dir: string;
  let port: number;
  let admin: string;
  let listening: Record<string, any>;
  const schema = `t_${randomBytes(5).toString('hex')}_audit`;

  beforeAll(async () => {
    sent = 0;
    dir = mkdtempSync(join(tmpdir(), 'joinery-router-cluster-'));
    toy = await startToySubgraph();
    port = await freePort();
    admin = await signUserToken({ subject: `cluster-${schema}`, role: 'admin', locations: ['*'] }, JWT_SECRET);
    router = await startProcess(
      'router/src/main.ts',
      {
        ROUTER_WORKERS: '2',
        SUPERGRAPH_PATH: writeSupergraph(dir, toy.url),
        ROUTER_PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: join(dir, 'data'),
        JWT_SECRET,
        INTERNAL_AUTH_SECRET,
        REDIS_URL: '',
        DATABASE_URL: '',
        AUDIT_DATABASE_URL: postgres ? process.env.DATABASE_URL! : '',
        AUDIT_DATABASE_SCHEMA: schema,
        LOG_LEVEL: 'info',
      },
      LISTENING,
      110_000,
      // So a kill on timeout reaches the primary and its workers, not only tsx.
      { ownProcessGroup: true },
    );
    listening = lines(router.output()).find((line) => line.msg === 'listening')!;
  });

  afterAll(async () => {
    await router?.stop();
    await toy?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (postgres) {
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    }
  });

  it('says listening once, for the primary, after both workers listen', async () => {
    expect(listening).toMatchObject({ url: `http://127.0.0.1:${port}/graphql`, workers: 2 });
    expect(listening.pids).toHaveLength(2);
    // The primary hears of a worker's listen before that worker's own line reaches the shared stdout.
    const workerLines = () => lines(router.output()).filter((line) => line.msg === 'worker listening');
    await waitFor(() => workerLines().length >= 2, "both workers' lines");
    expect(workerLines().map((line) => line.pid).sort()).toEqual([...listening.pids].sort());
    expect(lines(router.output()).filter((line) => line.msg === 'listening')).toHaveLength(1);
  });

  it('answers queries from both workers', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => send(port, admin, '{ hello }')));
    for (const answer of answers) expect(answer.body).toEqual({ data: { hello: 'hi' } });
    expect(new Set(answers.map((answer) => answer.worker))).toEqual(new Set(listening.pids));
  });

  it('records a mutation sent through one worker once, and lists it through the other', async () => {
    const name = `Bump${randomBytes(4).toString('hex')}`;
    const mutation = await send(port, admin, `mutation ${name} { bump(by: 2) }`);
    expect(mutation.body.errors).toBeUndefined();
    const listed = await sendAvoiding(mutation.worker, port, admin, `{ auditLog(filter: { field: "bump" }) { totalCount nodes { operationName outcome } } }`);
    expect(listed.body.errors).toBeUndefined();
    const mine = listed.body.data!.auditLog.nodes.filter((node: { operationName: string }) => node.operationName === name);
    expect(mine).toEqual([{ operationName: name, outcome: 'SUCCEEDED' }]);
    expect(listed.body.data!.auditLog.totalCount).toBe(listed.body.data!.auditLog.nodes.length);
  });

  // Neither depends on where the audit log is kept: run once.
  it.skipIf(postgres)('shows the whole router on /metrics, whichever worker answers', async () => {
    // Each worker counts only what it served; the primary sums them up for whichever worker is asked.
    const requestsIn = (text: string) =>
      text.split('\n').filter((line) => line.startsWith('joinery_graphql_requests_total{')).reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    const first = await send(port, admin, '', '/metrics');
    const second = await sendAvoiding(first.worker, port, admin, '', '/metrics');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(requestsIn(first.text)).toBe(sent);
    expect(requestsIn(second.text)).toBe(sent);
  });

  it.skipIf(postgres)('replaces a worker that dies, and keeps answering', async () => {
    const [victim, survivor] = listening.pids as number[];
    process.kill(victim, 'SIGKILL');
    await waitFor(() => lines(router.output()).some((line) => line.msg === 'router worker replaced'), 'the replacement worker');
    const replacement = lines(router.output()).find((line) => line.msg === 'router worker replaced')!.pid as number;
    expect(lines(router.output())).toContainEqual(expect.objectContaining({ msg: 'a router worker exited; starting another', pid: victim, signal: 'SIGKILL' }));
    const answers = await Promise.all(Array.from({ length: 6 }, () => send(port, admin, '{ hello }')));
    for (const answer of answers) expect(answer.body).toEqual({ data: { hello: 'hi' } });
    expect(new Set(answers.map((answer) => answer.worker))).toEqual(new Set([survivor, replacement]));
    listening.pids = [survivor, replacement];
  });

  it('stops on SIGTERM: the workers finish, the primary exits 0', async () => {
    const workers = listening.pids as number[];
    expect(await router.stop()).toBe(0);
    expect(workers.filter(isAlive)).toEqual([]);
  });
});

describe('the router with ROUTER_WORKERS=2 that cannot start', () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('exits 1 and says why once, not once per worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'joinery-router-cluster-'));
    try {
      // Its own process group: if it ever came up (or hung), the timeout's kill reaches the primary and its workers too.
      const started = startProcess(
        'router/src/main.ts',
        {
          ROUTER_WORKERS: '2',
          SUPERGRAPH_PATH: writeSupergraph(dir, 'http://127.0.0.1:9/graphql'),
          ROUTER_PORT: String(port),
          HOST: '127.0.0.1',
          DATA_DIR: join(dir, 'data'),
          JWT_SECRET,
          INTERNAL_AUTH_SECRET,
          REDIS_URL: '',
          DATABASE_URL: '',
          AUDIT_DATABASE_URL: '',
        },
        LISTENING,
        110_000,
        { ownProcessGroup: true },
      );
      const refusal = String(await started.then((running) => running.kill().then(() => 'it started'), (error: Error) => error.message));
      expect(refusal).toMatch(/exited with 1 before it was ready/);
      expect(refusal.match(/HOST \/ ROUTER_PORT/g)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Three processes load the whole router before the workers fail: slow on a busy machine.
  }, 120_000);
});
