/**
 * The audit log through a real stack: mutations sent to the router (over HTTP and WebSocket) are
 * recorded with who ran them and how they ended, and admins read them back through `auditLog`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestLocation, expectData, gql, type TestCaller } from '@joinery/core/testing';
import { wsClient } from '@joinery/core/testing-ws';
import { startStack, type Stack } from '@joinery/stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };

const AUDIT_LOG = /* GraphQL */ `
  query Audit($first: Int, $after: String, $filter: AuditLogFilter) {
    auditLog(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor }
      nodes { id at subject role locations requestId operationName fields variables arguments outcome codes durationMs }
    }
  }
`;

const ADJUST = `mutation Adjust($input: AdjustInventoryInput!) { adjustInventory(input: $input) { level { onHand } userErrors { message } } }`;

interface Entry {
  id: string;
  at: string;
  subject: string;
  role: string;
  locations: string[];
  requestId: string | null;
  operationName: string | null;
  fields: string[];
  variables: string;
  arguments: string | null;
  outcome: string;
  codes: string[];
  durationMs: number;
}

describe.each(backends())('the audit log through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;
  let oslo: string;
  let bergen: string;

  /** Every entry for `filter`, read by an admin over every location. */
  const auditLog = async (variables: Record<string, unknown>) => (await expectData(url, AUDIT_LOG, variables)).auditLog;
  const entriesOf = async (subject: string): Promise<Entry[]> => (await auditLog({ filter: { subject } })).nodes;

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports });
    url = stack.urls.router;
    oslo = await createTestLocation(url, 'OSL-STORE-1', 'Oslo Store');
    bergen = await createTestLocation(url, 'BGO-STORE-1', 'Bergen Store');
    await expectData(url, `mutation { createProduct(input: { sku: "OAK-TBL-180", name: "Oak Table", category: "tables", price: "1299.00" }) { userErrors { message } } }`);
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it("records an admin's createLocation: who, role, every location, the field, variables and SUCCEEDED", async () => {
    const admin: TestCaller = { role: 'admin', subject: 'audit-admin' };
    const input = { code: 'TRD-STORE-1', name: 'Trondheim Store', kind: 'STORE', timezone: 'Europe/Oslo', address: { line1: 'Munkegata 1', city: 'Trondheim', region: 'Nordics', postalCode: '7011', country: 'NO' } };
    const created = await expectData(url, `mutation OpenStore($input: CreateLocationInput!) { createLocation(input: $input) { location { id } userErrors { code } } }`, { input }, admin);
    expect(created.createLocation.userErrors).toEqual([]);

    const [entry, ...more] = await entriesOf('audit-admin');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ subject: 'audit-admin', role: 'admin', locations: ['*'], operationName: 'OpenStore', fields: ['createLocation'], outcome: 'SUCCEEDED', codes: [] });
    expect(JSON.parse(entry.variables)).toEqual({ input });
    expect(JSON.parse(entry.arguments!)).toEqual({ createLocation: { input } });
    expect(entry.requestId).toMatch(/^[\w-]{8,64}$/);
    expect(entry.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.now() - Date.parse(entry.at)).toBeLessThan(60_000);
  });

  it("records a manager's adjustInventory refused with a userError as USER_ERROR with its code, even when the client asked only for messages", async () => {
    const manager: TestCaller = { role: 'manager', locations: [oslo], subject: 'audit-manager' };
    const result = await expectData(url, ADJUST, { input: { locationId: oslo, sku: 'OAK-TBL-180', delta: -5, reason: 'SHRINKAGE' } }, manager);
    // The client receives what it asked for, and nothing the audit added to the query.
    expect(result).toEqual({ adjustInventory: { level: null, userErrors: [{ message: expect.any(String) }] } });

    expect(await entriesOf('audit-manager')).toMatchObject([
      { role: 'manager', locations: [oslo], operationName: 'Adjust', fields: ['adjustInventory'], outcome: 'USER_ERROR', codes: ['INSUFFICIENT_STOCK'] },
    ]);
  });

  it("records an analyst's refused createLocation as FAILED with FORBIDDEN", async () => {
    const analyst: TestCaller = { role: 'analyst', locations: [oslo, bergen], subject: 'audit-analyst' };
    const refused = await gql(url, `mutation { createLocation(input: { code: "X-1", name: "X", kind: STORE, timezone: "Europe/Oslo", address: { line1: "a", city: "b", region: "c", postalCode: "1", country: "NO" } }) { location { id } } }`, {}, analyst);
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);

    expect(await entriesOf('audit-analyst')).toMatchObject([
      { role: 'analyst', locations: [oslo, bergen], operationName: null, fields: ['createLocation'], outcome: 'FAILED', codes: ['FORBIDDEN'] },
    ]);
  });

  it("redacts a webhook endpoint's Authorization header and URL path and query, and keeps its signing secret (a response) out of the log", async () => {
    const marketer: TestCaller = { role: 'marketer', locations: ['*'], subject: 'audit-marketer' };
    const header = 'Bearer pat-na1-11111111-2222-3333-4444-555555555555';
    const created = await expectData(url, `mutation Hook($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } signingSecret userErrors { code } } }`, {
      input: { name: 'HubSpot', provider: 'HUBSPOT', url: 'https://api.hubapi.example/events/v3/send?hapikey=hk-0123456789', authorizationHeader: header },
    }, marketer);
    const secret: string = created.createWebhookEndpoint.signingSecret;
    expect(secret.length).toBeGreaterThan(10);

    const [entry] = await entriesOf('audit-marketer');
    expect(entry).toMatchObject({ role: 'marketer', fields: ['createWebhookEndpoint'], outcome: 'SUCCEEDED' });
    const redacted = { name: 'HubSpot', provider: 'HUBSPOT', url: 'https://api.hubapi.example/[REDACTED]', authorizationHeader: '[REDACTED]' };
    expect(JSON.parse(entry.variables)).toEqual({ input: redacted });
    expect(JSON.parse(entry.arguments!)).toEqual({ createWebhookEndpoint: { input: redacted } });
    for (const leak of ['pat-na1', 'hk-0123456789', 'events/v3', secret]) expect(JSON.stringify(entry)).not.toContain(leak);
  });

  it('does not record queries', async () => {
    await expectData(url, `query Stores { locations(first: 5) { nodes { id } } }`, {}, { role: 'manager', locations: [oslo], subject: 'audit-reader' });
    await expectData(url, AUDIT_LOG, { filter: { subject: 'audit-reader' } }, { role: 'admin', subject: 'audit-reader' });
    expect(await entriesOf('audit-reader')).toEqual([]);
  });

  it('is FORBIDDEN to everyone but an admin', async () => {
    const callers: TestCaller[] = [
      { role: 'manager', locations: [oslo] },
      { role: 'analyst', locations: ['*'] },
      { role: 'marketer', locations: ['*'] },
      { role: 'associate', locations: [oslo] },
    ];
    for (const caller of callers) {
      const result = await gql(url, AUDIT_LOG, {}, caller);
      expect(result.data ?? null, caller.role).toBeNull();
      expect(result.errors?.map((error) => error.extensions?.code), `${caller.role} at ${caller.locations}`).toEqual(['FORBIDDEN']);
    }
  });

  it('pages newest first with cursors, and filters by subject, role, outcome, field and time', async () => {
    const pager: TestCaller = { role: 'admin', subject: 'audit-pager' };
    for (const reference of ['first', 'second', 'third']) {
      await expectData(url, ADJUST, { input: { locationId: bergen, sku: 'OAK-TBL-180', delta: 1, reason: 'RECEIVED', reference } }, pager);
    }
    const referenceOf = (entry: Entry) => JSON.parse(entry.variables).input.reference;

    const page1 = await auditLog({ first: 2, filter: { subject: 'audit-pager' } });
    expect(page1.nodes.map(referenceOf)).toEqual(['third', 'second']);
    expect(page1).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true, hasPreviousPage: false } });
    expect(page1.pageInfo.endCursor).toBe(page1.edges[1].cursor);
    const page2 = await auditLog({ first: 2, after: page1.pageInfo.endCursor, filter: { subject: 'audit-pager' } });
    expect(page2.nodes.map(referenceOf)).toEqual(['first']);
    expect(page2).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false, hasPreviousPage: true } });

    const [third, second, first] = page1.nodes.concat(page2.nodes) as Entry[];
    expect(Date.parse(third.at)).toBeGreaterThanOrEqual(Date.parse(second.at));
    const between = await auditLog({ filter: { subject: 'audit-pager', from: second.at, to: third.at } });
    expect(between.nodes.map((entry: Entry) => entry.id)).toEqual(Date.parse(second.at) < Date.parse(third.at) ? [second.id] : []);
    const since = await auditLog({ filter: { subject: 'audit-pager', from: second.at } });
    expect(since.nodes.map((entry: Entry) => entry.id)).toEqual([third.id, second.id]);
    const until = await auditLog({ filter: { subject: 'audit-pager', to: second.at } });
    expect(until.nodes.map((entry: Entry) => entry.id)).toEqual(Date.parse(first.at) < Date.parse(second.at) ? [first.id] : []);

    const failed = await auditLog({ filter: { outcome: 'FAILED', role: 'analyst' } });
    expect(failed.nodes.map((entry: Entry) => entry.subject)).toEqual(['audit-analyst']);
    const hooks = await auditLog({ filter: { field: 'createWebhookEndpoint' } });
    expect(hooks.nodes.map((entry: Entry) => entry.subject)).toEqual(['audit-marketer']);
    const userErrors = await auditLog({ filter: { outcome: 'USER_ERROR' } });
    expect(userErrors.nodes.map((entry: Entry) => entry.subject)).toEqual(['audit-manager']);
    const adjustments = await auditLog({ filter: { field: 'adjustInventory', role: 'admin', outcome: 'SUCCEEDED' } });
    expect(adjustments.nodes.map((entry: Entry) => entry.id)).toEqual([third.id, second.id, first.id]);

    const badRole = await gql(url, AUDIT_LOG, { filter: { role: 'owner' } });
    expect(badRole.errors?.[0]).toMatchObject({ message: expect.stringContaining('filter.role must be one of admin, manager'), extensions: { code: 'BAD_USER_INPUT' } });
    const tooMany = await gql(url, AUDIT_LOG, { first: 251 });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('records a mutation sent over a WebSocket', async () => {
    const client = wsClient(url, { caller: { role: 'manager', locations: [oslo], subject: 'audit-socket' } });
    try {
      const result = await new Promise<any>((resolve, reject) => {
        client.subscribe({ query: ADJUST, operationName: 'Adjust', variables: { input: { locationId: oslo, sku: 'OAK-TBL-180', delta: 2, reason: 'RECEIVED' } } }, { next: resolve, error: reject, complete: () => {} });
      });
      expect(result).toEqual({ data: { adjustInventory: { level: { onHand: 2 }, userErrors: [] } } });
    } finally {
      await client.dispose();
    }
    const [entry, ...more] = await entriesOf('audit-socket');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ role: 'manager', locations: [oslo], operationName: 'Adjust', fields: ['adjustInventory'], outcome: 'SUCCEEDED', codes: [] });
    expect(entry.requestId).toMatch(/^[\w-]{8,64}$/);
  });

  it('records a change made before a nested field failed as SUCCEEDED, keeping the nested code', async () => {
    const manager: TestCaller = { role: 'manager', locations: [bergen], subject: 'audit-nested' };
    const onHand = async () => {
      const read = await expectData(url, `query($l: ID!) { location(id: $l) { inventory(first: 50) { nodes { product { sku } onHand } } } }`, { l: bergen });
      return read.location.inventory.nodes.find((node: { product: { sku: string } }) => node.product.sku === 'OAK-TBL-180')?.onHand ?? 0;
    };
    const before = await onHand();
    const input = { locationId: bergen, sku: 'OAK-TBL-180', delta: 7, reason: 'RECEIVED' };
    const answer = await gql(url, `mutation Nested($input: AdjustInventoryInput!) { adjustInventory(input: $input) { level { onHand location { movements(first: 251) { nodes { id } } } } } }`, { input }, manager);
    expect(answer.errors?.map((error: { path?: unknown; extensions?: { code?: unknown } }) => [error.path, error.extensions?.code])).toEqual([[['adjustInventory', 'level', 'location', 'movements'], 'BAD_USER_INPUT']]);
    expect(await onHand()).toBe(before + 7);

    expect(await entriesOf('audit-nested')).toMatchObject([{ fields: ['adjustInventory'], outcome: 'SUCCEEDED', codes: ['BAD_USER_INPUT'] }]);
  });

  it('records arguments written inline in the query, with their defaults', async () => {
    const inline: TestCaller = { role: 'admin', subject: 'audit-inline' };
    await expectData(url, `mutation { adjustInventory(input: { locationId: "${bergen}", sku: "OAK-TBL-180", delta: 1, reason: RECEIVED, reference: "PO-17" }) { userErrors { code } } }`, {}, inline);
    const [entry, ...more] = await entriesOf('audit-inline');
    expect(more).toEqual([]);
    expect(JSON.parse(entry.variables)).toEqual({});
    expect(JSON.parse(entry.arguments!)).toEqual({ adjustInventory: { input: { locationId: bergen, sku: 'OAK-TBL-180', delta: 1, reason: 'RECEIVED', reference: 'PO-17', state: 'AVAILABLE' } } });
  });

  it("cannot be told the outcome by a client selecting the probe's old alias, and leaves that field in the client's answer", async () => {
    const spoofer: TestCaller = { role: 'manager', locations: [oslo], subject: 'audit-spoof' };
    const refused = (selection: string) => `mutation { adjustInventory(input: { locationId: "${oslo}", sku: "OAK-TBL-180", delta: -1000, reason: SHRINKAGE }) { ${selection} } }`;
    // The same text twice: the second run reuses the gateway's cached query plan.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect(await expectData(url, refused('joineryAuditUserErrors: __typename'), {}, spoofer)).toEqual({ adjustInventory: { joineryAuditUserErrors: 'InventoryChangePayload' } });
    }
    const forged = await expectData(url, refused('joineryAuditUserErrors: userErrors { code: message }'), {}, spoofer);
    expect(forged.adjustInventory.joineryAuditUserErrors).toEqual([{ code: expect.stringMatching(/\w+ \w+/) }]);

    const entries = await entriesOf('audit-spoof');
    expect(entries.map((entry) => [entry.outcome, entry.codes])).toEqual([['USER_ERROR', ['INSUFFICIENT_STOCK']], ['USER_ERROR', ['INSUFFICIENT_STOCK']], ['USER_ERROR', ['INSUFFICIENT_STOCK']]]);
  });
});
