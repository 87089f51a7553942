/**
 * `npm run bench:subscriptions`: live stock under load. 1,000 graphql-ws subscribers on the
 * router(s), 200 stock changes per second, and for every event delivered the time from its commit
 * (`recordedAt`, written just before the commit) to its receipt here. Counts every delivery each
 * subscriber should have had against what it got (lost, duplicated), samples the router's memory
 * and CPU, and writes the figures to docs/benchmarks.md.
 *
 * Scenarios (run in this order, each on fresh data):
 *   embedded     the all-in-one process (`packages/stack/src/start.ts`) on PGlite, in-process bus
 *   redis        each service its own process, PostgreSQL (bench_sub_* schemas), Redis pub/sub
 *   two-routers  as redis, with a second router; subscribers split evenly between the two
 *
 * Options:
 *   --scenarios a,b      which scenarios (default embedded,redis,two-routers; '' only re-sorts the doc)
 *   --seconds N          measured load per scenario (default 60); --minutes N for long runs
 *   --rate N             stock changes per second (default 200)
 *   --subscribers N      subscribers, one graphql-ws connection each (default 1000)
 *   --unfiltered N       subscribers to every change (default 2 % of them); --with-sales N those with a
 *                        sales field, one location each (default 2 %); the rest one location each
 *   --client graphql-ws  the graphql-ws client (`createClient` over `ws`), the default; `raw` speaks
 *                        graphql-transport-ws over `ws` directly (lighter, for comparison)
 *   --warmup N           seconds of unmeasured load at the full rate before measuring (default 5)
 *   --write-to inventory send the stock changes to the inventory subgraph directly (default), or
 *                        `router` to send them through the router
 *   --max-in-flight N    stock changes awaiting a response at most (default 64, the writer's sockets);
 *                        a change that falls due while the writer is that far behind is skipped and
 *                        counted, so an overloaded system shows as a lower achieved rate
 *   --max-wait N         seconds to wait for a quiet machine before each scenario (default 600)
 *   --no-doc             print only, leave docs/benchmarks.md alone
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { freePort, startProcess, type RunningProcess } from '../e2e/processes';
import { benchHeaders } from './auth';

const ROOT = resolve(import.meta.dirname, '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SCHEMAS = { inventory: 'bench_sub_inventory', sales: 'bench_sub_sales', marketing: 'bench_sub_marketing' };

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const SECONDS = option('minutes') ? Math.round(Number(option('minutes')) * 60) : Number(option('seconds') ?? 60);
const RATE = Number(option('rate') ?? 200);
const SUBSCRIBERS = Number(option('subscribers') ?? 1000);
const CLIENT = (option('client') ?? 'graphql-ws') as 'graphql-ws' | 'raw';
const WARMUP_SECONDS = Number(option('warmup') ?? 5);
const WRITE_TO = (option('write-to') ?? 'inventory') as 'inventory' | 'router';
/** Stock changes waiting for their response at most; a change due while this many wait is skipped (and counted). */
const MAX_IN_FLIGHT = Number(option('max-in-flight') ?? 64);
const SCENARIOS = (option('scenarios') ?? 'embedded,redis,two-routers').split(',').filter(Boolean) as ScenarioName[];
const WRITE_DOC = !args.includes('--no-doc');
const LOCATIONS = 20;
const PRODUCTS = 50;
const INITIAL_STOCK = 1_000;
/** Samples of process memory and CPU: every 2 s, every 5 s on runs longer than 2 minutes. */
const SAMPLE_MS = SECONDS > 120 ? 5_000 : 2_000;
/** Latency time series window. */
const WINDOW_S = SECONDS > 120 ? 60 : 10;

type ScenarioName = 'embedded' | 'redis' | 'two-routers';
const LABELS: Record<ScenarioName, string> = {
  embedded: 'embedded: all-in-one process, PGlite, in-process bus',
  redis: 'Redis: separate processes, PostgreSQL, Redis pub/sub, one router',
  'two-routers': 'Redis, two routers: as above with a second router, subscribers split evenly',
};
for (const name of SCENARIOS) if (!LABELS[name]) throw new Error(`unknown scenario ${name}: expected one of ${Object.keys(LABELS).join(', ')}`);
if (CLIENT !== 'graphql-ws' && CLIENT !== 'raw') throw new Error(`--client must be graphql-ws or raw, got ${CLIENT}`);

// ---------------------------------------------------------------------------------------------
// The subscriptions: a mix of what dashboards would ask.

/** Most subscribers: one location's changes with names from inventory. */
const AT_LOCATION = `subscription AtLocation($locationId: ID) {
  stockChanged(locationId: $locationId) { id onHand delta recordedAt location { name } product { sku name } }
}`;
/** Some: every change. */
const EVERYTHING = `subscription Everything {
  stockChanged { id onHand delta recordedAt location { name } product { sku name } }
}`;
/** A few: one location, with a field of the sales subgraph (a second subgraph fetch per event). */
const WITH_SALES = `subscription WithSales($locationId: ID) {
  stockChanged(locationId: $locationId) { id onHand delta recordedAt location { name } product { sku salesSummary { unitsSold } } }
}`;
/**
 * Out of 1,000: 20 on every change (head-office screens), 20 with sales fields (one per location),
 * the rest on one location each (store screens). Each unfiltered subscriber receives every change:
 * 20 of them already add 4,000 deliveries a second at 200 changes a second.
 */
const UNFILTERED = Number(option('unfiltered') ?? Math.round(SUBSCRIBERS * 0.02));
const WITH_SALES_COUNT = Number(option('with-sales') ?? Math.round(SUBSCRIBERS * 0.02));

type Kind = 'location' | 'everything' | 'sales';

