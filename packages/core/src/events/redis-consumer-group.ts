import type { RedisClientType } from 'redis';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RECLAIM_AFTER_MS, defaultConsumerName, errorText, logDeadLetter, logHandlerFailure, type ConsumeOptions, type Consumption, type DeadLetter } from './consumer-group';
import type { EventEnvelope } from './event-bus';

// Clients made by createClient and by duplicate() differ in their module type parameters only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RedisClient = RedisClientType<any, any, any, 3, any>;

/** Where a topic's stream and a group's dead letters live in Redis. */
export interface StreamKeys {
  topic: string;
  stream: string;
  deadLetters: (group: string) => string;
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
  handled = 0;
  private running = true;
  private loop: Promise<void> | undefined;
  private readonly lastErrors = new Map<string, string>();
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
      await client.xGroupCreate(keys.stream, options.group, '0', { MKSTREAM: true });
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) {
        await client.close();
        throw error;
      }
    }
    const member = new RedisConsumerGroupMember(client, keys, options);
    member.loop = member.run();
    return member;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.client.isOpen) await this.client.close().catch(() => undefined);
  }

  /**
   * Ends this member as a crash would: the connection is dropped at once and nothing in hand is
   * acknowledged (tests use it to show another member takes over).
   */
  kill(): void {
    this.running = false;
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
        if (messages.length > 1 && this.options.batchHandler && (await this.handleBatch(messages))) continue;
        for (const message of messages) {
          if (!this.running) return;
          await this.handle(message);
        }
      } catch (error) {
        if (!this.running) return;
        console.error(JSON.stringify({ level: 'error', msg: 'consumer group read failed; retrying', group: this.options.group, topic: this.keys.topic, error: errorText(error) }));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
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
    if (!this.running && !this.client.isOpen) return true;
    await this.client.xAck(this.keys.stream, this.options.group, messages.map((message) => message.id));
    this.handled += messages.length;
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
      this.lastErrors.set(message.id, errorText(error));
      logHandlerFailure(this.options.group, event, delivery, error);
      return; // Left pending: reclaimed after reclaimAfterMs, by this member or another.
    }
    if (!this.running && !this.client.isOpen) return;
    await this.client.xAck(this.keys.stream, this.options.group, message.id);
    this.lastErrors.delete(message.id);
    this.handled += 1;
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
          // Another member claimed it first, or the stream was trimmed past it.
          if (!(await this.stillPending(entry.id))) continue;
          await this.client.xAck(this.keys.stream, this.options.group, entry.id);
          continue;
        }
        const deliveries = entry.deliveriesCounter + 1;
        if (deliveries > this.maxAttempts) {
          const event = safeParse(claimed.message.event);
          await this.deadLetter(claimed, event, deliveries - 1, this.lastErrors.get(entry.id) ?? null);
        } else {
          await this.handle(claimed, deliveries);
        }
      }
      if (stale.length < this.batchSize) return;
    }
  }

  private async stillPending(id: string): Promise<boolean> {
    const [entry] = await this.client.xPendingRange(this.keys.stream, this.options.group, id, id, 1);
    return entry !== undefined && entry.consumer === this.name;
  }

  private async deadLetter(message: StreamMessage, event: EventEnvelope, attempts: number, error: string | null): Promise<void> {
    const letter: DeadLetter = { topic: this.keys.topic, group: this.options.group, attempts, error, deadAt: new Date().toISOString(), event };
    await this.client
      .multi()
      .xAdd(this.keys.deadLetters(this.options.group), '*', { event: message.message.event ?? '', attempts: String(attempts), error: error ?? '', deadAt: letter.deadAt, streamId: message.id })
      .xAck(this.keys.stream, this.options.group, message.id)
      .exec();
    this.lastErrors.delete(message.id);
    logDeadLetter(letter);
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
  groups: { name: string; consumers: number; pending: number; lag: number | null; deadLetters: number }[];
}

/** A topic's stream and its groups, as operators see them (`npm run events -- status`). */
export async function streamStatus(client: RedisClient, keys: StreamKeys): Promise<StreamStatus> {
  const length = Number(await client.xLen(keys.stream));
  if (!length && !(await client.exists(keys.stream))) return { topic: keys.topic, length: 0, groups: [] };
  const groups = (await client.xInfoGroups(keys.stream)) as unknown as { name: string; consumers: number; pending: number; lag?: number | null }[];
  return {
    topic: keys.topic,
    length,
    groups: await Promise.all(
      groups.map(async (group) => ({
        name: String(group.name),
        consumers: Number(group.consumers),
        pending: Number(group.pending),
        lag: group.lag === undefined || group.lag === null ? null : Number(group.lag),
        deadLetters: Number(await client.xLen(keys.deadLetters(String(group.name)))),
      })),
    ),
  };
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
