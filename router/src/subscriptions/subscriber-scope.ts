import type { GraphQLError } from 'graphql';
import { forbidden, requirePermission, scopeKey, type Identity } from '@joinery/core';
import type { PreparedSubscription } from './prepare-subscription';

/**
 * What one subscriber may see. Subscribers with the same `key` (role and locations) see the same
 * data, so only they share results and combined queries; `identity` resolves their events.
 */
export interface SubscriberScope {
  readonly identity: Identity;
  readonly key: string;
  /** Whether an event at `locationId` may reach this subscriber. */
  sees(locationId: string | undefined): boolean;
}

export function subscriberScope(identity: Identity): SubscriberScope {
  // Location ids are UUIDs, which compare case-insensitively (a client may send them upper-case).
  const locations = identity.locations === '*' ? '*' : new Set(identity.locations.map((id) => id.toLowerCase()));
  return {
    identity,
    key: scopeKey(identity),
    // An event with no location is brand-wide: only a caller over every location may see it.
    sees: (locationId) => locations === '*' || (locationId !== undefined && locations.has(locationId.toLowerCase())),
  };
}

/**
 * Refusals for a subscription the caller may not hold: its role cannot read the field's data, or
 * an argument names a location outside its scope (FORBIDDEN at subscribe, never a silent stream
 * that stays empty).
 */
export function authorizeSubscription(scope: SubscriberScope, prepared: PreparedSubscription): GraphQLError[] {
  try {
    requirePermission(scope.identity, prepared.field.permission);
  } catch (error) {
    return [error as GraphQLError];
  }
  return prepared.field
    .locationsNamed(prepared.args)
    .filter((id) => !scope.sees(id))
    .map((id) => forbidden(`Location ${id} is outside your locations: you may subscribe to events at your own locations only`));
}
