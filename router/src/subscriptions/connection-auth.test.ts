import { SignJWT } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { DEVELOPMENT_JWT_SECRET, signUserToken } from '@joinery/core';
import { JwtVerifier } from '../auth/jwt-verifier';
import { authenticateConnection, closeReason, connectionToken, whenExpired } from './connection-auth';

const OSLO = '0193a3c5-7d1e-7000-8000-000000000001';

describe('connectionToken', () => {
  it('reads the token from connection_init: authorization, Authorization or token, with or without "Bearer "', () => {
    expect(connectionToken({ authorization: 'Bearer abc.def.ghi' }, {})).toEqual({ token: 'abc.def.ghi' });
    expect(connectionToken({ Authorization: 'bearer abc.def.ghi' }, {})).toEqual({ token: 'abc.def.ghi' });
    expect(connectionToken({ token: 'abc.def.ghi' }, {})).toEqual({ token: 'abc.def.ghi' });
    expect(connectionToken({ token: 'Bearer abc.def.ghi' }, {})).toEqual({ token: 'abc.def.ghi' });
  });

  it('falls back to the upgrade request\'s Authorization header only when the payload names no token', () => {
    expect(connectionToken(undefined, { authorization: 'Bearer from.the.header' })).toEqual({ token: 'from.the.header' });
    expect(connectionToken({ other: 1 }, { authorization: 'Bearer from.the.header' })).toEqual({ token: 'from.the.header' });
    expect(connectionToken({ authorization: 'Bearer from.the.payload' }, { authorization: 'Bearer from.the.header' })).toEqual({ token: 'from.the.payload' });
    expect(connectionToken({}, {})).toBeUndefined();
  });

  it('names a malformed value', () => {
    expect(connectionToken({ authorization: 42 }, {})).toEqual({ problem: 'connection_init\'s authorization must be "Bearer <token>"' });
    expect(connectionToken({ authorization: 'Basic dXNlcjpwYXNz extra' }, {})).toEqual({ problem: 'connection_init\'s authorization must be "Bearer <token>"' });
    expect(connectionToken(undefined, { authorization: 'Basic dXNlcjpwYXNz' })).toEqual({ problem: 'The Authorization header must be "Bearer <token>"' });
  });
});

describe('authenticateConnection', () => {
  const verifier = new JwtVerifier({});

  it('accepts a valid token and reports its expiry', async () => {
    const token = await signUserToken({ subject: 'maria', role: 'manager', locations: [OSLO], expiresInSeconds: 600 });
    const auth = await authenticateConnection(verifier, { authorization: `Bearer ${token}` }, {});
    expect(auth).toEqual({ ok: true, identity: expect.objectContaining({ subject: 'maria', role: 'manager', locations: [OSLO] }), expiresAtMs: JwtVerifier.expiresAt(token)! * 1000 });
  });

  it('refuses no token, a forged one, an expired one and one without a role, naming why', async () => {
    const forged = await signUserToken({ subject: 'maria', role: 'admin', locations: ['*'] }, 'another-secret-that-is-not-the-routers');
    const expired = await signUserToken({ subject: 'maria', role: 'manager', locations: [OSLO], expiresInSeconds: -120 });
    const roleless = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('maria').setExpirationTime('1h').sign(new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
    // The reason is the verifier's own message (jwt-verifier.test.ts tests those words).
    const verifierSays = (token: string) => verifier.verify(token).then(() => 'accepted', (error: Error) => error.message);
    expect(await authenticateConnection(verifier, {}, {})).toEqual({ ok: false, code: 'UNAUTHENTICATED', reason: 'Authentication required: send { authorization: "Bearer <token>" } in connection_init' });
    for (const [token, code] of [[forged, 'UNAUTHENTICATED'], [expired, 'UNAUTHENTICATED'], [roleless, 'FORBIDDEN']]) {
      const reason = await verifierSays(token);
      expect(reason).not.toBe('accepted');
      expect(await authenticateConnection(verifier, { authorization: `Bearer ${token}` }, {})).toEqual({ ok: false, code, reason: closeReason(reason) });
    }
    expect(await verifierSays(expired)).toMatch(/expired/i);
  });

  it('refuses a token whose exp has passed even within the verifier\'s clock tolerance: the socket would outlive it', async () => {
    const justExpired = await signUserToken({ subject: 'maria', role: 'manager', locations: [OSLO], expiresInSeconds: -5 });
    await expect(verifier.verify(justExpired)).resolves.toMatchObject({ subject: 'maria' });
    expect(await authenticateConnection(verifier, { token: justExpired }, {})).toEqual({ ok: false, code: 'UNAUTHENTICATED', reason: 'The token has expired' });
  });
});

describe('closeReason', () => {
  it('fits a close frame (123 bytes)', () => {
    expect(Buffer.byteLength(closeReason('x'.repeat(500)))).toBe(123);
    expect(closeReason('short')).toBe('short');
  });
});

describe('whenExpired', () => {
  it('fires at the given time, at once if it has passed, and not once cancelled', () => {
    vi.useFakeTimers();
    try {
      const soon = vi.fn();
      const past = vi.fn();
      const cancelled = vi.fn();
      whenExpired(Date.now() + 1_000, soon);
      whenExpired(Date.now() - 1_000, past);
      whenExpired(Date.now() + 1_000, cancelled)();
      vi.advanceTimersByTime(999);
      expect(soon).not.toHaveBeenCalled();
      expect(past).toHaveBeenCalledOnce();
      vi.advanceTimersByTime(1);
      expect(soon).toHaveBeenCalledOnce();
      expect(cancelled).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('re-arms past setTimeout\'s longest delay rather than firing early', () => {
    vi.useFakeTimers();
    try {
      const later = vi.fn();
      whenExpired(Date.now() + 30 * 24 * 3600_000, later);
      vi.advanceTimersByTime(25 * 24 * 3600_000);
      expect(later).not.toHaveBeenCalled();
      vi.advanceTimersByTime(5 * 24 * 3600_000);
      expect(later).toHaveBeenCalledOnce();
    } finally {
      vi.useRealTimers();
    }
  });
});
