import type { SqlExecutor } from './sql';

export interface SeededDatabases {
  inventory: SqlExecutor;
  sales: SqlExecutor;
  marketing: SqlExecutor;
}

export interface InvariantReport {
  /** One line per broken rule, naming it and how many rows break it. */
  failures: string[];
  stats: Record<string, number | string>;
}

/** Rules checked inside one database: each query counts the rows that break it. */
const INVENTORY_RULES: Record<string, string> = {
  // Movements carry a state: on-hand moves with AVAILABLE ones; committed, incoming and damaged
  // stock keep ledgers of their own.
  'on_hand equals the sum of its movements': `
    SELECT count(*) AS n FROM inventory_levels l
    LEFT JOIN (SELECT location_id, sku, sum(delta) AS total FROM stock_movements WHERE state = 'AVAILABLE' GROUP BY 1, 2) m USING (location_id, sku)
    WHERE l.on_hand <> COALESCE(m.total, 0)`,
  'every movement belongs to a level': `
    SELECT count(*) AS n FROM (SELECT DISTINCT location_id, sku FROM stock_movements) m
    LEFT JOIN inventory_levels l USING (location_id, sku) WHERE l.sku IS NULL`,
  'quantity_after is the running total of its state in id order': `
    SELECT count(*) AS n FROM (
      SELECT quantity_after, sum(delta) OVER (PARTITION BY location_id, sku, state ORDER BY id) AS running FROM stock_movements) x
    WHERE quantity_after <> running`,
  'quantity_after is never negative': 'SELECT count(*) AS n FROM stock_movements WHERE quantity_after < 0',
  'each level starts with RECEIVED before its first sale': `
    SELECT count(*) AS n FROM (
      SELECT (array_agg(reason ORDER BY id))[1] AS first_reason, (array_agg(occurred_at ORDER BY id))[1] AS first_at,
             min(occurred_at) FILTER (WHERE reason = 'SALE') AS first_sale
      FROM stock_movements GROUP BY location_id, sku) x
    WHERE first_reason <> 'RECEIVED' OR first_at >= first_sale`,
  'occurred_at never goes back within a level': `
    SELECT count(*) AS n FROM (
      SELECT occurred_at < lag(occurred_at) OVER (PARTITION BY location_id, sku ORDER BY id) AS back FROM stock_movements) x
    WHERE back`,
  'exactly one ONLINE location': "SELECT abs(count(*) - 1) AS n FROM locations WHERE kind = 'ONLINE'",
};