interface Subscriber {
  index: number;
  kind: Kind;
  /** Location index, or -1 for every location. */
  location: number;
  router: number;
  /** Deliveries during warm-up. */
  warm: number;
  /** Per measured event (by index): received at least once. */
  seen: Uint8Array;
  distinct: number;
  duplicates: number;
  /** Results carrying `errors`. */
  errors: number;
  wrongLocation: number;
  /** Set when the subscription ended (error, complete, socket closed). */
  ended?: string;
  dispose(): void;
}

// ---------------------------------------------------------------------------------------------
// Small measuring tools.

/** Latencies in whole milliseconds (both clocks have millisecond resolution). */
class Histogram {
  private readonly counts = new Uint32Array(120_001);
  count = 0;
  max = 0;
  negative = 0;
  add(ms: number): void {
    if (ms < 0) this.negative += 1;
    const bucket = Math.min(Math.max(Math.round(ms), 0), this.counts.length - 1);
    this.counts[bucket] += 1;
    this.count += 1;
    if (ms > this.max) this.max = ms;
  }
  percentile(p: number): number {
    if (!this.count) return NaN;
    const target = Math.max(1, Math.ceil(this.count * p));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i += 1) {
      seen += this.counts[i];
      if (seen >= target) return i;
    }
    return this.counts.length - 1;
  }
}

interface Sample {
  /** Seconds since the measured load started. */
  t: number;
  /** Per process: RSS in MiB and CPU seconds so far. */
  stats: Record<string, { rssMiB: number; cpuSeconds: number }>;
  /** Busy and total jiffies of the whole machine (/proc/stat). */
  machine: { busy: number; total: number };
}

function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = fields[3] + fields[4];
  return { busy: total - idle, total };
}

/** PIDs of processes by command name (PostgreSQL backends, redis-server), read from /proc. */
function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Stats of one process alone (not its tree). */
function ownStats(pid: number): { rssMiB: number; cpuSeconds: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, rssMiB: (Number(fields[21]) * 4096) / 2 ** 20 };
  } catch {
    return { cpuSeconds: 0, rssMiB: 0 };
  }
}

/**
 * CPU and memory of every process with one command name (PostgreSQL's backends come and go): CPU
 * is accumulated per process between calls, so a backend that exits does not take its past CPU
 * away from the total (only what it used since the previous call is missed).
 */
function processGroup(name: string): () => { rssMiB: number; cpuSeconds: number } {
  let last = new Map<number, number>();
  let total = 0;
  let first = true;
  return () => {
    const now = new Map<number, number>();
    let rssMiB = 0;
    for (const pid of pidsNamed(name)) {
      const stats = ownStats(pid);
      now.set(pid, stats.cpuSeconds);
      rssMiB += stats.rssMiB;
      if (!first) total += stats.cpuSeconds - (last.get(pid) ?? 0);
    }
    first = false;
    last = now;
    return { rssMiB, cpuSeconds: total };
  };
}

/**
 * The node process that runs the service: `tsx <entry>` is a wrapper process that starts node with
 * tsx's loader (and an esbuild service). Its memory is the service's; the wrapper's is not.
 */
