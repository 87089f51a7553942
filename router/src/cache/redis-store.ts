import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { ConfigError, withoutCredentials } from '@joinery/core';
import type { Lookup, ResponseStore } from './response-store';

/**
 * Commands are not queued while Redis is unreachable: they fail at once and the router answers from
 * the subgraphs. The first connection is not retried, so a wrong REDIS_URL stops start-up; a
 * connection lost later is, for as long as it takes.
 */
function redisClient(url: string, connected: () => boolean) {
  return createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: (retries: number, cause: Error) => (connected() ? Math.min(100 * 2 ** retries, 2_000) : cause) } });
}

type RedisClient = ReturnType<typeof redisClient>;

export interface RedisResponseStoreOptions {
  url: string;
  /** Prefix of every key (`<prefix>entry:<hash>`, `<prefix>gen:<subject>`). */
  keyPrefix: string;
  ttlSeconds: number;
}

/**
 * Answers in Redis, shared by every router using it, each kept `ttlSeconds` (Redis expires them;
 * its maxmemory policy bounds the total). Generations are random tokens rather than counters: a
 * generation key lost to eviction or a flush comes back as a new token, never as an old value
 * that answers stored long ago would match again.
 * A failing Redis costs the cache, never the request (see ResponseCache).
 */
export class RedisResponseStore implements ResponseStore {
  readonly kind = 'redis';

  private constructor(private readonly client: RedisClient, private readonly options: RedisResponseStoreOptions) {}

  static async open(options: RedisResponseStoreOptions): Promise<RedisResponseStore> {
    let connected = false;
    const client = redisClient(options.url, () => connected);
    client.on('error', () => {
      // Each failed command is reported where it failed (ResponseCache logs it); this only keeps node from throwing.
    });
    try {
      await client.connect();
    } catch (error) {
      throw new ConfigError([`REDIS_URL: the response cache cannot connect to ${withoutCredentials('REDIS_URL', options.url)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
    }
    connected = true;
    return new RedisResponseStore(client, options);
  }

  async lookup(key: string, subjects: readonly string[]): Promise<Lookup> {
    const generationKeys = subjects.map((subject) => this.generationKey(subject));
    const values = await this.client.mGet([...generationKeys, this.entryKey(key)]);
    let current = values.slice(0, -1);
    const stored = values.at(-1);
    if (current.some((generation) => generation === null)) {
      // First use of a subject (or its key was lost): give it a generation; whatever was stored cannot match it.
      const batch = this.client.multi();
      current.forEach((generation, index) => {
        if (generation === null) batch.set(generationKeys[index]!, token(), { condition: 'NX' });
      });
      batch.mGet(generationKeys);
      const replies = await batch.exec();
      return { generations: (replies.at(-1) as unknown as (string | null)[]).map((generation) => generation ?? '-').join(' ') };
    }
    const generations = current.join(' ');
    if (typeof stored !== 'string') return { generations };
    const newline = stored.indexOf('\n');
    return stored.slice(0, newline) === generations ? { generations, body: stored.slice(newline + 1) } : { generations };
  }

  async save(key: string, generations: string, body: string): Promise<void> {
    await this.client.set(this.entryKey(key), `${generations}\n${body}`, { expiration: { type: 'EX', value: this.options.ttlSeconds } });
  }

  async invalidate(subjects: readonly string[]): Promise<void> {
    if (!subjects.length) return;
    const batch = this.client.multi();
    for (const subject of subjects) batch.set(this.generationKey(subject), token());
    await batch.exec();
  }

  /** Deletes every key under this store's prefix: for tests. */
  async purge(): Promise<number> {
    let deleted = 0;
    for await (const keys of this.client.scanIterator({ MATCH: `${this.options.keyPrefix}*`, COUNT: 500 })) {
      if (keys.length) deleted += Number(await this.client.del(keys));
    }
    return deleted;
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close().catch(() => undefined);
  }

  private entryKey(key: string): string {
    return `${this.options.keyPrefix}entry:${key}`;
  }

  private generationKey(subject: string): string {
    return `${this.options.keyPrefix}gen:${subject}`;
  }
}

function token(): string {
  return randomBytes(8).toString('hex');
}
