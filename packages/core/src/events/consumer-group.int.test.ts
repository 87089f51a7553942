/**
 * Consumer groups end to end: outbox → relay → bus → group member → effect applied once, on the
 * embedded default (PGlite, in-process bus) and on PostgreSQL + Redis Streams.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/database';
import { uuidv7 } from '../ids';
import { backends } from '../testing';
import type { Consumption } from './consumer-group';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { InProcessEventBus, RedisEventBus, type EventBus, type EventEnvelope } from './event-bus';
import { handleBatchOnce, handleOnce, startConsumer, type EventConsumer, type RawSql } from './event-consumer';
import { OutboxRelay } from './outbox-relay';
import { replayConsumer } from './replay';
import { sqlTransactions } from './sql-transactions';

const MIGRATIONS = fileURLToPath(new URL('./test-migrations', import.meta.url));
const TOPIC = 'test.things';

function event(n: number): EventEnvelope {
  const now = new Date().toISOString();
  return { id: uuidv7(), type: 'test.happened', version: 1, aggregate: `a${n % 3}`, occurredAt: now, recordedAt: now, payload: { n } };
}

/** Records each event's effect as a row, with no unique key: a second application would show. */
function effectsConsumer(name: string, onApplied?: (n: number) => Promise<void>): EventConsumer<RawSql> {
  return {
    name,
    topics: [TOPIC],
    async handle(tx, received) {
      const n = received.payload.n as number;
      await tx.$executeRaw`INSERT INTO effects (event_id, n) VALUES (${received.id}::uuid, ${n})`;
      await onApplied?.(n);
    },
    async reset(tx) {
      await tx.$executeRaw`DELETE FROM effects`;
    },
  };
}

