/**
 * The automation engine on hand-made events, inside a transaction as the consumer runs it: each
 * trigger fires once per crossing, scoped by location and sku, and each action has its effect.
 */
import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { uuidv7, type Database, type EventEnvelope, type InventoryDirectory } from '@joinery/core';
import { backends } from '@joinery/core/testing';
import { PrismaClient, type AutomationRule, type Prisma } from '../generated/prisma/client';
import { openMarketingDatabase } from '../server';
import { AutomationEngine, type WebhookRequest } from './automation-engine';
import { AutomationService, type CreateAutomationRuleInput } from './automation-service';
import type { AutomationActionInput, AutomationTriggerInput } from './rule-input';
import { webhookPayload } from '../webhooks/providers';

const KNOWN_LOCATIONS = new Set<string>();

/** Inventory as the graph answers: every location a test made up exists, and every sku but NO-SUCH-SKU. */
const inventory: InventoryDirectory = {
  async lookup({ locationIds = [], skus = [] }) {
    return { missingLocations: locationIds.filter((id) => !KNOWN_LOCATIONS.has(id)), prices: new Map(skus.filter((sku) => sku !== 'NO-SUCH-SKU').map((sku) => [sku, '10.00'])) };
  },
};

function newLocation(): string {
  const id = randomUUID();
  KNOWN_LOCATIONS.add(id);
  return id;
}

function envelope(type: string, payload: Record<string, unknown>, id = uuidv7()): EventEnvelope {
  const now = new Date().toISOString();
  return { id, type, version: 1, aggregate: String(payload.locationId), occurredAt: now, recordedAt: now, payload };
}

/** A stock change from `before` to `after` available units, as inventory writes it. */
function stockChanged(locationId: string, sku: string, before: number, after: number, extra: Record<string, unknown> = {}): EventEnvelope {
  return envelope('inventory.stock_changed', {
    movementId: '1', locationId, sku, delta: after - before, onHand: after, available: after, reorderPoint: 0, reason: 'RECOUNT', reference: null, ...extra,
  });
}

interface OrderInput {
  locationId: string;
  customerId?: string | null;
  orderedAt?: string;
  lines: { sku: string; quantity: number; lineTotal: string }[];
}

function orderConfirmed(order: OrderInput): EventEnvelope {
  const totalAmount = order.lines.reduce((sum, line) => sum.plus(line.lineTotal), new Decimal(0)).toFixed(2);
  return envelope('sales.order_confirmed', {
    orderId: randomUUID(),
    locationId: order.locationId,
    customerId: order.customerId ?? null,
    campaignId: null,
    orderedAt: order.orderedAt ?? new Date().toISOString(),
    totalAmount,
    unitCount: order.lines.reduce((sum, line) => sum + line.quantity, 0),
    lines: order.lines.map((line) => ({ ...line, unitPrice: new Decimal(line.lineTotal).dividedBy(line.quantity).toFixed(2) })),
  });
}

const decimal = (value: string | number) => new Decimal(value);

