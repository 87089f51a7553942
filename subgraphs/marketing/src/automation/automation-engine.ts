import Decimal from 'decimal.js';
import { logger, outboxEvent, recordEvents, uuidv7, type EventEnvelope, type OutboxEvent } from '@joinery/core';
import type { AutomationRule, CampaignStatus, Prisma, RfmSegment } from '../generated/prisma/client';
import {
  CAMPAIGN_STATUS_CHANGED,
  ORDER_CONFIRMED,
  ORDER_RETURNED,
  readOrderConfirmed,
  readOrderReturned,
  readStockChanged,
  RULE_FIRED,
  STOCK_CHANGED,
  STORE_TASK_CREATED,
  type OrderConfirmedFacts,
} from './automation-events';
import { periodStart } from './milestone-period';
import type { WebhookDeliveryRequest } from '../webhooks/enqueue';

/** A webhook the SEND_WEBHOOK action asks to deliver; `eventId` is the firing's id, so a receiver can drop repeats. */
export type WebhookRequest = WebhookDeliveryRequest;

export interface AutomationEngineDeps {
  /**
   * Queues a webhook delivery in the caller's transaction (the webhooks module's
   * `enqueueWebhookDelivery`); null when the endpoint takes none (unknown or deleted).
   */
  enqueueWebhook(tx: Prisma.TransactionClient, request: WebhookRequest): Promise<{ deliveryId: string } | null>;
}

/** What a rule saw when it fired: stored in the firing's detail and sent with its webhook. Decimals as text. */
export type TriggerFacts = { kind: AutomationRule['triggerKind'] } & Record<string, string | number | null>;

interface Firing {
  id: string;
  firedAt: Date;
  crossingKey: string;
  trigger: TriggerFacts;
  /** Where the event happened: a CREATE_TASK rule with no location of its own puts its task there. */
  locationId: string | null;
}

interface ActionOutcome {
  detail: Record<string, unknown>;
  webhookDeliveryId?: string | null;
  events: OutboxEvent[];
}

/** One rule's milestone counter for one period across a batch of orders. */
interface MilestoneWalk {
  ruleId: string;
  /** The rule's trigger revision as this batch read it: its counts go to that revision's counter. */
  revision: number;
  start: Date;
  /** What the batch adds. */
  added: Decimal;
  /** The value before the next order of the batch. */
  before: Decimal;
  /** Each order's increment, by event id. */
  increments: Map<string, Decimal>;
  /** A firing was claimed for it in this batch. */
  fired?: boolean;
}

interface CustomerTotals {
  orders: number;
  spend: Decimal;
}

/** A customer an RFM segment refresh found newly in a segment (subgraphs/marketing/src/segments). */
export interface SegmentEntry {
  customerId: string;
  /** The segmentation's location; null: overall. */
  locationId: string | null;
  segment: RfmSegment;
  /** Null: not in the previous snapshot (no order in that scope then). */
  previousSegment: RfmSegment | null;
  recencyDays: number;
  frequency: number;
  monetary: string;
  /** R, F and M scores as three digits, e.g. "545". */
  score: string;
  asOf: Date;
}

/**
 * Evaluates the automation rules on the events marketing consumes (docs/automation.md). `handle`
 * runs inside the consumer's transaction, which also records the event as processed; every effect
 * here (counters, firings, tasks, campaign changes, outbox events, webhook deliveries) commits or
 * rolls back with it. A firing is unique per (rule, crossing), so no crossing fires a rule twice,
 * even when events are replayed.
 */
export class AutomationEngine {
  constructor(private readonly deps: AutomationEngineDeps) {}

  async handle(tx: Prisma.TransactionClient, event: EventEnvelope): Promise<void> {
    await this.handleBatch(tx, [event]);
  }

