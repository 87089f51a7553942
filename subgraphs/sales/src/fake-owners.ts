import { randomUUID } from 'node:crypto';
import { ACTOR_HEADER, SubgraphResponseError, SubgraphUnavailableError, userError, type InventoryDirectory, type UserError } from '@joinery/core';
import type { SalesDependencies } from './server';
import type { RestockInput } from './stock-restocker';

/**
 * Stand-ins for the subgraphs sales asks (inventory, marketing), for tests of sales on its own:
 * a catalogue and locations that exist, allocations that succeed unless told otherwise, and a
 * restocker that records what it was asked and can be made unreachable or made to answer with errors.
 */
export function fakeOwners() {
  const locations = new Set<string>();
  const prices = new Map<string, string>();
  const state = {
    /** Skus the allocator refuses as out of stock. */
    outOfStock: new Set<string>(),
    restock: 'healthy' as 'healthy' | 'unreachable' | 'refuse' | 'error',
    restocked: [] as { input: RestockInput; actor: string | undefined }[],
    /** Return ids of restocks answered with an error (restock 'error'). */
    failedRestocks: [] as string[],
    allocated: [] as { orderId: string; actor: string | undefined }[],
  };
  const inventory: InventoryDirectory = {
    async lookup({ locationIds = [], skus = [] }) {
      return {
        missingLocations: locationIds.filter((id) => !locations.has(id.toLowerCase())),
        prices: new Map(skus.flatMap((sku) => (prices.has(sku) ? [[sku, prices.get(sku)!] as const] : []))),
      };
    },
  };
  const deps: Pick<SalesDependencies, 'inventory' | 'allocator' | 'restocker' | 'campaigns'> = {
    inventory,
    allocator: {
      async allocate(input, options) {
        const refused: UserError[] = input.lines.flatMap((line, index) =>
          state.outOfStock.has(line.sku)
            ? [userError('INSUFFICIENT_STOCK', `Not enough stock for sku ${line.sku} at location ${input.locationId}: requested ${line.quantity}, available 0`, ['input', 'lines', String(index), 'quantity'])]
            : [],
        );
        if (!refused.length) state.allocated.push({ orderId: input.orderId, actor: options?.actor });
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
        state.restocked.push({ input, actor: options?.actor });
        return [];
      },
    },
    campaigns: { exists: async () => true },
  };
  return {
    deps,
    state,
    location(): string {
      const id = randomUUID();
      locations.add(id);
      return id;
    },
    product(sku: string, price: string): string {
      prices.set(sku, price);
      return sku;
    },
  };
}

/** POSTs one operation naming `actor` in the joinery-actor header. */
export async function gqlAs<T = any>(url: string, actor: string | null, query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(actor ? { [ACTOR_HEADER]: actor } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}
