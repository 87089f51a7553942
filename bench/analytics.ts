/**
 * `npm run bench:analytics`: the analytics benchmark of issue 5 ("Speed"). Seeds the large brand
 * (200 locations, 20,000 products, 2,000,000 orders over a year, touchpoints) into PostgreSQL
 * schemas bench_analytics_{inventory,sales,marketing}, or reuses them, computes what the bulk load
 * bypassed (sales rollups in the sales loader, attribution credits and rollups, the RFM snapshot;
 * stock value rollups are kept by triggers as levels are inserted), and times every step. Then it
 * starts each service as its own process (NODE_ENV=production) behind the router and, one client
 * at a time, sends ~30 requests of each benchmarked query: salesReport by location × week over a
 * year, campaignComparison over a quarter, inventoryStockValue by location × category. It prints
 * p50/p90/p99, checks each answer against a direct SQL count of the same rows, re-runs the slowest
 * SQL statement each query caused under EXPLAIN (ANALYZE, BUFFERS), and writes the figures and
 * plans to docs/benchmarks.md.
 *
 * Options: --reseed (drop the schemas and seed again), --size large|medium|demo (default large;
 * reseed when changing it), --requests N (default 30), --keep-indexes (load with every index and
 * foreign key in place instead of putting the big tables' back after the load).
 *
 * How the SQL is captured: the services connect as a role of their own, `bench_analytics`, with
 * log_min_duration_statement = 0, so PostgreSQL logs each statement with its parameters; the
 * script reads the server log (BENCH_PG_LOG, else pg_current_logfile(), else Debian's
 * /var/log/postgresql/postgresql-<major>-main.log) and re-issues the slowest statement of one
 * request verbatim. Without a readable log the plans are skipped, and the doc says so.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';
import { openDatabase, type SubgraphName } from '@joinery/core';
import { DEMO_BRAND, generateBrand, MEDIUM_BRAND, seedInventory, seedMarketing, seedSales, type Brand, type BrandSize } from '@joinery/demo-data';
import { LARGE_BRAND } from '../packages/demo-data/src/seed/brand-size';
import { withIndexesAndKeysDeferred } from '../packages/demo-data/src/seed/sql';
import { seedTouchpoints } from '../packages/demo-data/src/seed/touchpoints';
import { connectionRunner, rebuildAttribution } from '../subgraphs/marketing/src/attribution/attribution-store';
import { freePort, startProcess, type RunningProcess } from '../e2e/processes';
import { benchHeaders } from './auth';
import { processStats } from './process-stats';

const ROOT = resolve(import.meta.dirname, '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SCHEMAS: Record<SubgraphName, string> = { inventory: 'bench_analytics_inventory', sales: 'bench_analytics_sales', marketing: 'bench_analytics_marketing' };
const SUBGRAPHS: SubgraphName[] = ['inventory', 'sales', 'marketing'];
/** The services' login role: statement logging is switched on for it alone. */
const SERVICE_ROLE = 'bench_analytics';
const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const RESEED = args.includes('--reseed');
const KEEP_INDEXES = args.includes('--keep-indexes');
const SIZES: Record<string, BrandSize> = { large: LARGE_BRAND, medium: MEDIUM_BRAND, demo: DEMO_BRAND };
const SIZE_NAME = option('--size') ?? 'large';
const REQUESTS = Number(option('--requests')) || 30;
const WARM_UP = 5;
/** A fixed end of history, so every seed of a size is the same data set. */
const UNTIL = new Date(Date.UTC(2026, 10, 1));
const YEAR = { from: '2025-11-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' };
const QUARTER = { from: '2026-07-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' };

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function withUser(url: string, user: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = '';
  return parsed.toString();
}

// ---- Seeding ----

interface SeedReport {
  reused: boolean;
  /** Step → wall time; steps in parallel overlap, `total` is the wall time of the whole seed. */
  steps: [string, string][];
  peakRssMiB: number;
  /** CPU seconds of the seeding (this process; the loading PostgreSQL backends); null when reused. */
  cpu: { node: number; postgres: number } | null;
  rows: Record<string, number>;
}

async function timed<T>(steps: [string, string][], label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  steps.push([label, seconds(performance.now() - started)]);
  console.log(`  ${label}: ${seconds(performance.now() - started)}`);
  return result;
}

