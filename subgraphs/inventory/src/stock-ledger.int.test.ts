/**
 * The ledger: movements are filterable and paginated per level, location and product; every
 * stored quantity can be rebuilt from them (verifyStockLevels, `npm run stock:verify`); and
 * concurrent transfers, sales and removals on one level never take more than is available.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, withLevelLocked } from '@joinery/core/testing';
import { verifyStockLevels } from './stock-verification';
import { ADJUST, ALLOCATE, CHANGE_STATE, CREATE_TRANSFER, RECEIVE_TRANSFER, RESTOCK, salesService, SET, SHIP_TRANSFER, startInventory, type GraphQLResult, type InventoryClient } from './testing/inventory-client';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MOVEMENT = 'id state delta reason reference actor occurredAt location { id }';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(backends())('stock ledger on $name', (backend) => {
  let client: InventoryClient;
  let oslo: string;
  let bergen: string;
  const targets = backend.targets();

  const adjust = async (input: Record<string, unknown>, actor?: string) => {
    const data = await client.ok(ADJUST, { input: { reason: 'RECEIVED', ...input } }, actor);
    expect(data.adjustInventory.userErrors).toEqual([]);
    return data.adjustInventory;
  };

  beforeAll(async () => {
    client = await startInventory(targets.inventory);
    oslo = await client.location('OSL-STORE-1');
    bergen = await client.location('BGO-STORE-1');
  });
  afterAll(async () => {
    await client?.stop();
    await backend.cleanup();
  });

  it('filters movements by reason, state, actor, reference and time, per level, location and product, and pages through them', async () => {
    const sku = await client.product('HIST-CHAIR');
    const shop = await client.location('HIST-SHOP');
    await adjust({ locationId: shop, sku, delta: 10, reference: 'delivery 1' }, 'ann');
    await adjust({ locationId: shop, sku, delta: -1, reason: 'SHRINKAGE' }, 'bob');
    await pause(20);
    const middle = new Date().toISOString();
    await pause(20);
    await client.ok(CHANGE_STATE, { input: { locationId: shop, sku, quantity: 2, from: 'AVAILABLE', to: 'DAMAGED' } }, 'ann');
    await client.ok(SET, { input: { locationId: shop, sku, quantity: 5 } }, 'cy');
    await adjust({ locationId: bergen, sku, delta: 3 }, 'ann');

    const atShop = async (filter: Record<string, unknown>) =>
      (await client.ok(`query($l: ID!, $f: StockMovementFilter) { location(id: $l) { movements(filter: $f) { nodes { ${MOVEMENT} } totalCount } } }`, { l: shop, f: filter })).location.movements;
    const summary = (movements: { nodes: { state: string; delta: number; reason: string }[]; totalCount: number }) => [movements.totalCount, movements.nodes.map((m) => `${m.state} ${m.delta} ${m.reason}`)];
    expect(summary(await atShop({}))).toEqual([4, ['AVAILABLE -4 RECOUNT', 'DAMAGED 2 DAMAGED', 'AVAILABLE -1 SHRINKAGE', 'AVAILABLE 10 RECEIVED']]);
    expect(summary(await atShop({ reasons: ['RECEIVED', 'RECOUNT'] }))).toEqual([2, ['AVAILABLE -4 RECOUNT', 'AVAILABLE 10 RECEIVED']]);
    expect(summary(await atShop({ states: ['DAMAGED'] }))).toEqual([1, ['DAMAGED 2 DAMAGED']]);
    expect(summary(await atShop({ actor: 'ann' }))).toEqual([2, ['DAMAGED 2 DAMAGED', 'AVAILABLE 10 RECEIVED']]);
    expect(summary(await atShop({ reference: 'delivery 1' }))).toEqual([1, ['AVAILABLE 10 RECEIVED']]);
    expect(summary(await atShop({ from: middle }))).toEqual([2, ['AVAILABLE -4 RECOUNT', 'DAMAGED 2 DAMAGED']]);
    expect(summary(await atShop({ to: middle }))).toEqual([2, ['AVAILABLE -1 SHRINKAGE', 'AVAILABLE 10 RECEIVED']]);
    expect(summary(await atShop({ actor: 'ann', states: ['AVAILABLE'], from: middle }))).toEqual([0, []]);

    const product = (await client.ok(`query($sku: ID!) { product(sku: $sku) { movements(filter: { actor: "ann" }) { nodes { ${MOVEMENT} } totalCount }
      inventory { location { id } movements(filter: { states: [AVAILABLE] }) { totalCount } } } }`, { sku })).product;
    expect(product.movements.nodes.map((m: { location: { id: string }; delta: number }) => [m.location.id, m.delta])).toEqual([[bergen, 3], [shop, 2], [shop, 10]]);
    expect(product.inventory.map((level: { location: { id: string }; movements: { totalCount: number } }) => [level.location.id, level.movements.totalCount]).sort()).toEqual([[bergen, 1], [shop, 3]].sort());

    const walked: { id: string }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const data: any = await client.ok(`query($sku: ID!, $after: String) { product(sku: $sku) { movements(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } totalCount } } }`, { sku, after });
      expect(data.product.movements.totalCount).toBe(5);
      walked.push(...data.product.movements.nodes);
      if (!data.product.movements.pageInfo.hasNextPage) break;
      after = data.product.movements.pageInfo.endCursor;
    }
    const ids = walked.map((m) => BigInt(m.id));
    expect(ids).toHaveLength(5);
    expect(ids.every((id, i) => i === 0 || id < ids[i - 1])).toBe(true);

    const bad = await client.raw(`query($l: ID!) { location(id: $l) { movements(filter: { actor: "  " }) { totalCount } } }`, { l: shop });
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('rebuilds every quantity from the movements, and finds a level changed behind the ledger\'s back', async () => {
    const [sofa, lamp] = [await client.product('VERIFY-SOFA'), await client.product('VERIFY-LAMP')];
    await adjust({ locationId: oslo, sku: sofa, delta: 9 });
    await adjust({ locationId: oslo, sku: lamp, delta: 4 });
    await client.ok(CHANGE_STATE, { input: { locationId: oslo, sku: sofa, quantity: 1, from: 'AVAILABLE', to: 'DAMAGED' } });
    const transfer = (await client.ok(CREATE_TRANSFER, { input: { originId: oslo, destinationId: bergen, lines: [{ sku: sofa, quantity: 3 }, { sku: lamp, quantity: 1 }] } })).createTransfer.transfer;
    await client.ok(SHIP_TRANSFER, { input: { id: transfer.id } });
    await client.ok(RECEIVE_TRANSFER, { input: { id: transfer.id, lines: [{ sku: sofa, receivedQuantity: 1, damagedQuantity: 1 }] } });
    await client.ok(CREATE_TRANSFER, { input: { originId: oslo, destinationId: bergen, lines: [{ sku: sofa, quantity: 2 }] } });
    await client.ok(CREATE_TRANSFER, { input: { originId: bergen, destinationId: oslo, lines: [{ sku: lamp, quantity: 1 }] } }).then((data) => client.ok(SHIP_TRANSFER, { input: { id: data.createTransfer.transfer.id } }));
    await client.ok(RESTOCK, { input: { returnId: randomUUID(), orderId: randomUUID(), locationId: oslo, lines: [{ sku: lamp, quantity: 1, condition: 'DAMAGED' }] } }, salesService('tester'));
    await client.ok(ALLOCATE, { input: { orderId: randomUUID(), locationId: oslo, lines: [{ sku: lamp, quantity: 1 }] } }, salesService('tester'));

    const clean = await verifyStockLevels(client.inventory.prisma);
    expect(clean.mismatches).toEqual([]);
    expect(clean.levelsChecked).toBeGreaterThanOrEqual(4);
    expect(await client.level(oslo, sofa)).toEqual({ onHand: 6, available: 3, committed: 2, incoming: 0, damaged: 1 });

    await client.inventory.database.withConnection((sql) => sql.query(`UPDATE inventory_levels SET on_hand = on_hand + 1, damaged = damaged + 1 WHERE location_id = $1 AND sku = $2`, [oslo, sofa]));
    const corrupted = await verifyStockLevels(client.inventory.prisma, { sku: sofa });
    expect(corrupted.mismatches).toEqual([
      { locationId: oslo, sku: sofa, stored: { onHand: 7, committed: 2, incoming: 0, damaged: 2 }, rebuilt: { onHand: 6, committed: 2, incoming: 0, damaged: 1 } },
    ]);
    expect(await client.level(bergen, sofa)).toEqual({ onHand: 2, available: 1, committed: 0, incoming: 0, damaged: 1 });
    await client.inventory.database.withConnection((sql) => sql.query(`DELETE FROM inventory_levels WHERE location_id = $1 AND sku = $2`, [bergen, sofa]));
    expect((await verifyStockLevels(client.inventory.prisma, { locationId: bergen })).mismatches).toEqual([
      { locationId: bergen, sku: sofa, stored: null, rebuilt: { onHand: 2, committed: 0, incoming: 0, damaged: 1 } },
    ]);
    expect((await verifyStockLevels(client.inventory.prisma)).mismatches.map((m) => `${m.locationId} ${m.sku}`).sort()).toEqual([`${bergen} ${sofa}`, `${oslo} ${sofa}`].sort());
    expect((await verifyStockLevels(client.inventory.prisma, { locationId: oslo, sku: lamp })).mismatches).toEqual([]);

    const target = targets.inventory;
    if (target.kind === 'postgres') {
      const run = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/verify-stock.ts', ...args], {
        cwd: ROOT, env: { ...process.env, DATABASE_URL: target.url, INVENTORY_DATABASE_SCHEMA: target.schema, INVENTORY_DATABASE_URL: '' },
      }).then(({ stdout }) => ({ code: 0, stdout }), (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }));
      const failing = await run(['--sku', sofa]);
      expect(failing.code).toBe(1);
      expect(failing.stdout).toContain(`for sku ${sofa}: 2 mismatched.`);
      expect(failing.stdout).toContain(`sku ${sofa} at location ${oslo}: stored onHand 7, committed 2, incoming 0, damaged 2; movements add up to onHand 6, committed 2, incoming 0, damaged 1`);
      const passing = await run(['--location', oslo, '--sku', lamp]);
      expect(passing).toEqual({ code: 0, stdout: expect.stringContaining('0 mismatched') });
    }
  }, 30_000);

  it('never takes more than is available when transfers, sales and removals race for one level', async () => {
    const sku = await client.product('RACE-TABLE');
    const shop = await client.location('RACE-SHOP');
    await adjust({ locationId: shop, sku, delta: 10 });
    const requests = (): Promise<{ kind: string; size: number; result: GraphQLResult }>[] => [
      ...Array.from({ length: 4 }, () => ({ kind: 'transfer', size: 3, send: () => client.raw(CREATE_TRANSFER, { input: { originId: shop, destinationId: oslo, lines: [{ sku, quantity: 3 }] } }) })),
      ...Array.from({ length: 4 }, () => ({ kind: 'sale', size: 2, send: () => client.raw(ALLOCATE, { input: { orderId: randomUUID(), locationId: shop, lines: [{ sku, quantity: 2 }] } }, salesService('tester')) })),
      ...Array.from({ length: 4 }, () => ({ kind: 'adjust', size: 2, send: () => client.raw(ADJUST, { input: { locationId: shop, sku, delta: -2, reason: 'SHRINKAGE' } }) })),
    ].map(async ({ kind, size, send }) => ({ kind, size, result: await send() }));
    const start = () => Promise.all(requests());
    // On PostgreSQL the level is held locked until six requests queue behind it, so they truly race;
    // PGlite runs one transaction at a time.
    const results = targets.inventory.kind === 'postgres' ? await withLevelLocked(client.inventory.database, { locationId: shop, sku }, 6, start) : await start();

    let taken = 0;
    const taking = { transfer: 0, sale: 0, adjust: 0 } as Record<string, number>;
    for (const { kind, size, result } of results) {
      expect(result.errors).toBeUndefined();
      const payload = Object.values(result.data)[0] as { userErrors: { code: string }[] };
      if (payload.userErrors.length) expect(payload.userErrors.map((error) => error.code)).toEqual(['INSUFFICIENT_STOCK']);
      else {
        taken += size;
        taking[kind] += size;
      }
    }
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThanOrEqual(10);
    // Each refusal happened when what was left was too little for it.
    expect(10 - taken).toBeLessThan(3);
    expect(await client.level(shop, sku)).toEqual({ onHand: 10 - taking.sale - taking.adjust, available: 10 - taken, committed: taking.transfer, incoming: 0, damaged: 0 });
    expect((await verifyStockLevels(client.inventory.prisma, { locationId: shop })).mismatches).toEqual([]);
  }, 30_000);
});
