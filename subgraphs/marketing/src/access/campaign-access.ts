/**
 * Who may see and change a campaign (docs/security.md): reading needs campaigns:read and a campaign
 * that targets every location (no targets) or at least one of the caller's; changing it needs
 * campaigns:write and every target within the caller's locations, and a brand-wide campaign (no
 * targets) needs every location, since it runs in stores the caller does not manage.
 */
import { forbidden, inScope, requirePermission, type Identity } from '@joinery/core';
import type { Campaign } from '../generated/prisma/client';
import { everyLocation, requireEveryLocation, requireWithin } from './scope';

type Targets = Pick<Campaign, 'id' | 'targetLocationIds'>;

export function campaignVisible(identity: Identity, campaign: Targets): boolean {
  const targets = campaign.targetLocationIds ?? [];
  return everyLocation(identity) || !targets.length || targets.some((id) => inScope(identity, id));
}

/** The campaign, null when there is none, FORBIDDEN when it targets only locations outside the caller's. */
export function requireCampaignRead<T extends Targets>(identity: Identity, campaign: T | null): T | null {
  requirePermission(identity, 'campaigns:read');
  if (campaign && !campaignVisible(identity, campaign)) throw forbidden(`Campaign ${campaign.id} targets only locations outside your locations`);
  return campaign;
}

/** Target locations a caller is shown: the in-scope ones only, so a campaign does not reveal other stores. */
export function visibleTargetIds(identity: Identity, targetLocationIds: readonly string[]): string[] {
  return targetLocationIds.filter((id) => inScope(identity, id));
}

/**
 * Whether all of the campaign belongs to the caller's locations: every location, or targets all
 * within them. Such a caller may change it and sees its spend (spend is per campaign, not per location).
 */
export function campaignWithinScope(identity: Identity, campaign: Targets): boolean {
  const targets = campaign.targetLocationIds ?? [];
  return everyLocation(identity) || (targets.length > 0 && targets.every((id) => inScope(identity, id)));
}

/**
 * campaigns:write and the targets `targetLocationIds` (the campaign's, or an input's) all within the
 * caller's locations; none (every location) needs every location. `subject` names what is changed.
 */
export function requireCampaignTargets(identity: Identity, targetLocationIds: readonly string[], subject: string): void {
  requirePermission(identity, 'campaigns:write');
  if (!targetLocationIds.length) {
    requireEveryLocation(identity, `${subject} targets every location (no targetLocationIds)`, 'give targetLocationIds within your locations');
    return;
  }
  for (const id of targetLocationIds) requireWithin(identity, id, `${subject}: target location`);
}