/** The transaction as it was, except that it reads `rules`: a consumer that read them before a concurrent edit. */
function rulesAsRead(tx: Prisma.TransactionClient, rules: AutomationRule[]): Prisma.TransactionClient {
  return new Proxy(tx, {
    get(target, property) {
      if (property === 'automationRule') return { ...target.automationRule, findMany: async () => rules };
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe.each(backends())('automation engine on $name', (backend) => {
  let database: Database;
  let prisma: PrismaClient;
  let rules: AutomationService;
  let webhooks: WebhookRequest[];
  let webhookAnswer: (request: WebhookRequest) => { deliveryId: string } | null;
  let engine: AutomationEngine;

  const handle = (event: EventEnvelope) => prisma.$transaction((tx) => engine.handle(tx, event));

  async function createRule(trigger: AutomationTriggerInput, action: AutomationActionInput, extra: Partial<CreateAutomationRuleInput> = {}) {
    // A rule may only name an endpoint that exists: the engine's webhooks go to the fake enqueueWebhook below anyway.
    if (action.webhookEndpointId) {
      await prisma.webhookEndpoint.upsert({ where: { id: action.webhookEndpointId }, create: { id: action.webhookEndpointId, name: 'CRM', provider: 'GENERIC', url: 'https://crm.example/hooks', secret: 'whsec_test' }, update: {} });
    }
    return (await rules.create({ name: `${trigger.kind} → ${action.kind}`, trigger, action, ...extra })).automationRule;
  }
  const webhookTo = (): AutomationActionInput => ({ kind: 'SEND_WEBHOOK', webhookEndpointId: randomUUID() });
  const firings = (ruleId: string) => prisma.ruleFiring.findMany({ where: { ruleId }, orderBy: [{ firedAt: 'asc' }, { id: 'asc' }] });
  const outbox = async (type: string) => (await prisma.outboxEvent.findMany({ where: { type }, orderBy: { seq: 'asc' } })).map((row) => row.payload as Record<string, any>);
  const campaign = (status: 'DRAFT' | 'ACTIVE' | 'COMPLETED') =>
    prisma.campaign.create({ data: { id: uuidv7(), name: `Campaign ${status}`, channel: 'EMAIL', status, startsAt: new Date('2026-01-01T00:00:00Z'), budget: '100.00', targetLocationIds: [], targetSkus: [] } });

  beforeAll(async () => {
    database = await openMarketingDatabase(backend.targets().marketing);
    prisma = new PrismaClient({ adapter: database.adapter });
    rules = new AutomationService(prisma, inventory, 'maria@joinery.test');
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.close();
    await backend.cleanup();
  });
  beforeEach(() => {
    webhooks = [];
    webhookAnswer = () => ({ deliveryId: uuidv7() });
    engine = new AutomationEngine({
      async enqueueWebhook(_tx, request) {
        webhooks.push(request);
        return webhookAnswer(request);
      },
    });
  });

  describe('STOCK_AT_OR_BELOW', () => {
    it('fires once when available crosses to the threshold, not again while below, and again after going back above', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, sku: 'OAK-TBL-180', threshold: decimal(5) }, webhookTo());
      const crossing = stockChanged(oslo, 'OAK-TBL-180', 7, 5);
      for (const event of [stockChanged(oslo, 'OAK-TBL-180', 10, 7), crossing, stockChanged(oslo, 'OAK-TBL-180', 5, 3), stockChanged(oslo, 'OAK-TBL-180', 3, 0)]) await handle(event);
      expect(await firings(rule.id)).toHaveLength(1);

      const refill = stockChanged(oslo, 'OAK-TBL-180', 0, 8);
      const again = stockChanged(oslo, 'OAK-TBL-180', 8, 4);
      await handle(refill);
      await handle(again);
      const fired = await firings(rule.id);
      expect(fired.map((firing) => firing.eventId)).toEqual([crossing.id, again.id]);
      expect(fired[0].detail).toMatchObject({ trigger: { kind: 'STOCK_AT_OR_BELOW', locationId: oslo, sku: 'OAK-TBL-180', availableBefore: 7, available: 5, threshold: 5 } });
      expect(await outbox('marketing.rule_fired')).toEqual(expect.arrayContaining(fired.map((firing) => expect.objectContaining({ firingId: firing.id, ruleId: rule.id, eventId: firing.eventId }))));
    });

    it('never fires a rule twice for one crossing, even when the same event is handled again', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, threshold: decimal(0) }, webhookTo());
      const soldOut = stockChanged(oslo, 'FJORD-SOFA-3', 1, 0);
      await handle(soldOut);
      await handle(soldOut);
      expect(await firings(rule.id)).toHaveLength(1);
      expect(webhooks).toHaveLength(1);
    });

    it('fires only for its location and its sku', async () => {
      const [oslo, bergen] = [newLocation(), newLocation()];
      const osloOnly = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, threshold: decimal(2) }, webhookTo());
      const chairEverywhere = await createRule({ kind: 'STOCK_AT_OR_BELOW', sku: 'ASH-CHAIR-7', threshold: decimal(2) }, webhookTo());
      await handle(stockChanged(bergen, 'BIRCH-SHELF', 5, 1));
      expect(await firings(osloOnly.id)).toHaveLength(0);
      expect(await firings(chairEverywhere.id)).toHaveLength(0);

      await handle(stockChanged(oslo, 'BIRCH-SHELF', 5, 1));
      await handle(stockChanged(bergen, 'ASH-CHAIR-7', 3, 2));
      expect((await firings(osloOnly.id)).map((firing) => (firing.detail as any).trigger.sku)).toEqual(['BIRCH-SHELF']);
      expect((await firings(chairEverywhere.id)).map((firing) => (firing.detail as any).trigger.locationId)).toEqual([bergen]);
    });

    it('reads availableDelta when the event has it, and falls back to delta when not', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, sku: 'PINE-BED-140', threshold: decimal(4) }, webhookTo());
      // On hand fell by 3 (damaged) but available did not move: no crossing.
      await handle(stockChanged(oslo, 'PINE-BED-140', 7, 4, { delta: -3, availableDelta: 0, available: 4 }));
      expect(await firings(rule.id)).toHaveLength(0);
      await handle(stockChanged(oslo, 'PINE-BED-140', 5, 4));
      expect(await firings(rule.id)).toHaveLength(1);
    });

    it('sends the webhook with the firing id as event id, the automation event type and the triggering event by reference, not its payload', async () => {
      const oslo = newLocation();
      const action = webhookTo();
      const rule = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, sku: 'OAK-TBL-180', threshold: decimal(1) }, action, { name: 'Oak table nearly gone' });
      const event = stockChanged(oslo, 'OAK-TBL-180', 2, 1);
      webhookAnswer = () => ({ deliveryId: '0193a3c5-7d1e-7000-8000-0000000000d1' });
      await handle(event);
      const [firing] = await firings(rule.id);
      expect(webhooks).toEqual([{
        endpointId: action.webhookEndpointId,
        eventId: firing.id,
        eventType: 'automation.stock_at_or_below',
        occurredAt: event.occurredAt,
        data: {
          rule: { id: rule.id, name: 'Oak table nearly gone' },
          trigger: { kind: 'STOCK_AT_OR_BELOW', locationId: oslo, sku: 'OAK-TBL-180', availableBefore: 2, available: 1, threshold: 1 },
          firing: { id: firing.id, firedAt: firing.firedAt.toISOString() },
          event: { id: event.id, type: 'inventory.stock_changed', occurredAt: event.occurredAt, aggregate: event.aggregate },
        },
      }]);
      expect(firing.webhookDeliveryId).toBe('0193a3c5-7d1e-7000-8000-0000000000d1');
    });

    it('records a firing without a delivery when the endpoint takes none', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, threshold: decimal(0) }, webhookTo());
      webhookAnswer = () => null;
      await handle(stockChanged(oslo, 'OAK-TBL-180', 1, 0));
      const [firing] = await firings(rule.id);
      expect(firing.webhookDeliveryId).toBeNull();
      expect((firing.detail as any).action).toMatchObject({ kind: 'SEND_WEBHOOK', deliveryId: null, note: expect.stringContaining('took no delivery') });
    });

    it('leaves nothing behind when the action fails: the firing rolls back with the transaction', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, threshold: decimal(0) }, webhookTo());
      webhookAnswer = () => {
        throw new Error('webhook store down');
      };
      const event = stockChanged(oslo, 'OAK-TBL-180', 1, 0);
      await expect(handle(event)).rejects.toThrow('webhook store down');
      expect(await firings(rule.id)).toHaveLength(0);

      webhookAnswer = () => ({ deliveryId: uuidv7() });
      await handle(event);
      expect(await firings(rule.id)).toHaveLength(1);
    });
  });

  describe('BACK_IN_STOCK', () => {
    it('fires when available goes from 0 or less to more, and creates a task at the event location', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'BACK_IN_STOCK', locationId: oslo, sku: 'FJORD-SOFA-3' }, { kind: 'CREATE_TASK', taskTitle: 'Put the Fjord sofa back on the floor' });
      for (const [before, after] of [[0, 3], [3, 5], [5, 0], [0, -1], [-1, 2]]) await handle(stockChanged(oslo, 'FJORD-SOFA-3', before, after));
      const fired = await firings(rule.id);
      expect(fired.map((firing) => (firing.detail as any).trigger.available)).toEqual([3, 2]);

      const tasks = await prisma.storeTask.findMany({ where: { ruleId: rule.id }, orderBy: { createdAt: 'asc' } });
      expect(tasks).toHaveLength(2);
      expect(tasks[0]).toMatchObject({ locationId: oslo, title: 'Put the Fjord sofa back on the floor', status: 'OPEN', firingId: fired[0].id, completedAt: null });
      expect(tasks[0].detail).toBe(`FJORD-SOFA-3 is back in stock at location ${oslo}: 3 available.`);
      expect((fired[0].detail as any).action).toEqual({ kind: 'CREATE_TASK', taskId: tasks[0].id, locationId: oslo });
      expect(await outbox('marketing.store_task_created')).toEqual(expect.arrayContaining([expect.objectContaining({ taskId: tasks[0].id, locationId: oslo, ruleId: rule.id, firingId: fired[0].id })]));
    });

    it('puts the task at the action location when the rule names one', async () => {
      const [store, warehouse] = [newLocation(), newLocation()];
      const rule = await createRule({ kind: 'BACK_IN_STOCK', sku: 'TEAK-DESK' }, { kind: 'CREATE_TASK', taskTitle: 'Call the customers who asked', locationId: warehouse });
      await handle(stockChanged(store, 'TEAK-DESK', 0, 1));
      expect(await prisma.storeTask.findMany({ where: { ruleId: rule.id } })).toEqual([expect.objectContaining({ locationId: warehouse })]);
    });
  });

  describe('SALES_MILESTONE', () => {
    it('fires once per UTC period when the period first reaches the threshold, and again the next period', async () => {
      const oslo = newLocation();
      const draft = await campaign('DRAFT');
      const rule = await createRule({ kind: 'SALES_MILESTONE', locationId: oslo, metric: 'REVENUE', period: 'DAY', threshold: decimal('1000.00') }, { kind: 'START_CAMPAIGN', campaignId: draft.id });
      const sell = (lineTotal: string, orderedAt: string) => handle(orderConfirmed({ locationId: oslo, orderedAt, lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal }] }));
      await sell('600.00', '2026-03-04T09:00:00Z');
      expect(await firings(rule.id)).toHaveLength(0);
      await sell('400.00', '2026-03-04T23:59:00Z');
      await sell('300.00', '2026-03-04T12:00:00Z');
      // Periods are UTC: 00:30Z on 5 March starts the next day, whatever the store's clock says.
      await sell('999.99', '2026-03-05T00:30:00Z');
      await handle(orderConfirmed({ locationId: newLocation(), orderedAt: '2026-03-05T10:00:00Z', lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal: '5000.00' }] }));
      expect(await firings(rule.id)).toHaveLength(1);
      await sell('0.01', '2026-03-05T23:00:00Z');

      const fired = await firings(rule.id);
      expect(fired.map((firing) => (firing.detail as any).trigger)).toEqual([
        expect.objectContaining({ periodStart: '2026-03-04T00:00:00.000Z', value: '1000.00', threshold: '1000.00', metric: 'REVENUE', period: 'DAY' }),
        expect.objectContaining({ periodStart: '2026-03-05T00:00:00.000Z', value: '1000.00' }),
      ]);
      const counters = await prisma.milestoneCounter.findMany({ where: { ruleId: rule.id }, orderBy: { periodStart: 'asc' } });
      expect(counters.map((counter) => [counter.periodStart.toISOString(), counter.value.toFixed(2)])).toEqual([
        ['2026-03-04T00:00:00.000Z', '1300.00'],
        ['2026-03-05T00:00:00.000Z', '1000.00'],
      ]);

      // START_CAMPAIGN: the first firing started the draft; the second found it running and changed nothing.
      expect((await prisma.campaign.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe('ACTIVE');
      expect(fired.map((firing) => (firing.detail as any).action)).toEqual([
        { kind: 'START_CAMPAIGN', campaignId: draft.id, changed: true, previousStatus: 'DRAFT', status: 'ACTIVE' },
        { kind: 'START_CAMPAIGN', campaignId: draft.id, changed: false, status: 'ACTIVE', note: 'campaign was already ACTIVE' },
      ]);
      expect((await outbox('marketing.campaign_status_changed')).filter((payload) => payload.campaignId === draft.id)).toEqual([
        { campaignId: draft.id, previousStatus: 'DRAFT', status: 'ACTIVE', ruleId: rule.id, firingId: fired[0].id },
      ]);
    });

    it('counts only its sku when it has one: that sku’s units and line totals', async () => {
      const oslo = newLocation();
      const units = await createRule({ kind: 'SALES_MILESTONE', sku: 'ASH-CHAIR-7', metric: 'UNITS', period: 'WEEK', threshold: decimal(5) }, webhookTo());
      const revenue = await createRule({ kind: 'SALES_MILESTONE', sku: 'ASH-CHAIR-7', metric: 'REVENUE', period: 'MONTH', threshold: decimal('450.00') }, webhookTo());
      const orders = await createRule({ kind: 'SALES_MILESTONE', sku: 'ASH-CHAIR-7', metric: 'ORDERS', period: 'MONTH', threshold: decimal(2) }, webhookTo());
      const monday = '2026-06-01T08:00:00Z';
      await handle(orderConfirmed({ locationId: oslo, orderedAt: monday, lines: [{ sku: 'ASH-CHAIR-7', quantity: 2, lineTotal: '200.00' }, { sku: 'OAK-TBL-180', quantity: 10, lineTotal: '9000.00' }] }));
      await handle(orderConfirmed({ locationId: oslo, orderedAt: monday, lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal: '900.00' }] }));
      expect((await firings(units.id)).length + (await firings(revenue.id)).length + (await firings(orders.id)).length).toBe(0);

      await handle(orderConfirmed({ locationId: oslo, orderedAt: '2026-06-07T22:00:00Z', lines: [{ sku: 'ASH-CHAIR-7', quantity: 3, lineTotal: '250.00' }] }));
      expect((await firings(units.id)).map((firing) => (firing.detail as any).trigger)).toEqual([expect.objectContaining({ periodStart: '2026-06-01T00:00:00.000Z', value: '5', threshold: '5' })]);
      expect((await firings(revenue.id)).map((firing) => (firing.detail as any).trigger.value)).toEqual(['450.00']);
      expect((await firings(orders.id)).map((firing) => (firing.detail as any).trigger.value)).toEqual(['2']);
    });

    it('does not credit a sales milestone to the shopper whose order crossed it: the webhook names no customer', async () => {
      const oslo = newLocation();
      await createRule({ kind: 'SALES_MILESTONE', locationId: oslo, metric: 'ORDERS', period: 'MONTH', threshold: decimal(1) }, webhookTo());
      const shopper = `shopper-${randomUUID()}`;
      await handle(orderConfirmed({ locationId: oslo, customerId: shopper, orderedAt: '2026-08-03T10:00:00Z', lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal: '900.00' }] }));
      expect(webhooks).toHaveLength(1);
      expect(JSON.stringify(webhooks[0].data)).not.toContain(shopper);
      expect(webhookPayload('KLAVIYO', { id: webhooks[0].eventId, type: webhooks[0].eventType, occurredAt: webhooks[0].occurredAt, data: webhooks[0].data })).not.toHaveProperty('data.attributes.profile');
    });

    it('keeps counting while disabled, and fires once enabled when the period is past the threshold', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'SALES_MILESTONE', locationId: oslo, metric: 'ORDERS', period: 'MONTH', threshold: decimal(2) }, webhookTo(), { enabled: false });
      const order = () => orderConfirmed({ locationId: oslo, orderedAt: '2026-07-10T10:00:00Z', lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal: '10.00' }] });
      await handle(order());
      await handle(order());
      expect(await firings(rule.id)).toHaveLength(0);
      expect(webhooks).toEqual([]);

      await rules.update({ id: rule.id, enabled: true });
      await handle(order());
      expect((await firings(rule.id)).map((firing) => (firing.detail as any).trigger.value)).toEqual(['3']);
    });

    it('starts counting again when its trigger changes', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'SALES_MILESTONE', locationId: oslo, metric: 'ORDERS', period: 'DAY', threshold: decimal(2) }, webhookTo());
      const order = () => orderConfirmed({ locationId: oslo, orderedAt: '2026-08-03T10:00:00Z', lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal: '10.00' }] });
      await handle(order());
      await handle(order());
      expect(await firings(rule.id)).toHaveLength(1);

      await rules.update({ id: rule.id, trigger: { kind: 'SALES_MILESTONE', locationId: oslo, metric: 'ORDERS', period: 'DAY', threshold: decimal(3) } });
      expect(await prisma.milestoneCounter.count({ where: { ruleId: rule.id } })).toBe(0);
      await handle(order());
      await handle(order());
      expect(await firings(rule.id)).toHaveLength(1);
      await handle(order());
      expect((await firings(rule.id)).map((firing) => (firing.detail as any).trigger.value)).toEqual(['2', '3']);
    });

    it('does not hand counts to a new trigger from a consumer that read the rule before the edit', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'SALES_MILESTONE', locationId: oslo, metric: 'ORDERS', period: 'DAY', threshold: decimal(3) }, webhookTo());
      const order = () => orderConfirmed({ locationId: oslo, orderedAt: '2026-09-01T10:00:00Z', lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal: '10.00' }] });
      await handle(order());
      // The consumer reads the rules, the edit commits (deleting the counters), then the consumer counts its order.
      const readBeforeEdit = await prisma.automationRule.findMany({ where: { deletedAt: null }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      await rules.update({ id: rule.id, trigger: { kind: 'SALES_MILESTONE', locationId: oslo, metric: 'ORDERS', period: 'DAY', threshold: decimal(2) } });
      await prisma.$transaction((tx) => engine.handle(rulesAsRead(tx, readBeforeEdit), order()));

      await handle(order());
      expect(await firings(rule.id)).toEqual([]);
      await handle(order());
      expect((await firings(rule.id)).map((firing) => [firing.crossingKey, (firing.detail as any).trigger.value])).toEqual([['r2:DAY:2026-09-01T00:00:00.000Z', '2']]);
    });
  });

  describe('CUSTOMER_ENTERS_SEGMENT', () => {
    it('fires once per customer when their orders first meet every criterion', async () => {
      const oslo = newLocation();
      const active = await campaign('ACTIVE');
      const rule = await createRule({ kind: 'CUSTOMER_ENTERS_SEGMENT', minOrders: 2, minLifetimeSpend: decimal('500.00'), segmentName: 'Loyal' }, { kind: 'PAUSE_CAMPAIGN', campaignId: active.id });
      const [anna, bo] = [`anna-${randomUUID()}`, `bo-${randomUUID()}`];
      const buy = (customerId: string | null, lineTotal: string) => handle(orderConfirmed({ locationId: oslo, customerId, lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal }] }));
      await buy(anna, '300.00');
      await buy(bo, '600.00');
      await buy(null, '900.00');
      expect(await firings(rule.id)).toHaveLength(0);
      await buy(anna, '250.00');
      await buy(anna, '100.00');
      await buy(bo, '10.00');

      const fired = await firings(rule.id);
      expect(fired.map((firing) => (firing.detail as any).trigger)).toEqual([
        expect.objectContaining({ customerId: anna, orders: 2, lifetimeSpend: '550.00', segmentName: 'Loyal' }),
        expect.objectContaining({ customerId: bo, orders: 2, lifetimeSpend: '610.00' }),
      ]);
      expect(await prisma.customerStats.findUniqueOrThrow({ where: { customerId: anna } })).toMatchObject({ orderCount: 3, lifetimeSpend: expect.anything() });
      expect((await prisma.customerStats.findUniqueOrThrow({ where: { customerId: anna } })).lifetimeSpend.toFixed(2)).toBe('650.00');

      // PAUSE_CAMPAIGN: paused by the first firing, left paused by the second.
      expect((await prisma.campaign.findUniqueOrThrow({ where: { id: active.id } })).status).toBe('PAUSED');
      expect(fired.map((firing) => (firing.detail as any).action.changed)).toEqual([true, false]);
    });

    it('fires on the very order that crossed when orders come as one batch: milestones and segment entries alike', async () => {
      const oslo = newLocation();
      const milestone = await createRule({ kind: 'SALES_MILESTONE', locationId: oslo, metric: 'REVENUE', period: 'DAY', threshold: decimal('1000.00') }, { kind: 'CREATE_TASK', taskTitle: 'Celebrate' });
      const segment = await createRule({ kind: 'CUSTOMER_ENTERS_SEGMENT', minOrders: 2, minLifetimeSpend: decimal('500.00'), segmentName: 'Loyal' }, { kind: 'CREATE_TASK', taskTitle: 'Welcome', locationId: oslo });
      const [anna, bo] = [`anna-${randomUUID()}`, `bo-${randomUUID()}`];
      const order = (customerId: string | null, lineTotal: string, orderedAt: string) => orderConfirmed({ locationId: oslo, customerId, orderedAt, lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal }] });
      const batch = [
        order(anna, '300.00', '2026-03-04T09:00:00Z'),
        order(bo, '600.00', '2026-03-04T09:10:00Z'), // day at 900
        order(anna, '250.00', '2026-03-04T09:20:00Z'), // day at 1150: the milestone; anna enters (2 orders, 550)
        order(anna, '100.00', '2026-03-04T09:30:00Z'),
        order(bo, '10.00', '2026-03-05T08:00:00Z'), // bo enters (2 orders, 610); next day at 10
      ];
      await prisma.$transaction((tx) => engine.handleBatch(tx, batch));
      const milestoneFirings = await firings(milestone.id);
      expect(milestoneFirings.map((firing) => [firing.eventId, (firing.detail as any).trigger.value])).toEqual([[batch[2].id, '1150.00']]);
      const segmentFirings = await firings(segment.id);
      expect(segmentFirings.map((firing) => [firing.eventId, (firing.detail as any).trigger.customerId, (firing.detail as any).trigger.orders, (firing.detail as any).trigger.lifetimeSpend])).toEqual([
        [batch[2].id, anna, 2, '550.00'],
        [batch[4].id, bo, 2, '610.00'],
      ]);
      expect((await prisma.customerStats.findUniqueOrThrow({ where: { customerId: anna } })).lifetimeSpend.toFixed(2)).toBe('650.00');
      const counters = await prisma.milestoneCounter.findMany({ where: { ruleId: milestone.id }, orderBy: { periodStart: 'asc' } });
      expect(counters.map((counter) => counter.value.toFixed(2))).toEqual(['1250.00', '10.00']);
    });

    it('takes refunds off lifetime spend, and fires once per customer even when they leave and re-enter', async () => {
      const oslo = newLocation();
      const rule = await createRule({ kind: 'CUSTOMER_ENTERS_SEGMENT', minLifetimeSpend: decimal('500.00') }, webhookTo());
      const [eva, finn] = [`eva-${randomUUID()}`, `finn-${randomUUID()}`];
      const buy = (customerId: string, lineTotal: string) => handle(orderConfirmed({ locationId: oslo, customerId, lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal }] }));
      const refund = (customerId: string, refundTotal: string) =>
        handle(envelope('sales.order_returned', { returnId: randomUUID(), orderId: randomUUID(), locationId: oslo, orderLocationId: oslo, customerId, campaignId: null, lines: [], refundTotal, returnedAt: new Date().toISOString() }));

      await buy(eva, '300.00');
      await refund(eva, '300.00');
      await buy(eva, '400.00');
      expect(await firings(rule.id)).toHaveLength(0);
      expect((await prisma.customerStats.findUniqueOrThrow({ where: { customerId: eva } })).lifetimeSpend.toFixed(2)).toBe('400.00');

      await buy(finn, '600.00');
      await refund(finn, '200.00');
      await buy(finn, '150.00');
      expect((await firings(rule.id)).map((firing) => (firing.detail as any).trigger.customerId)).toEqual([finn]);
      expect(await prisma.customerStats.findUniqueOrThrow({ where: { customerId: finn } })).toMatchObject({ orderCount: 2 });
    });

    it('does not fire for a customer already in the segment before the rule existed', async () => {
      const oslo = newLocation();
      const carl = `carl-${randomUUID()}`;
      await handle(orderConfirmed({ locationId: oslo, customerId: carl, lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal: '100.00' }] }));
      const rule = await createRule({ kind: 'CUSTOMER_ENTERS_SEGMENT', minOrders: 1 }, webhookTo());
      await handle(orderConfirmed({ locationId: oslo, customerId: carl, lines: [{ sku: 'OAK-TBL-180', quantity: 1, lineTotal: '100.00' }] }));
      expect(await firings(rule.id)).toHaveLength(0);
    });
  });

  it('never starts or pauses a COMPLETED campaign, and says so in the firing', async () => {
    const oslo = newLocation();
    const done = await campaign('COMPLETED');
    const rule = await createRule({ kind: 'BACK_IN_STOCK', locationId: oslo }, { kind: 'START_CAMPAIGN', campaignId: done.id });
    await handle(stockChanged(oslo, 'OAK-TBL-180', 0, 4));
    expect((await prisma.campaign.findUniqueOrThrow({ where: { id: done.id } })).status).toBe('COMPLETED');
    expect((await firings(rule.id)).map((firing) => (firing.detail as any).action)).toEqual([
      { kind: 'START_CAMPAIGN', campaignId: done.id, changed: false, status: 'COMPLETED', note: 'campaign is COMPLETED; left as it is' },
    ]);
    expect((await outbox('marketing.campaign_status_changed')).filter((payload) => payload.campaignId === done.id)).toEqual([]);
  });

  it('stays silent for a disabled or deleted rule: no firing, no webhook, no event', async () => {
    const oslo = newLocation();
    const disabled = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, threshold: decimal(3) }, webhookTo(), { enabled: false });
    const deleted = await createRule({ kind: 'BACK_IN_STOCK', locationId: oslo }, { kind: 'CREATE_TASK', taskTitle: 'Restock' });
    await rules.delete({ id: deleted.id });
    const before = (await outbox('marketing.rule_fired')).length;
    await handle(stockChanged(oslo, 'OAK-TBL-180', 0, 5));
    await handle(stockChanged(oslo, 'OAK-TBL-180', 5, 2));
    expect(await firings(disabled.id)).toHaveLength(0);
    expect(await firings(deleted.id)).toHaveLength(0);
    expect(await prisma.storeTask.count({ where: { ruleId: deleted.id } })).toBe(0);
    expect(webhooks).toEqual([]);
    expect(await outbox('marketing.rule_fired')).toHaveLength(before);
  });

  it('ignores events of other types, and skips an event whose payload it cannot read', async () => {
    const oslo = newLocation();
    const rule = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, threshold: decimal(3) }, webhookTo());
    await handle(envelope('inventory.low_stock', { status: 'LOW', locationId: oslo, sku: 'OAK-TBL-180', onHand: 0, available: 0, reorderPoint: 3 }));
    await handle(envelope('inventory.stock_changed', { locationId: oslo, sku: 'OAK-TBL-180', available: 'two' }));
    expect(await firings(rule.id)).toHaveLength(0);
  });

  it('rebuilds milestone counters and customer stats on reset and replay, without firing any crossing again', async () => {
    const oslo = newLocation();
    const dana = `dana-${randomUUID()}`;
    const milestone = await createRule({ kind: 'SALES_MILESTONE', locationId: oslo, metric: 'UNITS', period: 'MONTH', threshold: decimal(3) }, webhookTo());
    const segment = await createRule({ kind: 'CUSTOMER_ENTERS_SEGMENT', minOrders: 2 }, { kind: 'CREATE_TASK', taskTitle: 'Send Dana a thank-you card', locationId: oslo });
    const low = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, threshold: decimal(1) }, webhookTo());
    const events = [
      orderConfirmed({ locationId: oslo, customerId: dana, orderedAt: '2026-09-02T10:00:00Z', lines: [{ sku: 'OAK-TBL-180', quantity: 2, lineTotal: '1800.00' }] }),
      stockChanged(oslo, 'OAK-TBL-180', 2, 0),
      orderConfirmed({ locationId: oslo, customerId: dana, orderedAt: '2026-09-03T10:00:00Z', lines: [{ sku: 'ASH-CHAIR-7', quantity: 2, lineTotal: '200.00' }] }),
    ];
    for (const event of events) await handle(event);
    const snapshot = async () => ({
      counters: (await prisma.milestoneCounter.findMany({ where: { ruleId: milestone.id } })).map((row) => [row.periodStart.toISOString(), row.value.toFixed(2)]),
      dana: await prisma.customerStats.findUnique({ where: { customerId: dana }, select: { orderCount: true, lifetimeSpend: true, firstOrderAt: true, lastOrderAt: true } }),
      firings: (await Promise.all([milestone, segment, low].map((rule) => firings(rule.id)))).map((list) => list.map((firing) => firing.id)),
      tasks: await prisma.storeTask.count({ where: { ruleId: segment.id } }),
    });
    const live = await snapshot();
    expect(live.counters).toEqual([['2026-09-01T00:00:00.000Z', '4.00']]);
    expect(live.dana).toMatchObject({ orderCount: 2 });
    expect(live.firings.map((list) => list.length)).toEqual([1, 1, 1]);
    expect(live.tasks).toBe(1);
    const webhooksLive = webhooks.length;

    await prisma.$transaction((tx) => engine.reset(tx));
    expect(await prisma.milestoneCounter.count({ where: { ruleId: milestone.id } })).toBe(0);
    expect(await prisma.customerStats.findUnique({ where: { customerId: dana } })).toBeNull();

    for (const event of events) await handle({ ...event, id: event.id });
    expect(await snapshot()).toEqual(live);
    expect(webhooks).toHaveLength(webhooksLive);
  });

  it('ignores events that occurred before the rule was created, so a replay of old events fires nothing new', async () => {
    const oslo = newLocation();
    const old = stockChanged(oslo, 'OAK-TBL-180', 4, 0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const rule = await createRule({ kind: 'STOCK_AT_OR_BELOW', locationId: oslo, threshold: decimal(0) }, webhookTo());
    await handle(old);
    expect(await firings(rule.id)).toHaveLength(0);
    await handle(stockChanged(oslo, 'OAK-TBL-180', 3, 0));
    expect(await firings(rule.id)).toHaveLength(1);
  });
});
