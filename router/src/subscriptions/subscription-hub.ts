import type { FormattedExecutionResult } from 'graphql';
import type { EventBus, EventEnvelope } from '@joinery/core';
import { EventStream } from './event-stream';
import { LIVE_TOPICS } from './live-fields';
import type { PreparedSubscription } from './prepare-subscription';

/** Runs one query through the router's normal pipeline (query plan, subgraph fetches, error formatting). */
export type QueryRunner = (query: string, variables: Record<string, unknown>) => Promise<FormattedExecutionResult>;

export interface SubscriptionHubOptions {
  bus: EventBus;
  run: QueryRunner;
  /**
   * Results one subscriber may have waiting before it is dropped as too slow. Default 10000: a
   * relay publishes up to 500 events at once, so a healthy subscriber can be a few batches behind.
   */
  maxPendingEvents?: number;
  /** Event ids remembered to drop a republished event. Default 10000. */
  dedupeWindow?: number;
  /**
   * Events resolved at once; more wait their turn (a burst does not become thousands of
   * simultaneous subgraph fetches). Default 32.
   */
  maxConcurrentResolutions?: number;
}

interface Subscriber {
  prepared: PreparedSubscription;
  stream: EventStream<FormattedExecutionResult>;
}

/**
 * The router's side of live data: one bus subscription per topic for the whole router, fanned
 * out to every client subscription whose arguments match. Subscribers that asked the same
 * question get one resolution per event, shared.
 */
export class SubscriptionHub {
  private readonly byEventType = new Map<string, Set<Subscriber>>();
  private readonly seen = new Set<string>();
  private readonly unsubscribers: (() => Promise<void>)[] = [];
  private readonly maxPending: number;
  private readonly dedupeWindow: number;
  private readonly maxConcurrent: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Counters for tests, logs and the benchmark. */
  readonly stats = { events: 0, duplicates: 0, executions: 0, deliveries: 0, dropped: 0 };

  private constructor(private readonly options: SubscriptionHubOptions) {
    this.maxPending = options.maxPendingEvents ?? 10_000;
    this.dedupeWindow = options.dedupeWindow ?? 10_000;
    this.maxConcurrent = options.maxConcurrentResolutions ?? 32;
  }

  static async start(options: SubscriptionHubOptions): Promise<SubscriptionHub> {
    const hub = new SubscriptionHub(options);
    for (const topic of LIVE_TOPICS) hub.unsubscribers.push(await options.bus.subscribe(topic, (event) => hub.onEvent(event)));
    return hub;
  }

  get subscriberCount(): number {
    let count = 0;
    for (const set of this.byEventType.values()) count += set.size;
    return count;
  }

  /** Opens a subscriber's stream; `onTooSlow` is called if it falls `maxPendingEvents` behind. */
  open(prepared: PreparedSubscription, onTooSlow: () => void): EventStream<FormattedExecutionResult> {
    const type = prepared.field.eventType;
    const set = this.byEventType.get(type) ?? new Set<Subscriber>();
    this.byEventType.set(type, set);
    const subscriber: Subscriber = {
      prepared,
      stream: new EventStream<FormattedExecutionResult>(
        this.maxPending,
        () => {
          this.stats.dropped += 1;
          subscriber.stream.end();
          onTooSlow();
        },
        () => set.delete(subscriber),
      ),
    };
    set.add(subscriber);
    return subscriber.stream;
  }

  private onEvent(event: EventEnvelope): void {
    if (this.seen.has(event.id)) {
      this.stats.duplicates += 1;
      return;
    }
    this.seen.add(event.id);
    if (this.seen.size > this.dedupeWindow) this.seen.delete(this.seen.values().next().value!);
    this.stats.events += 1;

    const subscribers = this.byEventType.get(event.type);
    if (!subscribers?.size) return;
    const groups = new Map<string, Subscriber[]>();
    for (const subscriber of subscribers) {
      if (!subscriber.prepared.field.matches(event, subscriber.prepared.args)) continue;
      const group = groups.get(subscriber.prepared.executionKey);
      if (group) group.push(subscriber);
      else groups.set(subscriber.prepared.executionKey, [subscriber]);
    }
    for (const group of groups.values()) {
      const { query, variables, eventIdVariable } = group[0].prepared;
      this.stats.executions += 1;
      const result = this.limited(() => this.options.run(query, { ...variables, [eventIdVariable]: event.id }));
      for (const subscriber of group) {
        this.stats.deliveries += 1;
        subscriber.stream.push(result);
      }
    }
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }

  async stop(): Promise<void> {
    for (const set of this.byEventType.values()) for (const subscriber of [...set]) subscriber.stream.end();
    await Promise.all(this.unsubscribers.splice(0).map((unsubscribe) => unsubscribe()));
  }
}
