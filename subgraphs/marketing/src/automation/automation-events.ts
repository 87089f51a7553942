/** Events the engine reacts to (docs/events.md). */
export const STOCK_CHANGED = 'inventory.stock_changed';
export const ORDER_CONFIRMED = 'sales.order_confirmed';
export const ORDER_RETURNED = 'sales.order_returned';

/** Events automation records in marketing's outbox. */
export const RULE_FIRED = 'marketing.rule_fired';
export const STORE_TASK_CREATED = 'marketing.store_task_created';
export const CAMPAIGN_STATUS_CHANGED = 'marketing.campaign_status_changed';

/** What the engine reads of `inventory.stock_changed`; `availableDelta` falls back to `delta` for events written before it existed. */
export interface StockChangedFacts {
  locationId: string;
  sku: string;
  available: number;
  availableBefore: number;
}

export interface OrderLineFacts {
  sku: string;
  quantity: number;
  lineTotal: string;
}

/** What the engine reads of `sales.order_confirmed`. */
export interface OrderConfirmedFacts {
  orderId: string;
  locationId: string;
  customerId: string | null;
  orderedAt: Date;
  totalAmount: string;
  unitCount: number;
  lines: OrderLineFacts[];
}

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);
const isDecimalText = (value: unknown): value is string => typeof value === 'string' && /^-?\d{1,20}(\.\d{1,10})?$/.test(value);

/** Null when the payload lacks what the engine needs (logged by the caller, never guessed). */
export function readStockChanged(payload: Record<string, unknown>): StockChangedFacts | null {
  const { locationId, sku, available } = payload;
  const delta = payload.availableDelta ?? payload.delta;
  if (typeof locationId !== 'string' || typeof sku !== 'string' || !isInt(available) || !isInt(delta)) return null;
  return { locationId: locationId.toLowerCase(), sku, available, availableBefore: available - delta };
}

export function readOrderConfirmed(payload: Record<string, unknown>, occurredAt: string): OrderConfirmedFacts | null {
  const { orderId, locationId, customerId, orderedAt, totalAmount, unitCount, lines } = payload;
  if (typeof orderId !== 'string' || typeof locationId !== 'string' || !isDecimalText(totalAmount) || !isInt(unitCount) || !Array.isArray(lines)) return null;
  if (customerId != null && typeof customerId !== 'string') return null;
  const readLines: OrderLineFacts[] = [];
  for (const line of lines as Record<string, unknown>[]) {
    if (typeof line?.sku !== 'string' || !isInt(line.quantity) || !isDecimalText(line.lineTotal)) return null;
    readLines.push({ sku: line.sku, quantity: line.quantity, lineTotal: line.lineTotal });
  }
  const at = new Date(typeof orderedAt === 'string' ? orderedAt : occurredAt);
  if (Number.isNaN(at.getTime())) return null;
  return { orderId, locationId: locationId.toLowerCase(), customerId: customerId || null, orderedAt: at, totalAmount, unitCount, lines: readLines };
}

/** What the engine reads of `sales.order_returned`: whose spend the refund takes back. */
export interface OrderReturnedFacts {
  customerId: string | null;
  refundTotal: string;
}

export function readOrderReturned(payload: Record<string, unknown>): OrderReturnedFacts | null {
  const { customerId, refundTotal } = payload;
  if (!isDecimalText(refundTotal) || (customerId != null && typeof customerId !== 'string')) return null;
  return { customerId: customerId || null, refundTotal };
}

