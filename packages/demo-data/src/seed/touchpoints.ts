import { randomBytes } from 'node:crypto';
import type { Brand } from './brand';
import { DAY_MS, HOUR_MS } from './calendar';
import type { Campaign, CampaignChannel, Order } from './model';
import { deriveSeed, Rng } from './prng';
import { inTransaction, insertColumns, Pipeline, toColumns, type ColumnSpec, type SqlExecutor } from './sql';

export type TouchpointType = 'EMAIL_OPEN' | 'EMAIL_CLICK' | 'FORM_SUBMISSION' | 'AD_CLICK' | 'STORE_VISIT';

/** An engagement a platform reported for a customer, shaped like marketing's `touchpoints` table. */
export interface Touchpoint {
  id: string;
  /** The sender's event id: unique within the seed's engagement source. */
  externalId: string;
  customerId: string;
  /** null: a direct touch (no campaign), which attribution leaves unattributed. */
  campaignId: string | null;
  type: TouchpointType;
  occurredAt: Date;
  url: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
}

/** Share of orders with a known customer whose customer was touched before buying. */
const TOUCHED_SHARE = 0.3;
/** Touches before one order (1-5) and how often each count occurs. */
const TOUCH_COUNTS: [number[], number[]] = [[1, 2, 3, 4, 5], [35, 27, 18, 12, 8]];
/**
 * Touches fall up to this many days before the order: a few beyond the default 30-day lookback,
 * so the window visibly matters.
 */
const SPREAD_DAYS = 36;
/** Chance that the touch closest to an order carrying a campaign id is that campaign's. */
const LAST_TOUCH_IS_ORDER_CAMPAIGN = 0.7;
/** Chance that any other touch comes from a campaign running then (else it is direct). */
const CAMPAIGN_TOUCH = 0.7;
const SHOP = 'https://shop.joinery.example';

interface ChannelTouch {
  types: [TouchpointType[], number[]];
  utmSource: string[];
  utmMedium: string | null;
}

/** What a touch from each campaign channel looks like when the platform reports it. */
const BY_CHANNEL: Record<CampaignChannel, ChannelTouch> = {
  EMAIL: { types: [['EMAIL_OPEN', 'EMAIL_CLICK'], [60, 40]], utmSource: ['newsletter'], utmMedium: 'email' },
  SMS: { types: [['EMAIL_CLICK'], [1]], utmSource: ['sms'], utmMedium: 'sms' },
  SOCIAL: { types: [['AD_CLICK'], [1]], utmSource: ['facebook', 'instagram', 'pinterest'], utmMedium: 'paid_social' },
  SEARCH: { types: [['AD_CLICK'], [1]], utmSource: ['google', 'bing'], utmMedium: 'cpc' },
  DISPLAY: { types: [['AD_CLICK'], [1]], utmSource: ['gdn', 'criteo'], utmMedium: 'display' },
  AFFILIATE: { types: [['AD_CLICK'], [1]], utmSource: ['interior-blog', 'deal-site'], utmMedium: 'affiliate' },
  PRINT: { types: [['FORM_SUBMISSION', 'STORE_VISIT'], [50, 50]], utmSource: ['catalogue'], utmMedium: 'print' },
  IN_STORE: { types: [['STORE_VISIT'], [1]], utmSource: [], utmMedium: null },
};

interface Running {
  campaign: Campaign;
  start: number;
  end: number;
  locations: Set<string> | null;
  slug: string;
}

const slugOf = (name: string) => name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/**
 * The customers' touchpoints, deterministic from the brand's seed: for about TOUCHED_SHARE of
 * the orders with a customer, 1-5 touches in the SPREAD_DAYS before the order. Touches come from
 * campaigns running at the time at the order's location (email opens and clicks, ad clicks with
 * UTM parameters, store visits, catalogue forms), or are direct (no campaign: a store visit, an
 * organic search click, a transactional email). The touch closest to an order that carries a
 * campaign id is usually that campaign's, as the order's campaign came from somewhere.
 *
 * Yields touches in order of the orders they lead to (not in time order), `batchSize` at a time.
 */
