import { afterEach, describe, expect, it, vi } from 'vitest';
import { signUserToken } from '@joinery/core';
import { AuthError, JwtVerifier } from './jwt-verifier';

const SECRET = 'a-test-secret-of-at-least-thirty-two-characters';

describe('JwtVerifier cache of verified tokens', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives each request its own id for a token it has verified before', async () => {
    const verifier = new JwtVerifier({ secret: SECRET });
    const token = await signUserToken({ subject: 'ana', role: 'manager', locations: ['oslo'] }, SECRET);
    const first = await verifier.verify(token, 'request-1');
    const second = await verifier.verify(token, 'request-2');
    expect(first).toEqual({ subject: 'ana', role: 'manager', locations: ['oslo'], actor: 'ana', requestId: 'request-1' });
    expect(second).toEqual({ ...first, requestId: 'request-2' });
  });

  it('stops accepting a cached token once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-27T06:00:00Z'));
    const verifier = new JwtVerifier({ secret: SECRET });
    const token = await signUserToken({ subject: 'ana', role: 'manager', locations: ['oslo'], expiresInSeconds: 5 }, SECRET);
    await verifier.verify(token);
    // Past exp and the 30 s clock tolerance: a cache that ignored expiry would still accept it.
    vi.setSystemTime(new Date('2026-11-27T06:00:40Z'));
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(AuthError);
  });

  it('never takes a token for a cached one that differs only in its signature', async () => {
    const verifier = new JwtVerifier({ secret: SECRET });
    const token = await signUserToken({ subject: 'ana', role: 'admin', locations: ['*'] }, SECRET);
    await verifier.verify(token);
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(43)}`;
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(AuthError);
  });
});
