/**
 * Webhook endpoints, their deliveries, engagement sources and refused inbound requests
 * (docs/security.md): automation:read to read, automation:manage to change. Endpoints send events of
 * every location, and sources report engagement tied to no location, so both need every location,
 * for reading as for managing.
 */
import { requirePermission, type Identity, type Permission } from '@joinery/core';
import { requireEveryLocation } from './scope';

const WHY: Record<'endpoints' | 'sources', string> = {
  endpoints: 'Webhook endpoints and their deliveries carry brand-wide data',
  sources: 'Engagement sources and the inbound requests they send report brand-wide data',
};

export function requireWebhooks(identity: Identity, permission: Extract<Permission, 'automation:read' | 'automation:manage'>, what: keyof typeof WHY): void {
  requirePermission(identity, permission);
  requireEveryLocation(identity, WHY[what]);
}
