import { setTimeout as sleep } from 'node:timers/promises';
import { recordEvents, uuidv7 } from '@joinery/core';
import type { AutomationRule, CustomerSegmentRefresh, Prisma, PrismaClient, RfmSegment } from '../generated/prisma/client';
import type { AutomationEngine, SegmentEntry } from '../automation/automation-engine';
import { gridRows, OVERALL_SCOPE } from './rfm-grid';

/** Marketing's event for a refresh (docs/analytics.md); RFM rule firings name it as their event. */
export const CUSTOMER_SEGMENTS_REFRESHED = 'marketing.customer_segments_refreshed';

/** A refresh runs in one transaction; a few hundred thousand customers take seconds, not minutes. */
const REFRESH_TIMEOUT_MS = 10 * 60_000;
/**
 * While another instance holds the refresh lock, an on-demand refresh asks again after 50 ms,
 * doubling up to 1 s, each time in a transaction of a few ms: waiting pins no pool connection.
 */
const LOCK_POLL_FIRST_MS = 50;
const LOCK_POLL_MAX_MS = 1_000;
/** Gives up waiting for another instance's refresh after this long (a refresh takes seconds). */
const LOCK_WAIT_MS = REFRESH_TIMEOUT_MS;

export interface RefreshOptions {
  /**
   * The moment recency is counted from, and orders after it are left out. Default: the database's
   * now. For tests and replays: a refresh with asOf never answers with another refresh's snapshot.
   */
  asOf?: Date;
  /**
   * Scheduled refresh: skip (null) when this instance is already refreshing, when another instance
   * holds the refresh lock, or when the newest snapshot is younger than this. Omitted: on demand,
   * see `refresh`.
   */
  ifOlderThanMs?: number;
}

/** The refresh this instance is running: concurrent calls share it instead of queueing their own. */
interface InFlight {
  promise: Promise<CustomerSegmentRefresh | null>;
  scheduled: boolean;
}

/**
 * Takes RFM snapshots (docs/analytics.md "Customer segments (RFM)"): scores every customer with an
 * order, overall and per location, in SQL; replaces `customer_rfm` in one transaction; and fires
 * the RFM automation rules for customers it finds newly in their rule's segment, in the same
 * transaction. One refresh at a time per database: a transaction advisory lock keyed by schema.
 */
export class SegmentRefresher {
  private inFlight: InFlight | undefined;

  constructor(private readonly deps: { prisma: PrismaClient; engine: AutomationEngine }) {}

  /**
   * The new snapshot's refresh row, or null when a scheduled refresh was skipped. On demand (no
   * ifOlderThanMs) it answers with a snapshot finished after the call: the one this instance is
   * taking if any (shared by every concurrent caller: one connection, one snapshot), else the one
   * another instance is taking (polled for, see LOCK_POLL_FIRST_MS), else a new one.
   */
  refresh(options: RefreshOptions = {}): Promise<CustomerSegmentRefresh | null> {
    if (options.ifOlderThanMs != null) {
      // The refresh running here is this interval's.
      if (this.inFlight) return Promise.resolve(null);
      return this.track(true, () => this.deps.prisma.$transaction((tx) => this.refreshIn(tx, options), { timeout: REFRESH_TIMEOUT_MS, maxWait: REFRESH_TIMEOUT_MS }));
    }
    return options.asOf ? this.refreshAt(options.asOf) : this.refreshNow();
  }

  private async refreshNow(): Promise<CustomerSegmentRefresh> {
    for (;;) {
      const running = this.inFlight;
      if (!running) return (await this.track(false, () => this.whenLocked(undefined, true)))!;
      // A scheduled refresh may skip or fail without that being this call's failure: then take one.
      const result = running.scheduled ? await running.promise.catch(() => null) : await running.promise;
      if (result) return result;
    }
  }

  private async refreshAt(asOf: Date): Promise<CustomerSegmentRefresh> {
    while (this.inFlight) await this.inFlight.promise.catch(() => null);
    return (await this.track(false, () => this.whenLocked(asOf, false)))!;
  }

