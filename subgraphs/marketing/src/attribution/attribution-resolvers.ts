import Decimal from 'decimal.js';
import { mutationPayload } from '@joinery/core';
import type { Resolvers } from '../generated/resolvers-types';

/** Thin: each resolver translates GraphQL to a call on the AttributionService (context.attribution). */
export const attributionResolvers = {
  Query: {
    campaignComparison: (_root, args, { attribution }) => attribution.comparison(args),
  } satisfies NonNullable<Resolvers['Query']>,
  Mutation: {
    recordCampaignSpend: (_root, { input }, { attribution }) => mutationPayload(() => attribution.recordSpend(input)),
  } satisfies NonNullable<Resolvers['Mutation']>,
  Campaign: {
    performance: (campaign, args, { attribution }) => attribution.performance(campaign.id, args),
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
      campaign: (entry, _args, { campaigns }) => campaigns.campaign(entry.campaignId).then((campaign) => campaign!),
    },
  } satisfies Pick<Resolvers, 'CampaignPerformance' | 'CampaignComparison' | 'CampaignSpendEntry'>,
};

/** ROAS (revenue / spend) or ROI ((revenue − spend) / spend) as a Float; null without spend. Decimal until the last step. */
function ratio(revenue: string, spend: string, net: boolean): number | null {
  const cost = new Decimal(spend);
  if (cost.isZero()) return null;
  return new Decimal(revenue).minus(net ? cost : 0).dividedBy(cost).toSignificantDigits(15).toNumber();
}
