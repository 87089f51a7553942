import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestLocation, expectData, gql } from '@joinery/core/testing';
import { startStack, type Stack } from '@joinery/stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };

const CAMPAIGN = 'id name channel status startsAt endsAt budget targetLocations { id name } targetProducts { sku name }';
const CREATE = `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { ${CAMPAIGN} } userErrors { field message code } } }`;
const UPDATE = `mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) { campaign { ${CAMPAIGN} } userErrors { field message code } } }`;

describe.each(backends())('campaigns through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;
  let oslo: string;
  let bergen: string;

  const ok = (query: string, variables?: Record<string, unknown>) => expectData(url, query, variables);

  const createLocation = (code: string, name: string) => createTestLocation(url, code, name);

  async function createProduct(sku: string, name: string): Promise<void> {
    const data = await ok(`mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, { input: { sku, name, category: 'sofas', price: '2499.00' } });
    expect(data.createProduct.userErrors).toEqual([]);
  }

  const create = async (input: Record<string, unknown>) => (await ok(CREATE, { input })).createCampaign;
  const update = async (input: Record<string, unknown>) => (await ok(UPDATE, { input })).updateCampaign;
  const campaign = async (id: string) => (await ok(`query($id: ID!) { campaign(id: $id) { ${CAMPAIGN} } }`, { id })).campaign;
  const campaignCount = async () => (await ok(`{ campaigns { totalCount } }`)).campaigns.totalCount as number;

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports });
    url = stack.urls.router;
    oslo = await createLocation('OSL-STORE-1', 'Oslo Store');
    bergen = await createLocation('BGO-STORE-1', 'Bergen Store');
    await createProduct('FJORD-SOFA-3', 'Fjord 3-Seat Sofa');
    await createProduct('OAK-TBL-180', 'Oak Dining Table 180 cm');
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it('creates a campaign whose target locations and products come back with their names from inventory', async () => {
    const created = await create({
      name: 'Autumn Sofa Event', channel: 'EMAIL', status: 'SCHEDULED', startsAt: '2026-09-01T00:00:00Z', endsAt: '2026-09-30T22:00:00Z', budget: '5000.00',
      targetLocationIds: [bergen, oslo, bergen], targetSkus: ['FJORD-SOFA-3'],
    });
    expect(created.userErrors).toEqual([]);
    const expected = {
      id: expect.any(String),
      name: 'Autumn Sofa Event', channel: 'EMAIL', status: 'SCHEDULED', startsAt: '2026-09-01T00:00:00.000Z', endsAt: '2026-09-30T22:00:00.000Z', budget: '5000.00',
      targetLocations: [{ id: bergen, name: 'Bergen Store' }, { id: oslo, name: 'Oslo Store' }],
      targetProducts: [{ sku: 'FJORD-SOFA-3', name: 'Fjord 3-Seat Sofa' }],
    };
    expect(created.campaign).toEqual(expected);
    expect(await campaign(created.campaign.id)).toEqual(created.campaign);

    const everywhere = await create({ name: 'Always On Search', channel: 'SEARCH', startsAt: '2026-01-01T00:00:00Z', budget: '100' });
    expect(everywhere.campaign).toMatchObject({ status: 'DRAFT', endsAt: null, budget: '100.00', targetLocations: [], targetProducts: [] });
  });

  it('updates a campaign and replaces its targets, names resolved from inventory', async () => {
    const { campaign: created } = await create({ name: 'Spring Tables', channel: 'SOCIAL', startsAt: '2026-03-01T00:00:00Z', budget: '1200.00', targetLocationIds: [oslo], targetSkus: ['FJORD-SOFA-3'] });

    const updated = await update({ id: created.id, name: 'Spring Tables 2026', status: 'ACTIVE', budget: '1500.50', endsAt: '2026-04-01T00:00:00Z', targetLocationIds: [bergen], targetSkus: ['OAK-TBL-180', 'FJORD-SOFA-3'] });
    expect(updated.userErrors).toEqual([]);
    expect(updated.campaign).toEqual({
      ...created,
      name: 'Spring Tables 2026', status: 'ACTIVE', budget: '1500.50', endsAt: '2026-04-01T00:00:00.000Z',
      targetLocations: [{ id: bergen, name: 'Bergen Store' }],
      targetProducts: [{ sku: 'OAK-TBL-180', name: 'Oak Dining Table 180 cm' }, { sku: 'FJORD-SOFA-3', name: 'Fjord 3-Seat Sofa' }],
    });

    const cleared = await update({ id: created.id, targetSkus: [], endsAt: null });
    expect(cleared.campaign).toMatchObject({ endsAt: null, targetLocations: [{ id: bergen, name: 'Bergen Store' }], targetProducts: [] });
    expect(await campaign(created.id)).toEqual(cleared.campaign);
  });

  it('refuses unknown or malformed target locations and unknown skus with NOT_FOUND and creates nothing', async () => {
    const before = await campaignCount();
    const missing = randomUUID();
    const refused = await create({
      name: 'Ghost Stores', channel: 'DISPLAY', startsAt: '2026-05-01T00:00:00Z', budget: '10.00',
      targetLocationIds: [oslo, missing, 'oslo-store'], targetSkus: ['FJORD-SOFA-3', 'NO-SUCH-SKU'],
    });
    expect(refused.campaign).toBeNull();
    expect(refused.userErrors).toEqual(expect.arrayContaining([
      { code: 'NOT_FOUND', field: ['input', 'targetLocationIds'], message: `No location with id ${missing}` },
      { code: 'NOT_FOUND', field: ['input', 'targetLocationIds'], message: 'No location with id oslo-store' },
      { code: 'NOT_FOUND', field: ['input', 'targetSkus'], message: 'No product with sku NO-SUCH-SKU' },
    ]));
    expect(refused.userErrors).toHaveLength(3);
    expect(await campaignCount()).toBe(before);
  });

  it('refuses an update to unknown targets with NOT_FOUND and leaves the campaign as it was', async () => {
    const { campaign: created } = await create({ name: 'Oslo Only', channel: 'PRINT', startsAt: '2026-06-01T00:00:00Z', budget: '300.00', targetLocationIds: [oslo] });
    const missing = randomUUID();
    const refused = await update({ id: created.id, name: 'Renamed', targetLocationIds: [bergen, missing], targetSkus: ['NO-SUCH-SKU'] });
    expect(refused).toEqual({
      campaign: null,
      userErrors: [
        { code: 'NOT_FOUND', field: ['input', 'targetLocationIds'], message: `No location with id ${missing}` },
        { code: 'NOT_FOUND', field: ['input', 'targetSkus'], message: 'No product with sku NO-SUCH-SKU' },
      ],
    });
    expect(await campaign(created.id)).toEqual(created);

    const unknown = await update({ id: randomUUID(), name: 'Nobody' });
    expect(unknown).toEqual({ campaign: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'id'], message: expect.any(String) }] });
  });

  it('refuses endsAt at or before startsAt with BAD_USER_INPUT, on create and on update', async () => {
    const before = await campaignCount();
    for (const endsAt of ['2026-07-31T00:00:00Z', '2026-08-01T00:00:00Z']) {
      const refused = await create({ name: 'Backwards', channel: 'SMS', startsAt: '2026-08-01T00:00:00Z', endsAt, budget: '10.00' });
      expect(refused).toEqual({ campaign: null, userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'endsAt'], message: expect.stringContaining('must be after startsAt') }] });
    }
    expect(await campaignCount()).toBe(before);

    const { campaign: created } = await create({ name: 'Forwards', channel: 'SMS', startsAt: '2026-08-01T00:00:00Z', endsAt: '2026-08-31T00:00:00Z', budget: '10.00' });
    const endsEarly = await update({ id: created.id, endsAt: '2026-07-01T00:00:00Z' });
    expect(endsEarly.userErrors).toEqual([{ code: 'BAD_USER_INPUT', field: ['input', 'endsAt'], message: expect.any(String) }]);
    const startsLate = await update({ id: created.id, startsAt: '2026-09-15T00:00:00Z' });
    expect(startsLate.userErrors).toEqual([{ code: 'BAD_USER_INPUT', field: ['input', 'endsAt'], message: expect.any(String) }]);
    expect(await campaign(created.id)).toEqual(created);
  });

  describe('idempotency', () => {
    it('returns the first campaign when createCampaign is replayed with its idempotencyKey, and creates one', async () => {
      const before = await campaignCount();
      const input = { name: 'Black Friday', channel: 'EMAIL', status: 'SCHEDULED', startsAt: '2026-11-27T00:00:00Z', budget: '9000.00', targetLocationIds: [oslo], targetSkus: ['OAK-TBL-180'], idempotencyKey: 'campaign-bf' };
      const first = await create(input);
      expect(first.userErrors).toEqual([]);
      const replay = await create(input);
      expect(replay).toEqual(first);
      expect(await campaignCount()).toBe(before + 1);

      const reused = await create({ ...input, budget: '9500.00' });
      expect(reused).toEqual({ campaign: null, userErrors: [{ code: 'CONFLICT', field: ['input', 'idempotencyKey'], message: expect.stringContaining('campaign-bf') }] });
      expect(await campaignCount()).toBe(before + 1);
    });

    it('creates one campaign when 10 identical requests with one idempotencyKey arrive at once', async () => {
      const before = await campaignCount();
      const input = { name: 'Flash Sale', channel: 'SMS', startsAt: '2026-10-10T00:00:00Z', budget: '50.00', idempotencyKey: 'campaign-flash' };
      const results = await Promise.all(Array.from({ length: 10 }, () => gql(url, CREATE, { input })));
      for (const result of results) {
        expect(result.errors).toBeUndefined();
        expect(result.data.createCampaign.userErrors).toEqual([]);
      }
      expect(new Set(results.map((result) => result.data.createCampaign.campaign.id)).size).toBe(1);
      expect(await campaignCount()).toBe(before + 1);
    });
  });

  describe('listing', () => {
    const statuses = ['ACTIVE', 'PAUSED', 'ACTIVE', 'COMPLETED', 'ACTIVE', 'ACTIVE', 'PAUSED', 'ACTIVE'];
    // Two campaigns share a start, so the id tie-break is walked across a page boundary too.
    const startsAt = (index: number) => `2025-0${1 + Math.min(index, 6)}-15T08:00:00Z`;
    let ids: { id: string; status: string; startsAt: string }[];

    beforeAll(async () => {
      ids = [];
      for (const [index, status] of statuses.entries()) {
        const { campaign: created } = await create({ name: `Affiliate ${index}`, channel: 'AFFILIATE', status, startsAt: startsAt(index), budget: '10.00' });
        ids.push({ id: created.id, status, startsAt: created.startsAt });
      }
    });

    async function walk(filter: Record<string, unknown>, first: number) {
      const seen: { id: string; status: string; startsAt: string }[] = [];
      let after: string | null = null;
      let totalCount = -1;
      for (let page = 0; page < 50; page += 1) {
        const { campaigns } = await ok(`query($first: Int, $after: String, $filter: CampaignFilter) { campaigns(first: $first, after: $after, filter: $filter) {
          nodes { id status startsAt } pageInfo { hasNextPage endCursor } totalCount } }`, { first, after, filter });
        expect(campaigns.nodes.length).toBeLessThanOrEqual(first);
        totalCount = campaigns.totalCount;
        seen.push(...campaigns.nodes);
        if (!campaigns.pageInfo.hasNextPage) break;
        after = campaigns.pageInfo.endCursor;
      }
      return { seen, totalCount };
    }

    const newestFirst = (list: { id: string; startsAt: string }[]) =>
      [...list].sort((a, b) => b.startsAt.localeCompare(a.startsAt) || b.id.localeCompare(a.id)).map((campaign) => campaign.id);

    it('walks the campaigns of one status page by page, newest start first, each once', async () => {
      const active = ids.filter((campaign) => campaign.status === 'ACTIVE');
      const { seen, totalCount } = await walk({ statuses: ['ACTIVE'], channels: ['AFFILIATE'] }, 2);
      expect(seen.every((campaign) => campaign.status === 'ACTIVE')).toBe(true);
      expect(seen.map((campaign) => campaign.id)).toEqual(newestFirst(active));
      expect(totalCount).toBe(active.length);
    });

    it('filters by several statuses at once and walks them all', async () => {
      const wanted = ids.filter((campaign) => campaign.status === 'PAUSED' || campaign.status === 'COMPLETED');
      const { seen, totalCount } = await walk({ statuses: ['PAUSED', 'COMPLETED'], channels: ['AFFILIATE'] }, 1);
      expect(seen.map((campaign) => campaign.id)).toEqual(newestFirst(wanted));
      expect(totalCount).toBe(3);

      const all = await walk({ channels: ['AFFILIATE'] }, 3);
      expect(all.seen.map((campaign) => campaign.id)).toEqual(newestFirst(ids));
      expect(all.totalCount).toBe(statuses.length);
    });

    it('has the marketing subgraph refuse a cursor from another list with BAD_USER_INPUT', async () => {
      const productsCursor = Buffer.from(JSON.stringify('OAK-TBL-180')).toString('base64url');
      const result = await gql(stack.urls.marketing, `query($after: String) { campaigns(first: 2, after: $after) { totalCount } }`, { after: productsCursor });
      expect(result.errors?.[0]).toMatchObject({ path: ['campaigns'], extensions: { code: 'BAD_USER_INPUT' } });
    });

    // Fails today: CampaignService.list checks only that a cursor is a pair of strings, so a pair
    // that is not [ISO date, id] reaches Prisma as an Invalid Date and comes back as an internal error.
    it('has the marketing subgraph refuse a forged cursor of the right shape with BAD_USER_INPUT', async () => {
      const forged = Buffer.from(JSON.stringify(['yesterday', 'not-an-id'])).toString('base64url');
      const result = await gql(stack.urls.marketing, `query($after: String) { campaigns(first: 2, after: $after) { totalCount } }`, { after: forged });
      expect(result.errors?.[0]).toMatchObject({ path: ['campaigns'], extensions: { code: 'BAD_USER_INPUT' } });
    });
  });
});
