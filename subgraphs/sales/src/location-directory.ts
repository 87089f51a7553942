import type { SubgraphClient } from '@joinery/core';

export type LocationKind = 'STORE' | 'WAREHOUSE' | 'ONLINE';

/** What a sales report groups locations by: their current kind (CHANNEL) and region. */
export interface LocationFacts {
  id: string;
  kind: LocationKind;
  region: string;
  timezone: string;
}

/** Every location inventory knows, asked through the graph (never through inventory's tables). */
export interface LocationDirectory {
  all(): Promise<LocationFacts[]>;
}

const PAGE = /* GraphQL */ `
  query SalesLocationDirectory($after: String) {
    locations(first: 250, after: $after) {
      nodes { id kind timezone address { region } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface Page {
  locations: { nodes: { id: string; kind: LocationKind; timezone: string; address: { region: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

export interface LocationDirectoryOptions {
  /** How long a fetched list is served before it is asked again, in ms. Default 60,000. */
  ttlMs?: number;
}

/**
 * Caches the whole list (a brand has hundreds of locations, not millions): a report grouped by
 * REGION or CHANNEL costs no call to inventory while the list is fresh. A renamed region shows
 * within ttlMs. A failed fetch is not cached.
 */
export function createLocationDirectory(inventory: SubgraphClient, options: LocationDirectoryOptions = {}): LocationDirectory {
  const ttlMs = options.ttlMs ?? 60_000;
  let cached: { at: number; list: Promise<LocationFacts[]> } | undefined;
  const fetchAll = async (): Promise<LocationFacts[]> => {
    const list: LocationFacts[] = [];
    let after: string | null = null;
    do {
      const { locations }: Page = await inventory.request<Page>(PAGE, { after });
      for (const node of locations.nodes) list.push({ id: node.id.toLowerCase(), kind: node.kind, region: node.address.region, timezone: node.timezone });
      after = locations.pageInfo.hasNextPage ? locations.pageInfo.endCursor : null;
    } while (after);
    return list;
  };
  return {
    all() {
      if (!cached || Date.now() - cached.at > ttlMs) {
        const list = fetchAll();
        const entry = { at: Date.now(), list };
        cached = entry;
        list.catch(() => {
          if (cached === entry) cached = undefined;
        });
      }
      return cached.list;
    },
  };
}
