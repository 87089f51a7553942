import type { Brand } from './brand';
import type { Order } from './model';
import { formatCents } from './money';
import { insertColumns, Pipeline, toColumns, type Cell, type ColumnSpec, type SqlExecutor } from './sql';

const ORDER_BATCH = 5_000;

const ORDER_COLUMNS: ColumnSpec[] = [
  ['order_id', 'uuid'], ['location_id', 'uuid'], ['location_timezone', 'text'], ['customer_id', 'text'], ['campaign_id', 'uuid'],
  ['ordered_at', 'timestamptz'], ['total_amount', 'numeric'], ['discount_total', 'numeric'], ['unit_count', 'int4'], ['recorded_at', 'timestamptz'],
];
const LINE_COLUMNS: ColumnSpec[] = [
  ['order_id', 'uuid'], ['line_number', 'int4'], ['sku', 'text'], ['category', 'text'], ['quantity', 'int4'], ['line_total', 'numeric'],
];

/**
 * What marketing keeps of each confirmed order (marketing_orders, marketing_order_lines), as its
 * `marketing.attribution` consumer would have written them from the brand's `sales.order_confirmed`
 * events: the seed writes no events, so marketing gets its facts here. The caller computes the
 * attribution from them afterwards (rebuildAttribution in the marketing subgraph).
 */
export async function seedOrderFacts(sql: SqlExecutor, brand: Brand): Promise<void> {
  const timezones = new Map(brand.locations.map((location) => [location.id, location.timezone]));
  const categories = new Map(brand.products.map((product) => [product.sku, product.category as string]));
  const pipeline = new Pipeline();
  for (const orders of brand.orderBatches(ORDER_BATCH)) {
    const lineRows: Cell[][] = [];
    const orderColumns = toColumns(orders, (order: Order) => {
      const orderedAt = order.orderedAt.toISOString();
      order.lines.forEach((line, i) => lineRows.push([order.id, i + 1, line.sku, categories.get(line.sku) ?? 'uncategorized', line.quantity, formatCents(line.lineTotalCents)]));
      return [
        order.id, order.locationId, timezones.get(order.locationId) ?? 'UTC', order.customerId, order.campaignId, orderedAt,
        formatCents(order.totalCents), formatCents(order.discountCents), order.unitCount, orderedAt,
      ];
    });
    const lineColumns = toColumns(lineRows, (row) => row);
    await pipeline.send(async () => {
      await insertColumns(sql, 'marketing_orders', ORDER_COLUMNS, orderColumns);
      await insertColumns(sql, 'marketing_order_lines', LINE_COLUMNS, lineColumns);
    });
  }
  await pipeline.drain();
  await sql.query('ANALYZE marketing_orders, marketing_order_lines');
}
