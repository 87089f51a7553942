/**
 * The data the location-scope attack suite (scope-attacks.int.test.ts) attacks: two stores A and B
 * and a warehouse W, made through the router as an admin, with stock, sales, a return, transfers,
 * campaigns with attribution and spend, automation rules and their store tasks, and an RFM
 * snapshot. Everything of B and W is named so that a leak is recognisable in any answer (see
 * `markers`), and A's figures are small enough to work out by hand (see `A_FIGURES`).
 */
import { expect } from 'vitest';
import { expectData, gql } from '@joinery/core/testing';
import { recordTouchpoint } from '../../../subgraphs/marketing/src/webhooks/engagement-service';
import type { Stack } from './stack';

export const SKU = { chair: 'SCOPE-CHAIR', lamp: 'SCOPE-LAMP', vase: 'SCOPE-VASE' } as const;

/** Ids made by `seedScopeFixture`. */
export interface ScopeFixture {
  A: string;
  B: string;
  W: string;
  /** A's orders S1 (cust-a1, 2 chairs, cA), S2 (cust-a2, 1 lamp, cAll), S3 (cust-a3, 1 chair, cAB). */
  ordersA: string[];
  /** B's orders S4 (cust-b4, 3 chairs, cB), S5 (cust-b5, 2 lamps, cAll), S6 (cust-a1, 1 chair, cAB). */
  ordersB: string[];
  /** One chair of S4 back at B. */
  returnB: string;
  /** W→B: received (chairs), draft (lamps), shipped (lamps). */
  transfersB: { received: string; draft: string; shipped: string };
  /** A→W chair, received at W: A's own transfer, whose other end is not B. */
  transferAW: string;
  /** A→B lamp, a draft: A's transfer whose other end is B (its name shows, not its stock). */
  transferAB: string;
  campaigns: { A: string; B: string; AB: string; all: string };
  /**
   * A: lamps low at A (task at A). B: lamps low at B (task at B). brandWide: no trigger location.
   * milestoneA: made by marketer@A, A's third order of a day (task at A): counted over A's orders,
   * it fires on S3, B's three orders (recorded first) not counted.
   */
  rules: { A: string; B: string; brandWide: string; milestoneA: string };
  tasks: { A: string; B: string };
  endpoint: string;
  source: string;
  /** Recorded inventory events, by location: what `stockChange(id)` and `lowStockAlert(id)` read. */
  events: { stockChangeA: string; stockChangeB: string; lowStockA: string; lowStockB: string };
}

/**
 * Figures of store A alone, worked out by hand from the sales below (prices: chair 100.00,
 * lamp 40.00, vase 25.00; no discounts; the only return is at B).
 */
export const A_FIGURES = {
  /** S1 200.00 + S2 40.00 + S3 100.00. */
  sales: { orderCount: 3, unitsSold: 4, revenue: '340.00', averageOrderValue: '113.33', returnedAmount: '0.00', netRevenue: '340.00' },
  /** Chairs in S1 (2) and S3 (1). */
  chairSales: { orderCount: 2, unitsSold: 3, revenue: '300.00', averageOrderValue: '150.00', returnedAmount: '0.00', netRevenue: '300.00' },
  /** 10 received, 2 + 1 sold, 1 sent to W. */
  chair: { onHand: 6, available: 6 },
  /** 5 received, 1 sold, 1 committed to the A→B draft. */
  lamp: { onHand: 4, available: 3, committed: 1 },
  /** Customers with an order at A. */
  customers: ['cust-a1', 'cust-a2', 'cust-a3'],
};

/** Idempotency keys B's requests used: the same key from A must not answer with B's result. */
export const IDEMPOTENCY_KEYS_OF_B = { adjust: 'delivery-note-2026-001', sale: 'till-2-receipt-0001' } as const;

/** Strings that belong to B or W only: any of them in a scoped caller's data is a leak. */
export function markers(fx: ScopeFixture): string[] {
  return [
    fx.B, fx.W, ...fx.ordersB, fx.returnB, ...Object.values(fx.transfersB), fx.campaigns.B, fx.rules.B, fx.rules.brandWide, fx.tasks.B,
    fx.endpoint, fx.source, fx.events.stockChangeB, fx.events.lowStockB,
    // Names: B is "Bergen Scope Store" in region Vestland, W "Drammen Scope Warehouse" in Viken; B's customers are cust-b*.
    'bergen', 'vestland', 'drammen', 'viken', 'cust-b',
  ].map((marker) => marker.toLowerCase());
}

async function ok(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  return expectData(url, query, variables);
}

/** Runs a mutation as an admin and fails unless its payload (`field`) has no userErrors. */
async function change(url: string, field: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const data = await ok(url, query, variables);
  expect(data[field].userErrors, `${field}: ${JSON.stringify(data[field].userErrors)}`).toEqual([]);
  return data[field];
}

