/**
 * Rebuilds every level's quantities from its movements and compares them with what is stored:
 * per level, on_hand is the sum of its AVAILABLE deltas and committed, incoming and damaged the
 * sums of theirs. A level with movements but no row, or a row whose quantities differ, is a
 * mismatch. Read-only.
 */
import { Prisma, type PrismaClient } from './generated/prisma/client';

export interface StoredQuantities {
  onHand: number;
  committed: number;
  incoming: number;
  damaged: number;
}

export interface StockMismatch {
  locationId: string;
  sku: string;
  /** Null when movements exist for a level that has no row. */
  stored: StoredQuantities | null;
  rebuilt: StoredQuantities;
}

export interface StockVerification {
  /** Levels compared: rows, plus levels only movements know. */
  levelsChecked: number;
  mismatches: StockMismatch[];
}

export interface VerifyOptions {
  locationId?: string | null;
  sku?: string | null;
}

interface Row {
  location_id: string;
  sku: string;
  has_level: boolean;
  on_hand: number;
  committed: number;
  incoming: number;
  damaged: number;
  rebuilt_on_hand: number;
  rebuilt_committed: number;
  rebuilt_incoming: number;
  rebuilt_damaged: number;
}

export async function verifyStockLevels(prisma: PrismaClient, options: VerifyOptions = {}): Promise<StockVerification> {
  const location = options.locationId ? options.locationId.toLowerCase() : null;
  const sku = options.sku ?? null;
  const where = (alias: string) => Prisma.sql`
    (${location}::uuid IS NULL OR ${Prisma.raw(alias)}.location_id = ${location}::uuid) AND (${sku}::text IS NULL OR ${Prisma.raw(alias)}.sku = ${sku}::text)`;
  const rows = await prisma.$queryRaw<Row[]>`
    WITH rebuilt AS (
      SELECT movement.location_id, movement.sku,
             COALESCE(sum(movement.delta) FILTER (WHERE movement.state = 'AVAILABLE'), 0)::int AS on_hand,
             COALESCE(sum(movement.delta) FILTER (WHERE movement.state = 'COMMITTED'), 0)::int AS committed,
             COALESCE(sum(movement.delta) FILTER (WHERE movement.state = 'INCOMING'), 0)::int AS incoming,
             COALESCE(sum(movement.delta) FILTER (WHERE movement.state = 'DAMAGED'), 0)::int AS damaged
      FROM stock_movements AS movement
      WHERE ${where('movement')}
      GROUP BY movement.location_id, movement.sku
    ), stored AS (
      SELECT level.location_id, level.sku, level.on_hand, level.committed, level.incoming, level.damaged FROM inventory_levels AS level WHERE ${where('level')}
    )
    SELECT COALESCE(stored.location_id, rebuilt.location_id)::text AS location_id, COALESCE(stored.sku, rebuilt.sku) AS sku,
           stored.location_id IS NOT NULL AS has_level,
           COALESCE(stored.on_hand, 0) AS on_hand, COALESCE(stored.committed, 0) AS committed,
           COALESCE(stored.incoming, 0) AS incoming, COALESCE(stored.damaged, 0) AS damaged,
           COALESCE(rebuilt.on_hand, 0) AS rebuilt_on_hand, COALESCE(rebuilt.committed, 0) AS rebuilt_committed,
           COALESCE(rebuilt.incoming, 0) AS rebuilt_incoming, COALESCE(rebuilt.damaged, 0) AS rebuilt_damaged
    FROM stored FULL JOIN rebuilt ON rebuilt.location_id = stored.location_id AND rebuilt.sku = stored.sku
    ORDER BY 1, 2`;
  const mismatches: StockMismatch[] = [];
  for (const row of rows) {
    const stored = { onHand: row.on_hand, committed: row.committed, incoming: row.incoming, damaged: row.damaged };
    const rebuilt = { onHand: row.rebuilt_on_hand, committed: row.rebuilt_committed, incoming: row.rebuilt_incoming, damaged: row.rebuilt_damaged };
    const differs = (Object.keys(stored) as (keyof StoredQuantities)[]).some((name) => stored[name] !== rebuilt[name]);
    if (differs) mismatches.push({ locationId: row.location_id, sku: row.sku, stored: row.has_level ? stored : null, rebuilt });
  }
  return { levelsChecked: rows.length, mismatches };
}
