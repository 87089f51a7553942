import { GraphQLError } from 'graphql';
import type { EventEnvelope, Permission } from '@joinery/core';

/** Arguments of a subscription root field, after variables are applied. */
export type LiveArgs = Record<string, unknown>;

/**
 * How the router serves one root field of `Subscription`: which events feed it, which of them a
 * subscriber's arguments select, and the query field that reads one event back by id (the
 * router resolves every event through the normal query plan, starting at that field).
 */
export interface LiveField {
  topic: string;
  eventType: string;
  lookupField: string;
  /** What the subscriber's role must be allowed to read (its events are that kind of data). */
  permission: Permission;
  /** Problems with the arguments, each naming the argument. */
  check(args: LiveArgs): string[];
  /** Locations the arguments name: each must be in the subscriber's scope. */
  locationsNamed(args: LiveArgs): string[];
  /** The location an event is about, for the scope filter that runs before any filter or resolution. */
  locationOf(event: EventEnvelope): string | undefined;
  matches(event: EventEnvelope, args: LiveArgs): boolean;
}

const MAX_SKUS = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface StockEventPayload {
  locationId: string;
  sku: string;
}

function checkLocation(args: LiveArgs): string[] {
  const id = args.locationId;
  return typeof id === 'string' && !UUID.test(id) ? [`locationId ${JSON.stringify(id)} is not a location id (a UUID)`] : [];
}

const namedLocation = (args: LiveArgs): string[] => (typeof args.locationId === 'string' ? [args.locationId] : []);

const stockEventLocation = (event: EventEnvelope): string | undefined => {
  const id = (event.payload as unknown as Partial<StockEventPayload>).locationId;
  return typeof id === 'string' ? id : undefined;
};

const atLocation = (event: EventEnvelope, args: LiveArgs) =>
  args.locationId == null || (event.payload as unknown as StockEventPayload).locationId.toLowerCase() === String(args.locationId).toLowerCase();

export const LIVE_FIELDS: Record<string, LiveField> = {
  stockChanged: {
    topic: 'inventory.stock',
    eventType: 'inventory.stock_changed',
    lookupField: 'stockChange',
    permission: 'stock:read',
    locationsNamed: namedLocation,
    locationOf: stockEventLocation,
    check(args) {
      const problems = checkLocation(args);
      if (Array.isArray(args.skus) && args.skus.length > MAX_SKUS) problems.push(`skus may name at most ${MAX_SKUS} products; got ${args.skus.length}`);
      if (Array.isArray(args.skus) && args.skus.length === 0) problems.push('skus must name at least one product, or be left out to receive every product');
      return problems;
    },
    matches: (event, args) => atLocation(event, args) && (args.skus == null || (args.skus as string[]).includes((event.payload as unknown as StockEventPayload).sku)),
  },
  lowStock: {
    topic: 'inventory.stock',
    eventType: 'inventory.low_stock',
    lookupField: 'lowStockAlert',
    permission: 'stock:read',
    locationsNamed: namedLocation,
    locationOf: stockEventLocation,
    check: checkLocation,
    matches: atLocation,
  },
};

export const LIVE_TOPICS = [...new Set(Object.values(LIVE_FIELDS).map((field) => field.topic))];

export function badSubscriptionInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}
