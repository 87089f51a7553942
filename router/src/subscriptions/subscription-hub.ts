import type { FormattedExecutionResult } from 'graphql';
import { logger, type EventBus, type EventEnvelope, type Identity } from '@joinery/core';
import { EventStream } from './event-stream';
import { LIVE_TOPICS } from './live-fields';
import { combinedQuery } from './combined-query';
import type { PreparedSubscription } from './prepare-subscription';
import type { SubscriberScope } from './subscriber-scope';

/**
 * Runs one query through the router's normal pipeline (query plan, subgraph fetches, error
 * formatting) as `identity`, so subgraphs apply that caller's permissions and locations.
 */
export type QueryRunner = (query: string, variables: Record<string, unknown>, identity: Identity) => Promise<FormattedExecutionResult>;

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
  scope: SubscriberScope;
  stream: EventStream<FormattedExecutionResult>;
}

/** One event waiting to be resolved for the questions its subscribers asked. */
interface Job {
  eventId: string;
  /** Question keys in a fixed order (they start with the scope key): jobs with the same signature are resolved together. */
  signature: string;
  /** Resolves the questions: one of the asking subscribers', all of whom share its scope key. */
  identity: Identity;
  questions: PreparedSubscription[];
  settle: { resolve(result: FormattedExecutionResult): void; reject(error: unknown): void }[];
  /** Who asked each question: a question nobody is left to read is not resolved. */
  askedBy: Subscriber[][];
}

/** Most events resolved by one query. */
const MAX_BATCH = 50;
/** Most root fields (events × questions) in one query: bigger queries take long to plan. */
const MAX_FIELDS = 100;

/** Settles the results of an event nobody is left to receive. */
const GONE: FormattedExecutionResult = { data: null };

/** What a subscriber gets when its event could not be resolved at all (details go to the log). */
const UNRESOLVED: FormattedExecutionResult = { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };

/**
 * The router's side of live data: one bus subscription per topic for the whole router, fanned
 * out to every client subscription whose scope covers the event's location and whose arguments
 * match. Subscribers that asked the same question and see the same data (same scope key: role
 * and locations) share one result per event, and all the questions about an event from one scope
 * are resolved by one query, as a caller of that scope: a result is never computed with more
 * rights than any of its receivers have. Queries run a few at a time; events that arrive meanwhile for the same questions are
 * resolved together, up to 50 per query, so under load the cost per event falls instead of a
 * backlog growing.
 */
export class SubscriptionHub {
  private readonly byEventType = new Map<string, Set<Subscriber>>();
  private readonly jobs: Job[] = [];
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

