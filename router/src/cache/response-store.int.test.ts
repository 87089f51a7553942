/**
 * The contract both response stores keep: an answer is served only at the generations it was
 * stored at. Memory always; Redis when REDIS_URL is set (keys under a prefix of their own, deleted
 * afterwards), including what only Redis can do: routers sharing answers and invalidations, and a
 * generation key lost to eviction.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@joinery/core';
import { MemoryResponseStore } from './memory-store';
import { RedisResponseStore } from './redis-store';
import type { ResponseStore } from './response-store';

const redisUrl = process.env.REDIS_URL;
const prefix = `test:${randomBytes(5).toString('hex')}:cache:`;
const opened: RedisResponseStore[] = [];

async function redisStore(): Promise<RedisResponseStore> {
  const store = await RedisResponseStore.open({ url: redisUrl!, keyPrefix: prefix, ttlSeconds: 120 });
  opened.push(store);
  return store;
}

const kinds: { name: string; open: () => Promise<ResponseStore> }[] = [{ name: 'memory', open: async () => new MemoryResponseStore({ maxEntries: 100, ttlSeconds: 120 }) }];
if (redisUrl) kinds.push({ name: 'redis', open: redisStore });

afterAll(async () => {
  await opened[0]?.purge();
  await Promise.all(opened.map((store) => store.close()));
});

describe.each(kinds)('the $name response store', ({ open }) => {
  it('serves an answer until one of its subjects is invalidated', async () => {
    const store = await open();
    const subjects = ['Location', 'salesReport'];
    expect(await store.lookup('k1', subjects)).toEqual({ generations: expect.any(String) });
    const { generations } = await store.lookup('k1', subjects);
    await store.save('k1', generations, '{"data":{"a":1}}');
    expect(await store.lookup('k1', subjects)).toEqual({ generations, body: '{"data":{"a":1}}' });
    await store.invalidate(['inventoryStockValue']);
    expect((await store.lookup('k1', subjects)).body).toBe('{"data":{"a":1}}');
    await store.invalidate(['Location']);
    const after = await store.lookup('k1', subjects);
    expect(after.body).toBeUndefined();
    expect(after.generations).not.toBe(generations);
  });

  it('never serves an answer stored at generations older than an invalidation that came before the store', async () => {
    const store = await open();
    // A read started before a change (and read the old data); the change's event arrived before it finished.
    const { generations: before } = await store.lookup('k2', ['salesReport']);
    await store.invalidate(['salesReport']);
    await store.save('k2', before, '{"data":{"old":true}}');
    expect((await store.lookup('k2', ['salesReport'])).body).toBeUndefined();
  });
});

describe.skipIf(!redisUrl)('the redis response store', () => {
  it('is shared by every router using the same Redis and prefix', async () => {
    const [one, two] = [await redisStore(), await redisStore()];
    const { generations } = await one.lookup('shared', ['customerSegments']);
    await one.save('shared', generations, '{"data":{}}');
    expect((await two.lookup('shared', ['customerSegments'])).body).toBe('{"data":{}}');
    await two.invalidate(['customerSegments']);
    expect((await one.lookup('shared', ['customerSegments'])).body).toBeUndefined();
  });

  it('does not serve old answers again when a generation key is lost (eviction, flush)', async () => {
    const store = await redisStore();
    const { generations } = await store.lookup('evicted', ['segmentCustomers']);
    await store.save('evicted', generations, '{"data":{}}');
    const client = createClient({ url: redisUrl });
    await client.connect();
    try {
      await client.del(`${prefix}gen:segmentCustomers`);
      expect(await client.ttl(`${prefix}entry:evicted`)).toBeGreaterThan(100);
    } finally {
      await client.close();
    }
    // The subject gets a generation again, and the old answer never matches it.
    expect((await store.lookup('evicted', ['segmentCustomers'])).body).toBeUndefined();
    expect((await store.lookup('evicted', ['segmentCustomers'])).body).toBeUndefined();
  });

  it('stops start-up with a message naming REDIS_URL when Redis cannot be reached', async () => {
    const refusal = RedisResponseStore.open({ url: 'redis://user:secret@127.0.0.1:1', keyPrefix: prefix, ttlSeconds: 1 });
    await expect(refusal).rejects.toThrow(ConfigError);
    await expect(refusal).rejects.toThrow(/^Invalid configuration:\n {2}- REDIS_URL: the response cache cannot connect to redis:\/\/\[REDACTED\]@127\.0\.0\.1:1 /);
  });
});
