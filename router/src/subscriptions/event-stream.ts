/**
 * A subscriber's results in the order its events arrived, even when a later event resolves
 * first. At most `limit` results wait for the subscriber; one more calls `onOverflow` (the
 * connection is then dropped rather than letting the router's memory grow).
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  private readonly queue: Promise<T>[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private done = false;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
    private readonly onEnd: () => void,
  ) {}

  /** True once the subscriber is gone (completed, closed or dropped). */
  get ended(): boolean {
    return this.done;
  }

  get pending(): number {
    return this.queue.length;
  }

  push(result: Promise<T>): void {
    if (this.done) return;
    // A rejected result is delivered as one (the subscriber gets the error); never unhandled.
    result.catch(() => {});
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      this.deliver(result, resolve);
      return;
    }
    if (this.queue.length >= this.limit) {
      this.onOverflow();
      return;
    }
    this.queue.push(result);
  }

  private deliver(result: Promise<T>, resolve: (result: IteratorResult<T>) => void): void {
    result.then((value) => resolve({ value, done: false }), (error) => resolve(Promise.reject(error) as never));
  }

  next(): Promise<IteratorResult<T>> {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    const head = this.queue.shift();
    if (head) return head.then((value) => ({ value, done: false }));
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  async return(): Promise<IteratorResult<T>> {
    this.end();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<T>> {
    this.end();
    throw error;
  }

  /** Ends the stream: a waiting `next` resolves done, queued results are dropped. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    this.onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
