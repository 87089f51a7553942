import { mutationPayload } from '@joinery/core';
import type { Resolvers } from '../generated/resolvers-types';

/** Thin: each resolver translates GraphQL to one call on the AutomationService (context.automation). */
export const automationQueries: NonNullable<Resolvers['Query']> = {
  automationRule: (_root, { id }, { automation }) => automation.rule(id),
  automationRules: (_root, args, { automation }) => automation.rules(args, { enabled: args.enabled }),
  storeTasks: (_root, args, { automation }) => automation.tasks(args, { locationId: args.locationId, statuses: args.statuses }),
};

export const automationMutations: NonNullable<Resolvers['Mutation']> = {
  createAutomationRule: (_root, { input }, { automation }) => mutationPayload(() => automation.create(input)),
  updateAutomationRule: (_root, { input }, { automation }) => mutationPayload(() => automation.update(input)),
  deleteAutomationRule: (_root, { input }, { automation }) => mutationPayload(() => automation.delete(input)),
  completeStoreTask: (_root, { input }, { automation }) => mutationPayload(() => automation.completeTask(input)),
};

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
    campaign: (rule, _args, { campaigns }) => (rule.campaignId ? campaigns.campaign(rule.campaignId) : null),
  },
  RuleFiring: {
    rule: async (firing, _args, { automation }) => (await automation.ruleEvenIfDeleted(firing.ruleId))!,
    detail: (firing) => JSON.stringify(firing.detail),
    task: (firing, _args, { automation }) => automation.taskOfFiring(firing.id),
  },
  StoreTask: {
    location: (task) => ({ id: task.locationId }),
    rule: (task, _args, { automation }) => (task.ruleId ? automation.ruleEvenIfDeleted(task.ruleId) : null),
  },
};
