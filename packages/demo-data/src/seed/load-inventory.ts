import type { Brand } from './brand';
import type { LevelState, StockMovement } from './model';
import { formatCents } from './money';
import { inTransaction, insertColumns, Pipeline, toColumns, type Cell, type ColumnSpec, type SqlExecutor } from './sql';
import { stockLedger } from './stock-ledger';

const BATCH = 5_000;
/** Movements are most of the rows; bigger statements mean fewer round trips. */
const MOVEMENT_BATCH = 20_000;

const LOCATION_COLUMNS: ColumnSpec[] = [
  ['id', 'uuid'], ['code', 'text'], ['name', 'text'], ['kind', 'location_kind'], ['address_line1', 'text'], ['address_line2', 'text'],
  ['city', 'text'], ['region', 'text'], ['postal_code', 'text'], ['country', 'text'], ['timezone', 'text'],
  ['created_at', 'timestamptz'], ['updated_at', 'timestamptz'],
];
const PRODUCT_COLUMNS: ColumnSpec[] = [
  ['sku', 'text'], ['name', 'text'], ['category', 'text'], ['price', 'numeric'], ['description', 'text'], ['created_at', 'timestamptz'], ['updated_at', 'timestamptz'],
];
const LEVEL_COLUMNS: ColumnSpec[] = [['location_id', 'uuid'], ['sku', 'text'], ['on_hand', 'int4'], ['reorder_point', 'int4'], ['updated_at', 'timestamptz']];
const MOVEMENT_COLUMNS: ColumnSpec[] = [
  ['id', 'int8'], ['location_id', 'uuid'], ['sku', 'text'], ['delta', 'int4'], ['quantity_after', 'int4'], ['reason', 'stock_movement_reason'],
  ['reference', 'text'], ['occurred_at', 'timestamptz'],
];

function movementColumns(movements: readonly StockMovement[], idOffset: number): Cell[][] {
  return toColumns(movements, (m) => [m.id + idOffset, m.locationId, m.sku, m.delta, m.quantityAfter, m.reason, m.reference, m.occurredAt.toISOString()]);
}

function levelColumns(levels: readonly LevelState[]): Cell[][] {
  return toColumns(levels, (l) => [l.locationId, l.sku, l.onHand, l.reorderPoint, l.updatedAt.toISOString()]);
}

/**
 * Locations, products, the stock ledger and the levels it ends on, in one transaction. Expects
 * empty tables; movement ids continue after any already there and the id sequence is moved past them.
 */
export async function seedInventory(sql: SqlExecutor, brand: Brand): Promise<void> {
  await inTransaction(sql, async () => {
    await insertColumns(sql, 'locations', LOCATION_COLUMNS, toColumns(brand.locations, (l) => [
      l.id, l.code, l.name, l.kind, l.addressLine1, l.addressLine2, l.city, l.region, l.postalCode, l.country, l.timezone,
      l.createdAt.toISOString(), l.createdAt.toISOString(),
    ]));
    for (let i = 0; i < brand.products.length; i += BATCH) {
      await insertColumns(sql, 'products', PRODUCT_COLUMNS, toColumns(brand.products.slice(i, i + BATCH), (p) => [
        p.sku, p.name, p.category, formatCents(p.priceCents), p.description, p.createdAt.toISOString(), p.createdAt.toISOString(),
      ]));
    }

    const { rows } = await sql.query('SELECT COALESCE(MAX(id), 0) AS max_id FROM stock_movements');
    const idOffset = Number(rows[0].max_id);
    const pipeline = new Pipeline();
    const ledger = stockLedger(brand, MOVEMENT_BATCH);
    let lastId = idOffset;
    let step = ledger.next();
    while (!step.done) {
      const movements = step.value;
      lastId = idOffset + movements[movements.length - 1].id;
      await pipeline.send(() => insertColumns(sql, 'stock_movements', MOVEMENT_COLUMNS, movementColumns(movements, idOffset)));
      step = ledger.next();
    }
    await pipeline.drain();
    if (lastId > idOffset) await sql.query("SELECT setval(pg_get_serial_sequence('stock_movements', 'id'), $1)", [lastId]);

    const levels = step.value;
    for (let i = 0; i < levels.length; i += BATCH) {
      await insertColumns(sql, 'inventory_levels', LEVEL_COLUMNS, levelColumns(levels.slice(i, i + BATCH)));
    }
    await sql.query('ANALYZE locations, products, inventory_levels, stock_movements');
  });
}
