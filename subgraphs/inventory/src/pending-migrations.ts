/**
 * Which migrations a database has not applied, found without changing it: for read-only
 * tools (stock:verify) that must not migrate a production schema as the subgraph does on open.
 */
import { existsSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { readMigrations, type DatabaseTarget } from '@joinery/core';

const APPLIED = 'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';

/** Names of the migrations not yet applied, in order; all of them when the database or schema does not exist. */
export async function pendingMigrations(target: DatabaseTarget, migrationsDir: string): Promise<string[]> {
  const applied = new Set(await appliedMigrations(target));
  return readMigrations(migrationsDir).map((migration) => migration.name).filter((name) => !applied.has(name));
}

async function appliedMigrations(target: DatabaseTarget): Promise<string[]> {
  if (target.kind === 'pglite') {
    // Opening a folder that is not there would create a database in it.
    if (!target.dataDir || !existsSync(target.dataDir)) return [];
    const client = await PGlite.create(target.dataDir);
    try {
      const [{ present }] = (await client.query<{ present: boolean }>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`)).rows;
      return present ? (await client.query<{ migration_name: string }>(APPLIED)).rows.map((row) => row.migration_name) : [];
    } finally {
      await client.close();
    }
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    const table = `"${target.schema.replaceAll('"', '""')}"."_prisma_migrations"`;
    const { rows: [{ present }] } = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
    if (!present) return [];
    return (await client.query<{ migration_name: string }>(APPLIED.replace('"_prisma_migrations"', table))).rows.map((row) => row.migration_name);
  } finally {
    await client.end();
  }
}
