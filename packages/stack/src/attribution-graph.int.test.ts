/**
 * Attribution through the router on the worked example of docs/attribution.md: Campaign.performance
 * under each model and its breakdowns, live parameters, the campaign comparison and its sorting,
 * spend with ROAS and ROI, and refused arguments. Every expected figure is from the doc's tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, gql } from '@joinery/core/testing';
import { applyAttributionEvents } from '../../../subgraphs/marketing/src/attribution/attribution-consumer';
import { prismaRunner } from '../../../subgraphs/marketing/src/attribution/attribution-store';
import { CAMPAIGN, NEW_YORK, OSLO, seedWorkedExample } from '../../../subgraphs/marketing/src/attribution/worked-example';
import { recordTouchpoint } from '../../../subgraphs/marketing/src/webhooks/engagement-service';
import { startStack, type Stack } from './stack';

const ports = { router: 0, inventory: 0, sales: 0, marketing: 0 };
const MARCH = { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };

/** Per model: [campaign, orderCount, revenue] for A, B and C (docs/attribution.md, "Totals per campaign"). */
const TOTALS: Record<string, [string, number, string][]> = {
  LAST_TOUCH: [['A', 0, '0.00'], ['B', 2, '109.99'], ['C', 1, '200.00']],
  FIRST_TOUCH: [['A', 2, '199.99'], ['B', 2, '210.00'], ['C', 0, '0.00']],
  LINEAR: [['A', 2, '83.33'], ['B', 4, '135.00'], ['C', 2, '91.67']],
  TIME_DECAY: [['A', 2, '62.31'], ['B', 4, '87.91'], ['C', 2, '127.98']],
  POSITION_BASED: [['A', 2, '89.99'], ['B', 4, '150.00'], ['C', 2, '90.00']],
  LAST_NON_DIRECT: [['A', 0, '0.00'], ['B', 3, '209.99'], ['C', 1, '200.00']],
};