const SALES_RULES: Record<string, string> = {
  'order totals equal the sum of their lines, 1-4 distinct skus': `
    SELECT count(*) AS n FROM sales_orders o
    LEFT JOIN (
      SELECT order_id, sum(quantity * unit_price) AS subtotal, sum(discount) AS discount, sum(line_total) AS total,
             sum(quantity) AS units, count(*) AS lines, count(DISTINCT sku) AS skus
      FROM sales_order_lines GROUP BY order_id) l ON l.order_id = o.id
    WHERE l.order_id IS NULL OR o.subtotal <> l.subtotal OR o.discount_total <> l.discount OR o.total_amount <> l.total
       OR o.total_amount <> o.subtotal - o.discount_total OR o.unit_count <> l.units OR l.lines <> l.skus OR l.lines NOT BETWEEN 1 AND 4`,
  'line_total = quantity * unit_price - discount, 0 <= discount <= gross': `
    SELECT count(*) AS n FROM sales_order_lines
    WHERE line_total <> quantity * unit_price - discount OR discount < 0 OR discount > quantity * unit_price`,
  'lines copy location_id, ordered_at, location_timezone and campaign_id from their order': `
    SELECT count(*) AS n FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id
    WHERE l.location_id <> o.location_id OR l.ordered_at <> o.ordered_at OR l.location_timezone <> o.location_timezone
       OR l.campaign_id IS DISTINCT FROM o.campaign_id`,
  'orders are CONFIRMED with a seed idempotency key and no rejection': `
    SELECT count(*) AS n FROM sales_orders
    WHERE status <> 'CONFIRMED' OR idempotency_key <> 'seed-' || id::text OR rejection IS NOT NULL OR request_hash !~ '^[0-9a-f]+$'`,
  'daily rollups equal a recount of the orders (salesReport reads them)': `
    SELECT count(*) AS n FROM sales_daily_rollups r
    FULL JOIN (
      SELECT location_id, (ordered_at AT TIME ZONE location_timezone)::date AS local_date, location_timezone AS timezone,
             count(*) AS order_count, sum(unit_count) AS unit_count, sum(total_amount) AS revenue, sum(discount_total) AS discount
      FROM sales_orders WHERE status = 'CONFIRMED' GROUP BY 1, 2, 3) o USING (location_id, local_date, timezone)
    WHERE r.order_count IS DISTINCT FROM o.order_count OR r.unit_count IS DISTINCT FROM o.unit_count
       OR r.revenue IS DISTINCT FROM o.revenue OR r.discount IS DISTINCT FROM o.discount`,
  'campaign daily rollups equal a recount of the orders that carry a campaign (salesReport filtered by campaign reads them)': `
    SELECT count(*) AS n FROM sales_daily_campaign_rollups r
    FULL JOIN (
      SELECT campaign_id, location_id, (ordered_at AT TIME ZONE location_timezone)::date AS local_date, location_timezone AS timezone,
             count(*) AS order_count, sum(unit_count) AS unit_count, sum(total_amount) AS revenue, sum(discount_total) AS discount
      FROM sales_orders WHERE status = 'CONFIRMED' AND campaign_id IS NOT NULL GROUP BY 1, 2, 3, 4) o USING (campaign_id, location_id, local_date, timezone)
    WHERE r.order_count IS DISTINCT FROM o.order_count OR r.unit_count IS DISTINCT FROM o.unit_count
       OR r.revenue IS DISTINCT FROM o.revenue OR r.discount IS DISTINCT FROM o.discount`,
};

const MARKETING_RULES: Record<string, string> = {
  'campaign statuses agree with their dates': `
    SELECT count(*) AS n FROM campaigns WHERE
      (status = 'COMPLETED' AND (ends_at IS NULL OR ends_at > $1)) OR (status = 'SCHEDULED' AND starts_at <= $1)
      OR (status = 'ACTIVE' AND (starts_at > $1 OR ends_at <= $1))`,
};

async function applyRules(db: SqlExecutor, rules: Record<string, string>, failures: string[], params: unknown[] = []): Promise<void> {
  for (const [rule, sql] of Object.entries(rules)) {
    const broken = Number((await db.query(sql, sql.includes('$1') ? params : undefined)).rows[0].n);
    if (broken) failures.push(`${rule}: ${broken} rows break it`);
  }
}

/** "a|b" keys from a two-column query. */
async function pairs(db: SqlExecutor, sql: string): Promise<Set<string>> {
  const { rows } = await db.query(sql);
  return new Set(rows.map((row) => `${row.a}|${row.b}`));
}

/**
 * Checks what the seed promises, inside each database and across them (the subgraphs may live
 * in different databases, so cross-checks compare query results in JS). `until` is the end of
 * the seeded history, which campaign statuses are judged against.
 */
