/**
 * The one thing the loaders need from a database: a `pg.Client` (one connection, not a Pool: the
 * loaders send BEGIN and COMMIT through it) or a PGlite instance both fit. Statements use
 * unqualified names; set search_path to the subgraph's schema first.
 */
export interface SqlExecutor {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export type Cell = string | number | null;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`Invalid table or column name ${JSON.stringify(name)}: use lower-case letters, digits and _`);
  return `"${name}"`;
}

/**
 * A PostgreSQL array literal. Built here rather than by the driver because PGlite cannot
 * serialise arrays of enum types, and one text parameter per column works the same everywhere.
 * `plain` values (uuids, numbers, timestamps, enum labels) hold no quotes, commas, braces or
 * spaces and skip quoting, which matters at a million cells.
 */
export function arrayLiteral(values: readonly Cell[], plain = false): string {
  if (plain && !values.includes(null)) return `{${values.join(',')}}`;
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    if (value === null) parts[i] = 'NULL';
    else if (plain || typeof value === 'number') parts[i] = String(value);
    else parts[i] = NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, '\\$&')}"` : `"${value}"`;
  }
  return `{${parts.join(',')}}`;
}

/** Types whose text form never needs quoting inside an array literal. */
const QUOTED_TYPES = new Set(['text', 'jsonb', 'json']);

/** Rows turned into columns, as insertColumns takes them. */
export function toColumns<T>(rows: readonly T[], cells: (row: T) => Cell[]): Cell[][] {
  const columns: Cell[][] = [];
  rows.forEach((row, r) => cells(row).forEach((cell, c) => ((columns[c] ??= new Array<Cell>(rows.length))[r] = cell)));
  return columns;
}

/** Column name and its PostgreSQL type, e.g. ['ordered_at', 'timestamptz']. */
export type ColumnSpec = readonly [name: string, type: string];

/**
 * Inserts rows given column by column. Through a node-postgres client it streams them with
 * `COPY ... FROM STDIN` (see copyColumns); through anything else (PGlite) it sends one
 * `INSERT ... SELECT * FROM unnest(...)`: one parameter per column whatever the row count, so no
 * 65,535-parameter limit, and far fewer round trips than row-by-row inserts.
 */
export async function insertColumns(sql: SqlExecutor, table: string, columns: readonly ColumnSpec[], values: readonly (readonly Cell[])[]): Promise<void> {
  if (!values[0]?.length) return;
  const names = columns.map(([name]) => identifier(name)).join(', ');
  try {
    if (canCopy(sql)) {
      await copyColumns(sql, `COPY ${identifier(table)} (${names}) FROM STDIN`, values, columns.map(([, type]) => QUOTED_TYPES.has(type)));
      return;
    }
    const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
    const params = values.map((column, i) => arrayLiteral(column, !QUOTED_TYPES.has(columns[i][1])));
    await sql.query(`INSERT INTO ${identifier(table)} (${names}) SELECT * FROM unnest(${arrays})`, params);
  } catch (error) {
    // Drivers attach the parameters to the error; with thousands of rows that buries the message.
    const { message, detail, where } = error as { message?: string; detail?: string; where?: string };
    throw new Error(`Seeding ${table} failed: ${message}${detail ? ` (${detail})` : ''}${where ? ` [${where}]` : ''}`);
  }
}

/** The part of node-postgres's connection that COPY needs (pg 8: lib/connection.js). */
interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** A node-postgres Client (or pooled client): the only executor that can stream COPY data. */
type CopyCapable = SqlExecutor & { connection: PgConnection };

function canCopy(sql: SqlExecutor): sql is CopyCapable {
  const connection = (sql as Partial<CopyCapable>).connection;
  return typeof connection?.sendCopyFromChunk === 'function' && typeof connection.endCopyFrom === 'function';
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const COPY_SPECIALS = /[\\\n\r\t]/g;

/** One cell in COPY's text format: \N for NULL, backslash escapes for the four special characters. */
function copyCell(value: Cell): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]) : value;
}

function plainCell(value: Cell): string {
  return value === null ? '\\N' : String(value);
}

/** Bytes per CopyData message: large enough to be cheap, small enough not to hold much in memory. */
const COPY_CHUNK = 1 << 20;

/**
 * Streams column-wise values into `copySql` (a `COPY ... FROM STDIN` in text format) on the
 * client's connection, without a dependency: node-postgres queues any object with `submit` like
 * a query and hands it the protocol messages (pg-copy-streams works the same way). COPY parses
 * each value as its column's type, so rows need no casts, and it skips the planner and the
 * parameter round trip: several times faster than INSERT ... unnest for millions of rows.
 */
