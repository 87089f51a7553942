import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQueryable, Transaction } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { applyMigrations, type MigrationConnection } from './migrate';

export interface SqlConnection {
  /** `rowCount`: rows a statement inserted, updated or deleted. */
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount?: number | null }>;
}

/** A connection of its own, held until `close`: for session advisory locks and LISTEN. */
export interface SqlSession extends SqlConnection {
  /** Calls `onNotify` for each NOTIFY on `channel` (delivered at the notifier's commit). */
  listen(channel: string, onNotify: () => void): Promise<void>;
  /** Called once if the connection breaks; the session is then unusable. */
  onLost(handler: (error: Error) => void): void;
  close(): Promise<void>;
}

/** Where one subgraph keeps its data. */
export type DatabaseTarget =
  | { kind: 'pglite'; /** A folder that survives restarts; in memory when omitted. */ dataDir?: string }
  | { kind: 'postgres'; url: string; /** The PostgreSQL schema that holds this subgraph's tables. */ schema: string; poolSize?: number };

export interface Database {
  readonly target: DatabaseTarget;
  /** Hand this to the subgraph's generated PrismaClient as `adapter`. */
  readonly adapter: SqlDriverAdapterFactory;
  /**
   * Runs `fn` on one dedicated connection, outside Prisma: for bulk loads (seeding) and operator
   * scripts that need BEGIN/COMMIT on the same connection.
   */
  withConnection<T>(fn: (connection: SqlConnection) => Promise<T>): Promise<T>;
  /** Opens a long-lived session beside the pool (on PGlite: the one connection there is). */
  openSession(): Promise<SqlSession>;
  /** SQL statements sent since open (or the last reset): lets tests prove reads are batched. */
  readonly statements: { count: number; reset(): void };
  /** Runs `SELECT 1` (readiness): rejects once the database is closed or cannot be reached. */
  ping(): Promise<void>;
  /** The PostgreSQL pool's connections now (metrics); undefined on PGlite, which has no pool. */
  poolStats(): PoolStats | undefined;
  close(): Promise<void>;
}

/** A connection pool's state at one moment. */
export interface PoolStats {
  /** Connections open, idle or in use. */
  total: number;
  idle: number;
  /** Queries waiting for a connection because all `max` are in use. */
  waiting: number;
  max: number;
}

function counting(factory: SqlDriverAdapterFactory, counter: { count: number }): SqlDriverAdapterFactory {
  const wrapQueryable = <T extends SqlQueryable>(queryable: T): T => {
    const queryRaw = queryable.queryRaw.bind(queryable);
    const executeRaw = queryable.executeRaw.bind(queryable);
    queryable.queryRaw = (query) => {
      counter.count += 1;
      return queryRaw(query);
    };
    queryable.executeRaw = (query) => {
      counter.count += 1;
      return executeRaw(query);
    };
    return queryable;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      const adapter = wrapQueryable(await factory.connect());
      const startTransaction = adapter.startTransaction.bind(adapter);
      adapter.startTransaction = async (isolationLevel) => wrapQueryable<Transaction>(await startTransaction(isolationLevel));
      return adapter;
    },
  };
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Invalid PostgreSQL schema name ${JSON.stringify(name)}: use lower-case letters, digits and _`);
  return `"${name}"`;
}

function quoteChannel(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Invalid LISTEN channel ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * Opens a subgraph's database and brings it up to date with the migrations in `migrationsDir`
 * before anything else touches it.
 */
export async function openDatabase(target: DatabaseTarget, migrationsDir: string): Promise<Database> {
  const counter = { count: 0, reset() { this.count = 0; } };
  if (target.kind === 'pglite') {
    if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
    const client = await PGlite.create(target.dataDir);
    const connection: MigrationConnection = {
      query: async (sql, params) => (await client.query<Record<string, unknown>>(sql, params)).rows,
      exec: async (sql) => { await client.exec(sql); },
    };
    await applyMigrations(connection, migrationsDir, null);
    return {
      target,
      withConnection: (fn) =>
        fn({
          query: async (sql, params) => {
            const { rows, affectedRows } = await client.query<Record<string, unknown>>(sql, params);
            return { rows, rowCount: affectedRows };
          },
        }),
      async openSession() {
        const unlisten: (() => Promise<void>)[] = [];
        return {
          query: (sql, params) => client.query<Record<string, unknown>>(sql, params),
          async listen(channel, onNotify) {
            unlisten.push(await client.listen(channel, () => onNotify()));
          },
          onLost() {},
          async close() {
            await Promise.all(unlisten.splice(0).map((stop) => stop()));
          },
        };
      },
      adapter: counting(new PrismaPGlite(client), counter),
      statements: counter,
      async ping() {
        await client.query('SELECT 1');
      },
      poolStats: () => undefined,
      close: () => client.close(),
    };
  }
  const schema = quoteIdent(target.schema);
  // TimeZone=UTC: Prisma's adapters send Dates without an offset, which PostgreSQL would read in
  // the server's default zone.
  const poolSize = target.poolSize ?? 10;
  const pool = new pg.Pool({
    connectionString: target.url,
    max: poolSize,
    options: `-c search_path=${schema} -c TimeZone=UTC`,
  });
  const client = await pool.connect();
  try {
    await applyMigrations(
      {
        query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
        exec: async (sql) => { await client.query(sql); },
      },
      migrationsDir,
      target.schema,
    );
  } finally {
    client.release();
  }
  return {
    target,
    async withConnection(fn) {
      const connection = await pool.connect();
      try {
        return await fn({
          query: async (sql, params) => {
            const { rows, rowCount } = await connection.query(sql, params as unknown[]);
            return { rows, rowCount };
          },
        });
      } finally {
        connection.release();
      }
    },
    async openSession() {
      // keepAlive: a leader cut off by the network loses its connection, and so its lock, in
      // minutes rather than hours, letting a standby take over.
      const client = new pg.Client({ connectionString: target.url, options: `-c search_path=${schema} -c TimeZone=UTC`, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
      const notifyHandlers = new Map<string, () => void>();
      let lost: ((error: Error) => void) | undefined;
      client.on('notification', (message) => notifyHandlers.get(message.channel)?.());
      client.on('error', (error) => {
        const handler = lost;
        lost = undefined;
        handler?.(error);
      });
      await client.connect();
      return {
        query: async (sql, params) => ({ rows: (await client.query(sql, params as unknown[])).rows }),
        async listen(channel, onNotify) {
          notifyHandlers.set(channel, onNotify);
          await client.query(`LISTEN ${quoteChannel(channel)}`);
        },
        onLost(handler) {
          lost = handler;
        },
        close: () => client.end().catch(() => {}),
      };
    },
    adapter: counting(new PrismaPg(pool, { schema: target.schema }), counter),
    statements: counter,
    async ping() {
      await pool.query('SELECT 1');
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: poolSize }),
    close: () => pool.end(),
  };
}
