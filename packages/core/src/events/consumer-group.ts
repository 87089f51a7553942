import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { EventEnvelope } from './event-bus';
import { countDeadLetter, countEventHandlerFailure } from '../observability/event-metrics';
import { logger } from '../observability/logger';

/**
 * Durable delivery to a named consumer group: every event published on a topic reaches one member
 * of each group, at least once, until the member acknowledges it by returning from `handler`. A
 * member that throws, or dies, leaves the event pending; it is delivered again after
 * `reclaimAfterMs` (to any member), and after `maxAttempts` deliveries it goes to the group's
 * dead-letter list instead, where operators see it (`npm run events -- dead-letters`).
 */
export interface ConsumeOptions {
  /** The group, e.g. `marketing.automation`: each of its members gets a share of the events. */
  group: string;
  /** This member's name in the group. Default `<hostname>-<pid>-<random>`. */
  consumer?: string;
  /** Handles one event; resolving acknowledges it. Must be safe to call twice for one event id. */
  handler: (event: EventEnvelope) => Promise<void>;
  /**
   * Handles the events read together in one go (e.g. one database transaction), in order; resolving
   * acknowledges them all. If it throws, each event is handed to `handler` alone, so one bad event
   * is retried and dead-lettered by itself. Optional; same duty to be safe to repeat.
   */
  batchHandler?: (events: EventEnvelope[]) => Promise<void>;
  /** Deliveries of one event before it is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** An event delivered this long ago (ms) and still unacknowledged is delivered again. Default 10000. */
  reclaimAfterMs?: number;
  /** Most events read at once. Default 100. */
  batchSize?: number;
}

export interface Consumption {
  /** Stops reading, lets the event in hand finish, and leaves what it has not acknowledged pending. */
  stop(): Promise<void>;
}

/** An event that failed `attempts` deliveries to `group`, kept for operators. */
export interface DeadLetter {
  topic: string;
  group: string;
  attempts: number;
  /** The last error a member of this process saw for it, if any. */
  error: string | null;
  deadAt: string;
  event: EventEnvelope;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_RECLAIM_AFTER_MS = 10_000;

export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error).slice(0, 2_000);
}

/** Logs, and counts (joinery_event_handler_failures_total), a failed delivery. */
export function logHandlerFailure(group: string, event: Pick<EventEnvelope, 'id' | 'type'>, attempt: number, error: unknown): void {
  countEventHandlerFailure(group);
  logger().error({ group, eventId: event.id, eventType: event.type, attempt, error: errorText(error) }, 'event handler failed; will retry or dead-letter');
}

/** Logs, and counts (joinery_event_dead_letters_total), an event given up on. */
export function logDeadLetter(letter: DeadLetter): void {
  countDeadLetter(letter.group, letter.topic);
  logger().error({ group: letter.group, topic: letter.topic, eventId: letter.event.id, eventType: letter.event.type, attempts: letter.attempts, error: letter.error }, 'event dead-lettered');
}
