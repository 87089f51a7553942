/**
 * The worked example of docs/attribution.md, for tests: three campaigns, four customers and their
 * touchpoints, five orders. Every expected figure in the tests was computed by hand in that doc.
 */
import { uuidv7, type EventEnvelope } from '@joinery/core';
import type { PrismaClient } from '../generated/prisma/client';
import { ORDER_CONFIRMED, TOUCHPOINT_RECORDED } from './attribution-events';

/** Ids sort A < B < C: the tie-break order of the rounding rule. */
export const CAMPAIGN = {
  A: 'a0000000-0000-4000-8000-000000000001',
  B: 'b0000000-0000-4000-8000-000000000002',
  C: 'c0000000-0000-4000-8000-000000000003',
} as const;
export const OSLO = '10000000-0000-4000-8000-000000000001';
export const NEW_YORK = '20000000-0000-4000-8000-000000000002';
export const ORDER = {
  O1: '0e000000-0000-4000-8000-000000000001',
  O2: '0e000000-0000-4000-8000-000000000002',
  O3: '0e000000-0000-4000-8000-000000000003',
  O4: '0e000000-0000-4000-8000-000000000004',
  O5: '0e000000-0000-4000-8000-000000000005',
} as const;

const T = Date.parse('2026-03-10T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(ms);

interface ExampleOrder {
  id: string;
  locationId: string;
  timezone: string;
  customerId: string | null;
  campaignId: string | null;
  orderedAt: Date;
  /** [category or null (not in the payload), quantity, lineTotal] */
  lines: [string | null, number, string][];
  /** [campaign or null (direct), days before the order] */
  touches: [string | null, number][];
}

export const EXAMPLE_ORDERS: ExampleOrder[] = [
  { id: ORDER.O1, locationId: OSLO, timezone: 'Europe/Oslo', customerId: 'cust-1', campaignId: null, orderedAt: at(T), lines: [['tables', 1, '60.00'], ['sofas', 2, '40.00']], touches: [[CAMPAIGN.A, 10], [CAMPAIGN.B, 5], [null, 1]] },
  // The C touch 40 days before is outside the 30-day lookback.
  { id: ORDER.O2, locationId: OSLO, timezone: 'Europe/Oslo', customerId: 'cust-2', campaignId: CAMPAIGN.C, orderedAt: at(T + HOUR), lines: [['beds', 1, '200.00']], touches: [[CAMPAIGN.C, 40], [CAMPAIGN.B, 20], [null, 2]] },
  { id: ORDER.O3, locationId: OSLO, timezone: 'Europe/Oslo', customerId: 'cust-3', campaignId: null, orderedAt: at(T), lines: [['lamps', 2, '50.00']], touches: [[null, 3]] },
  // 23:30 UTC is 00:30 on 11 March in Oslo.
  { id: ORDER.O4, locationId: OSLO, timezone: 'Europe/Oslo', customerId: null, campaignId: CAMPAIGN.B, orderedAt: new Date('2026-03-10T23:30:00Z'), lines: [[null, 1, '10.00']], touches: [] },
  // 02:00 UTC on 11 March is 22:00 on 10 March in New York (EDT).
  { id: ORDER.O5, locationId: NEW_YORK, timezone: 'America/New_York', customerId: 'cust-4', campaignId: null, orderedAt: new Date('2026-03-11T02:00:00Z'), lines: [['tables', 1, '33.33'], ['lamps', 2, '66.66']], touches: [[CAMPAIGN.A, 6], [CAMPAIGN.A, 4], [CAMPAIGN.C, 3], [CAMPAIGN.B, 1]] },
];

export function orderConfirmedEvent(order: ExampleOrder): EventEnvelope {
  const total = order.lines.reduce((sum, [, , lineTotal]) => sum + Math.round(Number(lineTotal) * 100), 0);
  const payload: Record<string, unknown> = {
    orderId: order.id,
    locationId: order.locationId,
    locationTimezone: order.timezone,
    customerId: order.customerId,
    campaignId: order.campaignId,
    orderedAt: order.orderedAt.toISOString(),
    paymentMethod: 'CARD',
    subtotal: (total / 100).toFixed(2),
    discountTotal: '0.00',
    totalAmount: (total / 100).toFixed(2),
    unitCount: order.lines.reduce((sum, [, quantity]) => sum + quantity, 0),
    lines: order.lines.map(([category, quantity, lineTotal], i) => ({ sku: `SKU-${i + 1}`, quantity, unitPrice: lineTotal, discount: '0.00', lineTotal, ...(category ? { category } : {}) })),
  };
  const now = new Date().toISOString();
  return { id: uuidv7(), type: ORDER_CONFIRMED, version: 1, aggregate: order.id, occurredAt: now, recordedAt: now, payload };
}

export function touchpointRecordedEvent(touchpointId: string, customerId: string): EventEnvelope {
  const now = new Date().toISOString();
  return { id: uuidv7(), type: TOUCHPOINT_RECORDED, version: 1, aggregate: customerId, occurredAt: now, recordedAt: now, payload: { touchpointId, customerId } };
}

/** Creates the campaigns, an engagement source and every customer's touchpoints; resolves with the order events. */
export async function seedWorkedExample(prisma: PrismaClient): Promise<EventEnvelope[]> {
  for (const [name, id] of Object.entries(CAMPAIGN)) {
    await prisma.campaign.create({ data: { id, name: `Campaign ${name}`, channel: 'EMAIL', status: 'ACTIVE', startsAt: new Date('2026-01-01T00:00:00Z'), budget: '1000.00', targetLocationIds: [], targetSkus: [] } });
  }
  const source = await prisma.engagementSource.create({ data: { id: uuidv7(), name: 'Worked example', provider: 'GENERIC', secret: 'whsec_example' } });
  let n = 0;
  for (const order of EXAMPLE_ORDERS) {
    for (const [campaignId, daysBefore] of order.touches) {
      n += 1;
      await prisma.touchpoint.create({
        data: { id: uuidv7(), sourceId: source.id, externalId: `touch-${n}`, customerId: order.customerId!, campaignId, type: campaignId ? 'EMAIL_CLICK' : 'STORE_VISIT', occurredAt: new Date(order.orderedAt.getTime() - daysBefore * DAY) },
      });
    }
  }
  return EXAMPLE_ORDERS.map(orderConfirmedEvent);
}