describe.each(backends())('attribution through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;

  const performance = async (campaign: string, args: string, fields = 'orderCount revenue') => {
    const answer = await gql(url, `query($c: ID!) { campaign(id: $c) { performance${args ? `(${args})` : ''} { ${fields} } } }`, { c: campaign });
    expect(answer.errors).toBeUndefined();
    return answer.data.campaign.performance;
  };
  const recordSpend = (input: Record<string, unknown>) =>
    gql(url, `mutation($input: RecordCampaignSpendInput!) { recordCampaignSpend(input: $input) { spendEntry { id date amount campaign { name } } userErrors { field code message } } }`, { input });

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports });
    url = stack.urls.router;
    const prisma = stack.marketing.prisma;
    const events = await seedWorkedExample(prisma);
    await prisma.$transaction((tx) => applyAttributionEvents(prismaRunner(tx), events));
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it.each(Object.keys(TOTALS))('credits each campaign as computed by hand under %s', async (model) => {
    for (const [name, orderCount, revenue] of TOTALS[model]) {
      const figures = await performance(CAMPAIGN[name as keyof typeof CAMPAIGN], `model: ${model}`, 'orderCount revenue model source lookbackDays');
      expect(figures).toEqual({ orderCount, revenue, model, source: 'ROLLUP', lookbackDays: 30 });
    }
  });

  it('defaults to last touch: a campaign the order carries is credited in full', async () => {
    expect(await performance(CAMPAIGN.C, '')).toEqual({ orderCount: 1, revenue: '200.00' });
  });

  it('breaks a campaign down by location, local day and week, and category', async () => {
    const b = await performance(CAMPAIGN.B, 'model: LINEAR', `orderCount unitsSold revenue conversions
      byLocation { location { id } orderCount revenue } byDay { start orderCount revenue } byWeek { start revenue } byCategory { category revenue } asOf`);
    expect(b).toMatchObject({ orderCount: 4, unitsSold: 8, revenue: '135.00' });
    expect(b.conversions).toBeCloseTo(1 / 3 + 1 / 3 + 1 + 1 / 4, 10);
    expect(b.byLocation).toEqual([{ location: { id: OSLO }, orderCount: 3, revenue: '110.00' }, { location: { id: NEW_YORK }, orderCount: 1, revenue: '25.00' }]);
    expect(b.byDay).toEqual([{ start: '2026-03-10', orderCount: 3, revenue: '125.00' }, { start: '2026-03-11', orderCount: 1, revenue: '10.00' }]);
    expect(b.byWeek).toEqual([{ start: '2026-03-09', revenue: '135.00' }]);
    expect(b.byCategory).toEqual([
      { category: 'beds', revenue: '66.67' }, { category: 'tables', revenue: '28.33' }, { category: 'lamps', revenue: '16.67' },
      { category: 'sofas', revenue: '13.33' }, { category: 'uncategorized', revenue: '10.00' },
    ]);
    expect(Date.parse(b.asOf)).toBeLessThanOrEqual(Date.now());
  });

  it('computes other parameters live, over the period asked', async () => {
    const march = `from: "${MARCH.from}", to: "${MARCH.to}"`;
    // Lookback 15 days: O2's B touch (20 days before) drops out of its path.
    expect(await performance(CAMPAIGN.C, `model: LINEAR, lookbackDays: 15, ${march}`, 'orderCount revenue source lookbackDays')).toEqual({ orderCount: 2, revenue: '125.00', source: 'LIVE', lookbackDays: 15 });
    expect(await performance(CAMPAIGN.B, `model: LINEAR, lookbackDays: 15, ${march}`)).toEqual({ orderCount: 3, revenue: '68.33' });
    // Half-life 1 day: O2 gives C 160.00 and B a weight of 2^-20 / 1.25 (an order counted, 0.00 credited); O5 gives C 17.78.
    expect(await performance(CAMPAIGN.C, `model: TIME_DECAY, halfLifeDays: 1, ${march}`, 'orderCount revenue source halfLifeDays')).toEqual({ orderCount: 2, revenue: '177.78', source: 'LIVE', halfLifeDays: 1 });
    // A period leaving out O2 (10 March 13:00 UTC): only O5's 17.78.
    expect(await performance(CAMPAIGN.C, `model: TIME_DECAY, halfLifeDays: 1, from: "2026-03-10T14:00:00Z", to: "${MARCH.to}"`)).toEqual({ orderCount: 1, revenue: '17.78' });
    // The half-life matters only to TIME_DECAY: LINEAR still reads the rollup.
    expect(await performance(CAMPAIGN.C, 'model: LINEAR, halfLifeDays: 1', 'revenue source')).toEqual({ revenue: '91.67', source: 'ROLLUP' });
  });

  it('compares campaigns, sorted, with unattributed revenue in the totals', async () => {
    const compare = async (args: string) => {
      const answer = await gql(url, `{ campaignComparison(model: LINEAR, from: "${MARCH.from}", to: "${MARCH.to}", ${args}) {
        rows { campaign { name } orderCount revenue } totalCount totals { revenue attributedRevenue unattributedRevenue } source model } }`);
      expect(answer.errors).toBeUndefined();
      return answer.data.campaignComparison;
    };
    const byRevenue = await compare('first: 2');
    expect(byRevenue.rows).toEqual([{ campaign: { name: 'Campaign B' }, orderCount: 4, revenue: '135.00' }, { campaign: { name: 'Campaign C' }, orderCount: 2, revenue: '91.67' }]);
    expect(byRevenue).toMatchObject({ totalCount: 3, totals: { revenue: '459.99', attributedRevenue: '310.00', unattributedRevenue: '149.99' }, source: 'ROLLUP', model: 'LINEAR' });
    expect((await compare('sortBy: REVENUE, direction: ASC')).rows.map((row: { campaign: { name: string } }) => row.campaign.name)).toEqual(['Campaign A', 'Campaign C', 'Campaign B']);
    // A and C tie on 2 orders: by campaign id.
    expect((await compare('sortBy: ORDER_COUNT')).rows.map((row: { campaign: { name: string } }) => row.campaign.name)).toEqual(['Campaign B', 'Campaign A', 'Campaign C']);
    expect((await compare('sortBy: NAME, direction: ASC')).rows.map((row: { campaign: { name: string } }) => row.campaign.name)).toEqual(['Campaign A', 'Campaign B', 'Campaign C']);
  });

  it('records spend once per key and reports ROAS and ROI', async () => {
    const first = await recordSpend({ campaignId: CAMPAIGN.B, date: '2026-03-10', amount: '50.00', idempotencyKey: 'spend-b-1' });
    expect(first.data.recordCampaignSpend).toMatchObject({ spendEntry: { date: '2026-03-10', amount: '50.00', campaign: { name: 'Campaign B' } }, userErrors: [] });
    const again = await recordSpend({ campaignId: CAMPAIGN.B, date: '2026-03-10', amount: '50.00', idempotencyKey: 'spend-b-1' });
    expect(again.data.recordCampaignSpend.spendEntry.id).toBe(first.data.recordCampaignSpend.spendEntry.id);
    expect((await recordSpend({ campaignId: CAMPAIGN.B, date: '2026-03-11', amount: '25.50', idempotencyKey: 'spend-b-2' })).data.recordCampaignSpend.userErrors).toEqual([]);
    // Outside March: not in the period below.
    expect((await recordSpend({ campaignId: CAMPAIGN.B, date: '2026-04-01', amount: '1000.00', idempotencyKey: 'spend-b-3' })).data.recordCampaignSpend.userErrors).toEqual([]);

    const codes = async (input: Record<string, unknown>) => (await recordSpend(input)).data.recordCampaignSpend.userErrors.map((e: { code: string; field: string[] }) => [e.code, e.field.join('.')]);
    expect(await codes({ campaignId: CAMPAIGN.B, date: '2026-03-10', amount: '60.00', idempotencyKey: 'spend-b-1' })).toEqual([['CONFLICT', 'input.idempotencyKey']]);
    expect(await codes({ campaignId: CAMPAIGN.B, date: '2026-03-10', amount: '-1.00', idempotencyKey: 'neg' })).toEqual([['BAD_USER_INPUT', 'input.amount']]);
    expect(await codes({ campaignId: CAMPAIGN.B, date: '2026-02-30', amount: '1.00', idempotencyKey: 'bad-day' })).toEqual([['BAD_USER_INPUT', 'input.date']]);
    // Regression: year 0 passed the check and PostgreSQL refused it (an internal error, no userErrors).
    expect(await codes({ campaignId: CAMPAIGN.B, date: '0000-01-01', amount: '1.00', idempotencyKey: 'year-zero' })).toEqual([['BAD_USER_INPUT', 'input.date']]);
    expect(await codes({ campaignId: '00000000-0000-4000-8000-000000000000', date: '2026-03-10', amount: '1.00', idempotencyKey: 'nobody' })).toEqual([['NOT_FOUND', 'input.campaignId']]);

    const b = await performance(CAMPAIGN.B, `model: LINEAR, from: "${MARCH.from}", to: "${MARCH.to}"`, 'revenue spend roas roi');
    expect(b).toMatchObject({ revenue: '135.00', spend: '75.50' });
    expect(b.roas).toBeCloseTo(135 / 75.5, 10);
    expect(b.roi).toBeCloseTo((135 - 75.5) / 75.5, 10);
    expect(await performance(CAMPAIGN.A, `model: LINEAR, from: "${MARCH.from}", to: "${MARCH.to}"`, 'spend roas roi')).toEqual({ spend: '0.00', roas: null, roi: null });

    const answer = await gql(url, `{ campaignComparison(model: LINEAR, from: "${MARCH.from}", to: "${MARCH.to}", sortBy: ROAS) { rows { campaign { name } spend roas roi } totals { spend roas } } }`);
    const rows = answer.data.campaignComparison.rows;
    expect(rows.map((row: { campaign: { name: string } }) => row.campaign.name)).toEqual(['Campaign B', 'Campaign A', 'Campaign C']);
    expect(rows[0].roas).toBeCloseTo(135 / 75.5, 10);
    expect(rows[1]).toMatchObject({ spend: '0.00', roas: null, roi: null });
    expect(answer.data.campaignComparison.totals.spend).toBe('75.50');
    expect(answer.data.campaignComparison.totals.roas).toBeCloseTo(310 / 75.5, 10);
  });

  it('refuses bad arguments with BAD_USER_INPUT naming the argument', async () => {
    const refusal = async (query: string) => {
      const answer = await gql(url, query, { c: CAMPAIGN.A });
      return [answer.errors?.[0]?.extensions?.code, answer.errors?.[0]?.extensions?.argument];
    };
    expect(await refusal('query($c: ID!) { campaign(id: $c) { performance(lookbackDays: 0) { revenue } } }')).toEqual(['BAD_USER_INPUT', 'lookbackDays']);
    expect(await refusal('query($c: ID!) { campaign(id: $c) { performance(lookbackDays: 366) { revenue } } }')).toEqual(['BAD_USER_INPUT', 'lookbackDays']);
    expect(await refusal('query($c: ID!) { campaign(id: $c) { performance(halfLifeDays: 0) { revenue } } }')).toEqual(['BAD_USER_INPUT', 'halfLifeDays']);
    expect(await refusal('query($c: ID!) { campaign(id: $c) { performance(from: "2026-03-02T00:00:00Z", to: "2026-03-01T00:00:00Z") { revenue } } }')).toEqual(['BAD_USER_INPUT', 'to']);
    expect(await refusal('query($c: ID!) { campaign(id: $c) { performance(from: "2023-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z") { revenue } } }')).toEqual(['BAD_USER_INPUT', 'to']);
    expect(await refusal('{ campaignComparison(first: 0) { totalCount } }')).toEqual(['BAD_USER_INPUT', 'first']);
  });

  // Regression: the 731-day limit applied only when both from and to were given, so a live query
  // without them computed credits over every order ever.
  it('refuses a LIVE query without from and to instead of computing over every order', async () => {
    const refusal = async (query: string) => {
      const answer = await gql(url, query, { c: CAMPAIGN.A });
      return [answer.errors?.[0]?.extensions?.code, answer.errors?.[0]?.extensions?.argument, answer.data?.campaign?.performance ?? answer.data?.campaignComparison ?? null];
    };
    expect(await refusal('query($c: ID!) { campaign(id: $c) { performance(lookbackDays: 15) { revenue } } }')).toEqual(['BAD_USER_INPUT', 'from', null]);
    expect(await refusal(`query($c: ID!) { campaign(id: $c) { performance(model: TIME_DECAY, halfLifeDays: 1, from: "${MARCH.from}") { revenue } } }`)).toEqual(['BAD_USER_INPUT', 'to', null]);
    expect(await refusal(`{ campaignComparison(lookbackDays: 10, to: "${MARCH.to}") { totalCount } }`)).toEqual(['BAD_USER_INPUT', 'from', null]);
    const message = (await gql(url, '{ campaignComparison(model: TIME_DECAY, halfLifeDays: 2) { totalCount } }')).errors?.[0]?.message;
    expect(message).toMatch(/from is required.*computed live from every order in the period/);
    // Default parameters read the rollup: all time is still allowed.
    expect(await performance(CAMPAIGN.C, 'model: TIME_DECAY', 'revenue source')).toEqual({ revenue: '127.98', source: 'ROLLUP' });
  });

  // Last: it changes the worked example's figures.
  it('re-credits orders when a late touchpoint is reported, through marketing\'s own event', async () => {
    const prisma = stack.marketing.prisma;
    const source = await prisma.engagementSource.findFirstOrThrow();
    // An ad click of A the day before O3 (cust-3, 50.00): O3's path becomes [direct, A].
    await recordTouchpoint(prisma, source.id, {
      id: 'late-ad-click', type: 'AD_CLICK', customerId: 'cust-3', campaignId: CAMPAIGN.A, occurredAt: new Date('2026-03-09T12:00:00Z'), url: null,
      utm: { source: 'ads', medium: 'cpc', campaign: CAMPAIGN.A, term: null, content: null },
    }, CAMPAIGN.A);
    const deadline = Date.now() + 10_000;
    let figures = await performance(CAMPAIGN.A, 'model: LAST_TOUCH', 'orderCount revenue');
    while (figures.orderCount === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      figures = await performance(CAMPAIGN.A, 'model: LAST_TOUCH', 'orderCount revenue');
    }
    expect(figures).toEqual({ orderCount: 1, revenue: '50.00' });
    // LINEAR: A gains 25.00 (half of O3) on top of 83.33.
    expect(await performance(CAMPAIGN.A, 'model: LINEAR', 'orderCount revenue')).toEqual({ orderCount: 3, revenue: '108.33' });
  });
});
