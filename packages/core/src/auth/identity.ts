import { GraphQLError } from 'graphql';

/** The roles a user's token may carry (the `role` claim). */
export const ROLES = ['admin', 'manager', 'associate', 'analyst', 'marketer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who a request acts for, as the router verified it (or a subgraph stated it for its own calls).
 * `service` is a subgraph calling another for its own work (stock allocation, directories); only
 * subgraphs can sign it, never a user's token.
 */
export interface Identity {
  /** The token's subject, or `service:<name>` for a subgraph. */
  readonly subject: string;
  readonly role: Role | 'service';
  /**
   * Location ids the caller may see and act on, in lower case (as PostgreSQL returns UUIDs; the
   * router and InternalAuth.verify normalise them); `'*'` for every location.
   */
  readonly locations: '*' | readonly string[];
  /**
   * Recorded as who made a change (movements, transfers, returns): the subject, or for a
   * subgraph acting on a user's behalf, that user's subject.
   */
  readonly actor: string;
  /** The router's id for the client request, carried to every subgraph call. */
  readonly requestId?: string;
}

/** What a role may do; location scope applies on top (see `requireLocation`, `scopeLocations`). */
export type Permission =
  /** Locations, products, stock levels, movements, transfers, low-stock alerts, inventory analytics. */
  | 'stock:read'
  /** Adjust, set, change state; create, ship, receive and cancel transfers. */
  | 'stock:write'
  /** Create and update locations and products. */
  | 'catalog:write'
  /** Individual orders and returns. */
  | 'orders:read'
  /** Record a sale. */
  | 'sales:record'
  /** Return lines of a sale. */
  | 'sales:return'
  /** Sales summaries and the sales report. */
  | 'sales:aggregates'
  /** Campaigns, their touchpoints and performance (attribution). */
  | 'campaigns:read'
  /** Create, update, launch campaigns; touchpoints; spend. */
  | 'campaigns:write'
  /** Automation rules, their firings, webhook endpoints and deliveries, engagement sources: read. */
  | 'automation:read'
  /** … and create, update, delete, rotate secrets. */
  | 'automation:manage'
  /** Customers, RFM segments. */
  | 'customers:read'
  /** Complete store tasks that automation rules created (reading them needs only the location). */
  | 'tasks:complete'
  /** The audit log. */
  | 'audit:read'
  /** Mutations only subgraphs call (stock allocation for a sale, restock of a return). */
  | 'internal';

const READ_ALL: Permission[] = ['stock:read', 'orders:read', 'sales:aggregates', 'campaigns:read', 'customers:read', 'automation:read'];

/** The permission matrix of docs/security.md. */
export const PERMISSIONS: Record<Identity['role'], ReadonlySet<Permission>> = {
  admin: new Set<Permission>([...READ_ALL, 'stock:write', 'catalog:write', 'sales:record', 'sales:return', 'campaigns:write', 'automation:manage', 'tasks:complete', 'audit:read']),
  manager: new Set<Permission>(['stock:read', 'stock:write', 'orders:read', 'sales:record', 'sales:return', 'sales:aggregates', 'campaigns:read', 'tasks:complete']),
  associate: new Set<Permission>(['stock:read', 'orders:read', 'sales:record', 'tasks:complete']),
  analyst: new Set<Permission>(READ_ALL),
  marketer: new Set<Permission>(['stock:read', 'sales:aggregates', 'campaigns:read', 'campaigns:write', 'automation:read', 'automation:manage', 'customers:read']),
  service: new Set<Permission>([...READ_ALL, 'stock:write', 'catalog:write', 'sales:record', 'sales:return', 'campaigns:write', 'automation:manage', 'tasks:complete', 'audit:read', 'internal']),
};

export function can(identity: Identity, permission: Permission): boolean {
  return PERMISSIONS[identity.role]?.has(permission) ?? false;
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

/** Throws FORBIDDEN unless the caller's role has `permission`. */
export function requirePermission(identity: Identity, permission: Permission): void {
  if (!can(identity, permission)) throw forbidden(`The ${identity.role} role may not do this (needs ${permission})`);
}

export function allLocations(identity: Identity): boolean {
  return identity.locations === '*';
}

/** Whether `locationId` is the caller's, whatever its case (UUIDs match in any case in PostgreSQL). */
export function inScope(identity: Identity, locationId: string): boolean {
  return identity.locations === '*' || identity.locations.includes(locationId.toLowerCase());
}

/** Throws FORBIDDEN when the location is outside the caller's scope. */
export function requireLocation(identity: Identity, locationId: string): void {
  if (!inScope(identity, locationId)) throw forbidden(`Location ${locationId} is outside your locations`);
}

/** `requirePermission` then `requireLocation` for each id. */
export function requireAt(identity: Identity, permission: Permission, ...locationIds: string[]): void {
  requirePermission(identity, permission);
  for (const id of locationIds) requireLocation(identity, id);
}

/**
 * The locations a list or an aggregate may cover: `undefined` for no restriction (every
 * location), else the caller's locations, narrowed to `requested` when given. A requested
 * location outside the scope is FORBIDDEN rather than silently dropped.
 */
export function scopeLocations(identity: Identity, requested?: readonly string[] | null): readonly string[] | undefined {
  if (requested) {
    for (const id of requested) requireLocation(identity, id);
    return requested;
  }
  return identity.locations === '*' ? undefined : identity.locations;
}

/** A subgraph acting for itself, or for `onBehalfOf`'s change: every permission, every location. */
export function serviceIdentity(name: string, onBehalfOf?: Identity): Identity {
  return { subject: `service:${name}`, role: 'service', locations: '*', actor: onBehalfOf?.actor ?? `service:${name}`, requestId: onBehalfOf?.requestId };
}

/** Key of what a caller may see: equal keys see the same data (caches, shared subscription results). */
export function scopeKey(identity: Identity): string {
  return `${identity.role}:${identity.locations === '*' ? '*' : [...identity.locations].sort().join(',')}`;
}