async function location(url: string, code: string, name: string, kind: string, city: string, region: string): Promise<string> {
  const created = await change(url, 'createLocation', `mutation($input: CreateLocationInput!) { createLocation(input: $input) { location { id } userErrors { message } } }`, {
    input: { code, name, kind, timezone: 'Europe/Oslo', address: { line1: 'Gate 1', city, region, postalCode: '0155', country: 'NO' } },
  });
  return created.location.id;
}

export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last saw ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function seedScopeFixture(stack: Stack): Promise<ScopeFixture> {
  const url = stack.urls.router;
  const A = await location(url, 'SCOPE-OSL', 'Oslo Scope Store', 'STORE', 'Oslo', 'Oslo');
  const B = await location(url, 'SCOPE-BGO', 'Bergen Scope Store', 'STORE', 'Bergen', 'Vestland');
  const W = await location(url, 'SCOPE-DRM', 'Drammen Scope Warehouse', 'WAREHOUSE', 'Drammen', 'Viken');

  for (const [sku, category, price] of [[SKU.chair, 'chairs', '100.00'], [SKU.lamp, 'lamps', '40.00'], [SKU.vase, 'vases', '25.00']]) {
    await change(url, 'createProduct', `mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, { input: { sku, name: `Scope ${category}`, category, price } });
  }
  const adjust = (l: string, sku: string, delta: number, idempotencyKey?: string) =>
    change(url, 'adjustInventory', `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { userErrors { message } } }`, { input: { locationId: l, sku, delta, reason: delta > 0 ? 'RECEIVED' : 'SHRINKAGE', idempotencyKey } });
  const set = (l: string, sku: string, quantity: number, reorderPoint: number) =>
    change(url, 'setInventory', `mutation($input: SetInventoryInput!) { setInventory(input: $input) { userErrors { message } } }`, { input: { locationId: l, sku, quantity, reorderPoint } });
  await adjust(A, SKU.chair, 10);
  await adjust(A, SKU.lamp, 5);
  await set(A, SKU.vase, 2, 1);
  // B's client names its requests: keys an attacker of A may learn or guess (see IDEMPOTENCY_KEYS_OF_B).
  await adjust(B, SKU.chair, 20, IDEMPOTENCY_KEYS_OF_B.adjust);
  await adjust(B, SKU.lamp, 8);
  await set(B, SKU.vase, 3, 1);
  await adjust(W, SKU.chair, 50);
  await adjust(W, SKU.lamp, 50);

  const campaign = async (name: string, targetLocationIds: string[]) =>
    (await change(url, 'createCampaign', `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } userErrors { message } } }`, {
      input: { name, channel: 'EMAIL', status: 'ACTIVE', startsAt: new Date(Date.now() - 30 * 86_400_000).toISOString(), budget: '1000.00', targetLocationIds },
    })).campaign.id as string;
  const campaigns = { A: await campaign('Oslo only', [A]), B: await campaign('Bergen only', [B]), AB: await campaign('Both stores', [A, B]), all: await campaign('Everywhere', []) };

  // Touches an hour before the sales: under LINEAR, S1 (cust-a1 at A) splits between cB and cA,
  // and S4 (cust-b4 at B) between cAll and cB. LAST_TOUCH credits each order's own campaign.
  const source = (await change(url, 'createEngagementSource', `mutation { createEngagementSource(input: { name: "Scope ESP", provider: GENERIC }) { source { id } userErrors { message } } }`)).source.id as string;
  const touchedAt = new Date(Date.now() - 3_600_000);
  for (const [id, customerId, campaignId] of [['touch-a1', 'cust-a1', campaigns.B], ['touch-b4', 'cust-b4', campaigns.all]]) {
    await recordTouchpoint(stack.marketing.prisma, source, { id, type: 'EMAIL_CLICK', customerId, campaignId, occurredAt: touchedAt, url: null, utm: { source: null, medium: null, campaign: null, term: null, content: null } }, campaignId);
  }

  const endpoint = (await change(url, 'createWebhookEndpoint', `mutation { createWebhookEndpoint(input: { name: "Scope CRM", provider: GENERIC, url: "https://crm.example.test/hooks" }) { endpoint { id } userErrors { message } } }`)).endpoint.id as string;
  const rule = async (name: string, trigger: Record<string, unknown>, action: Record<string, unknown>) =>
    (await change(url, 'createAutomationRule', `mutation($input: CreateAutomationRuleInput!) { createAutomationRule(input: $input) { automationRule { id } userErrors { message } } }`, { input: { name, trigger, action } })).automationRule.id as string;
  const rules = {
    // S2 takes A's lamps from 5 to 4, S5 B's from 8 to 6: each crosses its threshold and creates a task.
    A: await rule('Oslo lamps low', { kind: 'STOCK_AT_OR_BELOW', locationId: A, sku: SKU.lamp, threshold: '4' }, { kind: 'CREATE_TASK', taskTitle: 'Oslo: restock lamps', locationId: A }),
    B: await rule('Bergen lamps low', { kind: 'STOCK_AT_OR_BELOW', locationId: B, sku: SKU.lamp, threshold: '6' }, { kind: 'CREATE_TASK', taskTitle: 'Bergen: restock lamps', locationId: B }),
    // No trigger location: it fires on every location's events, so only '*' reads it, though its tasks go to A.
    brandWide: await rule('Brand milestone', { kind: 'SALES_MILESTONE', metric: 'ORDERS', period: 'DAY', threshold: '1000' }, { kind: 'CREATE_TASK', taskTitle: 'Brand party', locationId: A }),
    milestoneA: await milestoneRuleOfMarketer(url, A),
  };

  const sale = async (l: string, customerId: string, sku: string, quantity: number, campaignId: string, idempotencyKey?: string) =>
    (await change(url, 'recordSale', `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { message } } }`, {
      input: { locationId: l, customerId, campaignId, paymentMethod: 'CARD', lines: [{ sku, quantity }], idempotencyKey },
    })).order.id as string;
  // B's first: cust-a1's order at B (S6) comes before the one at A (S1).
  const ordersB = [await sale(B, 'cust-b4', SKU.chair, 3, campaigns.B, IDEMPOTENCY_KEYS_OF_B.sale), await sale(B, 'cust-b5', SKU.lamp, 2, campaigns.all), await sale(B, 'cust-a1', SKU.chair, 1, campaigns.AB)];
  const ordersA = [await sale(A, 'cust-a1', SKU.chair, 2, campaigns.A), await sale(A, 'cust-a2', SKU.lamp, 1, campaigns.all), await sale(A, 'cust-a3', SKU.chair, 1, campaigns.AB)];
  const returnB = (await change(url, 'returnSaleLines', `mutation($input: ReturnSaleLinesInput!) { returnSaleLines(input: $input) { return { id } userErrors { message } } }`, {
    input: { orderId: ordersB[0], lines: [{ sku: SKU.chair, quantity: 1, condition: 'RESTOCK' }], reason: 'Bergen customer changed mind' },
  })).return.id as string;

  const transfer = async (from: string, to: string, sku: string, quantity: number, steps: ('ship' | 'receive')[]) => {
    const id = (await change(url, 'createTransfer', `mutation($input: CreateTransferInput!) { createTransfer(input: $input) { transfer { id } userErrors { message } } }`, {
      input: { originId: from, destinationId: to, lines: [{ sku, quantity }] },
    })).transfer.id as string;
    for (const step of steps) await change(url, `${step}Transfer`, `mutation($id: ID!) { ${step}Transfer(input: { id: $id }) { userErrors { message } } }`, { id });
    return id;
  };
  const transfersB = {
    received: await transfer(W, B, SKU.chair, 5, ['ship', 'receive']),
    draft: await transfer(W, B, SKU.lamp, 3, []),
    shipped: await transfer(W, B, SKU.lamp, 2, ['ship']),
  };
  const transferAW = await transfer(A, W, SKU.chair, 1, ['ship', 'receive']);
  const transferAB = await transfer(A, B, SKU.lamp, 1, []);

  // Stock-outs (and low-stock alerts: reorder point 1) at both stores.
  await adjust(A, SKU.vase, -2);
  await adjust(B, SKU.vase, -3);

  await spendOn(url, campaigns);
  await waitForMarketing(url, campaigns);
  await change(url, 'refreshCustomerSegments', `mutation { refreshCustomerSegments { refresh { id } userErrors { message } } }`);

  const tasks = await until(
    async () => (await ok(url, `{ storeTasks(first: 50) { nodes { id location { id } rule { id } } } }`)).storeTasks.nodes as { id: string; location: { id: string }; rule: { id: string } | null }[],
    (nodes) => [rules.A, rules.B, rules.milestoneA].every((id) => nodes.some((task) => task.rule?.id === id)),
    'the lamp rules to create a store task at A and at B, and the milestone rule at A',
  );

  return {
    A, B, W, ordersA, ordersB, returnB, transfersB, transferAW, transferAB, campaigns, rules, endpoint, source,
    tasks: { A: tasks.find((task) => task.rule?.id === rules.A)!.id, B: tasks.find((task) => task.rule?.id === rules.B)!.id },
    events: await recordedEvents(stack, A, B),
  };
}

/** What an attacker of A may set up with their own token: a rule at their own store. */
async function milestoneRuleOfMarketer(url: string, A: string): Promise<string> {
  const answer = await gql(url, `mutation($input: CreateAutomationRuleInput!) { createAutomationRule(input: $input) { automationRule { id } userErrors { message } } }`, {
    input: { name: 'Oslo third sale', trigger: { kind: 'SALES_MILESTONE', locationId: A, metric: 'ORDERS', period: 'DAY', threshold: '3' }, action: { kind: 'CREATE_TASK', taskTitle: 'Oslo: third sale today', locationId: A } },
  }, { role: 'marketer', locations: [A], subject: 'marketer@A' });
  expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
  expect(answer.data.createAutomationRule.userErrors).toEqual([]);
  return answer.data.createAutomationRule.automationRule.id;
}

/** A day's spend per campaign: only cA's (wholly within A) may be shown to A's callers. */
async function spendOn(url: string, campaigns: ScopeFixture['campaigns']): Promise<void> {
  const today = new Date().toISOString().slice(0, 10);
  for (const [campaignId, amount] of [[campaigns.A, '10.00'], [campaigns.B, '20.00'], [campaigns.AB, '30.00'], [campaigns.all, '40.00']]) {
    await change(url, 'recordCampaignSpend', `mutation($input: RecordCampaignSpendInput!) { recordCampaignSpend(input: $input) { userErrors { message } } }`, {
      input: { campaignId, date: today, amount, idempotencyKey: `scope-spend-${campaignId}` },
    });
  }
}

/** Marketing learns of the sales through events: waits until attribution has all six and LINEAR has the touches. */
async function waitForMarketing(url: string, campaigns: ScopeFixture['campaigns']): Promise<void> {
  await until(
    async () => (await ok(url, `query($c: ID!) { campaignComparison { totals { revenue } } campaign(id: $c) { performance(model: LINEAR) { revenue } } }`, { c: campaigns.all })) as any,
    // 340.00 at A + 480.00 at B; cAll under LINEAR: S2 40 + S5 80 + half of S4's 300.
    (data) => data.campaignComparison.totals.revenue === '820.00' && data.campaign.performance.revenue === '270.00',
    'attribution to take in the six sales and the touchpoints',
  );
}

/** A stock change and a low-stock alert at each store, read from inventory's outbox (their ids are otherwise only in subscription events). */
async function recordedEvents(stack: Stack, A: string, B: string): Promise<ScopeFixture['events']> {
  const rows = await stack.databases.inventory.withConnection((connection) =>
    connection.query(`SELECT id::text AS id, type, payload->>'locationId' AS location FROM outbox_events WHERE type IN ('inventory.stock_changed', 'inventory.low_stock') ORDER BY id`),
  );
  const find = (type: string, locationId: string) => {
    const row = (rows.rows as { id: string; type: string; location: string }[]).find((event) => event.type === type && event.location === locationId);
    if (!row) throw new Error(`no ${type} event at ${locationId} in inventory's outbox`);
    return row.id;
  };
  return {
    stockChangeA: find('inventory.stock_changed', A),
    stockChangeB: find('inventory.stock_changed', B),
    lowStockA: find('inventory.low_stock', A),
    lowStockB: find('inventory.low_stock', B),
  };
}

