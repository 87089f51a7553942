/**
 * A subgraph's /readyz against real dependencies: its database (PGlite, and PostgreSQL when
 * DATABASE_URL is set) and, with Redis, its event bus; and its pool on /metrics.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database';
import { RedisEventBus } from '../events/event-bus';
import { captureLogs } from '../observability/logger';
import { metricValue } from '../observability/metrics';
import { buildSubgraphServer } from '../subgraph-server';
import { backends } from '../testing';

const MIGRATIONS = fileURLToPath(new URL('../events/test-migrations', import.meta.url));
const SCHEMA = fileURLToPath(new URL('./test-fixtures/slow-subgraph.graphql', import.meta.url));

for (const backend of backends()) {
  describe(`a subgraph's readiness on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    it('is ready while its database and bus answer, and names the database when it is closed', async () => {
      const database = await openDatabase(backend.targets().inventory, MIGRATIONS);
      const bus = await backend.bus();
      const service = `ready-${backend.name}`;
      const server = await buildSubgraphServer({ name: service, schemaPath: SCHEMA, resolvers: {}, createContext: () => ({}), database, bus });
      const base = (await server.listen(0)).replace('/graphql', '');
      const readyz = async () => {
        const response = await fetch(`${base}/readyz`);
        return { status: response.status, body: await response.json() };
      };
      const checks = bus.kind === 'redis' ? { database: { status: 'ok' }, redis: { status: 'ok' } } : { database: { status: 'ok' } };
      expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', service, checks } });

      if (database.target.kind === 'postgres') {
        const metrics = await (await fetch(`${base}/metrics`)).text();
        expect(metrics).toMatch(new RegExp(`joinery_db_pool_max_connections\\{service="${service}"\\} 10`));
        expect(await metricValue('joinery_db_pool_connections', { service })).toBeGreaterThanOrEqual(1);
      } else {
        expect(await metricValue('joinery_db_pool_max_connections', { service })).toBe(0);
      }

      const logs = captureLogs();
      await database.close();
      // Past the one-second cache.
      await expect.poll(readyz, { timeout: 15_000, interval: 200 }).toEqual({ status: 503, body: { status: 'not ready', service, checks: { ...checks, database: { status: 'failed', reason: expect.any(String) } } } });
      logs.restore();
      expect(logs.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'readiness check failed', check: 'database' }));
      await server.stop();
    });

    it.runIf(backend.name === 'postgres' && process.env.REDIS_URL)('names Redis when the bus no longer answers', async () => {
      const database = await openDatabase(backend.targets().sales, MIGRATIONS);
      // A bus of its own: the backend's cleanup purges its buses, which needs them open.
      const bus = await RedisEventBus.connect({ url: process.env.REDIS_URL!, channelPrefix: `test:${randomBytes(5).toString('hex')}:` });
      const server = await buildSubgraphServer({ name: 'redis-ready', schemaPath: SCHEMA, resolvers: {}, createContext: () => ({}), database, bus });
      const base = (await server.listen(0)).replace('/graphql', '');
      const logs = captureLogs();
      await bus.close();
      const response = await fetch(`${base}/readyz`);
      logs.restore();
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'not ready', service: 'redis-ready', checks: { database: { status: 'ok' }, redis: { status: 'failed', reason: expect.any(String) } } });
      await server.stop();
      await database.close();
    });
  });
}
