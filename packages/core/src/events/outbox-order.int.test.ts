/**
 * The outbox is read in `seq` order as numbers. Its select list returns `seq` as text, and a bare
 * `ORDER BY seq` sorts by that text ('10' before '8'): under load, when the relay found events
 * 8 to 11 in one batch, a router's subscribers got Oslo's change (seq 10) before Bergen's (seq 8)
 * although Bergen's had committed first.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/database';
import { uuidv7 } from '../ids';
import { backends } from '../testing';
import { InProcessEventBus } from './event-bus';
import { OutboxRelay } from './outbox-relay';
import { mergedOutboxEvents } from './replay';

const MIGRATIONS = fileURLToPath(new URL('./test-migrations', import.meta.url));
const TOPIC = 'test.things';
/** 1…12: crosses from one digit to two, where text order and number order part. */
const WRITTEN = Array.from({ length: 12 }, (_, i) => i + 1);

async function writeEvents(database: Database): Promise<void> {
  for (const n of WRITTEN) {
    await database.withConnection((connection) => connection.query(`INSERT INTO outbox_events (id, type, aggregate, payload) VALUES ($1, 'test.happened', $2, $3)`, [uuidv7(), `a${n}`, JSON.stringify({ n })]));
  }
}

describe.each(backends())('the outbox read in seq order on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('regression: the relay publishes a batch spanning seq 9 and 10 in seq order, not in text order', async () => {
    const database = await openDatabase(backend.targets().inventory, MIGRATIONS);
    // In-process whatever the backend: this is about the order the relay reads and publishes in.
    const bus = new InProcessEventBus();
    const received: number[] = [];
    await bus.subscribe(TOPIC, (event) => received.push(event.payload.n as number));
    // Written before the relay starts, so that it finds all twelve in one batch.
    await writeEvents(database);
    const relay = new OutboxRelay({ name: 'test', database, bus, topicOf: () => TOPIC, pollIntervalMs: 50 });
    try {
      relay.start();
      const deadline = Date.now() + 10_000;
      while (received.length < WRITTEN.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    } finally {
      await relay.stop();
      await bus.close();
      await database.close();
    }
  });

  it('regression: replay pages through the outbox in seq order, each event once', async () => {
    const database = await openDatabase(backend.targets().inventory, MIGRATIONS);
    try {
      await writeEvents(database);
      const source = { name: 'test', connection: { query: (sql: string, params?: unknown[]) => database.withConnection((c) => c.query(sql, params)) }, topicOf: () => TOPIC };
      const replayed: number[] = [];
      // Pages of 5: in text order the first page would be 1, 10, 11, 12, 2 and the next would start after 2.
      for await (const event of mergedOutboxEvents([source], [TOPIC], 5)) replayed.push(event.payload.n as number);
      expect(replayed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    } finally {
      await database.close();
    }
  });
});
