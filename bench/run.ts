/**
 * `npm run bench`: seeds a medium brand (50 locations, 5,000 products, 200,000 orders) into
 * PostgreSQL, starts each service as its own process, and drives the router with autocannon:
 * three reads at 20 concurrent clients and recordSale with three lines. Prints throughput and
 * p50/p99, the router's memory, checks that no sale was lost or doubled, and writes the figures
 * to docs/benchmarks.md. Options: --reseed (drop and seed again), --seconds N (per scenario).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { openDatabase, type SubgraphName } from '@joinery/core';
import { generateBrand, isEmpty, MEDIUM_BRAND, seedInventory, seedMarketing, seedSales } from '@joinery/demo-data';
import { freePort, startProcess, type RunningProcess } from '../e2e/processes';
import { benchHeaders } from './auth';
import { processStats } from './process-stats';

const ROOT = resolve(import.meta.dirname, '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SCHEMAS: Record<SubgraphName, string> = { inventory: 'bench_inventory', sales: 'bench_sales', marketing: 'bench_marketing' };
const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf('--seconds') + 1]) || 15;
const CONNECTIONS = 20;

async function seed(): Promise<void> {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  if (args.includes('--reseed')) for (const schema of Object.values(SCHEMAS)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  const brand = generateBrand({ ...MEDIUM_BRAND, until: new Date(Date.UTC(2026, 10, 1)) });
  const loaders = { inventory: seedInventory, sales: seedSales, marketing: seedMarketing };
  const tables = { inventory: 'locations', sales: 'sales_orders', marketing: 'campaigns' };
  for (const name of ['inventory', 'sales', 'marketing'] as SubgraphName[]) {
    const database = await openDatabase({ kind: 'postgres', url: DATABASE_URL, schema: SCHEMAS[name] }, resolve(ROOT, 'prisma', name, 'migrations'));
    await database.withConnection(async (sql) => {
      if (!(await isEmpty(sql, tables[name]))) return console.log(`${name}: already seeded (--reseed to start again)`);
      const started = Date.now();
      await loaders[name](sql, brand);
      await sql.query('ANALYZE');
      console.log(`${name}: seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
    await database.close();
  }
}

interface Scenario {
  name: string;
  body: () => string;
}

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Share of one core each service used during the run (1.0 = one full core). */
  cores: Record<string, number>;
}

function pick<T>(list: T[], i: number): T {
  return list[i % list.length];
}

async function load(url: string, scenario: Scenario, services: Record<string, number>, memory: number[], connections = CONNECTIONS): Promise<Figures> {
  const routerPid = services.router;
  const sampler = setInterval(() => memory.push(processStats(routerPid).rssMiB), 500);
  const before = Object.fromEntries(Object.entries(services).map(([name, pid]) => [name, processStats(pid).cpuSeconds]));
  const started = Date.now();
  const result = await autocannon({
    url,
    connections,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await benchHeaders()) },
    requests: [{ setupRequest: (request) => ({ ...request, body: scenario.body() }) }],
  });
  clearInterval(sampler);
  const elapsed = (Date.now() - started) / 1000;
  const cores = Object.fromEntries(Object.entries(services).map(([name, pid]) => [name, (processStats(pid).cpuSeconds - before[name]) / elapsed]));
  return { name: scenario.name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx, cores };
}

