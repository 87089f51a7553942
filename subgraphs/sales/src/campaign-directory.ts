import type { SubgraphClient } from '@joinery/core';

/** Whether a campaign exists, asked of the marketing subgraph. */
export interface CampaignDirectory {
  exists(id: string): Promise<boolean>;
}

const LOOKUP = /* GraphQL */ `
  query CampaignExists($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Campaign { id } }
  }
`;

/** Campaigns are never deleted, so a campaign once seen is remembered for the life of the process. */
export function createCampaignDirectory(marketing: SubgraphClient): CampaignDirectory {
  const known = new Set<string>();
  return {
    async exists(id) {
      if (known.has(id)) return true;
      const { _entities } = await marketing.request<{ _entities: ({ id: string } | null)[] }>(LOOKUP, { representations: [{ __typename: 'Campaign', id }] });
      if (_entities[0]) known.add(id);
      return Boolean(_entities[0]);
    },
  };
}
