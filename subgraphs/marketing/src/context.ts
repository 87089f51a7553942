import type { InventoryDirectory } from '@joinery/core';
import { CampaignService } from './campaign-service';
import type { PrismaClient } from './generated/prisma/client';

export interface Context {
  campaigns: CampaignService;
}

export function createContext(prisma: PrismaClient, inventory: InventoryDirectory): Context {
  return { campaigns: new CampaignService(prisma, inventory) };
}
