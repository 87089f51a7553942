/**
 * The outbox trigger wakes only an idle relay: PostgreSQL serialises the commits of notifying
 * transactions, so writers that find older events waiting (a relay that is busy and polling)
 * commit without notifying.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database';
import { uuidv7 } from '../ids';
import { backends } from '../testing';

const MIGRATIONS = fileURLToPath(new URL('./test-migrations', import.meta.url));

describe.each(backends())('the outbox trigger on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('notifies when no older event waits, and not while one does', async () => {
    const database = await openDatabase(backend.targets().inventory, MIGRATIONS);
    const session = await database.openSession();
    try {
      let notified = 0;
      const [{ channel }] = (await session.query(`SELECT 'outbox_' || current_schema() AS channel`)).rows as { channel: string }[];
      await session.listen(channel, () => (notified += 1));
      const write = () => database.withConnection((connection) => connection.query(`INSERT INTO outbox_events (id, type, aggregate, payload) VALUES ($1, 'test.happened', 'a', '{}')`, [uuidv7()]));
      const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

      await write();
      await settle();
      expect(notified).toBe(1);
      await write(); // the first is still unpublished: the relay is busy with it, no wake-up needed
      await settle();
      expect(notified).toBe(1);

      await database.withConnection((connection) => connection.query(`UPDATE outbox_events SET published_at = clock_timestamp()`));
      await write(); // all published: the relay may be idle, so this one wakes it
      await settle();
      expect(notified).toBe(2);
    } finally {
      await session.close();
      await database.close();
    }
  });
});
