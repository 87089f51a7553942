/**
 * Transfers between locations. DRAFT commits the quantities at the origin; SHIPPED takes them out
 * of the origin's on-hand and makes them incoming at the destination; RECEIVED puts what arrived
 * on hand there (damaged units as damaged) and records the shortfall; CANCELLED (drafts only)
 * releases what was committed. Each step is one transaction: the transfer row is locked first,
 * then its levels in one fixed order.
 */
import { connection, DomainError, InputErrors, isUuid, readPage, recordEvents, userError, uuidv7, type PageArgs, type UserError } from '@joinery/core';
import { Prisma, type PrismaClient, type TransferStatus } from './generated/prisma/client';
import { runIdempotent, unlessDefault } from './idempotency';
import type { Loaders } from './loaders';
import type { InventoryTransferModel } from './models';
import { availableOf, transferEvent, TRANSFER_CANCELLED, TRANSFER_CREATED, TRANSFER_RECEIVED, TRANSFER_SHIPPED } from './stock-events';
import { applyLevelChanges, levelKey, lockLevels, type LevelChangeRequest } from './stock-ledger';
import { bySku, checkLines, checkReferenceAndKey, insufficient, MAX_QUANTITY, requireLocations } from './stock-rules';

type Tx = Prisma.TransactionClient;

export interface CreateTransferInput {
  originId: string;
  destinationId: string;
  lines: { sku: string; quantity: number }[];
  reference?: string | null;
  idempotencyKey?: string | null;
}

export interface TransferStepInput {
  id: string;
  idempotencyKey?: string | null;
}

export interface ReceiveTransferInput extends TransferStepInput {
  lines?: { sku: string; receivedQuantity: number; damagedQuantity?: number | null }[] | null;
}

export interface TransferFilter {
  statuses?: TransferStatus[] | null;
  originId?: string | null;
  destinationId?: string | null;
  locationId?: string | null;
}

interface TransferRow {
  id: string;
  origin_id: string;
  destination_id: string;
  status: TransferStatus;
  reference: string | null;
}

interface LineRow {
  sku: string;
  quantity: number;
}

/** What an idempotency key remembers of a transfer step. */
interface TransferRecord {
  transferId: string;
}

export const sumShortfall = (lines: { shortfall: number | null }[]) => lines.reduce((sum, line) => sum + (line.shortfall ?? 0), 0);

export class TransferService {
  constructor(private readonly prisma: PrismaClient, private readonly loaders: Loaders, private readonly actor: string) {}

  transfer(id: unknown): Promise<InventoryTransferModel | null> | null {
    return isUuid(id) ? this.loaders.transfer.load(id) : null;
  }

  /**
   * Newest first (ids are UUIDv7: time-ordered). `within` (lower-case location ids) keeps the
   * transfers with either end among them, count included.
   */
  async list(args: PageArgs, filter: TransferFilter = {}, within?: readonly string[]) {
    const page = readPage(args, isUuid);
    const ids = [filter.originId, filter.destinationId, filter.locationId].filter((id): id is string => id != null);
    if (ids.some((id) => !isUuid(id))) return connection([], page, (row: InventoryTransferModel) => row.id, async () => 0);
    const where: Prisma.InventoryTransferWhereInput = {
      ...(filter.statuses?.length ? { status: { in: filter.statuses } } : {}),
      ...(filter.originId ? { originId: filter.originId.toLowerCase() } : {}),
      ...(filter.destinationId ? { destinationId: filter.destinationId.toLowerCase() } : {}),
      AND: [
        ...(filter.locationId ? [{ OR: [{ originId: filter.locationId.toLowerCase() }, { destinationId: filter.locationId.toLowerCase() }] }] : []),
        ...(within ? [{ OR: [{ originId: { in: [...within] } }, { destinationId: { in: [...within] } }] }] : []),
      ],
    };
    const rows = await this.prisma.inventoryTransfer.findMany({
      where: page.after ? { AND: [where, { id: { lt: page.after.toLowerCase() } }] } : where,
      orderBy: { id: 'desc' },
      take: page.take,
      include: { lines: { orderBy: { sku: 'asc' } } },
    });
    rows.forEach((row) => this.loaders.transfer.prime(row.id, row));
    return connection(rows, page, (row) => row.id, () => this.prisma.inventoryTransfer.count({ where }));
  }