export async function checkInvariants(db: SeededDatabases, until: Date): Promise<InvariantReport> {
  const failures: string[] = [];
  await applyRules(db.inventory, INVENTORY_RULES, failures);
  await applyRules(db.sales, SALES_RULES, failures);
  await applyRules(db.marketing, MARKETING_RULES, failures, [until.toISOString()]);

  const levels = await pairs(db.inventory, 'SELECT location_id::text AS a, sku AS b FROM inventory_levels');
  const sold = await pairs(db.sales, 'SELECT DISTINCT location_id::text AS a, sku AS b FROM sales_order_lines');
  const uncarried = [...sold].filter((key) => !levels.has(key));
  if (uncarried.length) failures.push(`order lines at a location without a level for the sku: ${uncarried.length}, e.g. ${uncarried[0]}`);

  // Same text on both sides means one SALE movement per order line with the same location, sku, quantity and time.
  const saleDigest = `md5(string_agg(ref || '|' || location_id || '|' || sku || '|' || qty || '|' || extract(epoch FROM at)::text, ',' ORDER BY ref COLLATE "C", sku COLLATE "C")) AS digest`;
  const [fromLines] = (await db.sales.query(`SELECT ${saleDigest}, count(*) AS n FROM (SELECT order_id::text AS ref, location_id, sku, quantity AS qty, ordered_at AS at FROM sales_order_lines) x`)).rows;
  const [fromLedger] = (await db.inventory.query(`SELECT ${saleDigest}, count(*) AS n FROM (SELECT reference AS ref, location_id, sku, -delta AS qty, occurred_at AS at FROM stock_movements WHERE reason = 'SALE') x`)).rows;
  if (fromLines.digest !== fromLedger.digest) failures.push(`SALE movements do not match order lines one to one (${fromLedger.n} movements, ${fromLines.n} lines)`);

  const prices = await pairs(db.inventory, 'SELECT sku AS a, price::text AS b FROM products');
  const charged = await pairs(db.sales, 'SELECT DISTINCT sku AS a, unit_price::text AS b FROM sales_order_lines');
  const offPrice = [...charged].filter((key) => !prices.has(key));
  if (offPrice.length) failures.push(`lines not at the catalogue price: ${offPrice.length}, e.g. ${offPrice[0]}`);

  const kindOf = new Map((await db.inventory.query('SELECT id::text AS id, kind::text AS kind FROM locations')).rows.map((row) => [String(row.id), String(row.kind)]));
  const cashOnline = (await db.sales.query("SELECT DISTINCT location_id::text AS id FROM sales_orders WHERE payment_method = 'CASH'")).rows
    .filter((row) => kindOf.get(String(row.id)) === 'ONLINE');
  if (cashOnline.length) failures.push('ONLINE orders paid in CASH');
  const notSelling = (await db.sales.query('SELECT DISTINCT location_id::text AS id FROM sales_orders')).rows
    .filter((row) => !['STORE', 'ONLINE'].includes(kindOf.get(String(row.id)) ?? ''));
  if (notSelling.length) failures.push(`orders at locations that are not stores or online: ${notSelling.length}`);

  const campaigns = new Map((await db.marketing.query('SELECT id::text AS id, status::text AS status, starts_at, ends_at, target_location_ids::text[] AS targets FROM campaigns')).rows
    .map((row) => [String(row.id), row]));
  const attributed = (await db.sales.query(`
    SELECT campaign_id::text AS campaign, location_id::text AS location, min(ordered_at) AS first, max(ordered_at) AS last, count(*) AS n
    FROM sales_orders WHERE campaign_id IS NOT NULL GROUP BY 1, 2`)).rows;
  for (const row of attributed) {
    const campaign = campaigns.get(String(row.campaign));
    if (!campaign) {
      failures.push(`orders name campaign ${row.campaign}, which does not exist`);
      continue;
    }
    const targets = (campaign.targets as string[] | null) ?? [];
    const inWindow = new Date(campaign.starts_at as string) <= new Date(row.first as string)
      && (campaign.ends_at === null || new Date(row.last as string) < new Date(campaign.ends_at as string));
    if (!inWindow || (targets.length && !targets.includes(String(row.location))) || ['DRAFT', 'SCHEDULED'].includes(String(campaign.status))) {
      failures.push(`${row.n} orders at ${row.location} attributed to campaign ${row.campaign} outside its window, targets or status`);
    }
  }

  const [orderStats] = (await db.sales.query(`
    SELECT count(*) AS orders, avg((customer_id IS NOT NULL)::int)::numeric(4, 3)::text AS with_customer,
           avg((campaign_id IS NOT NULL)::int)::numeric(4, 3)::text AS with_campaign, count(DISTINCT customer_id) AS customers,
           min(ordered_at)::text AS first_order, max(ordered_at)::text AS last_order FROM sales_orders`)).rows;
  const [levelStats] = (await db.inventory.query(`
    SELECT count(*) AS levels, count(*) FILTER (WHERE on_hand <= reorder_point) AS at_or_below_reorder_point,
           count(*) FILTER (WHERE on_hand = 0) AS at_zero FROM inventory_levels`)).rows;
  const stats: Record<string, number | string> = {};
  for (const [key, value] of Object.entries({ ...orderStats, ...levelStats })) {
    // pg returns counts as strings, PGlite as numbers.
    const count = typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
    stats[key] = count ? Number(value) : String(value);
  }
  return { failures, stats };
}
