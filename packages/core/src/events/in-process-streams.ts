import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RECLAIM_AFTER_MS, defaultConsumerName, errorText, logDeadLetter, logHandlerFailure, type ConsumeOptions, type Consumption, type DeadLetter } from './consumer-group';
import type { EventEnvelope } from './event-bus';
import { logger } from '../observability/logger';

interface Pending {
  offset: number;
  message: string;
  attempts: number;
  lastError: string | null;
  dueAt: number;
}

interface Member {
  options: ConsumeOptions;
  active: boolean;
}

/**
 * Consumer groups inside one process, with the semantics of the Redis Streams ones: a group reads
 * a topic's log from the oldest retained event, each event goes to one member, a failed event is
 * retried after `reclaimAfterMs` and dead-lettered after `maxAttempts`, and a group with no member
 * keeps its place until one joins. Nothing survives the process: with PGlite the whole stack is
 * one process, and its outboxes are the durable record (see `npm run replay`).
 */
export class InProcessStreams {
  private readonly topics = new Map<string, TopicLog>();

  /**
   * `retain`: events kept for groups that have not joined yet. Default 100000.
   * `attemptWaitMs`: longest `append` waits for the groups' first attempts. Default 30000.
   */
  constructor(private readonly retain = 100_000, private readonly attemptWaitMs = 30_000) {}

  /**
   * Appends events; resolves once every group that has a member has tried each of them once (or
   * after `attemptWaitMs`). The outbox relay marks events published only after that, so events a
   * stopping process had not handled yet are published again when it starts (consumers skip the
   * ones they had handled). Events waiting for a retry when the process stops are not.
   */
  append(topic: string, events: EventEnvelope[]): Promise<void> {
    return this.log(topic).append(events.map((event) => JSON.stringify(event)));
  }

  consume(topic: string, options: ConsumeOptions): Consumption {
    return this.log(topic).group(options.group).join(options);
  }

  deadLetters(topic: string, group: string): DeadLetter[] {
    return [...(this.topics.get(topic)?.groups.get(group)?.dead ?? [])];
  }

  /** Appends a group's dead letters to the topic again and forgets them; returns how many. */
  redrive(topic: string, group: string): number {
    const dead = this.topics.get(topic)?.groups.get(group)?.dead;
    if (!dead?.length) return 0;
    const letters = dead.splice(0);
    this.append(topic, letters.map((letter) => letter.event));
    return letters.length;
  }

  async close(): Promise<void> {
    await Promise.all([...this.topics.values()].flatMap((log) => [...log.groups.values()].map((group) => group.close())));
  }

  private log(topic: string): TopicLog {
    let log = this.topics.get(topic);
    if (!log) this.topics.set(topic, (log = new TopicLog(topic, this.retain, this.attemptWaitMs)));
    return log;
  }
}

class TopicLog {
  /** messages[i] has offset `first + i`. */
  messages: string[] = [];
  first = 0;
  readonly groups = new Map<string, Group>();

  constructor(readonly topic: string, private readonly retain: number, private readonly attemptWaitMs: number) {}

  get end(): number {
    return this.first + this.messages.length;
  }

  async append(messages: string[]): Promise<void> {
    this.messages.push(...messages);
    const last = this.end - 1;
    this.trim();
    const waits = [...this.groups.values()].map((group) => ({ group, done: false, attempted: group.attempted(last) }));
    for (const wait of waits) void wait.attempted.then(() => (wait.done = true));
    for (const group of this.groups.values()) group.kick();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.attemptWaitMs);
      timer.unref();
    });
    await Promise.race([Promise.all(waits.map((wait) => wait.attempted)), timeout]);
    clearTimeout(timer);
    // A group that did not get there in time is stuck on a handler: later publishes do not wait for it
    // until it moves again.
    for (const wait of waits) if (!wait.done) wait.group.stalled();
  }

  at(offset: number): string {
    return this.messages[offset - this.first];
  }

  group(name: string): Group {
    let group = this.groups.get(name);
    if (!group) this.groups.set(name, (group = new Group(this, name, this.first)));
    return group;
  }

  /** Drops what every group has read, but keeps the newest `retain` for groups yet to come. */
  trim(): void {
    // A group that has stopped reading (all its members gone) does not hold more than twice
    // `retain` events in memory: beyond that its oldest are dropped, loudly (replay rebuilds it).
    const floor = this.end - 2 * this.retain;
    for (const group of this.groups.values()) if (group.oldestNeeded() < floor) group.skipTo(floor);
    const oldestUnread = Math.min(...[...this.groups.values()].map((group) => group.oldestNeeded()), this.end);
    const drop = Math.min(oldestUnread, this.end - this.retain) - this.first;
    if (drop > 0) {
      this.messages.splice(0, drop);
      this.first += drop;
    }
  }
}

