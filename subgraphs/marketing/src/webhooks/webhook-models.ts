import type { EngagementSource, InboundWebhookRejection, Touchpoint, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../generated/prisma/client';

/** Rows each webhook GraphQL type resolves from; secrets stay on the row and no resolver exposes them. */
export type WebhookEndpointModel = WebhookEndpoint;
export type WebhookDeliveryModel = WebhookDelivery;
export type WebhookAttemptModel = WebhookAttempt;
export type EngagementSourceModel = EngagementSource;
export type TouchpointModel = Touchpoint;
export type InboundWebhookRejectionModel = InboundWebhookRejection;
