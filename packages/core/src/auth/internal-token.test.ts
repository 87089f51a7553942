import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../observability/logger';
import { DEVELOPMENT_INTERNAL_SECRET, developmentInternalSecretRefusal, InternalAuth, internalAuth, internalAuthFrom, isLoopbackHost } from './internal-token';

const OWN_SECRET = 'an-internal-secret-of-at-least-32-characters';
const identity = { subject: 'svc', role: 'service', locations: '*', actor: 'svc' } as const;

describe('the process\'s internal auth', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('falls back to the development secret on a developer\'s machine only, with a warning', async () => {
    const warn = vi.fn();
    const auth = internalAuthFrom({}, warn);
    // Signed with the development secret: another process on this machine verifies it.
    expect(await new InternalAuth(DEVELOPMENT_INTERNAL_SECRET).verify(await auth.sign(identity))).toMatchObject({ subject: 'svc', role: 'service' });
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]![0]).toEqual(expect.stringMatching(/^INTERNAL_AUTH_SECRET is unset \(or the development secret\): .*public development secret.*set INTERNAL_AUTH_SECRET, the same on every service/));
    // Empty values are unset, as in loadEnv.
    expect(() => internalAuthFrom({ HOST: '', JWT_SECRET: '', JWKS_URL: '', INTERNAL_AUTH_SECRET: '' }, warn)).not.toThrow();
  });

  it.each([
    [{ NODE_ENV: 'production' }, 'NODE_ENV=production'],
    [{ JWT_SECRET: 's'.repeat(40) }, 'JWT_SECRET is set'],
    [{ JWKS_URL: 'https://id.example/jwks.json' }, 'JWKS_URL is set'],
    [{ HOST: '0.0.0.0' }, 'HOST=0.0.0.0 is not a loopback address'],
  ])('refuses it, naming INTERNAL_AUTH_SECRET, when %o', (env, reason) => {
    const warn = vi.fn();
    expect(() => internalAuthFrom(env, warn)).toThrow(`INTERNAL_AUTH_SECRET: required when ${reason}`);
    expect(() => internalAuthFrom({ ...env, INTERNAL_AUTH_SECRET: DEVELOPMENT_INTERNAL_SECRET }, warn)).toThrow(`INTERNAL_AUTH_SECRET: is the development secret, refused when ${reason}`);
    expect(warn).not.toHaveBeenCalled();
  });

  it('uses a secret of one\'s own anywhere, silently', async () => {
    const warn = vi.fn();
    const auth = internalAuthFrom({ HOST: '0.0.0.0', JWT_SECRET: 's'.repeat(40), NODE_ENV: 'production', INTERNAL_AUTH_SECRET: OWN_SECRET }, warn);
    const token = await auth.sign(identity);
    expect(await new InternalAuth(OWN_SECRET).verify(token)).toMatchObject({ subject: 'svc' });
    expect(await new InternalAuth(DEVELOPMENT_INTERNAL_SECRET).verify(token)).toBeNull();
    expect(warn).not.toHaveBeenCalled();
  });

  it('warns once per process, however often it is asked for', () => {
    const logs = captureLogs();
    const first = internalAuth({});
    expect(internalAuth({})).toBe(first);
    expect(internalAuth({})).toBe(first);
    logs.restore();
    expect(logs.lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^INTERNAL_AUTH_SECRET is unset/) })]);
  });
});

describe('loopback hosts', () => {
  it('are 127.0.0.0/8, ::1 and localhost (the default HOST is 127.0.0.1)', () => {
    for (const host of [undefined, '', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(host), String(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.10', 'joinery.internal', '127.0.0.1.evil.example', 'localhost.example']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('decide nothing when a secret of one\'s own is set', () => {
    expect(developmentInternalSecretRefusal({ HOST: '0.0.0.0', INTERNAL_AUTH_SECRET: OWN_SECRET })).toBeUndefined();
  });
});
