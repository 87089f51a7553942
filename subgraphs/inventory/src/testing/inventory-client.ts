/** Test helpers: one inventory subgraph on its own, spoken to over HTTP as a given actor. */
import { expect } from 'vitest';
import { authHeaders, createTestLocation, type TestCaller } from '@joinery/core/testing';
import { IDENTITY_HEADER, internalAuth, serviceIdentity, type DatabaseTarget } from '@joinery/core';
import { buildInventorySubgraph, openInventoryDatabase, type InventorySubgraph } from '../server';

/**
 * Another subgraph calling inventory for its own work (the service role: every permission, every
 * location), as sales does to take a sale's stock or restock a return; `actor` is the user the
 * change is recorded for (default `service:<service>`).
 */
export interface ServiceCaller {
  service: string;
  actor?: string;
}

/** Who a test request acts for: a string is an admin of that subject (recorded as the actor). */
export type InventoryCaller = string | TestCaller | ServiceCaller;

/** The sales subgraph, recording changes for `actor` (default "sales"). */
export const salesService = (actor = 'sales'): ServiceCaller => ({ service: 'sales', actor });

/** The headers that authenticate `caller` to a subgraph (and, for users, to the router). */
export async function callerHeaders(caller: InventoryCaller = 'tester'): Promise<Record<string, string>> {
  if (typeof caller === 'string') return authHeaders({ role: 'admin', subject: caller });
  if ('service' in caller) {
    const identity = serviceIdentity(caller.service);
    return { [IDENTITY_HEADER]: await internalAuth().sign({ ...identity, actor: caller.actor ?? identity.actor }) };
  }
  return authHeaders(caller);
}

/** POSTs one operation to `url` as `caller` and returns the parsed body. */
export async function post(url: string, query: string, variables?: Record<string, unknown>, caller?: InventoryCaller): Promise<GraphQLResult> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await callerHeaders(caller)) }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as GraphQLResult;
}

export interface GraphQLResult {
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface InventoryClient {
  inventory: InventorySubgraph;
  url: string;
  /** POSTs one operation as `actor` (default "tester", an admin; or any test or service caller) and returns the parsed body. */
  raw(query: string, variables?: Record<string, unknown>, actor?: InventoryCaller): Promise<GraphQLResult>;
  /** Like `raw`, failing the test on any GraphQL error; returns data. */
  ok(query: string, variables?: Record<string, unknown>, actor?: InventoryCaller): Promise<any>;
  location(code: string): Promise<string>;
  product(sku: string): Promise<string>;
  /** A level's quantities; zeros when it was never written. */
  level(locationId: string, sku: string): Promise<{ onHand: number; available: number; committed: number; incoming: number; damaged: number }>;
  stop(): Promise<void>;
}

const LEVEL = 'onHand available committed incoming damaged';

export async function startInventory(target: DatabaseTarget): Promise<InventoryClient> {
  const database = await openInventoryDatabase(target);
  const inventory = await buildInventorySubgraph({ database });
  const url = await inventory.listen(0);
  const raw = (query: string, variables?: Record<string, unknown>, actor: InventoryCaller = 'tester'): Promise<GraphQLResult> => post(url, query, variables, actor);
  const ok = async (query: string, variables?: Record<string, unknown>, actor?: InventoryCaller) => {
    const result = await raw(query, variables, actor);
    expect(result.errors).toBeUndefined();
    return result.data;
  };
  return {
    inventory,
    url,
    raw,
    ok,
    location: (code) => createTestLocation(url, code),
    async product(sku) {
      const data = await ok(`mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { message } } }`, { input: { sku, name: sku, category: 'chairs', price: '10.00' } });
      expect(data.createProduct.userErrors).toEqual([]);
      return sku;
    },
    async level(locationId, sku) {
      const data = await ok(`query($sku: ID!) { product(sku: $sku) { inventory { location { id } ${LEVEL} } } }`, { sku });
      const found = (data.product?.inventory ?? []).find((row: { location: { id: string } }) => row.location.id === locationId);
      if (!found) return { onHand: 0, available: 0, committed: 0, incoming: 0, damaged: 0 };
      const { location: _location, ...quantities } = found;
      return quantities;
    },
    stop: () => inventory.stop(),
  };
}

export const ADJUST = `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) {
  level { ${LEVEL} } movement { id state delta quantityAfter reason reference actor } userErrors { field message code } } }`;
export const SET = `mutation($input: SetInventoryInput!) { setInventory(input: $input) { level { ${LEVEL} } userErrors { field message code } } }`;
export const CHANGE_STATE = `mutation($input: ChangeInventoryStateInput!) { changeInventoryState(input: $input) {
  level { ${LEVEL} } movement { id state delta quantityAfter reason reference actor } userErrors { field message code } } }`;
export const ALLOCATE = `mutation($input: AllocateSaleStockInput!) { allocateSaleStock(input: $input) { allocated userErrors { field message code } } }`;
export const RESTOCK = `mutation($input: RestockReturnInput!) { restockReturn(input: $input) { restocked userErrors { field message code } } }`;

export const TRANSFER = `id status reference createdBy createdAt shippedAt receivedAt cancelledAt shortfall origin { id } destination { id }
  lines { product { sku } quantity receivedQuantity damagedQuantity shortfall }`;
export const CREATE_TRANSFER = `mutation($input: CreateTransferInput!) { createTransfer(input: $input) { transfer { ${TRANSFER} } userErrors { field message code } } }`;
export const SHIP_TRANSFER = `mutation($input: ShipTransferInput!) { shipTransfer(input: $input) { transfer { ${TRANSFER} } userErrors { field message code } } }`;
export const RECEIVE_TRANSFER = `mutation($input: ReceiveTransferInput!) { receiveTransfer(input: $input) { transfer { ${TRANSFER} } userErrors { field message code } } }`;
export const CANCEL_TRANSFER = `mutation($input: CancelTransferInput!) { cancelTransfer(input: $input) { transfer { ${TRANSFER} } userErrors { field message code } } }`;

/** The outbox, oldest first. */
export async function outbox(client: InventoryClient): Promise<{ type: string; aggregate: string; payload: any }[]> {
  return client.inventory.database.withConnection(async (sql) => (await sql.query(`SELECT type, aggregate, payload FROM outbox_events ORDER BY seq`)).rows as { type: string; aggregate: string; payload: any }[]);
}
