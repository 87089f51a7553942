/**
 * stock_value_rollups under concurrent writers: sales, adjustments, transfers and price and
 * category changes of the same products at the same locations, all at once. On PostgreSQL they
 * really overlap (the pool has 10 connections); on PGlite they queue.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseTarget } from '@joinery/core';
import { backends } from '@joinery/core/testing';
import { ADJUST, ALLOCATE, CREATE_TRANSFER, RECEIVE_TRANSFER, salesService, SHIP_TRANSFER, startInventory, type InventoryCaller, type InventoryClient } from '../testing/inventory-client';

const SKUS = ['ROLL-A', 'ROLL-B', 'ROLL-C', 'ROLL-D'];

describe.each(backends())('stock value rollups under concurrent writes on $name', (backend) => {
  let client: InventoryClient;
  let target: DatabaseTarget;
  let oslo: string;
  let bergen: string;

  const sql = async (text: string, params?: unknown[]) => client.inventory.database.withConnection(async (connection) => (await connection.query(text, params)).rows);
  const noUserErrors = async (query: string, input: Record<string, unknown>, caller?: InventoryCaller) => {
    const data = await client.ok(query, { input }, caller);
    expect(Object.values(data)[0]).toMatchObject({ userErrors: [] });
    return Object.values(data)[0] as any;
  };

  beforeAll(async () => {
    target = backend.targets().inventory;
    client = await startInventory(target);
    oslo = await client.location('OSL-STORE-1');
    bergen = await client.location('BGO-STORE-1');
    for (const sku of SKUS) {
      await noUserErrors(`mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, { sku, name: sku, category: 'chairs', price: '10.00' });
      for (const locationId of [oslo, bergen]) await noUserErrors(ADJUST, { locationId, sku, delta: 500, reason: 'RECEIVED' });
    }
  });
  afterAll(async () => {
    await client?.stop();
    await backend.cleanup();
  });

  it('regression: a price change racing sales of the same product leaves the rollup equal to a recomputation', async () => {
    // A round at a time: all of one round at once keeps the pool busy without outwaiting Prisma's
    // 2 s wait for a connection on a loaded machine.
    for (let round = 0; round < 6; round += 1) {
      const work: Promise<unknown>[] = [];
      for (const [index, sku] of SKUS.entries()) {
        const locationId = index % 2 ? oslo : bergen;
        work.push(noUserErrors(ALLOCATE, { orderId: randomUUID(), locationId, lines: [{ sku, quantity: 1 + round }, { sku: SKUS[(index + 1) % SKUS.length], quantity: 1 }] }, salesService()));
        work.push(noUserErrors(ADJUST, { locationId: index % 2 ? bergen : oslo, sku, delta: 3, reason: 'RECEIVED' }));
        work.push(noUserErrors(`mutation($input: UpdateProductInput!) { updateProduct(input: $input) { userErrors { message } } }`,
          { sku, price: `${11 + round * 4 + index}.25`, ...(round === 3 && index === 0 ? { category: 'stools' } : {}) }));
      }
      work.push((async () => {
        const created = await noUserErrors(CREATE_TRANSFER, { originId: oslo, destinationId: bergen, lines: [{ sku: SKUS[round % SKUS.length], quantity: 5 }] });
        await noUserErrors(SHIP_TRANSFER, { id: created.transfer.id });
        await noUserErrors(RECEIVE_TRANSFER, { id: created.transfer.id, lines: [{ sku: SKUS[round % SKUS.length], receivedQuantity: 4, damagedQuantity: 1 }] });
      })());
      await Promise.all(work);
    }

    const rollup = await sql(`SELECT location_id::text, category, on_hand::text, available::text, value::text FROM stock_value_rollups
      WHERE on_hand <> 0 OR available <> 0 OR value <> 0 ORDER BY 1, 2`);
    const recomputed = await sql(`SELECT level.location_id::text, product.category, sum(level.on_hand)::text AS on_hand,
        sum(level.on_hand - level.committed - level.damaged)::text AS available, sum(level.on_hand * product.price)::text AS value
      FROM inventory_levels AS level JOIN products AS product ON product.sku = level.sku GROUP BY 1, 2 ORDER BY 1, 2`);
    expect(rollup).toEqual(recomputed);
    // Received: 4 skus × 2 locations × 500, and 6 rounds × 4 skus × 3. Sold: per round, each sku
    // 1 + round units plus 1 as the next sku's second line. Transfers move units between the stores
    // and arrive in full, 1 of each damaged: on hand, but not available.
    const [total] = await sql(`SELECT sum(on_hand)::int AS on_hand, sum(available)::int AS available FROM stock_value_rollups`);
    const received = 4 * 2 * 500 + 6 * 4 * 3;
    const sold = [0, 1, 2, 3, 4, 5].reduce((sum, round) => sum + 4 * (1 + round + 1), 0);
    expect(total).toEqual({ on_hand: received - sold, available: received - sold - 6 });
  });

  /** The rollup's rows of `categories` beside the same figures recomputed from the levels. */
  const rollupOf = async (categories: string[]) => ({
    rollup: await sql(`SELECT location_id::text, category, on_hand::int, available::int, value::text FROM stock_value_rollups
      WHERE category = ANY($1::text[]) AND (on_hand <> 0 OR available <> 0 OR value <> 0) ORDER BY 1, 2`, [categories]),
    recomputed: await sql(`SELECT level.location_id::text, product.category, sum(level.on_hand)::int AS on_hand,
        sum(level.on_hand - level.committed - level.damaged)::int AS available, sum(level.on_hand * product.price)::text AS value
      FROM inventory_levels AS level JOIN products AS product ON product.sku = level.sku WHERE product.category = ANY($1::text[]) GROUP BY 1, 2 ORDER BY 1, 2`, [categories]),
  });

  it('regression: one statement raising one product and lowering another in the same location and category keeps the value exact', async () => {
    await sql(`INSERT INTO products (sku, name, category, price) VALUES ('MIX-10', 'Mix 10', 'mixed', 10), ('MIX-20', 'Mix 20', 'mixed', 20)`);
    await sql(`INSERT INTO inventory_levels (location_id, sku, on_hand) VALUES ($1, 'MIX-10', 5), ($1, 'MIX-20', 5)`, [oslo]);
    // A recount: on hand and available of the group unchanged, its value 10.00 lower.
    await sql(`UPDATE inventory_levels SET on_hand = CASE sku WHEN 'MIX-10' THEN 6 ELSE 4 END WHERE sku IN ('MIX-10', 'MIX-20')`);
    const { rollup, recomputed } = await rollupOf(['mixed']);
    expect(rollup).toEqual([{ location_id: oslo, category: 'mixed', on_hand: 10, available: 10, value: '140.00' }]);
    expect(rollup).toEqual(recomputed);
  });

  it('regression: one statement swapping two products\' categories keeps available exact', async () => {
    await sql(`INSERT INTO products (sku, name, category, price) VALUES ('SWAP-1', 'Swap 1', 'swap-x', 10), ('SWAP-2', 'Swap 2', 'swap-y', 10)`);
    await sql(`INSERT INTO inventory_levels (location_id, sku, on_hand, committed) VALUES ($1, 'SWAP-1', 5, 2), ($1, 'SWAP-2', 5, 0)`, [oslo]);
    // Each category keeps 5 on hand worth 50.00; only available moves (3 ↔ 5).
    await sql(`UPDATE products SET category = CASE sku WHEN 'SWAP-1' THEN 'swap-y' ELSE 'swap-x' END WHERE sku IN ('SWAP-1', 'SWAP-2')`);
    const { rollup, recomputed } = await rollupOf(['swap-x', 'swap-y']);
    expect(rollup).toEqual([
      { location_id: oslo, category: 'swap-x', on_hand: 5, available: 5, value: '50.00' },
      { location_id: oslo, category: 'swap-y', on_hand: 5, available: 3, value: '50.00' },
    ]);
    expect(rollup).toEqual(recomputed);
  });

  // PGlite has one connection: nothing waits for anything there.
  it.skipIf(backend.name === 'pglite')('regression: a sale queued behind a price change holds no level row locks (sale, price change and a stock change in flight deadlocked)', async () => {
    // The price change's SHARE lock waits for every transaction holding ROW EXCLUSIVE on the levels;
    // a sale that had already locked its level rows (FOR UPDATE needs only ROW SHARE) then queued
    // for ROW EXCLUSIVE behind it, so a stock change in flight that wanted one of those rows closed
    // a cycle: under load, sales and transfers stalled for seconds and hit the 5 s transaction timeout.
    if (target.kind !== 'postgres') return;
    const { url, schema } = target;
    const connect = async () => {
      const connection = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await connection.connect();
      return connection;
    };
    const [inFlight, monitor] = [await connect(), await connect()];
    const pending: Promise<unknown>[] = [];
    const blockedBy = async (pid: number) => {
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const { rows } = await monitor.query('SELECT pid FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))', [pid]);
        if (rows.length) return Number(rows[0].pid);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`nothing waited for backend ${pid}`);
    };
    try {
      // A stock change in flight: it holds ROW EXCLUSIVE on the levels until it commits.
      await inFlight.query('BEGIN');
      const [{ pid }] = (await inFlight.query('SELECT pg_backend_pid() AS pid')).rows;
      await inFlight.query(`UPDATE inventory_levels SET reorder_point = reorder_point WHERE location_id = $1 AND sku = 'ROLL-D'`, [bergen]);
      const priceChange = noUserErrors(`mutation($input: UpdateProductInput!) { updateProduct(input: $input) { userErrors { message } } }`, { sku: 'ROLL-A', price: '99.00' });
      pending.push(priceChange);
      const pricePid = await blockedBy(pid);
      const sale = noUserErrors(ALLOCATE, { orderId: randomUUID(), locationId: oslo, lines: [{ sku: 'ROLL-A', quantity: 1 }] }, salesService());
      pending.push(sale);
      await blockedBy(pricePid);
      // The stock change in flight now wants the sale's level: free, since the sale waits before locking it.
      await inFlight.query(`SELECT 1 FROM inventory_levels WHERE location_id = $1 AND sku = 'ROLL-A' FOR UPDATE NOWAIT`, [oslo]);
      await inFlight.query('COMMIT');
      await Promise.all([priceChange, sale]);
    } finally {
      await inFlight.query('ROLLBACK').catch(() => undefined);
      await Promise.allSettled(pending);
      await inFlight.end();
      await monitor.end();
    }
    const [row] = await sql(`SELECT rollup.value::text AS value, (SELECT sum(level.on_hand * product.price) FROM inventory_levels AS level JOIN products AS product ON product.sku = level.sku
        WHERE level.location_id = rollup.location_id AND product.category = rollup.category)::text AS recomputed
      FROM stock_value_rollups AS rollup WHERE rollup.location_id = $1 AND rollup.category = 'chairs'`, [oslo]);
    expect(row.value).toBe(row.recomputed);
  });

  it.skipIf(backend.name === 'pglite')('regression: a price change blocked by a stock change in flight gives up after its lock timeout instead of stalling stock writes everywhere', async () => {
    // The price change's SHARE lock on the levels waits for the stock change in flight, and every
    // stock write asked for after it queues behind it: without a lock timeout all of them stall
    // until the stock change in flight ends, however long that is.
    if (target.kind !== 'postgres') return;
    const { url, schema } = target;
    const connect = async () => {
      const connection = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await connection.connect();
      return connection;
    };
    const [inFlight, monitor] = [await connect(), await connect()];
    const [before] = await sql(`SELECT price::text FROM products WHERE sku = 'ROLL-B'`);
    const pending: Promise<unknown>[] = [];
    try {
      await inFlight.query('BEGIN');
      const [{ pid }] = (await inFlight.query('SELECT pg_backend_pid() AS pid')).rows;
      await inFlight.query(`UPDATE inventory_levels SET reorder_point = reorder_point WHERE location_id = $1 AND sku = 'ROLL-D'`, [bergen]);
      const started = Date.now();
      const priceChange = client.ok(`mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { price } userErrors { code field message } } }`,
        { input: { sku: 'ROLL-B', price: '77.00' } });
      pending.push(priceChange);
      // Queued behind the price change: a sale elsewhere, on a level the stock change in flight does not hold.
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const { rows } = await monitor.query('SELECT 1 FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))', [pid]);
        if (rows.length) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const sale = client.ok(ALLOCATE, { input: { orderId: randomUUID(), locationId: oslo, lines: [{ sku: 'ROLL-C', quantity: 1 }] } }, salesService());
      pending.push(sale);
      const { updateProduct } = await priceChange;
      const waited = Date.now() - started;
      expect(updateProduct).toEqual({ product: null, userErrors: [{ code: 'UNAVAILABLE', field: ['input', 'sku'], message: expect.stringContaining('try again') }] });
      expect(waited).toBeGreaterThanOrEqual(1_900);
      expect(waited).toBeLessThan(4_500);
      // The sale goes through while the stock change in flight still runs.
      expect((await sale).allocateSaleStock.userErrors).toEqual([]);
      await inFlight.query('ROLLBACK');
    } finally {
      await inFlight.query('ROLLBACK').catch(() => undefined);
      await Promise.allSettled(pending);
      await inFlight.end();
      await monitor.end();
    }
    expect(await sql(`SELECT price::text FROM products WHERE sku = 'ROLL-B'`)).toEqual([before]);
    const { rollup, recomputed } = await rollupOf(['chairs', 'stools']);
    expect(rollup).toEqual(recomputed);
  });
});
