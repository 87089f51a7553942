import type { Brand } from './brand';
import { seedOrderFacts } from './load-order-facts';
import { formatCents } from './money';
import { arrayLiteral, inTransaction, type SqlExecutor } from './sql';
import { seedTouchpoints } from './touchpoints';

/** Rows per statement; 11 parameters each stays far below PostgreSQL's 65,535. */
const BATCH = 1_000;

/**
 * Campaigns and the order facts marketing keeps (load-order-facts.ts), in one transaction. Multi-row VALUES rather than unnest: the target lists are
 * arrays themselves, which unnest would flatten, and a brand has only a handful of campaigns.
 */
export async function seedMarketing(sql: SqlExecutor, brand: Brand): Promise<void> {
  await inTransaction(sql, async () => {
    for (let start = 0; start < brand.campaigns.length; start += BATCH) {
      const campaigns = brand.campaigns.slice(start, start + BATCH);
      const params: unknown[] = [];
      const rows = campaigns.map((c) => {
        const values = [
          c.id, c.name, c.channel, c.status, c.startsAt.toISOString(), c.endsAt?.toISOString() ?? null, formatCents(c.budgetCents),
          arrayLiteral(c.targetLocationIds), arrayLiteral(c.targetSkus), c.createdAt.toISOString(), c.createdAt.toISOString(),
        ];
        const casts = ['uuid', 'text', 'campaign_channel', 'campaign_status', 'timestamptz', 'timestamptz', 'numeric', 'uuid[]', 'text[]', 'timestamptz', 'timestamptz'];
        const placeholders = values.map((value, i) => `$${params.push(value)}::${casts[i]}`);
        return `(${placeholders.join(', ')})`;
      });
      await sql.query(
        `INSERT INTO campaigns (id, name, channel, status, starts_at, ends_at, budget, target_location_ids, target_skus, created_at, updated_at) VALUES ${rows.join(', ')}`,
        params,
      );
    }
    await sql.query('ANALYZE campaigns');
    await seedOrderFacts(sql, brand);
    await seedSpend(sql, brand);
  });
  // Customers' engagement before their orders, so attribution models have paths to tell apart.
  await seedTouchpoints(sql, brand);
}

/**
 * Every campaign that has started spends its budget evenly over its days (to its end, or to the end
 * of the history when it has none), one entry per day until the history ends, so ROAS and ROI
 * have a spend to divide by.
 */
async function seedSpend(sql: SqlExecutor, brand: Brand): Promise<void> {
  await sql.query(
    `INSERT INTO campaign_spend_entries (id, campaign_id, spend_date, amount, recorded_at)
     SELECT gen_random_uuid(), c.id, day::date, round(c.budget / greatest(1, coalesce(c.ends_at, $1::timestamptz)::date - c.starts_at::date), 2), $1::timestamptz
     FROM campaigns AS c
     CROSS JOIN LATERAL generate_series(c.starts_at::date, least(coalesce(c.ends_at, $1::timestamptz), $1::timestamptz)::date - 1, interval '1 day') AS day
     WHERE c.status NOT IN ('DRAFT', 'SCHEDULED') AND c.starts_at < $1::timestamptz`,
    [brand.size.until.toISOString()],
  );
}
