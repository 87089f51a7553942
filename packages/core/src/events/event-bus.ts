import { EventEmitter } from 'node:events';
import { createClient } from 'redis';
import { ConfigError } from '../config';

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
 * Carries events from the process that recorded them to every process that listens, in the order
 * they were published. A live channel: a listener sees what is published while it listens.
 */
export interface EventBus {
  readonly kind: 'in-process' | 'redis';
  publish(topic: string, events: EventEnvelope[]): Promise<void>;
  /** Resolves once the subscription is active; the returned function ends it. */
  subscribe(topic: string, handler: EventHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The embedded default: events travel inside one process, delivered in publish order. */
export class InProcessEventBus implements EventBus {
  readonly kind = 'in-process';
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(topic: string, events: EventEnvelope[]): Promise<void> {
    // A copy per listener, as across a network: no listener can change what another sees.
    const message = JSON.stringify(events);
    for (const listener of this.emitter.listeners(topic)) (listener as (message: string) => void)(message);
  }

  async subscribe(topic: string, handler: EventHandler): Promise<() => Promise<void>> {
    const listener = (message: string) => deliver(message, handler, topic);
    this.emitter.on(topic, listener);
    return async () => {
      this.emitter.off(topic, listener);
    };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export interface RedisEventBusOptions {
  url: string;
  /** Prepended to every topic to make the Redis channel name. Default `joinery:`. */
  channelPrefix?: string;
}

/**
 * Events through Redis pub/sub, so routers and subgraphs in separate processes and on separate
 * machines share them. One PUBLISH per batch keeps a batch's order; Redis keeps the order of one
 * publisher's messages. A listener that is disconnected misses what was published meanwhile.
 */
export class RedisEventBus implements EventBus {
  readonly kind = 'redis';
  private readonly publisher;
  private subscriber: ReturnType<typeof createClient> | undefined;
  private readonly prefix: string;

  private connected = false;

  private constructor(private readonly url: string, prefix: string) {
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
    const bus = new RedisEventBus(options.url, options.channelPrefix ?? 'joinery:');
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
    await this.publisher.publish(this.prefix + topic, JSON.stringify(events));
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
    console.error(JSON.stringify({ level: 'error', msg: 'unreadable event message dropped', topic, error: String(error) }));
    return;
  }
  for (const event of events) {
    try {
      handler(event);
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'event handler failed', topic, eventId: event.id, error: String((error as Error)?.stack ?? error) }));
    }
  }
}

function logRedisError(role: string, error: unknown): void {
  console.error(JSON.stringify({ level: 'error', msg: `redis ${role} connection error`, error: String((error as Error)?.message ?? error) }));
}

/** The bus for a deployment: Redis when `redisUrl` is set, otherwise in-process. */
export async function openEventBus(options: { redisUrl?: string; channelPrefix?: string }): Promise<EventBus> {
  return options.redisUrl ? RedisEventBus.connect({ url: options.redisUrl, channelPrefix: options.channelPrefix }) : new InProcessEventBus();
}