async function effects(database: Database): Promise<{ total: number; distinct: number; ns: number[] }> {
  return database.withConnection(async (connection) => {
    const { rows } = await connection.query(`SELECT count(*)::int AS total, count(DISTINCT event_id)::int AS distinct_ids, coalesce(array_agg(n ORDER BY n), '{}') AS ns FROM effects`);
    return { total: rows[0].total as number, distinct: rows[0].distinct_ids as number, ns: rows[0].ns as number[] };
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs?: number): Promise<T>;
async function until<T>(first: () => unknown, second: unknown, third?: unknown, fourth?: unknown): Promise<unknown> {
  const [read, done, what, timeoutMs] = typeof second === 'function' ? [first, second as (value: T) => boolean, third as string, (fourth as number) ?? 20_000] : [first, Boolean, second as string, (third as number) ?? 20_000];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value as T)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(backends())('consumer groups on $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function setup(): Promise<{ database: Database; bus: EventBus }> {
    const database = await openDatabase(backend.targets().inventory, MIGRATIONS);
    return { database, bus: await backend.bus() };
  }

  it('deliver every event to the group once, including those published before any member joined, shared between members', async () => {
    const { database, bus } = await setup();
    try {
      await bus.publish(TOPIC, range(1, 10).map(event));
      const db = sqlTransactions(database);
      const first = await startConsumer(bus, db, effectsConsumer('effects'));
      const second = await startConsumer(bus, db, effectsConsumer('effects'));
      for (let n = 11; n <= 100; n += 10) await bus.publish(TOPIC, range(n, n + 9).map(event));
      await until(() => first.applied + second.applied >= 100, '100 events applied');
      expect(await effects(database)).toEqual({ total: 100, distinct: 100, ns: range(1, 100) });
      if (bus.kind === 'redis') expect(first.applied).toBeGreaterThan(0);
      await first.stop();
      await second.stop();
    } finally {
      await database.close();
    }
  });

  it('apply an event once when a read holds it twice (a relay republished it)', async () => {
    const { database } = await setup();
    try {
      const twice = event(1);
      const applied = await handleBatchOnce(sqlTransactions(database), 'doubled', [twice, event(2), { ...twice }], async (tx, fresh) => {
        for (const received of fresh) await effectsConsumer('doubled').handle(tx, received);
      });
      expect(applied).toBe(2);
      expect(await effects(database)).toEqual({ total: 2, distinct: 2, ns: [1, 2] });
    } finally {
      await database.close();
    }
  });

  it('keep a busy relay polling after a slow publish: an event written meanwhile goes out in milliseconds, not at the next poll', async () => {
    const { database, bus } = await setup();
    let slow = true;
    const sluggish: EventBus = Object.create(bus, {
      publish: {
        value: async (topic: string, events: EventEnvelope[]) => {
          if (slow) await new Promise((resolve) => setTimeout(resolve, 400));
          await bus.publish(topic, events);
        },
      },
    });
    const relay = new OutboxRelay({ name: 'test', database, bus: sluggish, topicOf: () => TOPIC, pollIntervalMs: 5_000, idleAfterMs: 300 });
    const write = (n: number) => database.withConnection((connection) => connection.query(`INSERT INTO outbox_events (id, type, aggregate, payload) VALUES ($1, 'test.happened', 'a', $2)`, [uuidv7(), JSON.stringify({ n })]));
    const published = async () => (await database.withConnection((connection) => connection.query('SELECT count(*)::int AS count FROM outbox_events WHERE published_at IS NOT NULL'))).rows[0].count as number;
    try {
      relay.start();
      await write(1);
      await new Promise((resolve) => setTimeout(resolve, 100)); // the relay is inside its slow publish
      await write(2); // sees event 1 waiting, so it does not notify
      slow = false;
      const started = Date.now();
      await until(async () => (await published()) === 2, 'both published', 4_000);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await relay.stop();
      await database.close();
    }
  });

  it('retry an event whose handler fails, then dead-letter it after maxAttempts where operators can read it', async () => {
    const { database, bus } = await setup();
    try {
      let failures = 0;
      let fixed = false;
      const consumer = effectsConsumer('fussy', async (n) => {
        if (n === 7 && !fixed) {
          failures += 1;
          throw new Error(`cannot handle thing ${n}`);
        }
      });
      const running = await startConsumer(bus, sqlTransactions(database), consumer, { maxAttempts: 3, reclaimAfterMs: 100 });
      const events = range(1, 10).map(event);
      await bus.publish(TOPIC, events);
      await until(async () => (await bus.deadLetters(TOPIC, 'fussy')).length === 1, 'a dead letter');
      const [letter] = await bus.deadLetters(TOPIC, 'fussy');
      expect(letter).toMatchObject({ topic: TOPIC, group: 'fussy', attempts: 3, event: { id: events[6].id, payload: { n: 7 } } });
      expect(letter.error).toContain('cannot handle thing 7');
      // Three deliveries; on Redis the first also tried the event inside its batch before alone.
      expect(failures).toBe(bus.kind === 'redis' ? 4 : 3);
      // The failed attempts rolled back their effect; the other nine were applied once.
      expect(await effects(database)).toEqual({ total: 9, distinct: 9, ns: range(1, 10).filter((n) => n !== 7) });

      // Once the cause is fixed, an operator redrives it: applied once, and the dead letters are empty.
      fixed = true;
      expect(await bus.redrive(TOPIC, 'fussy')).toBe(1);
      await until(async () => (await effects(database)).total === 10, 'the redriven event applied');
      expect(await effects(database)).toEqual({ total: 10, distinct: 10, ns: range(1, 10) });
      expect(await bus.deadLetters(TOPIC, 'fussy')).toEqual([]);
      await running.stop();
    } finally {
      await database.close();
    }
  });

  it('keep the place of a group whose members all stopped: what was published meanwhile arrives when one starts again', async () => {
    const { database, bus } = await setup();
    try {
      const db = sqlTransactions(database);
      const before = await startConsumer(bus, db, effectsConsumer('restarting'));
      await bus.publish(TOPIC, range(1, 20).map(event));
      await until(() => before.applied === 20, 'the first 20');
      await before.stop();
      await bus.publish(TOPIC, range(21, 50).map(event));
      const after = await startConsumer(bus, db, effectsConsumer('restarting'));
      await until(() => after.applied === 30, 'the 30 published while stopped');
      expect(await effects(database)).toEqual({ total: 50, distinct: 50, ns: range(1, 50) });
      await after.stop();
    } finally {
      await database.close();
    }
  });

  it('apply each event once when the relay dies between publishing and marking, and rebuild the same state by replay', async () => {
    const { database, bus } = await setup();
    // A bus that loses the relay's first acknowledgement: the batch is published, then the relay
    // fails before marking it, as a relay killed at that moment would.
    let dropped = false;
    const flaky: EventBus = Object.create(bus, {
      publish: {
        value: async (topic: string, events: EventEnvelope[]) => {
          await bus.publish(topic, events);
          if (!dropped && events.length >= 5) {
            dropped = true;
            throw new Error('relay died after publishing');
          }
        },
      },
    });
    const relay = new OutboxRelay({ name: 'test', database, bus: flaky, topicOf: () => TOPIC, pollIntervalMs: 100 });
    const db = sqlTransactions(database);
    try {
      const consumer = effectsConsumer('relayed');
      const running = await startConsumer(bus, db, consumer);
      const events = range(1, 40).map(event);
      await database.withConnection(async (connection) => {
        await connection.query(`INSERT INTO outbox_events (id, type, aggregate, payload) SELECT (e->>'id')::uuid, e->>'type', e->>'aggregate', e->'payload' FROM jsonb_array_elements($1::jsonb) AS e`, [JSON.stringify(events)]);
      });
      relay.start();
      await until(() => running.applied === 40 && dropped, 'all 40 applied');
      await until(() => running.duplicates > 0, 'the republished batch to arrive');
      expect(await effects(database)).toEqual({ total: 40, distinct: 40, ns: range(1, 40) });
      await running.stop();

      const replayed = await replayConsumer({ db, consumer, sources: [{ name: 'test', connection: { query: (sql, params) => database.withConnection((c) => c.query(sql, params)) }, topicOf: () => TOPIC }] });
      expect(replayed).toEqual({ events: 40, applied: 40 });
      expect(await effects(database)).toEqual({ total: 40, distinct: 40, ns: range(1, 40) });
    } finally {
      await relay.stop();
      await database.close();
    }
  });

  it.runIf(backend.name === 'postgres')('embedded bus: republish after a restart what a crashed process had not handled, applying each event once', async () => {
    const database = await openDatabase(backend.targets().inventory, MIGRATIONS);
    const db = sqlTransactions(database);
    // The first "process": its consumer hangs on the 21st event, as a process would die there.
    const before = new InProcessEventBus();
    let hung = false;
    let delivered = 0;
    const consumer = effectsConsumer('restarted');
    const doomed = await before.consume(TOPIC, {
      group: consumer.name,
      handler: async (received) => {
        delivered += 1;
        if (delivered > 20) {
          hung = true;
          await new Promise(() => {});
        }
        await handleOnce(db, consumer.name, received, (tx) => consumer.handle(tx, received));
      },
    });
    const firstRelay = new OutboxRelay({ name: 'test', database, bus: before, topicOf: () => TOPIC, pollIntervalMs: 50 });
    const events = range(1, 40).map(event);
    await database.withConnection((connection) => connection.query(`INSERT INTO outbox_events (id, type, aggregate, payload) SELECT (e->>'id')::uuid, e->>'type', e->>'aggregate', e->'payload' FROM jsonb_array_elements($1::jsonb) AS e`, [JSON.stringify(events)]));
    firstRelay.start();
    let secondRelay: OutboxRelay | undefined;
    try {
      await until(async () => hung && (await effects(database)).total === 20, 'twenty handled and the consumer hung');
      // The relay marks a batch published only once the group has tried it: nothing is marked yet.
      const unpublished = async () => (await database.withConnection((connection) => connection.query('SELECT count(*)::int AS count FROM outbox_events WHERE published_at IS NULL'))).rows[0].count;
      expect(await unpublished()).toBe(40);

      // The "process" dies: its database session (and the relay's lock) ends; a new one starts.
      await database.withConnection((connection) => connection.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()`));
      const after = new InProcessEventBus();
      const restarted = await startConsumer(after, db, effectsConsumer('restarted'));
      secondRelay = new OutboxRelay({ name: 'test', database, bus: after, topicOf: () => TOPIC, pollIntervalMs: 50 });
      secondRelay.start();
      await until(async () => (await effects(database)).total >= 40 && (await unpublished()) === 0, 'all forty handled after the restart');
      expect(await effects(database)).toEqual({ total: 40, distinct: 40, ns: range(1, 40) });
      expect(restarted.duplicates).toBe(20);
      expect(restarted.applied).toBe(20);
      await restarted.stop();
      await after.close();
    } finally {
      void doomed;
      await before.close();
      await Promise.allSettled([firstRelay.stop(), secondRelay?.stop()]);
      await database.close();
    }
  });

  it.runIf(backend.name === 'postgres' && process.env.REDIS_URL)('let another member take over from one killed mid-stream: nothing lost, nothing applied twice', async () => {
    const { database, bus } = await setup();
    try {
      const db = sqlTransactions(database);
      let inHand = false;
      // The doomed member applies event 30 (its transaction commits) and crashes before acknowledging it.
      const consumer = effectsConsumer('killed');
      const doomed = await bus.consume(TOPIC, {
        group: 'killed',
        reclaimAfterMs: 300,
        handler: async (received) => {
          await handleOnce(db, consumer.name, received, (tx) => consumer.handle(tx, received));
          if (received.payload.n === 30) {
            inHand = true;
            await new Promise(() => {});
          }
        },
      });
      const events = range(1, 120).map(event);
      await bus.publish(TOPIC, events.slice(0, 60));
      await until(() => inHand, 'event 30 applied and in hand');
      (doomed as Consumption & { kill(): void }).kill();
      await bus.publish(TOPIC, events.slice(60));
      const survivor = await startConsumer(bus, db, effectsConsumer('killed'), { reclaimAfterMs: 300 });
      await until(async () => (await effects(database)).distinct === 120, 'all 120 applied');
      await until(() => survivor.duplicates >= 1, 'event 30 redelivered and skipped');
      expect(await effects(database)).toEqual({ total: 120, distinct: 120, ns: range(1, 120) });
      await survivor.stop();
    } finally {
      await database.close();
    }
  });
});

describe.runIf(process.env.REDIS_URL)('Redis consumer groups when Redis loses or trims events', () => {
  const connect = (streamMaxLength?: number) => RedisEventBus.connect({ url: process.env.REDIS_URL!, channelPrefix: `test:${randomBytes(5).toString('hex')}:`, streamMaxLength });
  const close = async (bus: RedisEventBus) => {
    await bus.purge();
    await bus.close();
  };

  it('recreate a group Redis lost (a restart without persistence, a flush) and go on with new events', async () => {
    const bus = await connect();
    try {
      const seen: number[] = [];
      const member = await bus.consume(TOPIC, { group: 'survivor', handler: async (received) => void seen.push(received.payload.n as number) });
      await bus.publish(TOPIC, range(1, 3).map(event));
      await until(() => seen.length === 3, 'the first three');
      const admin = createClient({ url: process.env.REDIS_URL });
      await admin.connect();
      await admin.del(bus.keys(TOPIC).stream);
      await admin.close();
      await bus.publish(TOPIC, range(4, 6).map(event));
      await until(() => seen.length === 6, 'events after the loss', 10_000);
      expect(seen).toEqual(range(1, 6));
      await member.stop();
    } finally {
      await close(bus);
    }
  });

  it('record a pending event the stream trimmed away as a dead letter, and flag a group trimmed past unread events', async () => {
    const bus = await connect(10);
    try {
      const lagging = await bus.consume(TOPIC, { group: 'lagging', handler: async () => {} });
      await lagging.stop();
      const stuck = await bus.consume(TOPIC, {
        group: 'stuck',
        reclaimAfterMs: 200,
        maxAttempts: 1_000,
        handler: async (received) => {
          if (received.payload.n === 1) throw new Error('not yet');
        },
      });
      await bus.publish(TOPIC, [event(1)]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let n = 2; n <= 500; n += 100) await bus.publish(TOPIC, range(n, n + 99).map(event));
      const letters = await until(async () => bus.deadLetters(TOPIC, 'stuck'), (found) => found.length > 0, 'the trimmed event dead-lettered');
      expect(letters[0].error).toMatch(/trimmed from the stream before it was handled/);
      const status = await (bus as RedisEventBus).status(TOPIC);
      expect(status.groups.find((group) => group.name === 'lagging')).toMatchObject({ trimmedPastUnread: true });
      expect(status.groups.find((group) => group.name === 'stuck')?.deadLetters).toBeGreaterThanOrEqual(1);
      await stuck.stop();
    } finally {
      await close(bus);
    }
  });
});
