import type { Database, SqlSession } from '../db/database';
import type { EventBus, EventEnvelope } from './event-bus';
import { OUTBOX_COLUMNS, toEnvelope, type OutboxRow } from './outbox';
import { logger } from '../observability/logger';

export interface OutboxRelayOptions {
  /** Which subgraph's outbox: names the relay in logs and its leadership lock. */
  name: string;
  database: Database;
  bus: EventBus;
  /** The bus topic an event goes to. */
  topicOf: (event: EventEnvelope) => string;
  /** Most events read and published in one round. Default 500. */
  batchSize?: number;
  /**
   * How often the relay looks for events without being woken, and how often a standby relay tries
   * to take over, in ms. Default 1000.
   */
  pollIntervalMs?: number;
  /**
   * While events keep coming, how often the leader looks again, in ms (writers notify only an idle
   * relay, see migration `*_outbox_notify_when_idle`). Default 5.
   */
  busyPollMs?: number;
  /** How long the outbox must stay empty before the leader counts as idle again, in ms. Default 1000. */
  idleAfterMs?: number;
}

/**
 * Publishes the events a subgraph recorded in its `outbox_events` table, in the order they were
 * written, and marks them published. The table is filled in the same transaction as the change,
 * so an event exists exactly when its change committed. A trigger NOTIFYs at commit when no older
 * event is waiting, waking an idle relay within milliseconds; a relay that found events polls
 * every `busyPollMs` until the outbox has been quiet for `idleAfterMs`.
 *
 * One relay per database publishes at a time: it holds a session advisory lock, and the others
 * (other instances of the same subgraph) wait to take over if its connection ends. Publishing one
 * at a time keeps every aggregate's events in commit order (an aggregate's rows are written under
 * its row lock, so their `seq` order is their commit order). If a relay dies between publishing
 * and marking, the next one publishes those events again: consumers drop ids they have seen.
 */
export class OutboxRelay {
  private session: SqlSession | undefined;
  private leader = false;
  private running = false;
  private wake: (() => void) | undefined;
  private pending = false;
  private loop: Promise<void> | undefined;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly busyPollMs: number;
  private readonly idleAfterMs: number;
  /** When the leader last found events to publish. */
  private lastFoundAt = 0;
  /** Events published since start: lets tests and operators see the relay at work. */
  published = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.busyPollMs = options.busyPollMs ?? 5;
    this.idleAfterMs = options.idleAfterMs ?? 1_000;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Wakes the relay now (it is also woken by NOTIFY and by its poll timer). */
  poke(): void {
    this.pending = true;
    // A standby does not wake for every commit: it tries to take over on its poll timer.
    if (this.leader || !this.session) this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.dropSession();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.session) await this.openSession();
        if (!this.leader) this.leader = await this.tryLead();
        if (this.leader) await this.drain();
      } catch (error) {
        if (this.running) logger(this.options.name).error({ error: String((error as Error)?.message ?? error) }, 'outbox relay failed; retrying');
        await this.dropSession();
      }
      if (this.running) await this.sleep();
    }
  }

  private async openSession(): Promise<void> {
    const session = await this.options.database.openSession();
    session.onLost(() => {
      if (this.session === session) {
        this.session = undefined;
        this.leader = false;
        this.poke();
      }
    });
    try {
      const [{ channel }] = (await session.query(`SELECT 'outbox_' || current_schema() AS channel`)).rows as { channel: string }[];
      await session.listen(channel, () => this.poke());
    } catch (error) {
      await session.close();
      throw error;
    }
    this.session = session;
  }

  private async dropSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.leader = false;
    await session?.close();
  }

  /** Session advisory lock keyed by schema: released by PostgreSQL if this connection ends. */
  private async tryLead(): Promise<boolean> {
    const { rows } = await this.session!.query(`SELECT pg_try_advisory_lock(hashtext('joinery.outbox.' || current_schema())) AS leader`);
    return rows[0].leader === true;
  }

  private async drain(): Promise<void> {
    for (;;) {
      this.pending = false;
      // ORDER BY names the table's column: a bare `seq` would be OUTBOX_COLUMNS' text alias, and
      // '10' sorts before '8' (a batch holding seq 8 to 11 went out as 10, 11, 8, 9).
      const { rows } = await this.session!.query(
        `SELECT ${OUTBOX_COLUMNS}
         FROM outbox_events WHERE published_at IS NULL ORDER BY outbox_events.seq LIMIT $1`,
        [this.batchSize],
      );
      if (!rows.length) return;
      const byTopic = new Map<string, EventEnvelope[]>();
      for (const row of rows as unknown as OutboxRow[]) {
        const event = toEnvelope(row);
        const topic = this.options.topicOf(event);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), event]);
      }
      for (const [topic, events] of byTopic) await this.options.bus.publish(topic, events);
      await this.session!.query(`UPDATE outbox_events SET published_at = clock_timestamp() WHERE seq = ANY($1::bigint[])`, [(rows as unknown as OutboxRow[]).map((row) => row.seq)]);
      this.published += rows.length;
      // Busy from the end of this round: writers during a slow publish saw older events waiting and did not notify.
      this.lastFoundAt = Date.now();
      if (rows.length < this.batchSize && !this.pending) return;
    }
  }

  private sleep(): Promise<void> {
    if (this.pending && this.leader) return Promise.resolve();
    // A busy leader is not notified of new events (writers see older ones waiting): it looks again soon.
    const busy = this.leader && Date.now() - this.lastFoundAt < this.idleAfterMs;
    return new Promise((resolve) => {
      const timer = setTimeout(done, busy ? this.busyPollMs : this.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
