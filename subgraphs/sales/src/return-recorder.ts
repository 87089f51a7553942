import Decimal from 'decimal.js';
import {
  DomainError,
  graphQLError,
  InputErrors,
  isUuid,
  logger,
  requestHash,
  SubgraphUnavailableError,
  userError,
  uuidv7,
  type InventoryDirectory,
  type UserError,
} from '@joinery/core';
import { Prisma, type PrismaClient, type ReturnCondition, type SalesOrder, type SalesReturn, type SalesReturnLine } from './generated/prisma/client';
import type { SalesReturnModel } from './models';
import type { SaleCaller } from './sale-recorder';
import { ORDER_RETURNED, outboxInsertFrom, type OrderReturnedPayload } from './sales-events';
import type { StockRestocker } from './stock-restocker';

const MAX_LINES = 100;
const MAX_QUANTITY = 10_000;
const MAX_REASON = 500;

/**
 * Failed restocks (errors other than an outage) after which the recovery sweep stops retrying a
 * return and holds it PENDING for a person instead: 5. An outage is retried without limit.
 */
export const MAX_RESTOCK_ATTEMPTS = 5;

export interface ReturnSaleLinesInput {
  orderId: string;
  locationId?: string | null;
  lines: { sku: string; quantity: number; condition: ReturnCondition }[];
  reason?: string | null;
  idempotencyKey?: string | null;
}

export type StoredReturn = SalesReturn & { lines: SalesReturnLine[] };

const money = (value: Decimal.Value | { toString(): string }) => new Decimal(value.toString()).toFixed(2);

/** A completed return as GraphQL shows it. */
export function returnModel(stored: StoredReturn, order: SalesOrder): SalesReturnModel {
  return {
    id: stored.id,
    order,
    location: { id: stored.locationId },
    lines: [...stored.lines]
      .sort((a, b) => a.lineNumber - b.lineNumber)
      .map((line) => ({ product: { sku: line.sku }, quantity: line.quantity, condition: line.condition, refundAmount: money(line.refundAmount) })),
    refundTotal: money(stored.refundTotal),
    reason: stored.reason,
    createdBy: stored.createdBy,
    createdAt: stored.createdAt,
  };
}

/**
 * Takes back units of a confirmed order. Like a sale (SaleRecorder), the return is written first
 * as PENDING, under the order's row lock so concurrent returns count each other; inventory then
 * puts the goods back under the return's id (idempotent there), and only then is the return
 * COMPLETED, in the transaction that records `sales.order_returned`. A crash or an outage between
 * the steps leaves a PENDING return that a retry with the same idempotency key, or the recovery
 * sweep, finishes. A PENDING return already counts against what the order may still return.
 */
