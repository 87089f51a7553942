import Decimal from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { InputErrors } from '@joinery/core';
import { checkAction, checkTrigger, sameTrigger, type AutomationActionInput, type AutomationTriggerInput } from './rule-input';

const LOCATION = '0193a3c5-7d1e-7000-8000-000000000001';

function triggerErrors(input: AutomationTriggerInput) {
  const errors = new InputErrors();
  const columns = checkTrigger(errors, input);
  return { columns, errors: errors.errors.map((error) => [error.field?.join('.'), error.code, error.message]) };
}

function actionErrors(input: AutomationActionInput, trigger: AutomationTriggerInput = { kind: 'BACK_IN_STOCK' }) {
  const errors = new InputErrors();
  checkAction(errors, input, checkTrigger(new InputErrors(), trigger));
  return errors.errors.map((error) => [error.field?.join('.'), error.code, error.message]);
}

describe('checkTrigger', () => {
  it('accepts a STOCK_AT_OR_BELOW trigger with a whole threshold and a sku, and stores the location in lower case', () => {
    const { columns, errors } = triggerErrors({ kind: 'STOCK_AT_OR_BELOW', threshold: new Decimal(0), sku: 'OAK-TBL-180', locationId: LOCATION.toUpperCase() });
    expect(errors).toEqual([]);
    expect(columns).toMatchObject({ triggerKind: 'STOCK_AT_OR_BELOW', threshold: '0', triggerSku: 'OAK-TBL-180', triggerLocationId: LOCATION });
  });

  it('refuses STOCK_AT_OR_BELOW without a threshold, with a negative or fractional one, or with neither sku nor location', () => {
    expect(triggerErrors({ kind: 'STOCK_AT_OR_BELOW' }).errors).toEqual([
      ['input.trigger.threshold', 'BAD_USER_INPUT', expect.stringContaining('needs a threshold')],
      ['input.trigger.sku', 'BAD_USER_INPUT', 'STOCK_AT_OR_BELOW needs a sku, a locationId or both'],
    ]);
    expect(triggerErrors({ kind: 'STOCK_AT_OR_BELOW', sku: 'A', threshold: new Decimal(-1) }).errors).toEqual([['input.trigger.threshold', 'BAD_USER_INPUT', 'threshold must be at least 0; got -1']]);
    expect(triggerErrors({ kind: 'STOCK_AT_OR_BELOW', sku: 'A', threshold: new Decimal('2.5') }).errors).toEqual([['input.trigger.threshold', 'BAD_USER_INPUT', 'threshold must be a whole number; got 2.5']]);
  });

  it('refuses fields a kind does not use, naming each', () => {
    expect(triggerErrors({ kind: 'BACK_IN_STOCK', threshold: new Decimal(3), metric: 'UNITS', segmentName: 'VIP' }).errors).toEqual([
      ['input.trigger.threshold', 'BAD_USER_INPUT', 'threshold is not used by BACK_IN_STOCK; leave it out'],
      ['input.trigger.metric', 'BAD_USER_INPUT', 'metric is not used by BACK_IN_STOCK; leave it out'],
      ['input.trigger.segmentName', 'BAD_USER_INPUT', 'segmentName is not used by BACK_IN_STOCK; leave it out'],
    ]);
    expect(triggerErrors({ kind: 'CUSTOMER_ENTERS_SEGMENT', minOrders: 3, locationId: LOCATION }).errors).toEqual([
      ['input.trigger.locationId', 'BAD_USER_INPUT', 'locationId is not used by CUSTOMER_ENTERS_SEGMENT without an rfmSegment; leave it out'],
    ]);
  });

  it('needs a metric, a period and a threshold above 0 for SALES_MILESTONE; whole for UNITS and ORDERS, cents for REVENUE', () => {
    expect(triggerErrors({ kind: 'SALES_MILESTONE' }).errors.map((error) => error[0])).toEqual(['input.trigger.metric', 'input.trigger.period', 'input.trigger.threshold']);
    expect(triggerErrors({ kind: 'SALES_MILESTONE', metric: 'REVENUE', period: 'DAY', threshold: new Decimal(0) }).errors).toEqual([['input.trigger.threshold', 'BAD_USER_INPUT', 'threshold must be greater than 0; got 0']]);
    expect(triggerErrors({ kind: 'SALES_MILESTONE', metric: 'UNITS', period: 'WEEK', threshold: new Decimal('1.5') }).errors).toEqual([['input.trigger.threshold', 'BAD_USER_INPUT', 'threshold must be a whole number; got 1.5']]);
    expect(triggerErrors({ kind: 'SALES_MILESTONE', metric: 'REVENUE', period: 'MONTH', threshold: new Decimal('10.005') }).errors).toEqual([['input.trigger.threshold', 'BAD_USER_INPUT', expect.stringContaining('at most two decimals')]]);
    const { columns, errors } = triggerErrors({ kind: 'SALES_MILESTONE', metric: 'REVENUE', period: 'MONTH', threshold: new Decimal('2500.5') });
    expect(errors).toEqual([]);
    expect(columns).toMatchObject({ metric: 'REVENUE', period: 'MONTH', threshold: '2500.50' });
  });

  it('needs minOrders and/or a positive minLifetimeSpend for CUSTOMER_ENTERS_SEGMENT', () => {
    expect(triggerErrors({ kind: 'CUSTOMER_ENTERS_SEGMENT', segmentName: 'VIP' }).errors).toEqual([['input.trigger.minOrders', 'BAD_USER_INPUT', 'CUSTOMER_ENTERS_SEGMENT needs minOrders, minLifetimeSpend or both']]);
    expect(triggerErrors({ kind: 'CUSTOMER_ENTERS_SEGMENT', minOrders: 0, minLifetimeSpend: new Decimal(0) }).errors).toEqual([
      ['input.trigger.minOrders', 'BAD_USER_INPUT', 'minOrders must be at least 1; got 0'],
      ['input.trigger.minLifetimeSpend', 'BAD_USER_INPUT', 'minLifetimeSpend must be greater than 0; got 0'],
    ]);
    expect(triggerErrors({ kind: 'CUSTOMER_ENTERS_SEGMENT', minLifetimeSpend: new Decimal(500) }).errors).toEqual([]);
  });

  it('takes an rfmSegment (with an optional locationId) instead of the order criteria, never both', () => {
    const { columns, errors } = triggerErrors({ kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'AT_RISK', locationId: LOCATION.toUpperCase(), segmentName: 'Win back' });
    expect(errors).toEqual([]);
    expect(columns).toMatchObject({ rfmSegment: 'AT_RISK', triggerLocationId: LOCATION, minOrders: null, minLifetimeSpend: null, segmentName: 'Win back' });
    expect(triggerErrors({ kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'AT_RISK', minOrders: 2, minLifetimeSpend: new Decimal(10) }).errors).toEqual([
      ['input.trigger.minOrders', 'BAD_USER_INPUT', 'CUSTOMER_ENTERS_SEGMENT takes rfmSegment or minOrders/minLifetimeSpend, not both'],
      ['input.trigger.minLifetimeSpend', 'BAD_USER_INPUT', 'CUSTOMER_ENTERS_SEGMENT takes rfmSegment or minOrders/minLifetimeSpend, not both'],
    ]);
    expect(triggerErrors({ kind: 'STOCK_AT_OR_BELOW', threshold: new Decimal(1), sku: 'OAK-TBL-180', rfmSegment: 'LOST' }).errors).toEqual([
      ['input.trigger.rfmSegment', 'BAD_USER_INPUT', 'rfmSegment is not used by STOCK_AT_OR_BELOW; leave it out'],
    ]);
  });
});

