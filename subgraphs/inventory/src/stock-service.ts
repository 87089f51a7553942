import { connection, DomainError, uuidv7, InputErrors, isSequenceId, isString, isUuid, readPage, requestHash, userError, type PageArgs, type UserError } from '@joinery/core';
import { Prisma, type InventoryLevel, type PrismaClient, type StockMovement, type StockMovementReason } from './generated/prisma/client';
import type { Loaders } from './loaders';
import type { LowStockAlertModel, StockChangeModel } from './models';
import { LOW_STOCK, recordStockEvents, STOCK_CHANGED } from './stock-events';

type Tx = Prisma.TransactionClient;

/** Largest single change or level accepted; larger values are typing mistakes. */
const MAX_QUANTITY = 1_000_000;
const MAX_SALE_LINES = 100;

export interface AdjustInventoryInput {
  locationId: string;
  sku: string;
  delta: number;
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

function sqlState(error: unknown): string | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  return (error.meta as { code?: string; driverAdapterError?: { cause?: { originalCode?: string } } } | undefined)?.code;
}

function isForeignKeyViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === 'P2003') return true;
    return sqlState(error) === '23503' || /foreign key/i.test(error.message);
  }
  return false;
}

function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === 'P2002') return true;
    if (error.code === 'P2010') return String((error.meta as { code?: string } | undefined)?.code) === '23505' || /unique/i.test(error.message);
  }
  return false;
}

/** Stock per location: every change is one conditional UPDATE plus a movement, in one transaction. */
export class StockService {
  constructor(private readonly prisma: PrismaClient, private readonly loaders: Loaders) {}

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

  /** A level's movements, newest first; pages asked for many levels in one request share one query. */
  async movements(locationId: string, sku: string, args: PageArgs) {
    const page = readPage(args, isSequenceId);
    const rows = await this.loaders.movementPage.load({ locationId, sku, take: page.take, before: page.after });
    return connection(rows, page, (row) => String(row.id), () => this.loaders.movementCount.load({ locationId, sku }));
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
    if (input.reason === 'SALE') errors.add(['input', 'reason'], 'reason SALE is recorded by recordSale only');
    this.checkCommon(errors, input);
    errors.throwIfAny();
    if (!input.idempotencyKey) return this.adjustAtOnce(input);
    // Checked first: inside the transaction, the lookups' own queries would wait for it (PGlite has one connection).
    await this.requireLocationAndProduct(input.locationId, input.sku);
    const record = await this.idempotent('adjustInventory', input, async (tx) => {
      const change = await applyAdjustment(tx, input);
      if (!change) throw await insufficientNow(tx, input);
      return { locationId: change.level.locationId, sku: input.sku, movementId: String(change.movement.id) };
    });
    return this.loadChange(record);
  }

  /** Without an idempotency key: one statement, with location and product looked up only to name what was wrong. */
  private async adjustAtOnce(input: AdjustInventoryInput): Promise<StockChange> {
    if (!isUuid(input.locationId)) await this.requireLocationAndProduct(input.locationId, input.sku);
    let change: Awaited<ReturnType<typeof applyAdjustment>>;
    try {
      change = await applyAdjustment(this.prisma, input);
    } catch (error) {
      if (isForeignKeyViolation(error)) await this.requireLocationAndProduct(input.locationId, input.sku);
      throw error;
    }
    if (!change) {
      await this.requireLocationAndProduct(input.locationId, input.sku);
      throw await insufficientNow(this.prisma, input);
    }
    return change;
  }