export class ReturnRecorder {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly inventory: InventoryDirectory,
    private readonly restocker: StockRestocker,
  ) {}

  /**
   * `by`: who the return is for (the caller was authorized by the resolver); its actor is recorded
   * as createdBy and, with its requestId, sent to inventory.
   */
  async record(input: ReturnSaleLinesInput, by: SaleCaller): Promise<{ return: SalesReturnModel }> {
    this.validate(input);
    const { idempotencyKey, ...rest } = input;
    const key = idempotencyKey ?? `auto:${uuidv7()}`;
    const hash = requestHash(rest);

    const existing = idempotencyKey ? await this.find({ idempotencyKey: key }) : null;
    if (existing) return this.replay(existing, hash, by.requestId);

    const order = await this.prisma.salesOrder.findUnique({ where: { id: input.orderId } });
    // Pending and rejected orders are never shown, so they cannot be returned either.
    if (order?.status !== 'CONFIRMED') throw new DomainError(userError('NOT_FOUND', `No order with id ${input.orderId}`, ['input', 'orderId']));
    const locationId = await this.resolveLocation(input.locationId, order);

    let outcome: { seen: StoredReturn } | { created: StoredReturn };
    try {
      outcome = await this.prisma.$transaction(async (tx) => {
        // Concurrent returns of one order queue here, so each counts what the others took.
        await tx.$queryRaw`SELECT id FROM sales_orders WHERE id = ${order.id}::uuid FOR UPDATE`;
        const seen = idempotencyKey ? await tx.salesReturn.findUnique({ where: { idempotencyKey: key }, include: { lines: true } }) : null;
        if (seen) return { seen };
        const lines = await this.priceLines(tx, input, order);
        const created = await tx.salesReturn.create({
          data: {
            id: uuidv7(),
            orderId: order.id,
            locationId,
            status: 'PENDING',
            refundTotal: lines.reduce((sum, line) => sum.plus(line.refundAmount), new Decimal(0)).toFixed(2),
            reason: input.reason?.trim() ?? null,
            createdBy: by.actor,
            idempotencyKey: key,
            requestHash: hash,
            lines: { create: lines },
          },
          include: { lines: true },
        });
        return { created };
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        return this.replay((await this.find({ idempotencyKey: key }))!, hash, by.requestId);
      }
      throw error;
    }
    if ('seen' in outcome) return this.replay(outcome.seen, hash, by.requestId);
    return { return: await this.finish(outcome.created, order, by.requestId) };
  }

  /**
   * Finishes PENDING returns left by a crash or an outage, as the actor that recorded each. Safe
   * to run from several processes at once: inventory restocks once per return, completion only
   * moves PENDING returns.
   */
  /**
   * A return whose restock failed MAX_RESTOCK_ATTEMPTS times with an error other than an outage is
   * `held`: no longer retried, still PENDING (its units stay reserved, no refund is reported), and
   * logged as an error on every sweep, naming the return and order, until a person finishes it.
   */
  async resumePending(olderThanMs: number, limit = 100): Promise<{ completed: number; rejected: number; stillPending: number; held: number }> {
    const due = { status: 'PENDING' as const, createdAt: { lt: new Date(Date.now() - olderThanMs) } };
    const pending = await this.prisma.salesReturn.findMany({
      where: { ...due, restockAttempts: { lt: MAX_RESTOCK_ATTEMPTS } },
      orderBy: { createdAt: 'asc' },
      take: limit,
      include: { lines: true, order: true },
    });
    const held = await this.prisma.salesReturn.findMany({ where: { ...due, restockAttempts: { gte: MAX_RESTOCK_ATTEMPTS } }, orderBy: { createdAt: 'asc' }, take: limit });
    for (const stuck of held) {
      logger('sales').error(
        { returnId: stuck.id, orderId: stuck.orderId, idempotencyKey: stuck.idempotencyKey, restockAttempts: stuck.restockAttempts, lastRestockError: stuck.lastRestockError },
        'return held PENDING: inventory failed to restock it too often; the sweep no longer retries it. Fix the cause, then retry returnSaleLines with its idempotencyKey (or set restock_attempts to 0)',
      );
    }
    const outcome = { completed: 0, rejected: 0, stillPending: 0, held: held.length };
    for (const { order, ...stored } of pending) {
      try {
        await this.finish(stored, order);
        outcome.completed += 1;
      } catch (error) {
        if (error instanceof DomainError) outcome.rejected += 1;
        else outcome.stillPending += 1;
      }
    }
    return outcome;
  }

  private find(where: Prisma.SalesReturnWhereUniqueInput) {
    return this.prisma.salesReturn.findUnique({ where, include: { lines: true } });
  }

  private async replay(stored: StoredReturn, hash: string, requestId: string | undefined): Promise<{ return: SalesReturnModel }> {
    if (stored.requestHash !== hash) {
      throw new DomainError(userError('CONFLICT', `idempotencyKey ${JSON.stringify(stored.idempotencyKey)} was already used for a different return`, ['input', 'idempotencyKey']));
    }
    const order = await this.prisma.salesOrder.findUniqueOrThrow({ where: { id: stored.orderId } });
    return { return: await this.finish(stored, order, requestId) };
  }

  /** `requestId`: the router's id of the request finishing it (none in the sweep); the actor is the stored createdBy. */
  private async finish(stored: StoredReturn, order: SalesOrder, requestId?: string): Promise<SalesReturnModel> {
    if (stored.status === 'COMPLETED') return returnModel(stored, order);
    if (stored.status === 'REJECTED') throw new DomainError(stored.rejection as unknown as UserError[]);
    let refused: UserError[];
    try {
      refused = await this.restocker.restock(
        {
          returnId: stored.id,
          orderId: stored.orderId,
          locationId: stored.locationId,
          lines: [...stored.lines].sort((a, b) => a.lineNumber - b.lineNumber).map(({ sku, quantity, condition }) => ({ sku, quantity, condition })),
        },
        { actor: stored.createdBy, requestId },
      );
    } catch (error) {
      if (error instanceof SubgraphUnavailableError) {
        throw graphQLError('UNAVAILABLE', `Return ${stored.id} is recorded but its goods could not be put back into stock yet (${error.message}); retry with the same idempotencyKey, or it will be finished automatically`, { returnId: stored.id });
      }
      // Not an outage: counted, so the sweep gives up after MAX_RESTOCK_ATTEMPTS instead of retrying forever.
      await this.prisma.salesReturn.updateMany({
        where: { id: stored.id, status: 'PENDING' },
        data: { restockAttempts: { increment: 1 }, lastRestockError: String((error as Error)?.message ?? error).slice(0, 2000), updatedAt: new Date() },
      });
      throw error;
    }
    if (refused.length) {
      await this.prisma.salesReturn.updateMany({ where: { id: stored.id, status: 'PENDING' }, data: { status: 'REJECTED', rejection: refused as unknown as Prisma.InputJsonValue, updatedAt: new Date() } });
      return this.finish((await this.find({ id: stored.id }))!, order, requestId);
    }
    const moved = await this.prisma.$transaction(async (tx) => {
      // Under the order's row lock, as its confirmation was: the order's events keep commit order.
      await tx.$queryRaw`SELECT id FROM sales_orders WHERE id = ${order.id}::uuid FOR UPDATE`;
      return tx.$queryRaw<{ id: string }[]>`
        WITH moved AS (
          UPDATE sales_returns SET status = 'COMPLETED', updated_at = now()
          WHERE id = ${stored.id}::uuid AND status = 'PENDING'
          RETURNING id
        ), event AS (
          ${outboxInsertFrom('moved', { id: uuidv7(), type: ORDER_RETURNED, aggregate: order.id, payload: returnedPayload(stored, order) })}
        )
        SELECT id::text AS id FROM moved`;
    });
    if (moved.length) return returnModel({ ...stored, status: 'COMPLETED' }, order);
    const settled = (await this.find({ id: stored.id }))!;
    // Someone else settled it first (a concurrent retry or the recovery sweep): answer as they did.
    if (settled.status === 'PENDING') throw new Error(`Return ${stored.id} is still PENDING after its completion moved no row`);
    return this.finish(settled, order, requestId);
  }

  /**
   * Checks each line against the order and what its earlier returns (pending or completed) took,
   * and prices it: lineTotal × quantity ÷ sold, rounded half up to cents, never more than the line
   * has left to refund; the return that takes a line's last units gets exactly what is left.
   */
  private async priceLines(tx: Prisma.TransactionClient, input: ReturnSaleLinesInput, order: SalesOrder) {
    const sold = await tx.salesOrderLine.findMany({ where: { orderId: order.id } });
    const taken = await tx.$queryRaw<{ sku: string; quantity: number; refunded: Prisma.Decimal }[]>`
      SELECT line.sku, sum(line.quantity)::int AS quantity, sum(line.refund_amount) AS refunded
      FROM sales_return_lines AS line JOIN sales_returns AS ret ON ret.id = line.return_id
      WHERE ret.order_id = ${order.id}::uuid AND ret.status IN ('PENDING', 'COMPLETED')
      GROUP BY line.sku`;
    const soldBySku = new Map(sold.map((line) => [line.sku, line]));
    const takenBySku = new Map(taken.map((row) => [row.sku, row]));
    const errors = new InputErrors();
    const lines = input.lines.map((line, index) => {
      const field = (name: string) => ['input', 'lines', String(index), name];
      const orderLine = soldBySku.get(line.sku);
      if (!orderLine) {
        errors.add(field('sku'), `sku ${line.sku} is not on order ${order.id}`, 'NOT_FOUND');
        return null;
      }
      const returnedBefore = takenBySku.get(line.sku)?.quantity ?? 0;
      const returnable = orderLine.quantity - returnedBefore;
      if (line.quantity > returnable) {
        errors.add(field('quantity'), `Cannot return ${line.quantity} of sku ${line.sku} on order ${order.id}: sold ${orderLine.quantity}, already returned or being returned ${returnedBefore}, returnable ${returnable}`);
        return null;
      }
      const lineTotal = new Decimal(orderLine.lineTotal.toString());
      const left = lineTotal.minus(takenBySku.get(line.sku)?.refunded?.toString() ?? 0);
      const share = lineTotal.times(line.quantity).dividedBy(orderLine.quantity).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
      const refundAmount = line.quantity === returnable ? left : Decimal.min(share, left);
      return {
        lineNumber: index + 1,
        sku: line.sku,
        quantity: line.quantity,
        condition: line.condition,
        refundAmount: refundAmount.toFixed(2),
        orderLocationId: order.locationId,
        orderedAt: order.orderedAt,
      };
    });
    errors.throwIfAny();
    return lines.filter((line) => line !== null);
  }

  private validate(input: ReturnSaleLinesInput): void {
    const errors = new InputErrors();
    if (!isUuid(input.orderId)) errors.add(['input', 'orderId'], `No order with id ${input.orderId}`, 'NOT_FOUND');
    if (input.locationId != null && !isUuid(input.locationId)) errors.add(['input', 'locationId'], `No location with id ${input.locationId}`, 'NOT_FOUND');
    if (!input.lines.length) errors.add(['input', 'lines'], 'a return needs at least one line');
    if (input.lines.length > MAX_LINES) errors.add(['input', 'lines'], `a return has at most ${MAX_LINES} lines; got ${input.lines.length}`);
    const seen = new Set<string>();
    input.lines.forEach((line, index) => {
      const field = (name: string) => ['input', 'lines', String(index), name];
      // Inventory's restockReturn takes each sku once per return, so one return has one condition per sku.
      if (seen.has(line.sku)) errors.add(field('sku'), `sku ${line.sku} appears more than once; put its whole quantity on one line, or return units in another condition in a second return`);
      seen.add(line.sku);
      errors.integer(field('quantity'), line.quantity, { min: 1, max: MAX_QUANTITY });
    });
    if (input.reason != null) errors.text(['input', 'reason'], input.reason, { max: MAX_REASON });
    if (input.idempotencyKey != null) errors.text(['input', 'idempotencyKey'], input.idempotencyKey, { max: 200 });
    errors.throwIfAny();
  }

  /** The order's own location needs no question; another one is asked of inventory before anything is written. */
  private async resolveLocation(requested: string | null | undefined, order: SalesOrder): Promise<string> {
    if (requested == null || requested.toLowerCase() === order.locationId.toLowerCase()) return order.locationId.toLowerCase();
    let missing: string[];
    try {
      ({ missingLocations: missing } = await this.inventory.lookup({ locationIds: [requested] }));
    } catch (error) {
      if (error instanceof SubgraphUnavailableError) throw graphQLError('UNAVAILABLE', `${error.message}; nothing was recorded, retry later`);
      throw error;
    }
    if (missing.length) throw new DomainError(userError('NOT_FOUND', `No location with id ${requested}`, ['input', 'locationId']));
    return requested.toLowerCase();
  }
}

/** What consumers need about a completed return, as `sales.order_returned` carries it. */
function returnedPayload(stored: StoredReturn, order: SalesOrder): OrderReturnedPayload {
  return {
    returnId: stored.id,
    orderId: order.id,
    locationId: stored.locationId.toLowerCase(),
    orderLocationId: order.locationId.toLowerCase(),
    customerId: order.customerId,
    campaignId: order.campaignId?.toLowerCase() ?? null,
    lines: [...stored.lines]
      .sort((a, b) => a.lineNumber - b.lineNumber)
      .map((line) => ({ sku: line.sku, quantity: line.quantity, condition: line.condition, refundAmount: money(line.refundAmount) })),
    refundTotal: money(stored.refundTotal),
    returnedAt: stored.createdAt.toISOString(),
  };
}