  /** A location's transfers, newest first; pages asked for many locations in one request share one query. */
  async atLocation(locationId: string, args: PageArgs, statuses?: TransferStatus[] | null) {
    const page = readPage(args, isUuid);
    if (!isUuid(locationId)) return connection([], page, (row: InventoryTransferModel) => row.id, async () => 0);
    const key = { locationId: locationId.toLowerCase(), statuses: statuses?.length ? [...new Set(statuses)].sort() : null };
    const rows = await this.loaders.transferPage.load({ ...key, take: page.take, after: page.after?.toLowerCase() ?? null });
    rows.forEach((row) => this.loaders.transfer.prime(row.id, row));
    return connection(rows, page, (row) => row.id, () => this.loaders.transferCount.load(key));
  }

  async create(input: CreateTransferInput): Promise<{ transfer: InventoryTransferModel | null }> {
    const errors = new InputErrors();
    checkLines(errors, input.lines, 'transfer');
    checkReferenceAndKey(errors, input);
    if (input.originId.toLowerCase() === input.destinationId.toLowerCase()) errors.add(['input', 'destinationId'], `destinationId must differ from originId ${input.originId}`);
    errors.throwIfAny();
    await requireLocations(this.loaders, [{ locationId: input.originId, field: ['input', 'originId'] }, { locationId: input.destinationId, field: ['input', 'destinationId'] }]);
    const originId = input.originId.toLowerCase();
    const destinationId = input.destinationId.toLowerCase();
    const reference = input.reference?.trim() || null;
    const request = { originId, destinationId, lines: [...input.lines].sort(bySku).map(({ sku, quantity }) => ({ sku, quantity })), reference };

    const record = await runIdempotent(this.prisma, 'createTransfer', input.idempotencyKey, request, async (tx): Promise<TransferRecord> => {
      const skus = input.lines.map((line) => line.sku);
      const known = new Set((await tx.$queryRaw<{ sku: string }[]>`SELECT sku FROM products WHERE sku = ANY(${skus}::text[])`).map((row) => row.sku));
      const locked = await lockLevels(tx, input.lines.map((line) => ({ locationId: originId, sku: line.sku })));
      const problems: UserError[] = [];
      input.lines.forEach((line, index) => {
        const field = ['input', 'lines', String(index)];
        const level = locked.get(levelKey({ locationId: originId, sku: line.sku }));
        const available = level ? availableOf(level) : 0;
        if (!known.has(line.sku)) problems.push(userError('NOT_FOUND', `No product with sku ${line.sku}`, [...field, 'sku']));
        else if (available < line.quantity) problems.push(insufficient([...field, 'quantity'], line.sku, originId, line.quantity, available));
      });
      if (problems.length) throw new DomainError(problems);

      const id = uuidv7();
      await tx.$executeRaw`
        INSERT INTO inventory_transfers (id, origin_id, destination_id, reference, created_by) VALUES (${id}::uuid, ${originId}::uuid, ${destinationId}::uuid, ${reference}, ${this.actor})`;
      await tx.$executeRaw`
        INSERT INTO inventory_transfer_lines (transfer_id, sku, quantity)
        SELECT ${id}::uuid, line.sku, line.quantity FROM unnest(${skus}::text[], ${input.lines.map((line) => line.quantity)}::int[]) AS line(sku, quantity)`;
      const sorted = [...input.lines].sort(bySku);
      await applyLevelChanges(tx, locked, sorted.map((line) => ({
        locationId: originId, sku: line.sku, reference: id, moves: [{ state: 'COMMITTED' as const, delta: line.quantity, reason: 'RESERVED' as const }],
      })), this.actor);
      await this.recordTransferEvent(tx, TRANSFER_CREATED, { id, origin_id: originId, destination_id: destinationId, status: 'DRAFT', reference }, sorted.map((line) => ({ ...line, receivedQuantity: null, damagedQuantity: null, shortfall: null })));
      return { transferId: id };
    });
    return this.load(record);
  }

  async ship(input: TransferStepInput): Promise<{ transfer: InventoryTransferModel | null }> {
    this.checkStep(input);
    const record = await runIdempotent(this.prisma, 'shipTransfer', input.idempotencyKey, { id: input.id.toLowerCase() }, async (tx): Promise<TransferRecord> => {
      const { transfer, lines } = await this.lockTransfer(tx, input.id, 'DRAFT', 'shipped');
      const locked = await lockLevels(tx, [
        ...lines.map((line) => ({ locationId: transfer.origin_id, sku: line.sku })),
        ...lines.map((line) => ({ locationId: transfer.destination_id, sku: line.sku })),
      ], { create: true });
      await applyLevelChanges(tx, locked, [
        ...lines.map((line): LevelChangeRequest => ({
          locationId: transfer.origin_id, sku: line.sku, reference: transfer.id, main: 'AVAILABLE',
          moves: [{ state: 'AVAILABLE', delta: -line.quantity, reason: 'TRANSFER_OUT' }, { state: 'COMMITTED', delta: -line.quantity, reason: 'TRANSFER_OUT' }],
        })),
        ...lines.map((line): LevelChangeRequest => ({
          locationId: transfer.destination_id, sku: line.sku, reference: transfer.id, field: ['input', 'id'],
          moves: [{ state: 'INCOMING', delta: line.quantity, reason: 'TRANSFER_OUT' }],
        })),
      ], this.actor);
      await tx.$executeRaw`UPDATE inventory_transfers SET status = 'SHIPPED', shipped_at = now() WHERE id = ${transfer.id}::uuid`;
      await this.recordTransferEvent(tx, TRANSFER_SHIPPED, { ...transfer, status: 'SHIPPED' }, lines.map((line) => ({ ...line, receivedQuantity: null, damagedQuantity: null, shortfall: null })));
      return { transferId: transfer.id };
    });
    return this.load(record);
  }

