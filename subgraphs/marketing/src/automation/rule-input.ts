import Decimal from 'decimal.js';
import { graphQLError, InputErrors, isUuid, SubgraphUnavailableError, type InventoryDirectory } from '@joinery/core';
import type { ActionKind, AutomationRule, MilestonePeriod, RfmSegment, SalesMetric, TriggerKind } from '../generated/prisma/client';

export interface AutomationTriggerInput {
  kind: TriggerKind;
  locationId?: string | null;
  sku?: string | null;
  threshold?: Decimal | null;
  metric?: SalesMetric | null;
  period?: MilestonePeriod | null;
  minOrders?: number | null;
  minLifetimeSpend?: Decimal | null;
  segmentName?: string | null;
  rfmSegment?: RfmSegment | null;
}

export interface AutomationActionInput {
  kind: ActionKind;
  webhookEndpointId?: string | null;
  taskTitle?: string | null;
  locationId?: string | null;
  campaignId?: string | null;
}

/** A trigger as stored: the columns of `automation_rules` it fills (decimals as text). */
export interface TriggerColumns {
  triggerKind: TriggerKind;
  triggerLocationId: string | null;
  triggerSku: string | null;
  threshold: string | null;
  metric: SalesMetric | null;
  period: MilestonePeriod | null;
  minOrders: number | null;
  minLifetimeSpend: string | null;
  segmentName: string | null;
  rfmSegment: RfmSegment | null;
}

export interface ActionColumns {
  actionKind: ActionKind;
  webhookEndpointId: string | null;
  taskTitle: string | null;
  actionLocationId: string | null;
  campaignId: string | null;
}

/** Which optional trigger fields each kind reads; giving another is an error, so a typo never goes unnoticed. */
const TRIGGER_FIELDS: Record<TriggerKind, (keyof AutomationTriggerInput)[]> = {
  STOCK_AT_OR_BELOW: ['locationId', 'sku', 'threshold'],
  BACK_IN_STOCK: ['locationId', 'sku'],
  SALES_MILESTONE: ['locationId', 'sku', 'threshold', 'metric', 'period'],
  CUSTOMER_ENTERS_SEGMENT: ['minOrders', 'minLifetimeSpend', 'segmentName', 'rfmSegment', 'locationId'],
};

const ACTION_FIELDS: Record<ActionKind, (keyof AutomationActionInput)[]> = {
  SEND_WEBHOOK: ['webhookEndpointId'],
  CREATE_TASK: ['taskTitle', 'locationId'],
  START_CAMPAIGN: ['campaignId'],
  PAUSE_CAMPAIGN: ['campaignId'],
};

const MAX_STOCK_THRESHOLD = 1_000_000_000;

function refuseUnused<T extends object>(errors: InputErrors, path: string[], input: T, used: (keyof T)[], kind: string): void {
  for (const [field, value] of Object.entries(input)) {
    if (field === 'kind' || value == null || used.includes(field as keyof T)) continue;
    errors.add([...path, field], `${field} is not used by ${kind}; leave it out`);
  }
}

function wholeNumber(errors: InputErrors, field: string[], value: Decimal, { min }: { min: number }): string {
  if (!value.isInteger()) errors.add(field, `${field.at(-1)} must be a whole number; got ${value.toString()}`);
  else if (value.lessThan(min)) errors.add(field, `${field.at(-1)} must be at least ${min}; got ${value.toString()}`);
  else if (value.greaterThan(MAX_STOCK_THRESHOLD)) errors.add(field, `${field.at(-1)} must be at most ${MAX_STOCK_THRESHOLD}; got ${value.toString()}`);
  return value.toFixed(0);
}

