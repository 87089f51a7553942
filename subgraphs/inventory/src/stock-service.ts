import { connection, DomainError, uuidv7, InputErrors, isString, isUuid, readPage, userError, type PageArgs, type UserError } from '@joinery/core';
import { Prisma, type InventoryLevel, type InventoryState, type PrismaClient, type StockMovement, type StockMovementReason } from './generated/prisma/client';
import { inTransaction, isForeignKeyViolation, runIdempotent, unlessDefault } from './idempotency';
import type { Loaders } from './loaders';
import type { LowStockAlertModel, StockChangeModel } from './models';
import { availableOf, LOW_STOCK, STOCK_CHANGED } from './stock-events';
import { applyLevelChanges, levelKey, lockLevels } from './stock-ledger';
import { bySku, canonicalReference, checkClientReason, checkLines, checkReferenceAndKey, insufficient, MAX_LEVEL, MAX_QUANTITY, requireLocation, requireLocationAndProduct, tooMuch } from './stock-rules';

type Tx = Prisma.TransactionClient;

export interface AdjustInventoryInput {
  locationId: string;
  sku: string;
  delta: number;
  /** AVAILABLE (default) or DAMAGED. */
  state?: InventoryState | null;
  reason: StockMovementReason;
  reference?: string | null;
  idempotencyKey?: string | null;
}

export interface SetInventoryInput {
  locationId: string;
  sku: string;
  quantity: number;
  compareQuantity?: number | null;
  reason?: StockMovementReason | null;
  reference?: string | null;
  reorderPoint?: number | null;
  idempotencyKey?: string | null;
}

export interface ChangeInventoryStateInput {
  locationId: string;
  sku: string;
  quantity: number;
  from: InventoryState;
  to: InventoryState;
  reason?: StockMovementReason | null;
  reference?: string | null;
  idempotencyKey?: string | null;
}

export interface AllocateSaleStockInput {
  orderId: string;
  locationId: string;
  lines: { sku: string; quantity: number }[];
}

/** What an idempotency key remembers of a stock change. */
interface StockChangeRecord {
  locationId: string;
  sku: string;
  movementId: string | null;
}

export interface StockChange {
  level: InventoryLevel | null;
  movement: StockMovement | null;
}

/** Stock per location: adjustments, counts, state changes and sales, each in one transaction. */
export class StockService {
  constructor(private readonly prisma: PrismaClient, private readonly loaders: Loaders, private readonly actor: string) {}

  /** A page of one location's levels; pages asked for many locations in one request share one query. */
  async levelsAtLocation(locationId: string, args: PageArgs, belowReorderPoint: boolean) {
    const page = readPage(args, isString);
    if (!isUuid(locationId)) return connection([], page, (row: InventoryLevel) => row.sku, async () => 0);
    const rows = await this.loaders.levelPage.load({ locationId, take: page.take, after: page.after, belowReorderPoint });
    return connection(rows, page, (row) => row.sku, () => this.loaders.levelCount.load({ locationId, belowReorderPoint }));
  }

  levelsOfProduct(sku: string): Promise<InventoryLevel[]> {
    return this.loaders.levelsBySku.load(sku);
  }

  /** A recorded stock change by event id; null for an unknown id or an id of another event type. */
  async recordedChange(id: string): Promise<StockChangeModel | null> {
    return (await this.loaders.event.load(`${STOCK_CHANGED}|${id.toLowerCase()}`)) as StockChangeModel | null;
  }

  async recordedLowStockAlert(id: string): Promise<LowStockAlertModel | null> {
    return (await this.loaders.event.load(`${LOW_STOCK}|${id.toLowerCase()}`)) as LowStockAlertModel | null;
  }

  async movement(id: string): Promise<StockMovement | null> {
    return this.loaders.movement.load(id);
  }