export function copyColumns(sql: CopyCapable, copySql: string, values: readonly (readonly Cell[])[], mayNeedEscape: readonly boolean[] = values.map(() => true)): Promise<void> {
  // Columns of uuids, numbers, timestamps and enum labels never hold the special characters.
  const cell = mayNeedEscape.map((escape) => (escape ? copyCell : plainCell));
  const rowCount = values[0]?.length ?? 0;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let failure: Error | null = null;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve();
    };
    (sql as unknown as { query(submittable: object): unknown }).query({
      submit(connection: PgConnection) {
        connection.query(copySql);
      },
      handleCopyInResponse(connection: PgConnection) {
        let text = '';
        for (let r = 0; r < rowCount; r += 1) {
          let line = cell[0](values[0][r]);
          for (let c = 1; c < values.length; c += 1) line += `\t${cell[c](values[c][r])}`;
          text += `${line}\n`;
          if (text.length >= COPY_CHUNK) {
            connection.sendCopyFromChunk(Buffer.from(text, 'utf8'));
            text = '';
          }
        }
        if (text) connection.sendCopyFromChunk(Buffer.from(text, 'utf8'));
        connection.endCopyFrom();
      },
      handleCopyData() {},
      handleRowDescription() {},
      handleDataRow() {},
      handleCommandComplete() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      // The server answers an error with ReadyForQuery too; a broken connection does not, so
      // settle at once either way.
      handleError(error: Error) {
        failure = error;
        settle(error);
      },
      handleReadyForQuery() {
        settle(failure);
      },
    });
  });
}

/** Runs `work` between BEGIN and COMMIT on the executor's connection; ROLLBACK on failure. */
export async function inTransaction<T>(sql: SqlExecutor, work: () => Promise<T>): Promise<T> {
  await sql.query('BEGIN');
  try {
    const result = await work();
    await sql.query('COMMIT');
    return result;
  } catch (error) {
    await sql.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Sends inserts without waiting for each, so the next batch is generated while the database
 * writes the last; at most one is in flight, and a failure surfaces at the next call or `drain`.
 */
export class Pipeline {
  private inFlight: Promise<void> = Promise.resolve();

  async send(insert: () => Promise<void>): Promise<void> {
    await this.inFlight;
    const next = insert();
    next.catch(() => undefined);
    this.inFlight = next;
  }

  drain(): Promise<void> {
    return this.inFlight;
  }
}

/** True when `table` (unqualified, on the search_path) has no rows. */
export async function isEmpty(sql: SqlExecutor, table: string): Promise<boolean> {
  const { rows } = await sql.query(`SELECT NOT EXISTS (SELECT 1 FROM ${identifier(table)}) AS empty`);
  return rows[0]?.empty === true;
}

/**
 * Runs a bulk `load` with the secondary indexes and the foreign keys of `tables` dropped, then
 * puts them back. Building an index once over millions of rows (a sort) costs a fraction of
 * updating it row by row, most of all for keys in random order (skus, idempotency keys); and a
 * foreign key added back is checked in one join instead of one lookup per inserted row. Indexes
 * that back a constraint (primary keys, UNIQUE, exclusion) stay: loads rely on them. An index or
 * key that the loaded rows break fails when it is put back, as the load would have. Run it
 * outside a transaction: `load` commits its own, and everything is back (also when `load` fails)
 * before this resolves. PostgreSQL only.
 */
export async function withIndexesAndKeysDeferred<T>(sql: SqlExecutor, tables: readonly string[], load: () => Promise<T>): Promise<T> {
  const names = [tables.map((table) => identifier(table))];
  const relations = 'SELECT to_regclass(t)::oid FROM unnest($1::text[]) AS t';
  const indexes = (await sql.query(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i
     WHERE i.indrelid = ANY (${relations}) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1`,
    names,
  )).rows as { name: string; definition: string }[];
  const keys = (await sql.query(
    `SELECT conrelid::regclass::text AS "table", quote_ident(conname) AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
     WHERE contype = 'f' AND conrelid = ANY (${relations}) ORDER BY 2`,
    names,
  )).rows as { table: string; name: string; definition: string }[];
  for (const key of keys) await sql.query(`ALTER TABLE ${key.table} DROP CONSTRAINT ${key.name}`);
  for (const index of indexes) await sql.query(`DROP INDEX ${index.name}`);
  try {
    return await load();
  } finally {
    for (const index of indexes) await sql.query(index.definition);
    for (const key of keys) await sql.query(`ALTER TABLE ${key.table} ADD CONSTRAINT ${key.name} ${key.definition}`);
  }
}