/** A connection to one subgraph's schema that can stream COPY (the loaders use it when they can). */
async function schemaClient(name: SubgraphName): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${SCHEMAS[name]}` });
  await client.connect();
  // Index builds (ANALYZE, rollup rebuilds) and big sorts benefit; the server default is 64 MB.
  await client.query("SET maintenance_work_mem = '512MB'; SET work_mem = '128MB'");
  return client;
}

async function rowCount(client: pg.Client, table: string): Promise<number> {
  return Number((await client.query(`SELECT count(*)::bigint AS n FROM ${table}`)).rows[0].n);
}

async function seed(): Promise<SeedReport> {
  const size = SIZES[SIZE_NAME];
  if (!size) throw new Error(`Unknown --size ${JSON.stringify(SIZE_NAME)}; expected one of ${Object.keys(SIZES).join(', ')}`);
  const steps: [string, string][] = [];
  const started = performance.now();
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  if (RESEED) for (const schema of Object.values(SCHEMAS)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();

  await timed(steps, 'migrations', async () => {
    for (const name of SUBGRAPHS) await (await openDatabase({ kind: 'postgres', url: DATABASE_URL, schema: SCHEMAS[name] }, resolve(ROOT, 'prisma', name, 'migrations'))).close();
  });
  const clients = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (name) => [name, await schemaClient(name)] as const))) as Record<SubgraphName, pg.Client>;
  try {
    const seeded = { inventory: await rowCount(clients.inventory, 'locations'), sales: await rowCount(clients.sales, 'sales_orders'), marketing: await rowCount(clients.marketing, 'campaigns') };
    const reused = Object.values(seeded).every((n) => n > 0);
    if (!reused && Object.values(seeded).some((n) => n > 0)) throw new Error(`The bench schemas are half seeded (${JSON.stringify(seeded)}): run with --reseed`);
    let peakRss = process.memoryUsage().rss;
    // CPU seconds, which a busy machine inflates less than wall time: this process and the three
    // PostgreSQL backends that load.
    const backends = await Promise.all(SUBGRAPHS.map(async (name) => Number((await clients[name].query('SELECT pg_backend_pid() AS pid')).rows[0].pid)));
    const backendCpu = () => backends.reduce((sum, pid) => sum + processStats(pid).cpuSeconds, 0);
    const cpuBefore = { node: process.cpuUsage(), postgres: backendCpu() };
    let cpu: SeedReport['cpu'] = null;
    if (!reused) {
      console.log(`Seeding the ${SIZE_NAME} brand (${size.locations} locations, ${size.products} products, ${size.orders} orders) into ${Object.values(SCHEMAS).join(', ')}`);
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
      try {
        const brand = await timed(steps, 'generate the brand', async () => generateBrand({ ...size, until: UNTIL }));
        // One connection (and transaction) per subgraph, all three at once: PostgreSQL writes one
        // while Node generates the next batch of another.
        // Secondary indexes and foreign keys of the big tables are dropped for the load and put
        // back after it, unless --keep-indexes (to compare).
        const deferred = (client: pg.Client, label: string, tables: string[], load: () => Promise<void>) => (KEEP_INDEXES
          ? timed(steps, `  ${label}`, load)
          : timed(steps, `  ${label}, then its indexes and foreign keys`, () => withIndexesAndKeysDeferred(client, tables, () => timed(steps, `    ${label.split(':')[0]}: loading, of that`, load))));
        await timed(steps, 'bulk load (3 subgraphs in parallel) and attribution', () => Promise.all([
          deferred(clients.inventory, 'inventory: locations, products, stock ledger, levels (+ stock value rollups by trigger)', ['stock_movements', 'inventory_levels'],
            () => seedInventory(clients.inventory, brand)),
          deferred(clients.sales, 'sales: orders and lines (+ daily rollups)', ['sales_orders', 'sales_order_lines'], () => seedSales(clients.sales, brand)),
          // Attribution needs only marketing's own rows: it starts as soon as they are in, while
          // the other subgraphs may still be loading.
          deferred(clients.marketing, 'marketing: campaigns, order facts, touchpoints', ['marketing_orders', 'marketing_order_lines', 'touchpoints'],
            () => seedMarketingSide(steps, clients.marketing, brand))
            .then(() => timed(steps, '  attribution: credits, category split and daily rollups (6 models)', async () => {
              await clients.marketing.query('BEGIN');
              await rebuildAttribution(connectionRunner(clients.marketing));
              await clients.marketing.query('COMMIT');
            })),
        ]));
        // A bare ANALYZE would visit every schema of the database, other people's included.
        await timed(steps, 'ANALYZE', () => Promise.all(SUBGRAPHS.map(async (name) => {
          const { rows } = await clients[name].query('SELECT tablename FROM pg_tables WHERE schemaname = $1', [SCHEMAS[name]]);
          if (rows.length) await clients[name].query(`ANALYZE ${rows.map((row) => `"${SCHEMAS[name]}"."${row.tablename}"`).join(', ')}`);
        })));
      } finally {
        clearInterval(sampler);
      }
      steps.push(['seeding total (before the RFM snapshot)', seconds(performance.now() - started)]);
      const nodeCpu = process.cpuUsage(cpuBefore.node);
      cpu = { node: (nodeCpu.user + nodeCpu.system) / 1e6, postgres: backendCpu() - cpuBefore.postgres };
      console.log(`Seeded in ${steps.at(-1)![1]}; CPU ${cpu.node.toFixed(0)} s in Node, ${cpu.postgres.toFixed(0)} s in the loading backends; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    }
    const rows: Record<string, number> = {};
    for (const [name, tables] of Object.entries({
      inventory: ['inventory_levels', 'stock_movements', 'stock_value_rollups'],
      sales: ['sales_orders', 'sales_order_lines', 'sales_daily_rollups'],
      marketing: ['marketing_orders', 'touchpoints', 'attribution_credits', 'attribution_daily'],
    }) as [SubgraphName, string[]][]) {
      for (const table of tables) rows[table] = await rowCount(clients[name], table).catch(() => Number.NaN);
    }
    return { reused, steps, peakRssMiB: peakRss / 2 ** 20, cpu, rows };
  } finally {
    await Promise.all(Object.values(clients).map((client) => client.end()));
  }
}