  async adjust(input: AdjustInventoryInput): Promise<StockChange> {
    const errors = new InputErrors();
    if (input.delta === 0) errors.add(['input', 'delta'], 'delta must not be zero');
    errors.integer(['input', 'delta'], Math.abs(input.delta), { max: MAX_QUANTITY });
    const state = input.state ?? 'AVAILABLE';
    if (state !== 'AVAILABLE' && state !== 'DAMAGED') errors.add(['input', 'state'], `state ${state} cannot be adjusted: use AVAILABLE or DAMAGED (committed and incoming stock move with transfers)`);
    checkClientReason(errors, input.reason);
    checkReferenceAndKey(errors, input);
    errors.throwIfAny();
    const adjustment: Adjustment = { ...input, locationId: input.locationId.toLowerCase(), state: state as Adjustment['state'], reference: canonicalReference(input.reference) };
    if (!input.idempotencyKey) return this.adjustAtOnce(adjustment);
    // Checked first: inside the transaction, the lookups' own queries would wait for it (PGlite has one connection).
    await requireLocationAndProduct(this.loaders, input.locationId, input.sku);
    // AVAILABLE left out: keys recorded before states existed were hashed without it.
    const request = { locationId: adjustment.locationId, sku: input.sku, delta: input.delta, state: unlessDefault(state, 'AVAILABLE'), reason: input.reason, reference: adjustment.reference };
    const record = await runIdempotent(this.prisma, 'adjustInventory', input.idempotencyKey, request, async (tx): Promise<StockChangeRecord> => {
      const change = await applyAdjustment(tx, adjustment, this.actor);
      if (!change) throw await refusalNow(tx, adjustment);
      return { locationId: change.level.locationId, sku: input.sku, movementId: String(change.movement.id) };
    });
    return this.loadChange(record);
  }

  /** Without an idempotency key: one statement, with location and product looked up only to name what was wrong. */
  private async adjustAtOnce(input: Adjustment): Promise<StockChange> {
    if (!isUuid(input.locationId)) await requireLocationAndProduct(this.loaders, input.locationId, input.sku);
    let change: Awaited<ReturnType<typeof applyAdjustment>>;
    try {
      change = await applyAdjustment(this.prisma, input, this.actor);
    } catch (error) {
      if (isForeignKeyViolation(error)) await requireLocationAndProduct(this.loaders, input.locationId, input.sku);
      throw error;
    }
    if (!change) {
      await requireLocationAndProduct(this.loaders, input.locationId, input.sku);
      throw await refusalNow(this.prisma, input);
    }
    return change;
  }

  async set(input: SetInventoryInput): Promise<StockChange> {
    const errors = new InputErrors();
    errors.integer(['input', 'quantity'], input.quantity, { min: 0, max: MAX_QUANTITY });
    if (input.compareQuantity != null) errors.integer(['input', 'compareQuantity'], input.compareQuantity, { min: 0 });
    if (input.reorderPoint != null) errors.integer(['input', 'reorderPoint'], input.reorderPoint, { min: 0, max: MAX_QUANTITY });
    checkClientReason(errors, input.reason);
    checkReferenceAndKey(errors, input);
    errors.throwIfAny();
    await requireLocationAndProduct(this.loaders, input.locationId, input.sku);
    const locationId = input.locationId.toLowerCase();
    const reference = canonicalReference(input.reference) ?? null;
    const request = { locationId, sku: input.sku, quantity: input.quantity, compareQuantity: input.compareQuantity, reason: unlessDefault(input.reason, 'RECOUNT'), reference, reorderPoint: input.reorderPoint };

    const record = await runIdempotent(this.prisma, 'setInventory', input.idempotencyKey, request, async (tx): Promise<StockChangeRecord> => {
      const locked = await lockLevels(tx, [input], { create: true });
      const level = locked.get(levelKey(input))!;
      if (input.compareQuantity != null && input.compareQuantity !== level.onHand) {
        throw new DomainError(userError('CONFLICT', `compareQuantity ${input.compareQuantity} does not match the on-hand quantity ${level.onHand} of sku ${input.sku} at location ${input.locationId}; read it again and retry`, ['input', 'compareQuantity']));
      }
      if (input.quantity < level.committed + level.damaged) {
        throw new DomainError(userError('INSUFFICIENT_STOCK', `Not enough stock for sku ${input.sku} at location ${input.locationId}: quantity ${input.quantity} is below the committed ${level.committed} plus damaged ${level.damaged}`, ['input', 'quantity']));
      }
      const [applied] = await applyLevelChanges(tx, locked, [{
        locationId, sku: input.sku, reference, reorderPoint: input.reorderPoint,
        moves: [{ state: 'AVAILABLE', delta: input.quantity - level.onHand, reason: input.reason ?? 'RECOUNT' }],
      }], this.actor);
      return { locationId, sku: input.sku, movementId: applied.movementId };
    });
    return this.loadChange(record);
  }

