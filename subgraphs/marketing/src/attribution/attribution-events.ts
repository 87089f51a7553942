/** What attribution reads of the events it consumes (docs/events.md). */
export const ORDER_CONFIRMED = 'sales.order_confirmed';
export const ORDER_RETURNED = 'sales.order_returned';
export const TOUCHPOINT_RECORDED = 'marketing.touchpoint_recorded';

/**
 * A payload attribution can read but not store: a value beyond its column (docs/attribution.md,
 * "Inputs"). Thrown rather than skipped: the event fails, is retried in vain and dead-lettered,
 * and can be redriven once the cause is fixed. Unreadable payloads are skipped instead (null).
 */
export class UnstorableEventError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'UnstorableEventError';
  }
}

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);
const isDecimalText = (value: unknown): value is string => typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value);
const isUuid = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/** What DECIMAL(14,2) holds (marketing_orders' and marketing_order_lines' amounts): PostgreSQL would round a third decimal away and overflow on a 13th integer digit. */
const FITS_MONEY_COLUMN = /^-?\d{1,12}(\.\d{1,2})?$/;
const INT4 = { min: -2_147_483_648, max: 2_147_483_647 };

function money(orderId: string, field: string, value: string): string {
  if (!FITS_MONEY_COLUMN.test(value)) throw new UnstorableEventError(field, `order ${orderId}: ${field} ${JSON.stringify(value)} does not fit DECIMAL(14,2) (at most 12 integer digits and 2 decimals)`);
  return value;
}

function count(orderId: string, field: string, value: number): number {
  if (value < INT4.min || value > INT4.max) throw new UnstorableEventError(field, `order ${orderId}: ${field} ${value} does not fit an INTEGER column`);
  return value;
}

export interface OrderFactLine {
  lineNumber: number;
  sku: string;
  category: string;
  quantity: number;
  lineTotal: string;
}

/** A marketing_orders row and its lines, as `sales.order_confirmed` describes the order. */
export interface OrderFact {
  orderId: string;
  locationId: string;
  locationTimezone: string;
  customerId: string | null;
  campaignId: string | null;
  orderedAt: string;
  totalAmount: string;
  discountTotal: string;
  unitCount: number;
  lines: OrderFactLine[];
}

/**
 * Null when the payload lacks what attribution needs; UnstorableEventError when it has it but a
 * value does not fit marketing's columns. `locationTimezone` and `lines[].category` came later to
 * the payload: without them the order counts in UTC days and as 'uncategorized'. The zone is taken
 * as given here; the consumer checks it against PostgreSQL's (attribution-time-zones.ts).
 */
export function readOrderFact(payload: Record<string, unknown>, occurredAt: string): OrderFact | null {
  const { orderId, locationId, customerId, campaignId, orderedAt, totalAmount, discountTotal, unitCount, lines, locationTimezone } = payload;
  if (!isUuid(orderId) || !isUuid(locationId) || !isDecimalText(totalAmount) || !isInt(unitCount) || !Array.isArray(lines)) return null;
  if (customerId != null && typeof customerId !== 'string') return null;
  if (campaignId != null && !isUuid(campaignId)) return null;
  const at = new Date(typeof orderedAt === 'string' ? orderedAt : occurredAt);
  if (Number.isNaN(at.getTime())) return null;
  const id = orderId.toLowerCase();
  const factLines: OrderFactLine[] = [];
  for (const [index, line] of (lines as Record<string, unknown>[]).entries()) {
    if (typeof line?.sku !== 'string' || !isInt(line.quantity) || !isDecimalText(line.lineTotal)) return null;
    const category = typeof line.category === 'string' && line.category.trim() ? line.category : 'uncategorized';
    factLines.push({
      lineNumber: index + 1, sku: line.sku, category,
      quantity: count(id, `lines[${index}].quantity`, line.quantity), lineTotal: money(id, `lines[${index}].lineTotal`, line.lineTotal),
    });
  }
  return {
    orderId: id,
    locationId: locationId.toLowerCase(),
    locationTimezone: typeof locationTimezone === 'string' && locationTimezone.trim() ? locationTimezone.trim() : 'UTC',
    customerId: customerId || null,
    campaignId: campaignId ? campaignId.toLowerCase() : null,
    orderedAt: at.toISOString(),
    totalAmount: money(id, 'totalAmount', totalAmount),
    discountTotal: isDecimalText(discountTotal) ? money(id, 'discountTotal', discountTotal) : '0',
    unitCount: count(id, 'unitCount', unitCount),
    lines: factLines,
  };
}

export interface OrderReturn {
  orderId: string;
  refundTotal: string;
}

export function readOrderReturn(payload: Record<string, unknown>): OrderReturn | null {
  const { orderId, refundTotal } = payload;
  if (!isUuid(orderId) || !isDecimalText(refundTotal)) return null;
  const id = orderId.toLowerCase();
  return { orderId: id, refundTotal: money(id, 'refundTotal', refundTotal) };
}

export function readTouchpointId(payload: Record<string, unknown>): string | null {
  return isUuid(payload.touchpointId) ? payload.touchpointId.toLowerCase() : null;
}
