/**
 * `npm run bench:federation`: federation gateways head to head (issue 7). Starts four small
 * subgraphs (users, products, reviews, stock; bench/federation/subgraphs.ts), each its own
 * process, composes their supergraph, then runs each gateway in turn on those same subgraphs:
 * stock @apollo/server + @apollo/gateway (the baseline, always first), Joinery's router
 * (SUPERGRAPH_PATH mode) with subgraph request deduplication on and off, and Hive Gateway without
 * and with --jit. Each gets a warm-up, then autocannon with 50 connections sends the nested query
 * for --seconds (default 20); every response body is compared with the gateway's first answer,
 * and that first answer with stock Apollo's. Prints req/s, p50/p99, mismatches, the gateway's and
 * the subgraphs' CPU, and each one's ratio to stock Apollo; with --record, writes them to
 * docs/benchmarks.md between the bench:federation markers. Options: README.md.
 */
import { deepStrictEqual } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import autocannon from 'autocannon';
import { freePort, startProcess, type RunningProcess } from '../../e2e/processes';
import { benchHeaders } from '../auth';
import { processStats } from '../process-stats';
import { startHiveGateway, type StartedGateway } from './hive-gateway-process';
import { servingProcessCount } from './process-count';
import { NESTED_QUERY } from './query';
import { SUBGRAPH_NAMES, subgraphTypeDefs } from './subgraphs';

const ROOT = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const OPTIONS_WITH_VALUE = ['--seconds', '--only', '--router-workers', '--hive-fork'];
for (let i = 0; i < args.length; i++) {
  if (OPTIONS_WITH_VALUE.includes(args[i])) {
    if (args[i + 1] === undefined) throw new Error(`${args[i]} needs a value`);
    i++;
  } else if (args[i] !== '--record') {
    throw new Error(`unknown option ${args[i]} (options: ${[...OPTIONS_WITH_VALUE, '--record'].join(', ')}; see bench/federation/README.md)`);
  }
}
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const SECONDS = Number(option('--seconds') ?? 20);
if (!Number.isFinite(SECONDS) || SECONDS <= 0) throw new Error(`--seconds must be a positive number, got ${option('--seconds')}`);
/** Substrings of gateway names (case-insensitive); stock Apollo runs first whatever they say. */
const ONLY = option('--only')?.split(',').map((part) => part.trim().toLowerCase()).filter(Boolean);
/** ROUTER_WORKERS for the Joinery rows: a number or `auto`, as the router reads it. */
const ROUTER_WORKERS = option('--router-workers') ?? '1';
if (!/^(auto|[1-9]\d*)$/.test(ROUTER_WORKERS)) throw new Error(`--router-workers must be a positive whole number or auto, got ${ROUTER_WORKERS}`);
// Hive Gateway never forks unless told to, in production too; by default it gets as many workers as
// the router, so the two gateways that can use several cores are given the same number.
const HIVE_FORK = Number(option('--hive-fork') ?? (ROUTER_WORKERS === 'auto' ? os.availableParallelism() : ROUTER_WORKERS));
if (!Number.isInteger(HIVE_FORK) || HIVE_FORK < 1) throw new Error(`--hive-fork must be a positive whole number, got ${option('--hive-fork')}`);
const WARMUP_SECONDS = Math.min(5, SECONDS);
const CONNECTIONS = 50;
const RECORD = args.includes('--record');
const BODY = JSON.stringify({ query: NESTED_QUERY, operationName: 'Nested' });

interface Gateway {
  name: string;
  /** How the gateway was told to use processes, shown next to the count measured. */
  setting: string;
  start(port: number, supergraphPath: string): Promise<StartedGateway>;
}

interface Answer {
  text: string;
  parsed: unknown;
}

