import type { SqlConnection } from '../db/database';
import type { EventEnvelope } from './event-bus';
import { handleOnce, type EventConsumer, type RawSql, type TransactionRunner } from './event-consumer';
import { OUTBOX_COLUMNS, toEnvelope, type OutboxRow } from './outbox';

/** A subgraph's outbox read as the permanent record of its events (published rows are kept). */
export interface OutboxSource {
  /** The producing subgraph, e.g. `inventory`. */
  name: string;
  connection: SqlConnection;
  /** The bus topic each of its events goes to (as its relay publishes them). */
  topicOf: (event: EventEnvelope) => string;
}

/** Reads one outbox in write order, a page at a time. */
async function* outboxEvents(source: OutboxSource, pageSize: number): AsyncGenerator<EventEnvelope> {
  let after = '0';
  for (;;) {
    // outbox_events.seq, not the text alias `seq` of OUTBOX_COLUMNS: in text order a page after
    // seq 0 would hold 1, 10, 11… and the next page would start after the wrong event.
    const { rows } = await source.connection.query(
      `SELECT ${OUTBOX_COLUMNS}
       FROM outbox_events WHERE seq > $1::bigint ORDER BY outbox_events.seq LIMIT $2`,
      [after, pageSize],
    );
    for (const row of rows as unknown as OutboxRow[]) yield toEnvelope(row);
    if (rows.length < pageSize) return;
    after = (rows[rows.length - 1] as unknown as OutboxRow).seq;
  }
}

/**
 * Events of several outboxes in one sequence: each outbox in its write order, interleaved by the
 * time each event was recorded (the order a consumer reading all topics live would mostly see).
 */
export async function* mergedOutboxEvents(sources: OutboxSource[], topics: string[], pageSize = 1_000): AsyncGenerator<EventEnvelope> {
  const cursors = sources.map((source) => ({ source, events: outboxEvents(source, pageSize), head: undefined as EventEnvelope | undefined, done: false }));
  const advance = async (cursor: (typeof cursors)[number]) => {
    for (;;) {
      const next = await cursor.events.next();
      if (next.done) {
        cursor.done = true;
        cursor.head = undefined;
        return;
      }
      if (topics.includes(cursor.source.topicOf(next.value))) {
        cursor.head = next.value;
        return;
      }
    }
  };
  await Promise.all(cursors.map(advance));
  for (;;) {
    const live = cursors.filter((cursor) => !cursor.done);
    if (!live.length) return;
    const earliest = live.reduce((best, cursor) => (cursor.head!.recordedAt < best.head!.recordedAt ? cursor : best));
    yield earliest.head!;
    await advance(earliest);
  }
}

export interface ReplayResult {
  /** Events read from the outboxes on the consumer's topics. */
  events: number;
  /** Events applied (all of them, unless live delivery applied some meanwhile). */
  applied: number;
}

/**
 * Rebuilds a consumer's derived state from the recorded events: in one transaction its state is
 * reset and its processed-event ids forgotten, then every event on its topics is applied again, in
 * order, once each. Run it while the consumer's live members are stopped: events that arrive
 * meanwhile wait in the group (or in the outbox) and are applied, once, when they start again.
 */
export async function replayConsumer<Tx extends RawSql>(options: {
  db: TransactionRunner<Tx>;
  consumer: EventConsumer<Tx>;
  sources: OutboxSource[];
  onProgress?: (result: ReplayResult) => void;
}): Promise<ReplayResult> {
  const { db, consumer } = options;
  await db.$transaction(async (tx) => {
    await consumer.reset(tx);
    await tx.$executeRaw`DELETE FROM processed_events WHERE consumer = ${consumer.name}`;
  });
  const result: ReplayResult = { events: 0, applied: 0 };
  for await (const event of mergedOutboxEvents(options.sources, consumer.topics)) {
    result.events += 1;
    if (await handleOnce(db, consumer.name, event, (tx) => consumer.handle(tx, event))) result.applied += 1;
    if (result.events % 1_000 === 0) options.onProgress?.(result);
  }
  return result;
}
