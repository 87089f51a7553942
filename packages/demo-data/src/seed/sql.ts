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
 * Inserts rows given column by column in one statement, `INSERT ... SELECT * FROM unnest(...)`:
 * one parameter per column whatever the row count, so no 65,535-parameter limit, and far fewer
 * round trips than row-by-row inserts.
 */
export async function insertColumns(sql: SqlExecutor, table: string, columns: readonly ColumnSpec[], values: readonly (readonly Cell[])[]): Promise<void> {
  if (!values[0]?.length) return;
  const names = columns.map(([name]) => identifier(name)).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  try {
    const params = values.map((column, i) => arrayLiteral(column, !QUOTED_TYPES.has(columns[i][1])));
    await sql.query(`INSERT INTO ${identifier(table)} (${names}) SELECT * FROM unnest(${arrays})`, params);
  } catch (error) {
    // Drivers attach the parameters to the error; with thousands of rows that buries the message.
    const { message, detail } = error as { message?: string; detail?: string };
    throw new Error(`Seeding ${table} failed: ${message}${detail ? ` (${detail})` : ''}`);
  }
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
