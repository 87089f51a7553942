import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { signUserToken, type Identity } from '@joinery/core';
import { JwtVerifier } from '../auth/jwt-verifier';
import { requestGuard } from './guard';
import { RequestRateLimits, type RateLimitSettings } from './rate-limit';

const SECRET = 'a-guard-test-secret-of-at-least-32-characters';

const stores: { name: string; settings: () => Partial<RateLimitSettings> }[] = [{ name: 'memory', settings: () => ({}) }];
if (process.env.REDIS_URL) stores.push({ name: 'redis', settings: () => ({ redisUrl: process.env.REDIS_URL, keyPrefix: `test:${randomBytes(5).toString('hex')}:ratelimit:` }) });

/** A request as the guard sees it: headers and the socket's peer address. */
const request = (remoteAddress: string, authorization?: string) => ({ headers: authorization ? { authorization } : {}, socket: { remoteAddress } }) as unknown as IncomingMessage;

describe.each(stores)('the router\'s request guard (rate limits in $name)', (store) => {
  const opened: RequestRateLimits[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((limits) => limits.close()));
  });

  async function guard(settings: Partial<RateLimitSettings>) {
    const rateLimits = await RequestRateLimits.open({ ...store.settings(), ...settings });
    opened.push(rateLimits);
    const identities = new WeakMap<IncomingMessage, Identity>();
    return { check: requestGuard({ verifier: new JwtVerifier({ secret: SECRET }), rateLimits, identities }), identities };
  }

  it('lets a valid token through from an address that sent too many bad ones, and answers the bad ones 429', async () => {
    const { check, identities } = await guard({ authFailuresPerIp: 3 });
    const proxy = '10.1.0.1';
    const victim = request(proxy, `Bearer ${await signUserToken({ subject: 'victim', role: 'associate', locations: ['oslo'] }, SECRET)}`);
    expect(await check(victim)).toBeUndefined();
    for (let i = 0; i < 3; i += 1) expect(await check(request(proxy, 'Bearer garbage'))).toMatchObject({ status: 401 });
    const guessing = await check(request(proxy, 'Bearer garbage'));
    expect(guessing).toMatchObject({ status: 429, headers: { 'retry-after': expect.stringMatching(/^\d+$/) } });
    expect(guessing!.body).toEqual({ errors: [{ message: expect.stringMatching(/^Too many requests with a missing or invalid token from this address \(at most 3 per 60 s\)/), extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) } }] });
    // No token at all is a failure too.
    expect(await check(request(proxy))).toMatchObject({ status: 429 });
    // The valid token from the same (shared) address still gets through, as itself.
    const again = request(proxy, victim.headers.authorization);
    expect(await check(again)).toBeUndefined();
    expect(identities.get(again)).toMatchObject({ subject: 'victim', role: 'associate' });
    // Another address's bad token is its own first failure.
    expect(await check(request('10.1.0.2', 'Bearer garbage'))).toMatchObject({ status: 401 });
  });

  it('keeps the plain per-IP limit ahead of the token', async () => {
    const { check } = await guard({ perIp: 2 });
    const token = `Bearer ${await signUserToken({ subject: 'maria', role: 'manager', locations: ['oslo'] }, SECRET)}`;
    expect(await check(request('10.2.0.1', token))).toBeUndefined();
    expect(await check(request('10.2.0.1', token))).toBeUndefined();
    expect(await check(request('10.2.0.1', token))).toMatchObject({ status: 429, body: { errors: [{ message: expect.stringMatching(/^Too many requests from this address/) }] } });
  });
});
