/**
 * Location scope as marketing applies it. Marketing stores location ids as PostgreSQL UUIDs (lower
 * case), so the caller's locations are compared in lower case too; an id that is not a UUID can
 * match no stored row and is left out of SQL filters (a uuid[] cast would fail on it).
 */
import { forbidden, inScope, isUuid, type Identity } from '@joinery/core';

/** The caller's locations as marketing stores ids; undefined: every location. */
export function locationScope(identity: Identity): string[] | undefined {
  if (identity.locations === '*') return undefined;
  return [...new Set(identity.locations.map((id) => id.toLowerCase()).filter(isUuid))];
}

export function everyLocation(identity: Identity): boolean {
  return identity.locations === '*';
}

/** FORBIDDEN naming the location when it is outside the caller's scope. */
export function requireWithin(identity: Identity, locationId: string, what = 'Location'): void {
  if (!inScope(identity, locationId)) throw forbidden(`${what} ${locationId} is outside your locations`);
}

/**
 * FORBIDDEN unless the caller has every location: for data tied to no location (brand-wide), which
 * a caller scoped to some locations may neither read nor change. `why` says what is brand-wide,
 * `hint` what a scoped caller can do instead.
 */
export function requireEveryLocation(identity: Identity, why: string, hint?: string): void {
  if (everyLocation(identity)) return;
  const yours = (identity.locations as readonly string[]).join(', ') || 'none';
  throw forbidden(`${why}: that needs access to every location, and yours are ${yours}${hint ? `; ${hint}` : ''}`);
}
