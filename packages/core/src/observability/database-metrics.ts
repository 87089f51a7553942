import type { Database, PoolStats } from '../db/database';
import { sourcedGauge, type SourcedGauge } from './metrics';

const gauges: [SourcedGauge<'service'>, keyof PoolStats][] = [
  [sourcedGauge('joinery_db_pool_connections', "Connections open in the service's PostgreSQL pool, idle or in use", ['service']), 'total'],
  [sourcedGauge('joinery_db_pool_idle_connections', "Idle connections in the service's PostgreSQL pool", ['service']), 'idle'],
  [sourcedGauge('joinery_db_pool_waiting_requests', 'Queries waiting for a pool connection because all are in use', ['service']), 'waiting'],
  [sourcedGauge('joinery_db_pool_max_connections', "The pool's size (the most connections it opens)", ['service']), 'max'],
];

/**
 * Reports `service`'s pool at every scrape until the returned function is called. PGlite has no
 * pool (one embedded connection): it reports no series.
 */
export function trackDatabasePool(service: string, database: Pick<Database, 'poolStats'>): () => void {
  const untrack = gauges.map(([gauge, field]) =>
    gauge.track(() => {
      const stats = database.poolStats();
      return stats ? [[{ service }, stats[field]]] : [];
    }),
  );
  return () => untrack.forEach((stop) => stop());
}
