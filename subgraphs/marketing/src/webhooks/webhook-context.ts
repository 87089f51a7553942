import type { PrismaClient } from '../generated/prisma/client';
import { EngagementService } from './engagement-service';
import { WebhookEndpointService } from './endpoint-service';

/** The webhook services of one request (fresh DataLoaders each time). */
export interface WebhookContext {
  endpoints: WebhookEndpointService;
  engagement: EngagementService;
}

export function createWebhookContext(prisma: PrismaClient): WebhookContext {
  return { endpoints: new WebhookEndpointService(prisma), engagement: new EngagementService(prisma) };
}