/** Checks a trigger's shape for its kind (no lookups) and returns its columns. */
export function checkTrigger(errors: InputErrors, input: AutomationTriggerInput): TriggerColumns {
  const path = ['input', 'trigger'];
  const at = (field: string) => [...path, field];
  refuseUnused(errors, path, input, TRIGGER_FIELDS[input.kind], input.kind);
  const columns: TriggerColumns = {
    triggerKind: input.kind,
    triggerLocationId: input.locationId?.toLowerCase() ?? null,
    triggerSku: input.sku == null ? null : errors.text(at('sku'), input.sku, { max: 64 }),
    threshold: null,
    metric: null,
    period: null,
    minOrders: null,
    minLifetimeSpend: null,
    segmentName: null,
    rfmSegment: null,
  };
  switch (input.kind) {
    case 'STOCK_AT_OR_BELOW':
      if (input.threshold == null) errors.add(at('threshold'), 'STOCK_AT_OR_BELOW needs a threshold (available units, 0 or more)');
      else columns.threshold = wholeNumber(errors, at('threshold'), input.threshold, { min: 0 });
      if (!input.locationId && !input.sku) errors.add(at('sku'), 'STOCK_AT_OR_BELOW needs a sku, a locationId or both');
      break;
    case 'BACK_IN_STOCK':
      break;
    case 'SALES_MILESTONE':
      if (!input.metric) errors.add(at('metric'), 'SALES_MILESTONE needs a metric (REVENUE, UNITS or ORDERS)');
      if (!input.period) errors.add(at('period'), 'SALES_MILESTONE needs a period (DAY, WEEK or MONTH)');
      columns.metric = input.metric ?? null;
      columns.period = input.period ?? null;
      if (input.threshold == null) errors.add(at('threshold'), 'SALES_MILESTONE needs a threshold greater than 0');
      else if (!input.threshold.greaterThan(0)) errors.add(at('threshold'), `threshold must be greater than 0; got ${input.threshold.toString()}`);
      else if (input.metric === 'REVENUE') columns.threshold = errors.money(at('threshold'), input.threshold).toFixed(2);
      else columns.threshold = wholeNumber(errors, at('threshold'), input.threshold, { min: 1 });
      break;
    case 'CUSTOMER_ENTERS_SEGMENT':
      // Either an RFM segment (fired by segment refreshes) or order criteria (fired by orders): two different questions.
      if (input.rfmSegment != null) {
        if (input.minOrders != null) errors.add(at('minOrders'), 'CUSTOMER_ENTERS_SEGMENT takes rfmSegment or minOrders/minLifetimeSpend, not both');
        if (input.minLifetimeSpend != null) errors.add(at('minLifetimeSpend'), 'CUSTOMER_ENTERS_SEGMENT takes rfmSegment or minOrders/minLifetimeSpend, not both');
        columns.rfmSegment = input.rfmSegment;
        if (input.segmentName != null) columns.segmentName = errors.text(at('segmentName'), input.segmentName);
        break;
      }
      if (input.locationId != null) errors.add(at('locationId'), 'locationId is not used by CUSTOMER_ENTERS_SEGMENT without an rfmSegment; leave it out');
      if (input.minOrders == null && input.minLifetimeSpend == null) errors.add(at('minOrders'), 'CUSTOMER_ENTERS_SEGMENT needs minOrders, minLifetimeSpend or both');
      if (input.minOrders != null) columns.minOrders = errors.integer(at('minOrders'), input.minOrders, { min: 1, max: 1_000_000 });
      if (input.minLifetimeSpend != null) {
        if (!input.minLifetimeSpend.greaterThan(0)) errors.add(at('minLifetimeSpend'), `minLifetimeSpend must be greater than 0; got ${input.minLifetimeSpend.toString()}`);
        else columns.minLifetimeSpend = errors.money(at('minLifetimeSpend'), input.minLifetimeSpend).toFixed(2);
      }
      if (input.segmentName != null) columns.segmentName = errors.text(at('segmentName'), input.segmentName);
      break;
  }
  return columns;
}

/** Checks an action's shape for its kind against the rule's trigger (no lookups) and returns its columns. */
export function checkAction(errors: InputErrors, input: AutomationActionInput, trigger: TriggerColumns): ActionColumns {
  const path = ['input', 'action'];
  const at = (field: string) => [...path, field];
  refuseUnused(errors, path, input, ACTION_FIELDS[input.kind], input.kind);
  const columns: ActionColumns = { actionKind: input.kind, webhookEndpointId: null, taskTitle: null, actionLocationId: null, campaignId: null };
  switch (input.kind) {
    case 'SEND_WEBHOOK':
      if (!input.webhookEndpointId) errors.add(at('webhookEndpointId'), 'SEND_WEBHOOK needs a webhookEndpointId');
      else if (!isUuid(input.webhookEndpointId)) errors.add(at('webhookEndpointId'), `No webhook endpoint with id ${input.webhookEndpointId}`, 'NOT_FOUND');
      else columns.webhookEndpointId = input.webhookEndpointId.toLowerCase();
      break;
    case 'CREATE_TASK':
      columns.taskTitle = errors.text(at('taskTitle'), input.taskTitle);
      columns.actionLocationId = input.locationId?.toLowerCase() ?? null;
      if (!input.locationId && !trigger.triggerLocationId) errors.add(at('locationId'), 'CREATE_TASK needs a locationId when the trigger has none');
      break;
    case 'START_CAMPAIGN':
    case 'PAUSE_CAMPAIGN':
      if (!input.campaignId) errors.add(at('campaignId'), `${input.kind} needs a campaignId`);
      else columns.campaignId = input.campaignId.toLowerCase();
      break;
  }
  return columns;
}