  /** Runs `start` as this instance's refresh in flight (set before any other call can look). */
  private track(scheduled: boolean, start: () => Promise<CustomerSegmentRefresh | null>): Promise<CustomerSegmentRefresh | null> {
    const promise = start().finally(() => {
      if (this.inFlight?.promise === promise) this.inFlight = undefined;
    });
    this.inFlight = { promise, scheduled };
    return promise;
  }

  /**
   * Takes the refresh lock, polling while another instance holds it, then refreshes. With
   * `acceptOthers`, a snapshot another instance finished after this call began is the answer.
   */
  private async whenLocked(asOf: Date | undefined, acceptOthers: boolean): Promise<CustomerSegmentRefresh> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    // The newest refresh when this call began (undefined: not read yet; null: none yet).
    let before: string | null | undefined;
    for (let delay = LOCK_POLL_FIRST_MS; ; delay = Math.min(delay * 2, LOCK_POLL_MAX_MS)) {
      const done = await this.deps.prisma.$transaction(
        async (tx) => {
          if (acceptOthers && before === undefined) before = (await newestRefresh(tx))?.id ?? null;
          if (!(await tryLock(tx))) return null;
          if (acceptOthers) {
            const newest = await newestRefresh(tx);
            if (newest && newest.id !== before) return newest;
          }
          return this.refreshIn(tx, { asOf });
        },
        { timeout: REFRESH_TIMEOUT_MS, maxWait: REFRESH_TIMEOUT_MS },
      );
      if (done) return done;
      if (Date.now() + delay > deadline) throw new Error(`customer segments: another instance has held the refresh lock for over ${LOCK_WAIT_MS / 60_000} minutes`);
      await sleep(delay);
    }
  }

  private async refreshIn(tx: Prisma.TransactionClient, options: RefreshOptions): Promise<CustomerSegmentRefresh | null> {
    const scheduled = options.ifOlderThanMs != null;
    // On demand, whenLocked took the lock in this transaction already.
    if (scheduled && !(await tryLock(tx))) return null;
    const [clock] = await tx.$queryRaw<{ now: Date; previous_as_of: Date | null }[]>`
      SELECT clock_timestamp() AS now, (SELECT max(as_of) FROM customer_segment_refreshes) AS previous_as_of`;
    const previousAsOf = clock.previous_as_of ? new Date(clock.previous_as_of) : null;
    if (scheduled && previousAsOf && new Date(clock.now).getTime() - previousAsOf.getTime() < options.ifOlderThanMs!) return null;
    const asOf = options.asOf ?? new Date(clock.now);
    const refreshId = uuidv7();
    const grid = gridRows();
    // The scoring sorts every customer three times per scope: in memory rather than on disk.
    await tx.$executeRawUnsafe(`SET LOCAL work_mem = '256MB'`);

    await tx.$executeRawUnsafe(`
      CREATE TEMP TABLE rfm_next (
        scope text COLLATE "C", customer_id text COLLATE "C", last_order_at timestamptz(3), recency_days int, frequency int, monetary numeric(16,2),
        r_score int, f_score int, m_score int, segment rfm_segment, previous_segment rfm_segment, segment_since timestamptz(3)
      ) ON COMMIT DROP`);
    // Scores: rank() orders a scope's customers from worst to best, ties sharing the lowest rank, and
    // score = least(5, 1 + floor(5 * percent_rank)), percent_rank = (rank - 1) / (n - 1) (0 when n = 1),
    // in integers so no float rounding moves a customer across a border. The best customer of a scope
    // of two or more scores 5, the worst 1; equal values get equal scores (a tie across a border takes
    // the lower one). For n a multiple of 5 and distinct values this is ntile(5)'s quintile.
    await tx.$executeRaw`
      INSERT INTO rfm_next
      WITH facts AS (
        SELECT (CASE WHEN GROUPING(location_id) = 1 THEN ${OVERALL_SCOPE} ELSE location_id::text END) COLLATE "C" AS scope,
               customer_id COLLATE "C" AS customer_id, max(ordered_at) AS last_order_at, count(*)::int AS frequency, sum(total_amount - returned_amount) AS monetary
        FROM marketing_orders
        WHERE customer_id IS NOT NULL AND ordered_at <= ${asOf}::timestamptz
        GROUP BY GROUPING SETS ((customer_id), (customer_id, location_id))
      ), valued AS (
        SELECT *, floor(extract(epoch FROM (${asOf}::timestamptz - last_order_at)) / 86400)::int AS recency_days FROM facts
      ), ranked AS (
        SELECT *,
               count(*) OVER (PARTITION BY scope) AS n,
               rank() OVER (PARTITION BY scope ORDER BY recency_days DESC) AS r_rank,
               rank() OVER (PARTITION BY scope ORDER BY frequency) AS f_rank,
               rank() OVER (PARTITION BY scope ORDER BY monetary) AS m_rank
        FROM valued
      ), scored AS (
        SELECT *,
               (CASE WHEN n = 1 THEN 1 ELSE least(5, 1 + 5 * (r_rank - 1) / (n - 1)) END)::int AS r_score,
               (CASE WHEN n = 1 THEN 1 ELSE least(5, 1 + 5 * (f_rank - 1) / (n - 1)) END)::int AS f_score,
               (CASE WHEN n = 1 THEN 1 ELSE least(5, 1 + 5 * (m_rank - 1) / (n - 1)) END)::int AS m_score
        FROM ranked
      )
      SELECT s.scope, s.customer_id, s.last_order_at, s.recency_days, s.frequency, s.monetary, s.r_score, s.f_score, s.m_score,
             grid.segment::rfm_segment, previous.segment,
             CASE WHEN previous.segment = grid.segment::rfm_segment THEN previous.segment_since ELSE ${asOf}::timestamptz END
      FROM scored AS s
      JOIN unnest(${grid.r}::int[], ${grid.fm}::int[], ${grid.segment}::text[]) AS grid(r, fm, segment)
        ON grid.r = s.r_score AND grid.fm = (s.f_score + s.m_score + 1) / 2
      LEFT JOIN customer_rfm AS previous ON previous.scope = s.scope AND previous.customer_id = s.customer_id`;

    // Entries fire only the rules that watched both snapshots: a customer already in the segment
    // when the rule was written did not enter it while the rule watched. No previous snapshot: no baseline.
    const entries = previousAsOf
      ? await tx.$queryRaw<EntryRow[]>`
          SELECT rule.id::text AS rule_id, fresh.scope, fresh.customer_id, fresh.segment::text AS segment, fresh.previous_segment::text AS previous_segment,
                 fresh.recency_days, fresh.frequency, fresh.monetary::text AS monetary, fresh.r_score, fresh.f_score, fresh.m_score
          FROM automation_rules AS rule
          JOIN rfm_next AS fresh
            ON fresh.segment = rule.rfm_segment AND fresh.previous_segment IS DISTINCT FROM fresh.segment
           AND fresh.scope = coalesce(rule.trigger_location_id::text, ${OVERALL_SCOPE})
          WHERE rule.trigger_kind = 'CUSTOMER_ENTERS_SEGMENT' AND rule.rfm_segment IS NOT NULL AND rule.enabled AND rule.deleted_at IS NULL
            AND rule.active_since <= ${previousAsOf}::timestamptz
          ORDER BY rule.created_at, rule.id, fresh.customer_id`
      : [];

    await tx.$executeRaw`DELETE FROM customer_rfm`;
    await tx.$executeRaw`
      INSERT INTO customer_rfm (scope, customer_id, refresh_id, last_order_at, recency_days, frequency, monetary, r_score, f_score, m_score, segment, segment_since)
      SELECT scope, customer_id, ${refreshId}::uuid, last_order_at, recency_days, frequency, monetary, r_score, f_score, m_score, segment, segment_since FROM rfm_next
      ORDER BY scope, customer_id`;
    await tx.$executeRaw`DELETE FROM customer_segment_stats`;
    await tx.$executeRaw`
      INSERT INTO customer_segment_stats (scope, segment, customer_count, revenue, recency_days_sum, frequency_sum)
      SELECT scope, segment, count(*), sum(monetary), sum(recency_days), sum(frequency) FROM rfm_next GROUP BY scope, segment`;
    const [counts] = await tx.$queryRaw<{ customers: number; entries: number }[]>`
      SELECT count(*) FILTER (WHERE scope = ${OVERALL_SCOPE})::int AS customers, count(*)::int AS entries FROM rfm_next`;

    // The refresh's event is recorded first: the firings name it, as other firings name the event that fired them.
    const event = { id: refreshId, type: CUSTOMER_SEGMENTS_REFRESHED, aggregate: refreshId, occurredAt: asOf.toISOString(), recordedAt: new Date().toISOString(), version: 1 };
    const payload = { refreshId, asOf: asOf.toISOString(), previousAsOf: previousAsOf?.toISOString() ?? null, customerCount: Number(counts.customers), entryCount: Number(counts.entries) };
    await recordEvents(tx, [{ id: refreshId, type: CUSTOMER_SEGMENTS_REFRESHED, aggregate: refreshId, payload }]);
    // The rules are read again after the snapshot was written (seconds at scale): one disabled,
    // deleted or given another trigger meanwhile must not fire with what it watched before.
    const rules = await this.rulesOf(tx, entries);
    const firable = entries.flatMap((row) => {
      const rule = rules.get(row.rule_id);
      return rule && stillWatches(rule, row, previousAsOf!) ? [{ rule, entry: toEntry(row, asOf) }] : [];
    });
    const firingCount = await this.deps.engine.onSegmentEntries(tx, { ...event, payload }, firable);
    return tx.customerSegmentRefresh.create({
      data: { id: refreshId, asOf, finishedAt: new Date(), customerCount: Number(counts.customers), entryCount: Number(counts.entries), firingCount },
    });
  }

  private async rulesOf(tx: Prisma.TransactionClient, entries: EntryRow[]): Promise<Map<string, AutomationRule>> {
    const ids = [...new Set(entries.map((row) => row.rule_id))];
    const rules = ids.length ? await tx.automationRule.findMany({ where: { id: { in: ids } } }) : [];
    return new Map(rules.map((rule) => [rule.id, rule]));
  }
}