async function seedMarketingSide(steps: [string, string][], client: pg.Client, brand: Brand): Promise<void> {
  await timed(steps, '    marketing: campaigns and order facts', () => seedMarketing(client, brand));
  const count = await timed(steps, '    marketing: touchpoints', () => seedTouchpoints(client, brand));
  console.log(`  ${count} touchpoints`);
}

// ---- Statement capture (server log) ----

interface LoggedStatement {
  durationMs: number;
  text: string;
  params: (string | null)[];
}

function logPath(sql: pg.Client): Promise<string | null> {
  return (async () => {
    if (process.env.BENCH_PG_LOG) return process.env.BENCH_PG_LOG;
    const current = (await sql.query('SELECT pg_current_logfile() AS file, current_setting(\'data_directory\') AS dir, current_setting(\'server_version_num\')::int / 10000 AS major')).rows[0];
    const candidates = [current.file ? resolve(current.dir, current.file) : null, `/var/log/postgresql/postgresql-${current.major}-main.log`];
    for (const candidate of candidates) {
      if (!candidate || !existsSync(candidate)) continue;
      try {
        closeSync(openSync(candidate, 'r'));
        return candidate;
      } catch {
        // Not readable by this user.
      }
    }
    return null;
  })();
}

function readFrom(path: string, offset: number): string {
  const size = statSync(path).size;
  if (size <= offset) return '';
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

const ENTRY_START = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] /;

