/**
 * The one write path for changes that touch several quantities or levels (transfers, returns,
 * sales, counts, state changes): lock the levels, let the caller check them, then update the
 * levels, append one movement per quantity changed and record the events, all in the caller's
 * transaction.
 */
import { Prisma, type InventoryState, type StockMovementReason } from './generated/prisma/client';
import { DomainError } from '@joinery/core';
import { availableOf, recordStockEvents, type LevelChange, type Quantities } from './stock-events';
import { MAX_LEVEL, tooMuch } from './stock-rules';

type Tx = Prisma.TransactionClient;

export interface LevelKey {
  locationId: string;
  sku: string;
}

export interface LockedLevel extends Quantities {
  locationId: string;
  sku: string;
}

/** One quantity of a level changing by `delta`. */
export interface Move {
  state: InventoryState;
  delta: number;
  reason: StockMovementReason;
}

export interface LevelChangeRequest extends LevelKey {
  /** In the order the movements are written; a zero delta writes nothing. */
  moves: Move[];
  /** The movement a `stock_changed` event points at. Default: the first move's state. */
  main?: InventoryState;
  reference: string | null;
  /** A new reorder point, if it changes too. */
  reorderPoint?: number | null;
  /** The input field named when the change would overfill the level. Default ['input']. */
  field?: string[];
}

export interface AppliedChange extends LevelKey {
  before: Quantities;
  after: Quantities;
  /** The main movement's id; null when nothing moved. */
  movementId: string | null;
}

const COLUMN: Record<InventoryState, keyof Omit<Quantities, 'reorderPoint'>> = {
  AVAILABLE: 'onHand',
  COMMITTED: 'committed',
  INCOMING: 'incoming',
  DAMAGED: 'damaged',
};

const NAME: Record<InventoryState, string> = { AVAILABLE: 'on hand', COMMITTED: 'committed', INCOMING: 'incoming', DAMAGED: 'damaged' };

export const levelKey = (key: LevelKey) => `${key.locationId.toLowerCase()}|${key.sku}`;

/**
 * Locks the levels (creating missing ones first when `create`) in one fixed order, so that
 * concurrent changes of overlapping levels cannot deadlock. A missing level is absent from the map.
 */
export async function lockLevels(tx: Tx, keys: LevelKey[], { create = false } = {}): Promise<Map<string, LockedLevel>> {
  const locations = keys.map((key) => key.locationId.toLowerCase());
  const skus = keys.map((key) => key.sku);
  // The table lock the UPDATE will need, before any row lock: a price change's SHARE lock
  // (stock_value_rollups_products, migration 0005) queues every writer that still lacks it, and one
  // queued while holding level rows deadlocks with a writer in flight that wants those rows.
  await tx.$executeRaw`LOCK TABLE inventory_levels IN ROW EXCLUSIVE MODE`;
  if (create && keys.length) {
    await tx.$executeRaw`
      INSERT INTO inventory_levels (location_id, sku, on_hand)
      SELECT wanted.location_id, wanted.sku, 0 FROM unnest(${locations}::uuid[], ${skus}::text[]) AS wanted(location_id, sku)
      ORDER BY wanted.location_id, wanted.sku
      ON CONFLICT DO NOTHING`;
  }
  const rows = await tx.$queryRaw<{ location_id: string; sku: string; on_hand: number; committed: number; incoming: number; damaged: number; reorder_point: number }[]>`
    SELECT level.location_id::text AS location_id, level.sku, level.on_hand, level.committed, level.incoming, level.damaged, level.reorder_point
    FROM inventory_levels AS level
    JOIN unnest(${locations}::uuid[], ${skus}::text[]) AS wanted(location_id, sku) ON level.location_id = wanted.location_id AND level.sku = wanted.sku
    ORDER BY level.location_id, level.sku
    FOR UPDATE OF level`;
  return new Map(rows.map((row) => [levelKey({ locationId: row.location_id, sku: row.sku }), {
    locationId: row.location_id, sku: row.sku, onHand: row.on_hand, committed: row.committed, incoming: row.incoming, damaged: row.damaged, reorderPoint: row.reorder_point,
  }]));
}

/**
 * Applies changes to levels `lockLevels` locked in this transaction: one UPDATE, one INSERT of
 * movements, one INSERT of events. Callers check first and name what is wrong; a change that would
 * still take a quantity or available stock below zero is a bug, and the database's CHECKs refuse it.
 * A change that would take a quantity past MAX_LEVEL is refused here with BAD_USER_INPUT.
 */
