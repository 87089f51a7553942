/**
 * `npm run bench:federation`: federation gateways head to head (issue 7). Starts four small
 * subgraphs (users, products, reviews, stock; bench/federation/subgraphs.ts), each its own
 * process, composes their supergraph, then runs each gateway in turn on those same subgraphs:
 * stock @apollo/server + @apollo/gateway (the baseline) and Joinery's router (SUPERGRAPH_PATH
 * mode). Each gets a warm-up, then autocannon with 50 connections sends the nested query for
 * --seconds (default 20); every response body is compared with the expected answer.
 * Prints req/s, p50/p99, mismatches and the gateway's CPU, and each one's ratio to stock Apollo;
 * with --record, writes them to docs/benchmarks.md between the bench:federation markers.
 */
import { deepStrictEqual } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import autocannon from 'autocannon';
import { freePort, startProcess, type RunningProcess } from '../../e2e/processes';
import { benchHeaders } from '../auth';
import { processStats } from '../process-stats';
import { NESTED_QUERY } from './query';
import { SUBGRAPH_NAMES, subgraphTypeDefs } from './subgraphs';

const ROOT = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const SECONDS = Number(option('--seconds') ?? 20);
if (!Number.isFinite(SECONDS) || SECONDS <= 0) throw new Error(`--seconds must be a positive number, got ${option('--seconds')}`);
const WARMUP_SECONDS = Math.min(5, SECONDS);
const CONNECTIONS = 50;
const RECORD = args.includes('--record');
const BODY = JSON.stringify({ query: NESTED_QUERY, operationName: 'Nested' });

interface Gateway {
  name: string;
  entry: string;
  env: (port: number) => Record<string, string>;
}

interface Figures {
  gateway: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  mismatches: number;
  /** Cores the gateway's process used on average during the measured run (1.0 = one full core). */
  cores: number;
  peakRssMiB: number;
}

async function post(url: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });
  return { status: response.status, text: await response.text() };
}

/** Runs autocannon against url; counts every response that is not 200 with exactly `expectedBody`. */
async function load(url: string, headers: Record<string, string>, seconds: number, expectedBody: string) {
  let mismatches = 0;
  let checked = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: BODY,
    requests: [
      {
        onResponse: (status: number, body: string) => {
          checked++;
          if (status !== 200 || body !== expectedBody) mismatches++;
        },
      },
    ],
  });
  // A check that never ran would pass silently: every counted response must have been compared.
  if (checked < result.requests.total) throw new Error(`only ${checked} of ${result.requests.total} responses were compared with the expected answer`);
  return { result, mismatches };
}

async function measure(gateway: Gateway, supergraphPath: string, headers: Record<string, string>, expected: unknown): Promise<{ figures: Figures; first: unknown }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const running = await startProcess(gateway.entry, { ...gateway.env(port), SUPERGRAPH_PATH: supergraphPath, NODE_ENV: 'production' }, /"msg":"listening"/);
  try {
    const first = await post(url, headers);
    if (first.status !== 200) throw new Error(`${gateway.name}: the nested query answered HTTP ${first.status}: ${first.text.slice(0, 500)}`);
    const parsed = JSON.parse(first.text) as { errors?: unknown };
    if (parsed.errors) throw new Error(`${gateway.name}: the nested query answered errors: ${JSON.stringify(parsed.errors).slice(0, 1000)}`);
    // The first gateway defines the expected answer; every later one must match it exactly.
    if (expected !== undefined) deepStrictEqual(parsed, expected, `${gateway.name}'s answer differs from stock Apollo's`);
    console.log(`${gateway.name}: answer ${first.text.length} bytes${expected === undefined ? ' (the expected answer)' : ', equal to stock Apollo\'s'}; warming up ${WARMUP_SECONDS} s`);
    await load(url, headers, WARMUP_SECONDS, first.text);

    const pid = running.child.pid!;
    let peakRssMiB = 0;
    const sampler = setInterval(() => (peakRssMiB = Math.max(peakRssMiB, processStats(pid).rssMiB)), 1000);
    const cpuBefore = processStats(pid).cpuSeconds;
    const started = Date.now();
    const { result, mismatches } = await load(url, headers, SECONDS, first.text);
    const elapsed = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const figures: Figures = {
      gateway: gateway.name,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      requests: result.requests.total,
      errors: result.errors + result.timeouts,
      mismatches,
      cores: (processStats(pid).cpuSeconds - cpuBefore) / elapsed,
      peakRssMiB,
    };
    console.log(`${gateway.name}: ${figures.rps.toFixed(1)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, ${figures.requests} responses, ${figures.errors} errors, ${figures.mismatches} mismatched, ${figures.cores.toFixed(2)} cores`);
    return { figures, first: parsed };
  } finally {
    await running.stop();
  }
}