/** Statements the service role logged in `text` (log_min_duration_statement), with their parameters. */
function parseStatements(text: string): LoggedStatement[] {
  const entries: { pid: string; body: string }[] = [];
  for (const line of text.split('\n')) {
    const start = ENTRY_START.exec(line);
    if (start) entries.push({ pid: start[1], body: line.slice(start[0].length) });
    else if (entries.length) entries[entries.length - 1].body += `\n${line}`;
  }
  const statements: LoggedStatement[] = [];
  entries.forEach((entry, i) => {
    if (!entry.body.startsWith(`${SERVICE_ROLE}@`)) return;
    const logged = /LOG: {2}duration: ([\d.]+) ms {2}(?:execute [^:]*|statement): ([\s\S]*)$/.exec(entry.body);
    if (!logged) return;
    const detail = entries.slice(i + 1, i + 4).find((next) => next.pid === entry.pid && /DETAIL: {2}parameters: /.test(next.body));
    const params: (string | null)[] = [];
    if (detail) {
      const list = detail.body.slice(detail.body.indexOf('parameters: ') + 'parameters: '.length);
      for (const match of list.matchAll(/\$(\d+) = (NULL|'((?:[^']|'')*)')/g)) params[Number(match[1]) - 1] = match[2] === 'NULL' ? null : match[3].replace(/''/g, "'");
    }
    statements.push({ durationMs: Number(logged[1]), text: logged[2].trim(), params });
  });
  return statements;
}

// ---- Queries through the router ----

interface GraphQLAnswer {
  data?: Record<string, Record<string, unknown>>;
  errors?: { message: string }[];
}

interface Benchmark {
  name: string;
  /** The schema whose tables the query reads: its slowest statement is explained there. */
  schema: SubgraphName;
  query: string;
  variables: Record<string, unknown>;
  /** Compares the answer with SQL over the bench schemas; resolves with a line for the doc. */
  check(answer: Record<string, unknown>, sql: pg.Client): Promise<{ ok: boolean; note: string }>;
  describe(answer: Record<string, unknown>): string;
}

const cents = (decimal: unknown): bigint => {
  const match = /^(-?)(\d+)\.(\d{2})$/.exec(String(decimal));
  if (!match) throw new Error(`Not a money amount with two decimals: ${JSON.stringify(decimal)}`);
  const value = BigInt(match[2]) * 100n + BigInt(match[3]);
  return match[1] ? -value : value;
};
const sumCents = (rows: Record<string, unknown>[], field: string) => rows.reduce((sum, row) => sum + cents(row[field]), 0n);

