/**
 * Customer segments through the marketing subgraph's GraphQL API: the refresh mutation, the
 * reports, RFM rules (and the userErrors a mixed trigger gets), campaign targets and audiences,
 * concurrent refresh calls sharing one refresh, and the background job taking the first snapshot at start.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, InventoryDirectory } from '@joinery/core';
import { authHeaders, backends } from '@joinery/core/testing';
import { buildMarketingSubgraph, openMarketingDatabase, type MarketingSubgraph } from '../server';

const OSLO = randomUUID();
const DAY = 86_400_000;

const inventory: InventoryDirectory = {
  async lookup({ locationIds = [] }) {
    return { missingLocations: locationIds.filter((id) => id !== OSLO), prices: new Map() };
  },
};

describe.each(backends())('customer segments through the marketing subgraph on $name', (backend) => {
  let subgraph: MarketingSubgraph;
  let database: Database;
  let url: string;

  async function ok(query: string, variables: Record<string, unknown> = {}) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: any; errors?: any[] };
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  beforeAll(async () => {
    database = await openMarketingDatabase(backend.targets().marketing);
    // Five customers at Oslo, one order each: k1 five days ago spending 100.00 ... k5 one day ago
    // spending 500.00. With n = 5 and distinct values, customer k scores R = k and M = k; F is 1 for all.
    await database.withConnection(async (sql) => {
      for (let k = 1; k <= 5; k += 1) {
        await sql.query(
          `INSERT INTO marketing_orders (order_id, location_id, location_timezone, customer_id, ordered_at, total_amount, discount_total, unit_count)
           VALUES ($1, $2, 'Europe/Oslo', $3, $4, $5, 0, 1)`,
          [randomUUID(), OSLO, `k${k}`, new Date(Date.now() - (6 - k) * DAY - 3_600_000).toISOString(), `${k}00.00`],
        );
      }
    });
    subgraph = await buildMarketingSubgraph({ database, inventory, segmentRefreshIntervalMs: 3_600_000 });
    url = await subgraph.listen(0);
  });
  afterAll(async () => {
    await subgraph?.stop();
    await backend.cleanup();
  });

  it('takes the first snapshot at start and answers with its asOf', async () => {
    for (let attempt = 0; attempt < 200 && !(await subgraph.prisma.customerSegmentRefresh.count()); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    const data = await ok(`{ customerSegments { asOf customerCount location { id } segments { segment customerCount share revenue avgRecencyDays avgFrequency avgMonetary } } }`);
    expect(data.customerSegments.asOf).toEqual(expect.any(String));
    expect(data.customerSegments.customerCount).toBe(5);
    expect(data.customerSegments.location).toBeNull();
    // F is 1 for all five (a tie: all score 1). k5: R5 M5 -> FM = round(3) = 3 -> POTENTIAL_LOYALIST; k4: R4 M4 -> FM 3 -> LOYAL;
    // k3: R3 M3 -> FM 2 -> ABOUT_TO_SLEEP; k2: R2 M2 -> FM 2 -> HIBERNATING; k1: R1 M1 -> FM 1 -> LOST.
    const counts = Object.fromEntries(data.customerSegments.segments.filter((row: any) => row.customerCount).map((row: any) => [row.segment, row.customerCount]));
    expect(counts).toEqual({ POTENTIAL_LOYALIST: 1, LOYAL: 1, ABOUT_TO_SLEEP: 1, HIBERNATING: 1, LOST: 1 });
    expect(data.customerSegments.segments.find((row: any) => row.segment === 'LOYAL')).toEqual({
      segment: 'LOYAL', customerCount: 1, share: 0.2, revenue: '400.00', avgRecencyDays: 2, avgFrequency: 1, avgMonetary: '400.00',
    });
  });

  it('reads one customer and one segment, overall or at a location', async () => {
    const data = await ok(`query($oslo: ID!) {
      overall: customerRfm(customerId: "k4") { customerId location { id } recencyDays frequency monetary recencyScore frequencyScore monetaryScore segment }
      oslo: customerRfm(customerId: "k4", locationId: $oslo) { location { id } segment }
      nobody: customerRfm(customerId: "nobody") { segment }
      segmentCustomers(segment: LOST, locationId: $oslo) { totalCount asOf nodes { customerId } }
    }`, { oslo: OSLO });
    expect(data.overall).toEqual({ customerId: 'k4', location: null, recencyDays: 2, frequency: 1, monetary: '400.00', recencyScore: 4, frequencyScore: 1, monetaryScore: 4, segment: 'LOYAL' });
    expect(data.oslo).toEqual({ location: { id: OSLO }, segment: 'LOYAL' });
    expect(data.nobody).toBeNull();
    expect(data.segmentCustomers).toMatchObject({ totalCount: 1, nodes: [{ customerId: 'k1' }] });
  });

  it('refuses a bad location id with BAD_USER_INPUT', async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify({ query: `{ customerSegments(locationId: "oslo") { customerCount } }` }) });
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('creates RFM rules, and refuses a trigger that mixes rfmSegment with order criteria', async () => {
    const create = `mutation($input: CreateAutomationRuleInput!) { createAutomationRule(input: $input) {
      automationRule { trigger { kind rfmSegment location { id } minOrders } } userErrors { field message code } } }`;
    const good = await ok(create, { input: { name: 'Oslo at risk', trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'AT_RISK', locationId: OSLO }, action: { kind: 'CREATE_TASK', taskTitle: 'Call them' } } });
    expect(good.createAutomationRule).toEqual({ automationRule: { trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'AT_RISK', location: { id: OSLO }, minOrders: null } }, userErrors: [] });
    const mixed = await ok(create, { input: { name: 'Mixed', trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'AT_RISK', minOrders: 2 }, action: { kind: 'CREATE_TASK', taskTitle: 'x', locationId: OSLO } } });
    expect(mixed.createAutomationRule).toEqual({
      automationRule: null,
      userErrors: [{ field: ['input', 'trigger', 'minOrders'], message: 'CUSTOMER_ENTERS_SEGMENT takes rfmSegment or minOrders/minLifetimeSpend, not both', code: 'BAD_USER_INPUT' }],
    });
  });

  it('shares one refresh among concurrent refreshCustomerSegments calls', async () => {
    const before = await subgraph.prisma.customerSegmentRefresh.count();
    // Another session holds the refresh lock (on PGlite: the only connection) until every call has reached the refresher.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const lockHeld = new Promise<void>((resolve) => (held = resolve));
    const holder = subgraph.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT true AS locked FROM (SELECT pg_advisory_xact_lock(hashtext('joinery.segments.' || current_schema()))) AS taken`;
      held();
      await released;
    }, { timeout: 60_000 });
    await lockHeld;
    const refresher = subgraph.segments;
    const refresh = refresher.refresh;
    let calls = 0;
    refresher.refresh = (options) => {
      calls += 1;
      return refresh.call(refresher, options);
    };
    try {
      const mutation = `mutation { refreshCustomerSegments { refresh { id customerCount } userErrors { message } } }`;
      const answers = Promise.all(Array.from({ length: 5 }, () => ok(mutation)));
      while (calls < 5) await new Promise((resolve) => setTimeout(resolve, 10));
      release();
      await holder;
      const payloads = (await answers).map((data) => data.refreshCustomerSegments);
      expect(payloads[0]).toEqual({ refresh: { id: expect.any(String), customerCount: 5 }, userErrors: [] });
      expect(new Set(payloads.map((payload) => payload.refresh.id)).size).toBe(1);
      expect(await subgraph.prisma.customerSegmentRefresh.count()).toBe(before + 1);
    } finally {
      release();
      refresher.refresh = refresh;
    }
  });

  it('refreshes on demand, and targets campaigns at segments with their audience', async () => {
    const before = await subgraph.prisma.customerSegmentRefresh.count();
    const refreshed = await ok(`mutation { refreshCustomerSegments { refresh { id asOf customerCount entryCount firingCount } userErrors { message } } }`);
    expect(refreshed.refreshCustomerSegments).toMatchObject({ refresh: { customerCount: 5, entryCount: 10, firingCount: 0 }, userErrors: [] });
    expect(await subgraph.prisma.customerSegmentRefresh.count()).toBe(before + 1);

    const created = await ok(`mutation { createCampaign(input: { name: "Win back", channel: EMAIL, startsAt: "2026-01-01T00:00:00.000Z", budget: "100", targetSegments: [LOST, HIBERNATING] }) {
      campaign { id targetSegments audience(first: 1) { totalCount asOf pageInfo { hasNextPage endCursor } nodes { customerId matches { location { id } segment } } } } userErrors { message } } }`);
    const campaign = created.createCampaign.campaign;
    expect(campaign.targetSegments).toEqual(['LOST', 'HIBERNATING']);
    expect(campaign.audience).toMatchObject({ totalCount: 2, asOf: refreshed.refreshCustomerSegments.refresh.asOf, pageInfo: { hasNextPage: true }, nodes: [{ customerId: 'k1', matches: [{ location: null, segment: 'LOST' }] }] });

    const updated = await ok(`mutation($id: ID!, $oslo: ID!) { updateCampaign(input: { id: $id, targetLocationIds: [$oslo], targetSegments: [LOYAL] }) {
      campaign { targetSegments audience { totalCount nodes { customerId matches { location { id } segment } } } } } }`, { id: campaign.id, oslo: OSLO });
    expect(updated.updateCampaign.campaign).toEqual({ targetSegments: ['LOYAL'], audience: { totalCount: 1, nodes: [{ customerId: 'k4', matches: [{ location: { id: OSLO }, segment: 'LOYAL' }] }] } });
  });
});