interface Figures {
  gateway: string;
  setting: string;
  /** Processes serving requests in the gateway's tree (a cluster primary included, tsx's launcher not). */
  processes: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  mismatches: number;
  /** Cores the gateway's process tree used on average during the measured run (1.0 = one full core). */
  cores: number;
  /** Cores the four subgraphs used together during the same run: what deduplication saves shows here. */
  subgraphCores: number;
  peakRssMiB: number;
  /** How the first answer compares with stock Apollo's. */
  answer: string;
}

async function post(url: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });
  return { status: response.status, text: await response.text() };
}

/** Runs autocannon against url; counts every response that is not 200 with exactly `expectedBody`. */
async function load(url: string, headers: Record<string, string>, seconds: number, expectedBody: string) {
  let mismatches = 0;
  let checked = 0;
  let firstMismatch: string | undefined;
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
          if (status !== 200 || body !== expectedBody) {
            mismatches++;
            firstMismatch ??= `HTTP ${status}, ${body.length} bytes: ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  // A check that never ran would pass silently: every counted response must have been compared.
  if (checked < result.requests.total) throw new Error(`only ${checked} of ${result.requests.total} responses were compared with the expected answer`);
  if (firstMismatch) console.error(`first mismatched response: ${firstMismatch}`);
  return { result, mismatches };
}

/**
 * The answer must be the same JSON value as stock Apollo's (deepStrictEqual ignores key order).
 * Whether the bytes are the same too is reported, not hidden: a different key order or spacing is
 * harmless to a client but is still a difference.
 */
function compareWithBaseline(name: string, answer: Answer, baseline: Answer | undefined): string {
  if (baseline === undefined) return 'the baseline';
  deepStrictEqual(answer.parsed, baseline.parsed, `${name}'s answer differs from stock Apollo's`);
  if (answer.text === baseline.text) return 'byte-identical to stock Apollo\'s';
  if (answer.text.trimEnd() === baseline.text.trimEnd()) {
    return `the same bytes but for trailing whitespace: ends ${JSON.stringify(answer.text.slice(answer.text.trimEnd().length))}, Apollo's ${JSON.stringify(baseline.text.slice(baseline.text.trimEnd().length))}`;
  }
  let offset = 0;
  while (answer.text[offset] === baseline.text[offset]) offset++;
  const excerpt = (text: string) => JSON.stringify(text.slice(Math.max(0, offset - 40), offset + 40));
  const kind = JSON.stringify(answer.parsed) === JSON.stringify(baseline.parsed) ? 'same keys in the same order, different formatting' : 'same JSON value, keys in another order';
  return `${kind} (${answer.text.length} vs ${baseline.text.length} bytes; first difference at byte ${offset}: ${excerpt(answer.text)} where Apollo has ${excerpt(baseline.text)})`;
}

const cpuSeconds = (pids: number[]) => pids.reduce((sum, pid) => sum + processStats(pid).cpuSeconds, 0);

