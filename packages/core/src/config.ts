import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { DatabaseTarget } from './db/database';
import { developmentInternalSecretRefusal, INTERNAL_TOKEN_AUDIENCE, INTERNAL_TOKEN_ISSUER } from './auth/internal-token';
import { DEVELOPMENT_JWT_SECRET } from './auth/user-token';
import { logger } from './observability/logger';

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
  /** PostgreSQL for the router's audit log of mutations. Default DATABASE_URL; both unset: embedded PGlite in DATA_DIR/audit. */
  AUDIT_DATABASE_URL: postgresUrl.optional(),
  /** Schema of the audit log on PostgreSQL. Default audit. */
  AUDIT_DATABASE_SCHEMA: schemaName.default('audit'),
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
  /** WebSocket connections one token subject may hold open at once on one router; one more is closed with 4429. Default 50. */
  WS_MAX_CONNECTIONS_PER_SUBJECT: z.coerce.number().int().min(1).max(100_000).default(50),
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

  // Authentication (router). See docs/security.md.
  /** `production` makes the router refuse development secrets and turns introspection and field suggestions off. */
  NODE_ENV: z.string().optional(),
  /** HS256 secret the router verifies user tokens with (at least 32 characters). Unset outside production: the development secret. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256 needs a 256-bit key)').optional(),
  /** JWKS URL of an identity provider (Auth0, Okta, Keycloak) for RS256/ES256 tokens; keys are cached and refetched when a token names an unknown kid. */
  JWKS_URL: httpUrl.optional(),
  /** When set, tokens must carry exactly this `iss`. Required with JWKS_URL in production. */
  JWT_ISSUER: z.string().min(1).optional(),
  /** When set, tokens' `aud` must include this. Required with JWKS_URL in production. */
  JWT_AUDIENCE: z.string().min(1).optional(),
  /** Claim holding the Joinery role: a name (`https://joinery.example/role`) or a dot path (`realm_access.roles`); a list takes its most powerful role. Default role. */
  JWT_ROLE_CLAIM: z.string().min(1).default('role'),
  /** Claim holding the location ids (a list, or a comma-separated string; `*` for every location). Default locations. */
  JWT_LOCATIONS_CLAIM: z.string().min(1).default('locations'),
  /**
   * Secret the router and subgraphs share to sign the identity they pass on (at least 32 characters, not JWT_SECRET).
   * Required in production, and wherever JWT_SECRET or JWKS_URL is set or HOST is not loopback.
   */
  INTERNAL_AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),

  // Hardening (router). See docs/security.md.
  /** Deepest selection nesting an operation may have (introspection excluded). Default 10 (the deepest query in the docs and tests nests 7). */
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(10),
  /** Most aliases in one operation. Default 15. */
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
  /** Most directives in one operation. Default 20. */
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(20),
  /** Most lexical tokens in one document. Default 1000. */
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(10).default(1000),
  /**
   * Highest cost (GraphQL Armor's estimate: objects 2, scalars 1, ×1.5 per level, × `first`/`last`,
   * variables included) of one operation. Default 300000 (the docs' 5000-row stock value report costs 190000).
   */
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).default(300_000),
  /** Answer introspection queries. Default: true, false when NODE_ENV=production. */
  GRAPHQL_INTROSPECTION: flag.optional(),
  /** "Did you mean …" suggestions in validation errors. Default: true, false when NODE_ENV=production. */
  GRAPHQL_FIELD_SUGGESTIONS: flag.optional(),
  /** Length of the rate limit window, in seconds. Default 60. */
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Requests one client IP may send per window, checked before authentication; 0 turns it off. Default 120000 (2000/s, for benchmarks from one host). */
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).default(120_000),
  /** Requests one token subject may send per window, from any IP and router; 0 turns it off. Default 60000 (1000/s). */
  RATE_LIMIT_PER_SUBJECT: z.coerce.number().int().min(0).default(60_000),
  /**
   * Requests refused for a missing or bad token one IP may send per window; beyond it, requests from that IP whose token
   * fails are answered 429 instead of 401 (slows token guessing; valid tokens still pass). 0 turns it off. Default 60.
   */
  RATE_LIMIT_AUTH_FAILURES_PER_IP: z.coerce.number().int().min(0).default(60),
  /** Proxies in front of the router that append to X-Forwarded-For: the client IP is the entry this many from the end. Default 0 (the socket's address). */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** Apollo persisted query manifest (JSON: { format: "apollo-persisted-query-manifest", version: 1, operations: [{ id, name, type, body }] }). */
  PERSISTED_OPERATIONS_PATH: z.string().min(1).refine((path) => existsSync(path), 'no such file').optional(),
  /** off: ignore the manifest; allow: its ids may be sent instead of a body, anything else still runs; enforce: only its operations run. Default off. */
  PERSISTED_OPERATIONS_MODE: z.enum(['off', 'allow', 'enforce']).default('off'),
  /** Largest request body the router reads, in bytes; larger is refused with 413. Default 262144 (256 KiB). */
  ROUTER_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
  /** Longest one operation may run at the router, subgraph calls included, before it is answered 504 TIMEOUT. Default 30000. */
  ROUTER_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Longest one router-to-subgraph call may take before it fails as UNAVAILABLE naming the subgraph. Default 20000. */
  ROUTER_SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(50).default(20_000),
  /** Longest a client may take to send a request's headers (Node's headersTimeout). Default 10000. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Longest a client may take to send a whole request (Node's requestTimeout); at least HTTP_HEADERS_TIMEOUT_MS. Default 30000. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),

  // Speed (router). See docs/benchmarks.md and docs/operations.md.
  /** Identical subgraph queries in flight at once (same subgraph, body and caller scope) share one call. Never mutations. Default true. */
  ROUTER_DEDUPLICATE_SUBGRAPH_REQUESTS: flag.default(true),
  /** Router processes sharing the port (node:cluster): a number, or `auto` for one per CPU core. Default 1. */
  ROUTER_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)]).default(1),

  // Response cache (router). See docs/operations.md.
  /** off; memory (in the router process); redis (REDIS_URL, shared by routers); on (redis when REDIS_URL is set, else memory). Default off. */
  RESPONSE_CACHE: z.enum(['off', 'on', 'memory', 'redis']).default('off'),
  /** Longest a cached answer is served, in seconds, even when no event invalidates it. Default 300. */
  RESPONSE_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Most answers the in-memory cache holds (least recently used go first). Default 1000. */
  RESPONSE_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  /** Most bytes of answers the in-memory cache holds (least recently used go first). Default 67108864 (64 MiB). */
  RESPONSE_CACHE_MAX_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),

  // Operations. See docs/operations.md.
  /** pino log level: fatal, error, warn, info, debug, trace or silent. Default info. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OTLP/HTTP endpoint traces are exported to (e.g. http://collector:4318); unset: no traces are exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  /** The service name spans carry. Default joinery-<service>. */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** Longest a service waits on SIGTERM for in-flight requests before it closes them. Default 10000. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
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
    // A secret's value is never printed, even a bad one, nor a URL's credentials: start-up errors end up in logs.
    const shown = (name: string) => (/SECRET/.test(name) ? `${String(present[name] ?? '').length} characters` : JSON.stringify(withoutCredentials(name, String(present[name] ?? ''))));
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message} (got ${shown(String(issue.path[0]))})`));
  }
  return parsed.data;
}


/**
 * A value as an error may show it: a URL (or any *_URL variable) without its userinfo
 * (`user:password@`), query string and fragment, where credentials and API keys live.
 */
export function withoutCredentials(name: string, value: string): string {
  if (!/URL$/.test(name) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  let rest = value.slice(scheme.length);
  // Everything up to the last @ may be userinfo (passwords may hold '/', '?', '#' or '@'): drop it all.
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = rest.slice(at + 1);
  rest = rest.replace(/[?#].*$/s, '');
  return `${scheme}${at >= 0 ? '[REDACTED]@' : ''}${rest}`;
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

/** Where the router keeps its audit log: like a subgraph's database, under the name `audit`. */
export function auditDatabaseTarget(env: Env): DatabaseTarget {
  const url = env.AUDIT_DATABASE_URL ?? env.DATABASE_URL;
  if (url) return { kind: 'postgres', url, schema: env.AUDIT_DATABASE_SCHEMA, poolSize: env.DATABASE_POOL_SIZE };
  return { kind: 'pglite', dataDir: resolve(env.DATA_DIR, 'audit') };
}

export function shouldSeed(env: Env, target: DatabaseTarget): boolean {
  return env.SEED_DEMO_DATA ?? target.kind === 'pglite';
}

/** The router's response cache as configured (RESPONSE_CACHE*); the router's ResponseCacheOptions. */
export interface ResponseCacheSettings {
  store: 'memory' | 'redis';
  ttlSeconds: number;
  maxEntries: number;
  maxBytes: number;
  redisUrl?: string;
  keyPrefix: string;
}

/**
 * The response cache settings, or undefined when RESPONSE_CACHE is off. `on` picks Redis when
 * REDIS_URL is set (routers share it) and memory otherwise; `redis` without REDIS_URL stops start-up.
 */
export function responseCacheSettings(env: Env): ResponseCacheSettings | undefined {
  if (env.RESPONSE_CACHE === 'off') return undefined;
  if (env.RESPONSE_CACHE === 'redis' && !env.REDIS_URL) throw new ConfigError(['RESPONSE_CACHE: "redis" needs REDIS_URL (the Redis the routers share); set REDIS_URL, or use "memory" or "on"']);
  const store = env.RESPONSE_CACHE === 'memory' || !env.REDIS_URL ? 'memory' : 'redis';
  // Each worker would hold its own answers, and a mutation would clear only its own worker's.
  if (store === 'memory' && env.ROUTER_WORKERS !== 1) {
    throw new ConfigError([`RESPONSE_CACHE: the memory store cannot be shared by ROUTER_WORKERS=${env.ROUTER_WORKERS} workers (a change through one worker would leave the others serving the old answer); set REDIS_URL with RESPONSE_CACHE=on or redis, or ROUTER_WORKERS=1`]);
  }
  return {
    store,
    ttlSeconds: env.RESPONSE_CACHE_TTL_SECONDS,
    maxEntries: env.RESPONSE_CACHE_MAX_ENTRIES,
    maxBytes: env.RESPONSE_CACHE_MAX_BYTES,
    redisUrl: store === 'redis' ? env.REDIS_URL : undefined,
    keyPrefix: `${env.EVENT_CHANNEL_PREFIX}cache:`,
  };
}

/** The router's WebSocket limits as configured (see the WS_* variables). */
export function webSocketLimits(env: Env) {
  return {
    maxSubscriptionsPerConnection: env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxMessageBytes: env.WS_MAX_MESSAGE_BYTES,
    connectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
    keepAliveMs: env.WS_KEEPALIVE_MS,
    maxPendingEvents: env.WS_MAX_PENDING_EVENTS,
    maxConnectionsPerSubject: env.WS_MAX_CONNECTIONS_PER_SUBJECT,
  };
}

function isProduction(env: Env): boolean {
  return env.NODE_ENV === 'production';
}

/**
 * Problems with the secret every service signs or verifies identities with. The public development
 * secret is for a developer's machine only (see developmentInternalSecretRefusal: refused in
 * production, with JWT_SECRET or JWKS_URL set, or on a non-loopback HOST). JWT_SECRET may not be
 * it either: the router would then take an internal identity token for a user's bearer token.
 */
export function internalAuthIssues(env: Env): string[] {
  const issues: string[] = [];
  const refusal = developmentInternalSecretRefusal(env);
  if (refusal) issues.push(refusal);
  if (env.JWT_SECRET && env.JWT_SECRET === env.INTERNAL_AUTH_SECRET) {
    issues.push('JWT_SECRET: must differ from INTERNAL_AUTH_SECRET (with one secret for both, an internal identity token would pass as a user token at the router)');
  }
  return issues;
}

/**
 * Stops a service's start without a usable INTERNAL_AUTH_SECRET (see internalAuthIssues), with a
 * message naming it. Every subgraph's main.ts calls it first; the router checks it in routerSettings.
 */
export function requireServiceSecrets(env: Env): void {
  const issues = internalAuthIssues(env);
  if (issues.length) throw new ConfigError(issues);
}

const warned = new Set<string>();
/** Logs a start-up warning once per process, however many times the settings are read. */
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  logger('router').warn(message);
}

/** What the router needs from the environment (see the variables above). */
export interface RouterSettings {
  jwt: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string; roleClaim: string; locationsClaim: string };
  limits: { maxDepth: number; maxAliases: number; maxDirectives: number; maxTokens: number; maxCost: number; introspection: boolean; fieldSuggestions: boolean };
  rateLimits: { windowSeconds: number; perIp: number; perSubject: number; authFailuresPerIp: number; trustProxyHops: number; redisUrl?: string; keyPrefix: string };
  persistedOperations?: { path: string; mode: 'allow' | 'enforce' };
  http: { maxBodyBytes: number; requestTimeoutMs: number; headersTimeoutMs: number; socketRequestTimeoutMs: number };
  subgraphTimeoutMs: number;
  /** True when tokens are checked with the public development secret (JWT_SECRET and JWKS_URL unset). */
  developmentJwt: boolean;
}

/**
 * The router's settings; stops start-up with every problem named. In production the router needs
 * JWT_SECRET or JWKS_URL (never the development secret; with JWKS_URL also JWT_ISSUER and
 * JWT_AUDIENCE) and INTERNAL_AUTH_SECRET. Warnings (once per process) go to `warn`.
 */
export function routerSettings(env: Env, warn: (message: string) => void = warnOnce): RouterSettings {
  const issues = internalAuthIssues(env);
  const warnings: string[] = [];
  const production = isProduction(env);
  if (env.JWKS_URL) {
    // An identity provider signs tokens for every API (and, hosted, every tenant) it serves, all
    // with the keys in this JWKS: only iss and aud tell a token meant for Joinery from the others.
    const missing = [env.JWT_ISSUER ? undefined : 'JWT_ISSUER', env.JWT_AUDIENCE ? undefined : 'JWT_AUDIENCE'].filter((name): name is string => name !== undefined);
    const why = `with JWKS_URL (without ${missing.length === 2 ? 'them' : 'it'}, a token your identity provider issued for another API or tenant would be accepted here)`;
    if (missing.length && production) issues.push(`${missing.join(' / ')}: required when NODE_ENV=production ${why}`);
    else if (missing.length) warnings.push(`${missing.join(' and ')} unset ${why}; production refuses to start without ${missing.length === 2 ? 'them' : 'it'}`);
  }
  if (env.JWT_ISSUER === INTERNAL_TOKEN_ISSUER) issues.push(`JWT_ISSUER: "${INTERNAL_TOKEN_ISSUER}" is reserved for Joinery's internal identity tokens; use your identity provider's issuer`);
  if (env.JWT_AUDIENCE === INTERNAL_TOKEN_AUDIENCE) issues.push(`JWT_AUDIENCE: "${INTERNAL_TOKEN_AUDIENCE}" is reserved for Joinery's internal identity tokens; use the audience your tokens are issued for`);
  if (env.JWT_SECRET && env.JWKS_URL) issues.push('JWT_SECRET / JWKS_URL: set one of them (HS256 secret or an identity provider\'s JWKS), not both');
  if (production && !env.JWT_SECRET && !env.JWKS_URL) issues.push('JWT_SECRET / JWKS_URL: one is required when NODE_ENV=production (tokens would otherwise be checked with the public development secret)');
  if (production && env.JWT_SECRET === DEVELOPMENT_JWT_SECRET) issues.push('JWT_SECRET: is the development secret, which is public; set a secret of your own');
  if (env.PERSISTED_OPERATIONS_MODE !== 'off' && !env.PERSISTED_OPERATIONS_PATH) issues.push(`PERSISTED_OPERATIONS_PATH: required when PERSISTED_OPERATIONS_MODE=${env.PERSISTED_OPERATIONS_MODE} (the persisted query manifest)`);
  if (env.HTTP_REQUEST_TIMEOUT_MS < env.HTTP_HEADERS_TIMEOUT_MS) issues.push(`HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS (${env.HTTP_HEADERS_TIMEOUT_MS}); got ${env.HTTP_REQUEST_TIMEOUT_MS}`);
  if (issues.length) throw new ConfigError(issues);
  // Only for a router that starts: a refusal says all there is to say.
  warnings.forEach((message) => warn(message));
  return {
    jwt: { secret: env.JWT_SECRET, jwksUrl: env.JWKS_URL, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, roleClaim: env.JWT_ROLE_CLAIM, locationsClaim: env.JWT_LOCATIONS_CLAIM },
    limits: {
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxDirectives: env.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxCost: env.GRAPHQL_MAX_COST,
      introspection: env.GRAPHQL_INTROSPECTION ?? !production,
      fieldSuggestions: env.GRAPHQL_FIELD_SUGGESTIONS ?? !production,
    },
    rateLimits: {
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      perIp: env.RATE_LIMIT_PER_IP,
      perSubject: env.RATE_LIMIT_PER_SUBJECT,
      authFailuresPerIp: env.RATE_LIMIT_AUTH_FAILURES_PER_IP,
      trustProxyHops: env.TRUST_PROXY_HOPS,
      // Routers sharing a Redis share their counts, so a limit holds across instances.
      redisUrl: env.REDIS_URL,
      keyPrefix: `${env.EVENT_CHANNEL_PREFIX}ratelimit:`,
    },
    persistedOperations: env.PERSISTED_OPERATIONS_MODE !== 'off' && env.PERSISTED_OPERATIONS_PATH ? { path: env.PERSISTED_OPERATIONS_PATH, mode: env.PERSISTED_OPERATIONS_MODE } : undefined,
    http: { maxBodyBytes: env.ROUTER_MAX_BODY_BYTES, requestTimeoutMs: env.ROUTER_REQUEST_TIMEOUT_MS, headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS, socketRequestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS },
    subgraphTimeoutMs: env.ROUTER_SUBGRAPH_TIMEOUT_MS,
    developmentJwt: !env.JWT_SECRET && !env.JWKS_URL,
  };
}
