import { fileURLToPath } from 'node:url';
import { connection, openDatabase, readPage, isInstantAndUuid, uuidv7, type Connection, type Database, type DatabaseTarget, type PageArgs } from '@joinery/core';

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

export const AUDIT_OUTCOMES = ['SUCCEEDED', 'USER_ERROR', 'FAILED'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One mutation the router ran, as the recorder hands it over. */
export interface AuditRecord {
  /** When the router received it. */
  at: Date;
  subject: string;
  role: string;
  /** `'*'` for every location. */
  locations: '*' | readonly string[];
  requestId: string | null;
  operationName: string | null;
  fields: readonly string[];
  /** The request's variables, already redacted (see redact.ts). */
  variables: unknown;
  /** Each root field's arguments, already redacted (see root-arguments.ts). */
  arguments: unknown;
  outcome: AuditOutcome;
  codes: readonly string[];
  durationMs: number;
}

export interface AuditEntry {
  id: string;
  at: Date;
  subject: string;
  role: string;
  /** `['*']` for every location. */
  locations: string[];
  requestId: string | null;
  operationName: string | null;
  fields: string[];
  /** JSON text. */
  variables: string;
  /** JSON text; null for entries recorded before arguments were kept. */
  arguments: string | null;
  outcome: AuditOutcome;
  codes: string[];
  durationMs: number;
}

export interface AuditFilter {
  subject?: string | null;
  role?: string | null;
  outcome?: AuditOutcome | null;
  field?: string | null;
  /** Inclusive. */
  from?: Date | null;
  /** Exclusive. */
  to?: Date | null;
}

const COLUMNS = `id::text AS id, at, subject, role, locations, request_id, operation_name, fields, variables::text AS variables, arguments::text AS arguments, outcome, codes, duration_ms`;

function toEntry(row: Record<string, unknown>): AuditEntry {
  return {
    id: String(row.id),
    at: new Date(row.at as Date | string),
    subject: String(row.subject),
    role: String(row.role),
    locations: row.locations as string[],
    requestId: (row.request_id as string | null) ?? null,
    operationName: (row.operation_name as string | null) ?? null,
    fields: row.fields as string[],
    variables: String(row.variables),
    arguments: row.arguments == null ? null : String(row.arguments),
    outcome: row.outcome as AuditOutcome,
    codes: row.codes as string[],
    durationMs: Number(row.duration_ms),
  };
}

/** WHERE conditions for `filter`, numbering parameters from `$1`. */
function conditions(filter: AuditFilter, params: unknown[]): string[] {
  const where: string[] = [];
  const param = (value: unknown, cast: string) => {
    params.push(value);
    return `$${params.length}::${cast}`;
  };
  if (filter.subject != null) where.push(`subject = ${param(filter.subject, 'text')}`);
  if (filter.role != null) where.push(`role = ${param(filter.role, 'text')}`);
  if (filter.outcome != null) where.push(`outcome = ${param(filter.outcome, 'text')}`);
  if (filter.field != null) where.push(`fields @> ARRAY[${param(filter.field, 'text')}]`);
  if (filter.from != null) where.push(`at >= ${param(filter.from.toISOString(), 'timestamptz')}`);
  if (filter.to != null) where.push(`at < ${param(filter.to.toISOString(), 'timestamptz')}`);
  return where;
}

/**
 * What the recorder writes to and `auditLog` reads from: the AuditStore itself, or, in a cluster
 * worker whose store is PGlite (one process only), a proxy to the primary's (router/src/cluster).
 */
export interface AuditLog {
  record(entry: AuditRecord): Promise<AuditEntry>;
  /** Entries matching `filter`, newest first (ties by id, newest first). */
  list(args: PageArgs, filter?: AuditFilter): Promise<Connection<AuditEntry>>;
}

/**
 * The router's audit log: a database of its own (PGlite under DATA_DIR/audit, or the `audit`
 * schema on PostgreSQL), written only by the router, read only through `auditLog`.
 */
export class AuditStore implements AuditLog {
  private constructor(readonly database: Database) {}

  /** Opens (and migrates) the audit database at `target`. */
  static async open(target: DatabaseTarget): Promise<AuditStore> {
    return new AuditStore(await openDatabase(target, MIGRATIONS));
  }

  async record(entry: AuditRecord): Promise<AuditEntry> {
    const id = uuidv7(entry.at.getTime());
    const { rows } = await this.database.withConnection((sql) =>
      sql.query(
        `INSERT INTO audit_entries (id, at, subject, role, locations, request_id, operation_name, fields, variables, arguments, outcome, codes, duration_ms)
         VALUES ($1::uuid, $2::timestamptz, $3, $4, $5::text[], $6, $7, $8::text[], $9::jsonb, $10::jsonb, $11, $12::text[], $13::int)
         RETURNING ${COLUMNS}`,
        [
          id,
          entry.at.toISOString(),
          entry.subject,
          entry.role,
          entry.locations === '*' ? ['*'] : [...entry.locations],
          entry.requestId,
          entry.operationName,
          [...entry.fields],
          JSON.stringify(entry.variables ?? {}),
          JSON.stringify(entry.arguments ?? {}),
          entry.outcome,
          [...entry.codes],
          Math.max(0, Math.round(entry.durationMs)),
        ],
      ),
    );
    return toEntry(rows[0]);
  }

  /** Entries matching `filter`, newest first (ties by id, newest first). */
  async list(args: PageArgs, filter: AuditFilter = {}): Promise<Connection<AuditEntry>> {
    const page = readPage(args, isInstantAndUuid);
    const params: unknown[] = [];
    const where = conditions(filter, params);
    const countParams = [...params];
    const countWhere = [...where];
    if (page.after) {
      params.push(page.after[0], page.after[1]);
      where.push(`(at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(page.take);
    const clause = (list: string[]) => (list.length ? `WHERE ${list.join(' AND ')}` : '');
    const { rows } = await this.database.withConnection((sql) =>
      sql.query(`SELECT ${COLUMNS} FROM audit_entries ${clause(where)} ORDER BY at DESC, id DESC LIMIT $${params.length}`, params),
    );
    return connection(rows.map(toEntry), page, (entry) => [entry.at.toISOString(), entry.id], async () => {
      const counted = await this.database.withConnection((sql) => sql.query(`SELECT count(*)::int AS n FROM audit_entries ${clause(countWhere)}`, countParams));
      return Number(counted.rows[0].n);
    });
  }

  close(): Promise<void> {
    return this.database.close();
  }
}
