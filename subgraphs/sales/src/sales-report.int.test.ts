/**
 * salesReport against a scenario small enough to check by hand: an Oslo store and a New York web
 * shop (UTC+1 and UTC−5 in January), orders around local midnight and across the week boundary of
 * Sunday 11 / Monday 12 January 2026, two categories, a discount and a campaign. Every expected
 * figure below was worked out from the table in `beforeAll`, not read back from the code.
 * Sales runs alone here, against stand-ins for inventory and marketing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '@joinery/core/testing';
import { buildSalesSubgraph, openSalesDatabase, type SalesSubgraph } from '@joinery/sales';
import { fakeOwners, gqlAs } from './fake-owners';
import { rebuildSalesRollups } from './sales-rollups';

const RECORD_SALE = `mutation($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { code field message } } }`;
const REPORT = `query($filter: SalesReportFilter, $groupBy: [SalesReportDimension!]!) {
  salesReport(filter: $filter, groupBy: $groupBy) {
    rows { location { id } region channel day week month category product { sku } orderCount unitsSold revenue discount averageOrderValue }
    totals { orderCount unitsSold revenue discount averageOrderValue }
    from to asOf source
  } }`;

type Metrics = [orderCount: number, unitsSold: number, revenue: string, discount: string, averageOrderValue: string];
const metrics = ([orderCount, unitsSold, revenue, discount, averageOrderValue]: Metrics) => ({ orderCount, unitsSold, revenue, discount, averageOrderValue });
interface Dimensions {
  location: { id: string } | null;
  region: string | null;
  channel: string | null;
  day: string | null;
  week: string | null;
  month: string | null;
  category: string | null;
  product: { sku: string } | null;
}
const NO_DIMENSIONS: Dimensions = { location: null, region: null, channel: null, day: null, week: null, month: null, category: null, product: null };
const row = (dimensions: Partial<Dimensions>, figures: Metrics) => ({ ...NO_DIMENSIONS, ...dimensions, ...metrics(figures) });

const JANUARY_AND_FEBRUARY = { from: '2026-01-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' };

describe.each(backends())('salesReport on $name', (backend) => {
  const owners = fakeOwners();
  let sales: SalesSubgraph;
  let url: string;
  const oslo = owners.location({ timezone: 'Europe/Oslo', kind: 'STORE', region: 'Oslo' });
  const newYork = owners.location({ timezone: 'America/New_York', kind: 'ONLINE', region: 'New York' });
  const sofa = owners.product('RPT-SOFA', '1000.00', 'sofas');
  const lamp = owners.product('RPT-LAMP', '50.00', 'lighting');
  const campaign = randomUUID();
  /** Location ids sort the rows; the expected rows are written Oslo first and sorted the same way. */
  const byLocation = <T extends { location: { id: string } | null }>(rows: T[]) => [...rows].sort((a, b) => a.location!.id.localeCompare(b.location!.id));

  const report = async (groupBy: string[], filter: Record<string, unknown> = JANUARY_AND_FEBRUARY) => {
    const result = await gqlAs(url, null, REPORT, { filter, groupBy });
    expect(result.errors).toBeUndefined();
    return result.data!.salesReport;
  };
  const refusal = async (groupBy: string[], filter: Record<string, unknown> = JANUARY_AND_FEBRUARY) => {
    const result = await gqlAs(url, null, REPORT, { filter, groupBy });
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
    return { code: result.errors![0].extensions?.code, message: result.errors![0].message };
  };

  beforeAll(async () => {
    sales = await buildSalesSubgraph({ database: await openSalesDatabase(backend.targets().sales), ...owners.deps });
    url = await sales.listen(0);
    const sell = async (input: Record<string, unknown>) => {
      const result = await gqlAs(url, 'till-1', RECORD_SALE, { input: { paymentMethod: 'CARD', ...input } });
      expect(result.data!.recordSale.userErrors).toEqual([]);
    };
    // order | location | UTC               | local                  | lines                                | revenue | campaign
    // O1    | Oslo     | 2026-01-11 22:30  | Sun 11 Jan 23:30       | sofa ×1                              | 1000.00 |
    // O2    | Oslo     | 2026-01-11 23:30  | Mon 12 Jan 00:30       | sofa ×1 (−100.00), lamp ×2           | 1000.00 | yes
    // O3    | New York | 2026-01-12 04:30  | Sun 11 Jan 23:30       | lamp ×3                              |  150.00 | yes
    // O4    | New York | 2026-01-12 05:30  | Mon 12 Jan 00:30       | sofa ×1, lamp ×1 (−5.00)             | 1045.00 |
    // O5    | Oslo     | 2026-01-31 23:15  | Sun  1 Feb 00:15       | lamp ×1                              |   50.00 |
    // O6    | New York | 2026-02-01 03:00  | Sat 31 Jan 22:00       | sofa ×1                              | 1000.00 |
    await sell({ locationId: oslo, orderedAt: '2026-01-11T22:30:00Z', lines: [{ sku: sofa, quantity: 1 }] });
    await sell({ locationId: oslo, orderedAt: '2026-01-11T23:30:00Z', campaignId: campaign, lines: [{ sku: sofa, quantity: 1, discount: '100.00' }, { sku: lamp, quantity: 2 }] });
    await sell({ locationId: newYork, orderedAt: '2026-01-12T04:30:00Z', campaignId: campaign, lines: [{ sku: lamp, quantity: 3 }] });
    await sell({ locationId: newYork, orderedAt: '2026-01-12T05:30:00Z', lines: [{ sku: sofa, quantity: 1 }, { sku: lamp, quantity: 1, discount: '5.00' }] });
    await sell({ locationId: oslo, orderedAt: '2026-01-31T23:15:00Z', lines: [{ sku: lamp, quantity: 1 }] });
    await sell({ locationId: newYork, orderedAt: '2026-02-01T03:00:00Z', lines: [{ sku: sofa, quantity: 1 }] });
  });
  afterAll(async () => {
    await sales?.stop();
    await backend.cleanup();
  });

  const ALL_SIX: Metrics = [6, 11, '4245.00', '105.00', '707.50'];

  it('groups by location and local ISO week: an order at 00:30 on a Monday is in the new week in its own zone, whatever the UTC date', async () => {
    const answer = await report(['LOCATION', 'WEEK']);
    expect(answer.rows).toEqual(byLocation([
      row({ location: { id: oslo }, week: '2026-01-05' }, [1, 1, '1000.00', '0.00', '1000.00']),
      row({ location: { id: oslo }, week: '2026-01-12' }, [1, 3, '1000.00', '100.00', '1000.00']),
      row({ location: { id: oslo }, week: '2026-01-26' }, [1, 1, '50.00', '0.00', '50.00']),
      row({ location: { id: newYork }, week: '2026-01-05' }, [1, 3, '150.00', '0.00', '150.00']),
      row({ location: { id: newYork }, week: '2026-01-12' }, [1, 2, '1045.00', '5.00', '1045.00']),
      row({ location: { id: newYork }, week: '2026-01-26' }, [1, 1, '1000.00', '0.00', '1000.00']),
    ]));
    expect(answer.totals).toEqual(metrics(ALL_SIX));
    expect(answer).toMatchObject({ source: 'ROLLUP', ...JANUARY_AND_FEBRUARY });
    expect(Math.abs(Date.parse(answer.asOf) - Date.now())).toBeLessThan(60_000);
  });

  it('groups by local day and by local month across both zones', async () => {
    expect((await report(['DAY'])).rows).toEqual([
      row({ day: '2026-01-11' }, [2, 4, '1150.00', '0.00', '575.00']),
      row({ day: '2026-01-12' }, [2, 5, '2045.00', '105.00', '1022.50']),
      row({ day: '2026-01-31' }, [1, 1, '1000.00', '0.00', '1000.00']),
      row({ day: '2026-02-01' }, [1, 1, '50.00', '0.00', '50.00']),
    ]);
    const byMonth = await report(['MONTH']);
    expect(byMonth.rows).toEqual([
      row({ month: '2026-01-01' }, [5, 10, '4195.00', '105.00', '839.00']),
      row({ month: '2026-02-01' }, [1, 1, '50.00', '0.00', '50.00']),
    ]);
    expect(byMonth.totals).toEqual(metrics(ALL_SIX));
  });

  it("groups by the locations' region and channel as inventory tells them, rounding the average order value half up", async () => {
    expect((await report(['REGION'])).rows).toEqual([
      row({ region: 'New York' }, [3, 6, '2195.00', '5.00', '731.67']),
      row({ region: 'Oslo' }, [3, 5, '2050.00', '100.00', '683.33']),
    ]);
    expect((await report(['CHANNEL', 'LOCATION'])).rows).toEqual([
      row({ channel: 'ONLINE', location: { id: newYork } }, [3, 6, '2195.00', '5.00', '731.67']),
      row({ channel: 'STORE', location: { id: oslo } }, [3, 5, '2050.00', '100.00', '683.33']),
    ]);
  });

  it('groups by category and product from the order lines, counting an order once in the totals', async () => {
    const byCategory = await report(['CATEGORY']);
    expect(byCategory.rows).toEqual([
      row({ category: 'lighting' }, [4, 7, '345.00', '5.00', '86.25']),
      row({ category: 'sofas' }, [4, 4, '3900.00', '100.00', '975.00']),
    ]);
    expect(byCategory.totals).toEqual(metrics(ALL_SIX));
    expect(byCategory.source).toBe('ORDER_LINES');
    expect((await report(['PRODUCT'])).rows).toEqual([
      row({ product: { sku: lamp } }, [4, 7, '345.00', '5.00', '86.25']),
      row({ product: { sku: sofa } }, [4, 4, '3900.00', '100.00', '975.00']),
    ]);
  });

  it('filters by campaign, by sku, and by category and location', async () => {
    const byCampaign = await report(['LOCATION'], { ...JANUARY_AND_FEBRUARY, campaignIds: [campaign.toUpperCase()] });
    expect(byCampaign.rows).toEqual(byLocation([
      row({ location: { id: oslo } }, [1, 3, '1000.00', '100.00', '1000.00']),
      row({ location: { id: newYork } }, [1, 3, '150.00', '0.00', '150.00']),
    ]));
    expect(byCampaign.totals).toEqual(metrics([2, 6, '1150.00', '100.00', '575.00']));
    expect(byCampaign.source).toBe('ROLLUP');
    const campaignMix = await report(['CATEGORY'], { ...JANUARY_AND_FEBRUARY, campaignIds: [campaign] });
    expect(campaignMix.rows).toEqual([
      row({ category: 'lighting' }, [2, 5, '250.00', '0.00', '125.00']),
      row({ category: 'sofas' }, [1, 1, '900.00', '100.00', '900.00']),
    ]);
    expect(campaignMix.totals).toEqual(metrics([2, 6, '1150.00', '100.00', '575.00']));

    const sofas = await report(['LOCATION'], { ...JANUARY_AND_FEBRUARY, skus: [sofa] });
    expect(sofas.rows).toEqual(byLocation([
      row({ location: { id: oslo } }, [2, 2, '1900.00', '100.00', '950.00']),
      row({ location: { id: newYork } }, [2, 2, '2000.00', '0.00', '1000.00']),
    ]));
    expect(sofas.source).toBe('ORDER_LINES');

    const lampsInNewYork = await report(['MONTH'], { ...JANUARY_AND_FEBRUARY, categories: ['lighting'], locationIds: [newYork] });
    expect(lampsInNewYork.rows).toEqual([row({ month: '2026-01-01' }, [2, 4, '195.00', '5.00', '97.50'])]);

    const nothing = await report(['LOCATION'], { ...JANUARY_AND_FEBRUARY, locationIds: [] });
    expect(nothing).toMatchObject({ rows: [], totals: metrics([0, 0, '0.00', '0.00', '0.00']) });
  });

  it('agrees between the rollups and the order lines when the range cuts local days at both ends', async () => {
    // From 23:00Z on 11 Jan: midnight in Oslo (its 12 Jan is whole), 18:00 in New York (its 11 Jan
    // is cut). To 04:00Z on 1 Feb: 05:00 in Oslo (its 1 Feb is cut), 23:00 in New York (its 31 Jan
    // is cut). O1 is before the range; O3, O5 and O6 are on cut days, O2 and O4 on whole ones.
    const cut = { from: '2026-01-11T23:00:00.000Z', to: '2026-02-01T04:00:00.000Z' };
    const expected = byLocation([
      row({ location: { id: oslo }, day: '2026-01-12' }, [1, 3, '1000.00', '100.00', '1000.00']),
      row({ location: { id: oslo }, day: '2026-02-01' }, [1, 1, '50.00', '0.00', '50.00']),
      row({ location: { id: newYork }, day: '2026-01-11' }, [1, 3, '150.00', '0.00', '150.00']),
      row({ location: { id: newYork }, day: '2026-01-12' }, [1, 2, '1045.00', '5.00', '1045.00']),
      row({ location: { id: newYork }, day: '2026-01-31' }, [1, 1, '1000.00', '0.00', '1000.00']),
    ]);
    const fromRollups = await report(['LOCATION', 'DAY'], cut);
    const fromLines = await report(['LOCATION', 'DAY'], { ...cut, categories: ['sofas', 'lighting'] });
    expect([fromRollups.source, fromLines.source]).toEqual(['ROLLUP', 'ORDER_LINES']);
    for (const answer of [fromRollups, fromLines]) {
      expect(answer.rows).toEqual(expected);
      expect(answer.totals).toEqual(metrics([5, 10, '3245.00', '105.00', '649.00']));
    }
  });

  it('reads only the orders when the range is shorter than a day and a half', async () => {
    // 22:00Z to 05:00Z: O1 (Oslo 11 Jan), O2 (Oslo 12 Jan) and O3 (New York 11 Jan); O4 is at 05:30Z.
    const answer = await report(['DAY'], { from: '2026-01-11T22:00:00Z', to: '2026-01-12T05:00:00Z' });
    expect(answer.rows).toEqual([
      row({ day: '2026-01-11' }, [2, 4, '1150.00', '0.00', '575.00']),
      row({ day: '2026-01-12' }, [1, 3, '1000.00', '100.00', '1000.00']),
    ]);
  });

  it('rounds the average order value half up: 10.01 over 2 orders is 5.01', async () => {
    const store = owners.location({ timezone: 'UTC' });
    const cheap = owners.product('RPT-CENT', '0.01', 'misc');
    const ten = owners.product('RPT-TEN', '10.00', 'misc');
    for (const sku of [cheap, ten]) {
      const result = await gqlAs(url, null, RECORD_SALE, { input: { locationId: store, paymentMethod: 'CASH', orderedAt: '2026-03-10T12:00:00Z', lines: [{ sku, quantity: 1 }] } });
      expect(result.data!.recordSale.userErrors).toEqual([]);
    }
    const answer = await report(['LOCATION'], { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', locationIds: [store] });
    expect(answer.totals).toEqual(metrics([2, 2, '10.01', '0.00', '5.01']));
  });

  it('refuses an empty or repeated groupBy, from not before to, a range over 1,096 days and ids that are not ids', async () => {
    expect(await refusal([])).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('at least one dimension') });
    expect(await refusal(['DAY', 'LOCATION', 'DAY'])).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('DAY more than once') });
    expect(await refusal(['DAY'], { from: '2026-02-01T00:00:00Z', to: '2026-02-01T00:00:00Z' })).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('must be before to') });
    expect(await refusal(['MONTH'], { from: '2020-01-01T00:00:00Z', to: '2023-01-02T00:00:01Z' })).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('longer than 1,096 days') });
    expect(await refusal(['DAY'], { locationIds: ['store-7'] })).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('"store-7"') });
  });

  it('refuses a report of more than 20,000 rows, naming the cap', async () => {
    // 21 locations × 1,000 days of rollups, written directly, in years no other test reads.
    const ids = Array.from({ length: 21 }, () => randomUUID());
    await sales.database.withConnection((sql) =>
      sql.query(`INSERT INTO sales_daily_rollups (location_id, local_date, timezone, order_count, unit_count, revenue, discount)
        SELECT id, date '2010-01-01' + day, 'UTC', 1, 1, 1, 0 FROM unnest($1::uuid[]) AS id, generate_series(0, 999) AS day`, [ids]),
    );
    try {
      const within = await report(['LOCATION', 'MONTH'], { from: '2010-01-01T00:00:00Z', to: '2012-09-27T00:00:00Z' });
      expect(within.totals.orderCount).toBe(21_000);
      expect(await refusal(['LOCATION', 'DAY'], { from: '2010-01-01T00:00:00Z', to: '2012-09-27T00:00:00Z' })).toEqual({
        code: 'BAD_USER_INPUT',
        message: expect.stringContaining('more than 20,000 rows'),
      });
    } finally {
      await sales.database.withConnection((sql) => sql.query(`DELETE FROM sales_daily_rollups WHERE location_id = ANY($1::uuid[])`, [ids]));
    }
  });

  it('rebuilds from the orders exactly the rollups the confirmations kept', async () => {
    const snapshot = () =>
      sales.database.withConnection(async (sql) => ({
        days: (await sql.query(`SELECT location_id::text, local_date::text, timezone, order_count, unit_count::text, revenue::text, discount::text
          FROM sales_daily_rollups ORDER BY 1, 2, 3`)).rows,
        campaigns: (await sql.query(`SELECT campaign_id::text, location_id::text, local_date::text, timezone, order_count, unit_count::text, revenue::text, discount::text
          FROM sales_daily_campaign_rollups ORDER BY 1, 2, 3, 4`)).rows,
      }));
    const kept = await snapshot();
    // The scenario's six location-days (Oslo 11 and 12 Jan and 1 Feb, New York 11, 12 and 31 Jan)
    // and the rounding test's; the campaign's two (Oslo 12 Jan, New York 11 Jan).
    expect(kept.days).toHaveLength(7);
    expect(kept.campaigns).toHaveLength(2);
    await sales.database.withConnection(async (sql) => {
      await sql.query('BEGIN');
      await rebuildSalesRollups(sql);
      await sql.query('COMMIT');
    });
    expect(await snapshot()).toEqual(kept);
  });

  it('counts no order before `from` when the local midnight is ambiguous (Havana falls back from 01:00 to 00:00 on 2 November 2025)', async () => {
    // Havana's 2 November starts at 04:00Z (00:00 at UTC−4) and its hour from 00:00 repeats at
    // 05:00Z (UTC−5). An order at 04:30Z is on 2 November, 15 minutes before `from` (04:45Z): the
    // day is not whole, so only the order at 12:00Z counts.
    const havana = owners.location({ timezone: 'America/Havana', region: 'La Habana' });
    for (const orderedAt of ['2025-11-02T04:30:00Z', '2025-11-02T12:00:00Z']) {
      const result = await gqlAs(url, null, RECORD_SALE, { input: { locationId: havana, paymentMethod: 'CASH', orderedAt, lines: [{ sku: lamp, quantity: 1 }] } });
      expect(result.data!.recordSale.userErrors).toEqual([]);
    }
    const range = { from: '2025-11-02T04:45:00Z', to: '2025-11-20T00:00:00Z', locationIds: [havana] };
    const expected = [row({ day: '2025-11-02' }, [1, 1, '50.00', '0.00', '50.00'])];
    const fromRollups = await report(['DAY'], range);
    const fromLines = await report(['DAY'], { ...range, categories: ['lighting'] });
    expect([fromRollups.source, fromLines.source]).toEqual(['ROLLUP', 'ORDER_LINES']);
    for (const answer of [fromRollups, fromLines]) {
      expect(answer.rows).toEqual(expected);
      expect(answer.totals).toEqual(metrics([1, 1, '50.00', '0.00', '50.00']));
    }
  });

  it('matches categories in any case and spacing, as inventory stores (lower case) and filters them', async () => {
    const answer = await report(['CATEGORY'], { ...JANUARY_AND_FEBRUARY, categories: [' Lighting'] });
    expect(answer.rows).toEqual([row({ category: 'lighting' }, [4, 7, '345.00', '5.00', '86.25'])]);
  });

  it('refuses from or to in years no date arithmetic covers with BAD_USER_INPUT, not an internal error', async () => {
    for (const range of [{ from: '0000-06-01T00:00:00Z', to: '0001-01-01T00:00:00Z' }, { from: '9999-06-01T00:00:00Z', to: '9999-12-31T23:00:00Z' }]) {
      expect(await refusal(['DAY'], range)).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('must lie between 1900-01-01 and 9998-12-31') });
    }
  });
});
