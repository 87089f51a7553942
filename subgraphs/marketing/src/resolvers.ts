import { mutationPayload, scalarResolvers } from '@joinery/core';
import type { Resolvers } from './generated/resolvers-types';
import { attributionResolvers } from './attribution/attribution-resolvers';
import { automationMutations, automationQueries, automationTypes } from './automation/automation-resolvers';
import { webhookResolvers } from './webhooks/webhook-resolvers';
import { segmentCampaignFields, segmentMutations, segmentQueries, segmentTypes } from './segments/segment-resolvers';

/** Thin: each resolver translates GraphQL to one service call. */
export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query: {
    campaign: (_root, { id }, { campaigns }) => campaigns.campaign(id),
    campaigns: (_root, args, { campaigns }) => campaigns.list(args, args.filter ?? {}),
    ...automationQueries,
    ...webhookResolvers.Query,
    ...segmentQueries,
    ...attributionResolvers.Query,
  },
  Mutation: {
    createCampaign: (_root, { input }, { campaigns }) => mutationPayload(() => campaigns.create(input)),
    updateCampaign: (_root, { input }, { campaigns }) => mutationPayload(() => campaigns.update(input)),
    ...automationMutations,
    ...webhookResolvers.Mutation,
    ...segmentMutations,
    ...attributionResolvers.Mutation,
  },
  Campaign: {
    __resolveReference: (reference, { campaigns }) => campaigns.campaign(reference.id),
    targetLocations: (campaign) => (campaign.targetLocationIds ?? []).map((id) => ({ id })),
    targetProducts: (campaign) => (campaign.targetSkus ?? []).map((sku) => ({ sku })),
    ...webhookResolvers.Campaign,
    ...segmentCampaignFields,
    ...attributionResolvers.Campaign,
  },
  ...automationTypes,
  ...webhookResolvers.types,
  ...segmentTypes,
  ...attributionResolvers.types,
};