export function triggerOf(rule: AutomationRule): TriggerColumns {
  return {
    triggerKind: rule.triggerKind,
    triggerLocationId: rule.triggerLocationId,
    triggerSku: rule.triggerSku,
    threshold: rule.threshold?.toFixed(2) ?? null,
    metric: rule.metric,
    period: rule.period,
    minOrders: rule.minOrders,
    minLifetimeSpend: rule.minLifetimeSpend?.toFixed(2) ?? null,
    segmentName: rule.segmentName,
    rfmSegment: rule.rfmSegment,
  };
}

export function actionOf(rule: AutomationRule): ActionColumns {
  return { actionKind: rule.actionKind, webhookEndpointId: rule.webhookEndpointId, taskTitle: rule.taskTitle, actionLocationId: rule.actionLocationId, campaignId: rule.campaignId };
}

/** True when two triggers would fire on the same events (decimals compared by value). */
export function sameTrigger(a: TriggerColumns, b: TriggerColumns): boolean {
  const decimal = (value: string | null) => (value === null ? null : new Decimal(value).toFixed(2));
  return (
    a.triggerKind === b.triggerKind && a.triggerLocationId === b.triggerLocationId && a.triggerSku === b.triggerSku && decimal(a.threshold) === decimal(b.threshold) &&
    a.metric === b.metric && a.period === b.period && a.minOrders === b.minOrders && decimal(a.minLifetimeSpend) === decimal(b.minLifetimeSpend) &&
    a.rfmSegment === b.rfmSegment
  );
}

/** What must exist elsewhere: locations and the sku in inventory (asked in one request), the campaign and webhook endpoint here. */
export interface RuleReferences {
  triggerLocationId?: string | null;
  sku?: string | null;
  actionLocationId?: string | null;
  campaignId?: string | null;
  webhookEndpointId?: string | null;
}

/** Lookups in marketing's own tables. */
export interface LocalLookups {
  campaignExists(id: string): Promise<boolean>;
  /** Whether a webhook endpoint with this id exists and is not deleted. */
  webhookEndpointExists(id: string): Promise<boolean>;
}

export async function checkReferences(errors: InputErrors, refs: RuleReferences, inventory: InventoryDirectory, local: LocalLookups): Promise<void> {
  const locations = [
    { id: refs.triggerLocationId, field: ['input', 'trigger', 'locationId'] },
    { id: refs.actionLocationId, field: ['input', 'action', 'locationId'] },
  ].filter((entry): entry is { id: string; field: string[] } => !!entry.id);
  for (const entry of locations.filter((entry) => !isUuid(entry.id))) errors.add(entry.field, `No location with id ${entry.id}`, 'NOT_FOUND');
  const lookupIds = [...new Set(locations.map((entry) => entry.id).filter(isUuid))];
  if (refs.campaignId) {
    if (!isUuid(refs.campaignId) || !(await local.campaignExists(refs.campaignId))) errors.add(['input', 'action', 'campaignId'], `No campaign with id ${refs.campaignId}`, 'NOT_FOUND');
  }
  if (refs.webhookEndpointId) {
    if (!isUuid(refs.webhookEndpointId) || !(await local.webhookEndpointExists(refs.webhookEndpointId))) {
      errors.add(['input', 'action', 'webhookEndpointId'], `No webhook endpoint with id ${refs.webhookEndpointId}`, 'NOT_FOUND');
    }
  }
  if (!lookupIds.length && !refs.sku) return;
  try {
    const found = await inventory.lookup({ locationIds: lookupIds, skus: refs.sku ? [refs.sku] : [] });
    for (const entry of locations.filter((entry) => found.missingLocations.includes(entry.id))) errors.add(entry.field, `No location with id ${entry.id}`, 'NOT_FOUND');
    if (refs.sku && !found.prices.has(refs.sku)) errors.add(['input', 'trigger', 'sku'], `No product with sku ${refs.sku}`, 'NOT_FOUND');
  } catch (error) {
    if (error instanceof SubgraphUnavailableError) throw graphQLError('UNAVAILABLE', `${error.message}; nothing was changed, retry later`);
    throw error;
  }
}
