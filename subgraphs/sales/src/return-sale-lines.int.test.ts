/**
 * returnSaleLines against the sales subgraph alone, with stand-ins for inventory and marketing:
 * the rules (what may be returned, refunds, idempotency), the PENDING → COMPLETED steps around
 * inventory, and the `sales.order_returned` event they record.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from '@joinery/core';
import { backends } from '@joinery/core/testing';
import { buildSalesSubgraph, openSalesDatabase, type SalesSubgraph } from '@joinery/sales';
import { fakeOwners, gqlAs } from './fake-owners';
import { MAX_RESTOCK_ATTEMPTS } from './return-recorder';
import { ORDER_RETURNED } from './sales-events';

const RETURN = `mutation($input: ReturnSaleLinesInput!) { returnSaleLines(input: $input) {
  return { id order { id } location { id } lines { product { sku } quantity condition refundAmount } refundTotal reason createdBy createdAt }
  userErrors { code field message } } }`;

describe.each(backends())('returnSaleLines on $name', (backend) => {
  const owners = fakeOwners();
  let sales: SalesSubgraph;
  let url: string;
  const giveBack = (input: Record<string, unknown>, actor: string | null = 'clerk-anna') => gqlAs(url, actor, RETURN, { input });

  async function sell(lines: { sku: string; quantity: number; unitPrice?: string; discount?: string }[], locationId = owners.location()) {
    const result = await gqlAs(url, 'till-1', `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { message } } }`, {
      input: { locationId, paymentMethod: 'CARD', lines },
    });
    expect(result.data!.recordSale.userErrors).toEqual([]);
    return { orderId: result.data!.recordSale.order.id as string, locationId };
  }

  async function order(id: string) {
    const result = await gqlAs(url, null, `query($id: ID!) { order(id: $id) {
      lines { product { sku } quantity lineTotal returnedQuantity }
      returns { id refundTotal lines { product { sku } quantity condition refundAmount } } } }`, { id });
    expect(result.errors).toBeUndefined();
    return result.data!.order;
  }

  async function returnedEvents(orderId: string) {
    const { rows } = await sales.database.withConnection((sql) =>
      sql.query(`SELECT type, version, aggregate, payload FROM outbox_events WHERE aggregate = $1 AND type = $2 ORDER BY seq`, [orderId, ORDER_RETURNED]),
    );
    return rows as { type: string; version: number; aggregate: string; payload: Record<string, any> }[];
  }

  /**
   * On PostgreSQL, holds the order's row lock on a connection of its own until `waiters` requests
   * queue behind it, so they race for what is left only once each has started; PGlite runs one
   * transaction at a time, so there the requests simply start together.
   */
  async function withOrderLocked<T>(orderId: string, waiters: number, start: () => Promise<T>): Promise<T> {
    if (backend.name === 'pglite') return start();
    return sales.database.withConnection(async (holder) => {
      await holder.query('BEGIN');
      try {
        await holder.query('SELECT id FROM sales_orders WHERE id = $1 FOR UPDATE', [orderId]);
        const { rows } = await holder.query('SELECT pg_backend_pid() AS pid');
        const running = start();
        running.catch(() => {});
        await sales.database.withConnection(async (watcher) => {
          for (let poll = 0; ; poll += 1) {
            // Row-lock waiters queue behind one another, not all behind the holder: count the whole queue.
            const blocked = await watcher.query(
              `WITH RECURSIVE queue(pid) AS (SELECT $1::int UNION SELECT activity.pid FROM pg_stat_activity AS activity JOIN queue ON queue.pid = ANY(pg_blocking_pids(activity.pid)))
               SELECT count(*)::int - 1 AS n FROM queue`,
              [rows[0].pid],
            );
            if (Number(blocked.rows[0].n) >= waiters) return;
            if (poll > 500) throw new Error(`only ${blocked.rows[0].n} of ${waiters} returns queued behind the order's row lock`);
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        });
        await holder.query('COMMIT');
        return await running;
      } catch (error) {
        await holder.query('ROLLBACK');
        throw error;
      }
    });
  }

  const storedReturns = (orderId: string) => sales.prisma.salesReturn.findMany({ where: { orderId }, include: { lines: true } });

  beforeAll(async () => {
    sales = await buildSalesSubgraph({ database: await openSalesDatabase(backend.targets().sales), ...owners.deps });
    url = await sales.listen(0);
  });
  afterEach(async () => {
    owners.state.restock = 'healthy';
    await sales.returns.resumePending(0);
  });
  afterAll(async () => {
    await sales?.stop();
    await backend.cleanup();
  });

  it('takes back units in both conditions, refunds them, records who did it, and writes one sales.order_returned', async () => {
    const sofa = owners.product('RET-SOFA', '2499.00');
    const chair = owners.product('RET-CHAIR', '150.00');
    const { orderId, locationId } = await sell([{ sku: sofa, quantity: 1, discount: '99.00' }, { sku: chair, quantity: 4 }]);

    const result = await giveBack({ orderId, lines: [{ sku: sofa, quantity: 1, condition: 'DAMAGED' }, { sku: chair, quantity: 2, condition: 'RESTOCK' }], reason: '  arrived scratched ' });
    expect(result.errors).toBeUndefined();
    expect(result.data!.returnSaleLines.userErrors).toEqual([]);
    const returned = result.data!.returnSaleLines.return;
    expect(returned).toEqual({
      id: expect.any(String),
      order: { id: orderId },
      location: { id: locationId },
      lines: [
        { product: { sku: sofa }, quantity: 1, condition: 'DAMAGED', refundAmount: '2400.00' },
        { product: { sku: chair }, quantity: 2, condition: 'RESTOCK', refundAmount: '300.00' },
      ],
      refundTotal: '2700.00',
      reason: 'arrived scratched',
      createdBy: 'clerk-anna',
      createdAt: expect.any(String),
    });
    expect(owners.state.restocked.filter((call) => call.input.returnId === returned.id)).toEqual([
      {
        input: { returnId: returned.id, orderId, locationId, lines: [{ sku: sofa, quantity: 1, condition: 'DAMAGED' }, { sku: chair, quantity: 2, condition: 'RESTOCK' }] },
        actor: 'clerk-anna',
      },
    ]);

    expect(await order(orderId)).toEqual({
      lines: [
        { product: { sku: sofa }, quantity: 1, lineTotal: '2400.00', returnedQuantity: 1 },
        { product: { sku: chair }, quantity: 4, lineTotal: '600.00', returnedQuantity: 2 },
      ],
      returns: [{ id: returned.id, refundTotal: '2700.00', lines: returned.lines }],
    });
    const entity = await gqlAs(url, null, `query($r: [_Any!]!) { _entities(representations: $r) { ... on SalesReturn { id refundTotal createdBy order { id } } } }`, {
      r: [{ __typename: 'SalesReturn', id: returned.id }, { __typename: 'SalesReturn', id: randomUUID() }],
    });
    expect(entity.data!._entities).toEqual([{ id: returned.id, refundTotal: '2700.00', createdBy: 'clerk-anna', order: { id: orderId } }, null]);

    expect(await returnedEvents(orderId)).toEqual([
      {
        type: ORDER_RETURNED,
        version: 1,
        aggregate: orderId,
        payload: {
          returnId: returned.id,
          orderId,
          locationId,
          orderLocationId: locationId,
          customerId: null,
          campaignId: null,
          lines: [
            { sku: sofa, quantity: 1, condition: 'DAMAGED', refundAmount: '2400.00' },
            { sku: chair, quantity: 2, condition: 'RESTOCK', refundAmount: '300.00' },
          ],
          refundTotal: '2700.00',
          returnedAt: returned.createdAt,
        },
      },
    ]);
  });

  it('takes goods back at another location when asked, and refuses a location inventory does not know', async () => {
    const sku = owners.product('RET-ELSEWHERE', '100.00');
    const { orderId, locationId } = await sell([{ sku, quantity: 2 }]);
    const elsewhere = owners.location();

    const unknown = randomUUID();
    const refused = await giveBack({ orderId, locationId: unknown, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] });
    expect(refused.data!.returnSaleLines).toEqual({ return: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'locationId'], message: `No location with id ${unknown}` }] });

    const result = await giveBack({ orderId, locationId: elsewhere.toUpperCase(), lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] });
    expect(result.data!.returnSaleLines.return.location).toEqual({ id: elsewhere });
    const [event] = await returnedEvents(orderId);
    expect(event.payload).toMatchObject({ locationId: elsewhere, orderLocationId: locationId });
  });

  it('refunds a line in parts that add up exactly to its lineTotal', async () => {
    const sku = owners.product('RET-THIRDS', '33.33');
    // lineTotal 3 × 33.33 − 0.01 = 99.98: a third is 33.3266…
    const { orderId } = await sell([{ sku, quantity: 3, discount: '0.01' }]);
    const refunds: string[] = [];
    for (let part = 0; part < 3; part += 1) {
      const result = await giveBack({ orderId, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] });
      expect(result.data!.returnSaleLines.userErrors).toEqual([]);
      refunds.push(result.data!.returnSaleLines.return.refundTotal);
    }
    expect(refunds).toEqual(['33.33', '33.33', '33.32']);
    expect((await order(orderId)).lines[0]).toMatchObject({ lineTotal: '99.98', returnedQuantity: 3 });
  });

  it('never refunds more than a line has left when its shares round up', async () => {
    const sku = owners.product('RET-PENNY', '0.01');
    // lineTotal 0.03 over 6 units: each unit's share 0.005 rounds up to 0.01.
    const { orderId } = await sell([{ sku, quantity: 6, discount: '0.03' }]);
    const refunds: string[] = [];
    for (let part = 0; part < 6; part += 1) {
      refunds.push((await giveBack({ orderId, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] })).data!.returnSaleLines.return.refundTotal);
    }
    expect(refunds).toEqual(['0.01', '0.01', '0.01', '0.00', '0.00', '0.00']);
  });

  it('refuses to return more than a line sold less what earlier returns took, naming the sku, order and quantities, and stores nothing', async () => {
    const sku = owners.product('RET-OVER', '100.00');
    const { orderId } = await sell([{ sku, quantity: 3 }]);
    await giveBack({ orderId, lines: [{ sku, quantity: 2, condition: 'RESTOCK' }] });
    const calls = owners.state.restocked.length;

    const result = await giveBack({ orderId, lines: [{ sku, quantity: 2, condition: 'RESTOCK' }] });
    expect(result.data!.returnSaleLines).toEqual({
      return: null,
      userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'quantity'], message: `Cannot return 2 of sku ${sku} on order ${orderId}: sold 3, already returned or being returned 2, returnable 1` }],
    });
    expect(await storedReturns(orderId)).toHaveLength(1);
    expect(owners.state.restocked).toHaveLength(calls);
    expect((await order(orderId)).lines[0].returnedQuantity).toBe(2);
  });

  it('counts a return still pending against what may be returned', async () => {
    const sku = owners.product('RET-PENDING-COUNTS', '100.00');
    const { orderId } = await sell([{ sku, quantity: 1 }]);
    owners.state.restock = 'unreachable';
    expect((await giveBack({ orderId, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] })).errors?.[0].extensions?.code).toBe('UNAVAILABLE');
    owners.state.restock = 'healthy';

    const second = await giveBack({ orderId, lines: [{ sku, quantity: 1, condition: 'DAMAGED' }] });
    expect(second.data!.returnSaleLines.userErrors).toEqual([expect.objectContaining({ field: ['input', 'lines', '0', 'quantity'], message: expect.stringContaining('returnable 0') })]);
  });

  it('lets exactly one of two returns racing for the last unit through', async () => {
    const sku = owners.product('RET-RACE', '100.00');
    const { orderId } = await sell([{ sku, quantity: 2 }]);
    await giveBack({ orderId, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] });

    const results = await withOrderLocked(orderId, 2, () =>
      Promise.all(Array.from({ length: 2 }, (_, index) => giveBack({ orderId, idempotencyKey: `race-${index}`, lines: [{ sku, quantity: 1, condition: index ? 'DAMAGED' : 'RESTOCK' }] }))),
    );
    const payloads = results.map((result) => result.data!.returnSaleLines);
    expect(payloads.filter((payload) => payload.return)).toHaveLength(1);
    expect(payloads.filter((payload) => !payload.return).map((payload) => payload.userErrors[0])).toEqual([
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'quantity'], message: expect.stringContaining('returnable 0') }),
    ]);
    expect((await storedReturns(orderId)).map((stored) => stored.status)).toEqual(['COMPLETED', 'COMPLETED']);
    expect((await order(orderId)).lines[0].returnedQuantity).toBe(2);
    expect(await returnedEvents(orderId)).toHaveLength(2);
  });

  it('lets 10 concurrent single-unit returns take back exactly the 4 units sold', async () => {
    const sku = owners.product('RET-RUSH', '25.00');
    const { orderId } = await sell([{ sku, quantity: 4, discount: '0.02' }]);
    const results = await Promise.all(Array.from({ length: 10 }, () => giveBack({ orderId, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] })));
    const accepted = results.filter((result) => result.data!.returnSaleLines.return);
    expect(accepted).toHaveLength(4);
    const refunds = accepted.map((result) => Number(result.data!.returnSaleLines.return.refundTotal) * 100);
    expect(refunds.reduce((sum, cents) => sum + cents, 0)).toBe(9998);
  });

  describe('idempotency', () => {
    it('returns the first return when retried with its idempotencyKey, restocking and recording the event once', async () => {
      const sku = owners.product('RET-KEY', '100.00');
      const { orderId } = await sell([{ sku, quantity: 2 }]);
      const input = { orderId, idempotencyKey: 'ret-key', lines: [{ sku, quantity: 2, condition: 'RESTOCK' }] };

      const first = await giveBack(input);
      const again = await Promise.all([giveBack(input), giveBack(input, 'someone-else')]);
      for (const result of again) expect(result.data!.returnSaleLines).toEqual(first.data!.returnSaleLines);
      expect(await storedReturns(orderId)).toHaveLength(1);
      expect(owners.state.restocked.filter((call) => call.input.orderId === orderId)).toHaveLength(1);
      expect(await returnedEvents(orderId)).toHaveLength(1);
    });

    it('refuses an idempotencyKey reused for another return with CONFLICT and changes nothing', async () => {
      const sku = owners.product('RET-REUSE', '100.00');
      const { orderId } = await sell([{ sku, quantity: 2 }]);
      await giveBack({ orderId, idempotencyKey: 'ret-reuse', lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] });

      const reused = await giveBack({ orderId, idempotencyKey: 'ret-reuse', lines: [{ sku, quantity: 1, condition: 'DAMAGED' }] });
      expect(reused.data!.returnSaleLines).toEqual({ return: null, userErrors: [{ code: 'CONFLICT', field: ['input', 'idempotencyKey'], message: expect.stringContaining('ret-reuse') }] });
      expect(await storedReturns(orderId)).toHaveLength(1);
    });
  });

  describe('inventory unreachable', () => {
    const finishes = ['resumePending', 'a retry with the same key'] as const;
    it.each(finishes)('keeps the return PENDING and invisible, then completes it once, by %s', async (finish) => {
      const tag = finish === 'resumePending' ? 'SWEEP' : 'RETRY';
      const sku = owners.product(`RET-DOWN-${tag}`, '100.00');
      const { orderId } = await sell([{ sku, quantity: 2 }]);
      const input = { orderId, idempotencyKey: `ret-down-${tag}`, lines: [{ sku, quantity: 1, condition: 'DAMAGED' }] };

      owners.state.restock = 'unreachable';
      const interrupted = await giveBack(input, 'clerk-bo');
      const [pending] = await storedReturns(orderId);
      expect(pending).toMatchObject({ status: 'PENDING', createdBy: 'clerk-bo' });
      expect(interrupted.errors).toEqual([expect.objectContaining({ path: ['returnSaleLines'], extensions: expect.objectContaining({ code: 'UNAVAILABLE', returnId: pending.id }) })]);
      expect(await order(orderId)).toMatchObject({ lines: [{ returnedQuantity: 0 }], returns: [] });
      expect(await returnedEvents(orderId)).toEqual([]);
      expect(await sales.returns.resumePending(0)).toEqual({ completed: 0, rejected: 0, stillPending: 1, held: 0 });

      owners.state.restock = 'healthy';
      if (finish === 'resumePending') {
        expect(await sales.returns.resumePending(0)).toEqual({ completed: 1, rejected: 0, stillPending: 0, held: 0 });
      } else {
        const retried = await giveBack(input, 'clerk-bo');
        expect(retried.data!.returnSaleLines).toMatchObject({ userErrors: [], return: { id: pending.id, refundTotal: '100.00', createdBy: 'clerk-bo' } });
      }
      expect(owners.state.restocked.filter((call) => call.input.returnId === pending.id)).toEqual([
        { input: { returnId: pending.id, orderId, locationId: expect.any(String), lines: [{ sku, quantity: 1, condition: 'DAMAGED' }] }, actor: 'clerk-bo' },
      ]);
      expect(await order(orderId)).toMatchObject({ lines: [{ returnedQuantity: 1 }], returns: [{ id: pending.id }] });
      expect(await returnedEvents(orderId)).toHaveLength(1);
      expect(await sales.returns.resumePending(0)).toEqual({ completed: 0, rejected: 0, stillPending: 0, held: 0 });
    });

    it('rejects a return inventory refuses, keeps it invisible, and frees its units', async () => {
      const sku = owners.product('RET-REFUSED', '100.00');
      const { orderId } = await sell([{ sku, quantity: 1 }]);
      owners.state.restock = 'refuse';
      const refused = await giveBack({ orderId, idempotencyKey: 'ret-refused', lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] });
      expect(refused.data!.returnSaleLines).toEqual({ return: null, userErrors: [expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'locationId'] })] });
      expect((await giveBack({ orderId, idempotencyKey: 'ret-refused', lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] })).data!.returnSaleLines).toEqual(refused.data!.returnSaleLines);
      expect(await order(orderId)).toMatchObject({ returns: [] });
      expect(await returnedEvents(orderId)).toEqual([]);

      owners.state.restock = 'healthy';
      expect((await giveBack({ orderId, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] })).data!.returnSaleLines.userErrors).toEqual([]);
    });
  });

  describe('inventory answering with errors', () => {
    it('stops the sweep retrying a return inventory keeps failing, holds it PENDING, and logs it each sweep by return and order id', async () => {
      const sku = owners.product('RET-BROKEN', '100.00');
      const { orderId } = await sell([{ sku, quantity: 2 }]);
      const input = { orderId, idempotencyKey: 'ret-broken', lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] };
      owners.state.restock = 'error';
      expect((await giveBack(input)).errors).toEqual([expect.objectContaining({ path: ['returnSaleLines'] })]);
      const [pending] = await storedReturns(orderId);
      const failures = () => owners.state.failedRestocks.filter((id) => id === pending.id).length;

      const logs = captureLogs();
      try {
        // The request made the first attempt; the sweeps make the rest, then hold it.
        const sweeps = [];
        for (let sweep = 0; sweep < MAX_RESTOCK_ATTEMPTS + 1; sweep += 1) sweeps.push(await sales.returns.resumePending(0));
        expect(failures()).toBe(MAX_RESTOCK_ATTEMPTS);
        expect(sweeps).toEqual([
          ...Array.from({ length: MAX_RESTOCK_ATTEMPTS - 1 }, () => ({ completed: 0, rejected: 0, stillPending: 1, held: 0 })),
          { completed: 0, rejected: 0, stillPending: 0, held: 1 },
          { completed: 0, rejected: 0, stillPending: 0, held: 1 },
        ]);
        const lines = logs.lines.filter((line) => line.returnId === pending.id);
        expect(lines).toEqual([1, 2].map(() => expect.objectContaining({ level: 'error', returnId: pending.id, orderId, restockAttempts: MAX_RESTOCK_ATTEMPTS, lastRestockError: expect.stringContaining('Unexpected error.') })));
      } finally {
        logs.restore();
      }
      expect((await storedReturns(orderId))[0]).toMatchObject({ status: 'PENDING', restockAttempts: MAX_RESTOCK_ATTEMPTS, lastRestockError: expect.stringContaining('Unexpected error.') });
      expect(await order(orderId)).toMatchObject({ lines: [{ returnedQuantity: 0 }], returns: [] });

      // Once inventory is fixed, a retry with the same key finishes it.
      owners.state.restock = 'healthy';
      expect((await giveBack(input)).data!.returnSaleLines).toMatchObject({ userErrors: [], return: { id: pending.id } });
      expect(await returnedEvents(orderId)).toHaveLength(1);
    });
  });

  describe('bad input', () => {
    let orderId: string;
    const sku = 'RET-INPUT';
    beforeAll(async () => {
      owners.product(sku, '100.00');
      owners.product('RET-INPUT-OTHER', '100.00');
      ({ orderId } = await sell([{ sku, quantity: 2 }]));
    });

    const refusals: { name: string; input: () => Record<string, unknown>; errors: { code: string; field: string[]; message?: unknown }[] }[] = [
      { name: 'an unknown order', input: () => ({ orderId: randomUUID(), lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] }), errors: [{ code: 'NOT_FOUND', field: ['input', 'orderId'] }] },
      { name: 'a malformed order id', input: () => ({ orderId: 'order-1', lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] }), errors: [{ code: 'NOT_FOUND', field: ['input', 'orderId'] }] },
      { name: 'no lines', input: () => ({ orderId, lines: [] }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines'] }] },
      { name: 'quantity 0', input: () => ({ orderId, lines: [{ sku, quantity: 0, condition: 'RESTOCK' }] }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'quantity'] }] },
      {
        name: 'a sku twice',
        input: () => ({ orderId, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }, { sku, quantity: 1, condition: 'DAMAGED' }] }),
        // One condition per sku and return: the message says how to take back the other one.
        errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '1', 'sku'], message: expect.stringContaining('in a second return') }],
      },
      {
        name: 'a sku not on the order',
        input: () => ({ orderId, lines: [{ sku, quantity: 1, condition: 'RESTOCK' }, { sku: 'RET-INPUT-OTHER', quantity: 1, condition: 'RESTOCK' }] }),
        errors: [{ code: 'NOT_FOUND', field: ['input', 'lines', '1', 'sku'], message: expect.stringMatching(/^sku RET-INPUT-OTHER is not on order [0-9a-f-]{36}$/) }],
      },
      { name: 'a malformed location id', input: () => ({ orderId, locationId: 'back-store', lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] }), errors: [{ code: 'NOT_FOUND', field: ['input', 'locationId'] }] },
      { name: 'an empty reason', input: () => ({ orderId, reason: ' ', lines: [{ sku, quantity: 1, condition: 'RESTOCK' }] }), errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'reason'] }] },
    ];
    it.each(refusals)('refuses $name with userErrors and stores nothing', async ({ input, errors }) => {
      const calls = owners.state.restocked.length;
      const result = await giveBack(input());
      expect(result.errors).toBeUndefined();
      expect(result.data!.returnSaleLines).toEqual({ return: null, userErrors: errors.map((error) => ({ message: expect.any(String), ...error })) });
      expect(await storedReturns(orderId)).toEqual([]);
      expect(owners.state.restocked).toHaveLength(calls);
    });

    it('refuses to return a sale that was never confirmed', async () => {
      const gone = owners.product('RET-NEVER-SOLD', '100.00');
      owners.state.outOfStock.add(gone);
      const locationId = owners.location();
      await gqlAs(url, null, `mutation($input: RecordSaleInput!) { recordSale(input: $input) { userErrors { code } } }`, { input: { locationId, paymentMethod: 'CARD', idempotencyKey: 'never-sold', lines: [{ sku: gone, quantity: 1 }] } });
      owners.state.outOfStock.clear();
      const rejected = await sales.prisma.salesOrder.findUniqueOrThrow({ where: { idempotencyKey: 'never-sold' } });
      expect(rejected.status).toBe('REJECTED');
      const result = await giveBack({ orderId: rejected.id, lines: [{ sku: gone, quantity: 1, condition: 'RESTOCK' }] });
      expect(result.data!.returnSaleLines).toEqual({ return: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'orderId'], message: `No order with id ${rejected.id}` }] });
    });
  });

  it('keeps salesSummary revenue gross and shows refunds of those sales as returnedAmount and netRevenue', async () => {
    const locationId = owners.location();
    const sku = owners.product('RET-SUMMARY', '200.00');
    const other = owners.product('RET-SUMMARY-2', '50.00');
    const { orderId } = await sell([{ sku, quantity: 3 }, { sku: other, quantity: 1 }], locationId);
    await sell([{ sku, quantity: 1 }], locationId);
    await giveBack({ orderId, lines: [{ sku, quantity: 2, condition: 'RESTOCK' }] });
    owners.state.restock = 'unreachable';
    await giveBack({ orderId, lines: [{ sku: other, quantity: 1, condition: 'RESTOCK' }] });

    const result = await gqlAs(url, null, `query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Location { salesSummary { orderCount revenue returnedAmount netRevenue } }
      ... on Product { salesSummary { orderCount unitsSold revenue returnedAmount netRevenue } } } }`, {
      r: [{ __typename: 'Location', id: locationId }, { __typename: 'Product', sku }, { __typename: 'Product', sku: other }],
    });
    expect(result.data!._entities).toEqual([
      { salesSummary: { orderCount: 2, revenue: '850.00', returnedAmount: '400.00', netRevenue: '450.00' } },
      { salesSummary: { orderCount: 2, unitsSold: 4, revenue: '800.00', returnedAmount: '400.00', netRevenue: '400.00' } },
      { salesSummary: { orderCount: 1, unitsSold: 1, revenue: '50.00', returnedAmount: '0.00', netRevenue: '50.00' } },
    ]);
  });
});
