export { enqueueWebhookDelivery, type WebhookDeliveryRequest } from './enqueue';
export { WebhookWorker, type WebhookWorkerOptions } from './webhook-worker';
export { DEFAULT_DISABLE_POLICY, DEFAULT_RETRY_POLICY, retryDelayMs, type DisablePolicy, type RetryPolicy } from './retry-policy';
export { generateWebhookSecret, signWebhook, verifyWebhookSignature, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from './signature';
export { webhookPayload, type WebhookEvent } from './providers';
export { ENGAGEMENT_PATH_PREFIX, engagementWebhookRoute } from './engagement-route';
export { TOUCHPOINT_RECORDED, WEBHOOK_ENDPOINT_DISABLED, type TouchpointRecordedPayload, type WebhookEndpointDisabledPayload } from './webhook-events';
