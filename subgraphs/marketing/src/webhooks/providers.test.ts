import { describe, expect, it } from 'vitest';
import { customerOf, flatProperties, mailchimpEventName, providerHeaders, webhookPayload, type WebhookEvent } from './providers';

const event: WebhookEvent = {
  id: '0197a6c4-2f1e-7a31-9c55-3f2d1b0e9a10',
  type: 'marketing.touchpoint_recorded',
  occurredAt: '2026-05-04T10:15:00.000Z',
  data: { customer: { id: 'cust-42', email: 'kari@example.no' }, campaignId: 'c-1', utm: { source: 'newsletter', medium: null }, skus: ['OAK-TBL-180'], amount: 12.5 },
};

describe('webhookPayload', () => {
  it('GENERIC is { id, type, occurredAt, data }', () => {
    expect(webhookPayload('GENERIC', event)).toEqual({ id: event.id, type: event.type, occurredAt: event.occurredAt, data: event.data });
  });

  it("HUBSPOT is a custom behavioral event send body with the customer's email and flat snake_case properties", () => {
    expect(webhookPayload('HUBSPOT', event)).toEqual({
      eventName: 'marketing.touchpoint_recorded',
      occurredAt: event.occurredAt,
      email: 'kari@example.no',
      properties: {
        joinery_event_id: event.id, customer_id: 'cust-42', customer_email: 'kari@example.no', campaign_id: 'c-1', utm_source: 'newsletter', skus: '["OAK-TBL-180"]', amount: 12.5,
      },
    });
    const withObjectId = webhookPayload('HUBSPOT', { ...event, data: { customer: { hubspotObjectId: '901' } } });
    expect(withObjectId).toMatchObject({ objectId: '901' });
    expect(withObjectId).not.toHaveProperty('email');
  });

  it('MAILCHIMP is a member event: name of at most 30 safe characters, string properties, occurred_at', () => {
    const body = webhookPayload('MAILCHIMP', event) as { name: string; properties: Record<string, unknown>; occurred_at: string; is_syncing: boolean };
    expect(body.name).toBe('marketing_touchpoint_recorded');
    expect(body.occurred_at).toBe(event.occurredAt);
    expect(body.is_syncing).toBe(false);
    expect(Object.values(body.properties).every((value) => typeof value === 'string')).toBe(true);
    expect(body.properties).toMatchObject({ joinery_event_id: event.id, amount: '12.5', utm_source: 'newsletter' });
    expect(mailchimpEventName('marketing.automation_rule_fired.with_a_long_tail')).toHaveLength(30);
  });

  it('KLAVIYO is a Create Event JSON:API body with metric name, time, unique_id and the profile', () => {
    expect(webhookPayload('KLAVIYO', event)).toEqual({
      data: {
        type: 'event',
        attributes: {
          properties: event.data,
          time: event.occurredAt,
          unique_id: event.id,
          metric: { data: { type: 'metric', attributes: { name: 'marketing.touchpoint_recorded' } } },
          profile: { data: { type: 'profile', attributes: { email: 'kari@example.no', external_id: 'cust-42' } } },
        },
      },
    });
    const anonymous = webhookPayload('KLAVIYO', { ...event, data: { sku: 'OAK-TBL-180' } }) as { data: { attributes: Record<string, unknown> } };
    expect(anonymous.data.attributes).not.toHaveProperty('profile');
  });
});

describe('helpers', () => {
  it('reads the customer from data.customer or from data.trigger.customerId only', () => {
    expect(customerOf({ customer: { id: 'c-7', email: 'ola@example.no' } })).toEqual({ id: 'c-7', email: 'ola@example.no' });
    expect(customerOf({ sku: 'X' })).toBeNull();
    expect(customerOf({ rule: { id: 'r-1' }, trigger: { kind: 'CUSTOMER_ENTERS_SEGMENT', customerId: 'c-9' } })).toEqual({ id: 'c-9' });
  });

  it('credits no shopper for a sales milestone or stock firing whose data names one further down', () => {
    const milestone = {
      rule: { id: 'r-1', name: '100 orders this month' },
      trigger: { kind: 'SALES_MILESTONE', metric: 'ORDERS', value: '100', orderId: 'o-100' },
      event: { id: 'e-1', type: 'sales.order_confirmed', payload: { customerId: 'shopper-who-placed-order-100', email: 'shopper@example.no' } },
      customerId: 'top-level-is-not-the-subject',
    };
    expect(customerOf(milestone)).toBeNull();
    const klaviyo = webhookPayload('KLAVIYO', { ...event, data: milestone }) as { data: { attributes: Record<string, unknown> } };
    expect(klaviyo.data.attributes).not.toHaveProperty('profile');
    expect(webhookPayload('HUBSPOT', { ...event, data: milestone })).not.toHaveProperty('email');
  });

  it('flattens nested objects, drops nulls and keeps scalars', () => {
    expect(flatProperties({ aB: { cD: 1, e: null }, list: [1, 2], ok: true })).toEqual({ a_b_c_d: 1, list: '[1,2]', ok: true });
  });

  it('sends Klaviyo its JSON:API content type and API revision, JSON to the rest', () => {
    expect(providerHeaders('KLAVIYO')).toMatchObject({ 'content-type': 'application/vnd.api+json', revision: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(providerHeaders('GENERIC')).toEqual({ 'content-type': 'application/json' });
  });
});
