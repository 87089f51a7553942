import { mutationPayload, requirePermission, scalarResolvers } from '@joinery/core';
import type { Resolvers } from './generated/resolvers-types';
import { requireCampaignRead, requireCampaignTargets, visibleTargetIds } from './access/campaign-access';
import { locationScope } from './access/scope';
import { attributionResolvers } from './attribution/attribution-resolvers';
import { automationMutations, automationQueries, automationTypes } from './automation/automation-resolvers';
import { webhookResolvers } from './webhooks/webhook-resolvers';
import { segmentCampaignFields, segmentMutations, segmentQueries, segmentTypes } from './segments/segment-resolvers';

/** Thin: each resolver checks the caller (src/access, docs/security.md) and translates GraphQL to one service call. */
export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query: {
    campaign: async (_root, { id }, { campaigns, identity }) => requireCampaignRead(identity, await campaigns.campaign(id)),
    campaigns: (_root, args, { campaigns, identity }) => {
      requirePermission(identity, 'campaigns:read');
      return campaigns.list(args, args.filter ?? {}, locationScope(identity));
    },
    ...automationQueries,
    ...webhookResolvers.Query,
    ...segmentQueries,
    ...attributionResolvers.Query,
  },
  Mutation: {
    createCampaign: (_root, { input }, { campaigns, identity }) => {
      requireCampaignTargets(identity, input.targetLocationIds ?? [], 'The campaign');
      return mutationPayload(() => campaigns.create(input));
    },
    updateCampaign: async (_root, { input }, { campaigns, identity }) => {
      requirePermission(identity, 'campaigns:write');
      // An unknown campaign is left to update's NOT_FOUND. One the caller cannot see is refused as
      // unseen; one they see but that also runs elsewhere, by the target outside their locations.
      const existing = requireCampaignRead(identity, await campaigns.campaign(input.id.toLowerCase()));
      if (existing) {
        requireCampaignTargets(identity, existing.targetLocationIds, `Campaign ${existing.id}`);
        if (input.targetLocationIds != null) requireCampaignTargets(identity, input.targetLocationIds, 'The updated campaign');
      }
      return mutationPayload(() => campaigns.update(input));
    },
    ...automationMutations,
    ...webhookResolvers.Mutation,
    ...segmentMutations,
    ...attributionResolvers.Mutation,
  },
  Campaign: {
    // `_entities` obeys the rules of `campaign(id)`: a forged reference to an unseen campaign is FORBIDDEN.
    __resolveReference: async (reference, { campaigns, identity }) => requireCampaignRead(identity, await campaigns.campaign(reference.id)),
    targetLocations: (campaign, _args, { identity }) => visibleTargetIds(identity, campaign.targetLocationIds ?? []).map((id) => ({ id })),
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