  async receive(input: ReceiveTransferInput): Promise<{ transfer: InventoryTransferModel | null }> {
    this.checkStep(input);
    const errors = new InputErrors();
    const given = input.lines ?? [];
    given.forEach((line, index) => {
      errors.integer(['input', 'lines', String(index), 'receivedQuantity'], line.receivedQuantity, { min: 0, max: MAX_QUANTITY });
      errors.integer(['input', 'lines', String(index), 'damagedQuantity'], line.damagedQuantity ?? 0, { min: 0, max: MAX_QUANTITY });
    });
    if (new Set(given.map((line) => line.sku)).size !== given.length) errors.add(['input', 'lines'], 'each sku may appear once per receipt');
    errors.throwIfAny();

    // A line left out arrived in full and no damage is zero damage: both hash as left out.
    const sortedReceipt = given.map((line) => ({ sku: line.sku, receivedQuantity: line.receivedQuantity, damagedQuantity: unlessDefault(line.damagedQuantity, 0) })).sort(bySku);
    const request = { id: input.id.toLowerCase(), lines: sortedReceipt.length ? sortedReceipt : undefined };
    const record = await runIdempotent(this.prisma, 'receiveTransfer', input.idempotencyKey, request, async (tx): Promise<TransferRecord> => {
      const { transfer, lines } = await this.lockTransfer(tx, input.id, 'SHIPPED', 'received');
      const sent = new Map(lines.map((line) => [line.sku, line.quantity]));
      const problems: UserError[] = [];
      given.forEach((line, index) => {
        const field = ['input', 'lines', String(index)];
        const quantity = sent.get(line.sku);
        if (quantity === undefined) problems.push(userError('BAD_USER_INPUT', `sku ${line.sku} is not on transfer ${transfer.id}`, [...field, 'sku']));
        else if (line.receivedQuantity + (line.damagedQuantity ?? 0) > quantity) {
          problems.push(userError('BAD_USER_INPUT', `sku ${line.sku} of transfer ${transfer.id}: received ${line.receivedQuantity} plus damaged ${line.damagedQuantity ?? 0} is more than the ${quantity} shipped`, [...field, 'receivedQuantity']));
        }
      });
      if (problems.length) throw new DomainError(problems);

      const receipt = new Map(given.map((line) => [line.sku, line]));
      const received = lines.map((line) => {
        const got = receipt.get(line.sku);
        const receivedQuantity = got ? got.receivedQuantity : line.quantity;
        const damagedQuantity = got ? got.damagedQuantity ?? 0 : 0;
        return { ...line, receivedQuantity, damagedQuantity, shortfall: line.quantity - receivedQuantity - damagedQuantity };
      });
      const locked = await lockLevels(tx, received.map((line) => ({ locationId: transfer.destination_id, sku: line.sku })), { create: true });
      await applyLevelChanges(tx, locked, received.map((line): LevelChangeRequest => {
        const arrived = line.receivedQuantity + line.damagedQuantity;
        return {
          locationId: transfer.destination_id, sku: line.sku, reference: transfer.id, main: 'AVAILABLE', field: ['input', 'id'],
          moves: [
            { state: 'INCOMING', delta: -arrived, reason: 'TRANSFER_IN' },
            { state: 'INCOMING', delta: -line.shortfall, reason: 'TRANSFER_SHORTFALL' },
            { state: 'AVAILABLE', delta: arrived, reason: 'TRANSFER_IN' },
            { state: 'DAMAGED', delta: line.damagedQuantity, reason: 'TRANSFER_IN' },
          ],
        };
      }), this.actor);
      await tx.$executeRaw`
        UPDATE inventory_transfer_lines AS line SET received_quantity = got.received, damaged_quantity = got.damaged, shortfall = got.shortfall
        FROM unnest(${received.map((line) => line.sku)}::text[], ${received.map((line) => line.receivedQuantity)}::int[],
                    ${received.map((line) => line.damagedQuantity)}::int[], ${received.map((line) => line.shortfall)}::int[]) AS got(sku, received, damaged, shortfall)
        WHERE line.transfer_id = ${transfer.id}::uuid AND line.sku = got.sku`;
      await tx.$executeRaw`UPDATE inventory_transfers SET status = 'RECEIVED', received_at = now() WHERE id = ${transfer.id}::uuid`;
      await this.recordTransferEvent(tx, TRANSFER_RECEIVED, { ...transfer, status: 'RECEIVED' }, received);
      return { transferId: transfer.id };
    });
    return this.load(record);
  }

