import { uuidv7 } from '../ids';
import type { EventEnvelope } from './event-bus';
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

/** A row of `outbox_events` as read by `OUTBOX_COLUMNS`. */
export interface OutboxRow {
  seq: string;
  id: string;
  type: string;
  version: number;
  aggregate: string;
  payload: Record<string, unknown>;
  occurred_at: Date | string;
  recorded_at: Date | string;
}

/**
 * The select list that reads an `outbox_events` row for `toEnvelope`. `seq` comes out as text, so
 * a query ordering by it must write `ORDER BY outbox_events.seq` (a bare `seq` sorts the text).
 */
export const OUTBOX_COLUMNS = 'seq::text AS seq, id::text AS id, type, version, aggregate, payload, occurred_at, recorded_at';

const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();

/** The envelope an outbox row travels as, the same for the relay and for replay. */
export function toEnvelope(row: OutboxRow): EventEnvelope {
  return { id: row.id, type: row.type, version: row.version, aggregate: row.aggregate, occurredAt: iso(row.occurred_at), recordedAt: iso(row.recorded_at), payload: row.payload };
}
