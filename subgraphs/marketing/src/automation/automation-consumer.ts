import type { EventConsumer } from '@joinery/core';
import type { Prisma } from '../generated/prisma/client';
import type { AutomationEngine } from './automation-engine';

/** The consumer group marketing automation reads with, and the key of its processed-event rows. */
export const AUTOMATION_CONSUMER = 'marketing.automation';

/** What it reads: inventory's stock events and sales' order events. */
export const AUTOMATION_TOPICS = ['inventory.stock', 'sales.orders'];

/** The topic marketing's own events are published on (docs/events.md, "Marketing"). */
export const MARKETING_TOPIC = 'marketing';

/** Marketing automation as an event consumer: stock changes and orders in, rules fired. */
export function automationConsumer(engine: AutomationEngine): EventConsumer<Prisma.TransactionClient> {
  return {
    name: AUTOMATION_CONSUMER,
    topics: AUTOMATION_TOPICS,
    handle: (tx, event) => engine.handle(tx, event),
    handleBatch: (tx, events) => engine.handleBatch(tx, events),
    reset: (tx) => engine.reset(tx),
  };
}
