import { describe, expect, it } from 'vitest';
import { ConfigError } from '@joinery/core';
import { JwtVerifier } from './jwt-verifier';
import { mintToken, parseDuration, TokenUsageError } from './mint-token';

const SECRET = 'a-deployment-secret-of-at-least-32-characters';

describe('npm run token', () => {
  it('mints a token the router accepts, with the role, locations and subject asked for', async () => {
    const { token, notes } = await mintToken(['--role', 'manager', '--locations', 'oslo,bergen', '--subject', 'maria'], {});
    expect(await new JwtVerifier({}).verify(token)).toMatchObject({ subject: 'maria', role: 'manager', locations: ['oslo', 'bergen'] });
    expect(notes[0]).toMatch(/development secret/);
  });

  it('signs with JWT_SECRET (and iss/aud) when set', async () => {
    const { token } = await mintToken(['--role', 'analyst', '--locations', '*'], { JWT_SECRET: SECRET, JWT_ISSUER: 'joinery-dev', JWT_AUDIENCE: 'joinery-api' });
    expect(await new JwtVerifier({ secret: SECRET, issuer: 'joinery-dev', audience: 'joinery-api' }).verify(token)).toMatchObject({ subject: 'dev-analyst', role: 'analyst', locations: '*' });
    await expect(new JwtVerifier({}).verify(token)).rejects.toThrow(/signature/);
  });

  it('expires when asked (default 8 hours)', async () => {
    const expiry = async (args: string[]) => JwtVerifier.expiresAt((await mintToken(['--role', 'admin', ...args], {})).token)! - Math.floor(Date.now() / 1000);
    expect(await expiry([])).toBeGreaterThan(8 * 3600 - 5);
    expect(await expiry([])).toBeLessThanOrEqual(8 * 3600);
    expect(await expiry(['--expires', '30m'])).toBeLessThanOrEqual(1800);
    expect(await expiry(['--expires', '30m'])).toBeGreaterThan(1795);
  });

  it('explains a bad role, missing locations or an unknown option', async () => {
    await expect(mintToken(['--role', 'boss', '--locations', 'oslo'], {})).rejects.toThrow(/Unknown role "boss": use one of admin, manager, associate, analyst, marketer/);
    await expect(mintToken(['--locations', 'oslo'], {})).rejects.toThrow(/--role is required/);
    await expect(mintToken(['--role', 'associate'], {})).rejects.toThrow(/--locations is required for the associate role/);
    await expect(mintToken(['--role', 'admin', '--colour', 'red'], {})).rejects.toBeInstanceOf(TokenUsageError);
    await expect(mintToken(['--role', 'admin', '--expires', 'soon'], {})).rejects.toThrow(/not a duration/);
  });

  it('refuses in production without JWT_SECRET, and mints with it', async () => {
    await expect(mintToken(['--role', 'admin'], { NODE_ENV: 'production' })).rejects.toBeInstanceOf(ConfigError);
    const { token } = await mintToken(['--role', 'admin'], { NODE_ENV: 'production', JWT_SECRET: SECRET, INTERNAL_AUTH_SECRET: SECRET });
    expect((await new JwtVerifier({ secret: SECRET }).verify(token)).role).toBe('admin');
  });

  it('reads durations', () => {
    expect(parseDuration('45')).toBe(45);
    expect(parseDuration('45s')).toBe(45);
    expect(parseDuration('8h')).toBe(28_800);
    expect(parseDuration('7d')).toBe(604_800);
    expect(() => parseDuration('0')).toThrow(/between/);
    expect(() => parseDuration('-5m')).toThrow(/not a duration/);
  });
});