  async set(input: SetInventoryInput): Promise<StockChange> {
    const errors = new InputErrors();
    errors.integer(['input', 'quantity'], input.quantity, { min: 0, max: MAX_QUANTITY });
    if (input.compareQuantity != null) errors.integer(['input', 'compareQuantity'], input.compareQuantity, { min: 0 });
    if (input.reorderPoint != null) errors.integer(['input', 'reorderPoint'], input.reorderPoint, { min: 0, max: MAX_QUANTITY });
    if (input.reason === 'SALE') errors.add(['input', 'reason'], 'reason SALE is recorded by recordSale only');
    this.checkCommon(errors, input);
    errors.throwIfAny();
    await this.requireLocationAndProduct(input.locationId, input.sku);

    const record = await this.idempotent('setInventory', input, async (tx) => {
      await tx.$executeRaw`INSERT INTO inventory_levels (location_id, sku, on_hand) VALUES (${input.locationId}::uuid, ${input.sku}, 0) ON CONFLICT DO NOTHING`;
      const [{ on_hand: current, reorder_point: currentReorderPoint }] = await tx.$queryRaw<{ on_hand: number; reorder_point: number }[]>`
        SELECT on_hand, reorder_point FROM inventory_levels WHERE location_id = ${input.locationId}::uuid AND sku = ${input.sku} FOR UPDATE`;
      if (input.compareQuantity != null && input.compareQuantity !== current) {
        throw new DomainError(userError('CONFLICT', `compareQuantity ${input.compareQuantity} does not match the on-hand quantity ${current} of sku ${input.sku} at location ${input.locationId}; read it again and retry`, ['input', 'compareQuantity']));
      }
      await tx.$executeRaw`
        UPDATE inventory_levels SET on_hand = ${input.quantity}, reorder_point = COALESCE(${input.reorderPoint ?? null}::int, reorder_point), updated_at = now()
        WHERE location_id = ${input.locationId}::uuid AND sku = ${input.sku}`;
      const delta = input.quantity - current;
      const reason = input.reason ?? 'RECOUNT';
      const movementId = delta === 0 ? null : await insertMovement(tx, input.locationId, input.sku, delta, input.quantity, reason, input.reference);
      await recordStockEvents(tx, [{
        locationId: input.locationId, sku: input.sku, movementId, reason, reference: input.reference ?? null,
        before: { onHand: current, reorderPoint: currentReorderPoint },
        after: { onHand: input.quantity, reorderPoint: input.reorderPoint ?? currentReorderPoint },
      }]);
      return { locationId: input.locationId, sku: input.sku, movementId };
    });
    return this.loadChange(record);
  }