async function main(): Promise<void> {
  const seedStarted = Date.now();
  await seed();
  const seedSeconds = (Date.now() - seedStarted) / 1000;

  const sql = new pg.Client({ connectionString: DATABASE_URL });
  await sql.connect();
  const locations = (await sql.query(`SELECT id FROM bench_inventory.locations ORDER BY code`)).rows.map((r) => r.id as string);
  const skus = (await sql.query(`SELECT sku FROM bench_inventory.products ORDER BY sku`)).rows.map((r) => r.sku as string);
  const orders = (await sql.query(`SELECT id FROM bench_sales.sales_orders WHERE status = 'CONFIRMED' ORDER BY ordered_at DESC LIMIT 5000`)).rows.map((r) => r.id as string);
  // recordSale sells three lines from levels topped up far beyond the run, so every sale should succeed.
  const saleLevels = (await sql.query(`
    SELECT location_id, array_agg(sku ORDER BY sku) AS skus FROM (
      SELECT location_id, sku, row_number() OVER (PARTITION BY location_id ORDER BY sku) AS n FROM bench_inventory.inventory_levels
    ) levels WHERE n <= 3 GROUP BY location_id HAVING count(*) = 3`)).rows as { location_id: string; skus: string[] }[];

  const env = {
    ROUTER_PORT: String(await freePort()), INVENTORY_PORT: String(await freePort()), SALES_PORT: String(await freePort()), MARKETING_PORT: String(await freePort()),
    // As deployed: graphql-js skips its development-only checks and Apollo its dev features.
    NODE_ENV: 'production',
    DATABASE_URL, SEED_DEMO_DATA: 'false', INVENTORY_DATABASE_SCHEMA: SCHEMAS.inventory, SALES_DATABASE_SCHEMA: SCHEMAS.sales, MARKETING_DATABASE_SCHEMA: SCHEMAS.marketing, AUDIT_DATABASE_SCHEMA: 'bench_audit',
  };
  const running: RunningProcess[] = [];
  try {
    for (const service of ['inventory', 'marketing', 'sales']) running.push(await startProcess(`subgraphs/${service}/src/main.ts`, env, /"msg":"listening"/));
    const router = await startProcess('router/src/main.ts', env, /"msg":"listening"/);
    running.push(router);
    const services = Object.fromEntries(['inventory', 'marketing', 'sales', 'router'].map((name, index) => [name, running[index].child.pid!]));
    const url = `http://127.0.0.1:${env.ROUTER_PORT}/graphql`;

    for (const level of saleLevels) {
      for (const sku of level.skus) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await benchHeaders()) }, body: JSON.stringify({
          query: 'mutation($i: AdjustInventoryInput!) { adjustInventory(input: $i) { userErrors { message } } }',
          variables: { i: { locationId: level.location_id, sku, delta: 100_000, reason: 'RECEIVED', reference: 'bench top-up' } },
        }) });
        if (!response.ok) throw new Error(`top-up failed: ${await response.text()}`);
      }
    }
    const ordersBefore = Number((await sql.query(`SELECT count(*) FROM bench_sales.sales_orders WHERE status = 'CONFIRMED'`)).rows[0].count);
    const soldLevels = new Set(saleLevels.flatMap((level) => level.skus.map((sku) => `${level.location_id}:${sku}`)));
    const stockOfSoldLevels = async () =>
      (await sql.query(`SELECT location_id, sku, on_hand FROM bench_inventory.inventory_levels WHERE location_id = ANY($1::uuid[])`, [saleLevels.map((l) => l.location_id)])).rows
        .filter((row) => soldLevels.has(`${row.location_id}:${row.sku}`))
        .reduce((sum, row) => sum + Number(row.on_hand), 0);
    const stockBefore = await stockOfSoldLevels();

    let i = 0;
    const scenarios: Scenario[] = [
      { name: "a page of a location's stock (50 levels) with product names", body: () => JSON.stringify({ query: 'query($l: ID!) { location(id: $l) { name inventory(first: 50) { nodes { onHand available product { sku name } } } } }', variables: { l: pick(locations, i++) } }) },
      { name: "a product's stock across all locations", body: () => JSON.stringify({ query: 'query($s: ID!) { product(sku: $s) { name price availableTotal inventory { onHand location { name } } } }', variables: { s: pick(skus, (i++ * 7919) % skus.length) } }) },
      { name: 'an order by id with its lines', body: () => JSON.stringify({ query: 'query($id: ID!) { order(id: $id) { orderedAt totalAmount location { name } lines { quantity unitPrice lineTotal product { name } } } }', variables: { id: pick(orders, i++) } }) },
    ];
    const memory: number[] = [];
    const figures: Figures[] = [];
    for (const scenario of scenarios) {
      await load(url, scenario, services, []); // warm-up, not recorded
      figures.push(await load(url, scenario, services, memory));
      console.log(figures.at(-1));
      // The same with one client: the latency of one request when nothing queues.
      const alone = await load(url, scenario, services, [], 1);
      figures.push({ ...alone, name: `${scenario.name}, 1 client` });
      console.log(figures.at(-1));
    }
    let sale = 0;
    const runId = Date.now().toString(36);
    const saleScenario: Scenario = {
      name: 'recordSale with three lines',
      body: () => {
        const level = pick(saleLevels, sale);
        return JSON.stringify({
          query: 'mutation($i: RecordSaleInput!) { recordSale(input: $i) { order { id } userErrors { code message } } }',
          variables: { i: { locationId: level.location_id, paymentMethod: 'CARD', idempotencyKey: `bench-${runId}-${sale++}`, lines: level.skus.map((sku) => ({ sku, quantity: 1 })) } },
        });
      },
    };
    figures.push(await load(url, saleScenario, services, memory));
    console.log(figures.at(-1));

    // Requests still in flight when the load stops finish on the server: wait until nothing moves.
    const snapshot = async () => ({
      orders: Number((await sql.query(`SELECT count(*) FROM bench_sales.sales_orders WHERE status = 'CONFIRMED'`)).rows[0].count),
      pending: Number((await sql.query(`SELECT count(*) FROM bench_sales.sales_orders WHERE status <> 'CONFIRMED' AND idempotency_key LIKE $1`, [`bench-${runId}-%`])).rows[0].count),
      stock: await stockOfSoldLevels(),
    });
    let settled = await snapshot();
    for (let attempt = 0; attempt < 30; attempt += 1) {
      await new Promise((r) => setTimeout(r, 1_000));
      const next = await snapshot();
      const stable = next.orders === settled.orders && next.stock === settled.stock && next.pending === settled.pending;
      settled = next;
      if (stable && next.pending === 0) break;
    }
    const { orders: ordersAfter, pending, stock: stockAfter } = settled;
    const newOrders = ordersAfter - ordersBefore;
    const unitsTaken = stockBefore - stockAfter;
    const consistent = unitsTaken === newOrders * 3 && pending === 0;
    const peakMemory = Math.max(...memory);
    console.log({ newOrders, unitsTaken, pending, consistent, peakRouterRssMiB: peakMemory.toFixed(0) });

    const machine = `${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, PostgreSQL on localhost`;
    const table = [
      '| scenario | req/s | p50 ms | p99 ms | errors | CPU cores used: router / inventory / sales / marketing |',
      '|---|---:|---:|---:|---:|---|',
      ...figures.map((f) => `| ${f.name} | ${f.rps.toFixed(0)} | ${f.p50} | ${f.p99} | ${f.errors + f.non2xx} | ${['router', 'inventory', 'sales', 'marketing'].map((n) => f.cores[n].toFixed(2)).join(' / ')} |`),
    ].join('\n');
    const section = `<!-- bench:supergraph:start -->
Command: \`npm run bench\` (${CONNECTIONS} concurrent clients, ${SECONDS} s per scenario after a ${SECONDS} s warm-up; each service its own process with NODE_ENV=production).
Machine: ${machine}. Run: ${new Date().toISOString()}. Seeding (or finding) the data set took ${seedSeconds.toFixed(0)} s.

${table}

recordSale: ${newOrders} orders confirmed, ${unitsTaken} units taken (${newOrders} × 3 = ${newOrders * 3}), ${pending} left pending or rejected: ${consistent ? 'none lost or doubled' : 'MISMATCH'}.
Router memory (RSS) under load: peak ${peakMemory.toFixed(0)} MiB.
<!-- bench:supergraph:end -->`;
    const docPath = resolve(ROOT, 'docs/benchmarks.md');
    const doc = readFileSync(docPath, 'utf8');
    writeFileSync(docPath, doc.replace(/<!-- bench:supergraph:start -->[\s\S]*<!-- bench:supergraph:end -->/, section));
    console.log(`\n${section}\n\nWritten to docs/benchmarks.md`);
    if (!consistent) process.exitCode = 1;
  } finally {
    await Promise.all(running.map((p) => p.stop()));
    await sql.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