  async cancel(input: TransferStepInput): Promise<{ transfer: InventoryTransferModel | null }> {
    this.checkStep(input);
    const record = await runIdempotent(this.prisma, 'cancelTransfer', input.idempotencyKey, { id: input.id.toLowerCase() }, async (tx): Promise<TransferRecord> => {
      const { transfer, lines } = await this.lockTransfer(tx, input.id, 'DRAFT', 'cancelled');
      const locked = await lockLevels(tx, lines.map((line) => ({ locationId: transfer.origin_id, sku: line.sku })));
      await applyLevelChanges(tx, locked, lines.map((line) => ({
        locationId: transfer.origin_id, sku: line.sku, reference: transfer.id, moves: [{ state: 'COMMITTED' as const, delta: -line.quantity, reason: 'RELEASED' as const }],
      })), this.actor);
      await tx.$executeRaw`UPDATE inventory_transfers SET status = 'CANCELLED', cancelled_at = now() WHERE id = ${transfer.id}::uuid`;
      await this.recordTransferEvent(tx, TRANSFER_CANCELLED, { ...transfer, status: 'CANCELLED' }, lines.map((line) => ({ ...line, receivedQuantity: null, damagedQuantity: null, shortfall: null })));
      return { transferId: transfer.id };
    });
    return this.load(record);
  }

  private checkStep(input: TransferStepInput): void {
    const errors = new InputErrors();
    checkReferenceAndKey(errors, input);
    errors.throwIfAny();
    if (!isUuid(input.id)) throw new DomainError(userError('NOT_FOUND', `No transfer with id ${input.id}`, ['input', 'id']));
  }

  /** Locks the transfer; CONFLICT unless it is in `wanted` status. Lines in SKU order. */
  private async lockTransfer(tx: Tx, id: string, wanted: TransferStatus, step: string): Promise<{ transfer: TransferRow; lines: LineRow[] }> {
    const [transfer] = await tx.$queryRaw<TransferRow[]>`
      SELECT id::text AS id, origin_id::text AS origin_id, destination_id::text AS destination_id, status::text AS status, reference
      FROM inventory_transfers WHERE id = ${id}::uuid FOR UPDATE`;
    if (!transfer) throw new DomainError(userError('NOT_FOUND', `No transfer with id ${id}`, ['input', 'id']));
    if (transfer.status !== wanted) {
      const hint = transfer.status === 'SHIPPED' && step === 'cancelled' ? ': receive it, then send the goods back with a new transfer' : '';
      throw new DomainError(userError('CONFLICT', `Transfer ${transfer.id} is ${transfer.status}; only a ${wanted} transfer can be ${step}${hint}`, ['input', 'id']));
    }
    const lines = await tx.$queryRaw<LineRow[]>`SELECT sku, quantity FROM inventory_transfer_lines WHERE transfer_id = ${transfer.id}::uuid ORDER BY sku`;
    return { transfer, lines };
  }

  private recordTransferEvent(tx: Tx, type: string, transfer: TransferRow, lines: { sku: string; quantity: number; receivedQuantity: number | null; damagedQuantity: number | null; shortfall: number | null }[]): Promise<void> {
    const sorted = [...lines].sort(bySku);
    return recordEvents(tx, [transferEvent(type, {
      transferId: transfer.id, status: transfer.status, originId: transfer.origin_id, destinationId: transfer.destination_id, reference: transfer.reference, actor: this.actor,
      lines: sorted.map(({ sku, quantity, receivedQuantity, damagedQuantity, shortfall }) => ({ sku, quantity, receivedQuantity, damagedQuantity, shortfall })),
      shortfall: sumShortfall(sorted),
    })]);
  }

  private async load(record: TransferRecord): Promise<{ transfer: InventoryTransferModel | null }> {
    this.loaders.transfer.clear(record.transferId);
    return { transfer: await this.loaders.transfer.load(record.transferId) };
  }
}
