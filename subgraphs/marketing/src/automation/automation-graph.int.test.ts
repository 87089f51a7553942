/**
 * Automation rules through the marketing subgraph's GraphQL API: what a marketer sends, the
 * userErrors a bad rule gets, and how firings and store tasks read back.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubgraphUnavailableError, uuidv7, type Database, type EventEnvelope, type InventoryDirectory } from '@joinery/core';
import { authHeaders, backends } from '@joinery/core/testing';
import { buildMarketingSubgraph, openMarketingDatabase, type MarketingSubgraph } from '../server';
import { AutomationEngine } from './automation-engine';

const OSLO = randomUUID();
const BERGEN = randomUUID();
let inventoryDown = false;

const inventory: InventoryDirectory = {
  async lookup({ locationIds = [], skus = [] }) {
    if (inventoryDown) throw new SubgraphUnavailableError('inventory', new Error('connect ECONNREFUSED'));
    return { missingLocations: locationIds.filter((id) => id !== OSLO && id !== BERGEN), prices: new Map(skus.filter((sku) => sku !== 'NO-SUCH-SKU').map((sku) => [sku, '10.00'])) };
  },
};

const RULE = `id name enabled createdBy createdAt updatedAt deletedAt
  trigger { kind location { id } product { sku } threshold metric period minOrders minLifetimeSpend segmentName }
  action { kind webhookEndpointId taskTitle location { id } campaign { id status } }`;
const CREATE = `mutation($input: CreateAutomationRuleInput!) { createAutomationRule(input: $input) { automationRule { ${RULE} } userErrors { field message code } } }`;
const UPDATE = `mutation($input: UpdateAutomationRuleInput!) { updateAutomationRule(input: $input) { automationRule { ${RULE} } userErrors { field message code } } }`;

describe.each(backends())('automation rules through the marketing subgraph on $name', (backend) => {
  let subgraph: MarketingSubgraph;
  let database: Database;
  let url: string;
  const engine = new AutomationEngine({ enqueueWebhook: async () => ({ deliveryId: uuidv7() }) });

  async function gql(query: string, variables: Record<string, unknown> = {}, actor = 'maria@joinery.test') {
    // An admin named `actor`: the router's signed identity carries who is recorded as createdBy and completedBy.
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders({ role: 'admin', subject: actor })) }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: any; errors?: any[] };
    return body;
  }
  async function ok(query: string, variables: Record<string, unknown> = {}, actor?: string) {
    const body = await gql(query, variables, actor);
    expect(body.errors).toBeUndefined();
    return body.data;
  }
  const create = async (input: Record<string, unknown>) => (await ok(CREATE, { input })).createAutomationRule;
  const ruleCount = async () => (await ok(`{ automationRules { totalCount } }`)).automationRules.totalCount as number;

  function stockChanged(locationId: string, sku: string, before: number, after: number): EventEnvelope {
    const now = new Date().toISOString();
    return { id: uuidv7(), type: 'inventory.stock_changed', version: 1, aggregate: `${locationId}:${sku}`, occurredAt: now, recordedAt: now, payload: { locationId, sku, delta: after - before, available: after, onHand: after } };
  }
  const handle = (event: EventEnvelope) => subgraph.prisma.$transaction((tx) => engine.handle(tx, event));

  beforeAll(async () => {
    database = await openMarketingDatabase(backend.targets().marketing);
    subgraph = await buildMarketingSubgraph({ database, inventory });
    url = await subgraph.listen(0);
  });
  afterAll(async () => {
    await subgraph?.stop();
    await backend.cleanup();
  });

  const newEndpoint = async () => (await ok(`mutation { createWebhookEndpoint(input: { name: "CRM", provider: GENERIC, url: "https://crm.example/hooks" }) { endpoint { id } } }`)).createWebhookEndpoint.endpoint.id as string;

  it('creates a low-stock webhook rule as docs/automation.md shows, recording who created it', async () => {
    const endpoint = await newEndpoint();
    const created = await create({
      name: 'Oak table running low in Oslo',
      trigger: { kind: 'STOCK_AT_OR_BELOW', locationId: OSLO, sku: 'OAK-TBL-180', threshold: '3' },
      action: { kind: 'SEND_WEBHOOK', webhookEndpointId: endpoint },
    });
    expect(created.userErrors).toEqual([]);
    expect(created.automationRule).toEqual({
      id: expect.any(String), name: 'Oak table running low in Oslo', enabled: true, createdBy: 'maria@joinery.test',
      createdAt: expect.any(String), updatedAt: expect.any(String), deletedAt: null,
      trigger: { kind: 'STOCK_AT_OR_BELOW', location: { id: OSLO }, product: { sku: 'OAK-TBL-180' }, threshold: '3.00', metric: null, period: null, minOrders: null, minLifetimeSpend: null, segmentName: null },
      action: { kind: 'SEND_WEBHOOK', webhookEndpointId: endpoint, taskTitle: null, location: null, campaign: null },
    });
    expect((await ok(`query($id: ID!) { automationRule(id: $id) { ${RULE} } }`, { id: created.automationRule.id })).automationRule).toEqual(created.automationRule);
  });

  it('returns userErrors naming each field and the missing ids, and creates nothing', async () => {
    const before = await ruleCount();
    const missing = randomUUID();
    const refused = await create({
      name: ' ',
      trigger: { kind: 'SALES_MILESTONE', locationId: missing, sku: 'NO-SUCH-SKU', metric: 'UNITS', threshold: '0' },
      action: { kind: 'START_CAMPAIGN', campaignId: randomUUID() },
    });
    expect(refused.automationRule).toBeNull();
    expect(refused.userErrors).toEqual([
      { field: ['input', 'name'], code: 'BAD_USER_INPUT', message: 'name must not be empty' },
      { field: ['input', 'trigger', 'period'], code: 'BAD_USER_INPUT', message: expect.stringContaining('needs a period') },
      { field: ['input', 'trigger', 'threshold'], code: 'BAD_USER_INPUT', message: 'threshold must be greater than 0; got 0' },
    ]);

    const campaignId = randomUUID();
    const unknown = await create({
      name: 'Ghosts',
      trigger: { kind: 'BACK_IN_STOCK', locationId: missing, sku: 'NO-SUCH-SKU' },
      action: { kind: 'START_CAMPAIGN', campaignId },
    });
    expect(unknown.userErrors).toEqual(expect.arrayContaining([
      { field: ['input', 'trigger', 'locationId'], code: 'NOT_FOUND', message: `No location with id ${missing}` },
      { field: ['input', 'trigger', 'sku'], code: 'NOT_FOUND', message: 'No product with sku NO-SUCH-SKU' },
      { field: ['input', 'action', 'campaignId'], code: 'NOT_FOUND', message: `No campaign with id ${campaignId}` },
    ]));
    expect(unknown.userErrors).toHaveLength(3);
    expect(await ruleCount()).toBe(before);
  });

  it('answers NOT_FOUND naming a webhook endpoint that does not exist or was deleted, on create and update, and changes nothing', async () => {
    const before = await ruleCount();
    const unknown = randomUUID();
    const trigger = { kind: 'STOCK_AT_OR_BELOW', sku: 'OAK-TBL-180', threshold: '3' };
    const refused = await create({ name: 'To nowhere', trigger, action: { kind: 'SEND_WEBHOOK', webhookEndpointId: unknown } });
    expect(refused).toMatchObject({ automationRule: null, userErrors: [{ field: ['input', 'action', 'webhookEndpointId'], code: 'NOT_FOUND', message: `No webhook endpoint with id ${unknown}` }] });
    expect(await ruleCount()).toBe(before);

    const endpoint = await newEndpoint();
    const created = await create({ name: 'To the CRM', trigger, action: { kind: 'SEND_WEBHOOK', webhookEndpointId: endpoint } });
    expect(created.userErrors).toEqual([]);
    const deleted = await newEndpoint();
    await ok(`mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedId } }`, { id: deleted });
    const moved = (await ok(`mutation($input: UpdateAutomationRuleInput!) { updateAutomationRule(input: $input) { automationRule { id } userErrors { field code message } } }`,
      { input: { id: created.automationRule.id, action: { kind: 'SEND_WEBHOOK', webhookEndpointId: deleted } } })).updateAutomationRule;
    expect(moved).toEqual({ automationRule: null, userErrors: [{ field: ['input', 'action', 'webhookEndpointId'], code: 'NOT_FOUND', message: `No webhook endpoint with id ${deleted}` }] });
    expect((await ok(`query($id: ID!) { automationRule(id: $id) { action { webhookEndpointId } } }`, { id: created.automationRule.id })).automationRule.action.webhookEndpointId).toBe(endpoint);
  });

  it('answers UNAVAILABLE and creates nothing when inventory cannot be asked about a location', async () => {
    const before = await ruleCount();
    inventoryDown = true;
    try {
      const result = await gql(CREATE, { input: { name: 'Oslo back in stock', trigger: { kind: 'BACK_IN_STOCK', locationId: OSLO }, action: { kind: 'SEND_WEBHOOK', webhookEndpointId: randomUUID() } } });
      expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'UNAVAILABLE' } });
    } finally {
      inventoryDown = false;
    }
    expect(await ruleCount()).toBe(before);
  });

  it('returns the first rule when createAutomationRule is retried with its idempotencyKey, and CONFLICT for another request', async () => {
    const before = await ruleCount();
    const input = { name: 'VIP welcome', trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', minLifetimeSpend: '5000', segmentName: 'VIP' }, action: { kind: 'CREATE_TASK', taskTitle: 'Call the new VIP', locationId: OSLO }, idempotencyKey: 'vip-rule' };
    const first = await create(input);
    expect(first.userErrors).toEqual([]);
    expect(await create(input)).toEqual(first);
    expect(await ruleCount()).toBe(before + 1);
    expect(await create({ ...input, name: 'VIP hello' })).toEqual({ automationRule: null, userErrors: [{ field: ['input', 'idempotencyKey'], code: 'CONFLICT', message: expect.stringContaining('vip-rule') }] });
  });

  it('updates a rule: renames, disables, replaces the action; refuses a trigger that leaves its task without a location', async () => {
    const { automationRule: rule } = await create({ name: 'Bergen restock', trigger: { kind: 'BACK_IN_STOCK', locationId: BERGEN }, action: { kind: 'CREATE_TASK', taskTitle: 'Refill the shelf' } });
    const campaign = (await ok(`mutation { createCampaign(input: { name: "Back in stock", channel: EMAIL, startsAt: "2026-01-01T00:00:00Z", budget: "10" }) { campaign { id } } }`)).createCampaign.campaign;

    const updated = (await ok(UPDATE, { input: { id: rule.id, name: 'Bergen restock mail', enabled: false, action: { kind: 'START_CAMPAIGN', campaignId: campaign.id } } })).updateAutomationRule;
    expect(updated.userErrors).toEqual([]);
    expect(updated.automationRule).toMatchObject({ name: 'Bergen restock mail', enabled: false, trigger: rule.trigger, action: { kind: 'START_CAMPAIGN', taskTitle: null, campaign: { id: campaign.id, status: 'DRAFT' } } });
    expect((await ok(`{ automationRules(enabled: false) { nodes { id } } }`)).automationRules.nodes).toEqual([{ id: rule.id }]);

    const { automationRule: taskRule } = await create({ name: 'Bergen shelf', trigger: { kind: 'BACK_IN_STOCK', locationId: BERGEN }, action: { kind: 'CREATE_TASK', taskTitle: 'Refill the shelf' } });
    const refused = (await ok(UPDATE, { input: { id: taskRule.id, trigger: { kind: 'BACK_IN_STOCK', sku: 'OAK-TBL-180' } } })).updateAutomationRule;
    expect(refused).toEqual({ automationRule: null, userErrors: [{ field: ['input', 'trigger', 'locationId'], code: 'BAD_USER_INPUT', message: expect.stringContaining(taskRule.id) }] });
    expect((await ok(UPDATE, { input: { id: randomUUID(), name: 'x' } })).updateAutomationRule.userErrors).toEqual([{ field: ['input', 'id'], code: 'NOT_FOUND', message: expect.any(String) }]);
  });

  it('shows firings and the tasks they created; completes a task once, as the actor who did it', async () => {
    const { automationRule: rule } = await create({ name: 'Sofa back in Oslo', trigger: { kind: 'BACK_IN_STOCK', locationId: OSLO, sku: 'FJORD-SOFA-3' }, action: { kind: 'CREATE_TASK', taskTitle: 'Put the sofa on display' } });
    const event = stockChanged(OSLO, 'FJORD-SOFA-3', 0, 2);
    await handle(event);

    const firings = (await ok(`query($id: ID!) { automationRule(id: $id) { firings { totalCount nodes { id eventId eventType detail webhookDeliveryId rule { id } task { id title status location { id } rule { id } } } } } }`, { id: rule.id })).automationRule.firings;
    expect(firings.totalCount).toBe(1);
    const [firing] = firings.nodes;
    expect(firing).toMatchObject({ eventId: event.id, eventType: 'inventory.stock_changed', webhookDeliveryId: null, rule: { id: rule.id }, task: { title: 'Put the sofa on display', status: 'OPEN', location: { id: OSLO }, rule: { id: rule.id } } });
    expect(JSON.parse(firing.detail)).toEqual({
      trigger: { kind: 'BACK_IN_STOCK', locationId: OSLO, sku: 'FJORD-SOFA-3', availableBefore: 0, available: 2 },
      action: { kind: 'CREATE_TASK', taskId: firing.task.id, locationId: OSLO },
    });

    const TASKS = `query($locationId: ID, $statuses: [StoreTaskStatus!]) { storeTasks(locationId: $locationId, statuses: $statuses) { totalCount nodes { id } } }`;
    expect((await ok(TASKS, { locationId: OSLO, statuses: ['OPEN'] })).storeTasks.nodes).toContainEqual({ id: firing.task.id });
    expect((await ok(TASKS, { locationId: BERGEN })).storeTasks.nodes).not.toContainEqual({ id: firing.task.id });

    const COMPLETE = `mutation($id: ID!) { completeStoreTask(input: { id: $id }) { storeTask { id status completedAt completedBy } userErrors { code } } }`;
    const done = (await ok(COMPLETE, { id: firing.task.id }, 'lars@oslo-store')).completeStoreTask;
    expect(done).toEqual({ storeTask: { id: firing.task.id, status: 'DONE', completedAt: expect.any(String), completedBy: 'lars@oslo-store' }, userErrors: [] });
    expect((await ok(COMPLETE, { id: firing.task.id }, 'someone-else')).completeStoreTask).toEqual(done);
    expect((await ok(TASKS, { locationId: OSLO, statuses: ['OPEN'] })).storeTasks.nodes).not.toContainEqual({ id: firing.task.id });
    expect((await ok(COMPLETE, { id: randomUUID() })).completeStoreTask).toEqual({ storeTask: null, userErrors: [{ code: 'NOT_FOUND' }] });

    // Deleting the rule keeps its history: the task still names it, and it is marked deleted.
    expect((await ok(`mutation($id: ID!) { deleteAutomationRule(input: { id: $id }) { deletedId userErrors { code } } }`, { id: rule.id })).deleteAutomationRule).toEqual({ deletedId: rule.id, userErrors: [] });
    expect((await ok(`query($id: ID!) { automationRule(id: $id) { id } }`, { id: rule.id })).automationRule).toBeNull();
    const task = (await ok(`query { storeTasks(first: 250) { nodes { id rule { id deletedAt } } } }`)).storeTasks.nodes.find((node: any) => node.id === firing.task.id);
    expect(task.rule).toEqual({ id: rule.id, deletedAt: expect.any(String) });
    expect((await ok(`mutation($id: ID!) { deleteAutomationRule(input: { id: $id }) { deletedId userErrors { code } } }`, { id: rule.id })).deleteAutomationRule).toEqual({ deletedId: null, userErrors: [{ code: 'NOT_FOUND' }] });
  });

  it('answers firings for many rules with one query for the pages and one for the counts', async () => {
    const rules: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      const sku = `BATCH-FIRINGS-${index}`;
      rules.push((await create({ name: `Low ${sku}`, trigger: { kind: 'STOCK_AT_OR_BELOW', locationId: OSLO, sku, threshold: '3' }, action: { kind: 'CREATE_TASK', taskTitle: 'Reorder' } })).automationRule.id);
      for (let crossing = 0; crossing <= index; crossing += 1) await handle(stockChanged(OSLO, sku, 5, 2));
    }
    const FIRINGS = `query($first: Int!) { automationRules(first: $first) { nodes { id firings(first: 2) { totalCount nodes { id eventType } pageInfo { hasNextPage endCursor } } } } }`;
    const run = async (first: number) => {
      database.statements.reset();
      const data = await ok(FIRINGS, { first });
      return { nodes: data.automationRules.nodes as any[], statements: database.statements.count };
    };
    const two = await run(2);
    const four = await run(4);
    expect(four.statements).toBe(two.statements);
    expect(four.nodes.map((node) => node.id)).toEqual([...rules].reverse());
    expect(four.nodes.map((node) => [node.firings.totalCount, node.firings.nodes.length, node.firings.pageInfo.hasNextPage])).toEqual([[4, 2, true], [3, 2, true], [2, 2, false], [1, 1, false]]);

    const newest = four.nodes[0];
    const next = (await ok(`query($id: ID!, $after: String) { automationRule(id: $id) { firings(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage } } } }`, { id: newest.id, after: newest.firings.pageInfo.endCursor })).automationRule.firings;
    expect(next.pageInfo.hasNextPage).toBe(false);
    const walked = [...newest.firings.nodes, ...next.nodes].map((node: { id: string }) => node.id);
    expect(walked).toEqual((await subgraph.prisma.ruleFiring.findMany({ where: { ruleId: newest.id }, orderBy: [{ firedAt: 'desc' }, { id: 'desc' }] })).map((row) => row.id));
  });

  it('walks the rules newest first page by page, each once, and refuses a malformed locationId filter', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let totalCount = 0;
    for (let page = 0; page < 50; page += 1) {
      const { automationRules } = await ok(`query($after: String) { automationRules(first: 2, after: $after) { totalCount nodes { id createdAt } pageInfo { hasNextPage endCursor } } }`, { after });
      totalCount = automationRules.totalCount;
      seen.push(...automationRules.nodes.map((node: { id: string }) => node.id));
      if (!automationRules.pageInfo.hasNextPage) break;
      after = automationRules.pageInfo.endCursor;
    }
    expect(seen.length).toBe(totalCount);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort().reverse());

    const bad = await gql(`{ storeTasks(locationId: "oslo") { totalCount } }`);
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});
