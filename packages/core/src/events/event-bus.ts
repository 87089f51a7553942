import { EventEmitter } from 'node:events';
import { createClient } from 'redis';
import { ConfigError } from '../config';
import { logger } from '../observability/logger';
import type { ConsumeOptions, Consumption, DeadLetter } from './consumer-group';
import { InProcessStreams } from './in-process-streams';
import { readDeadLetters, redriveDeadLetters, RedisConsumerGroupMember, streamStatus, type StreamKeys, type StreamStatus } from './redis-consumer-group';

/** A fact one subgraph recorded, as it travels between processes. */
export interface EventEnvelope<TPayload = Record<string, unknown>> {
  /** Stable id (UUIDv7): consumers ignore an id they have already handled. */
  id: string;
  /** e.g. `inventory.stock_changed`. */
  type: string;
  /** Version of the payload's shape for this type. */
  version: number;
  /** What the event is about, e.g. `<locationId>:<sku>`; events of one aggregate keep their order. */
  aggregate: string;
  /** When the change happened (its transaction's time). */
  occurredAt: string;
  /** When the event was written, just before its transaction committed. */
  recordedAt: string;
  payload: TPayload;
}

export type EventHandler = (event: EventEnvelope) => void;

/**
 * Carries events from the process that recorded them to the processes that use them, two ways:
 * - `subscribe`: a live channel (router subscriptions): a listener sees what is published while
 *   it listens, in publish order;
 * - `consume`: durable consumer groups (see ConsumeOptions): each group gets every event at least
 *   once, including those published while none of its members ran, until handled or dead-lettered.
 */
export interface EventBus {
  readonly kind: 'in-process' | 'redis';
  publish(topic: string, events: EventEnvelope[]): Promise<void>;
  /** Resolves once the subscription is active; the returned function ends it. */
  subscribe(topic: string, handler: EventHandler): Promise<() => Promise<void>>;
  /** Joins `options.group` on `topic`; resolves once the member is reading. */
  consume(topic: string, options: ConsumeOptions): Promise<Consumption>;
  /** Events of `topic` that `group` gave up on, oldest first. */
  deadLetters(topic: string, group: string): Promise<DeadLetter[]>;
  /** Puts `group`'s dead letters back on `topic` (every group sees them again); returns how many. */
  redrive(topic: string, group: string): Promise<number>;
  /** Resolves when the bus's server answers (readiness: Redis PING); absent when there is no server to ask. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

/** The embedded default: events travel inside one process, delivered in publish order. */
export class InProcessEventBus implements EventBus {
  readonly kind = 'in-process';
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly streams: InProcessStreams;

  /** `attemptWaitMs`: longest a publish waits for the consumer groups' first attempts (default 30000). */
  constructor(options: { attemptWaitMs?: number } = {}) {
    this.streams = new InProcessStreams(undefined, options.attemptWaitMs);
  }

  async publish(topic: string, events: EventEnvelope[]): Promise<void> {
    if (!events.length) return;
    const attempted = this.streams.append(topic, events);
    // A copy per listener, as across a network: no listener can change what another sees.
    const message = JSON.stringify(events);
    for (const listener of this.emitter.listeners(topic)) (listener as (message: string) => void)(message);
    // Live listeners first; the publisher (a relay) then waits for the consumer groups' first attempts.
    await attempted;
  }

  async subscribe(topic: string, handler: EventHandler): Promise<() => Promise<void>> {
    const listener = (message: string) => deliver(message, handler, topic);
    this.emitter.on(topic, listener);
    return async () => {
      this.emitter.off(topic, listener);
    };
  }

  async consume(topic: string, options: ConsumeOptions): Promise<Consumption> {
    return this.streams.consume(topic, options);
  }

  async deadLetters(topic: string, group: string): Promise<DeadLetter[]> {
    return this.streams.deadLetters(topic, group);
  }

  async redrive(topic: string, group: string): Promise<number> {
    return this.streams.redrive(topic, group);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    await this.streams.close();
  }
}

export interface RedisEventBusOptions {
  url: string;
  /** Prepended to every topic to make the Redis channel and stream names. Default `joinery:`. */
  channelPrefix?: string;
  /** Events each topic's stream keeps (approximately; older ones are trimmed). Default 1000000. */
  streamMaxLength?: number;
}

/**
 * Events through Redis, so routers and subgraphs in separate processes and machines share them.
 * A batch is published in one MULTI: each event is appended to the topic's stream
 * (`<prefix>stream:<topic>`, read by consumer groups) and the batch is PUBLISHed on the channel
 * `<prefix><topic>` for live listeners. Redis keeps the order of one publisher's commands. A live
 * listener that is disconnected misses what was published meanwhile; a consumer group does not.
 */
export class RedisEventBus implements EventBus {
  readonly kind = 'redis';
  private readonly publisher;
  private subscriber: ReturnType<typeof createClient> | undefined;
  private readonly prefix: string;

  private connected = false;
  private readonly members = new Set<RedisConsumerGroupMember>();