async function measure(gateway: Gateway, supergraphPath: string, headers: Record<string, string>, baseline: Answer | undefined, subgraphPids: number[]): Promise<{ figures: Figures; answer: Answer }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const running = await gateway.start(port, supergraphPath);
  try {
    const first = await post(url, headers);
    if (first.status !== 200) throw new Error(`${gateway.name}: the nested query answered HTTP ${first.status}: ${first.text.slice(0, 500)}`);
    const answer: Answer = { text: first.text, parsed: JSON.parse(first.text) };
    const { errors } = answer.parsed as { errors?: unknown };
    if (errors) throw new Error(`${gateway.name}: the nested query answered errors: ${JSON.stringify(errors).slice(0, 1000)}`);
    const comparison = compareWithBaseline(gateway.name, answer, baseline);
    console.log(`${gateway.name}: answer ${first.text.length} bytes, ${comparison}; warming up ${WARMUP_SECONDS} s`);
    await load(url, headers, WARMUP_SECONDS, first.text);

    let peakRssMiB = 0;
    let processes = 0;
    const sample = () => {
      peakRssMiB = Math.max(peakRssMiB, processStats(running.pid).rssMiB);
      processes = Math.max(processes, servingProcessCount(running.pid));
    };
    const sampler = setInterval(sample, 1000);
    const cpuBefore = cpuSeconds([running.pid]);
    const subgraphCpuBefore = cpuSeconds(subgraphPids);
    const started = Date.now();
    const { result, mismatches } = await load(url, headers, SECONDS, first.text);
    const elapsed = (Date.now() - started) / 1000;
    clearInterval(sampler);
    sample();
    const figures: Figures = {
      gateway: gateway.name,
      setting: gateway.setting,
      processes,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      requests: result.requests.total,
      errors: result.errors + result.timeouts,
      mismatches,
      cores: (cpuSeconds([running.pid]) - cpuBefore) / elapsed,
      subgraphCores: (cpuSeconds(subgraphPids) - subgraphCpuBefore) / elapsed,
      peakRssMiB,
      answer: comparison,
    };
    console.log(
      `${gateway.name}: ${figures.rps.toFixed(1)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, ${figures.requests} responses, ${figures.errors} errors, ${figures.mismatches} mismatched, ${figures.cores.toFixed(2)} cores in ${figures.processes} process(es) (${figures.setting}), subgraphs ${figures.subgraphCores.toFixed(2)} cores`,
    );
    return { figures, answer };
  } finally {
    await running.stop();
  }
}

/** A gateway that is a TypeScript entry of ours, run with tsx like the services. */
function tsxGateway(entry: string, env: (port: number) => Record<string, string>) {
  return async (port: number, supergraphPath: string): Promise<StartedGateway> => {
    const running = await startProcess(entry, { ...env(port), SUPERGRAPH_PATH: supergraphPath, NODE_ENV: 'production' }, /"msg":"listening"/);
    return { pid: running.child.pid!, stop: async () => void (await running.stop()) };
  };
}

function gateways(dir: string): Gateway[] {
  const joinery = (dedup: boolean): Gateway => ({
    name: `Joinery router (dedup ${dedup ? 'on' : 'off'})`,
    setting: `ROUTER_WORKERS=${ROUTER_WORKERS}`,
    // Rate limits off: the load comes from one IP and one subject. DATA_DIR holds its audit store.
    start: tsxGateway('router/src/main.ts', (port) => ({
      ROUTER_PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, `router-data-dedup-${dedup ? 'on' : 'off'}`),
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_SUBJECT: '0',
      ROUTER_WORKERS,
      ROUTER_DEDUPLICATE_SUBGRAPH_REQUESTS: String(dedup),
    })),
  });
  const hiveDir = join(dir, 'hive');
  mkdirSync(hiveDir, { recursive: true });
  const hive = (jit: boolean): Gateway => ({
    name: `Hive Gateway (${jit ? '--jit' : 'plain'})`,
    setting: `--fork ${HIVE_FORK}`,
    start: (port, supergraphPath) => startHiveGateway({ supergraphPath, port, jit, fork: HIVE_FORK, cwd: hiveDir }),
  });
  return [
    { name: 'stock Apollo (@apollo/server + @apollo/gateway)', setting: 'one process', start: tsxGateway('bench/federation/apollo-gateway-main.ts', (port) => ({ PORT: String(port) })) },
    joinery(true),
    joinery(false),
    hive(false),
    hive(true),
  ];
}

function selected(all: Gateway[]): Gateway[] {
  if (!ONLY) return all;
  const [baseline, ...others] = all;
  const chosen = others.filter((gateway) => ONLY.some((part) => gateway.name.toLowerCase().includes(part)));
  if (chosen.length === 0) throw new Error(`--only ${option('--only')} matches none of: ${others.map((gateway) => gateway.name).join('; ')}`);
  return [baseline, ...chosen];
}