export function* touchpointStream(brand: Brand, batchSize = 20_000): Generator<Touchpoint[]> {
  const rng = new Rng(deriveSeed(brand.size.seed, 'touchpoints'));
  const running: Running[] = brand.campaigns
    .filter((campaign) => campaign.status === 'ACTIVE' || campaign.status === 'COMPLETED')
    .map((campaign) => ({
      campaign,
      start: campaign.startsAt.getTime(),
      end: campaign.endsAt ? campaign.endsAt.getTime() : Number.POSITIVE_INFINITY,
      locations: campaign.targetLocationIds.length ? new Set(campaign.targetLocationIds) : null,
      slug: slugOf(campaign.name),
    }));
  const byId = new Map(running.map((entry) => [entry.campaign.id, entry]));
  const kindOf = new Map(brand.locations.map((location) => [location.id, location.kind]));
  const eligible: Running[] = [];
  let sequence = 0;
  let batch: Touchpoint[] = [];

  function touch(order: Order, ms: number, source: Running | null): Touchpoint {
    sequence += 1;
    const base = { id: rng.uuid(ms), externalId: `seed-tp-${sequence}`, customerId: order.customerId!, occurredAt: new Date(ms) };
    if (!source) {
      const roll = rng.next();
      if (roll < 0.5 && kindOf.get(order.locationId) === 'STORE') {
        return { ...base, campaignId: null, type: 'STORE_VISIT', url: null, utmSource: null, utmMedium: null, utmCampaign: null };
      }
      if (roll < 0.8) return { ...base, campaignId: null, type: 'AD_CLICK', url: `${SHOP}/?utm_source=google&utm_medium=organic`, utmSource: 'google', utmMedium: 'organic', utmCampaign: null };
      return { ...base, campaignId: null, type: 'EMAIL_OPEN', url: null, utmSource: 'transactional', utmMedium: 'email', utmCampaign: null };
    }
    const channel = BY_CHANNEL[source.campaign.channel];
    const type = rng.weighted(...channel.types);
    if (type === 'STORE_VISIT' || !channel.utmMedium) {
      return { ...base, campaignId: source.campaign.id, type, url: null, utmSource: null, utmMedium: null, utmCampaign: null };
    }
    const utmSource = rng.pick(channel.utmSource);
    const withUrl = type !== 'EMAIL_OPEN';
    return {
      ...base,
      campaignId: source.campaign.id,
      type,
      url: withUrl ? `${SHOP}/?utm_source=${utmSource}&utm_medium=${channel.utmMedium}&utm_campaign=${source.slug}` : null,
      utmSource,
      utmMedium: channel.utmMedium,
      utmCampaign: source.slug,
    };
  }

  for (const orders of brand.orderBatches()) {
    for (const order of orders) {
      if (!order.customerId || !rng.chance(TOUCHED_SHARE)) continue;
      const orderMs = order.orderedAt.getTime();
      const count = rng.weighted(...TOUCH_COUNTS);
      // Ages in ms before the order, nearest first: the first one is the last touch.
      const ages: number[] = [];
      for (let i = 0; i < count; i += 1) ages.push(Math.max(5 * 60_000, Math.floor(rng.next() * SPREAD_DAYS * DAY_MS)));
      ages.sort((a, b) => a - b);
      // A store visit is the same day; an email or an ad may be weeks before.
      ages[0] = Math.min(ages[0], rng.between(0.1, 30) * HOUR_MS);
      ages.forEach((age, i) => {
        const ms = orderMs - age;
        const orderCampaign = order.campaignId ? byId.get(order.campaignId) : undefined;
        let source: Running | null = null;
        if (i === 0 && orderCampaign && orderCampaign.start <= ms && rng.chance(LAST_TOUCH_IS_ORDER_CAMPAIGN)) source = orderCampaign;
        else if (rng.chance(CAMPAIGN_TOUCH)) {
          eligible.length = 0;
          for (const entry of running) {
            if (entry.start <= ms && ms < entry.end && (!entry.locations || entry.locations.has(order.locationId))) eligible.push(entry);
          }
          if (eligible.length) source = rng.pick(eligible);
        }
        batch.push(touch(order, ms, source));
      });
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}

const TOUCHPOINT_COLUMNS: ColumnSpec[] = [
  ['id', 'uuid'], ['source_id', 'uuid'], ['external_id', 'text'], ['customer_id', 'text'], ['campaign_id', 'uuid'], ['type', 'touchpoint_type'],
  ['occurred_at', 'timestamptz'], ['url', 'text'], ['utm_source', 'text'], ['utm_medium', 'text'], ['utm_campaign', 'text'], ['received_at', 'timestamptz'],
];

/** The engagement source the seeded touchpoints came through: fixed id, so a reseed finds it. */
export const SEED_SOURCE_ID = '0190a5c0-0000-7000-8000-00000000e5ed';

/**
 * Marketing's touchpoints for the brand, through one engagement source ("Seeded engagement",
 * GENERIC) whose signing secret is random and never shown: nothing can post to it. Campaigns
 * must be loaded first (seedMarketing): touchpoints reference them. No `touchpoint_recorded`
 * events are written: consumers that need touchpoints (attribution) are rebuilt from the table.
 * A second call finds the source and adds nothing. Returns how many touchpoints it stored.
 */
export async function seedTouchpoints(sql: SqlExecutor, brand: Brand): Promise<number> {
  let count = 0;
  await inTransaction(sql, async () => {
    const { rows } = await sql.query(
      `INSERT INTO engagement_sources (id, name, provider, secret, created_at) VALUES ($1::uuid, 'Seeded engagement', 'GENERIC', $2, $3::timestamptz)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [SEED_SOURCE_ID, `whsec_${randomBytes(32).toString('base64url')}`, brand.historyStart.toISOString()],
    );
    // Already seeded (say the marketing loader and a benchmark both call this): nothing to add.
    if (!rows.length) return;
    const pipeline = new Pipeline();
    for (const touches of touchpointStream(brand)) {
      count += touches.length;
      const columns = toColumns(touches, (t) => {
        const at = t.occurredAt.toISOString();
        return [t.id, SEED_SOURCE_ID, t.externalId, t.customerId, t.campaignId, t.type, at, t.url, t.utmSource, t.utmMedium, t.utmCampaign, at];
      });
      await pipeline.send(() => insertColumns(sql, 'touchpoints', TOUCHPOINT_COLUMNS, columns));
    }
    await pipeline.drain();
    await sql.query('ANALYZE touchpoints');
  });
  return count;
}
