import Decimal from 'decimal.js';
import { mutationPayload, requirePermission } from '@joinery/core';
import { campaignWithinScope, requireCampaignRead, requireCampaignTargets } from '../access/campaign-access';
import { locationScope } from '../access/scope';
import type { Resolvers } from '../generated/resolvers-types';

/**
 * Thin: each resolver checks the caller (src/access) and translates GraphQL to a call on the
 * AttributionService (context.attribution). A scoped caller's figures count their locations'
 * orders only; spend shows for campaigns wholly within their locations.
 */
export const attributionResolvers = {
  Query: {
    campaignComparison: (_root, args, { attribution, identity }) => {
      requirePermission(identity, 'campaigns:read');
      return attribution.comparison(args, locationScope(identity));
    },
  } satisfies NonNullable<Resolvers['Query']>,
  Mutation: {
    recordCampaignSpend: async (_root, { input }, { attribution, campaigns, identity }) => {
      requirePermission(identity, 'campaigns:write');
      // An unknown campaign is left to recordSpend's NOT_FOUND.
      const campaign = requireCampaignRead(identity, await campaigns.campaign(input.campaignId.toLowerCase()));
      if (campaign) requireCampaignTargets(identity, campaign.targetLocationIds, `Campaign ${campaign.id}`);
      return mutationPayload(() => attribution.recordSpend(input));
    },
  } satisfies NonNullable<Resolvers['Mutation']>,
  Campaign: {
    performance: (campaign, args, { attribution, identity }) => {
      requireCampaignRead(identity, campaign);
      return attribution.performance(campaign.id, args, { locations: locationScope(identity), spendVisible: campaignWithinScope(identity, campaign) });
    },
  } satisfies NonNullable<Resolvers['Campaign']>,
  types: {
    CampaignPerformance: {
      orderCount: async (p) => (await p.summary()).orderCount,
      unitsSold: async (p) => (await p.summary()).unitsSold,
      revenue: async (p) => (await p.summary()).revenue,
      conversions: async (p) => (await p.summary()).conversions,
      byLocation: async (p) => (await p.summary()).byLocation,
      byDay: async (p) => (await p.summary()).byDay,
      byWeek: async (p) => (await p.summary()).byWeek,
      byCategory: (p) => p.categories(),
      spend: (p) => p.spend(),
      roas: async (p) => ratio((await p.summary()).revenue, await p.spend(), false),
      roi: async (p) => ratio((await p.summary()).revenue, await p.spend(), true),
      model: (p) => p.request.model,
      lookbackDays: (p) => p.request.lookbackDays,
      halfLifeDays: (p) => p.request.halfLifeDays,
      from: (p) => p.request.from,
      to: (p) => p.request.to,
      asOf: (p) => p.asOf(),
      source: (p) => p.source,
    },
    CampaignComparison: {
      model: (c) => c.request.model,
      lookbackDays: (c) => c.request.lookbackDays,
      halfLifeDays: (c) => c.request.halfLifeDays,
      from: (c) => c.request.from,
      to: (c) => c.request.to,
    },
    CampaignSpendEntry: {
      campaign: async (entry, _args, { campaigns, identity }) => requireCampaignRead(identity, await campaigns.campaign(entry.campaignId))!,
    },
  } satisfies Pick<Resolvers, 'CampaignPerformance' | 'CampaignComparison' | 'CampaignSpendEntry'>,
};

/** ROAS (revenue / spend) or ROI ((revenue − spend) / spend) as a Float; null without spend. Decimal until the last step. */
function ratio(revenue: string, spend: string | null, net: boolean): number | null {
  if (spend === null) return null;
  const cost = new Decimal(spend);
  if (cost.isZero()) return null;
  return new Decimal(revenue).minus(net ? cost : 0).dividedBy(cost).toSignificantDigits(15).toNumber();
}
