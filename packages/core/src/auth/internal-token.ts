import { webcrypto } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { logger } from '../observability/logger';
import { ROLES, type Identity } from './identity';

/**
 * The header in which the router (and a subgraph calling another) passes the verified identity:
 * a short-lived HS256 JWT signed with INTERNAL_AUTH_SECRET, which only Joinery's own services
 * hold. A subgraph answers nothing, `_service` and `_entities` included, without a valid one.
 */
export const IDENTITY_HEADER = 'joinery-identity';
/**
 * `iss` and `aud` of every internal token. Reserved: the router refuses bearer tokens carrying
 * either (an internal token is never a user token), and JWT_ISSUER / JWT_AUDIENCE may not be them.
 */
export const INTERNAL_TOKEN_ISSUER = 'joinery';
export const INTERNAL_TOKEN_AUDIENCE = 'joinery-subgraphs';
const ISSUER = INTERNAL_TOKEN_ISSUER;
const AUDIENCE = INTERNAL_TOKEN_AUDIENCE;
/** Seconds an internal token is valid: long enough for one request's subgraph calls. */
const LIFETIME_S = 60;
/** Reused while this many seconds of validity remain. */
const REUSE_MARGIN_S = 20;

/**
 * Used when INTERNAL_AUTH_SECRET is unset on a developer's machine; never for a deployment. Anyone
 * can read it here, and whoever holds it can sign a `service` identity any subgraph accepts.
 */
export const DEVELOPMENT_INTERNAL_SECRET = 'joinery-development-internal-secret-do-not-deploy';

/** Addresses only this machine can reach. */
const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/** True when HOST (default 127.0.0.1) lets only this machine connect. */
export function isLoopbackHost(host: string | undefined): boolean {
  return LOOPBACK_HOSTS.test(host?.trim() || '127.0.0.1');
}

/** The variables that decide whether a process may fall back to the development internal secret. */
export interface InternalSecretEnv {
  NODE_ENV?: string;
  HOST?: string;
  JWT_SECRET?: string;
  JWKS_URL?: string;
  INTERNAL_AUTH_SECRET?: string;
}

/**
 * Why this process may not use the development internal secret, or undefined when it may: only
 * a developer's machine may, i.e. not production, no real user-token settings (JWT_SECRET or
 * JWKS_URL mean someone is deploying), and listening on loopback only (HOST=0.0.0.0 in a
 * container exposes the subgraph ports). The message names INTERNAL_AUTH_SECRET and the reason.
 */
export function developmentInternalSecretRefusal(env: InternalSecretEnv): string | undefined {
  if (env.INTERNAL_AUTH_SECRET && env.INTERNAL_AUTH_SECRET !== DEVELOPMENT_INTERNAL_SECRET) return undefined;
  const reasons: string[] = [];
  if (env.NODE_ENV === 'production') reasons.push('NODE_ENV=production');
  if (env.JWT_SECRET) reasons.push('JWT_SECRET is set');
  if (env.JWKS_URL) reasons.push('JWKS_URL is set');
  if (!isLoopbackHost(env.HOST)) reasons.push(`HOST=${env.HOST} is not a loopback address (127.0.0.1, ::1, localhost)`);
  if (!reasons.length) return undefined;
  const problem = env.INTERNAL_AUTH_SECRET ? 'is the development secret, refused' : 'required';
  return `INTERNAL_AUTH_SECRET: ${problem} when ${reasons.join(', ')} (the development secret is public: anyone reaching a subgraph could sign identities with it); set a secret of your own, at least 32 characters, the same on the router and every subgraph`;
}

const MAX_SUBJECT_LENGTH = 200;
/** Control characters would let a token forge log lines. */
export function cleanSubject(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_SUBJECT_LENGTH);
}

/**
 * The secret as an HMAC CryptoKey, imported once: jose imports a raw Uint8Array secret again on
 * every sign and verify (an async WebCrypto import, about 30 µs each), three times per request.
 */
