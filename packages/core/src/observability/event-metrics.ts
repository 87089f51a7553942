import type { EventEnvelope } from '../events/event-bus';
import { counter, histogram } from './metrics';

/** Event lag buckets, in seconds: from "live" to "a consumer was down for half an hour". */
const LAG_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 1800];

const lag = histogram('joinery_event_lag_seconds', "Seconds from an event's occurredAt to when a consumer group finished handling it, by group", ['group'], LAG_BUCKETS);
const failures = counter('joinery_event_handler_failures_total', 'Deliveries of an event that a consumer group member failed to handle (it is retried, then dead-lettered), by group', ['group']);
const deadLetters = counter('joinery_event_dead_letters_total', 'Events a consumer group gave up on after its last attempt (see npm run events -- dead-letters), by group and topic', ['group', 'topic']);

/** Records that `group` has handled `events` now. */
export function observeEventLag(group: string, events: readonly Pick<EventEnvelope, 'occurredAt'>[]): void {
  const now = Date.now();
  for (const event of events) {
    const occurred = Date.parse(event.occurredAt);
    // A clock ahead of this one would give a negative lag: it is at least zero.
    if (Number.isFinite(occurred)) lag.observe({ group }, Math.max(0, now - occurred) / 1000);
  }
}

export function countEventHandlerFailure(group: string): void {
  failures.inc({ group });
}

export function countDeadLetter(group: string, topic: string): void {
  deadLetters.inc({ group, topic });
}