function servicePid(rootPid: number): number {
  const children = (pid: number): number[] => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift()!;
    try {
      if (pid !== rootPid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tsx/dist/loader')) return pid;
    } catch {
      // gone
    }
    queue.push(...children(pid));
  }
  return rootPid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The machine is shared (other test runs, builds): before a scenario, waits up to `maxSeconds` for
 * a 3-second stretch in which under 30 % of the machine's CPU is busy. Returns the share last seen.
 */
async function waitForQuietMachine(maxSeconds: number): Promise<number> {
  const deadline = Date.now() + maxSeconds * 1000;
  for (;;) {
    const before = machineJiffies();
    await sleep(3_000);
    const after = machineJiffies();
    const busy = (after.busy - before.busy) / (after.total - before.total);
    if (busy < 0.3 || Date.now() > deadline) {
      console.log(`machine ${(busy * 100).toFixed(0)} % busy before the scenario${busy >= 0.3 ? ' (gave up waiting for it to be quiet)' : ''}`);
      return busy;
    }
    console.log(`machine ${(busy * 100).toFixed(0)} % busy: waiting for it to be quiet`);
  }
}
const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

// ---------------------------------------------------------------------------------------------
// GraphQL over HTTP: setup through the router, and the paced writer.

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** An admin's headers, signed once: the writer posts hundreds of changes a second. */
let headers: Promise<Record<string, string>> | undefined;

async function post(url: string, query: string, variables: Record<string, unknown>): Promise<any> {
  const auth = await (headers ??= benchHeaders());
  const body = JSON.stringify({ query, variables });
  const target = new URL(url);
  return new Promise((resolvePost, reject) => {
    const request = http.request(
      { hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (response.statusCode !== 200) return reject(new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`));
          try {
            resolvePost(JSON.parse(text));
          } catch (error) {
            reject(error);
          }
        });
        response.on('error', reject);
      },
    );
    request.setTimeout(30_000, () => request.destroy(new Error('timed out after 30 s')));
    request.on('error', reject);
    request.end(body);
  });
}

async function mutate(url: string, query: string, variables: Record<string, unknown>, field: string): Promise<any> {
  const result = await post(url, query, variables);
  if (result.errors?.length) throw new Error(`${field}: ${JSON.stringify(result.errors)}`);
  const payload = result.data[field];
  if (payload.userErrors?.length) throw new Error(`${field}: ${JSON.stringify(payload.userErrors)}`);
  return payload;
}

async function inBatches<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

const ADJUST = 'mutation($i: AdjustInventoryInput!) { adjustInventory(input: $i) { userErrors { message } } }';

// ---------------------------------------------------------------------------------------------
// A scenario's processes.

interface Deployment {
  routerUrls: string[];
  /** Where the paced stock changes go. */
  writeUrl: string;
  /** The processes to sample, by name (service node process ids). */
  pids: Record<string, number>;
  /** Names in `pids` that are routers. */
  routerNames: string[];
  processes: { name: string; process: RunningProcess }[];
  external: string[];
  cleanup(): Promise<void>;
  description: string;
}

async function deploy(name: ScenarioName): Promise<Deployment> {
  const ports = { ROUTER_PORT: String(await freePort()), INVENTORY_PORT: String(await freePort()), SALES_PORT: String(await freePort()), MARKETING_PORT: String(await freePort()) };
  const inventoryUrl = `http://127.0.0.1:${ports.INVENTORY_PORT}/graphql`;
  const common = { ...ports, NODE_ENV: 'production', SEED_DEMO_DATA: 'false' };
  if (name === 'embedded') {
    const dataDir = mkdtempSync(join(os.tmpdir(), 'joinery-bench-sub-'));
    // Empty values count as unset: no PostgreSQL, no Redis, whatever the caller's environment holds.
    const stack = await startProcess('packages/stack/src/start.ts', { ...common, DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' }, /Joinery is up/);
    const routerUrl = `http://127.0.0.1:${ports.ROUTER_PORT}/graphql`;
    return {
      routerUrls: [routerUrl],
      writeUrl: WRITE_TO === 'router' ? routerUrl : inventoryUrl,
      pids: { 'all-in-one': servicePid(stack.child.pid!) },
      routerNames: ['all-in-one'],
      processes: [{ name: 'all-in-one', process: stack }],
      external: [],
      description: `\`tsx packages/stack/src/start.ts\` (router, three subgraphs and PGlite in one process; DATA_DIR a fresh temp folder, SEED_DEMO_DATA=false, in-process bus)`,
      async cleanup() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  for (const schema of Object.values(SCHEMAS)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  const prefix = `joinery-bench-sub-${Date.now().toString(36)}:`;
  const env = {
    ...common, DATABASE_URL, REDIS_URL, EVENT_CHANNEL_PREFIX: prefix,
    INVENTORY_DATABASE_SCHEMA: SCHEMAS.inventory, SALES_DATABASE_SCHEMA: SCHEMAS.sales, MARKETING_DATABASE_SCHEMA: SCHEMAS.marketing, AUDIT_DATABASE_SCHEMA: 'bench_audit',
  };
  const processes: { name: string; process: RunningProcess }[] = [];
  try {
    for (const service of ['inventory', 'marketing', 'sales']) processes.push({ name: service, process: await startProcess(`subgraphs/${service}/src/main.ts`, env, /"msg":"listening"/) });
    const routerPorts = [ports.ROUTER_PORT, ...(name === 'two-routers' ? [String(await freePort())] : [])];
    for (const [index, port] of routerPorts.entries()) {
      processes.push({ name: routerPorts.length > 1 ? `router ${index + 1}` : 'router', process: await startProcess('router/src/main.ts', { ...env, ROUTER_PORT: port }, /"msg":"listening"/) });
    }
    const routerUrls = routerPorts.map((port) => `http://127.0.0.1:${port}/graphql`);
    return {
      routerUrls,
      writeUrl: WRITE_TO === 'router' ? routerUrls[0] : inventoryUrl,
      pids: Object.fromEntries(processes.map(({ name: process, process: running }) => [process, servicePid(running.child.pid!)])),
      routerNames: processes.filter((p) => p.name.startsWith('router')).map((p) => p.name),
      processes,
      external: ['postgres', 'redis-server'],
      description: `inventory, sales, marketing and ${routerPorts.length === 1 ? 'the router' : 'two routers'} each \`tsx <service>/src/main.ts\` (NODE_ENV=production); PostgreSQL on localhost (schemas bench_sub_*, dropped first); REDIS_URL with EVENT_CHANNEL_PREFIX=${prefix}`,
      async cleanup() {},
    };
  } catch (error) {
    await Promise.all(processes.map(({ process }) => process.stop()));
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// One scenario.

interface Result {
  scenario: ScenarioName;
  seconds: number;
  /** Stock changes per second asked for. */
  rate: number;
  date: string;
  description: string;
  subscribers: { total: number; byKind: Record<Kind, number>; perRouter: number[]; connectSeconds: number; warmupRounds: number };
  changes: { scheduled: number; skipped: number; sent: number; ok: number; failed: number; seconds: number; firstFailure?: string; writeP50: number; writeP99: number; maxInFlight: number };
  deliveries: { expected: number; received: number; lost: number; duplicated: number; unexpected: number; errors: number; wrongLocation: number; ended: number; endedReasons: string[]; subscribersMissing: number; drainSeconds: number };
  latency: { p50: number; p99: number; p999: number; max: number; negative: number; windows: { from: number; p50: number; p99: number; max: number; count: number }[] };
  processes: Record<string, { rssStart: number; rssPeak: number; rssEnd: number; rssSeries: number[]; rssAt60?: number; slopeMiBPerMin?: number; cpuMean: number; cpuPeak: number }>;
  routerNames: string[];
  machineBusy: number;
  /** Share of the machine busy just before the scenario started. */
  busyBefore: number;
  bench: { cpuMean: number; loopDelayP99: number; loopDelayMax: number; rssEnd: number };
  serviceErrors: string[];
}

async function runScenario(name: ScenarioName): Promise<Result> {
  console.log(`\n=== ${LABELS[name]} (${SECONDS} s at ${RATE}/s, ${SUBSCRIBERS} subscribers, ${CLIENT} client) ===`);
  const busyBefore = await waitForQuietMachine(Number(option('max-wait') ?? 600));
  const deployment = await deploy(name);
  const subscribers: Subscriber[] = [];
  try {
    const router = deployment.routerUrls[0];
    // Setup through the router: locations, products, stock at every level.
    const locations: { id: string; name: string }[] = [];
    for (let i = 0; i < LOCATIONS; i += 1) {
      const code = `BENCH-${String(i + 1).padStart(2, '0')}`;
      const payload = await mutate(router, 'mutation($input: CreateLocationInput!) { createLocation(input: $input) { location { id name } userErrors { message } } }', {
        input: { code, name: `Bench Store ${i + 1}`, kind: 'STORE', timezone: 'Europe/Oslo', address: { line1: 'Storgata 1', city: 'Oslo', region: 'Nordics', postalCode: '0155', country: 'NO' } },
      }, 'createLocation');
      locations.push(payload.location);
    }
    const skus = Array.from({ length: PRODUCTS }, (_, i) => `BENCH-SKU-${String(i + 1).padStart(3, '0')}`);
    await inBatches(skus, 4, async (sku) => {
      await mutate(router, 'mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }', { input: { sku, name: `Bench product ${sku.slice(-3)}`, category: 'bench', price: '10.00' } }, 'createProduct');
    });
    const levels = locations.flatMap((_, l) => skus.map((__, s) => ({ l, s })));
    const stock = new Int32Array(LOCATIONS * PRODUCTS).fill(INITIAL_STOCK);
    const setupStarted = Date.now();
    await inBatches(levels, 8, async ({ l, s }) => {
      await mutate(router, ADJUST, { i: { locationId: locations[l].id, sku: skus[s], delta: INITIAL_STOCK, reason: 'RECEIVED', reference: 'bench initial stock' } }, 'adjustInventory');
    });
    console.log(`setup: ${LOCATIONS} locations, ${PRODUCTS} products, ${levels.length} levels stocked in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);
    // Let the setup's events pass before anyone listens.
    await sleep(2_000);

    // ---- subscribers
    let phase: 'warmup' | 'measure' = 'warmup';
    let lastMessageAt = Date.now();
    const eventIndex = new Map<string, number>();
    const histogram = new Histogram();
    const windows: Histogram[] = [];
    let measureStart = 0;
    const errorSamples: string[] = [];

    const onResult = (subscriber: Subscriber, result: any) => {
      const receipt = Date.now();
      lastMessageAt = receipt;
      const change = result?.data?.stockChanged;
      if (result?.errors?.length) {
        subscriber.errors += 1;
        if (errorSamples.length < 5) errorSamples.push(JSON.stringify(result.errors).slice(0, 300));
      }
      if (!change) return;
      if (phase === 'warmup') {
        subscriber.warm += 1;
        return;
      }
      let index = eventIndex.get(change.id);
      if (index === undefined) {
        index = eventIndex.size;
        eventIndex.set(change.id, index);
      }
      if (index >= subscriber.seen.length) {
        const grown = new Uint8Array(Math.max(1024, subscriber.seen.length * 2, index + 1));
        grown.set(subscriber.seen);
        subscriber.seen = grown;
      }
      if (subscriber.seen[index]) {
        subscriber.duplicates += 1;
        return;
      }
      subscriber.seen[index] = 1;
      subscriber.distinct += 1;
      if (subscriber.location >= 0 && change.location?.name !== locations[subscriber.location].name) subscriber.wrongLocation += 1;
      const latency = receipt - Date.parse(change.recordedAt);
      histogram.add(latency);
      const window = Math.floor((receipt - measureStart) / 1000 / WINDOW_S);
      (windows[window] ??= new Histogram()).add(latency);
    };

    const withSales = WITH_SALES_COUNT;
    const unfiltered = UNFILTERED;
    const kinds: Kind[] = Array.from({ length: SUBSCRIBERS }, (_, i) => (i < withSales ? 'sales' : i < withSales + unfiltered ? 'everything' : 'location'));
    // Spread the kinds over the routers: subscriber i goes to router i % routers.
    const connectStarted = Date.now();
    const subscribe = (index: number, kind: Kind): Promise<Subscriber> => {
      const location = kind === 'everything' ? -1 : index % LOCATIONS;
      const routerIndex = index % deployment.routerUrls.length;
      const url = deployment.routerUrls[routerIndex].replace(/^http/, 'ws');
      const query = kind === 'everything' ? EVERYTHING : kind === 'sales' ? WITH_SALES : AT_LOCATION;
      const variables = location >= 0 ? { locationId: locations[location].id } : {};
      const subscriber: Subscriber = { index, kind, location, router: routerIndex, warm: 0, seen: new Uint8Array(0), distinct: 0, duplicates: 0, errors: 0, wrongLocation: 0, dispose: () => {} };
      return new Promise((resolveConnected, reject) => {
        if (CLIENT === 'graphql-ws') {
          let connected = false;
          const client: Client = createClient({
            url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0,
            connectionParams: async () => ({ authorization: (await (headers ??= benchHeaders())).authorization }),
            on: {
              connected: () => {
                connected = true;
                resolveConnected(subscriber);
              },
              closed: (event: any) => {
                if (!connected) reject(new Error(`subscriber ${index} could not connect: ${event?.code} ${event?.reason}`));
                subscriber.ended ??= `socket closed ${event?.code} ${event?.reason ?? ''}`.trim();
              },
            },
          });
          client.subscribe({ query, variables }, {
            next: (result) => onResult(subscriber, result),
            error: (error: any) => (subscriber.ended ??= `error: ${error?.message ?? (Array.isArray(error) ? JSON.stringify(error) : `close ${error?.code} ${error?.reason}`)}`),
            complete: () => (subscriber.ended ??= 'completed'),
          });
          subscriber.dispose = () => void client.dispose();
        } else {
          const socket = new WebSocket(url, 'graphql-transport-ws');
          let connected = false;
          socket.on('open', async () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: (await (headers ??= benchHeaders())).authorization } })));
          socket.on('message', (data) => {
            const message = JSON.parse(String(data));
            if (message.type === 'next') onResult(subscriber, message.payload);
            else if (message.type === 'connection_ack') {
              connected = true;
              socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
              resolveConnected(subscriber);
            } else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
            else if (message.type === 'error') subscriber.ended ??= `error: ${JSON.stringify(message.payload)}`;
            else if (message.type === 'complete') subscriber.ended ??= 'completed';
          });
          socket.on('error', (error) => (subscriber.ended ??= `socket error: ${error.message}`));
          socket.on('close', (code, reason) => {
            if (!connected) reject(new Error(`subscriber ${index} could not connect: ${code} ${reason}`));
            subscriber.ended ??= `socket closed ${code} ${String(reason)}`.trim();
          });
          subscriber.dispose = () => socket.close(1000);
        }
      });
    };
    for (let start = 0; start < SUBSCRIBERS; start += 50) {
      const batch = await Promise.all(kinds.slice(start, start + 50).map((kind, offset) => subscribe(start + offset, kind)));
      subscribers.push(...batch);
    }
    const connectSeconds = (Date.now() - connectStarted) / 1000;
    const byKind = { location: 0, everything: 0, sales: 0 } as Record<Kind, number>;
    for (const s of subscribers) byKind[s.kind] += 1;
    const perRouter = deployment.routerUrls.map((_, r) => subscribers.filter((s) => s.router === r).length);
    console.log(`subscribers: ${subscribers.length} connected in ${connectSeconds.toFixed(1)} s (${byKind.location} one location, ${byKind.everything} everything, ${byKind.sales} one location with sales fields; per router ${perRouter.join(' / ')})`);

    // ---- the writer: stock changes on a schedule, not waiting for the previous ones.
    let n = 0;
    const writer = { skipped: 0, sent: 0, ok: 0, failed: 0, inFlight: 0, maxInFlight: 0, firstFailure: undefined as string | undefined, okByLocation: new Array<number>(LOCATIONS).fill(0), latency: new Histogram() };
    const change = (l: number, s: number, delta: number, reason: string): Promise<void> => {
      writer.sent += 1;
      writer.inFlight += 1;
      writer.maxInFlight = Math.max(writer.maxInFlight, writer.inFlight);
      const started = performance.now();
      return mutate(deployment.writeUrl, ADJUST, { i: { locationId: locations[l].id, sku: skus[s], delta, reason } }, 'adjustInventory').then(
        () => {
          writer.ok += 1;
          writer.okByLocation[l] += 1;
          writer.latency.add(performance.now() - started);
        },
        (error) => {
          writer.failed += 1;
          writer.firstFailure ??= String(error?.message ?? error).slice(0, 300);
        },
      ).finally(() => (writer.inFlight -= 1));
    };
    /** Small +/- changes, round-robin over locations, random products; never below 100 on hand. */
    const next = (): Promise<void> => {
      const l = n % LOCATIONS;
      const s = Math.floor(Math.random() * PRODUCTS);
      n += 1;
      const size = 1 + Math.floor(Math.random() * 3);
      const level = l * PRODUCTS + s;
      const down = Math.random() < 0.5 && stock[level] - size >= 100;
      stock[level] += down ? -size : size;
      return change(l, s, down ? -size : size, down ? 'DAMAGED' : 'RECEIVED');
    };
    const paced = async (seconds: number): Promise<number> => {
      const total = Math.round(seconds * RATE);
      const pending: Promise<void>[] = [];
      const started = performance.now();
      let sent = 0;
      await new Promise<void>((done) => {
        const tick = () => {
          const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
          while (sent < due) {
            if (writer.inFlight >= MAX_IN_FLIGHT) writer.skipped += 1;
            else pending.push(next());
            sent += 1;
          }
          if (sent >= total) return done();
          setTimeout(tick, 2);
        };
        tick();
      });
      const elapsed = (performance.now() - started) / 1000;
      await Promise.all(pending);
      return elapsed;
    };

    // ---- warm-up: a change at every location until every subscriber has had one, then load.
    let warmupRounds = 0;
    while (subscribers.some((s) => s.warm === 0 && !s.ended)) {
      if (warmupRounds >= 60) throw new Error(`after 60 warm-up rounds ${subscribers.filter((s) => s.warm === 0).length} subscribers have received nothing`);
      warmupRounds += 1;
      await Promise.all(locations.map((_, l) => change(l, Math.floor(Math.random() * PRODUCTS), 1, 'RECEIVED')));
      const deadline = Date.now() + 2_000;
      while (Date.now() < deadline && subscribers.some((s) => s.warm === 0 && !s.ended)) await sleep(50);
    }
    console.log(`warm-up: every subscriber active after ${warmupRounds} round(s) of ${LOCATIONS} changes`);
    if (WARMUP_SECONDS > 0) {
      await paced(WARMUP_SECONDS);
      console.log(`warm-up: ${WARMUP_SECONDS} s at ${RATE}/s (not measured)`);
    }
    // Settle: every warm-up event delivered (or 120 s), then 2 s of quiet, so none counts as measured.
    const warmExpected = (s: Subscriber) => (s.location >= 0 ? writer.okByLocation[s.location] : writer.ok);
    const settleStarted = Date.now();
    while (Date.now() - settleStarted < 120_000 && (subscribers.some((s) => !s.ended && s.warm < warmExpected(s)) || Date.now() - lastMessageAt < 2_000)) await sleep(100);
    const warmShort = subscribers.filter((s) => !s.ended && s.warm < warmExpected(s)).length;
    console.log(`warm-up settled in ${((Date.now() - settleStarted) / 1000).toFixed(1)} s${warmShort ? ` (${warmShort} subscribers still short of their warm-up events: late ones may count as measured)` : ''}`);
    Object.assign(writer, { skipped: 0, sent: 0, ok: 0, failed: 0, maxInFlight: 0, firstFailure: undefined, okByLocation: new Array<number>(LOCATIONS).fill(0), latency: new Histogram() });
    const warmEnded = subscribers.filter((s) => s.ended).length;
    if (warmEnded) console.log(`warning: ${warmEnded} subscriptions ended during warm-up: ${[...new Set(subscribers.filter((s) => s.ended).map((s) => s.ended))].slice(0, 3).join('; ')}`);

    // ---- measured load
    const samples: Sample[] = [];
    const externals = deployment.external.map((external) => [external, processGroup(external)] as const);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    const sample = () => {
      const stats: Sample['stats'] = {};
      for (const [processName, pid] of Object.entries(deployment.pids)) stats[processName] = ownStats(pid);
      for (const [external, read] of externals) stats[external] = read();
      const usage = process.cpuUsage();
      stats.bench = { rssMiB: process.memoryUsage().rss / 2 ** 20, cpuSeconds: (usage.user + usage.system) / 1e6 };
      samples.push({ t: (Date.now() - measureStart) / 1000, stats, machine: machineJiffies() });
    };
    phase = 'measure';
    measureStart = Date.now();
    loopDelay.enable();
    sample();
    const sampler = setInterval(sample, SAMPLE_MS);
    const progress = setInterval(() => {
      const t = (Date.now() - measureStart) / 1000;
      console.log(`  ${t.toFixed(0)} s: ${writer.ok} changes ok, ${writer.skipped} skipped, ${writer.failed} failed, ${writer.inFlight} in flight; ${histogram.count} deliveries, p50 ${histogram.percentile(0.5)} ms, p99 ${histogram.percentile(0.99)} ms; ${Object.entries(samples.at(-1)!.stats).filter(([k]) => deployment.routerNames.includes(k)).map(([k, v]) => `${k} ${v.rssMiB.toFixed(0)} MiB`).join(', ')}`);
    }, SECONDS > 120 ? 30_000 : 10_000);
    const loadSeconds = await paced(SECONDS);
    sample();
    clearInterval(sampler);
    clearInterval(progress);
    loopDelay.disable();

    // ---- drain: wait for what is still on its way.
    const expectedOf = (s: Subscriber) => (s.location >= 0 ? writer.okByLocation[s.location] : writer.ok);
    // Until every delivery arrived, or nothing arrived for 10 s while the routers sat idle (under
    // 5 % of a core), or 180 s: a backlog still being worked off is late, not lost.
    const drainStarted = Date.now();
    const routersCpu = () => deployment.routerNames.reduce((sum, routerName) => sum + ownStats(deployment.pids[routerName]).cpuSeconds, 0);
    let idleCheck = { at: Date.now(), cpu: routersCpu(), idle: false };
    while (Date.now() - drainStarted < 180_000) {
      const complete = subscribers.every((s) => s.ended || s.distinct >= expectedOf(s));
      if (complete || (Date.now() - lastMessageAt > 10_000 && idleCheck.idle)) break;
      await sleep(100);
      if (Date.now() - idleCheck.at >= 2_000) {
        const cpu = routersCpu();
        idleCheck = { at: Date.now(), cpu, idle: (cpu - idleCheck.cpu) / ((Date.now() - idleCheck.at) / 1000 || 1) < 0.05 };
      }
    }
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    // What the services logged up to here (stopping them later logs errors of its own).
    const outputsAtEnd = deployment.processes.map(({ name: processName, process }) => ({ processName, output: process.output() }));

    // ---- figures
    let expected = 0;
    let received = 0;
    let lost = 0;
    let unexpected = 0;
    let subscribersMissing = 0;
    for (const s of subscribers) {
      const want = expectedOf(s);
      expected += want;
      received += s.distinct;
      lost += Math.max(0, want - s.distinct);
      unexpected += Math.max(0, s.distinct - want);
      if (s.distinct < want) subscribersMissing += 1;
    }
    const first = samples[0];
    const last = samples.at(-1)!;
    const elapsed = last.t - first.t;
    const processes: Result['processes'] = {};
    for (const processName of Object.keys(first.stats)) {
      const series = samples.map((s) => ({ t: s.t, ...s.stats[processName] }));
      const rates = series.slice(1).map((s, i) => (s.cpuSeconds - series[i].cpuSeconds) / (s.t - series[i].t));
      const entry: Result['processes'][string] = {
        rssStart: series[0].rssMiB,
        rssPeak: Math.max(...series.map((s) => s.rssMiB)),
        rssEnd: series.at(-1)!.rssMiB,
        // RSS at the start of each latency window and at the end.
        rssSeries: [...Array.from({ length: Math.ceil(elapsed / WINDOW_S) }, (_, i) => series.find((s) => s.t >= i * WINDOW_S)?.rssMiB ?? NaN), series.at(-1)!.rssMiB],
        cpuMean: (series.at(-1)!.cpuSeconds - series[0].cpuSeconds) / elapsed,
        cpuPeak: Math.max(...rates),
      };
      if (SECONDS >= 120) {
        const after = series.filter((s) => s.t >= 60);
        entry.rssAt60 = after[0]?.rssMiB;
        // Least-squares slope of RSS from the first minute on, MiB per minute.
        const meanT = after.reduce((a, s) => a + s.t, 0) / after.length;
        const meanR = after.reduce((a, s) => a + s.rssMiB, 0) / after.length;
        const cov = after.reduce((a, s) => a + (s.t - meanT) * (s.rssMiB - meanR), 0);
        const variance = after.reduce((a, s) => a + (s.t - meanT) ** 2, 0);
        entry.slopeMiBPerMin = variance ? (cov / variance) * 60 : 0;
      }
      processes[processName] = entry;
    }
    const machineBusy = (last.machine.busy - first.machine.busy) / (last.machine.total - first.machine.total);
    const ended = subscribers.filter((s) => s.ended);
    const serviceErrors = outputsAtEnd.flatMap(({ processName, output }) =>
      output.split('\n').filter((line) => /"level":"(error|warn)"|Error|error:/.test(line) && !/REDIS_URL is not set/.test(line)).map((line) => `${processName}: ${line.slice(0, 400)}`),
    );

    const result: Result = {
      scenario: name,
      seconds: SECONDS,
      rate: RATE,
      date: new Date().toISOString(),
      description: deployment.description,
      subscribers: { total: subscribers.length, byKind, perRouter, connectSeconds, warmupRounds },
      changes: { scheduled: writer.sent + writer.skipped, skipped: writer.skipped, sent: writer.sent, ok: writer.ok, failed: writer.failed, seconds: loadSeconds, firstFailure: writer.firstFailure, writeP50: writer.latency.percentile(0.5), writeP99: writer.latency.percentile(0.99), maxInFlight: writer.maxInFlight },
      deliveries: {
        expected, received, lost, duplicated: subscribers.reduce((a, s) => a + s.duplicates, 0), unexpected,
        errors: subscribers.reduce((a, s) => a + s.errors, 0), wrongLocation: subscribers.reduce((a, s) => a + s.wrongLocation, 0),
        ended: ended.length, endedReasons: [...new Set(ended.map((s) => s.ended!))].slice(0, 5), subscribersMissing, drainSeconds,
      },
      latency: {
        p50: histogram.percentile(0.5), p99: histogram.percentile(0.99), p999: histogram.percentile(0.999), max: histogram.max, negative: histogram.negative,
        windows: windows.map((w, i) => ({ from: i * WINDOW_S, p50: w?.percentile(0.5) ?? NaN, p99: w?.percentile(0.99) ?? NaN, max: w?.max ?? NaN, count: w?.count ?? 0 })),
      },
      processes,
      routerNames: deployment.routerNames,
      machineBusy,
      busyBefore,
      bench: { cpuMean: processes.bench.cpuMean, loopDelayP99: loopDelay.percentile(99) / 1e6, loopDelayMax: loopDelay.max / 1e6, rssEnd: processes.bench.rssEnd },
      serviceErrors,
    };
    if (errorSamples.length) result.serviceErrors.unshift(...errorSamples.map((e) => `subscription result errors: ${e}`));
    console.log(JSON.stringify({ ...result, latency: { ...result.latency, windows: undefined } }, null, 1));
    return result;
  } finally {
    for (const s of subscribers) s.dispose();
    await sleep(500);
    await Promise.all(deployment.processes.map(({ process }) => process.stop()));
    await deployment.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

/** `redis:60s`; a rate or subscriber count other than the issue's adds `:50rps` / `:500subs`. */
const blockKey = (result: Result) =>
  `${result.scenario}:${result.seconds}s${result.rate !== 200 ? `:${result.rate}rps` : ''}${result.subscribers.total !== 1000 ? `:${result.subscribers.total}subs` : ''}`;

const duration = (seconds: number) => (seconds % 60 === 0 && seconds >= 120 ? `${seconds / 60} min` : `${seconds} s`);

function block(result: Result, machine: string, command: string, code: string): string {
  const key = blockKey(result);
  const d = result.deliveries;
  const c = result.changes;
  const l = result.latency;
  const others = Object.keys(result.processes).filter((name) => !result.routerNames.includes(name));
  const rows: [string, string][] = [
    ['stock changes', `${c.ok} committed (${fmt(c.ok / c.seconds)}/s over ${fmt(c.seconds, 1)} s) of ${c.scheduled} scheduled; ${c.skipped ? `${c.skipped} skipped (due while ${MAX_IN_FLIGHT} were awaiting a response)` : 'none skipped'}, ${c.failed} failed; write p50 ${fmt(c.writeP50)} ms, p99 ${fmt(c.writeP99)} ms; at most ${c.maxInFlight} in flight`],
    ['deliveries expected / received', `${d.expected} / ${d.received} (waited ${fmt(d.drainSeconds, 1)} s after the load for the rest)`],
    ['lost / duplicated', `**${d.lost}** / **${d.duplicated}**${d.lost ? ` (${d.subscribersMissing} subscribers short)` : ''}${d.unexpected ? `; ${d.unexpected} more than expected` : ''}`],
    ['commit → client latency p50 / p99 / max', `**${fmt(l.p50)} / ${fmt(l.p99)} / ${fmt(l.max)} ms** (p99.9 ${fmt(l.p999)} ms${l.negative ? `; ${l.negative} negative, counted as 0` : ''})`],
    [`p50 / p99 per ${WINDOW_S} s window, ms`, l.windows.map((w) => `${fmt(w.p50)}/${fmt(w.p99)}`).join(', ')],
    ['subscriptions ended early / results with errors / events of another location', `${d.ended}${d.endedReasons.length ? ` (${d.endedReasons.join('; ')})` : ''} / ${d.errors} / ${d.wrongLocation}`],
    ...result.routerNames.map((name): [string, string] => {
      const p = result.processes[name];
      const memory = `RSS start ${fmt(p.rssStart)} / peak ${fmt(p.rssPeak)} / end ${fmt(p.rssEnd)} MiB${p.rssAt60 !== undefined ? `; at 1 min ${fmt(p.rssAt60)} MiB, end − 1 min ${fmt(p.rssEnd - p.rssAt60)} MiB, slope ${fmt(p.slopeMiBPerMin!, 1)} MiB/min` : ''}`;
      return [`${name} memory`, `${memory}; every ${WINDOW_S} s: ${p.rssSeries.map((v) => fmt(v)).join(', ')} MiB`];
    }),
    ...result.routerNames.map((name): [string, string] => [`${name} CPU (cores)`, `mean ${fmt(result.processes[name].cpuMean, 2)}, peak ${SAMPLE_MS / 1000} s sample ${fmt(result.processes[name].cpuPeak, 2)}`]),
    ['other CPU, mean cores', others.map((name) => `${name} ${fmt(result.processes[name].cpuMean, 2)}`).join(', ') + `; whole machine ${fmt(result.machineBusy * os.cpus().length, 2)} of ${os.cpus().length} (${fmt(result.machineBusy * 100)} % busy), of which ${fmt(result.machineBusy * os.cpus().length - Object.values(result.processes).reduce((a, p) => a + p.cpuMean, 0), 2)} outside the processes listed`],
    ['error / warning lines logged by the services (until the end of the drain)', result.serviceErrors.length ? `${result.serviceErrors.length}, e.g. \`${result.serviceErrors[0].slice(0, 200).replace(/\|/g, '\\|')}\`` : '0'],
    ['bench process', `event-loop delay p99 ${fmt(result.bench.loopDelayP99, 1)} ms, max ${fmt(result.bench.loopDelayMax, 1)} ms; RSS ${fmt(result.bench.rssEnd)} MiB`],
  ];
  return `<!-- bench:subscriptions:${key}:start -->
#### ${LABELS[result.scenario]}: ${duration(result.seconds)} at ${result.rate} changes/s, ${result.subscribers.total} subscribers

Command: \`${command}\`. Processes: ${result.description}. Subscribers: ${result.subscribers.total} (${result.subscribers.byKind.location} on one location, ${result.subscribers.byKind.everything} on every change, ${result.subscribers.byKind.sales} on one location with \`product { salesSummary { unitsSold } }\`), ${CLIENT === 'graphql-ws' ? 'graphql-ws `createClient`' : 'raw graphql-transport-ws'} over \`ws\`, one connection each${result.subscribers.perRouter.length > 1 ? `, ${result.subscribers.perRouter.join(' / ')} per router` : ''}. Stock changes: \`adjustInventory\` sent to the ${WRITE_TO === 'inventory' ? 'inventory subgraph directly' : 'router'}, paced open-loop.
Machine: ${machine}. Code: ${code}. Run: ${result.date} (machine ${fmt(result.busyBefore * 100)} % busy just before).

| measure | value |
|---|---|
${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}
<!-- bench:subscriptions:${key}:end -->`;
}

const ORDER: ScenarioName[] = ['embedded', 'redis', 'two-routers'];

function writeDoc(blocks: { key: string; text: string }[]): void {
  const path = resolve(ROOT, 'docs/benchmarks.md');
  let doc = readFileSync(path, 'utf8');
  const start = '<!-- bench:subscriptions:start -->';
  const end = '<!-- bench:subscriptions:end -->';
  if (!doc.includes(start)) {
    doc = `${doc.trimEnd()}\n\n## Live stock subscriptions (issue: subscription latency under load)\n\nTargets on this 2-core machine: with 1,000 subscribers on one router and 200 stock changes per\nsecond, commit-to-client p99 under 50 ms, no event lost, router memory flat over a 5-minute run.\n\`npm run bench:subscriptions\` (options in bench/subscriptions.ts) writes one block per scenario and\nrun length; a later run replaces only its own blocks.\n\n${start}\n${end}\n`;
  }
  const inside = doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end));
  const existing = new Map<string, string>();
  for (const match of inside.matchAll(/<!-- bench:subscriptions:([\w-]+:\d+s(?::\d+(?:rps|subs))*):start -->[\s\S]*?<!-- bench:subscriptions:\1:end -->/g)) existing.set(match[1], match[0]);
  for (const { key, text } of blocks) existing.set(key, text);
  // The issue's rate first; then shorter runs before longer, higher rates before lower, by scenario.
  const sortKey = (key: string) => {
    const [scenario, seconds, ...rest] = key.split(':');
    const rate = Number.parseInt(rest.find((part) => part.endsWith('rps')) ?? '200', 10);
    return [rate === 200 ? 0 : 1, Number.parseInt(seconds, 10), -rate, ORDER.indexOf(scenario as ScenarioName)];
  };
  const compare = (a: number[], b: number[]) => a.reduce((result, value, i) => result || value - b[i], 0);
  const body = [...existing.entries()].sort(([a], [b]) => compare(sortKey(a), sortKey(b))).map(([, text]) => text).join('\n\n');
  doc = doc.slice(0, doc.indexOf(start) + start.length) + `\n${body}\n` + doc.slice(doc.indexOf(end));
  writeFileSync(path, doc);
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0].model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}; PostgreSQL and Redis on localhost`;
  const command = `npm run bench:subscriptions${args.length ? ` -- ${args.join(' ')}` : ''}`;
  const git = (...gitArgs: string[]) => execFileSync('git', gitArgs, { cwd: ROOT }).toString().trim();
  const code = `commit ${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs/benchmarks.md') ? ' with uncommitted changes' : ''}`;
  const results: Result[] = [];
  for (const name of SCENARIOS) {
    try {
      results.push(await runScenario(name));
    } catch (error) {
      console.error(`scenario ${name} failed:`, error);
      process.exitCode = 1;
    }
  }
  const blocks = results.map((result) => ({ key: blockKey(result), text: block(result, machine, command, code) }));
  for (const { text } of blocks) console.log(`\n${text}`);
  for (const result of results) {
    if (result.serviceErrors.length) console.log(`\n${result.scenario}: ${result.serviceErrors.length} error/warning lines from the services, first ones:\n${result.serviceErrors.slice(0, 10).join('\n')}`);
  }
  // With `--scenarios ''` this only puts the blocks already in the document in order.
  if (WRITE_DOC && (blocks.length || !SCENARIOS.length)) {
    writeDoc(blocks);
    console.log('\nWritten to docs/benchmarks.md');
  }
  agent.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
