import { createHash } from 'node:crypto';
import { rebuildSalesRollups } from '@joinery/sales/sales-rollups';
import type { Brand } from './brand';
import type { Order } from './model';
import { formatCents } from './money';
import { inTransaction, insertColumns, Pipeline, toColumns, type Cell, type ColumnSpec, type SqlExecutor } from './sql';

const ORDER_BATCH = 5_000;

const ORDER_COLUMNS: ColumnSpec[] = [
  ['id', 'uuid'], ['location_id', 'uuid'], ['status', 'order_status'], ['ordered_at', 'timestamptz'], ['customer_id', 'text'],
  ['campaign_id', 'uuid'], ['payment_method', 'payment_method'], ['subtotal', 'numeric'], ['discount_total', 'numeric'],
  ['total_amount', 'numeric'], ['unit_count', 'int4'], ['idempotency_key', 'text'], ['request_hash', 'text'], ['request', 'jsonb'],
  ['created_at', 'timestamptz'], ['updated_at', 'timestamptz'], ['location_timezone', 'text'],
];
const LINE_COLUMNS: ColumnSpec[] = [
  ['order_id', 'uuid'], ['line_number', 'int4'], ['sku', 'text'], ['quantity', 'int4'], ['unit_price', 'numeric'], ['discount', 'numeric'],
  ['line_total', 'numeric'], ['location_id', 'uuid'], ['ordered_at', 'timestamptz'], ['category', 'text'], ['location_timezone', 'text'],
  ['campaign_id', 'uuid'],
];

export const idempotencyKey = (order: Order) => `seed-${order.id}`;

/**
 * The recordSale input that would have produced the order. Keys are sorted and absent values
 * left out, so the hash below matches a hash of the input normalised that way.
 */
export function saleRequest(order: Order): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  if (order.campaignId) request.campaignId = order.campaignId;
  if (order.customerId) request.customerId = order.customerId;
  request.idempotencyKey = idempotencyKey(order);
  request.lines = order.lines.map((line) => (line.discountCents
    ? { discount: formatCents(line.discountCents), quantity: line.quantity, sku: line.sku }
    : { quantity: line.quantity, sku: line.sku }));
  request.locationId = order.locationId;
  request.orderedAt = order.orderedAt.toISOString();
  request.paymentMethod = order.paymentMethod;
  return request;
}

/** What an order snapshots from inventory when it is sold: its location's time zone, its products' categories. */
interface Snapshots {
  timezones: Map<string, string>;
  categories: Map<string, string>;
}

/** One batch of orders as insertColumns takes it: the orders' columns and their lines' columns. */
function batchColumns(orders: readonly Order[], { timezones, categories }: Snapshots): { orders: Cell[][]; lines: Cell[][] } {
  const lineRows: Cell[][] = [];
  const orderColumns = toColumns(orders, (order) => {
    const orderedAt = order.orderedAt.toISOString();
    const request = JSON.stringify(saleRequest(order));
    order.lines.forEach((line, i) => lineRows.push([
      order.id, i + 1, line.sku, line.quantity, formatCents(line.unitPriceCents), formatCents(line.discountCents),
      formatCents(line.lineTotalCents), order.locationId, orderedAt, categories.get(line.sku)!, timezones.get(order.locationId)!, order.campaignId,
    ]));
    return [
      order.id, order.locationId, 'CONFIRMED', orderedAt, order.customerId, order.campaignId, order.paymentMethod,
      formatCents(order.subtotalCents), formatCents(order.discountCents), formatCents(order.totalCents), order.unitCount,
      idempotencyKey(order), createHash('sha256').update(request).digest('hex'), request, orderedAt, orderedAt, timezones.get(order.locationId)!,
    ];
  });
  return { orders: orderColumns, lines: toColumns(lineRows, (row) => row) };
}

/**
 * Every order and its lines, as CONFIRMED sales, and the daily rollups recordSale would have kept
 * for them, in one transaction.
 */
export async function seedSales(sql: SqlExecutor, brand: Brand): Promise<void> {
  const snapshots: Snapshots = {
    timezones: new Map(brand.locations.map((location) => [location.id, location.timezone])),
    categories: new Map(brand.products.map((product) => [product.sku, product.category])),
  };
  await inTransaction(sql, async () => {
    const pipeline = new Pipeline();
    for (const orders of brand.orderBatches(ORDER_BATCH)) {
      const batch = batchColumns(orders, snapshots);
      await pipeline.send(async () => {
        await insertColumns(sql, 'sales_orders', ORDER_COLUMNS, batch.orders);
        await insertColumns(sql, 'sales_order_lines', LINE_COLUMNS, batch.lines);
      });
    }
    await pipeline.drain();
    // The rows above bypass recordSale, which keeps the rollups as it confirms.
    await rebuildSalesRollups(sql);
    await sql.query('ANALYZE sales_orders, sales_order_lines');
  });
}
