/**
 * The inventory reports on a scenario small enough to check by hand. Two stores, Oslo (A) and
 * Bergen (B); CHAIR-1 (chairs, 100.00), TABLE-1 (tables, 500.00 then 450.00), CHAIR-2 (chairs,
 * 40.00, then moved to stools). Each step's movements are dated T0 + h hours, T0 = 40 days ago:
 *
 *   h   0  received: A CHAIR-1 +20, A TABLE-1 +5, A CHAIR-2 +8, B CHAIR-1 +10
 *   h  48  sale at A: CHAIR-1 6, TABLE-1 2
 *   h 120  return at A: CHAIR-1 1 (restocked)
 *   h 240  transfer A → B CHAIR-1 4 created (A committed 4), h 241 shipped
 *   h 294  received at B in full
 *   h 312  B CHAIR-1: 1 found damaged
 *   h 336  sale at A: TABLE-1 3           → A TABLE-1 out of stock
 *   h 480  received: A TABLE-1 +4         → back in stock (out 144 h)
 *   h 600  sale at B: CHAIR-1 13          → B CHAIR-1 out (1 on hand, damaged), still out
 *   h 720  TABLE-1 price 450.00; CHAIR-2 moved to category stools
 *
 * Ending: A CHAIR-1 11 on hand (11 available), A TABLE-1 4 (4), A CHAIR-2 8 (8), B CHAIR-1 1 (0).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '@joinery/core/testing';
import { ADJUST, ALLOCATE, CHANGE_STATE, CREATE_TRANSFER, RECEIVE_TRANSFER, RESTOCK, salesService, SHIP_TRANSFER, startInventory, type InventoryCaller, type InventoryClient } from '../testing/inventory-client';
import { rebuildStockValueRollups } from './stock-value';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const ROW_KEYS = 'location { code } category product { sku }';

describe.each(backends())('inventory analytics on $name', (backend) => {
  let client: InventoryClient;
  let oslo: string;
  let bergen: string;
  // Whole seconds, so durations come out in whole seconds.
  const t0 = Math.floor((Date.now() - 40 * DAY) / 1000) * 1000;
  const at = (hours: number) => new Date(t0 + hours * HOUR);

  const sql = async (text: string, params?: unknown[]) => client.inventory.database.withConnection(async (connection) => (await connection.query(text, params)).rows);
  /** Runs a step, then dates the movements it wrote T0 + `hours`. */
  const happened = async (hours: number, step: () => Promise<unknown>) => {
    const [{ last }] = await sql('SELECT coalesce(max(id), 0)::text AS last FROM stock_movements');
    await step();
    await sql('UPDATE stock_movements SET occurred_at = $1 WHERE id > $2', [at(hours).toISOString(), last]);
  };
  const ok = async (query: string, variables: Record<string, unknown>, field: string, caller?: InventoryCaller) => {
    const data = await client.ok(query, variables, caller);
    const payload = data[field];
    expect(payload.userErrors).toEqual([]);
    return payload;
  };
  const receive = (locationId: string, sku: string, delta: number) => ok(ADJUST, { input: { locationId, sku, delta, reason: 'RECEIVED' } }, 'adjustInventory');
  const sell = (locationId: string, lines: { sku: string; quantity: number }[]) => ok(ALLOCATE, { input: { orderId: randomUUID(), locationId, lines } }, 'allocateSaleStock', salesService());
  const product = (sku: string, category: string, price: string) =>
    ok(`mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, { input: { sku, name: sku, category, price } }, 'createProduct');
  const updateProduct = (input: Record<string, unknown>) =>
    ok(`mutation($input: UpdateProductInput!) { updateProduct(input: $input) { userErrors { message } } }`, { input }, 'updateProduct');

  /** The rollup's rows with stock, and the same figures recomputed from the levels. */
  const rollupAndRecomputation = async () => {
    const rollup = await sql(`SELECT location_id::text, category, on_hand::text, available::text, value::text FROM stock_value_rollups
      WHERE on_hand <> 0 OR available <> 0 OR value <> 0 ORDER BY 1, 2`);
    const recomputed = await sql(`SELECT level.location_id::text, product.category, sum(level.on_hand)::text AS on_hand,
        sum(level.on_hand - level.committed - level.damaged)::text AS available, sum(level.on_hand * product.price)::text AS value
      FROM inventory_levels AS level JOIN products AS product ON product.sku = level.sku
      GROUP BY 1, 2 HAVING sum(level.on_hand) <> 0 OR sum(level.on_hand - level.committed - level.damaged) <> 0 ORDER BY 1, 2`);
    return { rollup, recomputed };
  };
  const expectRollupExact = async () => {
    const { rollup, recomputed } = await rollupAndRecomputation();
    expect(rollup).toEqual(recomputed);
  };

  beforeAll(async () => {
    client = await startInventory(backend.targets().inventory);
    oslo = await client.location('OSL-STORE-1');
    bergen = await client.location('BGO-STORE-1');
    await product('CHAIR-1', 'chairs', '100.00');
    await product('TABLE-1', 'tables', '500.00');
    await product('CHAIR-2', 'chairs', '40.00');

    await happened(0, async () => {
      await receive(oslo, 'CHAIR-1', 20);
      await receive(oslo, 'TABLE-1', 5);
      await receive(oslo, 'CHAIR-2', 8);
      await receive(bergen, 'CHAIR-1', 10);
    });
    await expectRollupExact();
    await happened(48, () => sell(oslo, [{ sku: 'CHAIR-1', quantity: 6 }, { sku: 'TABLE-1', quantity: 2 }]));
    await happened(120, () => ok(RESTOCK, { input: { returnId: randomUUID(), orderId: randomUUID(), locationId: oslo, lines: [{ sku: 'CHAIR-1', quantity: 1, condition: 'RESTOCK' }] } }, 'restockReturn', salesService()));
    let transferId = '';
    await happened(240, async () => {
      transferId = (await ok(CREATE_TRANSFER, { input: { originId: oslo, destinationId: bergen, lines: [{ sku: 'CHAIR-1', quantity: 4 }] } }, 'createTransfer')).transfer.id;
    });
    await expectRollupExact();
    await happened(241, () => ok(SHIP_TRANSFER, { input: { id: transferId } }, 'shipTransfer'));
    await happened(294, () => ok(RECEIVE_TRANSFER, { input: { id: transferId } }, 'receiveTransfer'));
    await happened(312, () => ok(CHANGE_STATE, { input: { locationId: bergen, sku: 'CHAIR-1', quantity: 1, from: 'AVAILABLE', to: 'DAMAGED' } }, 'changeInventoryState'));
    await expectRollupExact();
    await happened(336, () => sell(oslo, [{ sku: 'TABLE-1', quantity: 3 }]));
    await happened(480, () => receive(oslo, 'TABLE-1', 4));
    await happened(600, () => sell(bergen, [{ sku: 'CHAIR-1', quantity: 13 }]));
    await updateProduct({ sku: 'TABLE-1', price: '450.00' });
    await updateProduct({ sku: 'CHAIR-2', category: 'stools' });
  });
  afterAll(async () => {
    await client?.stop();
    await backend.cleanup();
  });

  describe('inventoryStockValue', () => {
    const query = `query($filter: InventoryAnalyticsFilter, $groupBy: [InventoryDimension!]!, $first: Int) {
      inventoryStockValue(filter: $filter, groupBy: $groupBy, first: $first) {
        asOf rows { ${ROW_KEYS} onHand available value } rowCount totals { onHand available value } } }`;
    const report = async (variables: Record<string, unknown>) => (await client.ok(query, { groupBy: ['LOCATION', 'CATEGORY'], ...variables })).inventoryStockValue;

    it('values stock by location and category at current prices, most value first, with totals', async () => {
      const before = Date.now();
      const value = await report({});
      expect(value.rows).toEqual([
        { location: { code: 'OSL-STORE-1' }, category: 'tables', product: null, onHand: 4, available: 4, value: '1800.00' },
        { location: { code: 'OSL-STORE-1' }, category: 'chairs', product: null, onHand: 11, available: 11, value: '1100.00' },
        { location: { code: 'OSL-STORE-1' }, category: 'stools', product: null, onHand: 8, available: 8, value: '320.00' },
        { location: { code: 'BGO-STORE-1' }, category: 'chairs', product: null, onHand: 1, available: 0, value: '100.00' },
      ]);
      expect(value.rowCount).toBe(4);
      expect(value.totals).toEqual({ onHand: 24, available: 23, value: '3320.00' });
      expect(new Date(value.asOf).getTime()).toBeGreaterThanOrEqual(before - 1_000);
    });

    it('groups by location, by category, or by product, and filters', async () => {
      expect((await report({ groupBy: ['LOCATION'] })).rows).toEqual([
        { location: { code: 'OSL-STORE-1' }, category: null, product: null, onHand: 23, available: 23, value: '3220.00' },
        { location: { code: 'BGO-STORE-1' }, category: null, product: null, onHand: 1, available: 0, value: '100.00' },
      ]);
      expect((await report({ groupBy: ['CATEGORY'] })).rows).toEqual([
        { location: null, category: 'tables', product: null, onHand: 4, available: 4, value: '1800.00' },
        { location: null, category: 'chairs', product: null, onHand: 12, available: 11, value: '1200.00' },
        { location: null, category: 'stools', product: null, onHand: 8, available: 8, value: '320.00' },
      ]);
      expect((await report({ groupBy: ['PRODUCT'], filter: { skus: ['CHAIR-1'] } })).rows).toEqual([
        { location: null, category: 'chairs', product: { sku: 'CHAIR-1' }, onHand: 12, available: 11, value: '1200.00' },
      ]);
      const bergenOnly = await report({ filter: { locationIds: [bergen.toUpperCase()] } });
      expect(bergenOnly.rows).toEqual([{ location: { code: 'BGO-STORE-1' }, category: 'chairs', product: null, onHand: 1, available: 0, value: '100.00' }]);
      expect(bergenOnly.totals).toEqual({ onHand: 1, available: 0, value: '100.00' });
      expect((await report({ groupBy: [], filter: { categories: ['Chairs', 'stools'] } })).rows).toEqual([
        { location: null, category: null, product: null, onHand: 20, available: 19, value: '1520.00' },
      ]);
    });

    it('cuts the rows at first but counts and totals every group', async () => {
      const cut = await report({ first: 2 });
      expect(cut.rows.map((row: { value: string }) => row.value)).toEqual(['1800.00', '1100.00']);
      expect(cut.rowCount).toBe(4);
      expect(cut.totals.value).toBe('3320.00');
    });
  });

  describe('stock_value_rollups', () => {
    it('equals a recomputation from the levels after sales, a return, a transfer, damage and price and category changes', async () => {
      await expectRollupExact();
      const { rollup } = await rollupAndRecomputation();
      expect(rollup).toEqual([
        { location_id: oslo, category: 'chairs', on_hand: '11', available: '11', value: '1100.00' },
        { location_id: oslo, category: 'stools', on_hand: '8', available: '8', value: '320.00' },
        { location_id: oslo, category: 'tables', on_hand: '4', available: '4', value: '1800.00' },
        { location_id: bergen, category: 'chairs', on_hand: '1', available: '0', value: '100.00' },
      ].sort((a, b) => `${a.location_id}|${a.category}`.localeCompare(`${b.location_id}|${b.category}`)));
    });

    it('follows levels written by plain SQL too (bulk inserts, updates, deletes, truncation), and rebuildStockValueRollups restores a damaged rollup', async () => {
      await product('BULK-1', 'lighting', '12.50');
      await product('BULK-2', 'lighting', '7.25');
      await sql(`INSERT INTO inventory_levels (location_id, sku, on_hand) VALUES ($1, 'BULK-1', 4), ($2, 'BULK-1', 2), ($1, 'BULK-2', 10)`, [oslo, bergen]);
      await expectRollupExact();
      expect(await sql(`SELECT value::text FROM stock_value_rollups WHERE location_id = $1 AND category = 'lighting'`, [oslo])).toEqual([{ value: '122.50' }]);
      await sql(`UPDATE inventory_levels SET on_hand = on_hand + 1 WHERE sku LIKE 'BULK-%'`);
      await sql(`UPDATE products SET price = price * 2 WHERE sku LIKE 'BULK-%'`);
      await expectRollupExact();
      expect(await sql(`SELECT value::text FROM stock_value_rollups WHERE location_id = $1 AND category = 'lighting'`, [oslo])).toEqual([{ value: '284.50' }]);
      await sql(`DELETE FROM inventory_levels WHERE sku LIKE 'BULK-%'`);
      await expectRollupExact();

      await sql(`INSERT INTO inventory_levels (location_id, sku, on_hand) VALUES ($1, 'BULK-1', 3)`, [bergen]);
      const afterTruncate = await client.inventory.database.withConnection(async (connection) => {
        await connection.query('BEGIN');
        await connection.query('TRUNCATE inventory_levels');
        const { rows } = await connection.query(`SELECT count(*)::int AS rows FROM stock_value_rollups WHERE on_hand <> 0 OR value <> 0`);
        await connection.query('ROLLBACK');
        return rows;
      });
      expect(afterTruncate).toEqual([{ rows: 0 }]);
      await sql(`DELETE FROM inventory_levels WHERE sku LIKE 'BULK-%'`);
      await expectRollupExact();

      await sql(`UPDATE stock_value_rollups SET value = 0, on_hand = 999`);
      await rebuildStockValueRollups(client.inventory.prisma);
      await expectRollupExact();
      expect((await client.ok(`{ inventoryStockValue { totals { onHand available value } } }`)).inventoryStockValue.totals).toEqual({ onHand: 24, available: 23, value: '3320.00' });
    });
  });

  describe('inventorySellThrough', () => {
    const query = `query($from: DateTime!, $to: DateTime, $groupBy: [InventoryDimension!]!, $filter: InventoryAnalyticsFilter) {
      inventorySellThrough(from: $from, to: $to, groupBy: $groupBy, filter: $filter) {
        from to rows { ${ROW_KEYS} figures { onHandAtStart unitsReceived unitsSold unitsReturned sellThroughRate } }
        rowCount totals { onHandAtStart unitsReceived unitsSold unitsReturned sellThroughRate } } }`;
    const figures = (onHandAtStart: number, unitsReceived: number, unitsSold: number, unitsReturned: number, sellThroughRate: number | null) =>
      ({ onHandAtStart, unitsReceived, unitsSold, unitsReturned, sellThroughRate });

    it('is net units sold over on hand at the start plus units received, per level', async () => {
      const report = (await client.ok(query, { from: at(24).toISOString(), to: at(744).toISOString(), groupBy: ['LOCATION', 'PRODUCT'] })).inventorySellThrough;
      expect(report.rows).toEqual([
        // 13 sold ÷ (10 at the start + 4 from the transfer)
        { location: { code: 'BGO-STORE-1' }, category: 'chairs', product: { sku: 'CHAIR-1' }, figures: figures(10, 4, 13, 0, 0.9286) },
        // 2 + 3 sold ÷ (5 + 4 received on h 480)
        { location: { code: 'OSL-STORE-1' }, category: 'tables', product: { sku: 'TABLE-1' }, figures: figures(5, 4, 5, 0, 0.5556) },
        // (6 sold − 1 returned) ÷ 20; the 4 sent to Bergen are not received here
        { location: { code: 'OSL-STORE-1' }, category: 'chairs', product: { sku: 'CHAIR-1' }, figures: figures(20, 0, 6, 1, 0.25) },
        { location: { code: 'OSL-STORE-1' }, category: 'stools', product: { sku: 'CHAIR-2' }, figures: figures(8, 0, 0, 0, 0) },
      ]);
      // 23 ÷ 51
      expect(report.totals).toEqual(figures(43, 8, 24, 1, 0.451));
      expect(report.rowCount).toBe(4);
    });

    it('counts only what happened before `to`, and groups by location', async () => {
      const report = (await client.ok(query, { from: at(24).toISOString(), to: at(400).toISOString(), groupBy: ['LOCATION'] })).inventorySellThrough;
      expect(report.rows).toEqual([
        // A: (6 + 5 − 1) ÷ (20 + 5 + 8); the h 480 receipt is after `to`
        { location: { code: 'OSL-STORE-1' }, category: null, product: null, figures: figures(33, 0, 11, 1, 0.303) },
        { location: { code: 'BGO-STORE-1' }, category: null, product: null, figures: figures(10, 4, 0, 0, 0) },
      ]);
      const tables = (await client.ok(query, { from: at(24).toISOString(), to: at(400).toISOString(), groupBy: ['CATEGORY'], filter: { categories: ['tables'] } })).inventorySellThrough;
      expect(tables.rows).toEqual([{ location: null, category: 'tables', product: null, figures: figures(5, 0, 5, 0, 1) }]);
    });
  });

  describe('inventoryDaysOfSupply', () => {
    const query = `query($lookbackDays: Int, $groupBy: [InventoryDimension!]!) {
      inventoryDaysOfSupply(lookbackDays: $lookbackDays, groupBy: $groupBy) {
        lookbackDays rows { ${ROW_KEYS} onHand available netUnitsSold dailySalesRate daysOfSupply } rowCount } }`;

    it('divides available stock by the net daily sales rate of the lookback, what runs out first first', async () => {
      const report = (await client.ok(query, { lookbackDays: 28, groupBy: ['LOCATION', 'PRODUCT'] })).inventoryDaysOfSupply;
      expect(report.rows).toEqual([
        // sold 13 in 28 days, none left
        { location: { code: 'BGO-STORE-1' }, category: 'chairs', product: { sku: 'CHAIR-1' }, onHand: 1, available: 0, netUnitsSold: 13, dailySalesRate: 0.4643, daysOfSupply: 0 },
        // 4 ÷ (3 ÷ 28)
        { location: { code: 'OSL-STORE-1' }, category: 'tables', product: { sku: 'TABLE-1' }, onHand: 4, available: 4, netUnitsSold: 3, dailySalesRate: 0.1071, daysOfSupply: 37.33 },
        // no sale in the last 28 days: no rate, no end
        { location: { code: 'OSL-STORE-1' }, category: 'chairs', product: { sku: 'CHAIR-1' }, onHand: 11, available: 11, netUnitsSold: 0, dailySalesRate: null, daysOfSupply: null },
        { location: { code: 'OSL-STORE-1' }, category: 'stools', product: { sku: 'CHAIR-2' }, onHand: 8, available: 8, netUnitsSold: 0, dailySalesRate: null, daysOfSupply: null },
      ]);
      expect(report.rowCount).toBe(4);
    });

    it('groups, and follows the lookback', async () => {
      const byLocation = (await client.ok(query, { lookbackDays: 28, groupBy: ['LOCATION'] })).inventoryDaysOfSupply;
      expect(byLocation.rows).toEqual([
        { location: { code: 'BGO-STORE-1' }, category: null, product: null, onHand: 1, available: 0, netUnitsSold: 13, dailySalesRate: 0.4643, daysOfSupply: 0 },
        // 23 ÷ (3 ÷ 28)
        { location: { code: 'OSL-STORE-1' }, category: null, product: null, onHand: 23, available: 23, netUnitsSold: 3, dailySalesRate: 0.1071, daysOfSupply: 214.67 },
      ]);
      // Over 39 days the h 48 sale (6 + 2) and the h 120 return count too: A sold 6 − 1 + 2 + 3 = 10.
      const longer = (await client.ok(query, { lookbackDays: 39, groupBy: ['LOCATION'] })).inventoryDaysOfSupply;
      expect(longer.rows[1]).toEqual({ location: { code: 'OSL-STORE-1' }, category: null, product: null, onHand: 23, available: 23, netUnitsSold: 10, dailySalesRate: 0.2564, daysOfSupply: 89.7 });
      const lastWeek = (await client.ok(query, { lookbackDays: 7, groupBy: ['LOCATION', 'PRODUCT'] })).inventoryDaysOfSupply;
      expect(lastWeek.rows.map((row: { daysOfSupply: number | null }) => row.daysOfSupply)).toEqual([null, null, null, null]);
    });
  });

  describe('inventoryStockOuts', () => {
    const query = `query($from: DateTime!, $to: DateTime, $filter: InventoryAnalyticsFilter) {
      inventoryStockOuts(from: $from, to: $to, filter: $filter) {
        asOf from to levelCount stockOutCount totalSeconds
        levels { location { code } product { sku } stockOutCount totalSeconds outNow periods { start end startedBeforeFrom seconds } } } }`;

    it('finds the stock-out that ended and the one still open, from the ledger', async () => {
      const report = (await client.ok(query, { from: at(0).toISOString() })).inventoryStockOuts;
      const open = Math.floor((new Date(report.asOf).getTime() - at(600).getTime()) / 1000);
      expect(open).toBeGreaterThan(15 * 24 * 3600 - 120);
      expect(report.levels).toEqual([
        { location: { code: 'BGO-STORE-1' }, product: { sku: 'CHAIR-1' }, stockOutCount: 1, totalSeconds: open, outNow: true,
          periods: [{ start: at(600).toISOString(), end: null, startedBeforeFrom: false, seconds: open }] },
        { location: { code: 'OSL-STORE-1' }, product: { sku: 'TABLE-1' }, stockOutCount: 1, totalSeconds: 144 * 3600, outNow: false,
          periods: [{ start: at(336).toISOString(), end: at(480).toISOString(), startedBeforeFrom: false, seconds: 144 * 3600 }] },
      ]);
      expect(report).toMatchObject({ levelCount: 2, stockOutCount: 2, totalSeconds: open + 144 * 3600 });
    });

    it('clips periods to the window: one already running at from, one still running at to', async () => {
      const report = (await client.ok(query, { from: at(400).toISOString(), to: at(700).toISOString() })).inventoryStockOuts;
      expect(report.levels).toEqual([
        { location: { code: 'BGO-STORE-1' }, product: { sku: 'CHAIR-1' }, stockOutCount: 1, totalSeconds: 100 * 3600, outNow: true,
          periods: [{ start: at(600).toISOString(), end: null, startedBeforeFrom: false, seconds: 100 * 3600 }] },
        { location: { code: 'OSL-STORE-1' }, product: { sku: 'TABLE-1' }, stockOutCount: 1, totalSeconds: 80 * 3600, outNow: false,
          periods: [{ start: at(400).toISOString(), end: at(480).toISOString(), startedBeforeFrom: true, seconds: 80 * 3600 }] },
      ]);
      expect(report.totalSeconds).toBe(180 * 3600);
      const tablesOnly = (await client.ok(query, { from: at(0).toISOString(), filter: { categories: ['tables'] } })).inventoryStockOuts;
      expect(tablesOnly.levels.map((level: { product: { sku: string } }) => level.product.sku)).toEqual(['TABLE-1']);
      const quiet = (await client.ok(query, { from: at(500).toISOString(), to: at(550).toISOString() })).inventoryStockOuts;
      expect(quiet).toMatchObject({ levels: [], levelCount: 0, stockOutCount: 0, totalSeconds: 0 });
    });

    it('regression: a shipment (on-hand −q and committed −q in one change) is not a stock-out of no length', async () => {
      const report = (await client.ok(query, { from: at(0).toISOString(), filter: { skus: ['CHAIR-1'], locationIds: [oslo] } })).inventoryStockOuts;
      expect(report.levels).toEqual([]);
    });

    it('regression: shipping all of a level\'s available stock is not a stock-out of no length (the CHAIR-1 case above never neared 0)', async () => {
      // Its own product, sold out at the end, so no other report sees it. On hand 8, 4 committed to a
      // transfer: shipping it takes on-hand to 4 and committed to 0, available stays 4; taken one
      // movement at a time, available would pass through 0 between the two.
      await product('LAMP-1', 'lamps', '10.00');
      await happened(700, () => receive(oslo, 'LAMP-1', 8));
      let lampTransfer = '';
      await happened(701, async () => {
        lampTransfer = (await ok(CREATE_TRANSFER, { input: { originId: oslo, destinationId: bergen, lines: [{ sku: 'LAMP-1', quantity: 4 }] } }, 'createTransfer')).transfer.id;
      });
      await happened(702, () => ok(SHIP_TRANSFER, { input: { id: lampTransfer } }, 'shipTransfer'));
      await happened(710, () => sell(oslo, [{ sku: 'LAMP-1', quantity: 4 }]));
      const report = (await client.ok(query, { from: at(690).toISOString(), filter: { skus: ['LAMP-1'] } })).inventoryStockOuts;
      expect(report.levels).toMatchObject([
        { location: { code: 'OSL-STORE-1' }, stockOutCount: 1, outNow: true, periods: [{ start: at(710).toISOString(), end: null, startedBeforeFrom: false }] },
      ]);
      expect(report.stockOutCount).toBe(1);
    });

    it('regression: a change that started before another but committed after it (a lock wait) is walked by its start, so no period ends before it starts', async () => {
      // Movements are dated by their transaction's start: a receipt that waited for a lock can be
      // dated before a sale it committed (and was numbered) after. In ledger-id order the sale took
      // available to 0 at h 660 and the receipt "ended" that at h 655; by time, available went
      // 5 → 9 (h 655) → 4 (h 660) → 0 (h 665): one stock-out, from h 665, still open.
      await product('CLOCK-1', 'clocks', '30.00');
      await happened(650, () => receive(oslo, 'CLOCK-1', 5));
      await happened(660, () => sell(oslo, [{ sku: 'CLOCK-1', quantity: 5 }]));
      await happened(655, () => receive(oslo, 'CLOCK-1', 4));
      await happened(665, () => sell(oslo, [{ sku: 'CLOCK-1', quantity: 4 }]));
      const report = (await client.ok(query, { from: at(640).toISOString(), filter: { skus: ['CLOCK-1'] } })).inventoryStockOuts;
      expect(report.levels).toMatchObject([
        { location: { code: 'OSL-STORE-1' }, stockOutCount: 1, outNow: true, periods: [{ start: at(665).toISOString(), end: null, startedBeforeFrom: false }] },
      ]);
      // Between the receipts: never out, by time.
      const between = (await client.ok(query, { from: at(640).toISOString(), to: at(664).toISOString(), filter: { skus: ['CLOCK-1'] } })).inventoryStockOuts;
      expect(between).toMatchObject({ levels: [], stockOutCount: 0, totalSeconds: 0 });
    });

    it('regression: 30 levels out for three years answer (their total time out, 2,840,832,000 s, overflowed GraphQL Int)', async () => {
      // 30 products received and sold out at Oslo before the window, out for all of its 1,096 days.
      const skus = Array.from({ length: 30 }, (_, index) => `LONG-OUT-${String(index).padStart(2, '0')}`);
      for (const sku of skus) await product(sku, 'long-out', '1.00');
      const to = new Date(Math.floor(Date.now() / 1000) * 1000);
      const from = new Date(to.getTime() - 1_096 * DAY);
      const hoursBefore = (date: Date, days: number) => (date.getTime() - days * DAY - t0) / HOUR;
      await happened(hoursBefore(from, 4), async () => {
        for (const sku of skus) await receive(oslo, sku, 2);
      });
      await happened(hoursBefore(from, 3), () => sell(oslo, skus.map((sku) => ({ sku, quantity: 2 }))));
      const report = (await client.ok(query, { from: from.toISOString(), to: to.toISOString(), filter: { categories: ['long-out'] } })).inventoryStockOuts;
      const window = 1_096 * 24 * 3600; // 94,694,400 s
      expect(report).toMatchObject({ levelCount: 30, stockOutCount: 30, totalSeconds: 2_840_832_000 });
      expect(report.levels).toHaveLength(30);
      expect(report.levels[0]).toEqual({ location: { code: 'OSL-STORE-1' }, product: { sku: 'LONG-OUT-00' }, stockOutCount: 1, totalSeconds: window, outNow: true,
        periods: [{ start: from.toISOString(), end: null, startedBeforeFrom: true, seconds: window }] });
    });
  });

  describe('inventorySlowMovers', () => {
    const query = `query($days: Int, $maxUnitsSold: Int, $groupBy: [InventoryDimension!]) {
      inventorySlowMovers(days: $days, maxUnitsSold: $maxUnitsSold, groupBy: $groupBy) {
        days maxUnitsSold rows { ${ROW_KEYS} onHand available value netUnitsSold } rowCount } }`;

    it('lists products with stock that did not sell, by value tied up', async () => {
      const unsold = (await client.ok(query, { days: 30 })).inventorySlowMovers;
      expect(unsold.rows).toEqual([{ location: null, category: 'stools', product: { sku: 'CHAIR-2' }, onHand: 8, available: 8, value: '320.00', netUnitsSold: 0 }]);
      const slow = (await client.ok(query, { days: 30, maxUnitsSold: 3 })).inventorySlowMovers;
      expect(slow.rows).toEqual([
        { location: null, category: 'tables', product: { sku: 'TABLE-1' }, onHand: 4, available: 4, value: '1800.00', netUnitsSold: 3 },
        { location: null, category: 'stools', product: { sku: 'CHAIR-2' }, onHand: 8, available: 8, value: '320.00', netUnitsSold: 0 },
      ]);
    });

    it('judges each level on its own when grouped by location and product', async () => {
      // CHAIR-1 sold 13 in Bergen but nothing in Oslo over the last 30 days.
      const report = (await client.ok(query, { days: 30, groupBy: ['LOCATION', 'PRODUCT'] })).inventorySlowMovers;
      expect(report.rows).toEqual([
        { location: { code: 'OSL-STORE-1' }, category: 'chairs', product: { sku: 'CHAIR-1' }, onHand: 11, available: 11, value: '1100.00', netUnitsSold: 0 },
        { location: { code: 'OSL-STORE-1' }, category: 'stools', product: { sku: 'CHAIR-2' }, onHand: 8, available: 8, value: '320.00', netUnitsSold: 0 },
      ]);
    });
  });

  describe('arguments', () => {
    it.each([
      ['{ inventoryStockValue(first: 5001) { rowCount } }', 'first'],
      ['{ inventoryStockValue(first: 0) { rowCount } }', 'first'],
      ['{ inventoryDaysOfSupply(first: 501) { rowCount } }', 'first'],
      ['{ inventoryDaysOfSupply(lookbackDays: 0) { rowCount } }', 'lookbackDays'],
      ['{ inventorySlowMovers(days: 731) { rowCount } }', 'days'],
      ['{ inventorySlowMovers(maxUnitsSold: -1) { rowCount } }', 'maxUnitsSold'],
      ['{ inventoryStockOuts(from: "2026-03-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { levelCount } }', 'from'],
      ['{ inventorySellThrough(from: "2026-03-01T00:00:00Z", filter: { locationIds: ["oslo"] }) { rowCount } }', 'filter'],
    ])('%s is BAD_USER_INPUT naming %s', async (query, argumentName) => {
      const result = await client.raw(query);
      expect(result.data).toBeNull();
      expect(result.errors?.[0]).toMatchObject({ message: expect.stringContaining(argumentName), extensions: { code: 'BAD_USER_INPUT', argumentName } });
    });

    const periodQueries = {
      inventoryStockOuts: 'query($from: DateTime!, $to: DateTime) { inventoryStockOuts(from: $from, to: $to) { from to levelCount } }',
      inventorySellThrough: 'query($from: DateTime!, $to: DateTime) { inventorySellThrough(from: $from, to: $to) { from to rowCount } }',
    };
    it.each(Object.entries(periodQueries))('%s refuses a from in the future and a period over 1,096 days, naming from', async (field, query) => {
      const refusal = async (variables: Record<string, string>) => {
        const result = await client.raw(query, variables);
        expect(result.data).toBeNull();
        return result.errors?.[0];
      };
      const soon = new Date(Date.now() + HOUR).toISOString();
      expect(await refusal({ from: soon, to: new Date(Date.now() + 2 * HOUR).toISOString() }))
        .toMatchObject({ message: expect.stringContaining('is not in the past'), extensions: { code: 'BAD_USER_INPUT', argumentName: 'from' } });
      const to = Date.UTC(2026, 5, 1);
      expect(await refusal({ from: new Date(to - 1_096 * DAY - 1_000).toISOString(), to: new Date(to).toISOString() }))
        .toMatchObject({ message: expect.stringContaining('longer than 1,096 days'), extensions: { code: 'BAD_USER_INPUT', argumentName: 'from' } });
      // Exactly 1,096 days is allowed.
      const longest = await client.ok(query, { from: new Date(to - 1_096 * DAY).toISOString(), to: new Date(to).toISOString() });
      expect(longest[field].to).toBe(new Date(to).toISOString());
    });

    it.each(Object.entries(periodQueries))('%s answers a to in the future up to now, and says so', async (field, query) => {
      const before = Date.now();
      const answer = (await client.ok(query, { from: at(0).toISOString(), to: new Date(before + 365 * DAY).toISOString() }))[field];
      const to = new Date(answer.to).getTime();
      expect(to).toBeGreaterThanOrEqual(before);
      expect(to).toBeLessThanOrEqual(Date.now());
      // Counted from now, a period from 1,095 days before a `to` two days ahead is within the cap.
      const later = (await client.ok(query, { from: new Date(before - 1_095 * DAY).toISOString(), to: new Date(before + 2 * DAY).toISOString() }))[field];
      expect(new Date(later.to).getTime()).toBeLessThanOrEqual(Date.now());
    });

    it('matches skus as products store them, trimmed and in upper case', async () => {
      const query = `query($filter: InventoryAnalyticsFilter) { inventoryStockValue(groupBy: [PRODUCT], filter: $filter) { rows { product { sku } onHand } } }`;
      expect((await client.ok(query, { filter: { skus: [' chair-1 ', 'Table-1', 'CHAIR-1'] } })).inventoryStockValue.rows).toEqual([
        { product: { sku: 'TABLE-1' }, onHand: 4 },
        { product: { sku: 'CHAIR-1' }, onHand: 12 },
      ]);
    });
  });
});