/** The refresh lock, held until the transaction ends; false when another session holds it. */
async function tryLock(tx: Prisma.TransactionClient): Promise<boolean> {
  const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext('joinery.segments.' || current_schema())) AS locked`;
  return locked;
}

async function newestRefresh(tx: Prisma.TransactionClient): Promise<CustomerSegmentRefresh | null> {
  return tx.customerSegmentRefresh.findFirst({ orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }] });
}

interface EntryRow {
  rule_id: string;
  scope: string;
  customer_id: string;
  segment: RfmSegment;
  previous_segment: RfmSegment | null;
  recency_days: number;
  frequency: number;
  monetary: string;
  r_score: number;
  f_score: number;
  m_score: number;
}

/** The entries query's conditions, on the rule as it is now. */
function stillWatches(rule: AutomationRule, row: EntryRow, previousAsOf: Date): boolean {
  return (
    rule.enabled && rule.deletedAt === null && rule.triggerKind === 'CUSTOMER_ENTERS_SEGMENT' && rule.rfmSegment === row.segment &&
    (rule.triggerLocationId?.toLowerCase() ?? OVERALL_SCOPE) === row.scope && rule.activeSince <= previousAsOf
  );
}

function toEntry(row: EntryRow, asOf: Date): SegmentEntry {
  return {
    customerId: row.customer_id,
    locationId: row.scope === OVERALL_SCOPE ? null : row.scope,
    segment: row.segment,
    previousSegment: row.previous_segment,
    recencyDays: Number(row.recency_days),
    frequency: Number(row.frequency),
    monetary: row.monetary,
    score: `${row.r_score}${row.f_score}${row.m_score}`,
    asOf,
  };
}