  /**
   * Handles events read together, in order, in the caller's transaction. The rules are read once
   * for the batch: most events (stock changes that cross nothing) then cost no query at all.
   */
  async handleBatch(tx: Prisma.TransactionClient, events: EventEnvelope[]): Promise<void> {
    const relevant = events.filter((event) => event.type === STOCK_CHANGED || event.type === ORDER_CONFIRMED || event.type === ORDER_RETURNED);
    if (!relevant.length) return;
    const rules = await tx.automationRule.findMany({ where: { deletedAt: null }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    // Consecutive orders are counted together: one statement for their customers, one for their milestones.
    const orders: { event: EventEnvelope; live: AutomationRule[] }[] = [];
    for (const event of relevant) {
      const occurredAt = new Date(event.occurredAt);
      if (Number.isNaN(occurredAt.getTime())) {
        skipped(event, 'occurredAt is not a date');
        continue;
      }
      const live = rules.filter((rule) => rule.activeSince <= occurredAt);
      if (event.type === ORDER_CONFIRMED) {
        orders.push({ event, live });
        continue;
      }
      if (orders.length) await this.onOrdersConfirmed(tx, orders.splice(0));
      if (event.type === STOCK_CHANGED) await this.onStockChanged(tx, event, live);
      else await this.onOrderReturned(tx, event);
    }
    if (orders.length) await this.onOrdersConfirmed(tx, orders);
  }

  /**
   * Forgets the state derived from events, so re-handling them rebuilds it: milestone counters and
   * customer stats. Rules, firings and store tasks stay: they are history, and the firings keep a
   * replay from firing any crossing again.
   */
  async reset(tx: Prisma.TransactionClient): Promise<void> {
    await tx.milestoneCounter.deleteMany({});
    await tx.customerStats.deleteMany({});
  }

  /** `live`: the rules not deleted and active at the event's time, oldest first. */
  private async onStockChanged(tx: Prisma.TransactionClient, event: EventEnvelope, live: AutomationRule[]): Promise<void> {
    const stock = readStockChanged(event.payload);
    if (!stock) return skipped(event, 'payload lacks locationId, sku, available or delta');
    const rules = live.filter(
      (rule) =>
        (rule.triggerKind === 'STOCK_AT_OR_BELOW' || rule.triggerKind === 'BACK_IN_STOCK') &&
        rule.enabled &&
        (rule.triggerLocationId === null || rule.triggerLocationId.toLowerCase() === stock.locationId.toLowerCase()) &&
        (rule.triggerSku === null || rule.triggerSku === stock.sku),
    );
    const { availableBefore, available } = stock;
    for (const rule of rules) {
      const facts = { locationId: stock.locationId, sku: stock.sku, availableBefore, available };
      let trigger: TriggerFacts | null = null;
      if (rule.triggerKind === 'STOCK_AT_OR_BELOW' && rule.threshold) {
        const threshold = rule.threshold.toNumber();
        if (availableBefore > threshold && available <= threshold) trigger = { kind: rule.triggerKind, ...facts, threshold };
      } else if (rule.triggerKind === 'BACK_IN_STOCK' && availableBefore <= 0 && available > 0) {
        trigger = { kind: rule.triggerKind, ...facts };
      }
      if (trigger) await this.fire(tx, rule, event, { crossingKey: `stock:${stock.locationId}:${stock.sku}:${event.id}`, trigger, locationId: stock.locationId });
    }
  }

  /**
   * Orders in the order they came: customers' totals and milestone counters are updated with one
   * statement each for all of them, then each order is walked through with running totals, so a
   * segment entry or a milestone fires on the very order that crossed it.
   */
  private async onOrdersConfirmed(tx: Prisma.TransactionClient, events: { event: EventEnvelope; live: AutomationRule[] }[]): Promise<void> {
    const orders: { event: EventEnvelope; order: OrderConfirmedFacts; rules: AutomationRule[] }[] = [];
    for (const { event, live } of events) {
      const order = readOrderConfirmed(event.payload, event.occurredAt);
      if (!order) {
        skipped(event, 'payload lacks orderId, locationId, totalAmount, unitCount or lines');
        continue;
      }
      // RFM segment rules are fired by segment refreshes (onSegmentEntries), not by orders.
      const rules = live.filter(
        (rule) =>
          (rule.triggerKind === 'SALES_MILESTONE' || (rule.triggerKind === 'CUSTOMER_ENTERS_SEGMENT' && rule.rfmSegment === null)) &&
          (rule.triggerLocationId === null || rule.triggerLocationId.toLowerCase() === order.locationId.toLowerCase()),
      );
      orders.push({ event, order, rules });
    }
    if (!orders.length) return;
    const customers = await this.countCustomerOrders(tx, orders.map(({ order }) => order));
    const counters = await this.countMilestones(tx, orders);
    for (const { event, order, rules } of orders) {
      const customer = order.customerId ? customers.get(order.customerId)!.next(order) : null;
      for (const rule of rules) {
        if (rule.triggerKind === 'SALES_MILESTONE') await this.checkMilestone(tx, rule, event, order, counters);
        else if (rule.enabled && customer && order.customerId) await this.checkSegment(tx, rule, event, order, customer);
      }
    }
  }

  /**
   * Adds the orders to their customers' totals in one statement. Returns, per customer, a walker
   * that gives the totals before and after each of its orders in turn.
   */
  private async countCustomerOrders(tx: Prisma.TransactionClient, orders: OrderConfirmedFacts[]): Promise<Map<string, { next(order: OrderConfirmedFacts): { before: CustomerTotals; after: CustomerTotals } }>> {
    const batch = new Map<string, { orders: number; spend: Decimal; first: Date; last: Date }>();
    for (const order of orders) {
      if (!order.customerId) continue;
      const seen = batch.get(order.customerId);
      if (!seen) batch.set(order.customerId, { orders: 1, spend: new Decimal(order.totalAmount), first: order.orderedAt, last: order.orderedAt });
      else {
        seen.orders += 1;
        seen.spend = seen.spend.plus(order.totalAmount);
        if (order.orderedAt < seen.first) seen.first = order.orderedAt;
        if (order.orderedAt > seen.last) seen.last = order.orderedAt;
      }
    }
    const walkers = new Map<string, { next(order: OrderConfirmedFacts): { before: CustomerTotals; after: CustomerTotals } }>();
    if (!batch.size) return walkers;
    // Rows are locked in array order: sorted, two members' batches cannot deadlock on them.
    const ids = [...batch.keys()].sort();
    const rows = await tx.$queryRaw<{ customer_id: string; order_count: number; lifetime_spend: string }[]>`
      INSERT INTO automation_customer_stats (customer_id, order_count, lifetime_spend, first_order_at, last_order_at)
      SELECT * FROM unnest(
        ${ids}::text[],
        ${ids.map((id) => batch.get(id)!.orders)}::int[],
        ${ids.map((id) => batch.get(id)!.spend.toFixed(2))}::numeric[],
        ${ids.map((id) => batch.get(id)!.first.toISOString())}::timestamptz[],
        ${ids.map((id) => batch.get(id)!.last.toISOString())}::timestamptz[])
      ON CONFLICT (customer_id) DO UPDATE SET
        order_count = automation_customer_stats.order_count + EXCLUDED.order_count,
        lifetime_spend = automation_customer_stats.lifetime_spend + EXCLUDED.lifetime_spend,
        first_order_at = LEAST(automation_customer_stats.first_order_at, EXCLUDED.first_order_at),
        last_order_at = GREATEST(automation_customer_stats.last_order_at, EXCLUDED.last_order_at),
        updated_at = CURRENT_TIMESTAMP
      RETURNING customer_id, order_count, lifetime_spend::text AS lifetime_spend`;
    for (const row of rows) {
      const added = batch.get(row.customer_id)!;
      let running: CustomerTotals = { orders: Number(row.order_count) - added.orders, spend: new Decimal(row.lifetime_spend).minus(added.spend) };
      walkers.set(row.customer_id, {
        next(order) {
          const before = running;
          running = { orders: before.orders + 1, spend: before.spend.plus(order.totalAmount) };
          return { before, after: running };
        },
      });
    }
    return walkers;
  }

  /**
   * Adds the orders to the milestone counters of the rules they count for (disabled rules keep
   * counting, so enabling one mid-period sees the whole period), in one statement. Returns each
   * (rule, period)'s value before the batch and its increments per order.
   */
  private async countMilestones(tx: Prisma.TransactionClient, orders: { event: EventEnvelope; order: OrderConfirmedFacts; rules: AutomationRule[] }[]): Promise<Map<string, MilestoneWalk>> {
    const walks = new Map<string, MilestoneWalk>();
    for (const { event, order, rules } of orders) {
      for (const rule of rules) {
        if (rule.triggerKind !== 'SALES_MILESTONE' || !rule.metric || !rule.period || !rule.threshold) continue;
        const increment = milestoneIncrement(rule, order);
        if (!increment) continue;
        const start = periodStart(order.orderedAt, rule.period);
        const key = `${rule.id}|${start.toISOString()}`;
        const walk = walks.get(key) ?? { ruleId: rule.id, revision: rule.triggerRevision, start, added: new Decimal(0), before: new Decimal(0), increments: new Map<string, Decimal>() };
        walk.added = walk.added.plus(increment);
        walk.increments.set(event.id, increment);
        walks.set(key, walk);
      }
    }
    if (!walks.size) return walks;
    // Sorted for the same reason as customers' rows: a fixed lock order.
    const entries = [...walks.values()].sort((a, b) => (a.ruleId === b.ruleId ? a.start.getTime() - b.start.getTime() : a.ruleId < b.ruleId ? -1 : 1));
    const rows = await tx.$queryRaw<{ rule_id: string; period_start: Date; value: string }[]>`
      INSERT INTO automation_milestone_counters (rule_id, trigger_revision, period_start, value)
      SELECT * FROM unnest(${entries.map((walk) => walk.ruleId)}::uuid[], ${entries.map((walk) => walk.revision)}::int[], ${entries.map((walk) => walk.start.toISOString())}::timestamptz[], ${entries.map((walk) => walk.added.toFixed(2))}::numeric[])
      ON CONFLICT (rule_id, trigger_revision, period_start) DO UPDATE
        SET value = automation_milestone_counters.value + EXCLUDED.value, updated_at = CURRENT_TIMESTAMP
      RETURNING rule_id::text AS rule_id, period_start, value::text AS value`;
    for (const row of rows) {
      const walk = walks.get(`${row.rule_id}|${new Date(row.period_start).toISOString()}`)!;
      walk.before = new Decimal(row.value).minus(walk.added);
    }
    return walks;
  }

  /** Fires an enabled milestone rule on the order that brings its period to the threshold (or the first one over it). */
  private async checkMilestone(tx: Prisma.TransactionClient, rule: AutomationRule, event: EventEnvelope, order: OrderConfirmedFacts, walks: Map<string, MilestoneWalk>): Promise<void> {
    if (!rule.metric || !rule.period || !rule.threshold) return;
    const start = periodStart(order.orderedAt, rule.period);
    const walk = walks.get(`${rule.id}|${start.toISOString()}`);
    const increment = walk?.increments.get(event.id);
    if (!walk || !increment) return;
    const value = walk.before.plus(increment);
    walk.before = value;
    const threshold = new Decimal(rule.threshold.toString());
    if (!rule.enabled || value.lessThan(threshold) || walk.fired) return;
    walk.fired = true; // later orders of this batch would only find the crossing claimed
    const trigger: TriggerFacts = {
      kind: rule.triggerKind,
      metric: rule.metric,
      period: rule.period,
      periodStart: start.toISOString(),
      locationId: rule.triggerLocationId,
      sku: rule.triggerSku,
      threshold: amount(rule.metric, threshold),
      value: amount(rule.metric, value),
      orderId: order.orderId,
    };
    await this.fire(tx, rule, event, { crossingKey: `r${rule.triggerRevision}:${rule.period}:${start.toISOString()}`, trigger, locationId: order.locationId });
  }

  /**
   * A refund takes back lifetime spend (never below 0); the order still counts. A customer who drops
   * out of a segment this way does not fire its rule again on re-entering: one firing per customer.
   * Milestones are not reduced: a period that reached its threshold has fired.
   */
  private async onOrderReturned(tx: Prisma.TransactionClient, event: EventEnvelope): Promise<void> {
    const refund = readOrderReturned(event.payload);
    if (!refund) return skipped(event, 'payload lacks refundTotal');
    if (!refund.customerId) return;
    await tx.$executeRaw`
      UPDATE automation_customer_stats
      SET lifetime_spend = GREATEST(lifetime_spend - ${refund.refundTotal}::numeric, 0), updated_at = CURRENT_TIMESTAMP
      WHERE customer_id = ${refund.customerId}`;
  }

  private async checkSegment(
    tx: Prisma.TransactionClient,
    rule: AutomationRule,
    event: EventEnvelope,
    order: OrderConfirmedFacts,
    customer: { before: CustomerTotals; after: CustomerTotals },
  ): Promise<void> {
    const meets = (totals: CustomerTotals) =>
      (rule.minOrders == null || totals.orders >= rule.minOrders) && (rule.minLifetimeSpend == null || totals.spend.greaterThanOrEqualTo(rule.minLifetimeSpend.toString()));
    if (meets(customer.before) || !meets(customer.after)) return;
    const trigger: TriggerFacts = {
      kind: rule.triggerKind,
      customerId: order.customerId,
      segmentName: rule.segmentName,
      minOrders: rule.minOrders,
      minLifetimeSpend: rule.minLifetimeSpend?.toFixed(2) ?? null,
      orders: customer.after.orders,
      lifetimeSpend: customer.after.spend.toFixed(2),
      orderId: order.orderId,
    };
    await this.fire(tx, rule, event, { crossingKey: `r${rule.triggerRevision}:customer:${order.customerId}`, trigger, locationId: order.locationId });
  }

  /**
   * RFM rules (CUSTOMER_ENTERS_SEGMENT with rfmSegment): a segment refresh, in its transaction,
   * found each entry's customer newly in the rule's segment. `event` is the refresh's
   * `marketing.customer_segments_refreshed`; one firing per (rule, customer, refresh). Returns how
   * many fired.
   */
  async onSegmentEntries(tx: Prisma.TransactionClient, event: EventEnvelope, entries: { rule: AutomationRule; entry: SegmentEntry }[]): Promise<number> {
    let fired = 0;
    for (const { rule, entry } of entries) {
      const trigger: TriggerFacts = {
        kind: rule.triggerKind,
        customerId: entry.customerId,
        segmentName: rule.segmentName,
        rfmSegment: entry.segment,
        previousSegment: entry.previousSegment,
        locationId: entry.locationId,
        recencyDays: entry.recencyDays,
        frequency: entry.frequency,
        monetary: entry.monetary,
        rfmScore: entry.score,
        asOf: entry.asOf.toISOString(),
      };
      if (await this.fire(tx, rule, event, { crossingKey: `r${rule.triggerRevision}:rfm:${entry.customerId}:${event.id}`, trigger, locationId: entry.locationId })) fired += 1;
    }
    return fired;
  }

  /** Claims the crossing for the rule, runs the action and records what happened; a crossing already claimed does nothing (false). */
  private async fire(tx: Prisma.TransactionClient, rule: AutomationRule, event: EventEnvelope, crossing: Omit<Firing, 'id' | 'firedAt'>): Promise<boolean> {
    const firing: Firing = { id: uuidv7(), firedAt: new Date(), ...crossing };
    const claimed = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO rule_firings (id, rule_id, crossing_key, event_id, event_type, fired_at, detail)
      VALUES (${firing.id}::uuid, ${rule.id}::uuid, ${firing.crossingKey}, ${event.id}::uuid, ${event.type}, ${firing.firedAt.toISOString()}::timestamptz, ${JSON.stringify({ trigger: firing.trigger })}::jsonb)
      ON CONFLICT (rule_id, crossing_key) DO NOTHING
      RETURNING id`;
    if (!claimed.length) return false;
    const outcome = await this.act(tx, rule, event, firing);
    await tx.ruleFiring.update({ where: { id: firing.id }, data: { detail: { trigger: firing.trigger, action: outcome.detail } as Prisma.InputJsonObject, webhookDeliveryId: outcome.webhookDeliveryId ?? null } });
    const fired = outboxEvent(RULE_FIRED, rule.id, {
      firingId: firing.id,
      ruleId: rule.id,
      ruleName: rule.name,
      triggerKind: rule.triggerKind,
      actionKind: rule.actionKind,
      eventId: event.id,
      eventType: event.type,
      trigger: firing.trigger,
      action: outcome.detail,
    });
    await recordEvents(tx, [fired, ...outcome.events]);
    return true;
  }

  private async act(tx: Prisma.TransactionClient, rule: AutomationRule, event: EventEnvelope, firing: Firing): Promise<ActionOutcome> {
    switch (rule.actionKind) {
      case 'SEND_WEBHOOK':
        return this.sendWebhook(tx, rule, event, firing);
      case 'CREATE_TASK':
        return createTask(tx, rule, firing);
      case 'START_CAMPAIGN':
        return setCampaignStatus(tx, rule, firing, 'ACTIVE');
      case 'PAUSE_CAMPAIGN':
        return setCampaignStatus(tx, rule, firing, 'PAUSED');
    }
  }

  private async sendWebhook(tx: Prisma.TransactionClient, rule: AutomationRule, event: EventEnvelope, firing: Firing): Promise<ActionOutcome> {
    const endpointId = rule.webhookEndpointId!;
    const eventType = `automation.${rule.triggerKind.toLowerCase()}`;
    const queued = await this.deps.enqueueWebhook(tx, {
      endpointId,
      eventId: firing.id,
      eventType,
      occurredAt: event.occurredAt,
      data: {
        rule: { id: rule.id, name: rule.name },
        trigger: firing.trigger,
        firing: { id: firing.id, firedAt: firing.firedAt.toISOString() },
        // The triggering event by reference only: its payload (a customer, every order line) is not sent to third parties.
        event: { id: event.id, type: event.type, occurredAt: event.occurredAt, aggregate: event.aggregate },
      },
    });
    const detail = { kind: rule.actionKind, endpointId, eventType, deliveryId: queued?.deliveryId ?? null, ...(queued ? {} : { note: `endpoint ${endpointId} took no delivery (unknown or deleted)` }) };
    return { detail, webhookDeliveryId: queued?.deliveryId ?? null, events: [] };
  }
}

function milestoneIncrement(rule: AutomationRule, order: OrderConfirmedFacts): Decimal | null {
  const lines = rule.triggerSku ? order.lines.filter((line) => line.sku === rule.triggerSku) : null;
  if (lines && !lines.length) return null;
  switch (rule.metric) {
    case 'REVENUE':
      return lines ? lines.reduce((sum, line) => sum.plus(line.lineTotal), new Decimal(0)) : new Decimal(order.totalAmount);
    case 'UNITS':
      return new Decimal(lines ? lines.reduce((sum, line) => sum + line.quantity, 0) : order.unitCount);
    case 'ORDERS':
      return new Decimal(1);
    default:
      return null;
  }
}

const amount = (metric: string, value: Decimal) => (metric === 'REVENUE' ? value.toFixed(2) : value.toFixed(0));

async function createTask(tx: Prisma.TransactionClient, rule: AutomationRule, firing: Firing): Promise<ActionOutcome> {
  const locationId = rule.actionLocationId ?? firing.locationId;
  if (!locationId) return { detail: { kind: rule.actionKind, taskId: null, note: 'no location for the task' }, events: [] };
  const task = await tx.storeTask.create({
    data: { id: uuidv7(), locationId, title: rule.taskTitle ?? rule.name, detail: describe(firing.trigger), ruleId: rule.id, firingId: firing.id },
  });
  const created = outboxEvent(STORE_TASK_CREATED, task.id, { taskId: task.id, locationId, title: task.title, detail: task.detail, ruleId: rule.id, firingId: firing.id });
  return { detail: { kind: rule.actionKind, taskId: task.id, locationId }, events: [created] };
}

async function setCampaignStatus(tx: Prisma.TransactionClient, rule: AutomationRule, firing: Firing, status: CampaignStatus): Promise<ActionOutcome> {
  const campaignId = rule.campaignId!;
  const [campaign] = await tx.$queryRaw<{ status: CampaignStatus }[]>`SELECT status::text AS status FROM campaigns WHERE id = ${campaignId}::uuid FOR UPDATE`;
  const base = { kind: rule.actionKind, campaignId };
  if (!campaign) return { detail: { ...base, changed: false, note: `no campaign with id ${campaignId}` }, events: [] };
  // A completed campaign has run its course: automation never brings it back or pauses it.
  if (campaign.status === 'COMPLETED') return { detail: { ...base, changed: false, status: 'COMPLETED', note: 'campaign is COMPLETED; left as it is' }, events: [] };
  if (campaign.status === status) return { detail: { ...base, changed: false, status, note: `campaign was already ${status}` }, events: [] };
  await tx.campaign.update({ where: { id: campaignId }, data: { status, updatedAt: new Date() } });
  const changed = outboxEvent(CAMPAIGN_STATUS_CHANGED, campaignId, { campaignId, previousStatus: campaign.status, status, ruleId: rule.id, firingId: firing.id });
  return { detail: { ...base, changed: true, previousStatus: campaign.status, status }, events: [changed] };
}

/** One line for the people in the store. */
function describe(trigger: TriggerFacts): string {
  switch (trigger.kind) {
    case 'STOCK_AT_OR_BELOW':
      return `Available stock of ${trigger.sku} at location ${trigger.locationId} fell from ${trigger.availableBefore} to ${trigger.available} (threshold ${trigger.threshold}).`;
    case 'BACK_IN_STOCK':
      return `${trigger.sku} is back in stock at location ${trigger.locationId}: ${trigger.available} available.`;
    case 'SALES_MILESTONE':
      return `${trigger.metric} for the ${String(trigger.period).toLowerCase()} from ${trigger.periodStart} reached ${trigger.value} (threshold ${trigger.threshold}).`;
    case 'CUSTOMER_ENTERS_SEGMENT':
      if (trigger.rfmSegment) {
        const where = trigger.locationId ? `at location ${trigger.locationId}` : 'overall';
        return `Customer ${trigger.customerId} entered RFM segment ${trigger.rfmSegment} ${where} (scores ${trigger.rfmScore}: ${trigger.recencyDays} days since the last order, ${trigger.frequency} orders, ${trigger.monetary} spent).`;
      }
      return `Customer ${trigger.customerId} entered ${trigger.segmentName ?? 'the segment'}: ${trigger.orders} orders, lifetime spend ${trigger.lifetimeSpend}.`;
  }
}

function skipped(event: EventEnvelope, reason: string): void {
  logger('marketing').warn({ eventId: event.id, eventType: event.type, reason }, 'automation skipped an event it cannot read');
}