export async function applyLevelChanges(tx: Tx, locked: Map<string, LockedLevel>, changes: LevelChangeRequest[], actor: string): Promise<AppliedChange[]> {
  const movements: { locationId: string; sku: string; state: InventoryState; delta: number; quantityAfter: number; reason: StockMovementReason; reference: string | null; change: number; main: boolean }[] = [];
  const applied: (AppliedChange & { reason: StockMovementReason; state: InventoryState; reference: string | null })[] = [];
  changes.forEach((change, index) => {
    const level = locked.get(levelKey(change));
    if (!level) throw new Error(`Level of sku ${change.sku} at location ${change.locationId} was not locked before it was changed`);
    const before: Quantities = { onHand: level.onHand, committed: level.committed, incoming: level.incoming, damaged: level.damaged, reorderPoint: level.reorderPoint };
    const written = change.moves.filter((move) => move.delta !== 0);
    // The main movement: the first of the wanted state, else the first written.
    const main = written.find((move) => move.state === (change.main ?? written[0]?.state)) ?? written[0];
    for (const move of written) {
      level[COLUMN[move.state]] += move.delta;
      movements.push({ locationId: level.locationId, sku: level.sku, state: move.state, delta: move.delta, quantityAfter: level[COLUMN[move.state]], reason: move.reason, reference: change.reference, change: index, main: move === main });
    }
    if (change.reorderPoint != null) level.reorderPoint = change.reorderPoint;
    const after: Quantities = { onHand: level.onHand, committed: level.committed, incoming: level.incoming, damaged: level.damaged, reorderPoint: level.reorderPoint };
    const overfull = written.find((move) => level[COLUMN[move.state]] > MAX_LEVEL);
    if (overfull) throw new DomainError(tooMuch(change.field ?? ['input'], change.sku, level.locationId, NAME[overfull.state], level[COLUMN[overfull.state]]));
    if (availableOf(after) < 0 || after.committed < 0 || after.incoming < 0 || after.damaged < 0) {
      throw new Error(`Change of sku ${change.sku} at location ${change.locationId} would leave ${JSON.stringify(after)}; it should have been refused`);
    }
    applied.push({ locationId: level.locationId, sku: level.sku, before, after, movementId: null, reason: main?.reason ?? 'OTHER', state: main?.state ?? 'AVAILABLE', reference: change.reference });
  });
  if (!applied.length) return [];

  const touched = [...new Map(applied.map((change) => [levelKey(change), locked.get(levelKey(change))!])).values()];
  await tx.$executeRaw`
    UPDATE inventory_levels AS level
    SET on_hand = wanted.on_hand, committed = wanted.committed, incoming = wanted.incoming, damaged = wanted.damaged, reorder_point = wanted.reorder_point, updated_at = now()
    FROM unnest(${touched.map((l) => l.locationId)}::uuid[], ${touched.map((l) => l.sku)}::text[], ${touched.map((l) => l.onHand)}::int[],
                ${touched.map((l) => l.committed)}::int[], ${touched.map((l) => l.incoming)}::int[], ${touched.map((l) => l.damaged)}::int[],
                ${touched.map((l) => l.reorderPoint)}::int[])
      AS wanted(location_id, sku, on_hand, committed, incoming, damaged, reorder_point)
    WHERE level.location_id = wanted.location_id AND level.sku = wanted.sku`;

  if (movements.length) {
    // Ids come from the sequence in the order the rows are inserted, which ORDER BY fixes.
    const inserted = await tx.$queryRaw<{ id: bigint }[]>`
      INSERT INTO stock_movements (location_id, sku, delta, quantity_after, reason, reference, state, actor)
      SELECT m.location_id, m.sku, m.delta, m.quantity_after, m.reason, m.reference, m.state, ${actor}
      FROM unnest(${movements.map((m) => m.locationId)}::uuid[], ${movements.map((m) => m.sku)}::text[], ${movements.map((m) => m.delta)}::int[],
                  ${movements.map((m) => m.quantityAfter)}::int[], ${movements.map((m) => m.reason)}::text[]::stock_movement_reason[],
                  ${movements.map((m) => m.reference)}::text[], ${movements.map((m) => m.state)}::text[]::inventory_state[])
        WITH ORDINALITY AS m(location_id, sku, delta, quantity_after, reason, reference, state, position)
      ORDER BY m.position
      RETURNING id`;
    const ids = inserted.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    movements.forEach((movement, position) => {
      if (movement.main) applied[movement.change].movementId = String(ids[position]);
    });
  }
  const events: LevelChange[] = applied.map((change) => ({
    locationId: change.locationId, sku: change.sku, movementId: change.movementId, state: change.state, reason: change.reason,
    reference: change.reference, actor, before: change.before, after: change.after,
  }));
  await recordStockEvents(tx, events);
  return applied.map(({ locationId, sku, before, after, movementId }) => ({ locationId, sku, before, after, movementId }));
}
