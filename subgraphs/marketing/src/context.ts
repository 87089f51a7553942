import type { Identity, InventoryDirectory } from '@joinery/core';
import { AttributionService } from './attribution/attribution-service';
import { AutomationEngine } from './automation/automation-engine';
import { AutomationService } from './automation/automation-service';
import { CampaignService } from './campaign-service';
import type { CustomerSegmentRefresh, PrismaClient } from './generated/prisma/client';
import { SegmentRefresher } from './segments/segment-refresh';
import { SegmentService } from './segments/segment-service';
import { createWebhookContext, type WebhookContext } from './webhooks/webhook-context';
import { enqueueWebhookDelivery } from './webhooks/enqueue';

export interface Context {
  /** Who the request acts for (the router's signed identity): every resolver checks it (src/access). */
  identity: Identity;
  campaigns: CampaignService;
  automation: AutomationService;
  webhooks: WebhookContext;
  segments: SegmentService;
  attribution: AttributionService;
  /** Takes an RFM snapshot now (waiting for one in progress). */
  refreshSegments(): Promise<CustomerSegmentRefresh | null>;
}

/** `identity` has no default: a context that names nobody would have to allow or refuse everything. */
export function createContext(
  prisma: PrismaClient,
  inventory: InventoryDirectory,
  identity: Identity,
  refresher: SegmentRefresher = new SegmentRefresher({ prisma, engine: new AutomationEngine({ enqueueWebhook: enqueueWebhookDelivery }) }),
): Context {
  return {
    identity,
    campaigns: new CampaignService(prisma, inventory),
    automation: new AutomationService(prisma, inventory, identity.actor),
    webhooks: createWebhookContext(prisma),
    segments: new SegmentService(prisma),
    attribution: new AttributionService(prisma),
    refreshSegments: () => refresher.refresh(),
  };
}
