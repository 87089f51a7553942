import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from './signature';

const secret = 'whsec_test-secret';
const body = '{"id":"evt_1","type":"marketing.touchpoint_recorded"}';
const ts = 1_780_000_000;
const at = (seconds: number) => new Date(seconds * 1000);

describe('signWebhook', () => {
  it('is t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>, as Stripe signs', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    expect(signWebhook(secret, body, ts)).toBe(`t=${ts},v1=${expected}`);
  });

  it('adds one v1 entry per secret during a rotation', () => {
    const header = signWebhook(['new-secret', 'old-secret'], body, ts);
    expect(header.split(',').filter((part) => part.startsWith('v1='))).toHaveLength(2);
    expect(verifyWebhookSignature({ secret: 'old-secret', header, body, now: at(ts) }).ok).toBe(true);
    expect(verifyWebhookSignature({ secret: 'new-secret', header, body, now: at(ts) }).ok).toBe(true);
    expect(verifyWebhookSignature({ secret: 'other', header, body, now: at(ts) }).ok).toBe(false);
  });
});

describe('verifyWebhookSignature', () => {
  const header = signWebhook(secret, body, ts);

  it('accepts the signature of the exact body within the tolerance, either side of now', () => {
    expect(verifyWebhookSignature({ secret, header, body, now: at(ts) })).toEqual({ ok: true, timestamp: ts });
    expect(verifyWebhookSignature({ secret, header, body: Buffer.from(body), now: at(ts + 300) }).ok).toBe(true);
    expect(verifyWebhookSignature({ secret, header, body, now: at(ts - 300) }).ok).toBe(true);
  });

  it('refuses a timestamp more than toleranceSeconds away as stale', () => {
    expect(verifyWebhookSignature({ secret, header, body, now: at(ts + 301) })).toMatchObject({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature({ secret, header, body, now: at(ts - 301) })).toMatchObject({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature({ secret, header, body, now: at(ts + 60), toleranceSeconds: 30 })).toMatchObject({ ok: false, reason: 'stale' });
  });

  it('refuses a tampered body, a tampered timestamp, a wrong secret and a tampered signature as a mismatch', () => {
    expect(verifyWebhookSignature({ secret, header, body: body.replace('evt_1', 'evt_2'), now: at(ts) })).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ secret, header: header.replace(`t=${ts}`, `t=${ts + 1}`), body, now: at(ts) })).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ secret: 'whsec_other', header, body, now: at(ts) })).toMatchObject({ ok: false, reason: 'mismatch' });
    const flipped = header.slice(0, -1) + (header.endsWith('0') ? '1' : '0');
    expect(verifyWebhookSignature({ secret, header: flipped, body, now: at(ts) })).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('accepts a header with several v1 entries when any matches, and ignores unknown schemes', () => {
    const good = signWebhook(secret, body, ts).split(',')[1];
    const several = `t=${ts},v0=abc,v1=${'0'.repeat(64)},${good}`;
    expect(verifyWebhookSignature({ secret, header: several, body, now: at(ts) }).ok).toBe(true);
  });

  it('refuses a missing or malformed header', () => {
    expect(verifyWebhookSignature({ secret, header: undefined, body, now: at(ts) })).toMatchObject({ ok: false, reason: 'missing' });
    expect(verifyWebhookSignature({ secret, header: '', body, now: at(ts) })).toMatchObject({ ok: false, reason: 'missing' });
    for (const malformed of [`v1=${'a'.repeat(64)}`, `t=${ts}`, `t=soon,v1=${'a'.repeat(64)}`, `t=${ts},v1=xyz`]) {
      expect(verifyWebhookSignature({ secret, header: malformed, body, now: at(ts) })).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });

  it('makes secrets that differ each time and carry 32 random bytes', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
