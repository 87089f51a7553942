import { describe, expect, it } from 'vitest';
import { ConfigError, databaseTarget, loadEnv, shouldSeed, subgraphUrl } from './config';

describe('configuration', () => {
  it('defaults to embedded PGlite with demo data and the standard ports', () => {
    const env = loadEnv({});
    expect(env.ROUTER_PORT).toBe(4000);
    expect(subgraphUrl(env, 'sales')).toBe('http://127.0.0.1:4002/graphql');
    const target = databaseTarget(env, 'inventory');
    expect(target).toMatchObject({ kind: 'pglite' });
    expect(shouldSeed(env, target)).toBe(true);
  });

  it('puts each subgraph in its own schema on PostgreSQL, with per-subgraph overrides', () => {
    const env = loadEnv({ DATABASE_URL: 'postgresql://db/brand', SALES_DATABASE_URL: 'postgres://sales-db/sales' });
    expect(databaseTarget(env, 'inventory')).toMatchObject({ kind: 'postgres', url: 'postgresql://db/brand', schema: 'inventory' });
    expect(databaseTarget(env, 'sales')).toMatchObject({ url: 'postgres://sales-db/sales', schema: 'sales' });
    expect(shouldSeed(env, databaseTarget(env, 'sales'))).toBe(false);
  });

  it('stops with a message naming each bad variable and what it expects', () => {
    let error: unknown;
    try {
      loadEnv({ ROUTER_PORT: 'eighty', DATABASE_URL: 'mysql://db', SEED_DEMO_DATA: 'maybe' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/ROUTER_PORT: .*"eighty"/);
    expect(message).toMatch(/DATABASE_URL: must start with postgres/);
    expect(message).toMatch(/SEED_DEMO_DATA/);
  });
});