  /**
   * Takes a sales order's stock: every line or none, and once per order id whatever the retries.
   * Rows are locked in SKU order so concurrent sales cannot deadlock.
   */
  async allocateSale(input: AllocateSaleStockInput): Promise<{ lines: number }> {
    const errors = new InputErrors();
    if (!isUuid(input.orderId)) errors.add(['input', 'orderId'], `orderId ${JSON.stringify(input.orderId)} is not a UUID`);
    if (!input.lines.length) errors.add(['input', 'lines'], 'a sale needs at least one line');
    if (input.lines.length > MAX_SALE_LINES) errors.add(['input', 'lines'], `a sale has at most ${MAX_SALE_LINES} lines; got ${input.lines.length}`);
    input.lines.forEach((line, index) => errors.integer(['input', 'lines', String(index), 'quantity'], line.quantity, { min: 1, max: MAX_QUANTITY }));
    if (new Set(input.lines.map((line) => line.sku)).size !== input.lines.length) errors.add(['input', 'lines'], 'each sku may appear once per sale');
    errors.throwIfAny();
    await this.requireLocation(input.locationId, ['input', 'locationId']);

    const skus = input.lines.map((line) => line.sku);
    const quantities = input.lines.map((line) => line.quantity);
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.prisma.$transaction(async (tx) => {
          // Claim the order first: a repeat call for the same order blocks on this row until the
          // first commits (then finds it claimed) or rolls back (then takes its place).
          const claimed = await tx.$queryRaw<{ order_id: string }[]>`
            INSERT INTO sale_allocations (order_id, location_id, lines)
            VALUES (${input.orderId}::uuid, ${input.locationId}::uuid, ${JSON.stringify(input.lines)}::jsonb)
            ON CONFLICT (order_id) DO NOTHING RETURNING order_id`;
          if (!claimed.length) return { lines: input.lines.length };

          const products = await tx.$queryRaw<{ sku: string }[]>`SELECT sku FROM products WHERE sku = ANY(${skus}::text[])`;
          const known = new Set(products.map((row) => row.sku));
          const levels = await tx.$queryRaw<{ sku: string; on_hand: number }[]>`
            SELECT sku, on_hand FROM inventory_levels WHERE location_id = ${input.locationId}::uuid AND sku = ANY(${skus}::text[])
            ORDER BY sku FOR UPDATE`;
          const onHand = new Map(levels.map((row) => [row.sku, row.on_hand]));
          const problems: UserError[] = [];
          input.lines.forEach((line, index) => {
            const field = ['input', 'lines', String(index)];
            if (!known.has(line.sku)) problems.push(userError('NOT_FOUND', `No product with sku ${line.sku}`, [...field, 'sku']));
            else if ((onHand.get(line.sku) ?? 0) < line.quantity) problems.push(insufficient([...field, 'quantity'], line.sku, input.locationId, line.quantity, onHand.get(line.sku) ?? 0));
          });
          if (problems.length) throw new DomainError(problems);

          const taken = await tx.$queryRaw<{ id: bigint; sku: string; on_hand: number; quantity: number; reorder_point: number }[]>`
            WITH taken AS (
              UPDATE inventory_levels AS level SET on_hand = level.on_hand - wanted.quantity, updated_at = now()
              FROM unnest(${skus}::text[], ${quantities}::int[]) AS wanted(sku, quantity)
              WHERE level.location_id = ${input.locationId}::uuid AND level.sku = wanted.sku
              RETURNING level.sku, level.on_hand, level.reorder_point, wanted.quantity
            ), moved AS (
              INSERT INTO stock_movements (location_id, sku, delta, quantity_after, reason, reference)
              SELECT ${input.locationId}::uuid, taken.sku, -taken.quantity, taken.on_hand, 'SALE', ${input.orderId} FROM taken ORDER BY taken.sku
              RETURNING id, sku
            )
            SELECT moved.id, taken.sku, taken.on_hand, taken.quantity, taken.reorder_point FROM moved JOIN taken USING (sku) ORDER BY taken.sku`;
          await recordStockEvents(tx, taken.map((row) => ({
            locationId: input.locationId, sku: row.sku, movementId: String(row.id), reason: 'SALE' as const, reference: input.orderId,
            before: { onHand: row.on_hand + row.quantity, reorderPoint: row.reorder_point }, after: { onHand: row.on_hand, reorderPoint: row.reorder_point },
          })));
          return { lines: input.lines.length };
        });
      } catch (error) {
        if (attempt < 2 && isUniqueViolation(error)) continue;
        throw error;
      }
    }
  }

  private checkCommon(errors: InputErrors, input: { reference?: string | null; idempotencyKey?: string | null }): void {
    if (input.reference != null) errors.text(['input', 'reference'], input.reference, { max: 200 });
    if (input.idempotencyKey != null) errors.text(['input', 'idempotencyKey'], input.idempotencyKey, { max: 200 });
  }

  private async requireLocation(locationId: string, field: string[]): Promise<void> {
    if (!(isUuid(locationId) && (await this.loaders.location.load(locationId)))) {
      throw new DomainError(userError('NOT_FOUND', `No location with id ${locationId}`, field));
    }
  }

  private async requireLocationAndProduct(locationId: string, sku: string): Promise<void> {
    const [location, product] = await Promise.all([isUuid(locationId) ? this.loaders.location.load(locationId) : null, this.loaders.product.load(sku)]);
    const problems: UserError[] = [];
    if (!location) problems.push(userError('NOT_FOUND', `No location with id ${locationId}`, ['input', 'locationId']));
    if (!product) problems.push(userError('NOT_FOUND', `No product with sku ${sku}`, ['input', 'sku']));
    if (problems.length) throw new DomainError(problems);
  }

  /**
   * Runs a change once per idempotency key: the key and the change commit together, a replay
   * returns what the first call returned, and the same key with other input is refused.
   */
  private async idempotent(operation: string, input: { idempotencyKey?: string | null }, run: (tx: Tx) => Promise<StockChangeRecord>): Promise<StockChangeRecord> {
    const key = input.idempotencyKey;
    if (!key) return this.prisma.$transaction(run);
    const { idempotencyKey: _omitted, ...rest } = input;
    const hash = requestHash(rest);
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.prisma.$transaction(async (tx) => {
          const [seen] = await tx.$queryRaw<{ request_hash: string; response: StockChangeRecord }[]>`
            SELECT request_hash, response FROM idempotency_keys WHERE operation = ${operation} AND key = ${key}`;
          if (seen) {
            if (seen.request_hash !== hash) {
              throw new DomainError(userError('CONFLICT', `idempotencyKey ${JSON.stringify(key)} was already used for a different ${operation} request`, ['input', 'idempotencyKey']));
            }
            return seen.response;
          }
          const record = await run(tx);
          await tx.$executeRaw`INSERT INTO idempotency_keys (operation, key, request_hash, response) VALUES (${operation}, ${key}, ${hash}, ${JSON.stringify(record)}::jsonb)`;
          return record;
        });
      } catch (error) {
        if (attempt < 2 && isUniqueViolation(error)) continue;
        throw error;
      }
    }
  }

  private async loadChange(record: StockChangeRecord): Promise<StockChange> {
    const [level, movement] = await Promise.all([
      this.prisma.inventoryLevel.findUnique({ where: { locationId_sku: { locationId: record.locationId, sku: record.sku } } }),
      record.movementId ? this.prisma.stockMovement.findUnique({ where: { id: BigInt(record.movementId) } }) : null,
    ]);
    return { level, movement };
  }
}

/**
 * An adjustment in one statement: the level, its movement and its events (the same as
 * `stockEvents` records) change together or not at all. Null when there is nothing to change:
 * the level would go below zero, or does not exist and `delta` is negative. An unknown location
 * or product fails the statement with a foreign-key violation.
 */
