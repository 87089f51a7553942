import type { InventoryDirectory, SubgraphClient } from '@joinery/core';

/**
 * What sales asks inventory before recording a sale: which locations exist and in which time zone,
 * and each product's catalogue price and category. The zone and the categories are snapshotted on
 * the order, so reports and order events keep what was true when it was sold. A SaleCatalogue is
 * also an InventoryDirectory (returns ask only for prices).
 */
export interface SaleCatalogue extends InventoryDirectory {
  lookup(query: { locationIds?: string[]; skus?: string[] }): Promise<{
    missingLocations: string[];
    prices: Map<string, string>;
    categories: Map<string, string>;
    /** By the location id as asked. */
    timezones: Map<string, string>;
  }>;
}

const ENTITIES = /* GraphQL */ `
  query SaleCatalogue($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Location { id timezone }
      ... on Product { sku price category }
    }
  }
`;

type Entity = { id?: string; timezone?: string; sku?: string; price?: string; category?: string } | null;

/** One entity lookup through inventory's subgraph endpoint per sale. */
export function createSaleCatalogue(inventory: SubgraphClient): SaleCatalogue {
  return {
    async lookup({ locationIds = [], skus = [] }) {
      const representations = [...locationIds.map((id) => ({ __typename: 'Location', id })), ...skus.map((sku) => ({ __typename: 'Product', sku }))];
      const found: Entity[] = representations.length ? (await inventory.request<{ _entities: Entity[] }>(ENTITIES, { representations }))._entities : [];
      const products = found.slice(locationIds.length).flatMap((entity) => (entity?.sku && entity.price ? [entity] : []));
      return {
        missingLocations: locationIds.filter((_id, index) => !found[index]),
        timezones: new Map(locationIds.flatMap((id, index) => (found[index]?.timezone ? [[id, found[index]!.timezone!] as const] : []))),
        prices: new Map(products.map((product) => [product.sku!, product.price!])),
        categories: new Map(products.map((product) => [product.sku!, product.category ?? 'uncategorized'])),
      };
    },
  };
}
