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
   * Queries resolving events at once; events arriving meanwhile wait and are then resolved
   * together, up to 50 per query. Default 8.
   */
  maxConcurrentResolutions?: number;
}

interface Subscriber {
  prepared: PreparedSubscription;
  stream: EventStream<FormattedExecutionResult>;
}

interface Waiting {
  eventId: string;
  resolve(result: FormattedExecutionResult): void;
  reject(error: unknown): void;
}

/** Events waiting to be resolved for one distinct question (execution key). */
interface Question {
  template: PreparedSubscription;
  waiting: Waiting[];
  queued: boolean;
}

/** Most events resolved by one query. */
const MAX_BATCH = 50;

/** Splits the result of a batch query (aliases e0, e1…) into one result per event. */
export function splitBatchResult(result: FormattedExecutionResult, count: number, responseKey: string): FormattedExecutionResult[] {
  const results: FormattedExecutionResult[] = Array.from({ length: count }, (_, index) => ({
    data: result.data == null ? (result.data as null | undefined) : { [responseKey]: (result.data as Record<string, unknown>)[`e${index}`] ?? null },
  }));
  for (const error of result.errors ?? []) {
    const match = typeof error.path?.[0] === 'string' ? /^e(\d+)$/.exec(error.path[0]) : null;
    const targets = match ? [Number(match[1])] : results.map((_, index) => index);
    for (const index of targets) {
      const own = match ? { ...error, path: [responseKey, ...error.path!.slice(1)] } : error;
      (results[index] as { errors?: unknown[] }).errors = [...(results[index].errors ?? []), own];
    }
  }
  return results;
}

/**
 * The router's side of live data: one bus subscription per topic for the whole router, fanned
 * out to every client subscription whose arguments match. Subscribers that asked the same
 * question get one resolution per event, shared. Resolutions run a few at a time; events that
 * arrive meanwhile for the same question are resolved together by one query, so under load the
 * cost per event falls instead of a backlog growing.
 */
export class SubscriptionHub {
  private readonly byEventType = new Map<string, Set<Subscriber>>();
  private readonly questions = new Map<string, Question>();
  private readonly ready: Question[] = [];
  private readonly seen = new Set<string>();
  private readonly unsubscribers: (() => Promise<void>)[] = [];
  private readonly maxPending: number;
  private readonly dedupeWindow: number;
  private readonly maxConcurrent: number;
  private running = 0;
  /** Counters for tests, logs and the benchmark. */
  readonly stats = { events: 0, duplicates: 0, executions: 0, resolutions: 0, deliveries: 0, dropped: 0 };

  private constructor(private readonly options: SubscriptionHubOptions) {
    this.maxPending = options.maxPendingEvents ?? 10_000;
    this.dedupeWindow = options.dedupeWindow ?? 10_000;
    this.maxConcurrent = options.maxConcurrentResolutions ?? 8;
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
    const results = new Map<string, Promise<FormattedExecutionResult>>();
    for (const subscriber of subscribers) {
      if (!subscriber.prepared.field.matches(event, subscriber.prepared.args)) continue;
      const key = subscriber.prepared.executionKey;
      let result = results.get(key);
      if (!result) {
        result = this.enqueue(subscriber.prepared, event.id);
        results.set(key, result);
      }
      this.stats.deliveries += 1;
      subscriber.stream.push(result);
    }
    this.pump();
  }

  private enqueue(template: PreparedSubscription, eventId: string): Promise<FormattedExecutionResult> {
    let question = this.questions.get(template.executionKey);
    if (!question) {
      question = { template, waiting: [], queued: false };
      this.questions.set(template.executionKey, question);
    }
    const current = question;
    this.stats.resolutions += 1;
    const result = new Promise<FormattedExecutionResult>((resolve, reject) => current.waiting.push({ eventId, resolve, reject }));
    if (!current.queued) {
      current.queued = true;
      this.ready.push(current);
    }
    return result;
  }

  /** Starts resolutions while there are free slots: each takes the waiting events of one question. */
  private pump(): void {
    while (this.running < this.maxConcurrent && this.ready.length) {
      const question = this.ready.shift()!;
      const batch = question.waiting.splice(0, MAX_BATCH);
      if (question.waiting.length) this.ready.push(question);
      else {
        question.queued = false;
        this.questions.delete(question.template.executionKey);
      }
      this.running += 1;
      void this.resolve(question.template, batch).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  private async resolve(template: PreparedSubscription, batch: Waiting[]): Promise<void> {
    this.stats.executions += 1;
    try {
      if (batch.length === 1) {
        batch[0].resolve(await this.options.run(template.query, { ...template.variables, [template.eventIdVariable]: batch[0].eventId }));
        return;
      }
      const variables: Record<string, unknown> = { ...template.variables };
      batch.forEach((waiting, index) => (variables[`${template.eventIdVariable}${index}`] = waiting.eventId));
      const results = splitBatchResult(await this.options.run(template.batchQuery(batch.length), variables), batch.length, template.responseKey);
      batch.forEach((waiting, index) => waiting.resolve(results[index]));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }

  async stop(): Promise<void> {
    for (const set of this.byEventType.values()) for (const subscriber of [...set]) subscriber.stream.end();
    await Promise.all(this.unsubscribers.splice(0).map((unsubscribe) => unsubscribe()));
  }
}
