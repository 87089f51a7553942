/**
 * Events across processes, on PostgreSQL and Redis Streams: inventory, sales and marketing each
 * run as their own process. Stock changes made through inventory's API reach marketing's
 * `marketing.automation` consumer group; the marketing process is killed (SIGKILL) in the middle of
 * the stream and started again.
 *
 * Proves: every event inventory recorded is handled exactly once (one processed_events row each,
 * none missing), and a low-stock rule fires exactly once per crossing of its threshold, the
 * crossings made while marketing was down included.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventBus } from '@joinery/core';
import { createTestLocation, expectData } from '@joinery/core/testing';
import { freePort, startProcess, type RunningProcess } from './processes';

const READY = /"msg":"listening"/;

describe.runIf(process.env.DATABASE_URL && process.env.REDIS_URL)('marketing automation killed mid-stream and restarted', () => {
  const suffix = randomBytes(5).toString('hex');
  const schemas = { inventory: `e2e_ev_${suffix}_inventory`, sales: `e2e_ev_${suffix}_sales`, marketing: `e2e_ev_${suffix}_marketing` };
  const running: RunningProcess[] = [];
  let db: pg.Client;
  let env: Record<string, string>;
  let inventoryUrl: string;
  let marketingUrl: string;

  const start = async (entry: string) => {
    const process = await startProcess(entry, env, READY, 120_000, { ownProcessGroup: true });
    running.push(process);
    return process;
  };

  beforeAll(async () => {
    const ports = { inventory: await freePort(), sales: await freePort(), marketing: await freePort() };
    inventoryUrl = `http://127.0.0.1:${ports.inventory}/graphql`;
    marketingUrl = `http://127.0.0.1:${ports.marketing}/graphql`;
    env = {
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_URL: process.env.REDIS_URL!,
      EVENT_CHANNEL_PREFIX: `e2e:${suffix}:`,
      SEED_DEMO_DATA: 'false',
      INVENTORY_DATABASE_SCHEMA: schemas.inventory,
      SALES_DATABASE_SCHEMA: schemas.sales,
      MARKETING_DATABASE_SCHEMA: schemas.marketing,
      INVENTORY_PORT: String(ports.inventory),
      SALES_PORT: String(ports.sales),
      MARKETING_PORT: String(ports.marketing),
      INVENTORY_URL: inventoryUrl,
      SALES_URL: `http://127.0.0.1:${ports.sales}/graphql`,
      MARKETING_URL: marketingUrl,
    };
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    await start('subgraphs/inventory/src/main.ts');
    await start('subgraphs/marketing/src/main.ts');
  });

  afterAll(async () => {
    await Promise.allSettled(running.map((process) => process.stop()));
    const redis = await RedisEventBus.connect({ url: process.env.REDIS_URL!, channelPrefix: `e2e:${suffix}:` });
    await redis.purge();
    await redis.close();
    for (const schema of Object.values(schemas)) await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db?.end();
  });

  it('handles every stock event once and fires the rule once per crossing, across a SIGKILL of the consumer', async () => {
    const store = await createTestLocation(inventoryUrl, `E2E-${suffix}`);
    await expectData(inventoryUrl, `mutation { createProduct(input: { sku: "E2E-LAMP", name: "Lamp", category: "lighting", price: "99.00" }) { userErrors { message } } }`);
    const rule = await expectData(marketingUrl, `mutation($l: ID!) { createAutomationRule(input: { name: "Lamps low", trigger: { kind: STOCK_AT_OR_BELOW, locationId: $l, sku: "E2E-LAMP", threshold: "2" },
      action: { kind: CREATE_TASK, taskTitle: "Reorder lamps" } }) { automationRule { id } userErrors { message } } }`, { l: store });
    expect(rule.createAutomationRule.userErrors).toEqual([]);

    // From 1 up to 6 and back to 1, 60 times: each round crosses the threshold (from 6 to 1) once.
    const adjust = (delta: number) =>
      expectData(inventoryUrl, `mutation($l: ID!, $d: Int!) { adjustInventory(input: { locationId: $l, sku: "E2E-LAMP", delta: $d, reason: CORRECTION }) { userErrors { message } } }`, { l: store, d: delta });
    await adjust(1);
    const crossings = 60;
    const marketing = running[1];
    let killed: Promise<unknown> | undefined;
    for (let round = 0; round < crossings; round += 1) {
      if (round === 20) killed = marketing.kill(); // mid-stream: not awaited, changes keep coming
      if (round === 40) {
        await killed;
        await start('subgraphs/marketing/src/main.ts');
      }
      await adjust(5);
      await adjust(-5);
    }

    const recorded = async () => Number((await db.query(`SELECT count(*) FROM "${schemas.inventory}".outbox_events WHERE type = 'inventory.stock_changed'`)).rows[0].count);
    const handled = async () => Number((await db.query(`SELECT count(*) FROM "${schemas.marketing}".processed_events WHERE consumer = 'marketing.automation' AND event_type = 'inventory.stock_changed'`)).rows[0].count);
    const expected = await recorded();
    expect(expected).toBe(121);
    const deadline = Date.now() + 60_000;
    while ((await handled()) < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await handled()).toBe(expected);

    const { rows } = await db.query(`SELECT count(*)::int AS firings, count(DISTINCT event_id)::int AS events FROM "${schemas.marketing}".rule_firings WHERE rule_id = $1`, [rule.createAutomationRule.automationRule.id]);
    expect(rows[0]).toEqual({ firings: crossings, events: crossings });
    const tasks = await db.query(`SELECT count(*)::int AS count FROM "${schemas.marketing}".store_tasks WHERE title = 'Reorder lamps'`);
    expect(tasks.rows[0].count).toBe(crossings);
  });
});
