import { logger, replayConsumer, type EventConsumer, type EventEnvelope, type OutboxSource, type ReplayResult } from '@joinery/core';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { ORDER_CONFIRMED, ORDER_RETURNED, readOrderFact, readOrderReturn, readTouchpointId, TOUCHPOINT_RECORDED, type OrderFact, type OrderReturn } from './attribution-events';
import { clearAttribution, ordersReachedByTouchpoints, prismaRunner, rebuildAttribution, recreditOrders, type RunSql } from './attribution-store';
import { TimeZoneNames } from './attribution-time-zones';

/** The consumer group attribution reads with, and the key of its processed-event rows. */
export const ATTRIBUTION_CONSUMER = 'marketing.attribution';

/**
 * Sales' order events (the facts) and marketing's own touchpoint events: a touchpoint stored after
 * orders it precedes re-credits them when its event arrives.
 */
export const ATTRIBUTION_TOPICS = ['sales.orders', 'marketing'];

/**
 * Keeps marketing's order facts (marketing_orders, marketing_order_lines) and the precomputed
 * attribution (docs/attribution.md) from events, in the transaction that records them as processed.
 */
export function attributionConsumer(options: ApplyOptions = {}): EventConsumer<Prisma.TransactionClient> {
  const withZones = { ...options, timeZones: options.timeZones ?? new TimeZoneNames() };
  return {
    name: ATTRIBUTION_CONSUMER,
    topics: ATTRIBUTION_TOPICS,
    handle: (tx, event) => applyAttributionEvents(prismaRunner(tx), [event], withZones),
    handleBatch: (tx, events) => applyAttributionEvents(prismaRunner(tx), events, withZones),
    reset: (tx) => resetAttribution(prismaRunner(tx)),
  };
}

/**
 * `npm run replay -- --consumer marketing.attribution`: replays the recorded events keeping only
 * the order facts (one event at a time, as replay does), then computes every credit at once with
 * rebuildAttribution: far faster than re-crediting order by order, and the same result.
 */
export async function replayAttribution(options: { prisma: PrismaClient; sources: OutboxSource[]; onProgress?: (result: ReplayResult) => void }): Promise<ReplayResult> {
  const result = await replayConsumer({ db: options.prisma, consumer: attributionConsumer({ credit: false }), sources: options.sources, onProgress: options.onProgress });
  await options.prisma.$transaction((tx) => rebuildAttribution(prismaRunner(tx)), { timeout: 3_600_000 });
  return result;
}

export interface ApplyOptions {
  /** false: keep the order facts only, leaving credits to a rebuild (replay). Default true. */
  credit?: boolean;
  /** The zones PostgreSQL knows, remembered across batches. Default: asked afresh for this batch. */
  timeZones?: TimeZoneNames;
}

/**
 * Forgets what replay rebuilds: credits, rollups and refunds. Order facts stay: replaying their
 * confirmations rewrites them, and facts that have no event (the demo and benchmark seeds load
 * them directly) would otherwise be lost.
 */
export async function resetAttribution(run: RunSql): Promise<void> {
  await clearAttribution(run);
  await run(Prisma.sql`UPDATE marketing_orders SET returned_amount = 0 WHERE returned_amount <> 0`);
}

/**
 * Applies a batch: order facts first, then refunds, then the credits of every order the batch
 * confirmed or a touchpoint of it can reach. An amount beyond marketing's columns throws
 * (UnstorableEventError) and fails the batch: the consumer machinery retries the events one at a
 * time and dead-letters the bad one.
 */
