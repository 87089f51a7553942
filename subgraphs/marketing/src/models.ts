import type { Campaign } from './generated/prisma/client';

export type { Connection } from '@joinery/core';
export type CampaignModel = Campaign;
