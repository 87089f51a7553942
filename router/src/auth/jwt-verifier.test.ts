import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { DEVELOPMENT_JWT_SECRET, InternalAuth } from '@joinery/core';
import { AuthError, claimAt, JwtVerifier, locationsOf, roleOf } from './jwt-verifier';

const SECRET = 'a-test-secret-of-at-least-thirty-two-characters';
const now = () => Math.floor(Date.now() / 1000);

async function hs256(claims: JWTPayload, secret = SECRET, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header }).sign(new TextEncoder().encode(secret));
}

const manager = { sub: 'maria', role: 'manager', locations: ['oslo', 'bergen'] };

/** The AuthError `promise` rejects with (fails the test if it resolves or rejects otherwise). */
async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe('JwtVerifier with an HS256 secret', () => {
  const verifier = new JwtVerifier({ secret: SECRET });

  it('accepts a good token and reads subject, role and locations', async () => {
    const token = await hs256({ ...manager, exp: now() + 60 });
    expect(await verifier.verifyHeader(`Bearer ${token}`, 'req-1')).toEqual({ subject: 'maria', role: 'manager', locations: ['oslo', 'bergen'], actor: 'maria', requestId: 'req-1' });
  });

  it('refuses a token signed with another secret (a forged signature)', async () => {
    const token = await hs256({ ...manager, exp: now() + 60 }, 'another-secret-of-at-least-thirty-two-chars');
    expect(await refusal(verifier.verify(token))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The token signature is not valid' });
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await hs256({ ...manager, exp: now() + 60 })).split('.');
    const payload = Buffer.from(JSON.stringify({ ...manager, role: 'admin', exp: now() + 60 })).toString('base64url');
    expect((await refusal(verifier.verify(`${header}.${payload}.${signature}`))).code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token (beyond the 30 s clock tolerance) and one without exp', async () => {
    expect(await refusal(verifier.verify(await hs256({ ...manager, exp: now() - 31 })))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The token has expired' });
    expect(await verifier.verify(await hs256({ ...manager, exp: now() - 10 }))).toMatchObject({ role: 'manager' });
    expect(await refusal(verifier.verify(await hs256(manager)))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The token has no exp claim' });
  });

  it('refuses a token whose nbf is in the future', async () => {
    const token = await hs256({ ...manager, nbf: now() + 300, exp: now() + 600 });
    expect(await refusal(verifier.verify(token))).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/not valid yet/) });
  });

  it('refuses alg none, whatever the payload says', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'mallory', role: 'admin', locations: ['*'], exp: now() + 60 })}.`;
    expect((await refusal(verifier.verify(unsigned))).code).toBe('UNAUTHENTICATED');
    expect((await refusal(verifier.verifyHeader(`Bearer ${unsigned}`))).code).toBe('UNAUTHENTICATED');
  });

  it('refuses HS384 and other algorithms than HS256', async () => {
    const token = await new SignJWT({ ...manager, exp: now() + 60 }).setProtectedHeader({ alg: 'HS384' }).sign(new TextEncoder().encode(SECRET));
    expect(await refusal(verifier.verify(token))).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/algorithm/) });
  });

  it('refuses a token without a subject, and answers FORBIDDEN for a valid token without a Joinery role', async () => {
    expect(await refusal(verifier.verify(await hs256({ role: 'manager', exp: now() + 60 })))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The token has no subject (sub)' });
    expect(await refusal(verifier.verify(await hs256({ sub: 'x', exp: now() + 60 })))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/no Joinery role in its role claim/) });
    expect((await refusal(verifier.verify(await hs256({ sub: 'x', role: 'superuser', exp: now() + 60 })))).code).toBe('FORBIDDEN');
  });

  it('asks for a bearer token when the header is missing or not Bearer', async () => {
    expect(await refusal(verifier.verifyHeader(undefined))).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/Authorization: Bearer/) });
    expect((await refusal(verifier.verifyHeader('Basic dXNlcjpwYXNz'))).code).toBe('UNAUTHENTICATED');
    expect((await refusal(verifier.verifyHeader('Bearer'))).code).toBe('UNAUTHENTICATED');
  });

  it('gives an admin every location whatever its claim says, others exactly theirs', async () => {
    expect((await verifier.verify(await hs256({ sub: 'a', role: 'admin', locations: ['oslo'], exp: now() + 60 }))).locations).toBe('*');
    expect((await verifier.verify(await hs256({ sub: 'b', role: 'analyst', exp: now() + 60 }))).locations).toEqual([]);
    expect((await verifier.verify(await hs256({ sub: 'c', role: 'marketer', locations: ['*'], exp: now() + 60 }))).locations).toBe('*');
  });

  it('strips control characters from the subject (no forged log lines)', async () => {
    const identity = await verifier.verify(await hs256({ sub: 'eve\n{"level":"info"}', role: 'associate', locations: ['oslo'], exp: now() + 60 }));
    expect(identity.subject).toBe('eve{"level":"info"}');
  });

  it('checks iss and aud when configured', async () => {
    const strict = new JwtVerifier({ secret: SECRET, issuer: 'https://id.joinery.example/', audience: 'joinery-api' });
    const good = await hs256({ ...manager, iss: 'https://id.joinery.example/', aud: ['other', 'joinery-api'], exp: now() + 60 });
    expect((await strict.verify(good)).role).toBe('manager');
    const wrongIssuer = await hs256({ ...manager, iss: 'https://evil.example/', aud: 'joinery-api', exp: now() + 60 });
    expect(await refusal(strict.verify(wrongIssuer))).toMatchObject({ code: 'UNAUTHENTICATED', message: "The token's iss claim is not accepted here" });
    const wrongAudience = await hs256({ ...manager, iss: 'https://id.joinery.example/', aud: 'another-api', exp: now() + 60 });
    expect(await refusal(strict.verify(wrongAudience))).toMatchObject({ code: 'UNAUTHENTICATED', message: "The token's aud claim is not accepted here" });
    const noAudience = await hs256({ ...manager, iss: 'https://id.joinery.example/', exp: now() + 60 });
    expect((await refusal(strict.verify(noAudience))).code).toBe('UNAUTHENTICATED');
    // Unconfigured, neither is checked.
    expect((await verifier.verify(wrongIssuer)).role).toBe('manager');
  });

  it('refuses an internal identity token (iss joinery or aud joinery-subgraphs) even when its signature verifies', async () => {
    // As if INTERNAL_AUTH_SECRET were JWT_SECRET (config refuses that): the router's own signature.
    const internal = await new InternalAuth(SECRET).sign({ subject: 'boss', role: 'admin', locations: '*', actor: 'boss' });
    const internalMessage = { code: 'UNAUTHENTICATED', message: 'The token is an internal Joinery identity token, not a user token' };
    expect(await refusal(verifier.verify(internal))).toMatchObject(internalMessage);
    expect(await refusal(verifier.verifyHeader(`Bearer ${internal}`))).toMatchObject(internalMessage);
    // Either claim alone is enough, the audience also within a list.
    expect(await refusal(verifier.verify(await hs256({ ...manager, iss: 'joinery', exp: now() + 60 })))).toMatchObject(internalMessage);
    expect(await refusal(verifier.verify(await hs256({ ...manager, aud: ['joinery-api', 'joinery-subgraphs'], exp: now() + 60 })))).toMatchObject(internalMessage);
    // Even a verifier configured to expect them (config refuses JWT_ISSUER=joinery).
    expect(await refusal(new JwtVerifier({ secret: SECRET, issuer: 'joinery', audience: 'joinery-subgraphs' }).verify(internal))).toMatchObject(internalMessage);
    // Other issuers and audiences are untouched.
    expect((await verifier.verify(await hs256({ ...manager, iss: 'https://id.joinery.example/', aud: 'joinery-api', exp: now() + 60 }))).role).toBe('manager');
  });

  it('uses the development secret when none is given', async () => {
    const token = await hs256({ ...manager, exp: now() + 60 }, DEVELOPMENT_JWT_SECRET);
    expect((await new JwtVerifier({}).verify(token)).subject).toBe('maria');
    expect((await refusal(verifier.verify(token))).code).toBe('UNAUTHENTICATED');
  });
});

describe('claims', () => {
  it('reads namespaced claims by name and nested ones by dot path, own properties only', () => {
    const payload = { 'https://joinery.example/role': 'analyst', realm_access: { roles: ['offline_access', 'manager'] }, 'a.b': 1, a: { b: 2 } };
    expect(claimAt(payload, 'https://joinery.example/role')).toBe('analyst');
    expect(claimAt(payload, 'realm_access.roles')).toEqual(['offline_access', 'manager']);
    expect(claimAt(payload, 'a.b')).toBe(1);
    expect(claimAt(payload, 'realm_access.missing')).toBeUndefined();
    expect(claimAt(payload, 'constructor')).toBeUndefined();
    expect(claimAt(payload, 'realm_access.toString')).toBeUndefined();
  });

  it('takes the first Joinery role of a list, in the order admin, manager, associate, analyst, marketer', () => {
    expect(roleOf(['offline_access', 'marketer', 'manager'])).toBe('manager');
    expect(roleOf(['uma_authorization'])).toBeUndefined();
    expect(roleOf('associate')).toBe('associate');
    expect(roleOf('Admin')).toBeUndefined();
    expect(roleOf({ admin: true })).toBeUndefined();
  });

  it('reads locations from a list or a comma/space separated string', () => {
    expect(locationsOf(['oslo', 'bergen', 'oslo', 7, ''])).toEqual(['oslo', 'bergen']);
    expect(locationsOf('oslo, bergen trondheim')).toEqual(['oslo', 'bergen', 'trondheim']);
    expect(locationsOf('*')).toBe('*');
    expect(locationsOf(undefined)).toEqual([]);
  });

  it('lower-cases location ids, as PostgreSQL returns UUIDs, so scope checks match whatever the token\'s case', () => {
    expect(locationsOf(['0176F90A-C000-7E2A-A3E9-D76F2FB83DEE', '0176f90a-c000-7e2a-a3e9-d76f2fb83dee'])).toEqual(['0176f90a-c000-7e2a-a3e9-d76f2fb83dee']);
  });

  it('applies custom role and locations claims', async () => {
    const verifier = new JwtVerifier({ secret: SECRET, roleClaim: 'realm_access.roles', locationsClaim: 'https://joinery.example/locations' });
    const token = await hs256({ sub: 'kc-user', realm_access: { roles: ['default-roles', 'associate'] }, 'https://joinery.example/locations': 'oslo', role: 'admin', exp: now() + 60 });
    expect(await verifier.verify(token)).toMatchObject({ role: 'associate', locations: ['oslo'] });
  });
});

describe('JwtVerifier with a JWKS (RS256 / ES256)', () => {
  let server: Server;
  let jwksUrl: string;
  let fetches = 0;
  const published: JWK[] = [];
  const keys: Record<string, CryptoKey> = {};

  async function addKey(kid: string, alg: 'RS256' | 'ES256'): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(alg);
    keys[kid] = privateKey;
    published.push({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' });
  }

  async function sign(kid: string, alg: 'RS256' | 'ES256', claims: JWTPayload = { ...manager, exp: now() + 60 }): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg, kid }).sign(keys[kid]!);
  }

  beforeAll(async () => {
    await addKey('rsa-1', 'RS256');
    server = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('accepts an RS256 token signed with a published key, fetching the set once', async () => {
    const verifier = new JwtVerifier({ jwksUrl });
    const before = fetches;
    expect(await verifier.verify(await sign('rsa-1', 'RS256'))).toMatchObject({ subject: 'maria', role: 'manager' });
    expect(await verifier.verify(await sign('rsa-1', 'RS256'))).toMatchObject({ subject: 'maria' });
    expect(fetches - before).toBe(1);
  });

  it('refuses HS256 tokens (even signed with the development secret) and alg none when it uses a JWKS', async () => {
    const verifier = new JwtVerifier({ jwksUrl });
    expect((await refusal(verifier.verify(await hs256({ ...manager, exp: now() + 60 }, DEVELOPMENT_JWT_SECRET)))).code).toBe('UNAUTHENTICATED');
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect((await refusal(verifier.verify(`${encode({ alg: 'none', kid: 'rsa-1' })}.${encode({ ...manager, exp: now() + 60 })}.`))).code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token signed by a key the provider does not publish', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ ...manager, exp: now() + 60 }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(privateKey);
    expect((await refusal(new JwtVerifier({ jwksUrl }).verify(forged))).code).toBe('UNAUTHENTICATED');
  });

  it('picks up a rotated key: a new kid in the JWKS is fetched when a token names it', async () => {
    const verifier = new JwtVerifier({ jwksUrl, jwksCooldownMs: 0 });
    await verifier.verify(await sign('rsa-1', 'RS256'));
    await addKey('ec-2', 'ES256');
    const before = fetches;
    expect(await verifier.verify(await sign('ec-2', 'ES256'))).toMatchObject({ subject: 'maria' });
    expect(fetches - before).toBe(1);
  });

  it('does not refetch for unknown kids within the cooldown (forged kids cannot hammer the provider)', async () => {
    const verifier = new JwtVerifier({ jwksUrl, jwksCooldownMs: 60_000 });
    await verifier.verify(await sign('rsa-1', 'RS256'));
    const { privateKey } = await generateKeyPair('RS256');
    const before = fetches;
    for (let i = 0; i < 5; i += 1) {
      const unknown = await new SignJWT({ ...manager, exp: now() + 60 }).setProtectedHeader({ alg: 'RS256', kid: `made-up-${i}` }).sign(privateKey);
      expect(await refusal(verifier.verify(unknown))).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/does not publish/) });
    }
    expect(fetches - before).toBe(0);
  });

  it('answers UNAVAILABLE when the JWKS cannot be fetched', async () => {
    const verifier = new JwtVerifier({ jwksUrl: 'http://127.0.0.1:1/jwks.json' });
    const error = await refusal(verifier.verify(await sign('rsa-1', 'RS256')));
    expect(error.code).toBe('UNAVAILABLE');
  });
});
