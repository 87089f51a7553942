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
});