function hmacKey(secret: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

export class InternalAuth {
  private readonly key: Promise<webcrypto.CryptoKey>;
  private readonly cache = new Map<string, { token: string; expires: number }>();

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('INTERNAL_AUTH_SECRET must be at least 32 characters');
    this.key = hmacKey(secret);
  }

  /** Signs `identity` for the `joinery-identity` header; equal identities reuse a token for a while. */
  async sign(identity: Identity): Promise<string> {
    const cacheKey = JSON.stringify([identity.subject, identity.role, identity.locations, identity.actor, identity.requestId ?? null]);
    const now = Math.floor(Date.now() / 1000);
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expires - now > REUSE_MARGIN_S) return cached.token;
    const token = await new SignJWT({ role: identity.role, loc: identity.locations, act: identity.actor, rid: identity.requestId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(identity.subject)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + LIFETIME_S)
      .sign(await this.key);
    if (this.cache.size > 10_000) this.cache.clear();
    // Tokens naming a request are per request; only request-less identities are worth keeping.
    if (!identity.requestId) this.cache.set(cacheKey, { token, expires: now + LIFETIME_S });
    return token;
  }

  /** The identity in a `joinery-identity` token, or null when it is missing, forged, expired or malformed. */
  async verify(token: string | undefined): Promise<Identity | null> {
    if (!token) return null;
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, clockTolerance: 5 });
      const role = payload.role;
      const loc = payload.loc;
      if (typeof payload.sub !== 'string' || !(role === 'service' || ROLES.includes(role as never))) return null;
      const locations = loc === '*' ? '*' : Array.isArray(loc) && loc.every((id) => typeof id === 'string') ? (loc as string[]).map((id) => id.toLowerCase()) : null;
      if (!locations) return null;
      return {
        subject: payload.sub,
        role: role as Identity['role'],
        locations,
        actor: typeof payload.act === 'string' ? payload.act : payload.sub,
        requestId: typeof payload.rid === 'string' ? payload.rid : undefined,
      };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error;
    }
  }

  /** The verified identity a request carries in its `joinery-identity` header, or null. */
  async fromRequest(request: Pick<IncomingMessage, 'headers'>): Promise<Identity | null> {
    const raw = request.headers[IDENTITY_HEADER];
    return this.verify(Array.isArray(raw) ? raw[0] : raw);
  }
}

let shared: InternalAuth | undefined;

/**
 * The process's internal auth, from INTERNAL_AUTH_SECRET. An unset secret falls back to the
 * development one only where developmentInternalSecretRefusal allows it (a developer's machine),
 * with a warning logged once; anywhere else it throws, naming the variable. Services check the
 * same rule at start-up (requireServiceSecrets, routerSettings); this is the last line.
 */
export function internalAuth(env: NodeJS.ProcessEnv = process.env): InternalAuth {
  if (shared) return shared;
  shared = internalAuthFrom(env);
  return shared;
}

/** internalAuth without the process-wide instance (for tests). */
export function internalAuthFrom(env: NodeJS.ProcessEnv, warn: (message: string) => void = (message) => logger().warn(message)): InternalAuth {
  // Empty values count as unset, as in loadEnv.
  const secret = env.INTERNAL_AUTH_SECRET || undefined;
  if (secret && secret !== DEVELOPMENT_INTERNAL_SECRET) return new InternalAuth(secret);
  const refusal = developmentInternalSecretRefusal({ NODE_ENV: env.NODE_ENV || undefined, HOST: env.HOST || undefined, JWT_SECRET: env.JWT_SECRET || undefined, JWKS_URL: env.JWKS_URL || undefined, INTERNAL_AUTH_SECRET: secret });
  if (refusal) throw new Error(refusal);
  warn(
    'INTERNAL_AUTH_SECRET is unset (or the development secret): identities passed between the router and the subgraphs are signed with the public development secret. Fine on this machine only (HOST is loopback, JWT_SECRET and JWKS_URL are unset); set INTERNAL_AUTH_SECRET, the same on every service, for anything reachable from elsewhere.',
  );
  return new InternalAuth(DEVELOPMENT_INTERNAL_SECRET);
}