  private constructor(private readonly url: string, prefix: string, private readonly streamMaxLength: number) {
    this.prefix = prefix;
    // Once connected, a lost connection is retried for as long as it takes (with back-off up to
    // 2 s); the first connection is not, so a wrong REDIS_URL stops start-up with a clear message.
    this.publisher = createClient({
      url,
      socket: { reconnectStrategy: (retries: number, cause: Error) => (this.connected ? Math.min(100 * 2 ** retries, 2_000) : cause) },
    });
    this.publisher.on('error', (error) => {
      if (this.connected) logRedisError('publisher', error);
    });
  }

  static async connect(options: RedisEventBusOptions): Promise<RedisEventBus> {
    const bus = new RedisEventBus(options.url, options.channelPrefix ?? 'joinery:', options.streamMaxLength ?? 1_000_000);
    try {
      await bus.publisher.connect();
    } catch (error) {
      throw new ConfigError([`REDIS_URL: cannot connect to ${redacted(options.url)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
    }
    bus.connected = true;
    return bus;
  }

  async publish(topic: string, events: EventEnvelope[]): Promise<void> {
    if (!events.length) return;
    const { stream } = this.keys(topic);
    const batch = this.publisher.multi();
    for (const event of events) {
      batch.xAdd(stream, '*', { event: JSON.stringify(event) }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: this.streamMaxLength } });
    }
    batch.publish(this.prefix + topic, JSON.stringify(events));
    await batch.exec();
  }

  /** The Redis keys of a topic: its stream and each group's dead letters. */
  keys(topic: string): StreamKeys {
    return { topic, stream: `${this.prefix}stream:${topic}`, deadLetters: (group) => `${this.prefix}dead:${topic}:${group}`, errors: (group) => `${this.prefix}errors:${topic}:${group}` };
  }

  async consume(topic: string, options: ConsumeOptions): Promise<Consumption> {
    const client = this.publisher.duplicate();
    client.on('error', (error) => logRedisError(`consumer ${options.group}`, error));
    const member = await RedisConsumerGroupMember.join(client, this.keys(topic), options);
    this.members.add(member);
    return {
      stop: async () => {
        this.members.delete(member);
        await member.stop();
      },
      // Tests reach this to simulate a crash (see RedisConsumerGroupMember.kill).
      kill: () => {
        this.members.delete(member);
        member.kill();
      },
    } as Consumption;
  }

  async deadLetters(topic: string, group: string): Promise<DeadLetter[]> {
    return readDeadLetters(this.publisher, this.keys(topic), group);
  }

  /** The topic's stream, groups, pending events and dead letters (of `knownGroups` too, even without a stream). */
  status(topic: string, knownGroups: string[] = []): Promise<StreamStatus> {
    return streamStatus(this.publisher, this.keys(topic), knownGroups);
  }

  /** Deletes every key under this bus's prefix (streams, dead letters): for tests and benchmarks. */
  async purge(): Promise<number> {
    let deleted = 0;
    for await (const keys of this.publisher.scanIterator({ MATCH: `${this.prefix}*`, COUNT: 500 })) {
      if (keys.length) deleted += Number(await this.publisher.del(keys));
    }
    return deleted;
  }

  /** PING on the publishing connection: while Redis is unreachable it waits (commands queue until the reconnect), so callers bound it with a timeout. */
  async ping(): Promise<void> {
    await this.publisher.ping();
  }

  /** Puts a group's dead letters back on the topic; returns how many. */
  redrive(topic: string, group: string): Promise<number> {
    return redriveDeadLetters(this.publisher, this.keys(topic), group);
  }

  async subscribe(topic: string, handler: EventHandler): Promise<() => Promise<void>> {
    if (!this.subscriber) {
      this.subscriber = this.publisher.duplicate();
      this.subscriber.on('error', (error) => logRedisError('subscriber', error));
      await this.subscriber.connect();
    }
    const channel = this.prefix + topic;
    const listener = (message: string) => deliver(message, handler, topic);
    await this.subscriber.subscribe(channel, listener);
    const subscriber = this.subscriber;
    return async () => {
      if (subscriber.isOpen) await subscriber.unsubscribe(channel, listener);
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.members].map((member) => member.stop()));
    this.members.clear();
    await Promise.allSettled([this.subscriber?.isOpen ? this.subscriber.close() : undefined, this.publisher.isOpen ? this.publisher.close() : undefined]);
  }

  toString(): string {
    return `RedisEventBus(${redacted(this.url)})`;
  }
}

function redacted(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

function deliver(message: string, handler: EventHandler, topic: string): void {
  let events: EventEnvelope[];
  try {
    events = JSON.parse(message) as EventEnvelope[];
  } catch (error) {
    logger().error({ topic, error: String(error) }, 'unreadable event message dropped');
    return;
  }
  for (const event of events) {
    try {
      handler(event);
    } catch (error) {
      logger().error({ topic, eventId: event.id, error: String((error as Error)?.stack ?? error) }, 'event handler failed');
    }
  }
}

function logRedisError(role: string, error: unknown): void {
  logger().error({ error: String((error as Error)?.message ?? error) }, `redis ${role} connection error`);
}

/** The bus for a deployment: Redis when `redisUrl` is set, otherwise in-process. */
export async function openEventBus(options: { redisUrl?: string; channelPrefix?: string; streamMaxLength?: number }): Promise<EventBus> {
  return options.redisUrl ? RedisEventBus.connect({ url: options.redisUrl, channelPrefix: options.channelPrefix, streamMaxLength: options.streamMaxLength }) : new InProcessEventBus();
}
