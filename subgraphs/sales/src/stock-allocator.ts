import type { SubgraphClient, UserError } from '@joinery/core';

/** Takes a sale's stock in the inventory subgraph; an empty list means it is taken. */
export interface StockAllocator {
  /**
   * Called as the sales service (core's SubgraphClient signs that identity). `actor`: who the sale
   * is for, forwarded so inventory records it on the movements; `requestId`: the router's id of the
   * request behind it, when there is one.
   */
  allocate(input: { orderId: string; locationId: string; lines: { sku: string; quantity: number }[] }, options?: { actor?: string; requestId?: string }): Promise<UserError[]>;
}

const ALLOCATE = /* GraphQL */ `
  mutation AllocateSaleStock($input: AllocateSaleStockInput!) {
    allocateSaleStock(input: $input) { allocated userErrors { field message code } }
  }
`;

export function createStockAllocator(inventory: SubgraphClient): StockAllocator {
  return {
    async allocate(input, options) {
      const { allocateSaleStock } = await inventory.request<{ allocateSaleStock: { allocated: boolean; userErrors: UserError[] } }>(ALLOCATE, { input }, { actor: options?.actor, requestId: options?.requestId });
      return allocateSaleStock.userErrors.map((error) => ({ ...error, field: error.field ? [...error.field] : null }));
    },
  };
}
