import Decimal from 'decimal.js';
import {
  DomainError,
  graphQLError,
  InputErrors,
  isUuid,
  requestHash,
  SubgraphUnavailableError,
  userError,
  uuidv7,
  type Identity,
  type UserError,
} from '@joinery/core';
import { Prisma, type PaymentMethod, type PrismaClient, type SalesOrder } from './generated/prisma/client';
import { runsAt, type CampaignDirectory, type CampaignFacts } from './campaign-directory';
import type { SaleCatalogue } from './sale-catalogue';
import { rollupUpserts } from './sales-rollups';
import { ORDER_CONFIRMED, outboxInsertFrom, type OrderConfirmedPayload } from './sales-events';
import type { StockAllocator } from './stock-allocator';

const MAX_LINES = 100;
const MAX_QUANTITY = 10_000;
const FUTURE_SKEW_MS = 5 * 60_000;

export interface RecordSaleInput {
  locationId: string;
  lines: { sku: string; quantity: number; unitPrice?: Decimal | null; discount?: Decimal | null }[];
  customerId?: string | null;
  campaignId?: string | null;
  paymentMethod: PaymentMethod;
  orderedAt?: Date | null;
  idempotencyKey?: string | null;
}

/** Who a sale or a return is recorded for: the request identity's actor and the router's request id. */
export type SaleCaller = Pick<Identity, 'actor' | 'requestId'>;

/** The validated sale as stored on the order, enough to finish it after a crash. */
interface SaleRequest {
  locationId: string;
  /**
   * Prices fixed when the sale was recorded; lineTotal = quantity × unitPrice − discount. The
   * category is the product's then (absent on orders recorded before it was kept).
   */
  lines: { sku: string; quantity: number; unitPrice: string; discount: string; lineTotal: string; category?: string }[];
  /** Who recorded the sale, forwarded to inventory when the sale is finished (absent on older orders). */
  actor?: string;
}

/**
 * Records a sale and takes its stock from the inventory subgraph, which owns it. The order is
 * written first as PENDING (the intent), the stock is then allocated under the order's id (idempotent
 * there), and only then is the order CONFIRMED. A crash or an outage between the steps leaves a
 * PENDING order that a retry with the same idempotency key, or the recovery sweep, finishes: the
 * order becomes visible exactly when its stock is gone, or is REJECTED with its stock untouched.
 */
