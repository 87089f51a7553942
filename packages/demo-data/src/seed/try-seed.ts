/**
 * Loads a brand into throw-away schemas of a local PostgreSQL and into PGlite, checks the
 * invariants and prints timings and row counts.
 *
 *   npx tsx packages/demo-data/src/seed/try-seed.ts [demo|medium] [--parallel]
 *
 * DATABASE_URL defaults to postgresql://postgres@127.0.0.1:5432/test. The demo brand always
 * goes into PGlite as well. Exits non-zero when an invariant fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { checkInvariants, type SeededDatabases } from './check-invariants';
import { DEMO_BRAND, generateBrand, MEDIUM_BRAND, seedInventory, seedMarketing, seedSales, type Brand, type BrandSize, type SqlExecutor } from './index';

const SUBGRAPHS = ['inventory', 'sales', 'marketing'] as const;
type Subgraph = (typeof SUBGRAPHS)[number];
const TABLES: Record<Subgraph, string[]> = {
  inventory: ['locations', 'products', 'inventory_levels', 'stock_movements'],
  sales: ['sales_orders', 'sales_order_lines'],
  marketing: ['campaigns'],
};
const LOADERS: Record<Subgraph, (sql: SqlExecutor, brand: Brand) => Promise<void>> = { inventory: seedInventory, sales: seedSales, marketing: seedMarketing };
const SIZES: Record<string, BrandSize> = { demo: DEMO_BRAND, medium: MEDIUM_BRAND };

const migration = (subgraph: Subgraph) => readFileSync(join(import.meta.dirname, '../../../../prisma', subgraph, 'migrations/0001_init/migration.sql'), 'utf8');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(label: string, timings: Record<string, string>, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const result = await work();
  timings[label] = seconds(performance.now() - started);
  return result;
}

async function load(target: string, dbs: SeededDatabases, size: BrandSize, parallel: boolean): Promise<boolean> {
  const timings: Record<string, string> = {};
  const started = performance.now();
  const brand = await timed('generate', timings, () => generateBrand(size));
  const run = (subgraph: Subgraph) => timed(`seed ${subgraph}`, timings, () => LOADERS[subgraph](dbs[subgraph], brand));
  if (parallel) await Promise.all(SUBGRAPHS.map(run));
  else for (const subgraph of SUBGRAPHS) await run(subgraph);
  timings.total = seconds(performance.now() - started);

  const counts: Record<string, number> = {};
  for (const subgraph of SUBGRAPHS) {
    for (const table of TABLES[subgraph]) counts[table] = Number((await dbs[subgraph].query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  }
  const report = await timed('check', timings, () => checkInvariants(dbs, brand.size.until));
  console.log(`\n== ${target}${parallel ? ' (loaders in parallel)' : ''}`);
  console.table(timings);
  console.table(counts);
  console.table(report.stats);
  if (report.failures.length) console.error(`Invariants broken:\n  ${report.failures.join('\n  ')}`);
  else console.log('All invariants hold.');
  return !report.failures.length;
}

async function intoPostgres(url: string, size: BrandSize, parallel: boolean): Promise<boolean> {
  const schema = (subgraph: Subgraph) => `seedtry_${subgraph}`;
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
    return await load(`PostgreSQL ${url}`, dbs, size, parallel);
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
    return await load('PGlite (in memory)', dbs, size, false);
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
  const okPostgres = await intoPostgres(url, size, parallel);
  const okPglite = await intoPglite(DEMO_BRAND);
  if (!okPostgres || !okPglite) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
