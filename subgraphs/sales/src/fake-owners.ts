import { randomUUID } from 'node:crypto';
import { authHeaders } from '@joinery/core/testing';
import { SubgraphResponseError, SubgraphUnavailableError, userError, type UserError } from '@joinery/core';
import type { LocationFacts } from './location-directory';
import type { SaleCatalogue } from './sale-catalogue';
import type { SalesDependencies } from './server';
import type { RestockInput } from './stock-restocker';

/**
 * Stand-ins for the subgraphs sales asks (inventory, marketing), for tests of sales on its own:
 * a catalogue and locations that exist, allocations that succeed unless told otherwise, and a
 * restocker that records what it was asked and can be made unreachable or made to answer with errors.
 */
export function fakeOwners() {
  const locations = new Map<string, LocationFacts>();
  const prices = new Map<string, string>();
  const categories = new Map<string, string>();
  const state = {
    /** Skus the allocator refuses as out of stock. */
    outOfStock: new Set<string>(),
    restock: 'healthy' as 'healthy' | 'unreachable' | 'refuse' | 'error',
    restocked: [] as { input: RestockInput; actor: string | undefined; requestId?: string }[],
    /** Return ids of restocks answered with an error (restock 'error'). */
    failedRestocks: [] as string[],
    allocated: [] as { orderId: string; actor: string | undefined; requestId?: string }[],
  };
  const inventory: SaleCatalogue = {
    async lookup({ locationIds = [], skus = [] }) {
      const known = skus.filter((sku) => prices.has(sku));
      return {
        missingLocations: locationIds.filter((id) => !locations.has(id.toLowerCase())),
        timezones: new Map(locationIds.flatMap((id) => (locations.has(id.toLowerCase()) ? [[id, locations.get(id.toLowerCase())!.timezone] as const] : []))),
        prices: new Map(known.map((sku) => [sku, prices.get(sku)!])),
        categories: new Map(known.map((sku) => [sku, categories.get(sku)!])),
      };
    },
  };
  const deps: Pick<SalesDependencies, 'inventory' | 'locations' | 'allocator' | 'restocker' | 'campaigns'> = {
    inventory,
    locations: { all: async () => [...locations.values()] },
    allocator: {
      async allocate(input, options) {
        const refused: UserError[] = input.lines.flatMap((line, index) =>
          state.outOfStock.has(line.sku)
            ? [userError('INSUFFICIENT_STOCK', `Not enough stock for sku ${line.sku} at location ${input.locationId}: requested ${line.quantity}, available 0`, ['input', 'lines', String(index), 'quantity'])]
            : [],
        );
        if (!refused.length) state.allocated.push({ orderId: input.orderId, actor: options?.actor, ...(options?.requestId ? { requestId: options.requestId } : {}) });
        return refused;
      },
    },
    restocker: {
      async restock(input, options) {
        if (state.restock === 'unreachable') throw new SubgraphUnavailableError('inventory', new Error('connection refused'));
        if (state.restock === 'error') {
          state.failedRestocks.push(input.returnId);
          throw new SubgraphResponseError('inventory', [{ message: 'Unexpected error.' }]);
        }
        if (state.restock === 'refuse') return [userError('NOT_FOUND', `No location with id ${input.locationId}`, ['input', 'locationId'])];
        state.restocked.push({ input, actor: options?.actor, ...(options?.requestId ? { requestId: options.requestId } : {}) });
        return [];
      },
    },
    campaigns: { find: async () => ({ targetLocationIds: [] }) },
  };
  return {
    deps,
    state,
    /** A location inventory knows; default an Oslo store. */
    location(facts: Partial<Omit<LocationFacts, 'id'>> = {}): string {
      const id = randomUUID();
      locations.set(id, { id, kind: 'STORE', region: 'Oslo', timezone: 'Europe/Oslo', ...facts });
      return id;
    },
    product(sku: string, price: string, category = 'sofas'): string {
      prices.set(sku, price);
      categories.set(sku, category);
      return sku;
    },
  };
}

/** POSTs one operation as an admin whose subject is `actor` (default test-admin). */
export async function gqlAs<T = any>(url: string, actor: string | null, query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await authHeaders(actor ? { role: 'admin', subject: actor } : undefined)) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}