describe('checkAction', () => {
  it('needs a webhookEndpointId for SEND_WEBHOOK, and refuses one that is not an id', () => {
    expect(actionErrors({ kind: 'SEND_WEBHOOK' })).toEqual([['input.action.webhookEndpointId', 'BAD_USER_INPUT', 'SEND_WEBHOOK needs a webhookEndpointId']]);
    expect(actionErrors({ kind: 'SEND_WEBHOOK', webhookEndpointId: 'hooks-1' })).toEqual([['input.action.webhookEndpointId', 'NOT_FOUND', 'No webhook endpoint with id hooks-1']]);
    expect(actionErrors({ kind: 'SEND_WEBHOOK', webhookEndpointId: LOCATION, taskTitle: 'x' })).toEqual([['input.action.taskTitle', 'BAD_USER_INPUT', 'taskTitle is not used by SEND_WEBHOOK; leave it out']]);
  });

  it('needs a taskTitle for CREATE_TASK, and a locationId unless the trigger has one', () => {
    expect(actionErrors({ kind: 'CREATE_TASK' })).toEqual([
      ['input.action.taskTitle', 'BAD_USER_INPUT', 'taskTitle must not be empty'],
      ['input.action.locationId', 'BAD_USER_INPUT', 'CREATE_TASK needs a locationId when the trigger has none'],
    ]);
    expect(actionErrors({ kind: 'CREATE_TASK', taskTitle: 'Restock the display' }, { kind: 'BACK_IN_STOCK', locationId: LOCATION })).toEqual([]);
    expect(actionErrors({ kind: 'CREATE_TASK', taskTitle: 'Restock the display', locationId: LOCATION })).toEqual([]);
  });

  it('needs a campaignId for START_CAMPAIGN and PAUSE_CAMPAIGN', () => {
    expect(actionErrors({ kind: 'START_CAMPAIGN' })).toEqual([['input.action.campaignId', 'BAD_USER_INPUT', 'START_CAMPAIGN needs a campaignId']]);
    expect(actionErrors({ kind: 'PAUSE_CAMPAIGN', campaignId: LOCATION, webhookEndpointId: LOCATION })).toEqual([['input.action.webhookEndpointId', 'BAD_USER_INPUT', 'webhookEndpointId is not used by PAUSE_CAMPAIGN; leave it out']]);
  });
});

describe('sameTrigger', () => {
  it('compares thresholds by value, and treats a renamed segment as the same trigger but a new threshold as another', () => {
    const base = checkTrigger(new InputErrors(), { kind: 'CUSTOMER_ENTERS_SEGMENT', minLifetimeSpend: new Decimal('500'), segmentName: 'VIP' });
    expect(sameTrigger(base, { ...base, minLifetimeSpend: '500.0', segmentName: 'Top customers' })).toBe(true);
    expect(sameTrigger(base, { ...base, minLifetimeSpend: '500.01' })).toBe(false);
    const rfm = checkTrigger(new InputErrors(), { kind: 'CUSTOMER_ENTERS_SEGMENT', rfmSegment: 'CHAMPIONS' });
    expect(sameTrigger(rfm, { ...rfm, rfmSegment: 'LOYAL' })).toBe(false);
  });
});
