import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SubgraphName } from './config';
import type { DatabaseTarget } from './db/database';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** Fresh, empty targets for the three subgraphs: in-memory PGlite, or new schemas on PostgreSQL. */
  targets(): Record<SubgraphName, DatabaseTarget>;
  /** Drops what `targets()` created. */
  cleanup(): Promise<void>;
}

/**
 * The databases integration tests run against: embedded PGlite always, PostgreSQL too when
 * DATABASE_URL is set. Each call to `targets()` gets its own schemas, so test files run in parallel.
 */
export function backends(): Backend[] {
  const list: Backend[] = [
    { name: 'pglite', targets: () => ({ inventory: { kind: 'pglite' }, sales: { kind: 'pglite' }, marketing: { kind: 'pglite' } }), cleanup: async () => {} },
  ];
  const url = process.env.DATABASE_URL;
  if (url) {
    const created: string[] = [];
    list.push({
      name: 'postgres',
      targets() {
        const prefix = `t_${randomBytes(5).toString('hex')}`;
        const target = (name: SubgraphName): DatabaseTarget => {
          created.push(`${prefix}_${name}`);
          return { kind: 'postgres', url, schema: `${prefix}_${name}`, poolSize: 10 };
        };
        return { inventory: target('inventory'), sales: target('sales'), marketing: target('marketing') };
      },
      async cleanup() {
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

/** POSTs one GraphQL operation and returns the parsed body. */
export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}