export async function applyAttributionEvents(run: RunSql, events: EventEnvelope[], options: ApplyOptions = {}): Promise<void> {
  const facts: OrderFact[] = [];
  const returns: OrderReturn[] = [];
  const touchpointIds: string[] = [];
  for (const event of events) {
    if (event.type === ORDER_CONFIRMED) {
      const fact = readOrderFact(event.payload, event.occurredAt);
      if (fact) facts.push(fact);
      else skipped(event, 'payload lacks orderId, locationId, totalAmount, unitCount or lines');
    } else if (event.type === ORDER_RETURNED) {
      const refund = readOrderReturn(event.payload);
      if (refund) returns.push(refund);
      else skipped(event, 'payload lacks orderId or refundTotal');
    } else if (event.type === TOUCHPOINT_RECORDED) {
      const id = readTouchpointId(event.payload);
      if (id) touchpointIds.push(id);
      else skipped(event, 'payload lacks touchpointId');
    }
  }
  const added = await insertOrderFacts(run, facts, options.timeZones ?? new TimeZoneNames());
  if (returns.length) {
    // A return whose order is not known yet (events out of order) is not counted: see docs/attribution.md, "Limits".
    await run(Prisma.sql`
      UPDATE marketing_orders o SET returned_amount = o.returned_amount + r.amount
      FROM (SELECT order_id, sum(amount) AS amount FROM unnest(${returns.map((r) => r.orderId)}::uuid[], ${returns.map((r) => r.refundTotal)}::numeric[]) AS r(order_id, amount) GROUP BY order_id) r
      WHERE o.order_id = r.order_id`);
  }
  if (options.credit === false || (!added.length && !touchpointIds.length)) return;
  // Crediting batches one at a time (the sales.orders and marketing members run concurrently).
  // Otherwise an order batch whose credits were computed before a touchpoint was stored, and that
  // touchpoint's batch reading marketing_orders before the order committed, both miss each other
  // and the order keeps credits without the touchpoint. Taken before either reads: each statement
  // after it sees what the other batch committed. Also orders their rollup upserts (no deadlocks).
  await run(Prisma.sql`SELECT pg_advisory_xact_lock(hashtext('joinery.attribution.' || current_schema()))::text`);
  const reached = await ordersReachedByTouchpoints(run, touchpointIds);
  await recreditOrders(run, [...added, ...reached]);
}

/**
 * Writes the facts (an order confirmed again, as in a replay, is rewritten from its event; its
 * refunds stay), each zone as PostgreSQL knows it or 'UTC'; resolves with their order ids.
 */
async function insertOrderFacts(run: RunSql, facts: OrderFact[], timeZones: TimeZoneNames): Promise<string[]> {
  if (!facts.length) return [];
  const zones = await timeZones.resolve(run, facts.map((f) => f.locationTimezone));
  // One row per order: ON CONFLICT DO UPDATE may not touch a row twice in one statement.
  const byOrder = [...new Map(facts.map((f) => [f.orderId, { ...f, locationTimezone: zones.get(f.locationTimezone)! }])).values()];
  await run(Prisma.sql`
    INSERT INTO marketing_orders (order_id, location_id, location_timezone, customer_id, campaign_id, ordered_at, total_amount, discount_total, unit_count)
    SELECT * FROM unnest(
      ${byOrder.map((f) => f.orderId)}::uuid[], ${byOrder.map((f) => f.locationId)}::uuid[], ${byOrder.map((f) => f.locationTimezone)}::text[],
      ${byOrder.map((f) => f.customerId)}::text[], ${byOrder.map((f) => f.campaignId)}::uuid[], ${byOrder.map((f) => f.orderedAt)}::timestamptz[],
      ${byOrder.map((f) => f.totalAmount)}::numeric[], ${byOrder.map((f) => f.discountTotal)}::numeric[], ${byOrder.map((f) => f.unitCount)}::int[])
    ON CONFLICT (order_id) DO UPDATE SET
      location_id = excluded.location_id, location_timezone = excluded.location_timezone, customer_id = excluded.customer_id,
      campaign_id = excluded.campaign_id, ordered_at = excluded.ordered_at, total_amount = excluded.total_amount,
      discount_total = excluded.discount_total, unit_count = excluded.unit_count`);
  const ids = byOrder.map((f) => f.orderId);
  await run(Prisma.sql`DELETE FROM marketing_order_lines WHERE order_id = ANY(${ids}::uuid[])`);
  const lines = byOrder.flatMap((f) => f.lines.map((line) => ({ orderId: f.orderId, ...line })));
  if (lines.length) {
    await run(Prisma.sql`
      INSERT INTO marketing_order_lines (order_id, line_number, sku, category, quantity, line_total)
      SELECT * FROM unnest(${lines.map((l) => l.orderId)}::uuid[], ${lines.map((l) => l.lineNumber)}::int[], ${lines.map((l) => l.sku)}::text[],
        ${lines.map((l) => l.category)}::text[], ${lines.map((l) => l.quantity)}::int[], ${lines.map((l) => l.lineTotal)}::numeric[])`);
  }
  return ids;
}

function skipped(event: EventEnvelope, reason: string): void {
  logger('marketing').warn({ eventId: event.id, eventType: event.type, reason }, 'attribution skipped an event it cannot read');
}
