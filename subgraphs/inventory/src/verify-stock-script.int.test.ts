/**
 * `npm run stock:verify` as an operator runs it: a bad --location is a configuration error naming
 * the option, and a database with pending migrations is refused, not migrated.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openInventoryDatabase } from './server';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'verify-stock.ts');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function verifyStock(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/DATABASE_URL|DATABASE_SCHEMA|DATA_DIR/.test(name)));
  return new Promise((resolve) => {
    execFile(TSX, [SCRIPT, ...args], { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('stock:verify script', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-stock-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('refuses --location that is not a UUID with a configuration error naming --location', async () => {
    const dir = dataDir();
    const database = await openInventoryDatabase({ kind: 'pglite', dataDir: join(dir, 'inventory') });
    await database.close();
    const result = await verifyStock(['--location', 'not-a-uuid'], { DATA_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--location: .*UUID.*"not-a-uuid"/);
    expect(result.stderr).not.toMatch(/invalid input syntax/);
  }, 60_000);

  it('verifies a migrated PGlite database', async () => {
    const dir = dataDir();
    const database = await openInventoryDatabase({ kind: 'pglite', dataDir: join(dir, 'inventory') });
    await database.close();
    const result = await verifyStock([], { DATA_DIR: dir });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/Checked 0 inventory levels/);
    expect(result.code).toBe(0);
  }, 60_000);

  it('refuses to run on a PGlite folder with pending migrations instead of applying them', async () => {
    const dir = dataDir();
    const result = await verifyStock([], { DATA_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/pending migrations: 0001_init/);
    expect(existsSync(join(dir, 'inventory'))).toBe(false);
  }, 60_000);

  it.runIf(process.env.DATABASE_URL)('refuses to run on a PostgreSQL schema with pending migrations and creates nothing', async () => {
    const schema = `t_${randomBytes(5).toString('hex')}_verify`;
    const result = await verifyStock([], { DATABASE_URL: process.env.DATABASE_URL, INVENTORY_DATABASE_SCHEMA: schema });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`${schema}.*pending migrations: 0001_init`));
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
      expect(rows).toEqual([]);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }, 60_000);
});
