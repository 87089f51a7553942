/**
 * What a request may read and change in inventory: the permission matrix of docs/security.md
 * (packages/core/src/auth/identity.ts) applied to inventory's data. Every resolver that reads
 * location data or changes anything goes through here.
 *
 * Location ids are compared in lower case: the tables store UUIDs so, and a client may write one
 * in upper case (the services accept either).
 */
import { can, forbidden, isUuid, requirePermission, type Identity, type Permission } from '@joinery/core';

/** The ends of a transfer a step needs in scope: ship at the origin, receive at the destination. */
export type TransferEnd = 'origin' | 'destination' | 'either';

export class InventoryAccess {
  /**
   * The caller's locations in lower case, or undefined for every location. Ids that are not
   * UUIDs are left out: no location has one, and they would fail the `::uuid[]` casts of queries.
   */
  readonly locations: readonly string[] | undefined;

  constructor(readonly identity: Identity) {
    this.locations = identity.locations === '*' ? undefined : identity.locations.map((id) => id.toLowerCase()).filter(isUuid);
  }

  can(permission: Permission): boolean {
    return can(this.identity, permission);
  }

  /** FORBIDDEN unless the caller's role has `permission` (wherever it applies). */
  require(permission: Permission): void {
    requirePermission(this.identity, permission);
  }

  /** `unknown`: entity references arrive as any JSON a caller sent; only a string can name a location in scope. */
  inScope(locationId: unknown): boolean {
    return this.locations === undefined || (typeof locationId === 'string' && this.locations.includes(locationId.toLowerCase()));
  }

  /** FORBIDDEN naming the location when it is outside the caller's locations. */
  requireLocation(locationId: unknown): void {
    if (!this.inScope(locationId)) throw forbidden(`Location ${typeof locationId === 'string' ? locationId : JSON.stringify(locationId)} is outside your locations`);
  }

  /** `require(permission)`, then `requireLocation` for each id. */
  requireAt(permission: Permission, ...locationIds: string[]): void {
    this.require(permission);
    for (const id of locationIds) this.requireLocation(id);
  }

  /**
   * The locations a list or a report may cover, in lower case: undefined for every location
   * (a caller with '*' and nothing requested), else `requested` if every one is in scope, else
   * the caller's locations. A requested location outside the scope is FORBIDDEN, never dropped:
   * an answer silently narrowed would read as "nothing there".
   */
  scope(requested?: readonly string[] | null): readonly string[] | undefined {
    if (requested) {
      for (const id of requested) this.requireLocation(id);
      return requested.map((id) => id.toLowerCase());
    }
    return this.locations;
  }

  /**
   * FORBIDDEN unless the transfer's `end` is in scope ('either': origin or destination). Steps
   * check the end whose stock they move first (creating one commits stock at its origin); reading
   * or cancelling one needs either end. `id` is absent for a transfer not created yet.
   */
  requireTransfer(transfer: { id?: string; originId: string; destinationId: string }, end: TransferEnd): void {
    const name = transfer.id ? `Transfer ${transfer.id}` : 'The transfer';
    const origin = this.inScope(transfer.originId);
    const destination = this.inScope(transfer.destinationId);
    if (end === 'origin' && !origin) throw forbidden(`${name} leaves from location ${transfer.originId}, outside your locations: only its origin may create or ship it`);
    if (end === 'destination' && !destination) throw forbidden(`${name} goes to location ${transfer.destinationId}, outside your locations: only its destination may receive it`);
    if (end === 'either' && !origin && !destination) {
      throw forbidden(`${name} runs from location ${transfer.originId} to location ${transfer.destinationId}, both outside your locations`);
    }
  }
}
