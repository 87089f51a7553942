import type { EventBus, EventEnvelope } from '@joinery/core';
import { DERIVED_SETTLE_MS, invalidationTopics, subjectsChangedBy, subjectsDerivedFrom, subjectsMutatedBy } from './policy';
import type { ResponseStore } from './response-store';

export interface InvalidationOptions {
  store: ResponseStore;
  /** Where the subgraphs' events arrive; without one only mutations and the TTL refresh answers. */
  bus?: EventBus;
  /** See DERIVED_SETTLE_MS. */
  settleMs?: number;
  /** Told about a failed invalidation (the answers concerned then live until their TTL). */
  onError: (error: unknown) => void;
}

/**
 * Moves subjects to new generations when the policy says their data changed: on the events it
 * names (every router listening on the bus does it, so every memory store hears of it), and on
 * mutations this router ran. The events of one delivered batch are applied together.
 */
export class Invalidation {
  private readonly pending = new Set<string>();
  private flushing = false;
  /** Derived subjects to invalidate when the settle timer fires, and those whose events came after it started. */
  private settling = new Set<string>();
  private settlingNext = new Set<string>();
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribers: (() => Promise<void>)[] = [];
  /** Counters for tests. */
  readonly stats = { events: 0, invalidations: 0 };

  private constructor(private readonly options: InvalidationOptions) {}

  static async start(options: InvalidationOptions): Promise<Invalidation> {
    const invalidation = new Invalidation(options);
    if (options.bus) {
      for (const topic of invalidationTopics()) invalidation.unsubscribers.push(await options.bus.subscribe(topic, (event) => invalidation.onEvent(event)));
    }
    return invalidation;
  }

  /** After a mutation answered (so after it committed): its changes are visible to the next read. */
  async afterMutation(rootFields: readonly string[]): Promise<void> {
    const subjects = new Set(rootFields.flatMap(subjectsMutatedBy));
    if (!subjects.size) return;
    this.stats.invalidations += 1;
    await this.options.store.invalidate([...subjects]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.unsubscribers.splice(0).map((unsubscribe) => unsubscribe()));
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
  }

  private onEvent(event: EventEnvelope): void {
    this.stats.events += 1;
    const now = subjectsChangedBy(event.type);
    const later = subjectsDerivedFrom(event.type);
    this.schedule([...now, ...later]);
    if (!later.length) return;
    if (this.settleTimer) {
      later.forEach((subject) => this.settlingNext.add(subject));
    } else {
      later.forEach((subject) => this.settling.add(subject));
      this.settle();
    }
  }

  /**
   * One timer at a time, however many events arrive: each event's derived subjects are
   * invalidated again between one and two settle periods after it.
   */
  private settle(): void {
    this.settleTimer = setTimeout(() => {
      this.schedule([...this.settling]);
      this.settling = this.settlingNext;
      this.settlingNext = new Set();
      this.settleTimer = undefined;
      if (this.settling.size) this.settle();
    }, this.options.settleMs ?? DERIVED_SETTLE_MS);
    this.settleTimer.unref();
  }

  private schedule(subjects: string[]): void {
    if (!subjects.length) return;
    subjects.forEach((subject) => this.pending.add(subject));
    if (this.flushing) return;
    this.flushing = true;
    // A relay publishes up to 500 events at once: one invalidation for all of them.
    queueMicrotask(() => {
      const batch = [...this.pending];
      this.pending.clear();
      this.flushing = false;
      this.stats.invalidations += 1;
      this.options.store.invalidate(batch).catch(this.options.onError);
    });
  }
}
