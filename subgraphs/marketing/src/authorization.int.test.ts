/**
 * Authorization in the marketing subgraph (docs/security.md): the permission matrix over every
 * marketing operation for admin and for a manager, associate, analyst and marketer of store A
 * (allowed, or FORBIDDEN with nothing changed), then location scope: campaigns of store B,
 * brand-wide campaigns, rules, tasks and segments, attribution figures counted over A's orders
 * only (computed by hand below), and `_entities` refusing a forged reference.
 *
 * Requests go to the subgraph with a signed joinery-identity, as the router sends them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7, type EventEnvelope, type InventoryDirectory, type Role } from '@joinery/core';
import { backends, gql, type TestCaller } from '@joinery/core/testing';
import { applyAttributionEvents } from './attribution/attribution-consumer';
import { prismaRunner } from './attribution/attribution-store';
import { orderConfirmedEvent } from './attribution/worked-example';
import { buildMarketingSubgraph, openMarketingDatabase, type MarketingSubgraph } from './server';

const A = randomUUID();
const B = randomUUID();
const SKU = 'OAK-TBL-180';

const inventory: InventoryDirectory = {
  async lookup({ locationIds = [], skus = [] }) {
    return { missingLocations: locationIds.filter((id) => id !== A && id !== B), prices: new Map(skus.filter((sku) => sku === SKU).map((sku) => [sku, '10.00'])) };
  },
};

const ADMIN: TestCaller = { role: 'admin' };
const at = (role: Role, ...locations: string[]): TestCaller => ({ role, locations, subject: `${role}@a` });
const MANAGER_A = at('manager', A);
const ASSOCIATE_A = at('associate', A);
const ANALYST_A = at('analyst', A);
const MARKETER_A = at('marketer', A);
const CALLERS: [string, TestCaller][] = [['admin', ADMIN], ['manager@A', MANAGER_A], ['associate@A', ASSOCIATE_A], ['analyst@A', ANALYST_A], ['marketer@A', MARKETER_A]];
type CallerName = 'admin' | 'manager@A' | 'associate@A' | 'analyst@A' | 'marketer@A';

type Result = Awaited<ReturnType<typeof gql>>;

function expectForbidden(result: Result, mentioning?: string): void {
  expect(result.errors?.length, JSON.stringify(result)).toBeGreaterThan(0);
  for (const error of result.errors!) expect(error.extensions?.code, error.message).toBe('FORBIDDEN');
  if (mentioning) expect(result.errors!.map((error) => error.message).join('\n')).toContain(mentioning);
}

function expectAllowed(result: Result): void {
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
}

/** Fixtures: ids filled in by beforeAll. */
const fx = {
  /** Targets A only; spend 100.00 on 2026-03-10. */
  campaignA: '',
  /** Targets B only. */
  campaignB: '',
  /** Targets A and B; spend 50.00. */
  campaignAB: '',
  /** Every location (no targets); spend 30.00. */
  campaignAll: '',
  /** Targets A: what the matrix's campaign mutations change. */
  campaignMatrix: '',
  ruleA: '',
  ruleB: '',
  /** No trigger location: fires on every location's events. */
  ruleAll: '',
  taskA: '',
  taskB: '',
  endpoint: '',
  delivery: '',
  source: '',
};

interface Operation {
  name: string;
  query: string;
  /** Fresh variables for one attempt (a row to delete or complete is created per attempt). */
  variables?: () => Promise<Record<string, unknown>>;
  allowed: CallerName[];
  /** For mutations: what a refused attempt must leave as it was. */
  state?: (variables: Record<string, unknown>) => Promise<unknown>;
}

const EVERY_ROLE: CallerName[] = ['admin', 'manager@A', 'associate@A', 'analyst@A', 'marketer@A'];
const CAMPAIGN_READERS: CallerName[] = ['admin', 'manager@A', 'analyst@A', 'marketer@A'];
const CUSTOMER_READERS: CallerName[] = ['admin', 'analyst@A', 'marketer@A'];
const AUTOMATION_READERS: CallerName[] = ['admin', 'analyst@A', 'marketer@A'];
const MARKETERS: CallerName[] = ['admin', 'marketer@A'];
const TASK_COMPLETERS: CallerName[] = ['admin', 'manager@A', 'associate@A'];
/** Brand-wide data: of these five callers only the admin has every location. */
const EVERY_LOCATION: CallerName[] = ['admin'];