class Group {
  private cursor: number;
  private readonly pending = new Map<number, Pending>();
  private readonly members: Member[] = [];
  readonly dead: DeadLetter[] = [];
  private pumping: Promise<void> | undefined;
  /** Work arrived while the pump ran. */
  private kicked = false;
  /** `lastAttempted` when a publisher last gave up waiting for this group. */
  private stalledAt: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Offset of the newest event tried at least once. */
  private lastAttempted = -1;
  private waiters: { offset: number; resolve: () => void }[] = [];

  constructor(private readonly log: TopicLog, readonly name: string, start: number) {
    this.cursor = start;
  }

  /** A publisher gave up waiting: until the group moves on, publishers do not wait for it. */
  stalled(): void {
    this.stalledAt = this.lastAttempted;
  }

  /** Gives up the events before `offset` (not yet handled): logged as an error naming how many. */
  skipTo(offset: number): void {
    let dropped = Math.max(0, offset - this.cursor);
    for (const key of [...this.pending.keys()]) {
      if (key < offset) {
        this.pending.delete(key);
        dropped += 1;
      }
    }
    this.cursor = Math.max(this.cursor, offset);
    logger().error({ group: this.name, topic: this.log.topic, dropped }, 'in-process consumer group fell too far behind; oldest events dropped: run npm run replay');
  }

  /** Resolves once the event at `offset` has been tried, or at once while the group has no member. */
  attempted(offset: number): Promise<void> {
    if (!this.members.some((member) => member.active) || this.lastAttempted >= offset) return Promise.resolve();
    // A handler stuck on one event holds up no publisher for more than one wait: later ones go on.
    if (this.stalledAt === this.lastAttempted) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ offset, resolve }));
  }

  release(all = false): void {
    const ready = this.waiters.filter((waiter) => all || waiter.offset <= this.lastAttempted);
    this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve();
  }

  oldestNeeded(): number {
    return Math.min(this.cursor, ...this.pending.keys());
  }

  join(options: ConsumeOptions): Consumption {
    const member: Member = { options: { consumer: defaultConsumerName(), ...options }, active: true };
    this.members.push(member);
    this.kick();
    const group = this;
    return {
      async stop() {
        member.active = false;
        const index = group.members.indexOf(member);
        if (index >= 0) group.members.splice(index, 1);
        await group.pumping;
        if (!group.members.length) group.release(true);
      },
    };
  }

  kick(): void {
    if (this.pumping) {
      // The pump may already have looked and be on its way out: it looks again when it ends.
      this.kicked = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      this.log.trim();
      if (this.kicked) {
        this.kicked = false;
        this.kick();
      } else {
        this.scheduleRetry();
      }
    });
  }

  /** Stops delivering; waits up to 5 s for a handler in progress (a hung one cannot be aborted). */
  async close(): Promise<void> {
    this.members.length = 0;
    clearTimeout(this.retryTimer);
    this.release(true);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.pumping, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
  }

  private async pump(): Promise<void> {
    for (;;) {
      const member = this.members.find((candidate) => candidate.active);
      if (!member) return;
      const next = this.nextDue() ?? this.nextNew();
      if (!next) return;
      await this.deliver(member, next);
    }
  }

  private nextDue(): Pending | undefined {
    const now = Date.now();
    for (const entry of this.pending.values()) if (entry.dueAt <= now) return entry;
    return undefined;
  }

  private nextNew(): Pending | undefined {
    if (this.cursor >= this.log.end) return undefined;
    const entry: Pending = { offset: this.cursor, message: this.log.at(this.cursor), attempts: 0, lastError: null, dueAt: 0 };
    this.cursor += 1;
    this.pending.set(entry.offset, entry);
    return entry;
  }

  private async deliver(member: Member, entry: Pending): Promise<void> {
    try {
      await this.attempt(member, entry);
    } finally {
      if (entry.offset > this.lastAttempted) {
        this.lastAttempted = entry.offset;
        this.release();
      }
    }
  }

  private async attempt(member: Member, entry: Pending): Promise<void> {
    const event = JSON.parse(entry.message) as EventEnvelope;
    const maxAttempts = member.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    entry.attempts += 1;
    try {
      await member.options.handler(event);
      this.pending.delete(entry.offset);
    } catch (error) {
      entry.lastError = errorText(error);
      logHandlerFailure(this.name, event, entry.attempts, error);
      if (entry.attempts >= maxAttempts) {
        this.pending.delete(entry.offset);
        const letter: DeadLetter = { topic: this.log.topic, group: this.name, attempts: entry.attempts, error: entry.lastError, deadAt: new Date().toISOString(), event };
        this.dead.push(letter);
        logDeadLetter(letter);
      } else {
        entry.dueAt = Date.now() + (member.options.reclaimAfterMs ?? DEFAULT_RECLAIM_AFTER_MS);
      }
    }
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    if (!this.pending.size || !this.members.length) return;
    const due = Math.min(...[...this.pending.values()].map((entry) => entry.dueAt));
    this.retryTimer = setTimeout(() => this.kick(), Math.max(0, due - Date.now()));
    this.retryTimer.unref();
  }
}
