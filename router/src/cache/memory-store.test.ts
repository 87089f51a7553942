import { describe, expect, it } from 'vitest';
import { MemoryResponseStore } from './memory-store';

describe('the memory response store', () => {
  it('keeps at most maxEntries answers, dropping the least recently used', async () => {
    const store = new MemoryResponseStore({ maxEntries: 2, ttlSeconds: 60 });
    const { generations } = await store.lookup('a', ['salesReport']);
    await store.save('a', generations, 'A');
    await store.save('b', generations, 'B');
    expect((await store.lookup('a', ['salesReport'])).body).toBe('A');
    await store.save('c', generations, 'C');
    expect(store.size).toBe(2);
    expect((await store.lookup('b', ['salesReport'])).body).toBeUndefined();
    expect((await store.lookup('a', ['salesReport'])).body).toBe('A');
    expect((await store.lookup('c', ['salesReport'])).body).toBe('C');
  });

  it('keeps at most maxBytes of answers, dropping the least recently used', async () => {
    const store = new MemoryResponseStore({ maxEntries: 100, maxBytes: 10, ttlSeconds: 60 });
    const { generations } = await store.lookup('a', ['salesReport']);
    await store.save('a', generations, 'AAAA');
    await store.save('b', generations, 'BBBB');
    await store.save('c', generations, 'CCCC');
    expect(store.bytes).toBe(8);
    expect((await store.lookup('a', ['salesReport'])).body).toBeUndefined();
    expect((await store.lookup('c', ['salesReport'])).body).toBe('CCCC');
    // Replacing an answer counts its new size only.
    await store.save('c', generations, 'CC');
    expect(store.bytes).toBe(6);
  });

  it('serves an answer for ttlSeconds, then no more', async () => {
    let now = 1_000_000;
    const store = new MemoryResponseStore({ maxEntries: 10, ttlSeconds: 30, now: () => now });
    const { generations } = await store.lookup('a', ['salesReport']);
    await store.save('a', generations, 'A');
    now += 29_999;
    expect((await store.lookup('a', ['salesReport'])).body).toBe('A');
    now += 1;
    expect((await store.lookup('a', ['salesReport'])).body).toBeUndefined();
    expect(store.size).toBe(0);
  });
});
