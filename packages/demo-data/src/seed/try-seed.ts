/**
 * Loads a brand into throw-away schemas of a local PostgreSQL and into PGlite, checks the
 * invariants and prints timings and row counts.
 *
 *   npx tsx packages/demo-data/src/seed/try-seed.ts [demo|medium|large] [--parallel] [--no-check] [--defer]
 *
 * DATABASE_URL defaults to postgresql://postgres@127.0.0.1:5432/test. The demo brand always
 * goes into PGlite as well. Exits non-zero when an invariant fails. `--no-check` skips the
 * invariants for the PostgreSQL load (on the large brand they take minutes of their own);
 * `--defer` loads PostgreSQL with the big tables' secondary indexes and foreign keys dropped and
 * puts them back after (withIndexesAndKeysDeferred), to compare.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { checkInvariants, type SeededDatabases } from './check-invariants';
import { LARGE_BRAND } from './brand-size';
import { withIndexesAndKeysDeferred } from './sql';
import { seedTouchpoints } from './touchpoints';
import { DEMO_BRAND, generateBrand, MEDIUM_BRAND, seedInventory, seedMarketing, seedSales, type Brand, type BrandSize, type SqlExecutor } from './index';

const SUBGRAPHS = ['inventory', 'sales', 'marketing'] as const;
type Subgraph = (typeof SUBGRAPHS)[number];
const TABLES: Record<Subgraph, string[]> = {
  inventory: ['locations', 'products', 'inventory_levels', 'stock_movements'],
  sales: ['sales_orders', 'sales_order_lines'],
  marketing: ['campaigns', 'touchpoints'],
};
/** The tables each loader fills in bulk: what `--defer` drops the indexes and keys of. */
const BULK_TABLES: Record<Subgraph, string[]> = {
  inventory: ['stock_movements', 'inventory_levels'],
  sales: ['sales_orders', 'sales_order_lines'],
  marketing: ['marketing_orders', 'marketing_order_lines', 'touchpoints'],
};
const LOADERS: Record<Subgraph, (sql: SqlExecutor, brand: Brand) => Promise<void>> = {
  inventory: seedInventory,
  sales: seedSales,
  marketing: async (sql, brand) => {
    await seedMarketing(sql, brand);
    await seedTouchpoints(sql, brand);
  },
};
const SIZES: Record<string, BrandSize> = { demo: DEMO_BRAND, medium: MEDIUM_BRAND, large: LARGE_BRAND };

/** Every migration of the subgraph, in order: later ones add indexes and triggers that cost at load time. */
function migration(subgraph: Subgraph): string {
  const dir = join(import.meta.dirname, '../../../../prisma', subgraph, 'migrations');
  return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()
    .map((name) => readFileSync(join(dir, name, 'migration.sql'), 'utf8')).join('\n;\n');
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(label: string, timings: Record<string, string>, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const result = await work();
  timings[label] = seconds(performance.now() - started);
  return result;
}

async function load(target: string, dbs: SeededDatabases, size: BrandSize, parallel: boolean, check: boolean, defer = false): Promise<boolean> {
  const timings: Record<string, string> = {};
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  const started = performance.now();
  const brand = await timed('generate', timings, () => generateBrand(size));
  const seedOne = (subgraph: Subgraph) => LOADERS[subgraph](dbs[subgraph], brand);
  const run = (subgraph: Subgraph) => timed(`seed ${subgraph}`, timings, () => (defer ? withIndexesAndKeysDeferred(dbs[subgraph], BULK_TABLES[subgraph], () => seedOne(subgraph)) : seedOne(subgraph)));
  try {
    if (parallel) await Promise.all(SUBGRAPHS.map(run));
    else for (const subgraph of SUBGRAPHS) await run(subgraph);
  } finally {
    clearInterval(sampler);
  }
  timings.total = seconds(performance.now() - started);
  timings['peak RSS'] = `${(peakRss / 2 ** 20).toFixed(0)} MiB`;
  console.log(`\n== ${target}${parallel ? ' (loaders in parallel)' : ''}`);
  console.table(timings);

  const counts: Record<string, number> = {};
  for (const subgraph of SUBGRAPHS) {
    for (const table of TABLES[subgraph]) counts[table] = Number((await dbs[subgraph].query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  }
  const report = check ? await timed('check', timings, () => checkInvariants(dbs, brand.size.until)) : { failures: [], stats: {} };
  if (check) console.table({ check: timings.check });
  console.table(counts);
  if (!check) return true;
  console.table(report.stats);
  if (report.failures.length) console.error(`Invariants broken:\n  ${report.failures.join('\n  ')}`);
  else console.log('All invariants hold.');
  return !report.failures.length;
}

async function intoPostgres(url: string, size: BrandSize, parallel: boolean, check: boolean, defer: boolean): Promise<boolean> {
  // One set of schemas per run: two people trying seeds at once must not drop each other's.
  const schema = (subgraph: Subgraph) => `seedtry_${process.pid}_${subgraph}`;
  const admin = new pg.Client(url);
  await admin.connect();
  const clients: pg.Client[] = [];
  try {
    for (const subgraph of SUBGRAPHS) await admin.query(`DROP SCHEMA IF EXISTS ${schema(subgraph)} CASCADE; CREATE SCHEMA ${schema(subgraph)}`);
    const dbs = {} as SeededDatabases;
    for (const subgraph of SUBGRAPHS) {
      const client = new pg.Client(url);
      await client.connect();
      clients.push(client);
      await client.query(`SET search_path TO ${schema(subgraph)}`);
      await client.query(migration(subgraph));
      dbs[subgraph] = client;
    }
    return await load(`PostgreSQL ${url}${defer ? ' (indexes and keys deferred)' : ''}`, dbs, size, parallel, check, defer);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
    for (const subgraph of SUBGRAPHS) await admin.query(`DROP SCHEMA IF EXISTS ${schema(subgraph)} CASCADE`);
    await admin.end();
  }
}

async function intoPglite(size: BrandSize): Promise<boolean> {
  const instances: PGlite[] = [];
  try {
    const dbs = {} as SeededDatabases;
    for (const subgraph of SUBGRAPHS) {
      const db = await PGlite.create();
      instances.push(db);
      await db.exec(migration(subgraph));
      dbs[subgraph] = db;
    }
    return await load('PGlite (in memory)', dbs, size, false, true);
  } finally {
    await Promise.all(instances.map((db) => db.close()));
  }
}

async function main(): Promise<void> {
  const name = process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 'demo';
  const size = SIZES[name];
  if (!size) throw new Error(`Unknown size ${JSON.stringify(name)}; expected one of ${Object.keys(SIZES).join(', ')}`);
  const parallel = process.argv.includes('--parallel');
  const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const okPostgres = await intoPostgres(url, size, parallel, !process.argv.includes('--no-check'), process.argv.includes('--defer'));
  const okPglite = await intoPglite(DEMO_BRAND);
  if (!okPostgres || !okPglite) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
