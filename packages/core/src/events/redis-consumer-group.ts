import type { RedisClientType } from 'redis';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RECLAIM_AFTER_MS, defaultConsumerName, errorText, logDeadLetter, logHandlerFailure, type ConsumeOptions, type Consumption, type DeadLetter } from './consumer-group';
import type { EventEnvelope } from './event-bus';
import { logger } from '../observability/logger';

// Clients made by createClient and by duplicate() differ in their module type parameters only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RedisClient = RedisClientType<any, any, any, 3, any>;

/** Where a topic's stream and a group's dead letters live in Redis. */
export interface StreamKeys {
  topic: string;
  stream: string;
  deadLetters: (group: string) => string;
  /** A hash of the last handler error per pending stream id, so any member can dead-letter with it. */
  errors: (group: string) => string;
}

interface StreamMessage {
  id: string;
  message: Record<string, string>;
}

/** How long one XREADGROUP waits for new events before the loop looks at pending ones. */
const BLOCK_MS = 1_000;

/**
 * One member of a Redis Streams consumer group. Reads new events with XREADGROUP, acknowledges
 * each after its handler returns, and on a timer takes over events that another member (or an
 * earlier failure here) left unacknowledged for `reclaimAfterMs` (XPENDING + XCLAIM). An event
 * delivered `maxAttempts` times goes to the group's dead-letter stream and is acknowledged.
 * The group is created at the start of the stream, so events published before its first member
 * joined are delivered too (as far as the stream retains them).
 */
export class RedisConsumerGroupMember implements Consumption {
  private running = true;
  private killed = false;
  private loop: Promise<void> | undefined;
  private readonly name: string;
  private readonly maxAttempts: number;
  private readonly reclaimAfterMs: number;
  private readonly batchSize: number;

  private constructor(private readonly client: RedisClient, private readonly keys: StreamKeys, private readonly options: ConsumeOptions) {
    this.name = options.consumer ?? defaultConsumerName();
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.reclaimAfterMs = options.reclaimAfterMs ?? DEFAULT_RECLAIM_AFTER_MS;
    this.batchSize = options.batchSize ?? 100;
  }

  /** `client` is this member's own connection (it blocks on reads); `stop` closes it. */
  static async join(client: RedisClient, keys: StreamKeys, options: ConsumeOptions): Promise<RedisConsumerGroupMember> {
    await client.connect();
    try {
      await createGroup(client, keys, options.group);
    } catch (error) {
      await client.close();
      throw error;
    }
    const member = new RedisConsumerGroupMember(client, keys, options);
    member.loop = member.run();
    return member;
  }

  /** Finishes the events in hand, stops reading, and leaves the group if it holds nothing pending. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (!this.client.isOpen) return;
    try {
      // A member with nothing pending leaves, so `npm run events -- status` counts the live ones.
      const [summary] = await this.client.xPendingRange(this.keys.stream, this.options.group, '-', '+', 1, { consumer: this.name });
      if (!summary) await this.client.xGroupDelConsumer(this.keys.stream, this.options.group, this.name);
    } catch {
      // Leaving is tidiness only.
    }
    await this.client.close().catch(() => undefined);
  }

  /**
   * Ends this member as a crash would: the connection is dropped at once and nothing in hand is
   * acknowledged (tests use it to show another member takes over).
   */
  kill(): void {
    this.running = false;
    this.killed = true;
    this.client.destroy();
  }

