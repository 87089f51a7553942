import type { ConsumeOptions, Consumption } from './consumer-group';
import type { EventBus, EventEnvelope } from './event-bus';
import { observeEventLag } from '../observability/event-metrics';

/** The part of a Prisma transaction client the consumer machinery uses. */
export interface RawSql {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

/** Runs a function in one database transaction (a PrismaClient is one). */
export interface TransactionRunner<Tx extends RawSql> {
  $transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * Something that keeps state of its own from other subgraphs' events: marketing automation, for
 * example. Its effects are written in the consumer's own database, in the transaction that also
 * records the event id in `processed_events`, so an event delivered twice has its effect once.
 */
export interface EventConsumer<Tx extends RawSql> {
  /** Its consumer group, and the key of its `processed_events` rows, e.g. `marketing.automation`. */
  name: string;
  /** The bus topics it reads. */
  topics: string[];
  /** Applies one event inside `tx`. Events it does not care about are simply ignored. */
  handle(tx: Tx, event: EventEnvelope): Promise<void>;
  /** Applies several, in order, inside `tx` (e.g. reading what they all need once). Default: `handle` each. */
  handleBatch?(tx: Tx, events: EventEnvelope[]): Promise<void>;
  /** Deletes the state it derives from events, before a replay rebuilds it. */
  reset(tx: Tx): Promise<void>;
}

/**
 * Applies `event` once: records `(consumer, event id)` in `processed_events` and runs `handle` in
 * the same transaction. Resolves false, doing nothing, when the id was handled before. Two
 * deliveries of one event racing each other serialise on the row's primary key.
 */
export async function handleOnce<Tx extends RawSql>(db: TransactionRunner<Tx>, consumer: string, event: EventEnvelope, handle: (tx: Tx) => Promise<void>): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO processed_events (consumer, event_id, event_type) VALUES (${consumer}, ${event.id}::uuid, ${event.type})
      ON CONFLICT (consumer, event_id) DO NOTHING`;
    if (inserted === 0) return false;
    await handle(tx);
    return true;
  });
}

/**
 * Applies several events in one transaction: their ids are recorded in one statement and `handle`
 * runs, in order, for those not handled before. Resolves with how many were applied. If any
 * handler throws, nothing of the batch is kept.
 */
export async function handleBatchOnce<Tx extends RawSql>(db: TransactionRunner<Tx>, consumer: string, events: EventEnvelope[], handle: (tx: Tx, events: EventEnvelope[]) => Promise<void>): Promise<number> {
  return db.$transaction(async (tx) => {
    const ids = events.map((event) => event.id);
    const types = events.map((event) => event.type);
    const fresh = await tx.$queryRaw<{ event_id: string }[]>`
      INSERT INTO processed_events (consumer, event_id, event_type)
      SELECT ${consumer}, id, type FROM unnest(${ids}::uuid[], ${types}::text[]) AS event(id, type)
      ON CONFLICT (consumer, event_id) DO NOTHING
      RETURNING event_id::text`;
    const applied = new Set(fresh.map((row) => row.event_id));
    const count = applied.size;
    // Each id once: a republished event can sit twice in one read.
    const toApply = events.filter((event) => applied.delete(event.id.toLowerCase()));
    if (toApply.length) await handle(tx, toApply);
    return count;
  });
}

export interface RunningConsumer {
  /** Events applied (duplicates skipped are not counted). */
  readonly applied: number;
  /** Events skipped as already handled. */
  readonly duplicates: number;
  stop(): Promise<void>;
}

/** Joins the consumer's group on each of its topics and applies what arrives, once per event id. */
export async function startConsumer<Tx extends RawSql>(
  bus: EventBus,
  db: TransactionRunner<Tx>,
  consumer: EventConsumer<Tx>,
  options: Omit<ConsumeOptions, 'group' | 'handler'> = {},
): Promise<RunningConsumer> {
  const counts = { applied: 0, duplicates: 0 };
  const handler = async (event: EventEnvelope) => {
    const applied = await handleOnce(db, consumer.name, event, (tx) => consumer.handle(tx, event));
    observeEventLag(consumer.name, [event]);
    if (applied) counts.applied += 1;
    else counts.duplicates += 1;
  };
  const batchHandler = async (events: EventEnvelope[]) => {
    const applied = await handleBatchOnce(db, consumer.name, events, async (tx, fresh) => {
      if (consumer.handleBatch) await consumer.handleBatch(tx, fresh);
      else for (const event of fresh) await consumer.handle(tx, event);
    });
    observeEventLag(consumer.name, events);
    counts.applied += applied;
    counts.duplicates += events.length - applied;
  };
  const members: Consumption[] = [];
  try {
    for (const topic of consumer.topics) members.push(await bus.consume(topic, { ...options, group: consumer.name, handler, batchHandler }));
  } catch (error) {
    await Promise.allSettled(members.map((member) => member.stop()));
    throw error;
  }
  return {
    get applied() {
      return counts.applied;
    },
    get duplicates() {
      return counts.duplicates;
    },
    async stop() {
      await Promise.all(members.map((member) => member.stop()));
    },
  };
}
