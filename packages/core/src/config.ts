import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { DatabaseTarget } from './db/database';

export const SUBGRAPHS = ['inventory', 'sales', 'marketing'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

const DEFAULT_PORTS: Record<SubgraphName | 'router', number> = { router: 4000, inventory: 4001, sales: 4002, marketing: 4003 };

const port = z.coerce.number().int().min(0).max(65_535);
const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must start with postgres:// or postgresql://');
const httpUrl = z.string().url().refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL');
// At most 56 characters: the outbox's NOTIFY channel is `outbox_<schema>`, and channel names stop at 63.
const schemaName = z.string().regex(/^[a-z_][a-z0-9_]{0,55}$/, 'must be a lower-case PostgreSQL identifier of at most 56 characters');
const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** Every environment variable Joinery reads, with its default. */
const EnvSchema = z.object({
  /** Address to listen on. Default 127.0.0.1 (set 0.0.0.0 in containers). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Router port. Default 4000. */
  ROUTER_PORT: port.default(DEFAULT_PORTS.router),
  INVENTORY_PORT: port.default(DEFAULT_PORTS.inventory),
  SALES_PORT: port.default(DEFAULT_PORTS.sales),
  MARKETING_PORT: port.default(DEFAULT_PORTS.marketing),
  /** Where each subgraph is reached, by the router and by the other subgraphs. Default http://127.0.0.1:<port>/graphql. */
  INVENTORY_URL: httpUrl.optional(),
  SALES_URL: httpUrl.optional(),
  MARKETING_URL: httpUrl.optional(),
  /** PostgreSQL for every subgraph (each in its own schema). Unset: embedded PGlite under DATA_DIR. */
  DATABASE_URL: postgresUrl.optional(),
  INVENTORY_DATABASE_URL: postgresUrl.optional(),
  SALES_DATABASE_URL: postgresUrl.optional(),
  MARKETING_DATABASE_URL: postgresUrl.optional(),
  /** Schema names on PostgreSQL. Default: the subgraph's name. */
  INVENTORY_DATABASE_SCHEMA: schemaName.default('inventory'),
  SALES_DATABASE_SCHEMA: schemaName.default('sales'),
  MARKETING_DATABASE_SCHEMA: schemaName.default('marketing'),
  /** Connections per subgraph pool on PostgreSQL. Default 10. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  /** Folder for the embedded PGlite databases, one per subgraph. Default ./.data. */
  DATA_DIR: z.string().min(1).default('.data'),
  /** Fill empty databases with the demo furniture brand at start. Default true on PGlite, false on PostgreSQL. */
  SEED_DEMO_DATA: flag.optional(),
  /** Redis for events between processes (routers, subgraph instances). Unset: events stay in-process. */
  REDIS_URL: z.string().url().refine((value) => /^rediss?:\/\//.test(value), 'must start with redis:// or rediss://').optional(),
  /** Prefix of every Redis channel Joinery uses, so deployments can share one Redis. Default joinery: */
  EVENT_CHANNEL_PREFIX: z.string().min(1).max(100).default('joinery:'),
  /** Most subscriptions one WebSocket connection may hold at once. Default 100. */
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Largest message a WebSocket client may send, in bytes. Default 65536. */
  WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
  /** A connection that has not sent connection_init after this many ms is closed with 4408. Default 10000. */
  WS_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Interval of the router's WebSocket pings; a client that does not answer within it is dropped. Default 12000. */
  WS_KEEPALIVE_MS: z.coerce.number().int().min(100).default(12_000),
  /** Events a subscriber may have waiting (unsent) before it is dropped as too slow. Default 10000. */
  WS_MAX_PENDING_EVENTS: z.coerce.number().int().min(1).default(10_000),
  /** Supergraph SDL the router serves. Default schema/supergraph.graphql. */
  SUPERGRAPH_PATH: z.string().min(1).refine((path) => existsSync(path), 'no such file').optional(),
  /** How often the sales subgraph resumes sales interrupted between order and stock, in ms. Default 5000. */
  SALE_RECOVERY_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  /** Timeout for one call from a subgraph to another, in ms. Default 5000. */
  SUBGRAPH_CALL_TIMEOUT_MS: z.coerce.number().int().min(50).default(5_000),
  /** How often marketing refreshes its RFM customer segments snapshot, in ms: 1000 to 86400000 (24 hours; Node fires longer timers at once). Default 900000 (15 minutes). */
  SEGMENT_REFRESH_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000, 'must be at most 86400000 ms (24 hours)').default(900_000),
});

export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once at start-up; names each bad variable and what it expects. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(present[String(issue.path[0])])})`));
  }
  return parsed.data;
}


export function subgraphPort(env: Env, name: SubgraphName): number {
  return { inventory: env.INVENTORY_PORT, sales: env.SALES_PORT, marketing: env.MARKETING_PORT }[name];
}

export function subgraphUrl(env: Env, name: SubgraphName): string {
  const explicit = { inventory: env.INVENTORY_URL, sales: env.SALES_URL, marketing: env.MARKETING_URL }[name];
  return explicit ?? `http://127.0.0.1:${subgraphPort(env, name)}/graphql`;
}

export function databaseTarget(env: Env, name: SubgraphName): DatabaseTarget {
  const url = { inventory: env.INVENTORY_DATABASE_URL, sales: env.SALES_DATABASE_URL, marketing: env.MARKETING_DATABASE_URL }[name] ?? env.DATABASE_URL;
  if (url) {
    const schema = { inventory: env.INVENTORY_DATABASE_SCHEMA, sales: env.SALES_DATABASE_SCHEMA, marketing: env.MARKETING_DATABASE_SCHEMA }[name];
    return { kind: 'postgres', url, schema, poolSize: env.DATABASE_POOL_SIZE };
  }
  return { kind: 'pglite', dataDir: resolve(env.DATA_DIR, name) };
}

export function shouldSeed(env: Env, target: DatabaseTarget): boolean {
  return env.SEED_DEMO_DATA ?? target.kind === 'pglite';
}

/** The router's WebSocket limits as configured (see the WS_* variables). */
export function webSocketLimits(env: Env) {
  return {
    maxSubscriptionsPerConnection: env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxMessageBytes: env.WS_MAX_MESSAGE_BYTES,
    connectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
    keepAliveMs: env.WS_KEEPALIVE_MS,
    maxPendingEvents: env.WS_MAX_PENDING_EVENTS,
  };
}
