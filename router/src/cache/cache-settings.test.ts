import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv, responseCacheSettings } from '@joinery/core';

const settings = (env: Record<string, string>) => responseCacheSettings(loadEnv(env));

describe('RESPONSE_CACHE settings', () => {
  it('are off by default', () => {
    expect(settings({})).toBeUndefined();
    expect(settings({ RESPONSE_CACHE: 'off', REDIS_URL: 'redis://cache:6379' })).toBeUndefined();
  });

  it('pick Redis for on when REDIS_URL is set, memory otherwise, and keep memory when asked', () => {
    expect(settings({ RESPONSE_CACHE: 'on' })).toEqual({ store: 'memory', ttlSeconds: 300, maxEntries: 1000, maxBytes: 67108864, redisUrl: undefined, keyPrefix: 'joinery:cache:' });
    expect(settings({ RESPONSE_CACHE: 'on', REDIS_URL: 'redis://cache:6379', EVENT_CHANNEL_PREFIX: 'shop1:', RESPONSE_CACHE_TTL_SECONDS: '60' })).toEqual({
      store: 'redis',
      ttlSeconds: 60,
      maxEntries: 1000,
      maxBytes: 67108864,
      redisUrl: 'redis://cache:6379',
      keyPrefix: 'shop1:cache:',
    });
    expect(settings({ RESPONSE_CACHE: 'memory', REDIS_URL: 'redis://cache:6379', RESPONSE_CACHE_MAX_ENTRIES: '50' })).toMatchObject({ store: 'memory', maxEntries: 50, redisUrl: undefined });
    expect(settings({ RESPONSE_CACHE: 'redis', REDIS_URL: 'redis://cache:6379' })).toMatchObject({ store: 'redis' });
  });

  it('refuse the memory store with several router workers, each of which would hold answers of its own', () => {
    expect(() => settings({ RESPONSE_CACHE: 'memory', ROUTER_WORKERS: '2', REDIS_URL: 'redis://cache:6379' })).toThrow(/RESPONSE_CACHE: the memory store cannot be shared by ROUTER_WORKERS=2/);
    expect(() => settings({ RESPONSE_CACHE: 'on', ROUTER_WORKERS: 'auto' })).toThrow(ConfigError);
    expect(settings({ RESPONSE_CACHE: 'on', ROUTER_WORKERS: '2', REDIS_URL: 'redis://cache:6379' })?.store).toBe('redis');
  });

  it('refuse redis without REDIS_URL, and bad values, naming the variable', () => {
    expect(() => settings({ RESPONSE_CACHE: 'redis' })).toThrow(ConfigError);
    expect(() => settings({ RESPONSE_CACHE: 'redis' })).toThrow(/RESPONSE_CACHE: "redis" needs REDIS_URL/);
    expect(() => settings({ RESPONSE_CACHE: 'yes' })).toThrow(/RESPONSE_CACHE/);
    expect(() => settings({ RESPONSE_CACHE: 'on', RESPONSE_CACHE_TTL_SECONDS: '0' })).toThrow(/RESPONSE_CACHE_TTL_SECONDS/);
  });
});