  /**
   * Opens a subscriber's stream (the caller has authorized the subscription for `scope`);
   * `onTooSlow` is called if it falls `maxPendingEvents` behind.
   */
  open(prepared: PreparedSubscription, scope: SubscriberScope, onTooSlow: () => void): EventStream<FormattedExecutionResult> {
    const type = prepared.field.eventType;
    const set = this.byEventType.get(type) ?? new Set<Subscriber>();
    this.byEventType.set(type, set);
    const subscriber: Subscriber = {
      prepared,
      scope,
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
    // Questions by scope key, then by question: a result is shared, and questions are combined
    // into one query, only between subscribers who may see the same data.
    const scopes = new Map<string, Map<string, { question: PreparedSubscription; subscribers: Subscriber[] }>>();
    for (const subscriber of subscribers) {
      const { field, args } = subscriber.prepared;
      // The scope filter comes first, on the event's own location: an event the subscriber may
      // not see is never resolved for it, so nothing about it can leak through a result or an error.
      if (!subscriber.scope.sees(field.locationOf(event)) || !field.matches(event, args)) continue;
      const questions = scopes.get(subscriber.scope.key) ?? new Map<string, { question: PreparedSubscription; subscribers: Subscriber[] }>();
      scopes.set(subscriber.scope.key, questions);
      const key = subscriber.prepared.executionKey;
      const entry = questions.get(key);
      if (entry) entry.subscribers.push(subscriber);
      else questions.set(key, { question: subscriber.prepared, subscribers: [subscriber] });
    }
    for (const [scopeKey, questions] of scopes) this.enqueue(event, scopeKey, questions);
    this.pump();
  }

  private enqueue(event: EventEnvelope, scopeKey: string, questions: Map<string, { question: PreparedSubscription; subscribers: Subscriber[] }>): void {
    const keys = [...questions.keys()].sort();
    const identity = questions.get(keys[0])!.subscribers[0].scope.identity;
    for (let start = 0; start < keys.length; start += MAX_FIELDS) {
      const chunk = keys.slice(start, start + MAX_FIELDS);
      const job: Job = { eventId: event.id, signature: [scopeKey, ...chunk].join('\u0000'), identity, questions: [], settle: [], askedBy: [] };
      for (const key of chunk) {
        const { question, subscribers: asking } = questions.get(key)!;
        job.questions.push(question);
        job.askedBy.push(asking);
        const result = new Promise<FormattedExecutionResult>((resolve, reject) => job.settle.push({ resolve, reject }));
        this.stats.resolutions += 1;
        for (const subscriber of asking) {
          this.stats.deliveries += 1;
          subscriber.stream.push(result);
        }
      }
      this.jobs.push(job);
    }
  }

  /** Starts queries while there are free slots; each takes the first waiting event and those waiting with the same questions. */
  private pump(): void {
    while (this.running < this.maxConcurrent && this.jobs.length) {
      const first = this.jobs.shift()!;
      if (first.askedBy.every((asking) => asking.every((subscriber) => subscriber.stream.ended))) {
        // Every subscriber of this event has gone (a dashboard closed, a client dropped): skip it.
        for (const settle of first.settle) settle.resolve(GONE);
        continue;
      }
      const batch = [first];
      const most = Math.min(MAX_BATCH, Math.max(1, Math.floor(MAX_FIELDS / first.questions.length)));
      for (let index = 0; index < this.jobs.length && batch.length < most; ) {
        if (this.jobs[index].signature === first.signature) batch.push(...this.jobs.splice(index, 1));
        else index += 1;
      }
      this.running += 1;
      void this.resolve(batch).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  /** Resolves a batch; never rejects, so a failure reaches each subscriber as an error result and its subscription lives on. */
  private async resolve(batch: Job[]): Promise<void> {
    const { questions } = batch[0];
    if (batch.length === 1 && questions.length === 1) {
      batch[0].settle[0].resolve(await this.resolveAlone(questions[0], batch[0].eventId, batch[0].identity));
      return;
    }
    this.stats.executions += 1;
    const combined = combinedQuery(questions, batch.map((job) => job.eventId));
    // Every job in the batch has the same signature, hence the same scope key: one identity serves them all.
    const result = await this.runSafely(combined.query, combined.variables, batch[0].identity);
    if (result.errors?.some((error) => !error.path)) {
      // An error of the whole request (one question's bad variable, say) must not become every
      // question's error: each is resolved on its own instead.
      await Promise.all(batch.flatMap((job) => job.questions.map(async (question, k) => job.settle[k].resolve(await this.resolveAlone(question, job.eventId, job.identity)))));
      return;
    }
    const results = combined.split(result);
    batch.forEach((job, i) => job.settle.forEach((settle, k) => settle.resolve(results[i][k])));
  }

  private resolveAlone(question: PreparedSubscription, eventId: string, identity: Identity): Promise<FormattedExecutionResult> {
    this.stats.executions += 1;
    return this.runSafely(question.query, { ...question.variables, [question.eventIdVariable]: eventId }, identity);
  }

  private async runSafely(query: string, variables: Record<string, unknown>, identity: Identity): Promise<FormattedExecutionResult> {
    try {
      return await this.options.run(query, variables, identity);
    } catch (error) {
      logger('router').error({ error: String((error as Error)?.stack ?? error) }, 'subscription event could not be resolved');
      return UNRESOLVED;
    }
  }

  async stop(): Promise<void> {
    for (const set of this.byEventType.values()) for (const subscriber of [...set]) subscriber.stream.end();
    await Promise.all(this.unsubscribers.splice(0).map((unsubscribe) => unsubscribe()));
  }
}