  /** AVAILABLE to DAMAGED or back: on-hand stays, available moves the other way. */
  async changeState(input: ChangeInventoryStateInput): Promise<StockChange> {
    const errors = new InputErrors();
    errors.integer(['input', 'quantity'], input.quantity, { min: 1, max: MAX_QUANTITY });
    const movable: InventoryState[] = ['AVAILABLE', 'DAMAGED'];
    if (!movable.includes(input.from)) errors.add(['input', 'from'], `cannot move stock from ${input.from}: only AVAILABLE and DAMAGED stock moves between states (committed and incoming stock move with transfers)`);
    else if (!movable.includes(input.to) || input.to === input.from) errors.add(['input', 'to'], `cannot move stock from ${input.from} to ${input.to}: allowed are AVAILABLE to DAMAGED and DAMAGED to AVAILABLE`);
    checkClientReason(errors, input.reason);
    checkReferenceAndKey(errors, input);
    errors.throwIfAny();
    await requireLocationAndProduct(this.loaders, input.locationId, input.sku);

    const toDamaged = input.to === 'DAMAGED';
    const locationId = input.locationId.toLowerCase();
    const reference = canonicalReference(input.reference) ?? null;
    const defaultReason = toDamaged ? 'DAMAGED' : 'CORRECTION';
    const request = { locationId, sku: input.sku, quantity: input.quantity, from: input.from, to: input.to, reason: unlessDefault(input.reason, defaultReason), reference };
    const record = await runIdempotent(this.prisma, 'changeInventoryState', input.idempotencyKey, request, async (tx): Promise<StockChangeRecord> => {
      const locked = await lockLevels(tx, [input]);
      const level = locked.get(levelKey(input));
      const has = level ? (toDamaged ? availableOf(level) : level.damaged) : 0;
      if (has < input.quantity) {
        throw new DomainError(insufficient(['input', 'quantity'], input.sku, input.locationId, input.quantity, has, toDamaged ? 'available stock' : 'damaged stock'));
      }
      const [applied] = await applyLevelChanges(tx, locked, [{
        locationId, sku: input.sku, reference,
        moves: [{ state: 'DAMAGED', delta: toDamaged ? input.quantity : -input.quantity, reason: input.reason ?? defaultReason }],
      }], this.actor);
      return { locationId, sku: input.sku, movementId: applied.movementId };
    });
    return this.loadChange(record);
  }

  /**
   * Takes a sales order's available stock: every line or none, and once per order id whatever the
   * retries. Rows are locked in one order so concurrent sales and transfers cannot deadlock.
   */
  async allocateSale(input: AllocateSaleStockInput): Promise<{ lines: number }> {
    const errors = new InputErrors();
    if (!isUuid(input.orderId)) errors.add(['input', 'orderId'], `orderId ${JSON.stringify(input.orderId)} is not a UUID`);
    checkLines(errors, input.lines, 'sale');
    errors.throwIfAny();
    await requireLocation(this.loaders, input.locationId, ['input', 'locationId']);

    const orderId = input.orderId.toLowerCase();
    const locationId = input.locationId.toLowerCase();
    const lines = [...input.lines].sort(bySku).map(({ sku, quantity }) => ({ sku, quantity }));

    return inTransaction(this.prisma, async (tx) => {
      // Claim the order first: a repeat call for the same order blocks on this row until the
      // first commits (then finds it claimed) or rolls back (then takes its place).
      const claimed = await tx.$queryRaw<{ order_id: string }[]>`
        INSERT INTO sale_allocations (order_id, location_id, lines)
        VALUES (${orderId}::uuid, ${locationId}::uuid, ${JSON.stringify(lines)}::jsonb)
        ON CONFLICT (order_id) DO NOTHING RETURNING order_id`;
      if (!claimed.length) {
        // Rows claimed before lines were stored sorted hold them as sent: compared in SKU order.
        const [seen] = await tx.$queryRaw<{ same: boolean }[]>`
          SELECT location_id = ${locationId}::uuid
             AND (SELECT jsonb_agg(jsonb_build_object('sku', line->>'sku', 'quantity', (line->>'quantity')::int) ORDER BY line->>'sku' COLLATE "C") FROM jsonb_array_elements(lines) AS line)
                 = ${JSON.stringify(lines)}::jsonb AS same
          FROM sale_allocations WHERE order_id = ${orderId}::uuid`;
        if (!seen.same) throw new DomainError(userError('CONFLICT', `Order ${orderId} was already allocated with another location or other lines`, ['input', 'orderId']));
        return { lines: lines.length };
      }

      const skus = input.lines.map((line) => line.sku);
      const known = new Set((await tx.$queryRaw<{ sku: string }[]>`SELECT sku FROM products WHERE sku = ANY(${skus}::text[])`).map((row) => row.sku));
      const locked = await lockLevels(tx, input.lines.map((line) => ({ locationId: input.locationId, sku: line.sku })));
      const problems: UserError[] = [];
      input.lines.forEach((line, index) => {
        const field = ['input', 'lines', String(index)];
        const level = locked.get(levelKey({ locationId: input.locationId, sku: line.sku }));
        const available = level ? availableOf(level) : 0;
        if (!known.has(line.sku)) problems.push(userError('NOT_FOUND', `No product with sku ${line.sku}`, [...field, 'sku']));
        else if (available < line.quantity) problems.push(insufficient([...field, 'quantity'], line.sku, input.locationId, line.quantity, available));
      });
      if (problems.length) throw new DomainError(problems);

      await applyLevelChanges(tx, locked, lines.map((line) => ({
        locationId, sku: line.sku, reference: orderId, moves: [{ state: 'AVAILABLE' as const, delta: -line.quantity, reason: 'SALE' as const }],
      })), this.actor);
      return { lines: input.lines.length };
    });
  }