const BENCHMARKS: Benchmark[] = [
  {
    name: 'salesReport by LOCATION × WEEK over a year',
    schema: 'sales',
    query: `query SalesByLocationAndWeek($from: DateTime!, $to: DateTime!) {
      salesReport(filter: { from: $from, to: $to }, groupBy: [LOCATION, WEEK]) {
        source asOf
        totals { orderCount unitsSold revenue discount averageOrderValue }
        rows { location { id name } week orderCount unitsSold revenue discount averageOrderValue }
      }
    }`,
    variables: YEAR,
    async check(answer, sql) {
      const report = answer.salesReport as { totals: Record<string, unknown>; rows: Record<string, unknown>[] };
      const [direct] = (await sql.query(`
        SELECT count(*)::int AS orders, sum(unit_count)::bigint AS units, sum(total_amount)::text AS revenue
        FROM ${SCHEMAS.sales}.sales_orders WHERE status = 'CONFIRMED' AND ordered_at >= $1 AND ordered_at < $2`, [YEAR.from, YEAR.to])).rows;
      const problems: string[] = [];
      if (report.totals.orderCount !== direct.orders) problems.push(`totals.orderCount ${report.totals.orderCount} ≠ ${direct.orders} orders in SQL`);
      if (report.totals.unitsSold !== Number(direct.units)) problems.push(`totals.unitsSold ${report.totals.unitsSold} ≠ ${direct.units}`);
      if (cents(report.totals.revenue) !== cents(direct.revenue ?? '0.00')) problems.push(`totals.revenue ${report.totals.revenue} ≠ ${direct.revenue}`);
      if (sumCents(report.rows, 'revenue') !== cents(report.totals.revenue)) problems.push('the rows\' revenue does not add up to totals.revenue');
      if (report.rows.reduce((sum, row) => sum + Number(row.orderCount), 0) !== report.totals.orderCount) problems.push('the rows\' orderCount does not add up to totals.orderCount');
      return { ok: !problems.length, note: problems.join('; ') || `totals equal SQL over sales_orders (${direct.orders} orders, ${direct.revenue}); rows add up to them` };
    },
    describe: (answer) => {
      const report = answer.salesReport as { rows: unknown[]; source: string; asOf: string };
      return `${report.rows.length} rows, source ${report.source}, asOf ${report.asOf}`;
    },
  },
  {
    // The same report without the locations' names: the router then needs nothing from inventory,
    // which separates the cost of resolving 10,000 Location entities from the report itself.
    name: 'the same salesReport, location ids only (no entity fetch from inventory)',
    schema: 'sales',
    query: `query SalesByLocationIdAndWeek($from: DateTime!, $to: DateTime!) {
      salesReport(filter: { from: $from, to: $to }, groupBy: [LOCATION, WEEK]) {
        source asOf
        totals { orderCount unitsSold revenue discount averageOrderValue }
        rows { location { id } week orderCount unitsSold revenue discount averageOrderValue }
      }
    }`,
    variables: YEAR,
    check: (answer, sql) => BENCHMARKS[0].check(answer, sql),
    describe: (answer) => BENCHMARKS[0].describe(answer),
  },
  {
    name: 'campaignComparison over a quarter (LAST_TOUCH, default lookback)',
    schema: 'marketing',
    query: `query CampaignsInQuarter($from: DateTime!, $to: DateTime!) {
      campaignComparison(from: $from, to: $to, model: LAST_TOUCH, sortBy: REVENUE, direction: DESC, first: 500) {
        source asOf totalCount
        totals { revenue attributedRevenue unattributedRevenue conversions spend roas roi }
        rows { campaign { id name } orderCount unitsSold revenue conversions spend roas roi }
      }
    }`,
    variables: QUARTER,
    async check(answer, sql) {
      const report = answer.campaignComparison as { totals: Record<string, unknown>; rows: Record<string, unknown>[]; totalCount: number };
      const [direct] = (await sql.query(`
        SELECT count(*)::int AS orders, sum(total_amount)::text AS revenue
        FROM ${SCHEMAS.marketing}.marketing_orders WHERE ordered_at >= $1 AND ordered_at < $2`, [QUARTER.from, QUARTER.to])).rows;
      const [sales] = (await sql.query(`
        SELECT sum(total_amount)::text AS revenue FROM ${SCHEMAS.sales}.sales_orders
        WHERE status = 'CONFIRMED' AND ordered_at >= $1 AND ordered_at < $2`, [QUARTER.from, QUARTER.to])).rows;
      const problems: string[] = [];
      const revenue = cents(report.totals.revenue);
      if (revenue !== cents(direct.revenue ?? '0.00')) problems.push(`totals.revenue ${report.totals.revenue} ≠ ${direct.revenue} in marketing_orders`);
      if (revenue !== cents(sales.revenue ?? '0.00')) problems.push(`totals.revenue ${report.totals.revenue} ≠ ${sales.revenue} in sales_orders`);
      if (cents(report.totals.attributedRevenue) + cents(report.totals.unattributedRevenue) !== revenue) problems.push('attributed + unattributed ≠ revenue');
      if (report.rows.length === report.totalCount && sumCents(report.rows, 'revenue') !== cents(report.totals.attributedRevenue)) problems.push('the rows\' revenue does not add up to attributedRevenue');
      return { ok: !problems.length, note: problems.join('; ') || `totals.revenue equals SQL over marketing_orders and sales_orders (${direct.orders} orders, ${direct.revenue}); attributed + unattributed = revenue; rows add up to attributedRevenue` };
    },
    describe: (answer) => {
      const report = answer.campaignComparison as { rows: unknown[]; source: string; asOf: string };
      return `${report.rows.length} campaigns, source ${report.source}, asOf ${report.asOf}`;
    },
  },
  {
    name: 'inventoryStockValue by LOCATION × CATEGORY',
    schema: 'inventory',
    query: `query StockValueByLocationAndCategory {
      inventoryStockValue(groupBy: [LOCATION, CATEGORY], first: 5000) {
        asOf rowCount
        totals { onHand available value }
        rows { location { id name } category onHand available value }
      }
    }`,
    variables: {},
    async check(answer, sql) {
      const report = answer.inventoryStockValue as { totals: Record<string, unknown>; rows: Record<string, unknown>[]; rowCount: number };
      const [direct] = (await sql.query(`
        SELECT sum(l.on_hand)::bigint AS on_hand, sum(l.on_hand * p.price)::text AS value,
               (SELECT count(*) FROM (SELECT 1 FROM ${SCHEMAS.inventory}.inventory_levels l2 JOIN ${SCHEMAS.inventory}.products p2 USING (sku)
                                      GROUP BY l2.location_id, p2.category HAVING sum(l2.on_hand) <> 0) g)::int AS groups
        FROM ${SCHEMAS.inventory}.inventory_levels l JOIN ${SCHEMAS.inventory}.products p USING (sku)`)).rows;
      const problems: string[] = [];
      if (Number(report.totals.onHand) !== Number(direct.on_hand)) problems.push(`totals.onHand ${report.totals.onHand} ≠ ${direct.on_hand}`);
      if (cents(report.totals.value) !== cents(direct.value)) problems.push(`totals.value ${report.totals.value} ≠ ${direct.value}`);
      if (report.rowCount !== direct.groups) problems.push(`rowCount ${report.rowCount} ≠ ${direct.groups} groups`);
      if (report.rows.length === report.rowCount && sumCents(report.rows, 'value') !== cents(report.totals.value)) problems.push('the rows\' value does not add up to totals.value');
      return { ok: !problems.length, note: problems.join('; ') || `totals equal SQL over levels ⋈ products (${direct.on_hand} units, ${direct.value}); ${direct.groups} groups` };
    },
    describe: (answer) => {
      const report = answer.inventoryStockValue as { rows: unknown[]; asOf: string };
      return `${report.rows.length} rows, asOf ${report.asOf}`;
    },
  },
];

