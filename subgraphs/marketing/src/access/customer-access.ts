/**
 * Customers and their RFM segments (docs/security.md): customers:read, and a location's
 * segmentation needs that location in scope. The overall segmentation counts every location's
 * orders, so only a caller with every location reads it; others are told to name a location.
 * Touchpoints carry no location (a customer's opens and clicks, wherever they then buy): they are
 * brand-wide, for callers with every location only.
 */
import { requirePermission, type Identity } from '@joinery/core';
import type { Campaign } from '../generated/prisma/client';
import { requireCampaignRead, visibleTargetIds } from './campaign-access';
import { requireEveryLocation, requireWithin } from './scope';

/** `operation` names the field in the message telling a scoped caller what to pass. */
export function requireSegmentation(identity: Identity, locationId: string | null | undefined, operation: string): void {
  requirePermission(identity, 'customers:read');
  if (locationId == null) requireEveryLocation(identity, `${operation} without a locationId covers every location's customers`, 'pass a locationId (one of your locations)');
  else requireWithin(identity, locationId);
}

export function requireTouchpoints(identity: Identity): void {
  requirePermission(identity, 'customers:read');
  requireEveryLocation(identity, 'Touchpoints are tied to no location');
}

/**
 * The segmentations a campaign's audience is read at: undefined for the campaign's own (every
 * target, or overall), else the caller's share of its targets. A campaign for every location has
 * its audience overall, for callers with every location only.
 */
export function audienceScopes(identity: Identity, campaign: Campaign): string[] | undefined {
  requirePermission(identity, 'customers:read');
  requireCampaignRead(identity, campaign);
  if (identity.locations === '*') return undefined;
  if (!campaign.targetLocationIds?.length) requireEveryLocation(identity, `Campaign ${campaign.id} targets every location, so its audience is every location's customers`);
  return visibleTargetIds(identity, campaign.targetLocationIds).map((id) => id.toLowerCase());
}
