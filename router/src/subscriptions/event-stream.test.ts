import { describe, expect, it, vi } from 'vitest';
import { EventStream } from './event-stream';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe('EventStream', () => {
  it('delivers results in the order events arrived, even when a later one resolves first', async () => {
    const stream = new EventStream<string>(10, () => {}, () => {});
    const first = deferred<string>();
    const second = deferred<string>();
    stream.push(first.promise);
    stream.push(second.promise);
    second.resolve('second');
    const next = stream.next();
    first.resolve('first');
    expect(await next).toEqual({ value: 'first', done: false });
    expect(await stream.next()).toEqual({ value: 'second', done: false });
  });

  it('hands a result straight to a reader that is waiting', async () => {
    const stream = new EventStream<number>(1, () => {}, () => {});
    const next = stream.next();
    stream.push(Promise.resolve(7));
    expect(await next).toEqual({ value: 7, done: false });
    expect(stream.pending).toBe(0);
  });

  it('calls onOverflow instead of queueing past its limit', () => {
    const onOverflow = vi.fn();
    const stream = new EventStream<number>(2, onOverflow, () => {});
    stream.push(new Promise(() => {}));
    stream.push(new Promise(() => {}));
    expect(onOverflow).not.toHaveBeenCalled();
    stream.push(new Promise(() => {}));
    expect(onOverflow).toHaveBeenCalledOnce();
    expect(stream.pending).toBe(2);
  });

  it('ends on return: a waiting reader is released, onEnd runs once, later pushes are ignored', async () => {
    const onEnd = vi.fn();
    const stream = new EventStream<number>(2, () => {}, onEnd);
    const next = stream.next();
    await stream.return();
    await stream.return();
    expect(await next).toEqual({ value: undefined, done: true });
    stream.push(Promise.resolve(1));
    expect(stream.pending).toBe(0);
    expect(onEnd).toHaveBeenCalledOnce();
  });
});
