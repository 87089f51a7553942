import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import { logger } from '@joinery/core';

export interface RateLimitSettings {
  /** Window the counts below cover, in seconds. Default 60. */
  windowSeconds: number;
  /** Requests per window from one client IP, counted before the token is checked; 0 = no limit. Default 120000. */
  perIp: number;
  /** Requests per window for one token subject, from any IP; 0 = no limit. Default 60000. */
  perSubject: number;
  /**
   * Requests refused 401/403 per window from one IP; beyond it, that IP's requests whose token fails
   * are answered 429 (a valid token from it still passes: behind a proxy, every user shares one IP);
   * 0 = no limit. Default 60.
   */
  authFailuresPerIp: number;
  /** Proxies in front of the router appending to X-Forwarded-For (0: the socket's peer is the client). Default 0. */
  trustProxyHops: number;
  /** Counts live in this Redis, shared by every router using it; else in this process. */
  redisUrl?: string;
  /** Prefix of the Redis keys. Default `joinery:ratelimit:`. */
  keyPrefix?: string;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = { windowSeconds: 60, perIp: 120_000, perSubject: 60_000, authFailuresPerIp: 60, trustProxyHops: 0 };

/** Which limit a request went over, and when to try again. */
export interface RateLimitRefusal {
  limit: 'ip' | 'subject' | 'authFailures';
  retryAfterSeconds: number;
  message: string;
}

type RedisClient = ReturnType<typeof createClient>;

/**
 * The address a request comes from: the socket's peer, or with `hops` trusted proxies the entry
 * that many from the end of X-Forwarded-For (entries before it are the client's to forge).
 */
export function clientIp(request: Pick<IncomingMessage, 'headers' | 'socket'>, hops: number): string {
  let address = request.socket.remoteAddress ?? 'unknown';
  if (hops > 0) {
    const header = request.headers['x-forwarded-for'];
    const chain = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((part) => part.trim()).filter(Boolean);
    address = chain[chain.length - hops] ?? chain[0] ?? address;
  }
  // IPv4 clients of a dual-stack socket show as ::ffff:a.b.c.d: one client, one key.
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/**
 * The router's request rate limits (rate-limiter-flexible): per IP before authentication, per
 * IP for failed authentications (slows token guessing, refusing only failing tokens), per subject
 * after it. With Redis, counts
 * are shared by every router; should Redis fail, each router falls back to counting in memory.
 */
export class RequestRateLimits {
  private constructor(
    private readonly settings: RateLimitSettings,
    private readonly byIp: RateLimiterAbstract | undefined,
    private readonly failuresByIp: RateLimiterAbstract | undefined,
    private readonly bySubject: RateLimiterAbstract | undefined,
    private readonly redis: RedisClient | undefined,
  ) {}

  static async open(overrides: Partial<RateLimitSettings> = {}): Promise<RequestRateLimits> {
    const settings = { ...DEFAULT_RATE_LIMITS, ...overrides };
    let redis: RedisClient | undefined;
    if (settings.redisUrl && (settings.perIp || settings.perSubject || settings.authFailuresPerIp)) {
      redis = createClient({ url: settings.redisUrl, socket: { reconnectStrategy: (retries) => Math.min(retries * 200, 5_000) } });
      redis.on('error', (error) => logger('router').warn({ error: String(error) }, 'rate limit Redis error; counting in memory meanwhile'));
      await redis.connect();
    }
    const prefix = settings.keyPrefix ?? 'joinery:ratelimit:';
    const limiter = (name: string, points: number): RateLimiterAbstract | undefined => {
      if (!points) return undefined;
      const options = { keyPrefix: `${prefix}${name}`, points, duration: settings.windowSeconds };
      if (!redis) return new RateLimiterMemory(options);
      // Commands are not queued while Redis is down: the in-memory insurance counts instead.
      return new RateLimiterRedis({ ...options, storeClient: redis, useRedisPackage: true, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(options) });
    };
    return new RequestRateLimits(settings, limiter('ip', settings.perIp), limiter('auth-failures', settings.authFailuresPerIp), limiter('subject', settings.perSubject), redis);
  }

  clientIp(request: Pick<IncomingMessage, 'headers' | 'socket'>): string {
    return clientIp(request, this.settings.trustProxyHops);
  }

  /** Counts a request from `ip`, before its token is looked at; a refusal when the IP is over its limit. */
  async checkIp(ip: string): Promise<RateLimitRefusal | undefined> {
    return this.consume(this.byIp, ip, 'ip', `Too many requests from this address (at most ${this.settings.perIp} per ${this.settings.windowSeconds} s)`);
  }

  /**
   * Counts a request from `ip` refused for its token; a refusal (answer 429 rather than 401) once the
   * IP has failed more than its limit this window. Only failing requests are counted and refused:
   * a valid token from the same address is never held back by someone else's guesses.
   */
  async authFailed(ip: string): Promise<RateLimitRefusal | undefined> {
    return this.consume(this.failuresByIp, ip, 'authFailures', `Too many requests with a missing or invalid token from this address (at most ${this.settings.authFailuresPerIp} per ${this.settings.windowSeconds} s)`);
  }

  /** Counts a request for `subject`; a refusal when the subject is over its limit. */
  async checkSubject(subject: string): Promise<RateLimitRefusal | undefined> {
    return this.consume(this.bySubject, subject, 'subject', `Too many requests for this user (at most ${this.settings.perSubject} per ${this.settings.windowSeconds} s)`);
  }

  async close(): Promise<void> {
    if (this.redis?.isOpen) await this.redis.quit().catch(() => undefined);
  }

  private async consume(limiter: RateLimiterAbstract | undefined, key: string, limit: RateLimitRefusal['limit'], message: string): Promise<RateLimitRefusal | undefined> {
    if (!limiter) return undefined;
    try {
      await limiter.consume(key);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return this.refusal(limit, rejection, message);
      // A store error with no insurance left: serving beats refusing everyone.
      logger('router').warn({ limit, error: String(rejection) }, 'rate limit check failed; request let through');
      return undefined;
    }
  }

  private refusal(limit: RateLimitRefusal['limit'], state: RateLimiterRes, message: string): RateLimitRefusal {
    const retryAfterSeconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
    return { limit, retryAfterSeconds, message: `${message}; retry in ${retryAfterSeconds} s` };
  }
}
