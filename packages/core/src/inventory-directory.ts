import type { SubgraphClient } from './subgraph-client';

/**
 * What sales and marketing may ask the inventory subgraph: which locations and products exist,
 * and at what price. Asked through the graph (entity lookups), never through inventory's tables.
 */
export interface InventoryDirectory {
  /** In one request: which of the location ids do not exist, and the catalogue price of each known sku. */
  lookup(query: { locationIds?: string[]; skus?: string[] }): Promise<{ missingLocations: string[]; prices: Map<string, string> }>;
}

const ENTITIES = /* GraphQL */ `
  query InventoryDirectory($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Location { id }
      ... on Product { sku price }
    }
  }
`;

export function createInventoryDirectory(client: SubgraphClient): InventoryDirectory {
  const entities = async (representations: Record<string, string>[]) =>
    representations.length
      ? (await client.request<{ _entities: ({ id?: string; sku?: string; price?: string } | null)[] }>(ENTITIES, { representations }))._entities
      : [];
  return {
    async lookup({ locationIds = [], skus = [] }) {
      const found = await entities([
        ...locationIds.map((id) => ({ __typename: 'Location', id })),
        ...skus.map((sku) => ({ __typename: 'Product', sku })),
      ]);
      return {
        missingLocations: locationIds.filter((_id, index) => !found[index]),
        prices: new Map(found.slice(locationIds.length).flatMap((entity) => (entity?.sku && entity.price ? [[entity.sku, entity.price] as const] : []))),
      };
    },
  };
}
