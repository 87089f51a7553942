import type { SubgraphClient, UserError } from '@joinery/core';
import type { ReturnCondition } from './generated/prisma/client';

export interface RestockInput {
  returnId: string;
  orderId: string;
  locationId: string;
  lines: { sku: string; quantity: number; condition: ReturnCondition }[];
}

/** Puts a return's goods back into stock in the inventory subgraph; an empty list means they are back. */
export interface StockRestocker {
  /**
   * Idempotent by `returnId` there; called as the sales service. `actor`: who the return is for,
   * forwarded to inventory; `requestId`: the router's id of the request behind it, when there is one.
   */
  restock(input: RestockInput, options?: { actor?: string; requestId?: string }): Promise<UserError[]>;
}

const RESTOCK = /* GraphQL */ `
  mutation RestockReturn($input: RestockReturnInput!) {
    restockReturn(input: $input) { restocked userErrors { field message code } }
  }
`;

export function createStockRestocker(inventory: SubgraphClient): StockRestocker {
  return {
    async restock(input, options) {
      const { restockReturn } = await inventory.request<{ restockReturn: { restocked: boolean; userErrors: UserError[] } }>(RESTOCK, { input }, { actor: options?.actor, requestId: options?.requestId });
      return restockReturn.userErrors.map((error) => ({ ...error, field: error.field ? [...error.field] : null }));
    },
  };
}