async function main(): Promise<void> {
  const headers = await benchHeaders(); // also puts JWT_SECRET / INTERNAL_AUTH_SECRET in the environment the children inherit
  const dir = mkdtempSync(join(os.tmpdir(), 'joinery-bench-federation-'));
  const subgraphs: RunningProcess[] = [];
  try {
    const urls: Record<string, string> = {};
    for (const name of SUBGRAPH_NAMES) {
      const port = await freePort();
      subgraphs.push(await startProcess('bench/federation/subgraph-main.ts', { BENCH_SUBGRAPH: name, PORT: String(port), NODE_ENV: 'production' }, /"msg":"listening"/));
      urls[name] = `http://127.0.0.1:${port}/graphql`;
    }
    const composed = composeServices(SUBGRAPH_NAMES.map((name) => ({ name, typeDefs: subgraphTypeDefs(name), url: urls[name] })));
    if (composed.errors) throw new Error(`composition failed:\n${composed.errors.map((error) => error.message).join('\n')}`);
    const supergraphPath = join(dir, 'supergraph.graphql');
    writeFileSync(supergraphPath, composed.supergraphSdl);

    const gateways: Gateway[] = [
      { name: 'stock Apollo (@apollo/server + @apollo/gateway)', entry: 'bench/federation/apollo-gateway-main.ts', env: (port) => ({ PORT: String(port) }) },
      {
        name: 'Joinery router',
        entry: 'router/src/main.ts',
        // Rate limits off: the load comes from one IP and one subject. DATA_DIR holds its audit store.
        env: (port) => ({ ROUTER_PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(dir, 'router-data'), RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_SUBJECT: '0' }),
      },
    ];
    const results: Figures[] = [];
    let expected: unknown;
    for (const gateway of gateways) {
      const { figures, first } = await measure(gateway, supergraphPath, headers, expected);
      expected ??= first;
      results.push(figures);
    }
    report(results, Buffer.byteLength(JSON.stringify(expected)));
  } finally {
    await Promise.all(subgraphs.map((subgraph) => subgraph.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(results: Figures[], answerBytes: number): void {
  const baseline = results[0];
  const table = [
    '| gateway | req/s | × Apollo | p50 ms | p99 ms | p99 ÷ Apollo | errors / mismatched | gateway CPU (cores) | peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (f) =>
        `| ${f.gateway} | ${f.rps.toFixed(1)} | ${(f.rps / baseline.rps).toFixed(2)} | ${f.p50} | ${f.p99} | ${(f.p99 / baseline.p99).toFixed(2)} | ${f.errors} / ${f.mismatches} of ${f.requests} | ${f.cores.toFixed(2)} | ${f.peakRssMiB.toFixed(0)} |`,
    ),
  ].join('\n');
  const machine = `${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const section = `<!-- bench:federation:start -->
Command: \`npm run bench:federation -- --seconds ${SECONDS}\` (${CONNECTIONS} connections, ${SECONDS} s per gateway after a ${WARMUP_SECONDS} s warm-up; the nested query's answer is ${(answerBytes / 1024).toFixed(1)} KB; four subgraphs, each its own process; every gateway NODE_ENV=production, one process).
Machine: ${machine}; load generator, gateway and subgraphs share it. Run: ${new Date().toISOString()}.

${table}
<!-- bench:federation:end -->`;
  console.log(`\n${section}`);
  const failed = results.some((f) => f.errors > 0 || f.mismatches > 0);
  if (failed) {
    process.exitCode = 1;
    console.error('\nSome responses failed or differed from the expected answer: not recorded.');
    return;
  }
  if (!RECORD) return console.log('\n(not recorded: run with --record to write docs/benchmarks.md)');
  const docPath = resolve(ROOT, 'docs/benchmarks.md');
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const markers = /<!-- bench:federation:start -->[\s\S]*<!-- bench:federation:end -->/;
  const updated = markers.test(doc) ? doc.replace(markers, () => section) : `${doc.trimEnd()}\n\n## Federation gateway (issue 7)\n\n${section}\n`;
  writeFileSync(docPath, updated);
  console.log('\nWritten to docs/benchmarks.md');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