async function applyAdjustment(db: PrismaClient | Tx, input: AdjustInventoryInput): Promise<{ level: InventoryLevel; movement: StockMovement } | null> {
  const { sku, delta, reason } = input;
  const reference = input.reference ?? null;
  // Canonical case, as stockEvents writes it: events are matched and loaded by this text.
  const locationId = input.locationId.toLowerCase();
  const changed = delta > 0
    ? Prisma.sql`INSERT INTO inventory_levels AS level (location_id, sku, on_hand) VALUES (${locationId}::uuid, ${sku}, ${delta})
        ON CONFLICT (location_id, sku) DO UPDATE SET on_hand = level.on_hand + EXCLUDED.on_hand, updated_at = now()
        RETURNING level.location_id, level.sku, level.on_hand, level.reorder_point, level.updated_at`
    : Prisma.sql`UPDATE inventory_levels AS level SET on_hand = level.on_hand + ${delta}, updated_at = now()
        WHERE level.location_id = ${locationId}::uuid AND level.sku = ${sku} AND level.on_hand + ${delta} >= 0
        RETURNING level.location_id, level.sku, level.on_hand, level.reorder_point, level.updated_at`;
  const rows = await db.$queryRaw<{ on_hand: number; reorder_point: number; updated_at: Date; movement_id: bigint; occurred_at: Date }[]>`
        WITH changed AS (${changed}),
        moved AS (
          INSERT INTO stock_movements (location_id, sku, delta, quantity_after, reason, reference)
          SELECT location_id, sku, ${delta}, on_hand, ${reason}::stock_movement_reason, ${reference} FROM changed
          RETURNING id, occurred_at
        ),
        recorded AS (
          INSERT INTO outbox_events (id, type, aggregate, payload)
          SELECT event.id, event.type, ${`${locationId}:${sku}`}, event.payload
          FROM changed, moved, LATERAL (VALUES
            (${uuidv7()}::uuid, ${STOCK_CHANGED}::text, true, jsonb_build_object(
              'movementId', moved.id::text, 'locationId', ${locationId}::text, 'sku', ${sku}::text, 'delta', ${delta}::int,
              'onHand', changed.on_hand, 'available', changed.on_hand, 'reorderPoint', changed.reorder_point,
              'reason', ${reason}::text, 'reference', ${reference}::text)),
            (${uuidv7()}::uuid, ${LOW_STOCK}::text, (changed.on_hand - ${delta}::int <= changed.reorder_point) <> (changed.on_hand <= changed.reorder_point), jsonb_build_object(
              'status', CASE WHEN changed.on_hand <= changed.reorder_point THEN 'LOW' ELSE 'RESTOCKED' END,
              'locationId', ${locationId}::text, 'sku', ${sku}::text,
              'onHand', changed.on_hand, 'available', changed.on_hand, 'reorderPoint', changed.reorder_point))
          ) AS event(id, type, wanted, payload)
          WHERE event.wanted
        )
        SELECT changed.on_hand, changed.reorder_point, changed.updated_at, moved.id AS movement_id, moved.occurred_at FROM changed, moved`;
  const [row] = rows;
  if (!row) return null;
  return {
    level: { locationId, sku, onHand: row.on_hand, reorderPoint: row.reorder_point, updatedAt: row.updated_at },
    movement: { id: BigInt(row.movement_id), locationId, sku, delta, quantityAfter: row.on_hand, reason, reference, occurredAt: row.occurred_at },
  };
}

async function insufficientNow(db: PrismaClient | Tx, input: AdjustInventoryInput): Promise<DomainError> {
  const [current] = await db.$queryRaw<{ on_hand: number }[]>`SELECT on_hand FROM inventory_levels WHERE location_id = ${input.locationId}::uuid AND sku = ${input.sku}`;
  return new DomainError(insufficient(['input', 'delta'], input.sku, input.locationId, -input.delta, current?.on_hand ?? 0));
}

function insufficient(field: string[], sku: string, locationId: string, requested: number, available: number): UserError {
  return userError('INSUFFICIENT_STOCK', `Not enough stock for sku ${sku} at location ${locationId}: requested ${requested}, available ${available}`, field);
}

async function insertMovement(tx: Tx, locationId: string, sku: string, delta: number, quantityAfter: number, reason: StockMovementReason, reference?: string | null): Promise<string> {
  const [row] = await tx.$queryRaw<{ id: bigint }[]>`
    INSERT INTO stock_movements (location_id, sku, delta, quantity_after, reason, reference)
    VALUES (${locationId}::uuid, ${sku}, ${delta}, ${quantityAfter}, ${reason}::stock_movement_reason, ${reference ?? null})
    RETURNING id`;
  return String(row.id);
}
