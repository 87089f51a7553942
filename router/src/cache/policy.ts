/**
 * What the response cache may keep, and what makes a kept answer wrong. An operation is cached
 * only when every field it selects is described here: its root fields are in
 * CACHEABLE_ROOT_FIELDS, and below them it stays inside their own report types or reads the
 * listed fields of the entities in CACHED_ENTITY_FIELDS (cacheability.ts walks the selection).
 * A report row's `location { inventory … }` is another subgraph's live data that none of the
 * report's events describe, so such an operation is not cached at all.
 *
 * Every root field and entity type is a "subject" with a generation: an answer is served only
 * while the generations of all its subjects are those it was stored at. A subject's generation
 * moves when one of its `events` reaches the router, when one of its `mutations` runs through
 * it, and (for data another service derives from events) once more `DERIVED_SETTLE_MS` after
 * one of its `derivedFrom` events. `policy.test.ts` checks every name here against the
 * supergraph and docs/events.md.
 */
export interface Invalidation {
  /** Event types published in the transaction that changes the data (docs/events.md). */
  events: readonly string[];
  /**
   * Root mutation fields that change the data, applied by the router that ran them once they
   * answer: changes that publish no event (catalogue edits, spend), and the caller's own writes
   * without waiting for the event.
   */
  mutations: readonly string[];
  /** Events that a consumer of another service turns into this data later, in its own transaction. */
  derivedFrom?: readonly string[];
}

export interface CacheableRootField extends Invalidation {
  /** Fields of an entity allowed under this root beyond CACHED_ENTITY_FIELDS (the root's own data on that entity). */
  entityFields?: Readonly<Record<string, readonly string[]>>;
}

export interface CachedEntity extends Invalidation {
  /** Fields that may be read through a cached report: the entity's own facts, changed only as listed. */
  fields: readonly string[];
}

const CATALOGUE_MUTATIONS = ['createLocation', 'updateLocation', 'createProduct', 'updateProduct'] as const;
const STOCK_MUTATIONS = ['adjustInventory', 'setInventory', 'changeInventoryState', 'createTransfer', 'shipTransfer', 'receiveTransfer', 'cancelTransfer', 'recordSale', 'returnSaleLines'] as const;

/**
 * Inventory analytics read the levels, the movement ledger and the stock value rollup, all
 * written with `inventory.stock_changed`; values use the current catalogue price, and groups the
 * current category, region and kind, which change without an event.
 */
const INVENTORY_REPORT: CacheableRootField = { events: ['inventory.stock_changed'], mutations: [...STOCK_MUTATIONS, ...CATALOGUE_MUTATIONS] };

/**
 * Attribution figures are computed by marketing's `marketing.attribution` consumer from sales'
 * order events and touchpoints (docs/attribution.md); a touchpoint is visible to LIVE answers at
 * once. Spend and campaigns change through mutations only.
 */
const ATTRIBUTION: Invalidation = {
  events: ['marketing.touchpoint_recorded'],
  derivedFrom: ['sales.order_confirmed', 'sales.order_returned', 'marketing.touchpoint_recorded'],
  mutations: ['recordCampaignSpend', 'createCampaign', 'updateCampaign'],
};

/** RFM answers come from the newest snapshot, written with its `customer_segments_refreshed` event. */
const SEGMENTS: CacheableRootField = { events: ['marketing.customer_segments_refreshed'], mutations: ['refreshCustomerSegments'] };

export const CACHEABLE_ROOT_FIELDS: Readonly<Record<string, CacheableRootField>> = {
  // Rollups kept in the confirming transaction; returns are not deducted; region and channel are the locations' current ones.
  salesReport: { events: ['sales.order_confirmed'], mutations: ['recordSale', 'createLocation', 'updateLocation'] },
  inventoryStockValue: INVENTORY_REPORT,
  inventorySellThrough: INVENTORY_REPORT,
  inventoryDaysOfSupply: INVENTORY_REPORT,
  inventoryStockOuts: INVENTORY_REPORT,
  inventorySlowMovers: INVENTORY_REPORT,
  campaignComparison: ATTRIBUTION,
  // A campaign with its performance: the campaign's own facts and its attribution.
  campaign: {
    events: [...ATTRIBUTION.events, 'marketing.campaign_status_changed'],
    derivedFrom: ATTRIBUTION.derivedFrom,
    mutations: ATTRIBUTION.mutations,
    entityFields: { Campaign: ['performance'] },
  },
  customerSegments: SEGMENTS,
  segmentCustomers: SEGMENTS,
};

export const CACHED_ENTITY_FIELDS: Readonly<Record<string, CachedEntity>> = {
  Location: { fields: ['id', 'code', 'name', 'kind', 'address', 'timezone', 'createdAt'], events: [], mutations: ['createLocation', 'updateLocation'] },
  Product: { fields: ['sku', 'name', 'category', 'price', 'description', 'createdAt'], events: [], mutations: ['createProduct', 'updateProduct'] },
  Campaign: {
    fields: ['id', 'name', 'channel', 'status', 'startsAt', 'endsAt', 'budget', 'targetSegments', 'createdAt'],
    events: ['marketing.campaign_status_changed'],
    mutations: ['createCampaign', 'updateCampaign'],
  },
};

/** The bus topic each event type is published on (docs/events.md). */
export const EVENT_TOPICS: Readonly<Record<string, string>> = {
  'inventory.stock_changed': 'inventory.stock',
  'sales.order_confirmed': 'sales.orders',
  'sales.order_returned': 'sales.orders',
  'marketing.touchpoint_recorded': 'marketing',
  'marketing.campaign_status_changed': 'marketing',
  'marketing.customer_segments_refreshed': 'marketing',
};

/**
 * How long after a `derivedFrom` event its subjects are invalidated once more: the time the
 * deriving consumer normally needs to apply it. An answer cached in between, before the consumer
 * caught up, lives until then (or, should the consumer lag longer, until the TTL).
 */
export const DERIVED_SETTLE_MS = 5_000;

const ALL_SUBJECTS: [string, Invalidation][] = [...Object.entries(CACHEABLE_ROOT_FIELDS), ...Object.entries(CACHED_ENTITY_FIELDS)];

/** Subjects whose data an event of `type` changes now. */
export function subjectsChangedBy(type: string): string[] {
  return ALL_SUBJECTS.filter(([, rule]) => rule.events.includes(type)).map(([subject]) => subject);
}

/** Subjects whose data a consumer elsewhere derives from an event of `type`, a little later. */
export function subjectsDerivedFrom(type: string): string[] {
  return ALL_SUBJECTS.filter(([, rule]) => rule.derivedFrom?.includes(type)).map(([subject]) => subject);
}

/** Subjects whose data a root mutation field changes. */
export function subjectsMutatedBy(field: string): string[] {
  return ALL_SUBJECTS.filter(([, rule]) => rule.mutations.includes(field)).map(([subject]) => subject);
}

/** The topics to listen on for every event the policy names. */
export function invalidationTopics(): string[] {
  const types = ALL_SUBJECTS.flatMap(([, rule]) => [...rule.events, ...(rule.derivedFrom ?? [])]);
  return [...new Set(types.map((type) => EVENT_TOPICS[type]!))];
}
