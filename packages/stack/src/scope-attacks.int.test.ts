/**
 * The location-scope attack suite, through the router, as an attacker holding a valid token for
 * store A would run it against store B (docs/security.md, "Location scope"). For each scoped role
 * (manager, associate, analyst, marketer of A): every root query field with B's ids, every list
 * and aggregate checked to hold nothing of B and A's figures alone, nested paths from A's objects
 * towards B, every mutation with B's ids (refused and nothing changed), and batch tricks (aliases,
 * literals, upper case, B inside a list with A). Subscriptions are attacked in
 * subscriptions.int.test.ts.
 *
 * Each test collects every problem it finds as a sentence and expects the list to be empty, so a
 * failure lists every leak of its kind at once. Expected figures are worked out by hand
 * (scope-attacks-fixture.ts, A_FIGURES) or asked of an admin with an explicit filter for A.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '@joinery/core';
import { backends, expectData, gql, type TestCaller } from '@joinery/core/testing';
import { A_FIGURES, adminSnapshot, IDEMPOTENCY_KEYS_OF_B, markers, SKU, seedScopeFixture, type Answer, type ScopeFixture } from './scope-attacks-fixture';
import { allowedProblems, markersIn, refusalProblems, sameProblems, without, type Exemption } from './scope-attacks-probe';
import { startStack, type Stack } from './stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };

const SCOPED = ['manager', 'associate', 'analyst', 'marketer'] as const satisfies readonly Role[];
type ScopedRole = (typeof SCOPED)[number];

// Who may read what at their locations (docs/security.md's matrix); every other scoped role is FORBIDDEN.
const EVERY: ScopedRole[] = [...SCOPED];
const ORDERS: ScopedRole[] = ['manager', 'associate', 'analyst'];
const AGGREGATES: ScopedRole[] = ['manager', 'analyst', 'marketer'];
const CAMPAIGNS: ScopedRole[] = ['manager', 'analyst', 'marketer'];
const CUSTOMERS: ScopedRole[] = ['analyst', 'marketer'];
const AUTOMATION: ScopedRole[] = ['analyst', 'marketer'];
/** Brand-wide data (or admin only): no caller scoped to A reads it. */
const NOBODY: ScopedRole[] = [];
const both = (one: ScopedRole[], other: ScopedRole[]) => one.filter((role) => other.includes(role));

type Check = (data: any) => string[] | Promise<string[]>;

/**
 * One attempt. `refused`: FORBIDDEN for every scoped role; its message names `naming` when the
 * role could otherwise read the field (it is refused for the location, not the role). `scoped`:
 * `readers` get data with nothing of B or W (and `check` holds), the others FORBIDDEN, with the
 * data at `refusedAt` (default: the root field) null. `nothing`: no data and nothing of B or W,
 * any error FORBIDDEN (an id nobody finds).
 */
interface Attack {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  kind: 'refused' | 'scoped' | 'nothing';
  readers: ScopedRole[];
  naming?: string;
  check?: Check;
  exempt?: Exemption;
  refusedAt?: (string | number)[];
}

const refused = (name: string, query: string, variables: Record<string, unknown> | undefined, readers: ScopedRole[], naming?: string): Attack => ({ name, query, variables, kind: 'refused', readers, naming });
/** An id no one finds (e.g. one matched as stored, sent in another case): no data, and any error FORBIDDEN. */
const nothing = (name: string, query: string, variables: Record<string, unknown> | undefined): Attack => ({ name, query, variables, kind: 'nothing', readers: [] });
const scoped = (name: string, query: string, variables: Record<string, unknown> | undefined, readers: ScopedRole[], more: Partial<Attack> = {}): Attack => ({ name, query, variables, kind: 'scoped', readers, ...more });

const ids = (nodes: { id: string }[]) => nodes.map((node) => node.id).sort();
const sorted = (values: string[]) => [...values].sort();

