import { mutationPayload, requirePermission } from '@joinery/core';
import { requireRuleManage, requireRuleRead, requireTaskComplete, requireTaskRead, type RuleReach } from '../access/automation-access';
import { requireCampaignRead } from '../access/campaign-access';
import { locationScope, requireWithin } from '../access/scope';
import type { Context } from '../context';
import type { AutomationRule } from '../generated/prisma/client';
import type { Resolvers } from '../generated/resolvers-types';
import type { AutomationActionInput, AutomationTriggerInput } from './rule-input';

/** Thin: each resolver checks the caller (src/access) and translates GraphQL to one call on the AutomationService (context.automation). */
export const automationQueries: NonNullable<Resolvers['Query']> = {
  automationRule: async (_root, { id }, { automation, identity }) => requireRuleRead(identity, await automation.rule(id)),
  automationRules: (_root, args, { automation, identity }) => {
    requirePermission(identity, 'automation:read');
    return automation.rules(args, { enabled: args.enabled, locations: locationScope(identity) });
  },
  // Tasks are for a store's staff: any role reads those of its locations.
  storeTasks: (_root, args, { automation, identity }) => {
    if (args.locationId != null) requireWithin(identity, args.locationId);
    return automation.tasks(args, { locationId: args.locationId, statuses: args.statuses, locations: locationScope(identity) });
  },
};

export const automationMutations: NonNullable<Resolvers['Mutation']> = {
  createAutomationRule: async (_root, { input }, context) => {
    await requireManage(context, reachOf(input.trigger, input.action));
    return mutationPayload(() => context.automation.create(input));
  },
  updateAutomationRule: async (_root, { input }, context) => {
    requirePermission(context.identity, 'automation:manage');
    // An unknown rule is left to update's NOT_FOUND. The rule must be the caller's both as it is and as it would be.
    const existing = requireRuleRead(context.identity, await context.automation.rule(input.id));
    if (existing) {
      await requireManage(context, existing);
      await requireManage(context, reachOf(input.trigger ?? null, input.action ?? null, existing));
    }
    return mutationPayload(() => context.automation.update(input));
  },
  deleteAutomationRule: async (_root, { input }, context) => {
    requirePermission(context.identity, 'automation:manage');
    const existing = requireRuleRead(context.identity, await context.automation.rule(input.id));
    if (existing) await requireManage(context, existing);
    return mutationPayload(() => context.automation.delete(input));
  },
  completeStoreTask: async (_root, { input }, { automation, identity }) => {
    // An unknown task is left to completeTask's NOT_FOUND.
    requireTaskComplete(identity, await automation.task(input.id));
    return mutationPayload(() => automation.completeTask(input));
  },
};

/**
 * Where a rule would act once written: the input's trigger and action, or for an update, what it
 * leaves of `existing`. As given (before the input is checked), lower-cased as the rule stores ids.
 */
function reachOf(trigger: AutomationTriggerInput | null, action: AutomationActionInput | null, existing?: AutomationRule): RuleReach {
  const lower = (id: string | null | undefined) => id?.toLowerCase() ?? null;
  return {
    triggerLocationId: trigger ? lower(trigger.locationId) : existing?.triggerLocationId ?? null,
    actionKind: action ? action.kind : existing!.actionKind,
    actionLocationId: action ? lower(action.locationId) : existing?.actionLocationId ?? null,
    campaignId: action ? lower(action.campaignId) : existing?.campaignId ?? null,
  };
}

async function requireManage({ identity, campaigns }: Context, reach: RuleReach): Promise<void> {
  const campaign = reach.campaignId && (reach.actionKind === 'START_CAMPAIGN' || reach.actionKind === 'PAUSE_CAMPAIGN') ? await campaigns.campaign(reach.campaignId) : null;
  requireRuleManage(identity, reach, campaign);
}

export const automationTypes: Pick<Resolvers, 'AutomationRule' | 'AutomationTrigger' | 'AutomationAction' | 'RuleFiring' | 'StoreTask'> = {
  AutomationRule: {
    trigger: (rule) => rule,
    action: (rule) => rule,
    firings: (rule, args, { automation }) => automation.firings(rule.id, args),
  },
  AutomationTrigger: {
    kind: (rule) => rule.triggerKind,
    location: (rule) => (rule.triggerLocationId ? { id: rule.triggerLocationId } : null),
    product: (rule) => (rule.triggerSku ? { sku: rule.triggerSku } : null),
    threshold: (rule) => rule.threshold,
    metric: (rule) => rule.metric,
    period: (rule) => rule.period,
    minOrders: (rule) => rule.minOrders,
    minLifetimeSpend: (rule) => rule.minLifetimeSpend,
    segmentName: (rule) => rule.segmentName,
    rfmSegment: (rule) => rule.rfmSegment,
  },
  AutomationAction: {
    kind: (rule) => rule.actionKind,
    webhookEndpointId: (rule) => rule.webhookEndpointId,
    taskTitle: (rule) => rule.taskTitle,
    location: (rule) => (rule.actionLocationId ? { id: rule.actionLocationId } : null),
    campaign: async (rule, _args, { campaigns, identity }) => (rule.campaignId ? requireCampaignRead(identity, await campaigns.campaign(rule.campaignId)) : null),
  },
  RuleFiring: {
    rule: async (firing, _args, { automation, identity }) => requireRuleRead(identity, await automation.ruleEvenIfDeleted(firing.ruleId))!,
    detail: (firing) => JSON.stringify(firing.detail),
    task: async (firing, _args, { automation, identity }) => {
      const task = await automation.taskOfFiring(firing.id);
      if (task) requireTaskRead(identity, task);
      return task;
    },
  },
  StoreTask: {
    location: (task) => ({ id: task.locationId }),
    // The rule behind a task is automation data: a store's staff see the task, not the rule.
    rule: async (task, _args, { automation, identity }) => (task.ruleId ? requireRuleRead(identity, await automation.ruleEvenIfDeleted(task.ruleId)) : null),
  },
};
