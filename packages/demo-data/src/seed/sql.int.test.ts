import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertColumns, withIndexesAndKeysDeferred, type SqlExecutor } from './sql';

const TABLES = `
  CREATE TYPE mood AS ENUM ('CALM', 'BUSY');
  CREATE TABLE parent (code text PRIMARY KEY);
  INSERT INTO parent VALUES ('a'), ('b');
  CREATE TABLE child (id int PRIMARY KEY, code text REFERENCES parent (code) ON DELETE CASCADE, note text, mood mood, doc jsonb, at timestamptz);
  CREATE INDEX child_note_idx ON child (note);
  CREATE UNIQUE INDEX child_at_key ON child (at);`;
const COLUMNS = [['id', 'int4'], ['code', 'text'], ['note', 'text'], ['mood', 'mood'], ['doc', 'jsonb'], ['at', 'timestamptz']] as const;
// Text that COPY's text format must escape (tab, newline, carriage return, backslash), a literal
// "\N" that must not read back as NULL, quotes and braces that the unnest path must quote.
const NOTES = ['tab\there', 'line\nbreak\r', 'back\\slash', '\\N', 'say "hi", {x}', null];
const ROWS = NOTES.length;

interface Target {
  name: string;
  sql: SqlExecutor;
  exec(script: string): Promise<unknown>;
  close(): Promise<void>;
}

async function backends(): Promise<Target[]> {
  const lite = await PGlite.create();
  const list: Target[] = [{ name: 'PGlite (INSERT ... unnest)', sql: lite as unknown as SqlExecutor, exec: (script: string) => lite.exec(script), close: () => lite.close() }];
  const url = process.env.DATABASE_URL;
  if (url) {
    const schema = `seed_sql_test_${process.pid}_${Date.now().toString(36)}`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
    list.push({ name: 'PostgreSQL (COPY FROM STDIN)', sql: client, exec: (script: string) => client.query(script), close: async () => { await client.query(`DROP SCHEMA ${schema} CASCADE`); await client.end(); } });
  }
  return list;
}

describe('seed bulk inserts', async () => {
  const targets = await backends();
  beforeAll(async () => {
    for (const target of targets) await target.exec(TABLES);
  });
  afterAll(async () => {
    await Promise.all(targets.map((target) => target.close()));
  });

  describe.each(targets)('$name', (target) => {
    it('stores text with tabs, newlines, backslashes and a literal \\N unchanged, and NULL as NULL', async () => {
      const values = [
        NOTES.map((_, i) => i + 1),
        NOTES.map((_, i) => (i % 2 ? 'b' : 'a')),
        NOTES,
        NOTES.map((_, i) => (i % 2 ? 'BUSY' : 'CALM')),
        NOTES.map((note) => JSON.stringify({ note })),
        NOTES.map((_, i) => new Date(Date.UTC(2026, 0, 1, i)).toISOString()),
      ];
      await withIndexesAndKeysDeferred(target.sql, ['child'], async () => {
        const during = await target.sql.query(`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'child'`);
        expect(during.rows[0].n).toBe(1); // only the primary key stays
        await insertColumns(target.sql, 'child', COLUMNS, values);
      });
      const { rows } = await target.sql.query('SELECT note, mood::text AS mood, doc ->> $1 AS doc_note, extract(hour FROM at AT TIME ZONE $2)::int AS hour FROM child ORDER BY id', ['note', 'UTC']);
      expect(rows.map((row) => row.note)).toEqual(NOTES);
      expect(rows.map((row) => row.doc_note)).toEqual(NOTES);
      expect(rows.map((row) => row.mood)).toEqual(['CALM', 'BUSY', 'CALM', 'BUSY', 'CALM', 'BUSY']);
      expect(rows.map((row) => row.hour)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(rows).toHaveLength(ROWS);
    });

    it('puts the dropped indexes and foreign key back, and the key checks the loaded rows', async () => {
      const indexes = await target.sql.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'child' ORDER BY 1`);
      expect(indexes.rows.map((row) => row.indexname)).toEqual(['child_at_key', 'child_note_idx', 'child_pkey']);
      await expect(withIndexesAndKeysDeferred(target.sql, ['child'], () => insertColumns(target.sql, 'child', COLUMNS, [[99], ['no such parent'], [null], [null], [null], [null]])))
        .rejects.toThrow(/child_code_fkey/);
      await target.sql.query('DELETE FROM child WHERE id = 99');
      await target.sql.query(`ALTER TABLE child ADD CONSTRAINT child_code_fkey FOREIGN KEY (code) REFERENCES parent (code) ON DELETE CASCADE`);
      const keys = await target.sql.query(`SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conname = 'child_code_fkey'`);
      expect(keys.rows.map((row) => row.definition)).toEqual(['FOREIGN KEY (code) REFERENCES parent(code) ON DELETE CASCADE']);
    });
  });
});