/**
 * Everything a refused mutation could have changed, read as an admin in a few small operations
 * (each within the router's token limit): equal before and after means nothing changed.
 */
export async function adminSnapshot(url: string, fx: ScopeFixture): Promise<unknown> {
  const levels = `inventory(first: 50) { nodes { product { sku } onHand available committed incoming damaged reorderPoint } }`;
  const stock = await ok(url, `query($a: ID!, $b: ID!, $w: ID!) {
    a: location(id: $a) { name code ${levels} sales(first: 50) { totalCount } }
    b: location(id: $b) { name code ${levels} sales(first: 50) { totalCount } }
    w: location(id: $w) { name code ${levels} }
    locations(first: 50) { totalCount }
    products(first: 50) { totalCount nodes { sku name price category } } }`, { a: fx.A, b: fx.B, w: fx.W });
  const movement = await ok(url, `{ transfers(first: 50) { totalCount nodes { id status } } orders(first: 50) { totalCount nodes { id returns { id } } } }`);
  const marketing = await ok(url, `{
    campaigns(first: 50) { totalCount nodes { id name status budget endsAt targetLocations { id } performance { spend } } }
    automationRules(first: 50) { totalCount nodes { id name enabled updatedAt } }
    storeTasks(first: 50) { totalCount nodes { id status } }
    webhookEndpoints(first: 50) { totalCount nodes { id name url status } }
    engagementSources(first: 50) { totalCount nodes { id name } }
    customerSegments { asOf customerCount } }`);
  return { stock, movement, marketing };
}

/** The answer as a scoped caller gets it: `gql` with a typed body. */
export type Answer = Awaited<ReturnType<typeof gql>>;
