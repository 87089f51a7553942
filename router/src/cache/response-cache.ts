import { HeaderMap, type ApolloServerPlugin, type BaseContext, type GraphQLResponse } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { logger, scopeKey, type EventBus, type Identity } from '@joinery/core';
import { rootFieldNames } from '../audit/operation-shape';
import { TRUSTED_OPERATION } from '../hardening/admission';
import { cacheKey, declaredVariables } from './cache-key';
import { cacheRequests } from './cache-metrics';
import { Cacheability } from './cacheability';
import { Invalidation } from './invalidation';
import { MemoryResponseStore } from './memory-store';
import { RedisResponseStore } from './redis-store';
import type { Lookup, ResponseStore } from './response-store';

export interface ResponseCacheOptions {
  /** `memory`: in this router process; `redis`: in the Redis at `redisUrl`, shared by the routers using it. */
  store: 'memory' | 'redis';
  /** Longest an answer is served, in seconds, even when nothing invalidates it. Default 300. */
  ttlSeconds?: number;
  /** Most answers the memory store holds (least recently used go first). Default 1000. */
  maxEntries?: number;
  /** Most bytes the memory store holds. Default 64 MiB. */
  maxBytes?: number;
  /** Required with `store: 'redis'`. */
  redisUrl?: string;
  /** Prefix of the Redis keys. Default `joinery:cache:`. */
  keyPrefix?: string;
  /** Answers longer than this (in characters of JSON) are not stored. Default 1 MiB. */
  maxEntryBytes?: number;
  /** See DERIVED_SETTLE_MS (policy.ts). */
  settleMs?: number;
}

/** The response header saying what the cache did: HIT, MISS or BYPASS (only while the cache is on). */
export const CACHE_HEADER = 'joinery-cache';

type CacheResult = 'hit' | 'miss' | 'bypass';

/**
 * The router's opt-in response cache for expensive reads (see policy.ts and docs/operations.md,
 * "Response cache"). It is an Apollo Server plugin: it answers in `responseForOperation`, which
 * Apollo calls only after every plugin's `didResolveOperation` (the admission limits and the
 * persisted list) has passed, and after the HTTP guard authenticated and rate-limited the request;
 * so a hit is refused exactly where a miss would be. It stores in `willSendResponse`.
 */
export class ResponseCache {
  private readonly judges = new WeakMap<GraphQLSchema, Cacheability>();
  private lastErrorLog = 0;

  private constructor(
    readonly store: ResponseStore,
    readonly invalidation: Invalidation,
    private readonly maxEntryBytes: number,
  ) {}

  static async open(options: ResponseCacheOptions, bus?: EventBus): Promise<ResponseCache> {
    const ttlSeconds = options.ttlSeconds ?? 300;
    let store: ResponseStore;
    if (options.store === 'redis') {
      if (!options.redisUrl) throw new Error('the redis response cache needs redisUrl');
      store = await RedisResponseStore.open({ url: options.redisUrl, keyPrefix: options.keyPrefix ?? 'joinery:cache:', ttlSeconds });
    } else {
      store = new MemoryResponseStore({ maxEntries: options.maxEntries ?? 1_000, maxBytes: options.maxBytes ?? 64 * 1024 * 1024, ttlSeconds });
    }
    let cache: ResponseCache | undefined;
    const invalidation = await Invalidation.start({ store, bus, settleMs: options.settleMs, onError: (error) => cache?.failed('invalidate', error) });
    cache = new ResponseCache(store, invalidation, options.maxEntryBytes ?? 1024 * 1024);
    return cache;
  }

  plugin(): ApolloServerPlugin<BaseContext> {
    const cache = this;
    return {
      async requestDidStart({ contextValue }) {
        // The subscription hub's own event resolutions: not client reads, and never cacheable.
        if ((contextValue as { [TRUSTED_OPERATION]?: boolean })[TRUSTED_OPERATION]) return undefined;
        let result: CacheResult = 'bypass';
        let miss: { key: string; generations: string } | undefined;
        return {
          async responseForOperation({ schema, document, operation, request, contextValue: context }): Promise<GraphQLResponse | null> {
            const identity = (context as { identity?: Identity }).identity;
            if (!operation || !document || !identity) return null;
            const verdict = cache.judgeFor(schema).judge(document, operation);
            if ('bypass' in verdict) return null;
            const key = cacheKey({ text: verdict.text, operationName: request.operationName, variables: declaredVariables(operation, request.variables) }, scopeKey(identity));
            result = 'miss';
            let found: Lookup;
            try {
              found = await withinStoreTimeout(cache.store.lookup(key, verdict.subjects), 'look up');
            } catch (error) {
              cache.failed('look up', error);
              return null;
            }
            if (found.body === undefined) {
              miss = { key, generations: found.generations };
              return null;
            }
            result = 'hit';
            return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: JSON.parse(found.body) } };
          },
          async willSendResponse({ response, document, operation }) {
            response.http.headers.set(CACHE_HEADER, result.toUpperCase());
            cacheRequests.inc({ result });
            if (miss && response.body.kind === 'single') {
              const answer = response.body.singleResult;
              // Only a plain success (Apollo leaves `errors: undefined` on one): an answer with errors or extensions is this request's alone.
              if (answer.data && Object.entries(answer).every(([name, value]) => name === 'data' || value === undefined)) {
                const body = JSON.stringify({ data: answer.data });
                if (body.length <= cache.maxEntryBytes) cache.store.save(miss.key, miss.generations, body).catch((error) => cache.failed('store', error));
              }
            }
            if (operation?.operation === 'mutation' && document) {
              await withinStoreTimeout(cache.invalidation.afterMutation(rootFieldNames(document, operation)), 'invalidate').catch((error) => cache.failed('invalidate', error));
            }
          },
        };
      },
    };
  }

  async close(): Promise<void> {
    await this.invalidation.stop();
    await this.store.close();
  }

  private judgeFor(schema: GraphQLSchema): Cacheability {
    let judge = this.judges.get(schema);
    if (!judge) {
      judge = new Cacheability(schema);
      this.judges.set(schema, judge);
    }
    return judge;
  }

  /** A store that fails costs the cache, never the request; logged at most every 10 s. */
  private failed(action: string, error: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = now;
    logger('router').warn({ store: this.store.kind, error: String((error as Error)?.message ?? error) }, `response cache could not ${action}; answering from the subgraphs`);
  }
}

/**
 * Longest the cache may hold up a request: a Redis that stops answering (no error, no reply) would
 * otherwise stall every cacheable read and every mutation until the request timeout. Past it the
 * read is a miss, and a mutation's invalidation goes on in the background.
 */
const STORE_TIMEOUT_MS = 250;

function withinStoreTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the response cache did not ${what} within ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
