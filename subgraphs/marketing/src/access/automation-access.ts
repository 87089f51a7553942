/**
 * Automation rules and store tasks (docs/security.md). A rule is restricted to a location when its
 * trigger names one: it fires on that location's events only. An unrestricted rule fires on every
 * location's events (a sales milestone over all stores, any customer), so reading or changing it
 * needs every location. A rule's other places must be in scope too: the location its tasks go to,
 * the campaign it starts or pauses (which the caller must be allowed to change), and the webhook
 * endpoint it sends to (endpoints are brand-wide: every location).
 */
import { forbidden, inScope, requirePermission, type Identity } from '@joinery/core';
import type { AutomationRule, Campaign, StoreTask } from '../generated/prisma/client';
import { campaignWithinScope, requireCampaignRead } from './campaign-access';
import { everyLocation, requireEveryLocation, requireWithin } from './scope';

/** The columns of a rule that say where it acts. */
export type RuleReach = Pick<AutomationRule, 'triggerLocationId' | 'actionKind' | 'actionLocationId' | 'campaignId'>;

/** Whether a scoped caller sees the rule: restricted to one of their locations, with its tasks going to one of them. */
export function ruleVisible(identity: Identity, rule: Pick<AutomationRule, 'triggerLocationId' | 'actionLocationId'>): boolean {
  if (everyLocation(identity)) return true;
  return !!rule.triggerLocationId && inScope(identity, rule.triggerLocationId) && (!rule.actionLocationId || inScope(identity, rule.actionLocationId));
}

/** The rule, null when there is none, FORBIDDEN when the caller may not see it. */
export function requireRuleRead<T extends AutomationRule>(identity: Identity, rule: T | null): T | null {
  requirePermission(identity, 'automation:read');
  if (rule && !ruleVisible(identity, rule)) {
    throw forbidden(rule.triggerLocationId
      ? `Automation rule ${rule.id} acts at locations outside your locations`
      : `Automation rule ${rule.id} fires on every location's events: reading it needs access to every location`);
  }
  return rule;
}

/**
 * automation:manage, and every place the rule (as it would be stored) acts at within the caller's
 * scope. `campaign` is the START_CAMPAIGN / PAUSE_CAMPAIGN campaign when it exists (an unknown one
 * is left to the rule's NOT_FOUND).
 */
export function requireRuleManage(identity: Identity, rule: RuleReach, campaign: Campaign | null): void {
  requirePermission(identity, 'automation:manage');
  if (!rule.triggerLocationId) {
    requireEveryLocation(identity, 'A rule without a trigger locationId fires on every location\'s events', 'give trigger.locationId (one of your locations)');
  } else {
    requireWithin(identity, rule.triggerLocationId, 'Trigger location');
  }
  if (rule.actionLocationId) requireWithin(identity, rule.actionLocationId, 'Task location');
  if (rule.actionKind === 'SEND_WEBHOOK') requireEveryLocation(identity, 'A SEND_WEBHOOK rule sends to a webhook endpoint, which receives brand-wide data');
  if (campaign) {
    // Starting or pausing a campaign changes it: only a caller who may change it may automate that.
    requirePermission(identity, 'campaigns:write');
    requireCampaignRead(identity, campaign);
    if (!campaignWithinScope(identity, campaign)) {
      throw forbidden(`Campaign ${campaign.id} also runs outside your locations (or everywhere), so a rule of yours may not ${rule.actionKind === 'START_CAMPAIGN' ? 'start' : 'pause'} it`);
    }
  }
}

/** Store tasks are for the staff of their location: any role reads them there. */
export function requireTaskRead(identity: Identity, task: Pick<StoreTask, 'id' | 'locationId'>): void {
  requireWithin(identity, task.locationId, `Store task ${task.id}'s location`);
}

export function requireTaskComplete(identity: Identity, task: Pick<StoreTask, 'id' | 'locationId'> | null): void {
  requirePermission(identity, 'tasks:complete');
  if (task) requireTaskRead(identity, task);
}