async function main(): Promise<void> {
  const headers = await benchHeaders(); // also puts JWT_SECRET / INTERNAL_AUTH_SECRET in the environment the children inherit
  const dir = mkdtempSync(join(os.tmpdir(), 'joinery-bench-federation-'));
  const subgraphs: RunningProcess[] = [];
  try {
    const chosen = selected(gateways(dir));
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

    const subgraphPids = subgraphs.map((subgraph) => subgraph.child.pid!);
    const results: Figures[] = [];
    let baseline: Answer | undefined;
    for (const gateway of chosen) {
      const { figures, answer } = await measure(gateway, supergraphPath, headers, baseline, subgraphPids);
      baseline ??= answer;
      results.push(figures);
    }
    report(results, Buffer.byteLength(baseline!.text));
  } finally {
    await Promise.all(subgraphs.map((subgraph) => subgraph.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(results: Figures[], answerBytes: number): void {
  const baseline = results[0];
  const table = [
    '| gateway | processes | req/s | × Apollo | p50 ms | p99 ms | p99 ÷ Apollo | errors / mismatched | gateway CPU (cores) | subgraphs CPU (cores) | peak RSS MiB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (f) =>
        `| ${f.gateway} | ${f.processes} (${f.setting}) | ${f.rps.toFixed(1)} | ${(f.rps / baseline.rps).toFixed(2)} | ${f.p50} | ${f.p99} | ${(f.p99 / baseline.p99).toFixed(2)} | ${f.errors} / ${f.mismatches} of ${f.requests} | ${f.cores.toFixed(2)} | ${f.subgraphCores.toFixed(2)} | ${f.peakRssMiB.toFixed(0)} |`,
    ),
  ].join('\n');
  const answers = results.slice(1).map((f) => `${f.gateway}: ${f.answer}.`);
  const machine = `${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const command = ['npm run bench:federation --', '--seconds', String(SECONDS), ...args.filter((arg, i) => arg !== '--record' && arg !== '--seconds' && args[i - 1] !== '--seconds').map((arg) => (/\s/.test(arg) ? JSON.stringify(arg) : arg))].join(' ');
  const section = `<!-- bench:federation:start -->
Command: \`${command}\` (${CONNECTIONS} connections, ${SECONDS} s per gateway after a ${WARMUP_SECONDS} s warm-up; the nested query's answer is ${(answerBytes / 1024).toFixed(1)} KB; four subgraphs, each its own process; every gateway NODE_ENV=production).
Machine: ${machine}; load generator, gateways and subgraphs share it. Run: ${new Date().toISOString()}.

${table}

Processes: those serving requests in the gateway's process tree (a cluster primary counts; tsx's launcher and its esbuild service do not, but their memory is in peak RSS and their CPU, next to nothing once loaded, in the gateway's), with the setting each was given. CPU is summed over that tree; the subgraphs' CPU is the four subgraphs together during the same run.
Dedup: the Joinery rows ran with \`ROUTER_DEDUPLICATE_SUBGRAPH_REQUESTS\` true and false. With it on, identical subgraph requests in flight at the same time are sent once and share the answer; 50 connections sending one query make many such twins, which a real mix of queries makes far fewer of, so the subgraphs' CPU shows how much work deduplication took off them. Stock Apollo does not deduplicate; Hive Gateway does by default (queries only), so its rows compare with "dedup on".
Answers (each gateway's first answer against stock Apollo's; every later response byte-compared with its gateway's first): ${answers.length ? answers.join(' ') : 'only stock Apollo ran.'}
<!-- bench:federation:end -->`;
  console.log(`\n${section}`);
  // No response at all in the measured run (a starved machine) gives no figures to compare.
  const failed = results.some((f) => f.errors > 0 || f.mismatches > 0 || f.requests === 0);
  if (failed) {
    process.exitCode = 1;
    console.error('\nSome responses failed or differed from the expected answer, or a gateway answered none: not recorded.');
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
