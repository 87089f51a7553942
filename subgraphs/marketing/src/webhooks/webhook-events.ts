import { outboxEvent, recordEvents } from '@joinery/core';
import type { Prisma, TouchpointType, WebhookProvider } from '../generated/prisma/client';

export const TOUCHPOINT_RECORDED = 'marketing.touchpoint_recorded';
export const WEBHOOK_ENDPOINT_DISABLED = 'marketing.webhook_endpoint_disabled';

/** Payload of `marketing.touchpoint_recorded` v1 (docs/events.md). */
export interface TouchpointRecordedPayload {
  touchpointId: string;
  sourceId: string;
  externalId: string;
  customerId: string;
  campaignId: string | null;
  type: TouchpointType;
  occurredAt: string;
  url: string | null;
  utm: { source: string | null; medium: string | null; campaign: string | null; term: string | null; content: string | null };
}

/** Payload of `marketing.webhook_endpoint_disabled` v1 (docs/events.md). */
export interface WebhookEndpointDisabledPayload {
  endpointId: string;
  name: string;
  provider: WebhookProvider;
  url: string;
  reason: string;
  consecutiveFailures: number;
  failingSince: string;
  disabledAt: string;
}

/** Writes one of webhooks' events to marketing's outbox inside the caller's transaction. */
export function recordMarketingEvent(
  tx: Prisma.TransactionClient,
  event: { type: typeof TOUCHPOINT_RECORDED; aggregate: string; payload: TouchpointRecordedPayload } | { type: typeof WEBHOOK_ENDPOINT_DISABLED; aggregate: string; payload: WebhookEndpointDisabledPayload },
): Promise<void> {
  return recordEvents(tx, [outboxEvent(event.type, event.aggregate, event.payload)]);
}
