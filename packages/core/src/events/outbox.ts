import { uuidv7 } from '../ids';
import type { RawSql } from './event-consumer';

/** One event as a subgraph writes it to its `outbox_events` (the relay adds the rest of the envelope). */
export interface OutboxEvent<TPayload extends object = object> {
  id: string;
  type: string;
  aggregate: string;
  payload: TPayload;
}

/** A new event with a fresh UUIDv7 id. */
export function outboxEvent<TPayload extends object>(type: string, aggregate: string, payload: TPayload): OutboxEvent<TPayload> {
  return { id: uuidv7(), type, aggregate, payload };
}

/** Writes events to the subgraph's outbox in one statement, inside the caller's transaction. */
export async function recordEvents(tx: RawSql, events: OutboxEvent[]): Promise<void> {
  if (!events.length) return;
  await tx.$executeRaw`
    INSERT INTO outbox_events (id, type, aggregate, payload)
    SELECT event.id, event.type, event.aggregate, event.payload
    FROM jsonb_to_recordset(${JSON.stringify(events)}::jsonb) AS event(id uuid, type text, aggregate text, payload jsonb)`;
}
