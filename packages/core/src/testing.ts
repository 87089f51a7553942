import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';
import type { Identity, Role } from './auth/identity';
import { IDENTITY_HEADER, internalAuth } from './auth/internal-token';
import { signUserToken } from './auth/user-token';
import type { SubgraphName } from './config';
import type { Database, DatabaseTarget } from './db/database';
import { InProcessEventBus, RedisEventBus, type EventBus } from './events/event-bus';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** Fresh, empty targets for the three subgraphs and the router's audit log: in-memory PGlite, or new schemas on PostgreSQL. */
  targets(): Record<SubgraphName | 'audit', DatabaseTarget>;
  /**
   * A bus for events: in-process with PGlite; with PostgreSQL, Redis when REDIS_URL is set (on
   * channels of its own), as a deployment on real services would run.
   */
  bus(): Promise<EventBus>;
  /** Drops what `targets()` created and closes what `bus()` opened. */
  cleanup(): Promise<void>;
}

/**
 * The databases integration tests run against: embedded PGlite always, PostgreSQL too when
 * DATABASE_URL is set. Each call to `targets()` gets its own schemas, so test files run in parallel.
 */
export function backends(): Backend[] {
  const list: Backend[] = [
    {
      name: 'pglite',
      targets: () => ({ inventory: { kind: 'pglite' }, sales: { kind: 'pglite' }, marketing: { kind: 'pglite' }, audit: { kind: 'pglite' } }),
      bus: async () => new InProcessEventBus(),
      cleanup: async () => {},
    },
  ];
  const url = process.env.DATABASE_URL;
  if (url) {
    const created: string[] = [];
    const buses: EventBus[] = [];
    list.push({
      async bus() {
        const redisUrl = process.env.REDIS_URL;
        const bus = redisUrl ? await RedisEventBus.connect({ url: redisUrl, channelPrefix: `test:${randomBytes(5).toString('hex')}:` }) : new InProcessEventBus();
        buses.push(bus);
        return bus;
      },
      name: 'postgres',
      targets() {
        const prefix = `t_${randomBytes(5).toString('hex')}`;
        const target = (name: SubgraphName | 'audit'): DatabaseTarget => {
          created.push(`${prefix}_${name}`);
          return { kind: 'postgres', url, schema: `${prefix}_${name}`, poolSize: 10 };
        };
        return { inventory: target('inventory'), sales: target('sales'), marketing: target('marketing'), audit: target('audit') };
      },
      async cleanup() {
        // Streams outlive their clients: each test bus's keys go with it.
        await Promise.all(buses.map((bus) => (bus instanceof RedisEventBus ? bus.purge() : 0)));
        await Promise.all(buses.splice(0).map((bus) => bus.close()));
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          for (const schema of created.splice(0)) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      },
    });
  }
  return list;
}

/** Who a test request acts for. Default: an admin over every location. */
export interface TestCaller {
  role: Role;
  /** Default every location (`['*']`). */
  locations?: string[];
  /** Default `test-<role>`. */
  subject?: string;
}

export const TEST_ADMIN: TestCaller = { role: 'admin', locations: ['*'], subject: 'test-admin' };

/**
 * Headers that authenticate `caller` wherever a test sends them: a bearer token signed with the
 * development JWT secret (for the router) and a signed joinery-identity (for a subgraph, which
 * only the router may call). The router never forwards a client's joinery-identity.
 */
export async function authHeaders(caller: TestCaller = TEST_ADMIN): Promise<Record<string, string>> {
  const locations = caller.locations ?? ['*'];
  const subject = caller.subject ?? `test-${caller.role}`;
  const identity: Identity = { subject, role: caller.role, locations: locations.includes('*') ? '*' : locations, actor: subject };
  const [bearer, internal] = await Promise.all([signUserToken({ subject, role: caller.role, locations }), internalAuth().sign(identity)]);
  return { authorization: `Bearer ${bearer}`, [IDENTITY_HEADER]: internal };
}

/** POSTs one operation and returns its data, failing the test on any GraphQL error. */
export async function expectData(url: string, query: string, variables?: Record<string, unknown>, caller?: TestCaller): Promise<any> {
  const result = await gql(url, query, variables, caller);
  expect(result.errors).toBeUndefined();
  return result.data;
}

/** Creates an Oslo store through `url` and returns its id. */
export async function createTestLocation(url: string, code: string, name = `Store ${code}`): Promise<string> {
  const data = await expectData(url, `mutation($input: CreateLocationInput!) { createLocation(input: $input) { location { id } userErrors { message } } }`, {
    input: { code, name, kind: 'STORE', timezone: 'Europe/Oslo', address: { line1: 'Storgata 1', city: 'Oslo', region: 'Nordics', postalCode: '0155', country: 'NO' } },
  });
  expect(data.createLocation.userErrors).toEqual([]);
  return data.createLocation.location.id;
}

/** POSTs one GraphQL operation as `caller` (default an admin) and returns the parsed body. */
export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>, caller?: TestCaller): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders(caller)) }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/**
 * Holds one inventory level's row lock on a connection of its own while `start` sends requests, and
 * lets go once `waiters` sessions queue behind it (directly or behind one another): those requests
 * are then certain to have read everything they read before locking. PostgreSQL only; PGlite runs
 * one transaction at a time.
 */
export async function withLevelLocked<T>(database: Database, level: { locationId: string; sku: string }, waiters: number, start: () => Promise<T>): Promise<T> {
  return database.withConnection(async (holder) => {
    await holder.query('BEGIN');
    try {
      await holder.query('SELECT on_hand FROM inventory_levels WHERE location_id = $1 AND sku = $2 FOR UPDATE', [level.locationId, level.sku]);
      const { rows } = await holder.query('SELECT pg_backend_pid() AS pid');
      const running = start();
      running.catch(() => {});
      await database.withConnection(async (watcher) => {
        for (let poll = 0; ; poll += 1) {
          const blocked = await watcher.query(
            `WITH RECURSIVE queue(pid) AS (SELECT $1::int UNION SELECT activity.pid FROM pg_stat_activity AS activity JOIN queue ON queue.pid = ANY(pg_blocking_pids(activity.pid)))
             SELECT count(*)::int - 1 AS n FROM queue`,
            [rows[0].pid],
          );
          if (Number(blocked.rows[0].n) >= waiters) return;
          if (poll > 1_000) throw new Error(`only ${blocked.rows[0].n} of ${waiters} requests queued behind the row lock`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      });
      await holder.query('COMMIT');
      return await running;
    } catch (error) {
      await holder.query('ROLLBACK');
      throw error;
    }
  });
}
