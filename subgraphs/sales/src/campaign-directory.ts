import type { SubgraphClient } from '@joinery/core';

/** What sales needs to know of a campaign a sale names. */
export interface CampaignFacts {
  /** The locations it runs at; empty: every location. */
  targetLocationIds: string[];
}

/** Campaigns, asked of the marketing subgraph. */
export interface CampaignDirectory {
  /** The campaign, or null when marketing knows none with this id. */
  find(id: string): Promise<CampaignFacts | null>;
}

const LOOKUP = /* GraphQL */ `
  query CampaignForSale($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Campaign { id targetLocations { id } } }
  }
`;

/** A campaign's targets can change (updateCampaign): what was seen is reused for this long. */
const CACHE_MS = 60_000;

export function createCampaignDirectory(marketing: SubgraphClient, now: () => number = Date.now): CampaignDirectory {
  const known = new Map<string, { facts: CampaignFacts; until: number }>();
  return {
    async find(id) {
      const cached = known.get(id);
      if (cached && cached.until > now()) return cached.facts;
      type Found = { id: string; targetLocations: { id: string }[] } | null;
      const { _entities } = await marketing.request<{ _entities: Found[] }>(LOOKUP, { representations: [{ __typename: 'Campaign', id }] });
      const found = _entities[0];
      if (!found) return null;
      const facts = { targetLocationIds: found.targetLocations.map((location) => location.id) };
      if (known.size > 10_000) known.clear();
      known.set(id, { facts, until: now() + CACHE_MS });
      return facts;
    },
  };
}

/** Whether a campaign runs at a location (ids compared whatever their case). */
export function runsAt(campaign: CampaignFacts, locationId: string): boolean {
  const wanted = locationId.toLowerCase();
  return campaign.targetLocationIds.length === 0 || campaign.targetLocationIds.some((id) => id.toLowerCase() === wanted);
}