async function ask(url: string, benchmark: Benchmark): Promise<{ ms: number; answer: Record<string, unknown> }> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await benchHeaders()) }, body: JSON.stringify({ query: benchmark.query, variables: benchmark.variables }) });
  const body = (await response.json()) as GraphQLAnswer;
  const ms = performance.now() - started;
  if (!response.ok || body.errors?.length || !body.data) throw new Error(`${benchmark.name}: HTTP ${response.status} ${JSON.stringify(body.errors ?? body).slice(0, 800)}`);
  return { ms, answer: body.data };
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

interface Result {
  benchmark: Benchmark;
  error?: string;
  p50?: number;
  p90?: number;
  p99?: number;
  described?: string;
  check?: { ok: boolean; note: string };
  routerCores?: number;
  plan?: { durationMs: number; text: string; plan: string } | { skipped: string };
}

async function explain(sql: pg.Client, schema: SubgraphName, statement: LoggedStatement): Promise<string> {
  // The schemas of the other subgraphs follow, in case the statement names a table only they have.
  const path = [schema, ...SUBGRAPHS.filter((name) => name !== schema)].map((name) => SCHEMAS[name]).join(', ');
  await sql.query(`SET search_path TO ${path}`);
  try {
    const { rows } = await sql.query(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.params);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await sql.query('RESET search_path');
  }
}

async function measure(url: string, benchmark: Benchmark, sql: pg.Client, log: string | null, services: Record<string, number>): Promise<Result> {
  const result: Result = { benchmark };
  try {
    let last: Record<string, unknown> = {};
    for (let i = 0; i < WARM_UP; i += 1) last = (await ask(url, benchmark)).answer;
    const times: number[] = [];
    const routerBefore = processStats(services.router).cpuSeconds;
    const started = performance.now();
    for (let i = 0; i < REQUESTS; i += 1) {
      const { ms, answer } = await ask(url, benchmark);
      times.push(ms);
      last = answer;
    }
    result.routerCores = (processStats(services.router).cpuSeconds - routerBefore) / ((performance.now() - started) / 1000);
    times.sort((a, b) => a - b);
    result.p50 = percentile(times, 50);
    result.p90 = percentile(times, 90);
    result.p99 = percentile(times, 99);
    result.described = benchmark.describe(last);
    result.check = await benchmark.check(last, sql);
    if (!log) {
      result.plan = { skipped: 'no readable PostgreSQL server log (set BENCH_PG_LOG)' };
    } else {
      // One more request alone, with the log read before and after it: its slowest statement.
      const offset = statSync(log).size;
      await ask(url, benchmark);
      await new Promise((r) => setTimeout(r, 500));
      const statements = parseStatements(readFrom(log, offset)).sort((a, b) => b.durationMs - a.durationMs);
      const slowest = statements[0];
      result.plan = slowest
        ? { durationMs: slowest.durationMs, text: slowest.text, plan: await explain(sql, benchmark.schema, slowest) }
        : { skipped: 'no statement of the services found in the server log' };
    }
  } catch (error) {
    result.error = (error as Error).message;
  }
  return result;
}