describe.each(backends())('location-scope attacks through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;
  let fx: ScopeFixture;
  let leaks: string[];
  /** An RFM segment cust-a1 is in at A (what segmentCustomers is asked for). */
  let segmentA: string;
  /** A's store tasks and the rules behind them, as an admin reads them at A. */
  let tasksAtA: { id: string; rule: { id: string } | null }[];

  const callerOf = (role: ScopedRole): TestCaller => ({ role, locations: [fx.A], subject: `${role}@A` });
  const admin = (query: string, variables?: Record<string, unknown>) => expectData(url, query, variables);

  /** Other ends a caller of A is shown through its own transfers (their name and code, not their stock). */
  const transferEnds: Exemption = (path) => {
    const at = path.findIndex((key) => key === 'origin' || key === 'destination');
    return at >= 0 && at === path.length - 2 && ['id', 'name', 'code'].includes(String(path[at + 1]));
  };

  /** Runs `attack` as `role`: the problems of its answer. */
  async function judge(role: ScopedRole, attack: Attack): Promise<string[]> {
    const answer: Answer = await gql(url, attack.query, attack.variables, callerOf(role));
    const label = `${role}@A ${attack.name}`;
    const field = rootField(attack.query);
    if (attack.kind === 'nothing') return refusalProblems(label, answer, field, leaks).filter((problem) => !problem.includes('answered without an error'));
    if (attack.kind === 'refused') return refusalProblems(label, answer, field, leaks, attack.readers.includes(role) ? attack.naming : undefined);
    if (!attack.readers.includes(role)) {
      const problems = refusalProblems(label, answer, field, leaks).filter((problem) => !problem.includes('answered data despite'));
      const at = attack.refusedAt ?? [field];
      const value = at.reduce<any>((node, key) => node?.[key], answer.data);
      if (value != null) problems.push(`${label}: ${at.join('.')} answered data although the role may not read it: ${JSON.stringify(value).slice(0, 300)}`);
      return problems;
    }
    const problems = allowedProblems(label, answer, leaks, attack.exempt ?? transferEnds);
    if (!problems.length && attack.check) problems.push(...(await attack.check(answer.data)).map((problem) => `${label}: ${problem}`));
    return problems;
  }

  async function judgeAll(role: ScopedRole, attacks: Attack[]): Promise<string[]> {
    const problems: string[] = [];
    // A few at a time: the stack shares two cores with other suites.
    for (let start = 0; start < attacks.length; start += 4) {
      for (const found of await Promise.all(attacks.slice(start, start + 4).map((attack) => judge(role, attack)))) problems.push(...found);
    }
    return problems;
  }

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports, bus: await backend.bus(), consumer: { reclaimAfterMs: 500 } });
    url = stack.urls.router;
    fx = await seedScopeFixture(stack);
    leaks = markers(fx);
    segmentA = (await admin(`query($a: ID!) { customerRfm(customerId: "cust-a1", locationId: $a) { segment } }`, { a: fx.A })).customerRfm.segment;
    tasksAtA = (await admin(`query($a: ID) { storeTasks(first: 50, locationId: $a) { nodes { id rule { id } } } }`, { a: fx.A })).storeTasks.nodes;
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  /** The same report as an admin asking for A explicitly (instants and the durations that grow with them left out). */
  const asAdminForA = async (query: string, variables: Record<string, unknown>) =>
    without(await admin(query, { ...variables, f: { ...(variables.f as object | undefined), locationIds: [fx.A] } }), ['asOf', 'to', 'seconds', 'totalSeconds']);
  const sameAsAdminForA = (query: string, variables: Record<string, unknown> = {}): Check => async (data) => sameProblems('differs from the admin\'s answer for A alone', without(data, ['asOf', 'to', 'seconds', 'totalSeconds']), await asAdminForA(query, variables));

  /** Every root Query field of the API schema, each with its attacks. */
  function queryCases(): Record<string, Attack[]> {
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
    const hourAhead = new Date(Date.now() + 3_600_000).toISOString();
    /** The same question as an admin's with A's id in its filter `$f`. */
    const sameAsAdmin = (name: string, query: string, variables: Record<string, unknown> = {}, readers: ScopedRole[] = EVERY) => scoped(name, query, variables, readers, { check: sameAsAdminForA(query, variables) });
    const report = {
      stockValue: `query($f: InventoryAnalyticsFilter) { inventoryStockValue(filter: $f, groupBy: [LOCATION, PRODUCT]) { rows { location { id } product { sku } onHand available value } rowCount totals { onHand available value } } }`,
      sellThrough: `query($f: InventoryAnalyticsFilter, $from: DateTime!) { inventorySellThrough(filter: $f, from: $from, groupBy: [LOCATION, PRODUCT]) {
        rows { location { id } product { sku } figures { onHandAtStart unitsReceived unitsSold unitsReturned sellThroughRate } } rowCount totals { onHandAtStart unitsReceived unitsSold unitsReturned sellThroughRate } } }`,
      daysOfSupply: `query($f: InventoryAnalyticsFilter) { inventoryDaysOfSupply(filter: $f) { rows { location { id } product { sku } onHand available netUnitsSold dailySalesRate daysOfSupply } rowCount } }`,
      stockOuts: `query($f: InventoryAnalyticsFilter, $from: DateTime!) { inventoryStockOuts(filter: $f, from: $from) { levels { location { id } product { sku } stockOutCount outNow } levelCount stockOutCount } }`,
      slowMovers: `query($f: InventoryAnalyticsFilter) { inventorySlowMovers(filter: $f, groupBy: [LOCATION, PRODUCT], maxUnitsSold: 100) { rows { location { id } product { sku } onHand netUnitsSold value } rowCount } }`,
    };
    const analytics = (field: string, query: string, from?: string, check?: Check): Attack[] => [
      scoped(`${field} without a filter`, query, from ? { from } : {}, EVERY, {
        check: async (data) => [...(await sameAsAdminForA(query, from ? { from } : {})(data)), ...((await check?.(data)) ?? [])],
      }),
      refused(`${field} filtered to B`, query, { f: { locationIds: [fx.B] }, ...(from ? { from } : {}) }, EVERY, fx.B),
      refused(`${field} filtered to A and B`, query, { f: { locationIds: [fx.A, fx.B] }, ...(from ? { from } : {}) }, EVERY, fx.B),
      refused(`${field} filtered to W`, query, { f: { locationIds: [fx.W] }, ...(from ? { from } : {}) }, EVERY, fx.W),
    ];
    const figures = 'orderCount unitsSold revenue averageOrderValue returnedAmount netRevenue';
    const reportTotals = { orderCount: A_FIGURES.sales.orderCount, unitsSold: A_FIGURES.sales.unitsSold, revenue: A_FIGURES.sales.revenue };

    return {
      auditLog: [refused('auditLog', `{ auditLog(first: 5) { nodes { id variables } } }`, undefined, NOBODY)],
      locations: [
        scoped('locations', `{ locations(first: 50) { totalCount nodes { id name code } } }`, undefined, EVERY, {
          check: (data) => sameProblems('locations', [data.locations.totalCount, ids(data.locations.nodes)], [1, [fx.A]]),
        }),
        scoped('locations searched for Bergen', `{ locations(first: 50, filter: { query: "Bergen" }) { totalCount nodes { id } } }`, undefined, EVERY, {
          check: (data) => sameProblems('locations searched', data.locations.totalCount, 0),
        }),
      ],
      location: [
        refused('location(B)', `query($id: ID!) { location(id: $id) { id name } }`, { id: fx.B }, EVERY, fx.B),
        refused('location(W)', `query($id: ID!) { location(id: $id) { id name } }`, { id: fx.W }, EVERY, fx.W),
        scoped('location(A)', `query($id: ID!) { location(id: $id) { id name inventory(first: 50) { nodes { id onHand } } } }`, { id: fx.A }, EVERY, {
          check: (data) => sameProblems('location(A) levels', sorted(data.location.inventory.nodes.map((n: { id: string }) => n.id)), sorted(Object.values(SKU).map((sku) => `${fx.A}:${sku}`))),
        }),
      ],
      product: [
        scoped('product stock', `query($sku: ID!) { product(sku: $sku) { sku price inventory { location { id } onHand available } availableTotal onHandTotal
          movements(first: 100) { totalCount nodes { location { id } reference } } } }`, { sku: SKU.chair }, EVERY, {
          check: async (data) => {
            const chairMovementsAtA = (await admin(`query($sku: ID!) { product(sku: $sku) { movements(first: 100) { nodes { location { id } } } } }`, { sku: SKU.chair }))
              .product.movements.nodes.filter((n: { location: { id: string } }) => n.location.id === fx.A).length;
            return [
              ...sameProblems('product(chair).inventory', data.product.inventory, [{ location: { id: fx.A }, ...A_FIGURES.chair }]),
              ...sameProblems('product(chair) totals', [data.product.availableTotal, data.product.onHandTotal], [A_FIGURES.chair.available, A_FIGURES.chair.onHand]),
              ...sameProblems('product(chair).movements.totalCount', data.product.movements.totalCount, chairMovementsAtA),
            ];
          },
        }),
        scoped('product salesSummary', `query($sku: ID!) { product(sku: $sku) { salesSummary { ${figures} } } }`, { sku: SKU.chair }, AGGREGATES, {
          check: (data) => sameProblems('product(chair).salesSummary', data.product.salesSummary, A_FIGURES.chairSales),
        }),
      ],
      products: [
        scoped('products', `{ products(first: 50) { totalCount nodes { sku inventory { location { id } onHand } availableTotal onHandTotal } } }`, undefined, EVERY, {
          check: (data) => {
            const chair = data.products.nodes.find((n: { sku: string }) => n.sku === SKU.chair);
            const lamp = data.products.nodes.find((n: { sku: string }) => n.sku === SKU.lamp);
            return sameProblems('products totals (chair, lamp)', [chair?.availableTotal, chair?.onHandTotal, lamp?.availableTotal, lamp?.onHandTotal], [A_FIGURES.chair.available, A_FIGURES.chair.onHand, A_FIGURES.lamp.available, A_FIGURES.lamp.onHand]);
          },
        }),
      ],
      stockChange: [
        refused('stockChange(B event)', `query($id: ID!) { stockChange(id: $id) { id location { id } onHand } }`, { id: fx.events.stockChangeB }, EVERY, fx.B),
        refused('stockChange(B event, upper case)', `query($id: ID!) { stockChange(id: $id) { id location { id } onHand } }`, { id: fx.events.stockChangeB.toUpperCase() }, EVERY, fx.B),
        scoped('stockChange(A event)', `query($id: ID!) { stockChange(id: $id) { location { id } movement { location { id } } product { inventory { location { id } } } } }`, { id: fx.events.stockChangeA }, EVERY, {
          check: (data) => sameProblems('stockChange(A).location', data.stockChange.location.id, fx.A),
        }),
      ],
      lowStockAlert: [
        refused('lowStockAlert(B event)', `query($id: ID!) { lowStockAlert(id: $id) { id location { id } available } }`, { id: fx.events.lowStockB }, EVERY, fx.B),
        scoped('lowStockAlert(A event)', `query($id: ID!) { lowStockAlert(id: $id) { location { id } product { sku } } }`, { id: fx.events.lowStockA }, EVERY, {
          check: (data) => sameProblems('lowStockAlert(A).location', data.lowStockAlert.location.id, fx.A),
        }),
      ],
      transfer: [
        ...Object.entries(fx.transfersB).map(([state, id]) => refused(`transfer(W→B ${state})`, `query($id: ID!) { transfer(id: $id) { id lines { quantity } } }`, { id }, EVERY, id)),
        refused('transfer(W→B draft, upper case)', `query($id: ID!) { transfer(id: $id) { id lines { quantity } } }`, { id: fx.transfersB.draft.toUpperCase() }, EVERY, fx.transfersB.draft),
        scoped('transfer(A→B)', `query($id: ID!) { transfer(id: $id) { id origin { id name code } destination { id name code } lines { product { sku } quantity } } }`, { id: fx.transferAB }, EVERY, {
          check: (data) => sameProblems('transfer(A→B) ends', [data.transfer.origin.id, data.transfer.destination.id], [fx.A, fx.B]),
        }),
      ],
      transfers: [
        scoped('transfers', `{ transfers(first: 50) { totalCount nodes { id origin { id name code } destination { id name code } } } }`, undefined, EVERY, {
          check: (data) => sameProblems('transfers', [data.transfers.totalCount, ids(data.transfers.nodes)], [2, sorted([fx.transferAW, fx.transferAB])]),
        }),
        refused('transfers at B', `query($l: ID!) { transfers(filter: { locationId: $l }) { nodes { id } } }`, { l: fx.B }, EVERY, fx.B),
        refused('transfers to B', `query($l: ID!) { transfers(filter: { destinationId: $l }) { nodes { id } } }`, { l: fx.B }, EVERY, fx.B),
        refused('transfers from W', `query($l: ID!) { transfers(filter: { originId: $l }) { nodes { id } } }`, { l: fx.W }, EVERY, fx.W),
      ],
      inventoryStockValue: [
        ...analytics('inventoryStockValue', report.stockValue, undefined, (data) =>
          // Chairs 6 × 100.00 and lamps 4 × 40.00 on hand at A (3 lamps available, 1 committed); vases 0.
          sameProblems('inventoryStockValue totals', data.inventoryStockValue.totals, { onHand: 10, available: 9, value: '760.00' })),
        // The rollup path (no PRODUCT, no skus), grouped without LOCATION: B would hide in the sums.
        scoped('inventoryStockValue by CATEGORY (rollup)', `{ inventoryStockValue(groupBy: [CATEGORY]) { rows { category onHand available value } rowCount totals { onHand available value } } }`, undefined, EVERY, {
          check: (data) => sameProblems('inventoryStockValue by CATEGORY', data.inventoryStockValue, {
            rows: [{ category: 'chairs', onHand: 6, available: 6, value: '600.00' }, { category: 'lamps', onHand: 4, available: 3, value: '160.00' }], rowCount: 2, totals: { onHand: 10, available: 9, value: '760.00' },
          }),
        }),
        sameAsAdmin('inventoryStockValue by LOCATION, CATEGORY (rollup)', `query($f: InventoryAnalyticsFilter) { inventoryStockValue(filter: $f) { rows { location { id } category onHand value } rowCount totals { onHand value } } }`),
        sameAsAdmin('inventoryStockValue by PRODUCT for some skus', `query($f: InventoryAnalyticsFilter) { inventoryStockValue(filter: $f, groupBy: [PRODUCT]) { rows { product { sku } onHand value } totals { onHand value } } }`, { f: { skus: [SKU.chair, SKU.lamp] } }),
      ],
      inventorySellThrough: [
        ...analytics('inventorySellThrough', report.sellThrough, dayAgo),
        sameAsAdmin('inventorySellThrough by CATEGORY', `query($f: InventoryAnalyticsFilter, $from: DateTime!) { inventorySellThrough(filter: $f, from: $from, groupBy: [CATEGORY]) {
          rows { category figures { onHandAtStart unitsReceived unitsSold unitsReturned sellThroughRate } } totals { unitsSold unitsReturned } } }`, { from: dayAgo }),
      ],
      inventoryDaysOfSupply: [
        ...analytics('inventoryDaysOfSupply', report.daysOfSupply),
        sameAsAdmin('inventoryDaysOfSupply by PRODUCT', `query($f: InventoryAnalyticsFilter) { inventoryDaysOfSupply(filter: $f, groupBy: [PRODUCT]) { rows { product { sku } onHand available netUnitsSold dailySalesRate } rowCount } }`),
      ],
      inventoryStockOuts: analytics('inventoryStockOuts', report.stockOuts, dayAgo, (data) =>
        sameProblems('inventoryStockOuts levels', data.inventoryStockOuts.levels, [{ location: { id: fx.A }, product: { sku: SKU.vase }, stockOutCount: 1, outNow: true }])),
      inventorySlowMovers: [
        ...analytics('inventorySlowMovers', report.slowMovers),
        sameAsAdmin('inventorySlowMovers by PRODUCT', `query($f: InventoryAnalyticsFilter) { inventorySlowMovers(filter: $f, maxUnitsSold: 100) { rows { product { sku } onHand netUnitsSold value } rowCount } }`),
      ],
      campaign: [
        refused('campaign(cB)', `query($id: ID!) { campaign(id: $id) { id name budget } }`, { id: fx.campaigns.B }, CAMPAIGNS, fx.campaigns.B),
        // Campaign ids are matched as stored (lower case): in upper case it is an unknown id, null for an admin too.
        nothing('campaign(cB, upper case)', `query($id: ID!) { campaign(id: $id) { id name budget } }`, { id: fx.campaigns.B.toUpperCase() }),
        scoped('campaign(cAB)', `query($id: ID!) { campaign(id: $id) { id targetLocations { id name } performance { orderCount revenue spend roas byLocation { location { id } orderCount revenue } } } }`, { id: fx.campaigns.AB }, CAMPAIGNS, {
          // S3 at A only (S6 is B's); spend hidden: the campaign also runs at B.
          check: (data) => sameProblems('campaign(cAB)', data.campaign, {
            id: fx.campaigns.AB, targetLocations: [{ id: fx.A, name: 'Oslo Scope Store' }],
            performance: { orderCount: 1, revenue: '100.00', spend: null, roas: null, byLocation: [{ location: { id: fx.A }, orderCount: 1, revenue: '100.00' }] },
          }),
        }),
        scoped('campaign(cAll) LINEAR', `query($id: ID!) { campaign(id: $id) { targetLocations { id } performance(model: LINEAR) { orderCount revenue spend byLocation { location { id } } } } }`, { id: fx.campaigns.all }, CAMPAIGNS, {
          // S2 alone (the admin sees 270.00: S5 and half of S4 at B too).
          check: (data) => sameProblems('campaign(cAll) LINEAR', data.campaign, { targetLocations: [], performance: { orderCount: 1, revenue: '40.00', spend: null, byLocation: [{ location: { id: fx.A } }] } }),
        }),
        scoped('campaign(cA)', `query($id: ID!) { campaign(id: $id) { performance { orderCount revenue spend roas } } }`, { id: fx.campaigns.A }, CAMPAIGNS, {
          check: (data) => sameProblems('campaign(cA)', data.campaign.performance, { orderCount: 1, revenue: '200.00', spend: '10.00', roas: 20 }),
        }),
        scoped('campaign(cAB) breakdowns', `query($id: ID!) { campaign(id: $id) { performance { unitsSold conversions byCategory { category orderCount unitsSold revenue } byDay { revenue } byWeek { revenue } } } }`, { id: fx.campaigns.AB }, CAMPAIGNS, {
          // S3 alone: one chair (S6's chair at B not counted).
          check: (data) => sameProblems('campaign(cAB) breakdowns', data.campaign.performance, {
            unitsSold: 1, conversions: 1, byCategory: [{ category: 'chairs', orderCount: 1, unitsSold: 1, revenue: '100.00' }], byDay: [{ revenue: '100.00' }], byWeek: [{ revenue: '100.00' }],
          }),
        }),
        scoped('campaign(cAll) LIVE', `query($id: ID!, $from: DateTime, $to: DateTime) { campaign(id: $id) { performance(model: LINEAR, lookbackDays: 29, from: $from, to: $to) {
          orderCount unitsSold revenue source byLocation { location { id } revenue } byCategory { category revenue } } } }`, { id: fx.campaigns.all, from: dayAgo, to: hourAhead }, CAMPAIGNS, {
          // Computed live from the order facts: S2 only (the admin's 270.00 has S5 and half of S4 at B).
          check: (data) => sameProblems('campaign(cAll) LIVE', data.campaign.performance, {
            orderCount: 1, unitsSold: 1, revenue: '40.00', source: 'LIVE', byLocation: [{ location: { id: fx.A }, revenue: '40.00' }], byCategory: [{ category: 'lamps', revenue: '40.00' }],
          }),
        }),
      ],
      campaigns: [
        scoped('campaigns', `{ campaigns(first: 50) { totalCount nodes { id name targetLocations { id } } } }`, undefined, CAMPAIGNS, {
          check: (data) => sameProblems('campaigns', [data.campaigns.totalCount, ids(data.campaigns.nodes)], [3, sorted([fx.campaigns.A, fx.campaigns.AB, fx.campaigns.all])]),
        }),
      ],
      automationRule: [
        refused('automationRule(rB)', `query($id: ID!) { automationRule(id: $id) { id name } }`, { id: fx.rules.B }, AUTOMATION, fx.rules.B),
        refused('automationRule(brand-wide)', `query($id: ID!) { automationRule(id: $id) { id name } }`, { id: fx.rules.brandWide }, AUTOMATION, fx.rules.brandWide),
        scoped('automationRule(rA)', `query($id: ID!) { automationRule(id: $id) { id trigger { location { id } } action { location { id } } firings { nodes { detail task { id location { id } } } } } }`, { id: fx.rules.A }, AUTOMATION, {
          check: (data) => sameProblems('automationRule(rA) firing tasks', data.automationRule.firings.nodes.map((n: any) => n.task?.id), [fx.tasks.A]),
        }),
      ],
      automationRules: [
        scoped('automationRules', `{ automationRules(first: 50) { totalCount nodes { id name trigger { location { id } } } } }`, undefined, AUTOMATION, {
          check: (data) => sameProblems('automationRules', [data.automationRules.totalCount, ids(data.automationRules.nodes)], [2, sorted([fx.rules.A, fx.rules.milestoneA])]),
        }),
      ],
      storeTasks: [
        scoped('storeTasks', `{ storeTasks(first: 50) { totalCount nodes { id title detail location { id } } } }`, undefined, EVERY, {
          check: (data) => sameProblems('storeTasks', [data.storeTasks.totalCount, ids(data.storeTasks.nodes)], [tasksAtA.length, ids(tasksAtA)]),
        }),
        refused('storeTasks at B', `query($l: ID) { storeTasks(locationId: $l) { nodes { id } } }`, { l: fx.B }, EVERY, fx.B),
      ],
      webhookEndpoint: [refused('webhookEndpoint', `query($id: ID!) { webhookEndpoint(id: $id) { id url } }`, { id: fx.endpoint }, NOBODY)],
      webhookEndpoints: [refused('webhookEndpoints', `{ webhookEndpoints { nodes { id url } } }`, undefined, NOBODY)],
      webhookDelivery: [refused('webhookDelivery', `query($id: ID!) { webhookDelivery(id: $id) { id body } }`, { id: randomUUID() }, NOBODY)],
      engagementSource: [refused('engagementSource', `query($id: ID!) { engagementSource(id: $id) { id path } }`, { id: fx.source }, NOBODY)],
      engagementSources: [refused('engagementSources', `{ engagementSources { nodes { id path } } }`, undefined, NOBODY)],
      touchpoints: [
        refused('touchpoints', `{ touchpoints { nodes { id customerId campaign { id } } } }`, undefined, NOBODY),
        refused('touchpoints of an A customer', `{ touchpoints(filter: { customerId: "cust-a1" }) { nodes { id campaign { id } } } }`, undefined, NOBODY),
      ],
      inboundWebhookRejections: [refused('inboundWebhookRejections', `{ inboundWebhookRejections { nodes { id bodyExcerpt } } }`, undefined, NOBODY)],
      customerSegments: [
        refused('customerSegments overall', `{ customerSegments { customerCount segments { customerCount revenue } } }`, undefined, NOBODY),
        refused('customerSegments(B)', `query($l: ID) { customerSegments(locationId: $l) { customerCount } }`, { l: fx.B }, CUSTOMERS, fx.B),
        scoped('customerSegments(A)', `query($l: ID) { customerSegments(locationId: $l) { location { id } customerCount segments { customerCount revenue } } }`, { l: fx.A }, CUSTOMERS, {
          check: (data) => {
            const revenue = data.customerSegments.segments.reduce((sum: number, s: { revenue: string }) => sum + Number(s.revenue), 0).toFixed(2);
            return sameProblems('customerSegments(A)', [data.customerSegments.location.id, data.customerSegments.customerCount, revenue], [fx.A, 3, A_FIGURES.sales.revenue]);
          },
        }),
      ],
      customerRfm: [
        refused('customerRfm overall', `{ customerRfm(customerId: "cust-a1") { monetary } }`, undefined, NOBODY),
        refused('customerRfm(B customer at B)', `query($l: ID) { customerRfm(customerId: "cust-b4", locationId: $l) { monetary } }`, { l: fx.B }, CUSTOMERS, fx.B),
        scoped('customerRfm(cust-a1 at A)', `query($l: ID) { customerRfm(customerId: "cust-a1", locationId: $l) { location { id } frequency monetary } }`, { l: fx.A }, CUSTOMERS, {
          // S1 only: cust-a1's S6 was at B.
          check: (data) => sameProblems('customerRfm(cust-a1, A)', data.customerRfm, { location: { id: fx.A }, frequency: 1, monetary: '200.00' }),
        }),
        scoped('customerRfm(B customer at A)', `query($l: ID) { customerRfm(customerId: "cust-b4", locationId: $l) { monetary } }`, { l: fx.A }, CUSTOMERS, {
          check: (data) => sameProblems('customerRfm(cust-b4, A)', data.customerRfm, null),
        }),
      ],
      segmentCustomers: [
        refused('segmentCustomers overall', `query($s: RfmSegment!) { segmentCustomers(segment: $s) { nodes { customerId } } }`, { s: segmentA }, NOBODY),
        refused('segmentCustomers(B)', `query($s: RfmSegment!, $l: ID) { segmentCustomers(segment: $s, locationId: $l) { nodes { customerId } } }`, { s: segmentA, l: fx.B }, CUSTOMERS, fx.B),
        scoped('segmentCustomers(A)', `query($s: RfmSegment!, $l: ID) { segmentCustomers(segment: $s, locationId: $l) { nodes { customerId location { id } monetary } } }`, { s: segmentA, l: fx.A }, CUSTOMERS, {
          check: (data) => {
            const a1 = data.segmentCustomers.nodes.find((n: { customerId: string }) => n.customerId === 'cust-a1');
            return sameProblems('segmentCustomers(A) cust-a1', a1, { customerId: 'cust-a1', location: { id: fx.A }, monetary: '200.00' });
          },
        }),
      ],
      campaignComparison: [
        scoped('campaignComparison', `{ campaignComparison { rows { campaign { id } orderCount revenue spend } totalCount totals { revenue attributedRevenue unattributedRevenue spend conversions } } }`, undefined, CAMPAIGNS, {
          // LAST_TOUCH, A's orders: S1 → cA, S3 → cAB, S2 → cAll. Spend only of cA (wholly within A).
          check: (data) => sameProblems('campaignComparison', data.campaignComparison, {
            rows: [
              { campaign: { id: fx.campaigns.A }, orderCount: 1, revenue: '200.00', spend: '10.00' },
              { campaign: { id: fx.campaigns.AB }, orderCount: 1, revenue: '100.00', spend: null },
              { campaign: { id: fx.campaigns.all }, orderCount: 1, revenue: '40.00', spend: null },
            ],
            totalCount: 3,
            totals: { revenue: '340.00', attributedRevenue: '340.00', unattributedRevenue: '0.00', spend: null, conversions: 3 },
          }),
        }),
        scoped('campaignComparison by SPEND', `{ campaignComparison(sortBy: SPEND) { rows { campaign { id } spend roas } } }`, undefined, CAMPAIGNS, {
          // Hidden spend must not order the rows: cAll (40.00) and cAB (30.00) tie at nothing after cA, by id.
          check: (data) => sameProblems('campaignComparison by SPEND', data.campaignComparison.rows, [
            { campaign: { id: fx.campaigns.A }, spend: '10.00', roas: 20 },
            ...sorted([fx.campaigns.AB, fx.campaigns.all]).map((id) => ({ campaign: { id }, spend: null, roas: null })),
          ]),
        }),
        scoped('campaignComparison LIVE', `query($from: DateTime, $to: DateTime) { campaignComparison(model: TIME_DECAY, halfLifeDays: 2, from: $from, to: $to) { rows { campaign { id } orderCount } totals { revenue } source } }`, { from: dayAgo, to: hourAhead }, CAMPAIGNS, {
          check: (data) => sameProblems('campaignComparison LIVE', [data.campaignComparison.totals, data.campaignComparison.source, ids(data.campaignComparison.rows.map((row: any) => row.campaign))], [{ revenue: '340.00' }, 'LIVE', sorted([fx.campaigns.A, fx.campaigns.AB, fx.campaigns.all])]),
        }),
        scoped('campaignComparison LINEAR', `{ campaignComparison(model: LINEAR, sortBy: NAME, direction: ASC) { rows { campaign { id } revenue } totals { revenue attributedRevenue } } }`, undefined, CAMPAIGNS, {
          // S1 splits 100.00 / 100.00 between cB (not shown: B only) and cA; S3 → cAB; S2 → cAll.
          check: (data) => sameProblems('campaignComparison LINEAR', data.campaignComparison, {
            rows: [{ campaign: { id: fx.campaigns.AB }, revenue: '100.00' }, { campaign: { id: fx.campaigns.all }, revenue: '40.00' }, { campaign: { id: fx.campaigns.A }, revenue: '100.00' }],
            totals: { revenue: '340.00', attributedRevenue: '340.00' },
          }),
        }),
      ],
      order: [
        ...fx.ordersB.map((id, index) => refused(`order(S${index + 4} at B)`, `query($id: ID!) { order(id: $id) { id totalAmount customerId } }`, { id }, ORDERS, id)),
        // Order ids are matched as stored (lower case): in upper case it is an unknown id, null for an admin too.
        nothing('order(S4 at B, upper case)', `query($id: ID!) { order(id: $id) { id totalAmount customerId } }`, { id: fx.ordersB[0].toUpperCase() }),
        scoped('order(S1 at A)', `query($id: ID!) { order(id: $id) { id location { id name } totalAmount returns { id } lines { product { sku availableTotal inventory { location { id } } } } } }`, { id: fx.ordersA[0] }, ORDERS, {
          check: (data) => sameProblems('order(S1)', [data.order.location.id, data.order.totalAmount, data.order.lines[0].product.availableTotal], [fx.A, '200.00', A_FIGURES.chair.available]),
        }),
      ],
      orders: [
        scoped('orders', `{ orders(first: 50) { totalCount nodes { id location { id } customerId returns { id } } } }`, undefined, ORDERS, {
          check: (data) => sameProblems('orders', [data.orders.totalCount, ids(data.orders.nodes)], [3, sorted(fx.ordersA)]),
        }),
        refused('orders at B', `query($l: [ID!]) { orders(filter: { locationIds: $l }) { nodes { id } } }`, { l: [fx.B] }, ORDERS, fx.B),
        refused('orders at A and B', `query($l: [ID!]) { orders(filter: { locationIds: $l }) { nodes { id } } }`, { l: [fx.A, fx.B] }, ORDERS, fx.B),
        refused('orders at A and B (upper case)', `query($l: [ID!]) { orders(filter: { locationIds: $l }) { nodes { id } } }`, { l: [fx.A, fx.B.toUpperCase()] }, ORDERS, fx.B),
      ],
      salesReport: [
        scoped('salesReport by LOCATION', `{ salesReport(groupBy: [LOCATION]) { rows { location { id } orderCount unitsSold revenue } totals { orderCount unitsSold revenue } source } }`, undefined, AGGREGATES, {
          check: (data) => sameProblems('salesReport by LOCATION', data.salesReport, { rows: [{ location: { id: fx.A }, ...reportTotals }], totals: reportTotals, source: 'ROLLUP' }),
        }),
        scoped('salesReport by REGION, CHANNEL', `{ salesReport(groupBy: [REGION, CHANNEL]) { rows { region channel orderCount revenue } totals { orderCount unitsSold revenue } } }`, undefined, AGGREGATES, {
          check: (data) => sameProblems('salesReport by REGION, CHANNEL', data.salesReport, { rows: [{ region: 'Oslo', channel: 'STORE', orderCount: 3, revenue: '340.00' }], totals: reportTotals }),
        }),
        scoped('salesReport by PRODUCT', `{ salesReport(groupBy: [PRODUCT]) { rows { product { sku } orderCount unitsSold revenue } totals { orderCount unitsSold revenue } source } }`, undefined, AGGREGATES, {
          check: (data) => sameProblems('salesReport by PRODUCT', data.salesReport, {
            rows: [{ product: { sku: SKU.chair }, orderCount: 2, unitsSold: 3, revenue: '300.00' }, { product: { sku: SKU.lamp }, orderCount: 1, unitsSold: 1, revenue: '40.00' }],
            totals: reportTotals, source: 'ORDER_LINES',
          }),
        }),
        scoped('salesReport by CATEGORY', `{ salesReport(groupBy: [CATEGORY]) { rows { category orderCount unitsSold revenue } totals { orderCount unitsSold revenue } } }`, undefined, AGGREGATES, {
          check: (data) => sameProblems('salesReport by CATEGORY', data.salesReport, {
            rows: [{ category: 'chairs', orderCount: 2, unitsSold: 3, revenue: '300.00' }, { category: 'lamps', orderCount: 1, unitsSold: 1, revenue: '40.00' }], totals: reportTotals,
          }),
        }),
        scoped('salesReport of cAB\'s orders', `query($c: [ID!]) { salesReport(filter: { campaignIds: $c }, groupBy: [LOCATION]) { rows { location { id } orderCount revenue } totals { orderCount revenue } } }`, { c: [fx.campaigns.AB] }, AGGREGATES, {
          check: (data) => sameProblems('salesReport of cAB', data.salesReport, { rows: [{ location: { id: fx.A }, orderCount: 1, revenue: '100.00' }], totals: { orderCount: 1, revenue: '100.00' } }),
        }),
        scoped('salesReport of cB\'s orders', `query($c: [ID!]) { salesReport(filter: { campaignIds: $c }, groupBy: [PRODUCT]) { rows { product { sku } revenue } totals { orderCount revenue } } }`, { c: [fx.campaigns.B] }, AGGREGATES, {
          check: (data) => sameProblems('salesReport of cB', data.salesReport, { rows: [], totals: { orderCount: 0, revenue: '0.00' } }),
        }),
        sameAsAdmin('salesReport by DAY, WEEK, MONTH', `query($f: SalesReportFilter) { salesReport(filter: $f, groupBy: [DAY, WEEK, MONTH]) { rows { day week month orderCount unitsSold revenue discount averageOrderValue } totals { orderCount revenue } } }`, {}, AGGREGATES),
        refused('salesReport at B', `query($l: [ID!]) { salesReport(filter: { locationIds: $l }, groupBy: [LOCATION]) { totals { revenue } } }`, { l: [fx.B] }, AGGREGATES, fx.B),
        refused('salesReport at A and B', `query($l: [ID!]) { salesReport(filter: { locationIds: $l }, groupBy: [LOCATION]) { totals { revenue } } }`, { l: [fx.A, fx.B] }, AGGREGATES, fx.B),
      ],
    };
  }

  /** Paths from A's objects (or objects A may see) towards B and W. */
  function nestedAttacks(): Attack[] {
    const figures = 'orderCount unitsSold revenue averageOrderValue returnedAmount netRevenue';
    const transferEnd = (end: 'origin' | 'destination', id: string, fields: string, readers: ScopedRole[] = EVERY) =>
      refused(`transfer(${id === fx.transferAB ? 'A→B' : 'A→W'}).${end} { ${fields.split(' ')[0]} }`, `query($id: ID!) { transfer(id: $id) { id ${end} { id ${fields} } } }`, { id }, readers, end === 'destination' && id === fx.transferAB ? fx.B : fx.W);
    return [
      scoped('location(A).salesSummary', `query($id: ID!) { location(id: $id) { salesSummary { ${figures} } } }`, { id: fx.A }, AGGREGATES, {
        check: (data) => sameProblems('location(A).salesSummary', data.location.salesSummary, A_FIGURES.sales),
      }),
      scoped('location(A).sales', `query($id: ID!) { location(id: $id) { sales(first: 50) { totalCount nodes { id location { id } } } } }`, { id: fx.A }, ORDERS, {
        check: (data) => sameProblems('location(A).sales', [data.location.sales.totalCount, ids(data.location.sales.nodes)], [3, sorted(fx.ordersA)]),
      }),
      scoped('location(A).inventory.movements', `query($id: ID!) { location(id: $id) { inventory(first: 10) { nodes { id product { sku } movements(first: 50) { nodes { location { id } reference } } } } } }`, { id: fx.A }, EVERY),
      scoped('location(A).movements', `query($id: ID!) { location(id: $id) { movements(first: 100) { nodes { location { id } product { sku } reason reference } } } }`, { id: fx.A }, EVERY),
      scoped('location(A).transfers', `query($id: ID!) { location(id: $id) { transfers(first: 50) { totalCount nodes { id origin { id name code } destination { id name code } } } } }`, { id: fx.A }, EVERY, {
        check: (data) => sameProblems('location(A).transfers', ids(data.location.transfers.nodes), sorted([fx.transferAW, fx.transferAB])),
      }),
      transferEnd('destination', fx.transferAB, 'inventory(first: 10) { nodes { onHand } }'),
      transferEnd('destination', fx.transferAB, 'movements(first: 10) { nodes { delta } }'),
      transferEnd('destination', fx.transferAB, 'transfers(first: 10) { nodes { id } }'),
      transferEnd('destination', fx.transferAB, `salesSummary { ${figures} }`, AGGREGATES),
      transferEnd('destination', fx.transferAB, 'sales(first: 10) { nodes { id totalAmount } }', ORDERS),
      transferEnd('destination', fx.transferAW, 'inventory(first: 10) { nodes { onHand } }'),
      transferEnd('destination', fx.transferAW, 'movements(first: 10) { nodes { delta } }'),
      scoped('order(S1) { location lines product { salesSummary } }', `query($id: ID!) { order(id: $id) { location { id } lines { product { sku salesSummary { revenue orderCount } } } } }`, { id: fx.ordersA[0] }, both(ORDERS, AGGREGATES), {
        refusedAt: ['order'],
        check: (data) => sameProblems('order(S1) chair salesSummary', data.order.lines[0].product.salesSummary, { revenue: A_FIGURES.chairSales.revenue, orderCount: A_FIGURES.chairSales.orderCount }),
      }),
      scoped('order(S1).location { salesSummary sales }', `query($id: ID!) { order(id: $id) { location { id salesSummary { revenue } sales(first: 50) { totalCount } } } }`, { id: fx.ordersA[0] }, both(ORDERS, AGGREGATES), {
        refusedAt: ['order'],
        check: (data) => sameProblems('order(S1).location', data.order.location, { id: fx.A, salesSummary: { revenue: A_FIGURES.sales.revenue }, sales: { totalCount: 3 } }),
      }),
      scoped('order(S1).campaign', `query($id: ID!) { order(id: $id) { id campaign { id targetLocations { id } performance { revenue byLocation { location { id } } } } } }`, { id: fx.ordersA[0] }, both(ORDERS, CAMPAIGNS), {
        refusedAt: ['order', 'campaign'],
        check: (data) => sameProblems('order(S1).campaign', data.order.campaign, { id: fx.campaigns.A, targetLocations: [{ id: fx.A }], performance: { revenue: '200.00', byLocation: [{ location: { id: fx.A } }] } }),
      }),
      scoped('order(S3).campaign (cAB)', `query($id: ID!) { order(id: $id) { campaign { targetLocations { id } performance { orderCount byLocation { location { id } revenue } } } } }`, { id: fx.ordersA[2] }, both(ORDERS, CAMPAIGNS), {
        refusedAt: ['order', 'campaign'],
        check: (data) => sameProblems('order(S3).campaign', data.order.campaign, { targetLocations: [{ id: fx.A }], performance: { orderCount: 1, byLocation: [{ location: { id: fx.A }, revenue: '100.00' }] } }),
      }),
      scoped('campaign(cAB).targetLocations { inventory salesSummary }', `query($id: ID!) { campaign(id: $id) { targetLocations { id inventory(first: 10) { totalCount } salesSummary { revenue } } } }`, { id: fx.campaigns.AB }, CAMPAIGNS, {
        check: (data) => sameProblems('campaign(cAB).targetLocations', data.campaign.targetLocations, [{ id: fx.A, inventory: { totalCount: 3 }, salesSummary: { revenue: A_FIGURES.sales.revenue } }]),
      }),
      scoped('campaign(cAB).performance.byLocation.location { sales }', `query($id: ID!) { campaign(id: $id) { performance { byLocation { location { id salesSummary { revenue } } } } } }`, { id: fx.campaigns.AB }, CAMPAIGNS, {
        check: (data) => sameProblems('campaign(cAB) byLocation', data.campaign.performance.byLocation, [{ location: { id: fx.A, salesSummary: { revenue: A_FIGURES.sales.revenue } } }]),
      }),
      scoped('campaign(cAB).audience', `query($id: ID!) { campaign(id: $id) { audience { totalCount nodes { customerId matches { location { id } monetary } } } } }`, { id: fx.campaigns.AB }, both(CAMPAIGNS, CUSTOMERS), {
        refusedAt: ['campaign'],
        check: (data) => sameProblems('campaign(cAB).audience customers', sorted(data.campaign.audience.nodes.map((n: { customerId: string }) => n.customerId)), A_FIGURES.customers),
      }),
      refused('campaign(cAll).audience (brand-wide)', `query($id: ID!) { campaign(id: $id) { audience { nodes { customerId } } } }`, { id: fx.campaigns.all }, NOBODY),
      refused('campaign(cA).touchpoints (brand-wide)', `query($id: ID!) { campaign(id: $id) { touchpoints { nodes { customerId } } } }`, { id: fx.campaigns.A }, NOBODY),
      scoped('storeTasks.rule', `{ storeTasks(first: 50) { nodes { id location { id } rule { id name trigger { location { id } } action { location { id } } } } } }`, undefined, AUTOMATION, {
        refusedAt: ['storeTasks', 'nodes', 0, 'rule'],
        check: (data) => sameProblems('storeTasks.rule', data.storeTasks.nodes.map((n: any) => n.rule?.id), tasksAtA.map((task) => task.rule?.id)),
      }),
      scoped('storeTasks.location { inventory }', `{ storeTasks(first: 50) { nodes { location { id inventory(first: 10) { totalCount } } } } }`, undefined, EVERY, {
        check: (data) => sameProblems('storeTasks.location', data.storeTasks.nodes, tasksAtA.map(() => ({ location: { id: fx.A, inventory: { totalCount: 3 } } }))),
      }),
      scoped('salesReport rows { location { inventory sales } }', `{ salesReport(groupBy: [LOCATION]) { rows { location { id inventory(first: 10) { totalCount } salesSummary { revenue } } } } }`, undefined, AGGREGATES, {
        check: (data) => sameProblems('salesReport.rows.location', data.salesReport.rows, [{ location: { id: fx.A, inventory: { totalCount: 3 }, salesSummary: { revenue: A_FIGURES.sales.revenue } } }]),
      }),
      scoped('inventoryStockValue rows { location { salesSummary } }', `{ inventoryStockValue(groupBy: [LOCATION]) { rows { location { id salesSummary { revenue } } value } } }`, undefined, AGGREGATES, {
        refusedAt: ['inventoryStockValue', 'rows', 0, 'location'],
        check: (data) => sameProblems('inventoryStockValue.rows', data.inventoryStockValue.rows, [{ location: { id: fx.A, salesSummary: { revenue: A_FIGURES.sales.revenue } }, value: '760.00' }]),
      }),
      scoped('customerRfm.location { inventory sales }', `query($l: ID) { customerRfm(customerId: "cust-a1", locationId: $l) { location { id inventory(first: 10) { totalCount } } } }`, { l: fx.A }, CUSTOMERS),
      scoped('stockChange(A).product { inventory movements salesSummary }', `query($id: ID!) { stockChange(id: $id) { product { inventory { location { id } } movements(first: 50) { nodes { location { id } } } salesSummary { revenue } } } }`, { id: fx.events.stockChangeA }, AGGREGATES, {
        refusedAt: ['stockChange'],
      }),
    ];
  }

  /** Every root Mutation field of the API schema, each with attempts at B (or at brand-wide data) that must be refused. */
  function mutationCases(): Record<string, Attack[]> {
    const m = (name: string, query: string, variables: Record<string, unknown> | undefined, naming?: string) => refused(name, query, variables, EVERY, naming);
    // Only roles that hold the permission have the location named: the others are refused for the role.
    const at = (readers: ScopedRole[], name: string, query: string, variables: Record<string, unknown> | undefined, naming?: string) => refused(name, query, variables, readers, naming);
    const STOCK_WRITERS: ScopedRole[] = ['manager'];
    const SELLERS: ScopedRole[] = ['manager', 'associate'];
    const MARKETERS: ScopedRole[] = ['marketer'];
    const TASKERS: ScopedRole[] = ['manager', 'associate'];
    const payload = 'userErrors { code message }';
    // Keys are per operation, not per location: the same key with A's input is a CONFLICT, never B's first answer.
    const keyReuse = (readers: ScopedRole[], name: string, query: string, variables: Record<string, unknown>) =>
      scoped(name, query, variables, readers, {
        check: (data) => {
          const payloadOf = Object.values(data)[0] as { userErrors: { code: string }[] } & Record<string, unknown>;
          const result = Object.entries(payloadOf).filter(([key, value]) => key !== 'userErrors' && value != null);
          return sameProblems(name, [result, payloadOf.userErrors.map((error) => error.code)], [[], ['CONFLICT']]);
        },
      });
    const change = (field: string, type: string) => `mutation($input: ${type}!) { ${field}(input: $input) { ${payload} } }`;
    const address = { line1: 'Gate 2', city: 'Bergen', region: 'Vestland', postalCode: '5003', country: 'NO' };
    const campaignInput = (targetLocationIds: string[]) => ({ name: 'Bergen grab', channel: 'EMAIL', startsAt: new Date().toISOString(), budget: '1.00', targetLocationIds });
    const taskRule = (trigger: string, task: string) => ({ name: 'Bergen grab', trigger: { kind: 'STOCK_AT_OR_BELOW', locationId: trigger, sku: SKU.lamp, threshold: '1' }, action: { kind: 'CREATE_TASK', taskTitle: 'Bergen grab', locationId: task } });
    return {
      createLocation: [m('createLocation', change('createLocation', 'CreateLocationInput'), { input: { code: 'SCOPE-GRAB', name: 'Grab', kind: 'STORE', timezone: 'Europe/Oslo', address } })],
      updateLocation: [m('updateLocation(B)', change('updateLocation', 'UpdateLocationInput'), { input: { id: fx.B, name: 'Taken over' } })],
      createProduct: [m('createProduct', change('createProduct', 'CreateProductInput'), { input: { sku: 'SCOPE-GRAB', name: 'Grab', category: 'grab', price: '1.00' } })],
      updateProduct: [m('updateProduct', change('updateProduct', 'UpdateProductInput'), { input: { sku: SKU.chair, price: '0.01' } })],
      adjustInventory: [
        at(STOCK_WRITERS, 'adjustInventory(B)', change('adjustInventory', 'AdjustInventoryInput'), { input: { locationId: fx.B, sku: SKU.chair, delta: -5, reason: 'SHRINKAGE' } }, fx.B),
        at(STOCK_WRITERS, 'adjustInventory(B, upper case)', change('adjustInventory', 'AdjustInventoryInput'), { input: { locationId: fx.B.toUpperCase(), sku: SKU.chair, delta: -5, reason: 'SHRINKAGE' } }, fx.B),
        keyReuse(STOCK_WRITERS, 'adjustInventory(A) with the idempotency key of B\'s receipt', `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { level { location { id } onHand } movement { id } userErrors { code message } } }`,
          { input: { locationId: fx.A, sku: SKU.chair, delta: 20, reason: 'RECEIVED', idempotencyKey: IDEMPOTENCY_KEYS_OF_B.adjust } }),
      ],
      setInventory: [at(STOCK_WRITERS, 'setInventory(B)', change('setInventory', 'SetInventoryInput'), { input: { locationId: fx.B, sku: SKU.chair, quantity: 0 } }, fx.B)],
      changeInventoryState: [at(STOCK_WRITERS, 'changeInventoryState(B)', change('changeInventoryState', 'ChangeInventoryStateInput'), { input: { locationId: fx.B, sku: SKU.chair, quantity: 1, from: 'AVAILABLE', to: 'DAMAGED' } }, fx.B)],
      createTransfer: [
        at(STOCK_WRITERS, 'createTransfer(W→B)', change('createTransfer', 'CreateTransferInput'), { input: { originId: fx.W, destinationId: fx.B, lines: [{ sku: SKU.chair, quantity: 1 }] } }, fx.W),
        // A draft commits stock at its origin: A at the other end is not enough.
        at(STOCK_WRITERS, 'createTransfer(B→A)', change('createTransfer', 'CreateTransferInput'), { input: { originId: fx.B, destinationId: fx.A, lines: [{ sku: SKU.chair, quantity: 1 }] } }, fx.B),
      ],
      shipTransfer: [at(STOCK_WRITERS, 'shipTransfer(W→B draft)', change('shipTransfer', 'ShipTransferInput'), { input: { id: fx.transfersB.draft } }, fx.transfersB.draft)],
      receiveTransfer: [
        at(STOCK_WRITERS, 'receiveTransfer(W→B shipped)', change('receiveTransfer', 'ReceiveTransferInput'), { input: { id: fx.transfersB.shipped } }, fx.transfersB.shipped),
        // A is the origin: only B may receive it.
        at(STOCK_WRITERS, 'receiveTransfer(A→B)', change('receiveTransfer', 'ReceiveTransferInput'), { input: { id: fx.transferAB } }, fx.transferAB),
      ],
      cancelTransfer: [at(STOCK_WRITERS, 'cancelTransfer(W→B draft)', change('cancelTransfer', 'CancelTransferInput'), { input: { id: fx.transfersB.draft } }, fx.transfersB.draft)],
      createCampaign: [
        at(MARKETERS, 'createCampaign(targets B)', change('createCampaign', 'CreateCampaignInput'), { input: campaignInput([fx.B]) }, fx.B),
        at(MARKETERS, 'createCampaign(targets A and B)', change('createCampaign', 'CreateCampaignInput'), { input: campaignInput([fx.A, fx.B]) }, fx.B),
        at(MARKETERS, 'createCampaign(targets A and B upper case)', change('createCampaign', 'CreateCampaignInput'), { input: campaignInput([fx.A, fx.B.toUpperCase()]) }, fx.B),
        at(MARKETERS, 'createCampaign(brand-wide)', change('createCampaign', 'CreateCampaignInput'), { input: campaignInput([]) }),
      ],
      updateCampaign: [
        at(MARKETERS, 'updateCampaign(cB)', change('updateCampaign', 'UpdateCampaignInput'), { input: { id: fx.campaigns.B, status: 'PAUSED' } }, fx.campaigns.B),
        at(MARKETERS, 'updateCampaign(cAB)', change('updateCampaign', 'UpdateCampaignInput'), { input: { id: fx.campaigns.AB, status: 'PAUSED' } }, fx.B),
        at(MARKETERS, 'updateCampaign(cAll)', change('updateCampaign', 'UpdateCampaignInput'), { input: { id: fx.campaigns.all, status: 'PAUSED' } }),
        at(MARKETERS, 'updateCampaign(cA to target B)', change('updateCampaign', 'UpdateCampaignInput'), { input: { id: fx.campaigns.A, targetLocationIds: [fx.A, fx.B] } }, fx.B),
        at(MARKETERS, 'updateCampaign(cA to target every location)', change('updateCampaign', 'UpdateCampaignInput'), { input: { id: fx.campaigns.A, targetLocationIds: [] } }),
      ],
      createAutomationRule: [
        at(MARKETERS, 'createAutomationRule(trigger at B)', change('createAutomationRule', 'CreateAutomationRuleInput'), { input: taskRule(fx.B, fx.B) }, fx.B),
        at(MARKETERS, 'createAutomationRule(trigger at A, task at B)', change('createAutomationRule', 'CreateAutomationRuleInput'), { input: taskRule(fx.A, fx.B) }, fx.B),
        at(MARKETERS, 'createAutomationRule(trigger at A, task at B in upper case)', change('createAutomationRule', 'CreateAutomationRuleInput'), { input: taskRule(fx.A, fx.B.toUpperCase()) }, fx.B),
        at(MARKETERS, 'createAutomationRule(no trigger location)', change('createAutomationRule', 'CreateAutomationRuleInput'), { input: { ...taskRule(fx.A, fx.A), trigger: { kind: 'SALES_MILESTONE', metric: 'ORDERS', period: 'DAY', threshold: '1' } } }),
        // Webhook endpoints receive brand-wide data; cAB and cAll also run outside A.
        at(MARKETERS, 'createAutomationRule(at A, SEND_WEBHOOK)', change('createAutomationRule', 'CreateAutomationRuleInput'), { input: { ...taskRule(fx.A, fx.A), action: { kind: 'SEND_WEBHOOK', webhookEndpointId: fx.endpoint } } }),
        at(MARKETERS, 'createAutomationRule(at A, START_CAMPAIGN cAB)', change('createAutomationRule', 'CreateAutomationRuleInput'), { input: { ...taskRule(fx.A, fx.A), action: { kind: 'START_CAMPAIGN', campaignId: fx.campaigns.AB } } }, fx.campaigns.AB),
        at(MARKETERS, 'createAutomationRule(at A, PAUSE_CAMPAIGN cB)', change('createAutomationRule', 'CreateAutomationRuleInput'), { input: { ...taskRule(fx.A, fx.A), action: { kind: 'PAUSE_CAMPAIGN', campaignId: fx.campaigns.B } } }, fx.campaigns.B),
      ],
      updateAutomationRule: [
        at(MARKETERS, 'updateAutomationRule(rB)', change('updateAutomationRule', 'UpdateAutomationRuleInput'), { input: { id: fx.rules.B, enabled: false } }, fx.rules.B),
        at(MARKETERS, 'updateAutomationRule(rA to trigger at B)', change('updateAutomationRule', 'UpdateAutomationRuleInput'), { input: { id: fx.rules.A, trigger: taskRule(fx.B, fx.B).trigger } }, fx.B),
        at(MARKETERS, 'updateAutomationRule(rA to put tasks at B)', change('updateAutomationRule', 'UpdateAutomationRuleInput'), { input: { id: fx.rules.A, action: taskRule(fx.A, fx.B).action } }, fx.B),
        at(MARKETERS, 'updateAutomationRule(brand-wide)', change('updateAutomationRule', 'UpdateAutomationRuleInput'), { input: { id: fx.rules.brandWide, enabled: false } }, fx.rules.brandWide),
      ],
      deleteAutomationRule: [at(MARKETERS, 'deleteAutomationRule(rB)', change('deleteAutomationRule', 'DeleteAutomationRuleInput'), { input: { id: fx.rules.B } }, fx.rules.B)],
      completeStoreTask: [at(TASKERS, 'completeStoreTask(B task)', change('completeStoreTask', 'CompleteStoreTaskInput'), { input: { id: fx.tasks.B } }, fx.B)],
      createWebhookEndpoint: [m('createWebhookEndpoint', change('createWebhookEndpoint', 'CreateWebhookEndpointInput'), { input: { name: 'Grab', provider: 'GENERIC', url: 'https://evil.example.test/hooks' } })],
      updateWebhookEndpoint: [m('updateWebhookEndpoint', change('updateWebhookEndpoint', 'UpdateWebhookEndpointInput'), { input: { id: fx.endpoint, url: 'https://evil.example.test/hooks' } })],
      rotateWebhookSecret: [m('rotateWebhookSecret', `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { signingSecret ${payload} } }`, { input: { id: fx.endpoint } })],
      deleteWebhookEndpoint: [m('deleteWebhookEndpoint', change('deleteWebhookEndpoint', 'DeleteWebhookEndpointInput'), { input: { id: fx.endpoint } })],
      createEngagementSource: [m('createEngagementSource', `mutation($input: CreateEngagementSourceInput!) { createEngagementSource(input: $input) { signingSecret ${payload} } }`, { input: { name: 'Grab', provider: 'GENERIC' } })],
      rotateEngagementSourceSecret: [m('rotateEngagementSourceSecret', `mutation($input: RotateEngagementSourceSecretInput!) { rotateEngagementSourceSecret(input: $input) { signingSecret ${payload} } }`, { input: { id: fx.source } })],
      refreshCustomerSegments: [m('refreshCustomerSegments', `mutation { refreshCustomerSegments { refresh { id } ${payload} } }`, undefined)],
      recordCampaignSpend: [
        at(MARKETERS, 'recordCampaignSpend(cB)', change('recordCampaignSpend', 'RecordCampaignSpendInput'), { input: { campaignId: fx.campaigns.B, date: '2026-01-01', amount: '999.00', idempotencyKey: randomUUID() } }, fx.campaigns.B),
        at(MARKETERS, 'recordCampaignSpend(cAB)', change('recordCampaignSpend', 'RecordCampaignSpendInput'), { input: { campaignId: fx.campaigns.AB, date: '2026-01-01', amount: '999.00', idempotencyKey: randomUUID() } }, fx.B),
        at(MARKETERS, 'recordCampaignSpend(cAll)', change('recordCampaignSpend', 'RecordCampaignSpendInput'), { input: { campaignId: fx.campaigns.all, date: '2026-01-01', amount: '999.00', idempotencyKey: randomUUID() } }),
      ],
      recordSale: [
        at(SELLERS, 'recordSale(B)', change('recordSale', 'RecordSaleInput'), { input: { locationId: fx.B, paymentMethod: 'CASH', lines: [{ sku: SKU.chair, quantity: 1 }] } }, fx.B),
        keyReuse(SELLERS, 'recordSale(A) with the idempotency key of B\'s sale S4', `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id location { id } totalAmount } userErrors { code message } } }`,
          { input: { locationId: fx.A, customerId: 'cust-b4', campaignId: fx.campaigns.B, paymentMethod: 'CARD', lines: [{ sku: SKU.chair, quantity: 3 }], idempotencyKey: IDEMPOTENCY_KEYS_OF_B.sale } }),
        at(SELLERS, 'recordSale(B, upper case)', change('recordSale', 'RecordSaleInput'), { input: { locationId: fx.B.toUpperCase(), paymentMethod: 'CASH', lines: [{ sku: SKU.chair, quantity: 1 }] } }, fx.B),
        // A sale at A crediting a campaign that runs only at B would inflate B's campaign.
        scoped('recordSale(A) crediting B\'s campaign', `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { code message } } }`,
          { input: { locationId: fx.A, campaignId: fx.campaigns.B, paymentMethod: 'CARD', lines: [{ sku: SKU.chair, quantity: 1 }] } }, SELLERS, {
            check: (data) => sameProblems('recordSale(A) crediting B\'s campaign', [data.recordSale.order, data.recordSale.userErrors.map((error: { code: string }) => error.code)], [null, ['BAD_USER_INPUT']]),
          }),
      ],
      returnSaleLines: [
        at(['manager'], 'returnSaleLines(S5 at B)', change('returnSaleLines', 'ReturnSaleLinesInput'), { input: { orderId: fx.ordersB[1], lines: [{ sku: SKU.lamp, quantity: 1, condition: 'RESTOCK' }] } }, fx.ordersB[1]),
        at(['manager'], 'returnSaleLines(S6 at B, back to A)', change('returnSaleLines', 'ReturnSaleLinesInput'), { input: { orderId: fx.ordersB[2], locationId: fx.A, lines: [{ sku: SKU.chair, quantity: 1, condition: 'RESTOCK' }] } }, fx.ordersB[2]),
        // A's own order, but the goods would come back into B's stock.
        at(['manager'], 'returnSaleLines(S1 at A, back to B)', change('returnSaleLines', 'ReturnSaleLinesInput'), { input: { orderId: fx.ordersA[0], locationId: fx.B, lines: [{ sku: SKU.chair, quantity: 1, condition: 'RESTOCK' }] } }, fx.B),
      ],
    };
  }

  it('has a case for every root Query and Mutation field of the API schema', async () => {
    const schema = await admin(`{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
    const names = (fields: { name: string }[]) => fields.map((field) => field.name).sort();
    expect(Object.keys(queryCases()).sort()).toEqual(names(schema.__schema.queryType.fields));
    expect(Object.keys(mutationCases()).sort()).toEqual(names(schema.__schema.mutationType.fields));
    // Each case's attacks ask for the field they are filed under.
    for (const [field, attacks] of [...Object.entries(queryCases()), ...Object.entries(mutationCases())]) {
      for (const attack of attacks) expect(rootField(attack.query), attack.name).toBe(field);
    }
  });

  it('does not let a client send _entities or _service through the router', async () => {
    const problems: string[] = [];
    for (const query of [
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Location { id name } } }`,
      `{ _service { sdl } }`,
    ]) {
      const answer = await gql(url, query, { r: [{ __typename: 'Location', id: fx.B }] }, callerOf('manager'));
      const codes = new Set(answer.errors?.map((error) => error.extensions?.code));
      problems.push(...sameProblems(`manager@A ${query.slice(0, 40)}`, [answer.data ?? null, [...codes]], [null, ['GRAPHQL_VALIDATION_FAILED']]));
    }
    expect(problems).toEqual([]);
  });

  it('gives a token for no location (or only ids that are not locations) nothing of any location', async () => {
    const everything = [...leaks, fx.A.toLowerCase(), 'oslo scope', 'cust-a'];
    const problems: string[] = [];
    for (const locations of [[], ['not-a-location', '*x']]) {
      for (const role of SCOPED) {
        const caller: TestCaller = { role, locations, subject: `${role}@nowhere` };
        for (const query of [
          `{ locations { totalCount nodes { id name } } transfers { totalCount nodes { id } } storeTasks { totalCount nodes { id } } products(first: 5) { nodes { availableTotal inventory { location { id } } } } inventoryStockValue { totals { onHand value } rows { location { id } } } }`,
          `{ orders { totalCount nodes { id } } }`,
          `{ salesReport(groupBy: [LOCATION]) { rows { location { id } } totals { orderCount revenue } } }`,
          `{ campaigns { totalCount nodes { id name } } campaignComparison { rows { campaign { id } } totals { revenue } } }`,
          `{ automationRules { totalCount nodes { id } } }`,
        ]) {
          const answer = await gql(url, query, undefined, caller);
          const label = `${role}@${JSON.stringify(locations)}`;
          // Refused for the role, or answered with nothing: no location's data either way. cAll targets every location, so it is visible (with nothing credited).
          problems.push(...markersIn(answer.data, everything).map((leak) => `${label}: data at ${leak}`));
          for (const error of answer.errors ?? []) if (error.extensions?.code !== 'FORBIDDEN') problems.push(`${label}: ${String(error.extensions?.code)} ${error.message}`);
          const totals = JSON.stringify(answer.data ?? {}).match(/"(totalCount|orderCount|onHand)":[1-9]|"(revenue|value)":"[1-9]/g);
          const allowedTotals = (totals ?? []).filter((hit) => !(hit.startsWith('"totalCount":1') && query.includes('campaigns')));
          if (allowedTotals.length) problems.push(`${label}: non-zero figures ${allowedTotals.join(', ')} in ${JSON.stringify(answer.data).slice(0, 300)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  describe.each(SCOPED)('as %s of A', (role) => {
    it('gets FORBIDDEN for B\'s ids and nothing of B from every root query field; aggregates count A alone', async () => {
      expect(await judgeAll(role, Object.values(queryCases()).flat())).toEqual([]);
    });

    it('reaches nothing of B through nested paths from A\'s objects', async () => {
      expect(await judgeAll(role, nestedAttacks())).toEqual([]);
    });

    it('gets FORBIDDEN for every mutation with B\'s ids (or on brand-wide data), and nothing changes', async () => {
      const before = await adminSnapshot(url, fx);
      const problems = await judgeSerially(role, Object.values(mutationCases()).flat());
      expect(problems).toEqual([]);
      expect(await adminSnapshot(url, fx)).toEqual(before);
    });

    it('gets A\'s part and a FORBIDDEN error for B\'s part only when one operation asks for both', async () => {
      expect(await batchProblems(role)).toEqual([]);
    });

    it('gets A\'s data only for an operation an admin has just run', async () => {
      const cases = queryCases();
      const repeated = ['locations', 'transfers', 'orders', 'campaigns', 'storeTasks', 'salesReport', 'campaignComparison', 'inventoryStockValue', 'customerSegments']
        .flatMap((field) => cases[field]!.filter((attack) => attack.kind === 'scoped'));
      const problems: string[] = [];
      for (const attack of repeated) {
        await admin(attack.query, attack.variables);
        problems.push(...(await judge(role, attack)));
      }
      expect(problems).toEqual([]);
    });
  });

  // The attacker's own rule (marketer@A, at A): counted over A's orders only, it fires on S3.
  it('counts a milestone rule at A over A\'s orders only', async () => {
    const problems: string[] = [];
    for (const role of AUTOMATION) {
      const answer = await gql(url, `query($id: ID!) { automationRule(id: $id) { firings { totalCount nodes { detail task { title detail location { id } } } } } }`, { id: fx.rules.milestoneA }, callerOf(role));
      problems.push(...allowedProblems(`${role}@A automationRule(Oslo third sale)`, answer, leaks));
      const firings = answer.data?.automationRule?.firings;
      const facts = firings?.nodes?.map((node: { detail: string }) => JSON.parse(node.detail).trigger) ?? [];
      problems.push(...sameProblems(`${role}@A Oslo third sale: firings (count, orderId, value)`, [firings?.totalCount, facts.map((fact: any) => [fact.orderId, fact.value])], [1, [[fx.ordersA[2], '3']]]));
    }
    expect(problems).toEqual([]);
  });

  /** One attack at a time: mutations, whose order matters for what they would change. */
  async function judgeSerially(role: ScopedRole, attacks: Attack[]): Promise<string[]> {
    const problems: string[] = [];
    for (const attack of attacks) problems.push(...(await judge(role, attack)));
    return problems;
  }

  /**
   * One operation naming A and B (aliases `a` and `b`): exactly one error, FORBIDDEN, on `b`, and
   * nothing of B in the data. With `a` given, the A part answers `a[1]`; without, the root field is
   * non-null, so B's refusal nulls the whole data (GraphQL's rule) and only that is checked.
   * Roles not among `readers` get only FORBIDDEN errors.
   */
  async function mixedProblems(role: ScopedRole, name: string, query: string, variables: Record<string, unknown> | undefined, readers: ScopedRole[], a?: [(data: any) => unknown, unknown]): Promise<string[]> {
    const label = `${role}@A ${name}`;
    const answer = await gql(url, query, variables, callerOf(role));
    const errors = (answer.errors ?? []) as { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
    const problems = markersIn(answer.data, leaks, transferEnds).map((leak) => `${label}: B/W data at ${leak}`);
    if (!readers.includes(role)) {
      if (!errors.length || errors.some((error) => error.extensions?.code !== 'FORBIDDEN')) problems.push(`${label}: expected only FORBIDDEN errors for a role that may not read it: ${JSON.stringify(answer).slice(0, 400)}`);
      return problems;
    }
    problems.push(...sameProblems(`${label} errors`, errors.map((error) => `${error.path?.join('.')}:${String(error.extensions?.code)}`), ['b:FORBIDDEN']));
    if (a) {
      problems.push(...sameProblems(`${label} A part`, a[0](answer.data), a[1]));
      if ((answer.data as Record<string, unknown> | undefined)?.b != null) problems.push(`${label}: b answered data`);
    } else {
      problems.push(...sameProblems(`${label} data (non-null root field)`, answer.data ?? null, null));
    }
    return problems;
  }

  async function batchProblems(role: ScopedRole): Promise<string[]> {
    const B = fx.B;
    const upper = B.toUpperCase();
    const problems: string[] = [];
    const two = `query($a: ID!, $b: ID!) { a: location(id: $a) { id name } b: location(id: $b) { id name } }`;
    const aLocation: [(data: any) => unknown, unknown] = [(data) => data?.a?.id, fx.A];
    const mixed = async (name: string, query: string, variables: Record<string, unknown> | undefined, readers: ScopedRole[], a?: [(data: any) => unknown, unknown]) =>
      problems.push(...(await mixedProblems(role, name, query, variables, readers, a)));

    await mixed('location aliases (variables)', two, { a: fx.A, b: B }, EVERY, aLocation);
    await mixed('location aliases (inline literals)', `{ a: location(id: "${fx.A}") { id name } b: location(id: "${B}") { id name } }`, undefined, EVERY, aLocation);
    await mixed('location aliases (B in upper case)', two, { a: fx.A, b: upper }, EVERY, aLocation);
    await mixed('location aliases (B without hyphens)', two, { a: fx.A, b: B.replaceAll('-', '') }, EVERY, aLocation);
    await mixed('location aliases (B in braces)', two, { a: fx.A, b: `{${B}}` }, EVERY, aLocation);
    await mixed('location aliases (B padded with spaces)', two, { a: fx.A, b: ` ${B} ` }, EVERY, aLocation);

    // B as a variable's default value, no variables sent.
    await mixed('location aliases (B as a default value)', `query($a: ID! = "${fx.A}", $b: ID! = "${B}") { a: location(id: $a) { id name } b: location(id: $b) { id name } }`, undefined, EVERY, aLocation);
    await mixed('location aliases (fragment on B)', `query($a: ID!, $b: ID!) { a: location(id: $a) { ...L } b: location(id: $b) { ...L } } fragment L on Location { id name }`, { a: fx.A, b: B }, EVERY, aLocation);

    // Location ids are compared case-insensitively (docs/security.md): A's own id in upper case still answers.
    const upperA = await gql(url, `query($a: ID!) { location(id: $a) { id inventory(first: 10) { totalCount } } }`, { a: fx.A.toUpperCase() }, callerOf(role));
    problems.push(...sameProblems(`${role}@A location(A in upper case)`, [upperA.errors, upperA.data?.location?.inventory?.totalCount], [undefined, 3]));

    await mixed('order aliases (S1, S4)', `query($a: ID!, $b: ID!) { a: order(id: $a) { id totalAmount } b: order(id: $b) { id totalAmount } }`, { a: fx.ordersA[0], b: fx.ordersB[0] }, ORDERS, [(data) => data?.a?.totalAmount, '200.00']);
    await mixed('order aliases (inline literals)', `{ a: order(id: "${fx.ordersA[0]}") { id totalAmount } b: order(id: "${fx.ordersB[0]}") { id totalAmount } }`, undefined, ORDERS, [(data) => data?.a?.totalAmount, '200.00']);
    await mixed('transfer aliases (A→W, W→B)', `query($a: ID!, $b: ID!) { a: transfer(id: $a) { id status } b: transfer(id: $b) { id status } }`, { a: fx.transferAW, b: fx.transfersB.received }, EVERY, [(data) => data?.a?.status, 'RECEIVED']);
    await mixed('campaign aliases (cA, cB)', `query($a: ID!, $b: ID!) { a: campaign(id: $a) { id performance { revenue } } b: campaign(id: $b) { id performance { revenue } } }`, { a: fx.campaigns.A, b: fx.campaigns.B }, CAMPAIGNS, [(data) => data?.a?.performance?.revenue, '200.00']);
    await mixed('salesSummary aliases (A, B)', `query($a: ID!, $b: ID!) { a: location(id: $a) { salesSummary { revenue } } b: location(id: $b) { salesSummary { revenue } } }`, { a: fx.A, b: B }, AGGREGATES, [(data) => data?.a?.salesSummary?.revenue, A_FIGURES.sales.revenue]);
    // Non-null root fields: B's refusal takes the whole answer with it, A's part included.
    await mixed('report aliases (A; A and B in upper case)', `query($a: [ID!], $b: [ID!]) { a: salesReport(filter: { locationIds: $a }, groupBy: [LOCATION]) { totals { revenue } } b: salesReport(filter: { locationIds: $b }, groupBy: [LOCATION]) { totals { revenue } } }`, { a: [fx.A], b: [fx.A, upper] }, AGGREGATES);
    await mixed('stock value aliases (A, B in upper case)', `query($a: [ID!], $b: [ID!]) { a: inventoryStockValue(filter: { locationIds: $a }) { totals { value } } b: inventoryStockValue(filter: { locationIds: $b }) { totals { value } } }`, { a: [fx.A], b: [upper] }, EVERY);
    await mixed('task aliases (A, B in upper case)', `query($a: ID, $b: ID) { a: storeTasks(locationId: $a) { totalCount } b: storeTasks(locationId: $b) { totalCount } }`, { a: fx.A, b: upper }, EVERY);
    await mixed('segment aliases (A, B in upper case)', `query($a: ID, $b: ID) { a: customerSegments(locationId: $a) { customerCount } b: customerSegments(locationId: $b) { customerCount } }`, { a: fx.A, b: upper }, CUSTOMERS);
    await mixed('transfer filter aliases (A, B in upper case)', `query($a: ID, $b: ID) { a: transfers(filter: { locationId: $a }) { totalCount } b: transfers(filter: { locationId: $b }) { totalCount } }`, { a: fx.A, b: upper }, EVERY);

    // Mutations run one after another: A's adjustment is made, B's refused (the payload is
    // non-null, so the answer's data is null), and B's stock is unchanged.
    if (role === 'manager') {
      const chairAt = async (l: string) => (await admin(`query($sku: ID!) { product(sku: $sku) { inventory { location { id } onHand } } }`, { sku: SKU.chair })).product.inventory.find((level: any) => level.location.id === l).onHand as number;
      const [a, b] = [await chairAt(fx.A), await chairAt(B)];
      const adjust = (l: string) => `adjustInventory(input: { locationId: "${l}", sku: "${SKU.chair}", delta: 1, reason: RECEIVED }) { level { onHand } userErrors { message } }`;
      await mixed('adjustInventory aliases (A, B)', `mutation { a: ${adjust(fx.A)} b: ${adjust(B)} }`, undefined, ['manager']);
      problems.push(...sameProblems('manager@A adjustInventory aliases: chairs on hand after (A, B)', [await chairAt(fx.A), await chairAt(B)], [a + 1, b]));
      await admin(`mutation($l: ID!, $sku: ID!) { adjustInventory(input: { locationId: $l, sku: $sku, delta: -1, reason: CORRECTION }) { userErrors { message } } }`, { l: fx.A, sku: SKU.chair });
    }
    return problems;
  }

  // Last: a B→A draft (if the router lets one through) is cancelled again by the admin, but appears in A's transfer lists.
  it('refuses a manager of A a transfer out of B: it would commit B\'s stock, and its answer tells B\'s available stock', async () => {
    const manager = callerOf('manager');
    const before = await adminSnapshot(url, fx);
    const create = `mutation($input: CreateTransferInput!) { createTransfer(input: $input) { transfer { id } userErrors { code message } } }`;
    // 1,000 lamps cannot be there: the refusal's message says how many are.
    const probe = await gql(url, create, { input: { originId: fx.B, destinationId: fx.A, lines: [{ sku: SKU.lamp, quantity: 1000 }] } }, manager);
    const taken = await gql(url, create, { input: { originId: fx.B, destinationId: fx.A, lines: [{ sku: SKU.lamp, quantity: 1 }] } }, manager);
    const created = taken.data?.createTransfer?.transfer?.id;
    if (created) await admin(`mutation($id: ID!) { cancelTransfer(input: { id: $id }) { userErrors { message } } }`, { id: created });
    expect([
      ...refusalProblems('manager@A createTransfer(B→A, 1000 lamps)', probe, 'createTransfer', leaks, fx.B),
      ...refusalProblems('manager@A createTransfer(B→A, 1 lamp)', taken, 'createTransfer', leaks, fx.B),
    ]).toEqual([]);
    if (!created) expect(await adminSnapshot(url, fx)).toEqual(before);
  });
});

/** The first root field an operation selects (after its variable definitions). */
function rootField(query: string): string {
  const body = query.slice(query.indexOf('{') + 1);
  return /^\s*(?:\w+\s*:\s*)?(\w+)/.exec(body)![1]!;
}