  private async loadChange(record: StockChangeRecord): Promise<StockChange> {
    const [level, movement] = await Promise.all([
      this.prisma.inventoryLevel.findUnique({ where: { locationId_sku: { locationId: record.locationId, sku: record.sku } } }),
      record.movementId ? this.prisma.stockMovement.findUnique({ where: { id: BigInt(record.movementId) } }) : null,
    ]);
    return { level, movement };
  }
}

type Adjustment = AdjustInventoryInput & { state: 'AVAILABLE' | 'DAMAGED' };

/**
 * An adjustment in one statement: the level, its movements and its events (the same as
 * `stockEvents` records) change together or not at all. A DAMAGED adjustment moves on-hand and
 * damaged together, so it writes two movements (AVAILABLE, then DAMAGED, the main one). Null when
 * there is nothing to change: available (or damaged) stock would go below zero, on-hand (or
 * damaged) above MAX_LEVEL, or the level does not exist and `delta` is negative. An unknown location or product fails the statement with a
 * foreign-key violation.
 */
async function applyAdjustment(db: PrismaClient | Tx, input: Adjustment, actor: string): Promise<{ level: InventoryLevel; movement: StockMovement } | null> {
  const { sku, delta, reason, state } = input;
  const reference = input.reference ?? null;
  // Canonical case, as stockEvents writes it: events are matched and loaded by this text.
  const locationId = input.locationId.toLowerCase();
  const damagedDelta = state === 'DAMAGED' ? delta : 0;
  const availableDelta = state === 'AVAILABLE' ? delta : 0;
  const states = state === 'DAMAGED' ? ['AVAILABLE', 'DAMAGED'] : ['AVAILABLE'];
  const enough = state === 'DAMAGED'
    ? Prisma.sql`level.damaged + ${delta} >= 0`
    : Prisma.sql`level.on_hand - level.committed - level.damaged + ${delta} >= 0`;
  const changed = delta > 0
    ? Prisma.sql`INSERT INTO inventory_levels AS level (location_id, sku, on_hand, damaged) VALUES (${locationId}::uuid, ${sku}, ${delta}, ${damagedDelta})
        ON CONFLICT (location_id, sku) DO UPDATE SET on_hand = level.on_hand + EXCLUDED.on_hand, damaged = level.damaged + EXCLUDED.damaged, updated_at = now()
        WHERE level.on_hand::bigint + EXCLUDED.on_hand <= ${MAX_LEVEL} AND level.damaged::bigint + EXCLUDED.damaged <= ${MAX_LEVEL}
        RETURNING level.location_id, level.sku, level.on_hand, level.committed, level.incoming, level.damaged, level.reorder_point, level.updated_at`
    : Prisma.sql`UPDATE inventory_levels AS level SET on_hand = level.on_hand + ${delta}, damaged = level.damaged + ${damagedDelta}, updated_at = now()
        WHERE level.location_id = ${locationId}::uuid AND level.sku = ${sku} AND ${enough}
        RETURNING level.location_id, level.sku, level.on_hand, level.committed, level.incoming, level.damaged, level.reorder_point, level.updated_at`;
  const rows = await db.$queryRaw<{ on_hand: number; committed: number; incoming: number; damaged: number; reorder_point: number; updated_at: Date; movement_id: bigint; quantity_after: number; occurred_at: Date }[]>`
        WITH changed AS (${changed}),
        moved AS (
          INSERT INTO stock_movements (location_id, sku, delta, quantity_after, reason, reference, state, actor)
          SELECT changed.location_id, changed.sku, ${delta}, CASE WHEN wanted.state = 'DAMAGED' THEN changed.damaged ELSE changed.on_hand END,
                 ${reason}::stock_movement_reason, ${reference}, wanted.state, ${actor}
          FROM changed, unnest(${states}::text[]::inventory_state[]) WITH ORDINALITY AS wanted(state, position)
          ORDER BY wanted.position
          RETURNING id, state, quantity_after, occurred_at
        ),
        main AS (SELECT * FROM moved WHERE state = ${state}::inventory_state),
        levels AS (
          SELECT changed.*, changed.on_hand - changed.committed - changed.damaged AS available,
                 changed.on_hand - changed.committed - changed.damaged - ${availableDelta}::int AS available_before
          FROM changed
        ),
        recorded AS (
          INSERT INTO outbox_events (id, type, aggregate, payload)
          SELECT event.id, event.type, ${`${locationId}:${sku}`}, event.payload
          FROM levels, main, LATERAL (VALUES
            (${uuidv7()}::uuid, ${STOCK_CHANGED}::text, true, jsonb_build_object(
              'movementId', main.id::text, 'locationId', ${locationId}::text, 'sku', ${sku}::text, 'delta', ${delta}::int,
              'onHand', levels.on_hand, 'available', levels.available, 'reorderPoint', levels.reorder_point,
              'reason', ${reason}::text, 'reference', ${reference}::text, 'state', ${state}::text,
              'committed', levels.committed, 'incoming', levels.incoming, 'damaged', levels.damaged,
              'availableDelta', ${availableDelta}::int, 'actor', ${actor}::text)),
            (${uuidv7()}::uuid, ${LOW_STOCK}::text, (levels.available_before <= levels.reorder_point) <> (levels.available <= levels.reorder_point), jsonb_build_object(
              'status', CASE WHEN levels.available <= levels.reorder_point THEN 'LOW' ELSE 'RESTOCKED' END,
              'locationId', ${locationId}::text, 'sku', ${sku}::text,
              'onHand', levels.on_hand, 'available', levels.available, 'reorderPoint', levels.reorder_point))
          ) AS event(id, type, wanted, payload)
          WHERE event.wanted
        )
        SELECT changed.on_hand, changed.committed, changed.incoming, changed.damaged, changed.reorder_point, changed.updated_at,
               main.id AS movement_id, main.quantity_after, main.occurred_at
        FROM changed, main`;
  const [row] = rows;
  if (!row) return null;
  return {
    level: { locationId, sku, onHand: row.on_hand, committed: row.committed, incoming: row.incoming, damaged: row.damaged, reorderPoint: row.reorder_point, updatedAt: row.updated_at },
    movement: { id: BigInt(row.movement_id), locationId, sku, delta, quantityAfter: row.quantity_after, reason, reference, state, actor, occurredAt: row.occurred_at },
  };
}

/** Why `applyAdjustment` changed nothing: too little stock to remove, or too much to add. */
async function refusalNow(db: PrismaClient | Tx, input: Adjustment): Promise<DomainError> {
  const [current] = await db.$queryRaw<{ on_hand: number; available: number; damaged: number }[]>`
    SELECT on_hand, on_hand - committed - damaged AS available, damaged FROM inventory_levels WHERE location_id = ${input.locationId}::uuid AND sku = ${input.sku}`;
  if (input.delta > 0) {
    const [what, had] = input.state === 'DAMAGED' && current && current.damaged + input.delta > MAX_LEVEL ? ['damaged', current.damaged] : ['on hand', current?.on_hand ?? 0];
    return new DomainError(tooMuch(['input', 'delta'], input.sku, input.locationId, what, had + input.delta));
  }
  return input.state === 'DAMAGED'
    ? new DomainError(insufficient(['input', 'delta'], input.sku, input.locationId, -input.delta, current?.damaged ?? 0, 'damaged stock'))
    : new DomainError(insufficient(['input', 'delta'], input.sku, input.locationId, -input.delta, current?.available ?? 0));
}
