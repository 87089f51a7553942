import { Prisma } from './generated/prisma/client';
import type { PaymentMethod, ReturnCondition } from './generated/prisma/client';

/** The bus topic for every sales event; one topic keeps an order's events in one order. */
export const SALES_TOPIC = 'sales.orders';
export const ORDER_CONFIRMED = 'sales.order_confirmed';
export const ORDER_RETURNED = 'sales.order_returned';

/**
 * Payload of `sales.order_confirmed` v1 (docs/events.md). Carries the whole order: consumers
 * (marketing's automation and attribution) never read sales' tables.
 */
export interface OrderConfirmedPayload {
  orderId: string;
  /** Always lower case. */
  locationId: string;
  customerId: string | null;
  campaignId: string | null;
  orderedAt: string;
  paymentMethod: PaymentMethod;
  subtotal: string;
  discountTotal: string;
  totalAmount: string;
  unitCount: number;
  /** The location's IANA time zone when the order was recorded ('UTC' for orders older than it). */
  locationTimezone: string;
  /** `category`: the product's when it was sold ('uncategorized' for orders older than it). */
  lines: { sku: string; quantity: number; unitPrice: string; discount: string; lineTotal: string; category: string }[];
}

/** Payload of `sales.order_returned` v1 (docs/events.md). */
export interface OrderReturnedPayload {
  returnId: string;
  orderId: string;
  /** Where the goods came back; lower case. */
  locationId: string;
  /** Where the order was sold; lower case. */
  orderLocationId: string;
  customerId: string | null;
  campaignId: string | null;
  lines: { sku: string; quantity: number; condition: ReturnCondition; refundAmount: string }[];
  refundTotal: string;
  returnedAt: string;
}

export interface OutboxInsert {
  id: string;
  type: string;
  aggregate: string;
  payload: OrderConfirmedPayload | OrderReturnedPayload;
}

/**
 * A data-modifying CTE that writes `event` to the outbox once for each row of `source` (a CTE
 * name of the same statement): the event exists exactly when the change it records happened.
 */
export function outboxInsertFrom(source: string, event: OutboxInsert): Prisma.Sql {
  return Prisma.sql`INSERT INTO outbox_events (id, type, aggregate, payload)
    SELECT ${event.id}::uuid, ${event.type}, ${event.aggregate}, ${JSON.stringify(event.payload)}::jsonb FROM ${Prisma.raw(source)}`;
}
