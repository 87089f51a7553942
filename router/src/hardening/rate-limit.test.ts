import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { clientIp, RequestRateLimits, type RateLimitSettings } from './rate-limit';

const stores: { name: string; settings: () => Partial<RateLimitSettings> }[] = [{ name: 'memory', settings: () => ({}) }];
if (process.env.REDIS_URL) stores.push({ name: 'redis', settings: () => ({ redisUrl: process.env.REDIS_URL, keyPrefix: `test:${randomBytes(5).toString('hex')}:ratelimit:` }) });

describe.each(stores)('request rate limits in $name', (store) => {
  const opened: RequestRateLimits[] = [];
  const open = async (settings: Partial<RateLimitSettings>) => {
    const limits = await RequestRateLimits.open({ ...store.settings(), ...settings });
    opened.push(limits);
    return limits;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((limits) => limits.close()));
  });

  it('lets an IP send its allowance per window, then refuses it with a retry time; other IPs go on', async () => {
    const limits = await open({ perIp: 3, windowSeconds: 30 });
    for (let i = 0; i < 3; i += 1) expect(await limits.checkIp('10.0.0.1')).toBeUndefined();
    const refusal = await limits.checkIp('10.0.0.1');
    expect(refusal).toMatchObject({ limit: 'ip', message: expect.stringMatching(/^Too many requests from this address \(at most 3 per 30 s\); retry in \d+ s$/) });
    expect(refusal!.retryAfterSeconds).toBeGreaterThanOrEqual(29);
    expect(refusal!.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(await limits.checkIp('10.0.0.2')).toBeUndefined();
  });

  it('limits each subject wherever its requests come from', async () => {
    const limits = await open({ perSubject: 2 });
    expect(await limits.checkSubject('maria')).toBeUndefined();
    expect(await limits.checkSubject('maria')).toBeUndefined();
    expect(await limits.checkSubject('maria')).toMatchObject({ limit: 'subject', message: expect.stringMatching(/for this user/) });
    expect(await limits.checkSubject('ola')).toBeUndefined();
  });

  it('counts an IP\'s failed authentications and refuses only further failures once it is over the limit', async () => {
    const limits = await open({ authFailuresPerIp: 2, windowSeconds: 30 });
    expect(await limits.authFailed('10.0.0.9')).toBeUndefined();
    expect(await limits.authFailed('10.0.0.9')).toBeUndefined();
    const refusal = await limits.authFailed('10.0.0.9');
    expect(refusal).toMatchObject({ limit: 'authFailures', message: expect.stringMatching(/^Too many requests with a missing or invalid token from this address \(at most 2 per 30 s\); retry in \d+ s$/) });
    expect(refusal!.retryAfterSeconds).toBeGreaterThanOrEqual(29);
    // The failures do not count against the IP's requests as such: a valid token from it still passes.
    expect(await limits.checkIp('10.0.0.9')).toBeUndefined();
    expect(await limits.authFailed('10.0.0.10')).toBeUndefined();
  });

  it('turns a limit off with 0', async () => {
    const limits = await open({ perIp: 0, perSubject: 0, authFailuresPerIp: 0 });
    for (let i = 0; i < 50; i += 1) {
      expect(await limits.authFailed('10.0.0.1')).toBeUndefined();
      expect(await limits.checkIp('10.0.0.1')).toBeUndefined();
      expect(await limits.checkSubject('maria')).toBeUndefined();
    }
  });

  if (store.name === 'redis') {
    it('shares counts between routers using the same Redis', async () => {
      const settings = { ...store.settings(), perSubject: 3 };
      const [first, second] = [await open(settings), await open(settings)];
      expect(await first.checkSubject('shared')).toBeUndefined();
      expect(await second.checkSubject('shared')).toBeUndefined();
      expect(await first.checkSubject('shared')).toBeUndefined();
      expect(await second.checkSubject('shared')).toMatchObject({ limit: 'subject' });
    });
  }
});

describe('client IP', () => {
  const request = (remoteAddress: string, forwarded?: string) => ({ socket: { remoteAddress }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as never;

  it('is the socket peer unless proxies are trusted (X-Forwarded-For is the client\'s to forge)', () => {
    expect(clientIp(request('203.0.113.7', '1.2.3.4'), 0)).toBe('203.0.113.7');
    expect(clientIp(request('::ffff:203.0.113.7'), 0)).toBe('203.0.113.7');
    expect(clientIp(request('2001:db8::1'), 0)).toBe('2001:db8::1');
  });

  it('with N trusted proxies, is the Nth entry from the end of X-Forwarded-For', () => {
    // The client forged "6.6.6.6"; our one proxy appended the real peer 198.51.100.4.
    expect(clientIp(request('10.0.0.2', '6.6.6.6, 198.51.100.4'), 1)).toBe('198.51.100.4');
    expect(clientIp(request('10.0.0.3', '6.6.6.6, 198.51.100.4, 10.0.0.2'), 2)).toBe('198.51.100.4');
    expect(clientIp(request('10.0.0.2', '198.51.100.4'), 3)).toBe('198.51.100.4');
    expect(clientIp(request('10.0.0.2'), 1)).toBe('10.0.0.2');
  });
});
