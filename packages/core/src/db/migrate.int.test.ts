import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database';

const MIGRATIONS = fileURLToPath(new URL('../../../../prisma/inventory/migrations', import.meta.url));
const MIGRATION_COUNT = readdirSync(MIGRATIONS, { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;

describe.runIf(process.env.DATABASE_URL)('migrations on PostgreSQL', () => {
  it('regression: several instances starting at once on a fresh schema all start (the schema is created under the lock)', async () => {
    const url = process.env.DATABASE_URL!;
    const schema = `t_${randomBytes(5).toString('hex')}_migrate`;
    try {
      const databases = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ kind: 'postgres', url, schema, poolSize: 1 }, MIGRATIONS)));
      const applied = await databases[0].withConnection((sql) => sql.query('SELECT count(*)::int AS count FROM "_prisma_migrations"'));
      expect(applied.rows[0].count).toBe(MIGRATION_COUNT);
      await Promise.all(databases.map((database) => database.close()));
    } finally {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  it('regression: timestamps without an offset are read as UTC on a server whose default time zone is not UTC', async () => {
    // Prisma's adapters send Dates as `YYYY-MM-DD HH:MM:SS.mmm` without an offset: on a server set
    // to America/New_York every time filter and every orderedAt written was shifted by 5 hours.
    const url = new URL(process.env.DATABASE_URL!);
    const name = `t_${randomBytes(5).toString('hex')}_tz`;
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
      await admin.query(`ALTER DATABASE "${name}" SET timezone = 'America/New_York'`);
      url.pathname = `/${name}`;
      const database = await openDatabase({ kind: 'postgres', url: url.toString(), schema: 'tz_check', poolSize: 1 }, MIGRATIONS);
      try {
        const { rows } = await database.withConnection((sql) => sql.query(`SELECT current_setting('TimeZone') AS zone, to_char($1::timestamptz AT TIME ZONE 'UTC', 'HH24:MI') AS utc`, ['2026-01-11 22:30:00.000']));
        expect(rows[0]).toEqual({ zone: 'UTC', utc: '22:30' });
      } finally {
        await database.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
