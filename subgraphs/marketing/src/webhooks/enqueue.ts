import { isUuid, uuidv7 } from '@joinery/core';
import type { Prisma } from '../generated/prisma/client';
import { webhookPayload } from './providers';

export interface WebhookDeliveryRequest {
  endpointId: string;
  /** The event's id: one event is delivered once per endpoint, however often it is enqueued. */
  eventId: string;
  eventType: string;
  /** ISO 8601. */
  occurredAt: string;
  data: Record<string, unknown>;
}

/**
 * Queues one delivery of an event to an endpoint inside the caller's transaction, so it exists
 * exactly when the caller's change commits; the WebhookWorker sends it. The body is shaped for
 * the endpoint's provider now and sent unchanged on every attempt. A DISABLED endpoint takes
 * the delivery too: it waits, PENDING, until the endpoint is enabled again (the worker claims
 * nothing of a disabled endpoint). Returns null, and queues nothing, when the endpoint does not
 * exist, is deleted, or already has this event.
 */
export async function enqueueWebhookDelivery(tx: Prisma.TransactionClient, request: WebhookDeliveryRequest): Promise<{ deliveryId: string } | null> {
  if (!isUuid(request.endpointId)) return null;
  const occurredAt = new Date(request.occurredAt);
  if (Number.isNaN(occurredAt.getTime())) throw new Error(`enqueueWebhookDelivery: occurredAt ${JSON.stringify(request.occurredAt)} of event ${request.eventId} is not an ISO 8601 instant`);
  const endpoint = await tx.webhookEndpoint.findUnique({ where: { id: request.endpointId }, select: { provider: true, deletedAt: true } });
  if (!endpoint || endpoint.deletedAt) return null;
  const body = JSON.stringify(webhookPayload(endpoint.provider, { id: request.eventId, type: request.eventType, occurredAt: occurredAt.toISOString(), data: request.data }));
  const id = uuidv7();
  const inserted = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, occurred_at, body, next_attempt_at)
    VALUES (${id}::uuid, ${request.endpointId}::uuid, ${request.eventId}, ${request.eventType}, ${occurredAt}, ${body}, clock_timestamp())
    ON CONFLICT (endpoint_id, event_id) DO NOTHING
    RETURNING id`;
  return inserted.length ? { deliveryId: id } : null;
}