export class SaleRecorder {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly inventory: SaleCatalogue,
    private readonly allocator: StockAllocator,
    private readonly campaigns: CampaignDirectory,
  ) {}

  /**
   * `by`: who the sale is for, as the request's identity carries it (the caller was authorized by
   * the resolver); its actor is stored on the order and, with its requestId, sent to inventory.
   */
  async record(input: RecordSaleInput, by: SaleCaller): Promise<{ order: SalesOrder }> {
    const orderedAt = this.validate(input);
    const { idempotencyKey, ...rest } = input;
    const key = idempotencyKey ?? `auto:${uuidv7()}`;
    const hash = requestHash(rest);

    const existing = idempotencyKey ? await this.prisma.salesOrder.findUnique({ where: { idempotencyKey: key } }) : null;
    if (existing) return this.replay(existing, hash, by.requestId);

    const { timezone, ...resolved } = await this.resolve(input);
    const request: SaleRequest = { ...resolved, actor: by.actor };
    const lines = request.lines;
    const subtotal = lines.reduce((sum, line) => sum.plus(new Decimal(line.unitPrice).times(line.quantity)), new Decimal(0));
    const discountTotal = lines.reduce((sum, line) => sum.plus(line.discount), new Decimal(0));
    let order: SalesOrder;
    try {
      order = await this.prisma.salesOrder.create({
        data: {
          id: uuidv7(),
          locationId: input.locationId,
          status: 'PENDING',
          orderedAt,
          customerId: input.customerId ?? null,
          campaignId: input.campaignId ?? null,
          paymentMethod: input.paymentMethod,
          subtotal: subtotal.toFixed(2),
          discountTotal: discountTotal.toFixed(2),
          totalAmount: subtotal.minus(discountTotal).toFixed(2),
          unitCount: lines.reduce((sum, line) => sum + line.quantity, 0),
          locationTimezone: timezone,
          idempotencyKey: key,
          requestHash: hash,
          request: request as unknown as Prisma.InputJsonValue,
        },
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        return this.replay((await this.prisma.salesOrder.findUnique({ where: { idempotencyKey: key } }))!, hash, by.requestId);
      }
      throw error;
    }
    return { order: await this.finish(order, by.requestId) };
  }

  /**
   * Finishes PENDING orders left by a crash or an outage. Safe to run from several processes at
   * once: allocation is idempotent per order and confirmation only moves PENDING orders.
   */
  async resumePending(olderThanMs: number, limit = 100): Promise<{ confirmed: number; rejected: number; stillPending: number }> {
    const pending = await this.prisma.salesOrder.findMany({
      where: { status: 'PENDING', createdAt: { lt: new Date(Date.now() - olderThanMs) } },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
    const outcome = { confirmed: 0, rejected: 0, stillPending: 0 };
    for (const order of pending) {
      try {
        await this.finish(order);
        outcome.confirmed += 1;
      } catch (error) {
        if (error instanceof DomainError) outcome.rejected += 1;
        else outcome.stillPending += 1;
      }
    }
    return outcome;
  }

  private async replay(order: SalesOrder, hash: string, requestId: string | undefined): Promise<{ order: SalesOrder }> {
    if (order.requestHash !== hash) {
      throw new DomainError(userError('CONFLICT', `idempotencyKey ${JSON.stringify(order.idempotencyKey)} was already used for a different sale`, ['input', 'idempotencyKey']));
    }
    return { order: await this.finish(order, requestId) };
  }

  /**
   * `requestId`: the router's id of the request finishing it, passed on to inventory; the
   * recovery sweep has none. The actor is always the one stored on the order.
   */
  private async finish(order: SalesOrder, requestId?: string): Promise<SalesOrder> {
    if (order.status === 'CONFIRMED') return order;
    if (order.status === 'REJECTED') throw new DomainError(order.rejection as unknown as UserError[]);
    const request = order.request as unknown as SaleRequest;
    let refused: UserError[];
    try {
      refused = await this.allocator.allocate(
        { orderId: order.id, locationId: request.locationId, lines: request.lines.map(({ sku, quantity }) => ({ sku, quantity })) },
        { actor: request.actor, requestId },
      );
    } catch (error) {
      if (error instanceof SubgraphUnavailableError) {
        throw graphQLError('UNAVAILABLE', `Sale ${order.id} is recorded but its stock could not be confirmed yet (${error.message}); retry with the same idempotencyKey, or it will be finished automatically`, { orderId: order.id });
      }
      throw error;
    }
    if (refused.length) {
      await this.prisma.salesOrder.updateMany({ where: { id: order.id, status: 'PENDING' }, data: { status: 'REJECTED', rejection: refused as unknown as Prisma.InputJsonValue, updatedAt: new Date() } });
      const settled = (await this.prisma.salesOrder.findUnique({ where: { id: order.id } }))!;
      return this.finish(settled, requestId);
    }
    // One statement moves the order to CONFIRMED and writes its lines, its event and its day's
    // rollups, or does nothing if another process (a concurrent retry, the recovery sweep) settled
    // it first: reports read the rollups and are exact the moment the order commits.
    const lines = request.lines;
    const written = await this.prisma.$executeRaw`
      WITH moved AS (
        UPDATE sales_orders SET status = 'CONFIRMED', updated_at = now()
        WHERE id = ${order.id}::uuid AND status = 'PENDING'
        RETURNING id, location_id, ordered_at, location_timezone, campaign_id, unit_count, total_amount, discount_total
      ), event AS (
        ${outboxInsertFrom('moved', { id: uuidv7(), type: ORDER_CONFIRMED, aggregate: order.id, payload: confirmedPayload(order, request) })}
      ), ${Prisma.raw(rollupUpserts('moved'))}
      INSERT INTO sales_order_lines (order_id, line_number, sku, quantity, unit_price, discount, line_total, location_id, ordered_at, category, location_timezone, campaign_id)
      SELECT moved.id, line.number, line.sku, line.quantity, line.unit_price::numeric, line.discount::numeric, line.total::numeric, moved.location_id, moved.ordered_at,
             line.category, moved.location_timezone, moved.campaign_id
      FROM moved, unnest(${lines.map((_line, index) => index + 1)}::int[], ${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.quantity)}::int[],
                         ${lines.map((l) => l.unitPrice)}::text[], ${lines.map((l) => l.discount)}::text[], ${lines.map((l) => l.lineTotal)}::text[],
                         ${lines.map(categoryOf)}::text[])
        AS line(number, sku, quantity, unit_price, discount, total, category)`;
    if (written > 0) return { ...order, status: 'CONFIRMED' };
    const settled = (await this.prisma.salesOrder.findUnique({ where: { id: order.id } }))!;
    // Someone else settled it first (a concurrent retry or the recovery sweep): answer as they did.
    if (settled.status === 'PENDING') throw new Error(`Order ${order.id} is still PENDING after its confirmation moved no row`);
    return this.finish(settled, requestId);
  }

  private validate(input: RecordSaleInput): Date {
    const errors = new InputErrors();
    if (!isUuid(input.locationId)) errors.add(['input', 'locationId'], `No location with id ${input.locationId}`, 'NOT_FOUND');
    if (input.campaignId != null && !isUuid(input.campaignId)) errors.add(['input', 'campaignId'], `No campaign with id ${input.campaignId}`, 'NOT_FOUND');
    if (!input.lines.length) errors.add(['input', 'lines'], 'a sale needs at least one line');
    if (input.lines.length > MAX_LINES) errors.add(['input', 'lines'], `a sale has at most ${MAX_LINES} lines; got ${input.lines.length}`);
    const seen = new Set<string>();
    input.lines.forEach((line, index) => {
      const field = (name: string) => ['input', 'lines', String(index), name];
      if (seen.has(line.sku)) errors.add(field('sku'), `sku ${line.sku} appears more than once; put its whole quantity on one line`);
      seen.add(line.sku);
      errors.integer(field('quantity'), line.quantity, { min: 1, max: MAX_QUANTITY });
      if (line.unitPrice != null) errors.money(field('unitPrice'), line.unitPrice);
      if (line.discount != null) {
        errors.money(field('discount'), line.discount);
        if (line.unitPrice != null && line.discount.greaterThan(line.unitPrice.times(line.quantity))) {
          errors.add(field('discount'), `discount ${line.discount.toFixed(2)} exceeds the line's value ${line.unitPrice.times(line.quantity).toFixed(2)}`);
        }
      }
    });
    if (input.customerId != null) errors.text(['input', 'customerId'], input.customerId, { max: 100 });
    if (input.idempotencyKey != null) errors.text(['input', 'idempotencyKey'], input.idempotencyKey, { max: 200 });
    const orderedAt = input.orderedAt ?? new Date();
    if (orderedAt.getTime() > Date.now() + FUTURE_SKEW_MS) errors.add(['input', 'orderedAt'], `orderedAt ${orderedAt.toISOString()} is in the future`);
    if (orderedAt.getUTCFullYear() < 2000) errors.add(['input', 'orderedAt'], `orderedAt ${orderedAt.toISOString()} is before 2000`);
    errors.throwIfAny();
    return orderedAt;
  }

  /**
   * Checks what other subgraphs own (location, products, campaign) before anything is written, and
   * fixes each line's price and category and the location's time zone.
   */
  private async resolve(input: RecordSaleInput): Promise<SaleRequest & { timezone: string }> {
    let catalogue: Awaited<ReturnType<SaleCatalogue['lookup']>>;
    let campaign: CampaignFacts | null;
    try {
      [catalogue, campaign] = await Promise.all([
        this.inventory.lookup({ locationIds: [input.locationId], skus: input.lines.map((line) => line.sku) }),
        input.campaignId ? this.campaigns.find(input.campaignId) : null,
      ]);
    } catch (error) {
      if (error instanceof SubgraphUnavailableError) throw graphQLError('UNAVAILABLE', `${error.message}; nothing was recorded, retry later`);
      throw error;
    }
    const { prices, categories } = catalogue;
    const errors = new InputErrors();
    if (catalogue.missingLocations.length) errors.add(['input', 'locationId'], `No location with id ${input.locationId}`, 'NOT_FOUND');
    if (input.campaignId && !campaign) errors.add(['input', 'campaignId'], `No campaign with id ${input.campaignId}`, 'NOT_FOUND');
    // A sale credits its campaign: one that does not run here would inflate another store's
    // campaign, which whoever records this sale may not even see. Its targets are not named.
    else if (campaign && !runsAt(campaign, input.locationId)) errors.add(['input', 'campaignId'], `The campaign given (campaignId) does not run at location ${input.locationId}`, 'BAD_USER_INPUT');
    const lines = input.lines.map((line, index) => {
      const catalogPrice = prices.get(line.sku);
      const unitPrice = line.unitPrice ?? (catalogPrice ? new Decimal(catalogPrice) : null);
      if (!catalogPrice || !unitPrice) {
        errors.add(['input', 'lines', String(index), 'sku'], `No product with sku ${line.sku}`, 'NOT_FOUND');
        return { sku: line.sku, quantity: line.quantity, unitPrice: '0.00', discount: '0.00', lineTotal: '0.00' };
      }
      const discount = line.discount ?? new Decimal(0);
      if (discount.greaterThan(unitPrice.times(line.quantity))) {
        errors.add(['input', 'lines', String(index), 'discount'], `discount ${discount.toFixed(2)} exceeds the line's value ${unitPrice.times(line.quantity).toFixed(2)}`);
      }
      return {
        sku: line.sku,
        quantity: line.quantity,
        unitPrice: unitPrice.toFixed(2),
        discount: discount.toFixed(2),
        lineTotal: unitPrice.times(line.quantity).minus(discount).toFixed(2),
        category: categories.get(line.sku) ?? UNCATEGORIZED,
      };
    });
    errors.throwIfAny();
    return { locationId: input.locationId, lines, timezone: catalogue.timezones.get(input.locationId) ?? 'UTC' };
  }
}

/** Everything a consumer needs about a confirmed order, as `sales.order_confirmed` carries it. */
function confirmedPayload(order: SalesOrder, request: SaleRequest): OrderConfirmedPayload {
  return {
    orderId: order.id,
    // Ids are compared as text downstream: always the canonical lower case.
    locationId: order.locationId.toLowerCase(),
    customerId: order.customerId,
    campaignId: order.campaignId?.toLowerCase() ?? null,
    orderedAt: order.orderedAt.toISOString(),
    paymentMethod: order.paymentMethod,
    subtotal: new Decimal(order.subtotal.toString()).toFixed(2),
    discountTotal: new Decimal(order.discountTotal.toString()).toFixed(2),
    totalAmount: new Decimal(order.totalAmount.toString()).toFixed(2),
    unitCount: order.unitCount,
    locationTimezone: order.locationTimezone,
    lines: request.lines.map((line) => ({
      sku: line.sku,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      discount: line.discount,
      lineTotal: line.lineTotal,
      category: categoryOf(line),
    })),
  };
}

/** What orders recorded before categories were kept (migration 0005) carry. */
const UNCATEGORIZED = 'uncategorized';
const categoryOf = (line: SaleRequest['lines'][number]) => line.category ?? UNCATEGORIZED;
