import { forbidden, inScope, isUuid, requireLocation, requirePermission, type Identity, type Permission } from '@joinery/core';
import type { OrderService } from './order-service';

/**
 * Who may read and change what in sales: docs/security.md's matrix applied to orders, returns and
 * sales figures. Individual orders and returns need `orders:read` at the order's location; figures
 * (summaries, the report) need `sales:aggregates` and count only the caller's locations; recording
 * needs `sales:record` or `sales:return` where it happens. Refusals are FORBIDDEN errors naming
 * what was out of reach, thrown before anything is read for or written by the request.
 */

/** Location ids compared as PostgreSQL prints uuids, in lower case: a token or a client may send upper case. */
const canonical = (id: string) => id.toLowerCase();

/** The identity with its locations in canonical case, so scope checks compare like with like. */
export function canonicalIdentity(identity: Identity): Identity {
  return identity.locations === '*' ? identity : { ...identity, locations: identity.locations.map(canonical) };
}

/**
 * The locations lists and aggregates may cover: `undefined` for every location. An entry of the
 * caller's scope that is not an id can hold no sales (and would not cast to uuid): left out.
 */
export function visibleLocations(identity: Identity): readonly string[] | undefined {
  return identity.locations === '*' ? undefined : identity.locations.filter(isUuid).map(canonical);
}

/** Every location a filter names must be the caller's: one that is not is FORBIDDEN, never silently dropped. */
export function requireLocations(identity: Identity, ids: readonly string[] | null | undefined): void {
  for (const id of ids ?? []) requireLocation(identity, canonical(id));
}

/** `permission`, at `locationId`. */
export function requireAtLocation(identity: Identity, permission: Permission, locationId: string): void {
  requirePermission(identity, permission);
  requireLocation(identity, canonical(locationId));
}

/** An order, and what hangs on it (lines, returns), needs `permission` at the order's location. */
export function requireOrder(identity: Identity, order: { id: string; locationId: string }, permission: Permission = 'orders:read'): void {
  requirePermission(identity, permission);
  if (!inScope(identity, canonical(order.locationId))) throw forbidden(`Order ${order.id} is at location ${canonical(order.locationId)}, outside your locations`);
}

/** The order if the caller may read it; `null` stays `null` (no such confirmed order). */
export function readableOrder<T extends { id: string; locationId: string }>(identity: Identity, order: T | null): T | null {
  if (order) requireOrder(identity, order);
  return order;
}

/**
 * A return needs `sales:return` at the order's location, and at the location the goods come back
 * to when one is named (their stock changes there). An order that is not a confirmed one is left
 * to the recorder, which answers NOT_FOUND as it always has.
 */
export async function requireReturnable(identity: Identity, input: { orderId: string; locationId?: string | null }, orders: OrderService): Promise<void> {
  requirePermission(identity, 'sales:return');
  // The recorder looks the order up again; an order this check cannot see must be one the
  // recorder cannot see either (unknown or not confirmed), or the check would fail open.
  const order = await orders.order(input.orderId);
  if (order) requireOrder(identity, order, 'sales:return');
  if (input.locationId != null) requireLocation(identity, canonical(input.locationId));
}