describe.each(backends())('marketing authorization on $name', (backend) => {
  let subgraph: MarketingSubgraph;
  let url: string;
  const prisma = () => subgraph.prisma;
  const call = (caller: TestCaller, query: string, variables?: Record<string, unknown>) => gql(url, query, variables, caller);
  const data = async (caller: TestCaller, query: string, variables?: Record<string, unknown>) => {
    const result = await call(caller, query, variables);
    expectAllowed(result);
    return result.data;
  };

  async function campaign(name: string, targetLocationIds: string[]): Promise<string> {
    const id = randomUUID();
    await prisma().campaign.create({ data: { id, name, channel: 'EMAIL', status: 'ACTIVE', startsAt: new Date('2026-01-01T00:00:00Z'), budget: '1000.00', targetLocationIds, targetSkus: [] } });
    return id;
  }
  async function rule(name: string, triggerLocationId: string | null, actionLocationId: string | null = null): Promise<string> {
    const id = uuidv7();
    await prisma().automationRule.create({
      data: triggerLocationId
        ? { id, name, triggerKind: 'STOCK_AT_OR_BELOW', triggerLocationId, threshold: '2', actionKind: 'CREATE_TASK', taskTitle: 'Restock', actionLocationId, createdBy: 'fixture' }
        : { id, name, triggerKind: 'SALES_MILESTONE', metric: 'REVENUE', period: 'DAY', threshold: '100.00', actionKind: 'CREATE_TASK', taskTitle: 'Celebrate', actionLocationId: actionLocationId ?? A, createdBy: 'fixture' },
    });
    return id;
  }
  async function task(locationId: string, ruleId: string | null = null): Promise<string> {
    const id = uuidv7();
    await prisma().storeTask.create({ data: { id, locationId, title: 'Count the oak tables', ruleId } });
    return id;
  }
  async function endpoint(name: string): Promise<string> {
    const id = uuidv7();
    await prisma().webhookEndpoint.create({ data: { id, name, provider: 'GENERIC', url: 'https://hooks.example.test/joinery', secret: `whsec_${randomUUID()}` } });
    return id;
  }
  async function spend(campaignId: string, amount: string, date = '2026-03-10'): Promise<void> {
    await prisma().campaignSpendEntry.create({ data: { id: uuidv7(), campaignId, spendDate: new Date(`${date}T00:00:00Z`), amount } });
  }

  beforeAll(async () => {
    const database = await openMarketingDatabase(backend.targets().marketing);
    subgraph = await buildMarketingSubgraph({ database, inventory });
    url = await subgraph.listen(0);

    fx.campaignA = await campaign('Oslo only', [A]);
    fx.campaignB = await campaign('Bergen only', [B]);
    fx.campaignAB = await campaign('Oslo and Bergen', [A, B]);
    fx.campaignAll = await campaign('Everywhere', []);
    fx.campaignMatrix = await campaign('Matrix', [A]);
    await spend(fx.campaignA, '100.00');
    await spend(fx.campaignAB, '50.00');
    await spend(fx.campaignAll, '30.00');

    fx.ruleA = await rule('Low oak at A', A);
    fx.ruleB = await rule('Low oak at B', B);
    fx.ruleAll = await rule('Big sales day anywhere', null, A);
    fx.taskA = await task(A, fx.ruleAll);
    fx.taskB = await task(B);
    fx.endpoint = await endpoint('CRM');
    fx.delivery = uuidv7();
    await prisma().webhookDelivery.create({ data: { id: fx.delivery, endpointId: fx.endpoint, eventId: randomUUID(), eventType: 'sales.order_confirmed', occurredAt: new Date(), body: '{}' } });
    fx.source = uuidv7();
    await prisma().engagementSource.create({ data: { id: fx.source, name: 'Mail platform', provider: 'GENERIC', secret: 'whsec_source' } });

    // cust-1 clicked campaign A's email two days before buying at A under campaign AB's code; cust-4
    // clicked campaign B's ad the day before buying at A with no code.
    const T = Date.parse('2026-03-10T12:00:00Z');
    await prisma().touchpoint.create({ data: { id: uuidv7(), sourceId: fx.source, externalId: 'click-1', customerId: 'cust-1', campaignId: fx.campaignA, type: 'EMAIL_CLICK', occurredAt: new Date(T - 2 * 86_400_000) } });
    await prisma().touchpoint.create({ data: { id: uuidv7(), sourceId: fx.source, externalId: 'click-2', customerId: 'cust-4', campaignId: fx.campaignB, type: 'AD_CLICK', occurredAt: new Date(T - 86_400_000) } });
    // Order facts through the attribution consumer's path, as sales' order events arrive.
    const order = (locationId: string, customerId: string, campaignId: string | null, lines: [string, number, string][]) => orderConfirmedEvent({
      id: randomUUID(), locationId, timezone: 'UTC', customerId, campaignId, orderedAt: new Date(T), lines, touches: [],
    });
    const events: EventEnvelope[] = [
      order(A, 'cust-1', fx.campaignAB, [['sofas', 1, '120.00']]),
      order(B, 'cust-2', fx.campaignAB, [['tables', 2, '80.00']]),
      order(A, 'cust-3', fx.campaignA, [['lamps', 1, '40.00']]),
      order(A, 'cust-4', null, [['lamps', 1, '10.00']]),
      order(A, 'cust-6', null, [['rugs', 1, '5.00']]),
      order(B, 'cust-5', fx.campaignB, [['beds', 1, '25.00']]),
    ];
    await prisma().$transaction((tx) => applyAttributionEvents(prismaRunner(tx), events));
    await subgraph.segments.refresh();
  });
  afterAll(async () => {
    await subgraph?.stop();
    await backend.cleanup();
  });

  describe('the permission matrix', () => {
    const byId = (id: () => string) => async () => ({ id: id() });
    const atA = async () => ({ loc: A });
    const OPERATIONS: Operation[] = [
      // Campaigns and attribution: campaigns:read.
      { name: 'campaign', query: `query($id: ID!) { campaign(id: $id) { id name } }`, variables: byId(() => fx.campaignA), allowed: CAMPAIGN_READERS },
      { name: 'campaigns', query: `{ campaigns { totalCount } }`, allowed: CAMPAIGN_READERS },
      { name: 'Campaign.performance', query: `query($id: ID!) { campaign(id: $id) { performance { revenue } } }`, variables: byId(() => fx.campaignA), allowed: CAMPAIGN_READERS },
      { name: 'campaignComparison', query: `{ campaignComparison { totalCount } }`, allowed: CAMPAIGN_READERS },
      // Customers: customers:read; overall needs every location; touchpoints are tied to no location.
      { name: 'Campaign.audience', query: `query($id: ID!) { campaign(id: $id) { audience { totalCount } } }`, variables: byId(() => fx.campaignA), allowed: CUSTOMER_READERS },
      { name: 'customerSegments at A', query: `query($loc: ID) { customerSegments(locationId: $loc) { customerCount } }`, variables: atA, allowed: CUSTOMER_READERS },
      { name: 'customerSegments overall', query: `{ customerSegments { customerCount } }`, allowed: EVERY_LOCATION },
      { name: 'customerRfm at A', query: `query($loc: ID) { customerRfm(customerId: "cust-1", locationId: $loc) { segment } }`, variables: atA, allowed: CUSTOMER_READERS },
      { name: 'customerRfm overall', query: `{ customerRfm(customerId: "cust-1") { segment } }`, allowed: EVERY_LOCATION },
      { name: 'segmentCustomers at A', query: `query($loc: ID) { segmentCustomers(segment: CHAMPIONS, locationId: $loc) { totalCount } }`, variables: atA, allowed: CUSTOMER_READERS },
      { name: 'segmentCustomers overall', query: `{ segmentCustomers(segment: CHAMPIONS) { totalCount } }`, allowed: EVERY_LOCATION },
      { name: 'touchpoints', query: `{ touchpoints { totalCount } }`, allowed: EVERY_LOCATION },
      { name: 'Campaign.touchpoints', query: `query($id: ID!) { campaign(id: $id) { touchpoints { totalCount } } }`, variables: byId(() => fx.campaignA), allowed: EVERY_LOCATION },
      // Automation: automation:read; store tasks: any role at the task's location.
      { name: 'automationRules', query: `{ automationRules { totalCount } }`, allowed: AUTOMATION_READERS },
      { name: 'automationRule', query: `query($id: ID!) { automationRule(id: $id) { id firings { totalCount } } }`, variables: byId(() => fx.ruleA), allowed: AUTOMATION_READERS },
      { name: 'storeTasks', query: `{ storeTasks { totalCount } }`, allowed: EVERY_ROLE },
      { name: 'storeTasks at A', query: `query($loc: ID) { storeTasks(locationId: $loc) { totalCount } }`, variables: atA, allowed: EVERY_ROLE },
      // Webhooks and engagement sources: brand-wide.
      { name: 'webhookEndpoints', query: `{ webhookEndpoints { totalCount } }`, allowed: EVERY_LOCATION },
      { name: 'webhookEndpoint', query: `query($id: ID!) { webhookEndpoint(id: $id) { id } }`, variables: byId(() => fx.endpoint), allowed: EVERY_LOCATION },
      { name: 'webhookDelivery', query: `query($id: ID!) { webhookDelivery(id: $id) { id } }`, variables: byId(() => fx.delivery), allowed: EVERY_LOCATION },
      { name: 'engagementSources', query: `{ engagementSources { totalCount } }`, allowed: EVERY_LOCATION },
      { name: 'engagementSource', query: `query($id: ID!) { engagementSource(id: $id) { id } }`, variables: byId(() => fx.source), allowed: EVERY_LOCATION },
      { name: 'inboundWebhookRejections', query: `{ inboundWebhookRejections { totalCount } }`, allowed: EVERY_LOCATION },

      // Mutations: a refused one throws and changes nothing.
      {
        name: 'createCampaign at A',
        query: `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } userErrors { message } } }`,
        variables: async () => ({ input: { name: 'Spring at A', channel: 'EMAIL', startsAt: '2026-04-01T00:00:00Z', budget: '10.00', targetLocationIds: [A] } }),
        allowed: MARKETERS,
        state: () => prisma().campaign.count(),
      },
      {
        name: 'updateCampaign at A',
        query: `mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) { campaign { id } userErrors { message } } }`,
        variables: async () => ({ input: { id: fx.campaignMatrix, name: `Matrix ${randomUUID()}` } }),
        allowed: MARKETERS,
        state: () => prisma().campaign.findUnique({ where: { id: fx.campaignMatrix } }),
      },
      {
        name: 'recordCampaignSpend at A',
        query: `mutation($input: RecordCampaignSpendInput!) { recordCampaignSpend(input: $input) { spendEntry { id } userErrors { message } } }`,
        variables: async () => ({ input: { campaignId: fx.campaignMatrix, date: '2030-01-01', amount: '1.00', idempotencyKey: randomUUID() } }),
        allowed: MARKETERS,
        state: () => prisma().campaignSpendEntry.count(),
      },
      {
        name: 'createAutomationRule at A',
        query: `mutation($input: CreateAutomationRuleInput!) { createAutomationRule(input: $input) { automationRule { id } userErrors { message } } }`,
        variables: async () => ({ input: { name: 'Oak low at A', trigger: { kind: 'STOCK_AT_OR_BELOW', locationId: A, sku: SKU, threshold: '2' }, action: { kind: 'CREATE_TASK', taskTitle: 'Restock oak' } } }),
        allowed: MARKETERS,
        state: () => prisma().automationRule.count(),
      },
      {
        name: 'updateAutomationRule at A',
        query: `mutation($input: UpdateAutomationRuleInput!) { updateAutomationRule(input: $input) { automationRule { id } userErrors { message } } }`,
        variables: async () => ({ input: { id: await rule('To rename', A), name: 'Renamed' } }),
        allowed: MARKETERS,
        state: ({ input }) => prisma().automationRule.findUnique({ where: { id: (input as { id: string }).id } }),
      },
      {
        name: 'deleteAutomationRule at A',
        query: `mutation($input: DeleteAutomationRuleInput!) { deleteAutomationRule(input: $input) { deletedId userErrors { message } } }`,
        variables: async () => ({ input: { id: await rule('To delete', A) } }),
        allowed: MARKETERS,
        state: ({ input }) => prisma().automationRule.findUnique({ where: { id: (input as { id: string }).id } }),
      },
      {
        name: 'completeStoreTask at A',
        query: `mutation($input: CompleteStoreTaskInput!) { completeStoreTask(input: $input) { storeTask { status } userErrors { message } } }`,
        variables: async () => ({ input: { id: await task(A) } }),
        allowed: TASK_COMPLETERS,
        state: ({ input }) => prisma().storeTask.findUnique({ where: { id: (input as { id: string }).id } }),
      },
      {
        name: 'createWebhookEndpoint',
        query: `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } userErrors { message } } }`,
        variables: async () => ({ input: { name: 'CRM 2', provider: 'GENERIC', url: 'https://hooks.example.test/two' } }),
        allowed: EVERY_LOCATION,
        state: () => prisma().webhookEndpoint.count(),
      },
      {
        name: 'updateWebhookEndpoint',
        query: `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { endpoint { id } userErrors { message } } }`,
        variables: async () => ({ input: { id: fx.endpoint, name: `CRM ${randomUUID()}` } }),
        allowed: EVERY_LOCATION,
        state: () => prisma().webhookEndpoint.findUnique({ where: { id: fx.endpoint } }),
      },
      {
        name: 'rotateWebhookSecret',
        query: `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { signingSecret userErrors { message } } }`,
        variables: async () => ({ input: { id: fx.endpoint } }),
        allowed: EVERY_LOCATION,
        state: () => prisma().webhookEndpoint.findUnique({ where: { id: fx.endpoint } }),
      },
      {
        name: 'deleteWebhookEndpoint',
        query: `mutation($input: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { deletedId userErrors { message } } }`,
        variables: async () => ({ input: { id: await endpoint('To delete') } }),
        allowed: EVERY_LOCATION,
        state: ({ input }) => prisma().webhookEndpoint.findUnique({ where: { id: (input as { id: string }).id } }),
      },
      {
        name: 'createEngagementSource',
        query: `mutation($input: CreateEngagementSourceInput!) { createEngagementSource(input: $input) { source { id } userErrors { message } } }`,
        variables: async () => ({ input: { name: 'Ads platform', provider: 'HUBSPOT' } }),
        allowed: EVERY_LOCATION,
        state: () => prisma().engagementSource.count(),
      },
      {
        name: 'rotateEngagementSourceSecret',
        query: `mutation($input: RotateEngagementSourceSecretInput!) { rotateEngagementSourceSecret(input: $input) { signingSecret userErrors { message } } }`,
        variables: async () => ({ input: { id: fx.source, keepPreviousSecretMinutes: 60 } }),
        allowed: EVERY_LOCATION,
        state: () => prisma().engagementSource.findUnique({ where: { id: fx.source } }),
      },
      {
        name: 'refreshCustomerSegments',
        query: `mutation { refreshCustomerSegments { refresh { id } userErrors { message } } }`,
        allowed: EVERY_LOCATION,
        state: () => prisma().customerSegmentRefresh.count(),
      },
    ];

    describe.each(OPERATIONS)('$name', (operation) => {
      it.each(CALLERS)(`as %s`, async (name, caller) => {
        const variables = (await operation.variables?.()) ?? {};
        const before = await operation.state?.(variables);
        const result = await call(caller, operation.query, variables);
        if (operation.allowed.includes(name as CallerName)) {
          expectAllowed(result);
          // Allowed mutations go through: no userErrors either.
          for (const payload of Object.values(result.data ?? {})) {
            if (payload && typeof payload === 'object' && 'userErrors' in payload) expect((payload as { userErrors: unknown[] }).userErrors).toEqual([]);
          }
        } else {
          expectForbidden(result);
          if (operation.state) expect(await operation.state(variables)).toEqual(before);
        }
      });
    });
  });

  describe('campaigns in scope', () => {
    const CREATE = `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } userErrors { message } } }`;
    const UPDATE = `mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) { campaign { id name } userErrors { message } } }`;
    const SPEND = `mutation($input: RecordCampaignSpendInput!) { recordCampaignSpend(input: $input) { spendEntry { id } userErrors { message } } }`;
    const input = (targetLocationIds?: string[]) => ({ input: { name: 'Scoped', channel: 'SOCIAL', startsAt: '2026-05-01T00:00:00Z', budget: '5.00', ...(targetLocationIds ? { targetLocationIds } : {}) } });

    it('a marketer of A cannot create a campaign at B, at A and B, or for every location; nothing is created', async () => {
      const before = await prisma().campaign.count();
      expectForbidden(await call(MARKETER_A, CREATE, input([B])), `target location ${B} is outside your locations`);
      expectForbidden(await call(MARKETER_A, CREATE, input([A, B])), `target location ${B} is outside your locations`);
      expectForbidden(await call(MARKETER_A, CREATE, input()), 'targets every location (no targetLocationIds)');
      expectForbidden(await call(MARKETER_A, CREATE, input([])), 'needs access to every location');
      expect(await prisma().campaign.count()).toBe(before);
      // …while at A it may, and an admin may for every location.
      expect((await data(MARKETER_A, CREATE, input([A]))).createCampaign.userErrors).toEqual([]);
      expect((await data(ADMIN, CREATE, input())).createCampaign.userErrors).toEqual([]);
    });

    it('a marketer of A cannot see a campaign of B only, and sees only A among a campaign\'s targets', async () => {
      expectForbidden(await call(MARKETER_A, `query($id: ID!) { campaign(id: $id) { id } }`, { id: fx.campaignB }), `Campaign ${fx.campaignB} targets only locations outside your locations`);
      const list = await data(MARKETER_A, `{ campaigns(first: 200) { totalCount nodes { id } } }`);
      const ids = list.campaigns.nodes.map((node: { id: string }) => node.id);
      expect(ids).toEqual(expect.arrayContaining([fx.campaignA, fx.campaignAB, fx.campaignAll]));
      expect(ids).not.toContain(fx.campaignB);
      expect(list.campaigns.totalCount).toBe(ids.length);
      const all = await data(ADMIN, `{ campaigns(first: 200) { totalCount } }`);
      expect(all.campaigns.totalCount).toBe(list.campaigns.totalCount + (await prisma().campaign.count({ where: { targetLocationIds: { equals: [B] } } })));
      const ab = await data(MANAGER_A, `query($id: ID!) { campaign(id: $id) { targetLocations { id } } }`, { id: fx.campaignAB });
      expect(ab.campaign.targetLocations).toEqual([{ id: A }]);
      const abAdmin = await data(ADMIN, `query($id: ID!) { campaign(id: $id) { targetLocations { id } } }`, { id: fx.campaignAB });
      expect(abAdmin.campaign.targetLocations).toEqual([{ id: A }, { id: B }]);
    });

    it('a marketer of A changes only campaigns wholly at A, and cannot move one to B', async () => {
      const name = async (id: string) => (await prisma().campaign.findUnique({ where: { id } }))!.name;
      for (const id of [fx.campaignB, fx.campaignAB, fx.campaignAll]) {
        const before = await name(id);
        expectForbidden(await call(MARKETER_A, UPDATE, { input: { id, name: 'Taken over' } }));
        expect(await name(id)).toBe(before);
      }
      expectForbidden(await call(MARKETER_A, UPDATE, { input: { id: fx.campaignMatrix, targetLocationIds: [A, B] } }), `target location ${B} is outside your locations`);
      expectForbidden(await call(MARKETER_A, UPDATE, { input: { id: fx.campaignMatrix, targetLocationIds: [] } }), 'needs access to every location');
      expect((await prisma().campaign.findUnique({ where: { id: fx.campaignMatrix } }))!.targetLocationIds).toEqual([A]);
    });

    it('a marketer of A records spend only for campaigns wholly at A', async () => {
      const before = await prisma().campaignSpendEntry.count();
      for (const campaignId of [fx.campaignAB, fx.campaignAll, fx.campaignB]) {
        expectForbidden(await call(MARKETER_A, SPEND, { input: { campaignId, date: '2031-01-01', amount: '9.99', idempotencyKey: randomUUID() } }));
      }
      expect(await prisma().campaignSpendEntry.count()).toBe(before);
    });

    it('_entities refuses a forged reference to a campaign of B only, and resolves one at A', async () => {
      const ENTITIES = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Campaign { id name } } }`;
      const forged = await call(MARKETER_A, ENTITIES, { representations: [{ __typename: 'Campaign', id: fx.campaignB }] });
      expectForbidden(forged, fx.campaignB);
      expect(forged.data?._entities).toEqual([null]);
      const own = await data(MARKETER_A, ENTITIES, { representations: [{ __typename: 'Campaign', id: fx.campaignA }] });
      expect(own._entities).toEqual([{ id: fx.campaignA, name: 'Oslo only' }]);
      // An associate reads no campaign at all, even by reference.
      expectForbidden(await call(ASSOCIATE_A, ENTITIES, { representations: [{ __typename: 'Campaign', id: fx.campaignA }] }), 'needs campaigns:read');
    });
  });

  describe('attribution over the caller\'s locations', () => {
    // Orders (2026-03-10 12:00Z, UTC days): at A cust-1 120.00 under AB (1 sofa; cust-1 clicked campaign A two days
    // before), cust-3 40.00 under A (1 lamp), cust-4 10.00 with no code (but campaign B's click the day before),
    // cust-6 5.00 direct; at B cust-2 80.00 under AB (2 tables), cust-5 25.00 under B.
    // LAST_TOUCH: the order's own campaign is the last touch, else the last click: cust-4's 10.00 is B's, at A.
    // LINEAR: cust-1's order splits 60.00 / 60.00 between A and AB. Spend: A 100.00, AB 50.00, everywhere 30.00.
    const PERFORMANCE = `query($id: ID!, $model: AttributionModel, $lookbackDays: Int, $from: DateTime, $to: DateTime) { campaign(id: $id) { performance(model: $model, lookbackDays: $lookbackDays, from: $from, to: $to) {
      orderCount unitsSold revenue conversions spend roas roi source
      byLocation { location { id } orderCount revenue } byDay { start orderCount revenue } byCategory { category orderCount revenue } } } }`;
    const performance = async (caller: TestCaller, id: string, args: Record<string, unknown> = {}) => (await data(caller, PERFORMANCE, { id, ...args })).campaign.performance;
    const LIVE = { lookbackDays: 29, from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };

    it.each([['ROLLUP', {}], ['LIVE', LIVE]] as const)('Campaign.performance of the A+B campaign counts A\'s orders alone for a marketer of A (%s)', async (source, args) => {
      expect(await performance(MARKETER_A, fx.campaignAB, args)).toEqual({
        orderCount: 1, unitsSold: 1, revenue: '120.00', conversions: 1, source,
        // AB also runs at B: its spend is not A's to see (null, not 0), so no ROAS either.
        spend: null, roas: null, roi: null,
        byLocation: [{ location: { id: A }, orderCount: 1, revenue: '120.00' }],
        byDay: [{ start: '2026-03-10', orderCount: 1, revenue: '120.00' }],
        byCategory: [{ category: 'sofas', orderCount: 1, revenue: '120.00' }],
      });
      expect(await performance(ADMIN, fx.campaignAB, args)).toEqual({
        orderCount: 2, unitsSold: 3, revenue: '200.00', conversions: 2, source, spend: '50.00', roas: 4, roi: 3,
        byLocation: [{ location: { id: A }, orderCount: 1, revenue: '120.00' }, { location: { id: B }, orderCount: 1, revenue: '80.00' }],
        byDay: [{ start: '2026-03-10', orderCount: 2, revenue: '200.00' }],
        byCategory: [{ category: 'sofas', orderCount: 1, revenue: '120.00' }, { category: 'tables', orderCount: 1, revenue: '80.00' }],
      });
      const linear = await performance(MARKETER_A, fx.campaignAB, { ...args, model: 'LINEAR' });
      expect([linear.revenue, linear.conversions]).toEqual(['60.00', 0.5]);
      const linearAdmin = await performance(ADMIN, fx.campaignAB, { ...args, model: 'LINEAR' });
      expect([linearAdmin.revenue, linearAdmin.conversions]).toEqual(['140.00', 1.5]);
    });

    it('shows spend, ROAS and ROI of a campaign wholly at A to a manager of A', async () => {
      expect(await performance(MANAGER_A, fx.campaignA, { model: 'LINEAR' })).toMatchObject({ orderCount: 2, revenue: '100.00', conversions: 1.5, spend: '100.00', roas: 1, roi: 0 });
      expect(await performance(MANAGER_A, fx.campaignA)).toMatchObject({ orderCount: 1, revenue: '40.00', spend: '100.00', roas: 0.4, roi: -0.6 });
    });

    const COMPARISON = `query($sortBy: CampaignSortField) { campaignComparison(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z", sortBy: $sortBy) {
      totalCount rows { campaign { id } orderCount revenue spend roas roi } totals { revenue attributedRevenue unattributedRevenue conversions spend roas roi } } }`;

    it('campaignComparison for a marketer of A: A\'s orders, campaigns they see, spend of campaigns wholly at A', async () => {
      const scoped = (await data(MARKETER_A, COMPARISON)).campaignComparison;
      // Campaign B earned 10.00 at A but is not theirs to see: no row, while A's attributed revenue counts it.
      expect(scoped.rows).toEqual([
        { campaign: { id: fx.campaignAB }, orderCount: 1, revenue: '120.00', spend: null, roas: null, roi: null },
        { campaign: { id: fx.campaignA }, orderCount: 1, revenue: '40.00', spend: '100.00', roas: 0.4, roi: -0.6 },
      ]);
      expect(scoped.totalCount).toBe(2);
      expect(scoped.totals).toEqual({ revenue: '175.00', attributedRevenue: '170.00', unattributedRevenue: '5.00', conversions: 3, spend: null, roas: null, roi: null });
      // Sorted by the spend they are shown, not the spend hidden from them.
      const bySpend = (await data(MARKETER_A, COMPARISON, { sortBy: 'SPEND' })).campaignComparison.rows.map((row: { campaign: { id: string } }) => row.campaign.id);
      expect(bySpend).toEqual([fx.campaignA, fx.campaignAB]);
    });

    it('campaignComparison for an admin: every location, every campaign, all spend', async () => {
      const all = (await data(ADMIN, COMPARISON)).campaignComparison;
      expect(all.rows).toEqual([
        { campaign: { id: fx.campaignAB }, orderCount: 2, revenue: '200.00', spend: '50.00', roas: 4, roi: 3 },
        { campaign: { id: fx.campaignA }, orderCount: 1, revenue: '40.00', spend: '100.00', roas: 0.4, roi: -0.6 },
        { campaign: { id: fx.campaignB }, orderCount: 2, revenue: '35.00', spend: '0.00', roas: null, roi: null },
        { campaign: { id: fx.campaignAll }, orderCount: 0, revenue: '0.00', spend: '30.00', roas: 0, roi: -1 },
      ]);
      expect(all.totals).toMatchObject({ revenue: '280.00', attributedRevenue: '275.00', unattributedRevenue: '5.00', conversions: 5, spend: '180.00' });
      expect(all.totals.roas).toBeCloseTo(275 / 180, 12);
      expect(all.totals.roi).toBeCloseTo(95 / 180, 12);
    });
  });

  describe('customers and segments in scope', () => {
    it('a scoped analyst reads the segmentation of A, not of B, and is told to pass a locationId for the overall one', async () => {
      const a = await data(ANALYST_A, `query($loc: ID) { customerSegments(locationId: $loc) { customerCount location { id } } }`, { loc: A });
      expect(a.customerSegments).toEqual({ customerCount: 4, location: { id: A } });
      expectForbidden(await call(ANALYST_A, `query($loc: ID) { customerSegments(locationId: $loc) { customerCount } }`, { loc: B }), `Location ${B} is outside your locations`);
      expectForbidden(await call(ANALYST_A, `{ customerSegments { customerCount } }`), 'pass a locationId');
      expect((await data({ role: 'analyst' }, `{ customerSegments { customerCount } }`)).customerSegments.customerCount).toBe(6);
    });

    it('a campaign\'s audience is read at the caller\'s share of its targets; a brand-wide campaign\'s needs every location', async () => {
      const AUDIENCE = `query($id: ID!) { campaign(id: $id) { audience { totalCount nodes { customerId matches { location { id } } } } } }`;
      const scoped = (await data(MARKETER_A, AUDIENCE, { id: fx.campaignAB })).campaign.audience;
      expect(scoped.nodes.map((node: { customerId: string }) => node.customerId)).toEqual(['cust-1', 'cust-3', 'cust-4', 'cust-6']);
      expect(scoped.totalCount).toBe(4);
      expect(scoped.nodes.flatMap((node: { matches: { location: { id: string } }[] }) => node.matches.map((match) => match.location.id))).toEqual([A, A, A, A]);
      expect((await data(ADMIN, AUDIENCE, { id: fx.campaignAB })).campaign.audience.totalCount).toBe(6);
      expectForbidden(await call(MARKETER_A, AUDIENCE, { id: fx.campaignAll }), 'its audience is every location\'s customers');
    });

    it('refreshing the segments needs automation:manage over every location (it fires rules)', async () => {
      const before = await prisma().customerSegmentRefresh.count();
      expectForbidden(await call(MARKETER_A, `mutation { refreshCustomerSegments { refresh { id } } }`), 'refreshCustomerSegments scores every location\'s customers');
      expectForbidden(await call({ role: 'manager' }, `mutation { refreshCustomerSegments { refresh { id } } }`), 'needs automation:manage');
      // Regression: analysts change nothing, and a refresh fires rules.
      expectForbidden(await call({ role: 'analyst' }, `mutation { refreshCustomerSegments { refresh { id } } }`), 'needs automation:manage');
      expect(await prisma().customerSegmentRefresh.count()).toBe(before);
      expect((await data({ role: 'marketer' }, `mutation { refreshCustomerSegments { refresh { id } userErrors { message } } }`)).refreshCustomerSegments.userErrors).toEqual([]);
    });
  });

  describe('automation rules and store tasks in scope', () => {
    const CREATE = `mutation($input: CreateAutomationRuleInput!) { createAutomationRule(input: $input) { automationRule { id } userErrors { message } } }`;
    const lowOak = { kind: 'STOCK_AT_OR_BELOW', locationId: A, sku: SKU, threshold: '2' };

    it('a marketer of A lists and reads only rules at A', async () => {
      const ids = (await data(MARKETER_A, `{ automationRules(first: 200) { nodes { id } } }`)).automationRules.nodes.map((node: { id: string }) => node.id);
      expect(ids).toContain(fx.ruleA);
      expect(ids).not.toContain(fx.ruleB);
      expect(ids).not.toContain(fx.ruleAll);
      expectForbidden(await call(MARKETER_A, `query($id: ID!) { automationRule(id: $id) { id } }`, { id: fx.ruleB }), `Automation rule ${fx.ruleB} acts at locations outside your locations`);
      expectForbidden(await call(ANALYST_A, `query($id: ID!) { automationRule(id: $id) { id } }`, { id: fx.ruleAll }), 'fires on every location\'s events');
    });

    it('a marketer of A cannot write a rule acting beyond A; nothing is created', async () => {
      const before = await prisma().automationRule.count();
      const refused: [Record<string, unknown>, Record<string, unknown>, string][] = [
        [{ ...lowOak, locationId: B }, { kind: 'CREATE_TASK', taskTitle: 'Restock' }, `Trigger location ${B} is outside your locations`],
        [{ kind: 'SALES_MILESTONE', metric: 'REVENUE', period: 'DAY', threshold: '100' }, { kind: 'CREATE_TASK', taskTitle: 'Cake', locationId: A }, 'fires on every location\'s events'],
        [lowOak, { kind: 'CREATE_TASK', taskTitle: 'Restock', locationId: B }, `Task location ${B} is outside your locations`],
        [lowOak, { kind: 'SEND_WEBHOOK', webhookEndpointId: fx.endpoint }, 'webhook endpoint, which receives brand-wide data'],
        [lowOak, { kind: 'PAUSE_CAMPAIGN', campaignId: fx.campaignAll }, `Campaign ${fx.campaignAll} also runs outside your locations`],
        [lowOak, { kind: 'PAUSE_CAMPAIGN', campaignId: fx.campaignAB }, `Campaign ${fx.campaignAB} also runs outside your locations`],
        [lowOak, { kind: 'START_CAMPAIGN', campaignId: fx.campaignB }, `Campaign ${fx.campaignB} targets only locations outside your locations`],
      ];
      for (const [trigger, action, message] of refused) expectForbidden(await call(MARKETER_A, CREATE, { input: { name: 'Beyond A', trigger, action } }), message);
      expect(await prisma().automationRule.count()).toBe(before);
      const own = await data(MARKETER_A, CREATE, { input: { name: 'Pause A when oak runs low', trigger: lowOak, action: { kind: 'PAUSE_CAMPAIGN', campaignId: fx.campaignA } } });
      expect(own.createAutomationRule.userErrors).toEqual([]);
    });

    it('a marketer of A cannot move a rule of A to B, nor change or delete a rule beyond A', async () => {
      const UPDATE = `mutation($input: UpdateAutomationRuleInput!) { updateAutomationRule(input: $input) { automationRule { id } userErrors { message } } }`;
      const DELETE = `mutation($input: DeleteAutomationRuleInput!) { deleteAutomationRule(input: $input) { deletedId userErrors { message } } }`;
      const row = (id: string) => prisma().automationRule.findUnique({ where: { id } });
      const [ruleA, ruleB, ruleAll] = await Promise.all([row(fx.ruleA), row(fx.ruleB), row(fx.ruleAll)]);
      expectForbidden(await call(MARKETER_A, UPDATE, { input: { id: fx.ruleA, trigger: { ...lowOak, locationId: B } } }), `Trigger location ${B}`);
      expectForbidden(await call(MARKETER_A, UPDATE, { input: { id: fx.ruleB, name: 'Mine now' } }));
      expectForbidden(await call(MARKETER_A, UPDATE, { input: { id: fx.ruleAll, name: 'Mine now' } }));
      expectForbidden(await call(MARKETER_A, DELETE, { input: { id: fx.ruleB } }));
      expectForbidden(await call(MARKETER_A, DELETE, { input: { id: fx.ruleAll } }));
      expect(await Promise.all([row(fx.ruleA), row(fx.ruleB), row(fx.ruleAll)])).toEqual([ruleA, ruleB, ruleAll]);
    });

    it('store tasks: an associate of A sees A\'s tasks only and completes none at B; the rule behind a task is automation data', async () => {
      const ids = (await data(ASSOCIATE_A, `{ storeTasks(first: 200) { totalCount nodes { id location { id } } } }`)).storeTasks.nodes;
      expect(ids.map((node: { id: string }) => node.id)).toContain(fx.taskA);
      expect(ids.every((node: { location: { id: string } }) => node.location.id === A)).toBe(true);
      expectForbidden(await call(ASSOCIATE_A, `query($loc: ID) { storeTasks(locationId: $loc) { totalCount } }`, { loc: B }), `Location ${B} is outside your locations`);
      expectForbidden(await call(MANAGER_A, `mutation($id: ID!) { completeStoreTask(input: { id: $id }) { storeTask { id } } }`, { id: fx.taskB }), `Store task ${fx.taskB}'s location ${B} is outside your locations`);
      expect((await prisma().storeTask.findUnique({ where: { id: fx.taskB } }))!.status).toBe('OPEN');
      const withRule = await call(ASSOCIATE_A, `query($loc: ID) { storeTasks(locationId: $loc, first: 200) { nodes { id rule { id } } } }`, { loc: A });
      expectForbidden(withRule, 'needs automation:read');
      // A marketer of A reads rules, but not one firing on every location's events.
      expectForbidden(await call(MARKETER_A, `query($loc: ID) { storeTasks(locationId: $loc, first: 200) { nodes { id rule { id } } } }`, { loc: A }), `Automation rule ${fx.ruleAll} fires on every location's events`);
      const admin = await data(ADMIN, `query($loc: ID) { storeTasks(locationId: $loc, first: 200) { nodes { id rule { id } } } }`, { loc: A });
      expect(admin.storeTasks.nodes).toContainEqual({ id: fx.taskA, rule: { id: fx.ruleAll } });
    });
  });
});
