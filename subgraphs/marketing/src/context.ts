import { ANONYMOUS_ACTOR, type InventoryDirectory } from '@joinery/core';
import { AutomationService } from './automation/automation-service';
import { CampaignService } from './campaign-service';
import type { PrismaClient } from './generated/prisma/client';
import { createWebhookContext, type WebhookContext } from './webhooks/webhook-context';

export interface Context {
  campaigns: CampaignService;
  automation: AutomationService;
  webhooks: WebhookContext;
}

export function createContext(prisma: PrismaClient, inventory: InventoryDirectory, actor: string = ANONYMOUS_ACTOR): Context {
  return { campaigns: new CampaignService(prisma, inventory), automation: new AutomationService(prisma, inventory, actor), webhooks: createWebhookContext(prisma) };
}