  private async run(): Promise<void> {
    let nextReclaim = 0;
    while (this.running) {
      try {
        if (Date.now() >= nextReclaim) {
          await this.reclaim();
          nextReclaim = Date.now() + Math.max(50, Math.floor(this.reclaimAfterMs / 2));
        }
        const block = Math.max(1, Math.min(BLOCK_MS, nextReclaim - Date.now()));
        const reply = (await this.client.xReadGroup(this.options.group, this.name, { key: this.keys.stream, id: '>' }, { COUNT: this.batchSize, BLOCK: block })) as { messages: StreamMessage[] }[] | null;
        const messages = reply?.[0]?.messages ?? [];
        let claimedAt = Date.now();
        if (messages.length > 1 && this.options.batchHandler && (await this.handleBatch(messages))) continue;
        // One by one, the events in hand are finished even when stop() was called meanwhile.
        for (let i = 0; i < messages.length; i += 1) {
          if (this.killed) return;
          if (Date.now() - claimedAt > this.reclaimAfterMs / 2) {
            // Slow going: renew the claim on what is left, so other members do not take it over
            // (and skip any they already took).
            // Only entries idle since our read: one another member has just reclaimed is not idle.
            const minIdle = Math.floor(this.reclaimAfterMs / 4);
            const ours = new Set((await this.client.xClaimJustId(this.keys.stream, this.options.group, this.name, minIdle, messages.slice(i).map((message) => message.id))).map(String));
            claimedAt = Date.now();
            if (!ours.has(messages[i].id)) continue;
          }
          await this.handle(messages[i]);
        }
      } catch (error) {
        if (this.killed || (!this.running && !this.client.isOpen)) return;
        if (String((error as Error)?.message).includes('NOGROUP')) {
          await this.recreateGroup();
          continue;
        }
        logger().error({ group: this.options.group, topic: this.keys.topic, error: errorText(error) }, 'consumer group read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /**
   * The group is gone: Redis restarted without persistence, or was flushed. What it held is lost to
   * this group; the outboxes still have it. The group is created again (from the start of what the
   * stream holds now) so new events flow, and operators are told to replay.
   */
  private async recreateGroup(): Promise<void> {
    logger().error(
      { group: this.options.group, topic: this.keys.topic },
      'consumer group missing in Redis (restart without persistence or flush?); recreating it. Events Redis lost are not redelivered: run `npm run replay -- --consumer <group>`',
    );
    try {
      await createGroup(this.client, this.keys, this.options.group);
    } catch (error) {
      logger().error({ group: this.options.group, error: errorText(error) }, 'recreating the consumer group failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Hands readable messages to batchHandler at once; false (nothing acknowledged) if it threw. */
  private async handleBatch(messages: StreamMessage[]): Promise<boolean> {
    const events: EventEnvelope[] = [];
    for (const message of messages) {
      try {
        events.push(JSON.parse(message.message.event) as EventEnvelope);
      } catch {
        return false; // The one-by-one path dead-letters the unreadable one.
      }
    }
    try {
      await this.options.batchHandler!(events);
    } catch {
      return false;
    }
    if (this.killed) return true;
    await this.client.xAck(this.keys.stream, this.options.group, messages.map((message) => message.id));
    return true;
  }

  /** `delivery`: how many times Redis has delivered this event (1 for a first read). */
  private async handle(message: StreamMessage, delivery = 1): Promise<void> {
    let event: EventEnvelope;
    try {
      event = JSON.parse(message.message.event) as EventEnvelope;
    } catch (error) {
      // Cannot succeed on any member: straight to the dead letters.
      await this.deadLetter(message, { id: 'unreadable', type: 'unreadable' } as EventEnvelope, 1, `unreadable event: ${errorText(error)}`);
      return;
    }
    try {
      await this.options.handler(event);
    } catch (error) {
      logHandlerFailure(this.options.group, event, delivery, error);
      if (this.killed) return;
      // Kept in Redis, so whichever member finally dead-letters it records why.
      await this.client.multi().hSet(this.keys.errors(this.options.group), message.id, errorText(error)).expire(this.keys.errors(this.options.group), 7 * 24 * 3600).exec();
      return; // Left pending: reclaimed after reclaimAfterMs, by this member or another.
    }
    if (this.killed) return;
    await this.client.multi().xAck(this.keys.stream, this.options.group, message.id).hDel(this.keys.errors(this.options.group), message.id).exec();
  }

  /** Takes over events left unacknowledged too long; those delivered too often become dead letters. */
  private async reclaim(): Promise<void> {
    for (;;) {
      const stale = await this.client.xPendingRange(this.keys.stream, this.options.group, '-', '+', this.batchSize, { IDLE: this.reclaimAfterMs });
      if (!stale.length) return;
      for (const { id, deliveriesCounter } of stale) {
        if (!this.running) return;
        const entry = { id: String(id), deliveriesCounter: Number(deliveriesCounter) };
        const [claimed] = (await this.client.xClaim(this.keys.stream, this.options.group, this.name, this.reclaimAfterMs, entry.id)) as (StreamMessage | null)[];
        if (!claimed) {
          // Another member claimed it first (it is pending there), or the stream was trimmed past it
          // (MAXLEN) before anyone handled it: Redis 7 then drops it from the pending list.
          const owner = await this.pendingOwner(entry.id);
          const inStream = ((await this.client.xRange(this.keys.stream, entry.id, entry.id)) ?? []).length > 0;
          // Still in the stream: another member claimed or acknowledged it meanwhile; nothing to do.
          if (!inStream && (owner === null || owner === this.name)) await this.trimmedAway(entry.id);
          continue;
        }
        const deliveries = entry.deliveriesCounter + 1;
        if (deliveries > this.maxAttempts) {
          const event = safeParse(claimed.message.event);
          const error = await this.client.hGet(this.keys.errors(this.options.group), entry.id);
          await this.deadLetter(claimed, event, deliveries - 1, error === null || error === undefined ? null : String(error));
        } else {
          await this.handle(claimed, deliveries);
        }
      }
      if (stale.length < this.batchSize) return;
    }
  }

  /** The member an event is pending with, or null if it is not pending. */
  private async pendingOwner(id: string): Promise<string | null> {
    const [entry] = await this.client.xPendingRange(this.keys.stream, this.options.group, id, id, 1);
    return entry === undefined ? null : String(entry.consumer);
  }

  private async deadLetter(message: StreamMessage, event: EventEnvelope, attempts: number, error: string | null): Promise<void> {
    const letter: DeadLetter = { topic: this.keys.topic, group: this.options.group, attempts, error, deadAt: new Date().toISOString(), event };
    await this.client
      .multi()
      .xAdd(this.keys.deadLetters(this.options.group), '*', { event: message.message.event ?? '', attempts: String(attempts), error: error ?? '', deadAt: letter.deadAt, streamId: message.id })
      .xAck(this.keys.stream, this.options.group, message.id)
      .hDel(this.keys.errors(this.options.group), message.id)
      .exec();
    logDeadLetter(letter);
  }

  /** A pending event whose entry the stream no longer holds: recorded as a dead letter without its body. */
  private async trimmedAway(streamId: string): Promise<void> {
    const error = `trimmed from the stream before it was handled (stream id ${streamId}); its event is in the producer's outbox: run npm run replay`;
    logger().error({ group: this.options.group, topic: this.keys.topic, streamId }, 'pending event trimmed away');
    await this.client
      .multi()
      .xAdd(this.keys.deadLetters(this.options.group), '*', { event: '', attempts: '0', error, deadAt: new Date().toISOString(), streamId })
      .xAck(this.keys.stream, this.options.group, streamId)
      .hDel(this.keys.errors(this.options.group), streamId)
      .exec();
  }
}

async function createGroup(client: RedisClient, keys: StreamKeys, group: string): Promise<void> {
  try {
    await client.xGroupCreate(keys.stream, group, '0', { MKSTREAM: true });
  } catch (error) {
    if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
  }
}

function safeParse(text: string | undefined): EventEnvelope {
  try {
    return JSON.parse(text ?? '') as EventEnvelope;
  } catch {
    return { id: 'unreadable', type: 'unreadable' } as EventEnvelope;
  }
}

/** The dead letters of one group, oldest first. */
export async function readDeadLetters(client: RedisClient, keys: StreamKeys, group: string, count = 100): Promise<DeadLetter[]> {
  const entries = (await client.xRange(keys.deadLetters(group), '-', '+', { COUNT: count })) as StreamMessage[];
  return entries.map(({ message }) => ({
    topic: keys.topic,
    group,
    attempts: Number(message.attempts),
    error: message.error || null,
    deadAt: message.deadAt,
    event: safeParse(message.event),
  }));
}

export interface StreamStatus {
  topic: string;
  /** Events the stream holds now. */
  length: number;
  groups: {
    name: string;
    consumers: number;
    pending: number;
    lag: number | null;
    /** Age of the oldest event delivered but not yet acknowledged, in ms. */
    oldestPendingMs: number | null;
    /** The stream was trimmed past events this group had not read yet: they must be replayed. */
    trimmedPastUnread: boolean;
    deadLetters: number;
  }[];
}

/** Milliseconds part of a stream id (`<ms>-<seq>`). */
const idTime = (id: string) => Number(id.split('-')[0]);

/** `entries-added` from an XINFO STREAM reply (pairs in RESP2, a map in RESP3). */
function entriesAdded(reply: unknown): number {
  const key = 'entries-added';
  if (reply instanceof Map) return Number(reply.get(key) ?? 0);
  if (Array.isArray(reply)) {
    const index = reply.findIndex((item) => String(item) === key);
    return index >= 0 ? Number(reply[index + 1]) : 0;
  }
  return Number((reply as Record<string, unknown> | null)?.[key] ?? 0);
}

/** A topic's stream and its groups, as operators see them (`npm run events -- status`). */
export async function streamStatus(client: RedisClient, keys: StreamKeys, knownGroups: string[] = []): Promise<StreamStatus> {
  const exists = Number(await client.exists(keys.stream)) > 0;
  const length = exists ? Number(await client.xLen(keys.stream)) : 0;
  const infos = exists ? ((await client.xInfoGroups(keys.stream)) as unknown as { name: string; consumers: number; pending: number; lag?: number | null; 'entries-read'?: number | null }[]) : [];
  // Entries ever added (Redis 7): those beyond `length` were trimmed away. A group that has read
  // fewer than that many never saw some of them.
  const added = exists ? entriesAdded(await client.sendCommand(['XINFO', 'STREAM', keys.stream])) : 0;
  const names = [...new Set([...infos.map((info) => String(info.name)), ...knownGroups])];
  const groups = await Promise.all(
    names.map(async (name) => {
      const info = infos.find((candidate) => String(candidate.name) === name);
      const deadLetters = Number(await client.xLen(keys.deadLetters(name)));
      if (!info) return { name, consumers: 0, pending: 0, lag: null, oldestPendingMs: null, trimmedPastUnread: false, deadLetters };
      const [oldest] = Number(info.pending) ? await client.xPendingRange(keys.stream, name, '-', '+', 1) : [];
      return {
        name,
        consumers: Number(info.consumers),
        pending: Number(info.pending),
        lag: info.lag === undefined || info.lag === null ? null : Number(info.lag),
        oldestPendingMs: oldest ? Date.now() - idTime(String(oldest.id)) : null,
        trimmedPastUnread: Number(info['entries-read'] ?? 0) < added - length,
        deadLetters,
      };
    }),
  );
  return { topic: keys.topic, length, groups };
}

/**
 * Appends a group's dead letters to the topic's stream again and removes them from the dead-letter
 * stream, in one MULTI per letter. Returns how many were redriven.
 */
export async function redriveDeadLetters(client: RedisClient, keys: StreamKeys, group: string): Promise<number> {
  let count = 0;
  for (;;) {
    const entries = (await client.xRange(keys.deadLetters(group), '-', '+', { COUNT: 100 })) as StreamMessage[];
    if (!entries.length) return count;
    for (const entry of entries) {
      await client.multi().xAdd(keys.stream, '*', { event: entry.message.event }).xDel(keys.deadLetters(group), entry.id).exec();
      count += 1;
    }
  }
}