async function prepareServiceRole(sql: pg.Client): Promise<void> {
  // A role of the benchmark's own, so that logging every statement touches no other connection.
  // SUPERUSER: it runs the services' migrations check and reads every bench schema, as postgres would.
  await sql.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN CREATE ROLE ${SERVICE_ROLE} LOGIN SUPERUSER; END IF;
  END $$`);
  await sql.query(`ALTER ROLE ${SERVICE_ROLE} SET log_min_duration_statement = 0`);
  await sql.query(`ALTER ROLE ${SERVICE_ROLE} SET log_parameter_max_length = -1`);
}

/** Waits for the marketing service's first RFM snapshot (it refreshes at start) and says how long it took. */
async function waitForSegmentSnapshot(sql: pg.Client, since: Date): Promise<string> {
  for (let i = 0; i < 1_200; i += 1) {
    const { rows } = await sql.query(`SELECT as_of, finished_at FROM ${SCHEMAS.marketing}.customer_segment_refreshes ORDER BY finished_at DESC LIMIT 1`)
      .catch(() => ({ rows: [{ missing: true }] }));
    if (rows[0]?.missing) return 'no customer_segment_refreshes table: segments not built yet';
    if (rows[0]) {
      const took = seconds(new Date(rows[0].finished_at).getTime() - new Date(rows[0].as_of).getTime());
      return new Date(rows[0].finished_at) >= since ? took : `${took} (an earlier snapshot, reused)`;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return 'not finished after 10 minutes';
}

function section(seedReport: SeedReport, segments: string, results: Result[]): string {
  const machine = `${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, PostgreSQL on localhost`;
  const fmt = (n?: number) => (n === undefined ? '–' : n.toFixed(0));
  const table = [
    '| query | p50 ms | p90 ms | p99 ms | router cores | answer | checked against SQL |',
    '|---|---:|---:|---:|---:|---|---|',
    ...results.map((r) => r.error
      ? `| ${r.benchmark.name} | – | – | – | – | FAILED: ${r.error.replace(/\|/g, '\\|').slice(0, 300)} | – |`
      : `| ${r.benchmark.name} | ${fmt(r.p50)} | ${fmt(r.p90)} | ${fmt(r.p99)} | ${r.routerCores?.toFixed(2)} | ${r.described} | ${r.check?.ok ? 'OK' : 'MISMATCH'}: ${r.check?.note} |`),
  ].join('\n');
  const seeding = seedReport.reused
    ? 'Data set reused from an earlier run (`--reseed` to time the seed).'
    : ['| seeding step | wall time |', '|---|---:|', ...seedReport.steps.map(([step, time]) => `| ${step.replace(/^( {2})+/, (indent) => '↳ '.repeat(indent.length / 2))} | ${time} |`), `| RFM snapshot (marketing's refresh at start) | ${segments} |`].join('\n')
      + `\n\nPeak memory of the seeding process (RSS): ${seedReport.peakRssMiB.toFixed(0)} MiB. CPU time of the seeding (before the RFM snapshot): `
      + `${seedReport.cpu?.node.toFixed(0)} s in Node (generation and COPY text), ${seedReport.cpu?.postgres.toFixed(0)} s in the three loading PostgreSQL backends.`;
  const rows = Object.entries(seedReport.rows).map(([table, n]) => `${table} ${Number.isNaN(n) ? '–' : n.toLocaleString('en')}`).join(', ');
  const plans = results.map((r) => {
    if (!r.plan) return `#### ${r.benchmark.name}\n\nNo plan (the query failed).`;
    if ('skipped' in r.plan) return `#### ${r.benchmark.name}\n\nNo plan: ${r.plan.skipped}.`;
    return `#### ${r.benchmark.name}\n\nSlowest statement of one request (${r.plan.durationMs.toFixed(0)} ms in the service), re-run with EXPLAIN (ANALYZE, BUFFERS):\n\n\`\`\`sql\n${r.plan.text}\n\`\`\`\n\n\`\`\`\n${r.plan.plan}\n\`\`\``;
  }).join('\n\n');
  return `<!-- bench:analytics:start -->
Command: \`npm run bench:analytics${SIZE_NAME === 'large' ? '' : ` -- --size ${SIZE_NAME}`}\` (${SIZE_NAME} brand; one client, ${WARM_UP} warm-up requests then ${REQUESTS} sequential requests per query through the router; each service its own process with NODE_ENV=production).
Machine: ${machine}. Run: ${new Date().toISOString()}.

${seeding}

Rows: ${rows}.

${table}

${plans}
<!-- bench:analytics:end -->`;
}

async function main(): Promise<void> {
  const seedReport = await seed();
  const sql = new pg.Client({ connectionString: DATABASE_URL });
  await sql.connect();
  await prepareServiceRole(sql);
  const log = await logPath(sql);
  const env = {
    ROUTER_PORT: String(await freePort()), INVENTORY_PORT: String(await freePort()), SALES_PORT: String(await freePort()), MARKETING_PORT: String(await freePort()),
    NODE_ENV: 'production',
    DATABASE_URL: withUser(DATABASE_URL, SERVICE_ROLE), SEED_DEMO_DATA: 'false',
    INVENTORY_DATABASE_SCHEMA: SCHEMAS.inventory, SALES_DATABASE_SCHEMA: SCHEMAS.sales, MARKETING_DATABASE_SCHEMA: SCHEMAS.marketing, AUDIT_DATABASE_SCHEMA: 'bench_audit',
    // One refresh at start (timed below), none during the measurement.
    SEGMENT_REFRESH_INTERVAL_MS: String(24 * 3_600_000),
  };
  const running: RunningProcess[] = [];
  try {
    const servicesStarted = new Date();
    for (const service of ['inventory', 'marketing', 'sales']) running.push(await startProcess(`subgraphs/${service}/src/main.ts`, env, /"msg":"listening"/));
    running.push(await startProcess('router/src/main.ts', env, /"msg":"listening"/));
    const services = Object.fromEntries(['inventory', 'marketing', 'sales', 'router'].map((name, index) => [name, running[index].child.pid!]));
    const url = `http://127.0.0.1:${env.ROUTER_PORT}/graphql`;
    const segments = await waitForSegmentSnapshot(sql, servicesStarted);
    console.log(`RFM snapshot: ${segments}`);

    const results: Result[] = [];
    for (const benchmark of BENCHMARKS) {
      const result = await measure(url, benchmark, sql, log, services);
      results.push(result);
      console.log(result.error
        ? `${benchmark.name}: FAILED ${result.error}`
        : `${benchmark.name}: p50 ${result.p50?.toFixed(0)} ms, p90 ${result.p90?.toFixed(0)} ms, p99 ${result.p99?.toFixed(0)} ms; ${result.described}; ${result.check?.ok ? 'OK' : 'MISMATCH'}: ${result.check?.note}`);
    }
    const block = section(seedReport, segments, results);
    const docPath = resolve(ROOT, 'docs/benchmarks.md');
    const doc = readFileSync(docPath, 'utf8');
    const updated = /<!-- bench:analytics:start -->[\s\S]*<!-- bench:analytics:end -->/.test(doc)
      ? doc.replace(/<!-- bench:analytics:start -->[\s\S]*<!-- bench:analytics:end -->/, () => block)
      : `${doc.trimEnd()}\n\n## Analytics (issue: attribution and multi-location analytics)\n\n${block}\n`;
    writeFileSync(docPath, updated);
    console.log(`\n${block}\n\nWritten to docs/benchmarks.md`);
    if (results.some((r) => r.error || !r.check?.ok)) process.exitCode = 1;
  } finally {
    await Promise.all(running.map((p) => p.stop()));
    // The role is a superuser that logs every statement: leave none behind on the server.
    await sql.query(`DROP ROLE IF EXISTS ${SERVICE_ROLE}`).catch((error: Error) => console.error(`Could not drop the role ${SERVICE_ROLE}: ${error.message}`));
    await sql.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
