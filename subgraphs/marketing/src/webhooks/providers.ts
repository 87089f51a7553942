import type { WebhookProvider } from '../generated/prisma/client';

/** One event as a webhook carries it, before a provider shapes it. */
export interface WebhookEvent {
  /** The event's id: receivers and platforms dedupe on it. */
  id: string;
  type: string;
  /** ISO 8601. */
  occurredAt: string;
  data: Record<string, unknown>;
}

/**
 * Who an event is about, when its data says so explicitly: `data.customer { id, email,
 * hubspotObjectId }`, or `data.trigger.customerId` (the customer a CUSTOMER_ENTERS_SEGMENT rule
 * fired for). Nowhere else: a customer id further down (e.g. in the order that took a sales
 * milestone over its threshold) is not who the event is about.
 */
export interface EventCustomer {
  id?: string;
  email?: string;
  hubspotObjectId?: string;
}

/** The Klaviyo API revision the KLAVIYO shape follows (sent as the `revision` header). */
export const KLAVIYO_REVISION = '2024-10-15';

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value.trim() : typeof value === 'number' ? String(value) : undefined);

export function customerOf(data: Record<string, unknown>): EventCustomer | null {
  const object = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
  const nested = object(data.customer);
  const customer: EventCustomer = {
    id: text(nested.id) ?? text(object(data.trigger).customerId),
    email: text(nested.email),
    hubspotObjectId: text(nested.hubspotObjectId),
  };
  const known = Object.fromEntries(Object.entries(customer).filter(([, value]) => value !== undefined)) as EventCustomer;
  return Object.keys(known).length ? known : null;
}

const snake = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]+/g, '_').toLowerCase();

/**
 * Flat `snake_case` properties, as HubSpot and Mailchimp take them: nested objects are joined
 * with `_` (`utm.source` -> `utm_source`), arrays become JSON text, nulls are left out.
 */
export function flatProperties(data: Record<string, unknown>, prefix = ''): Record<string, string | number | boolean> {
  const flat: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(data)) {
    const name = prefix + snake(key);
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) flat[name] = JSON.stringify(value);
    else if (value instanceof Date) flat[name] = value.toISOString();
    else if (typeof value === 'object') Object.assign(flat, flatProperties(value as Record<string, unknown>, `${name}_`));
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') flat[name] = value;
    else flat[name] = String(value);
  }
  return flat;
}

/** Mailchimp event names: 2–30 letters, digits, `_` or `-`. */
export function mailchimpEventName(type: string): string {
  return type.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 30);
}

/** The JSON body an endpoint of `provider` receives for `event` (see docs/webhooks.md). */
export function webhookPayload(provider: WebhookProvider, event: WebhookEvent): Record<string, unknown> {
  const customer = customerOf(event.data);
  switch (provider) {
    case 'GENERIC':
      return { id: event.id, type: event.type, occurredAt: event.occurredAt, data: event.data };
    case 'HUBSPOT':
      // HubSpot's custom behavioral event "send" body (POST /events/v3/send).
      return {
        eventName: event.type,
        occurredAt: event.occurredAt,
        ...(customer?.email ? { email: customer.email } : {}),
        ...(customer?.hubspotObjectId ? { objectId: customer.hubspotObjectId } : {}),
        properties: { joinery_event_id: event.id, ...flatProperties(event.data) },
      };
    case 'MAILCHIMP': {
      // Mailchimp's member event body (POST /lists/{list_id}/members/{subscriber_hash}/events): string properties only.
      const properties = Object.fromEntries(Object.entries({ joinery_event_id: event.id, ...flatProperties(event.data) }).map(([key, value]) => [key, String(value)]));
      return { name: mailchimpEventName(event.type), properties, occurred_at: event.occurredAt, is_syncing: false };
    }
    case 'KLAVIYO': {
      // Klaviyo's Create Event body (POST /api/events, JSON:API).
      const profileAttributes = { ...(customer?.email ? { email: customer.email } : {}), ...(customer?.id ? { external_id: customer.id } : {}) };
      return {
        data: {
          type: 'event',
          attributes: {
            properties: event.data,
            time: event.occurredAt,
            unique_id: event.id,
            metric: { data: { type: 'metric', attributes: { name: event.type } } },
            ...(Object.keys(profileAttributes).length ? { profile: { data: { type: 'profile', attributes: profileAttributes } } } : {}),
          },
        },
      };
    }
  }
}

/** Headers a provider's API wants beside the body (the signature headers are added by the worker). */
export function providerHeaders(provider: WebhookProvider): Record<string, string> {
  if (provider === 'KLAVIYO') return { 'content-type': 'application/vnd.api+json', accept: 'application/vnd.api+json', revision: KLAVIYO_REVISION };
  return { 'content-type': 'application/json' };
}
