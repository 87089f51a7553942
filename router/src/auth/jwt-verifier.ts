import { webcrypto } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { cleanSubject, DEVELOPMENT_JWT_SECRET, INTERNAL_TOKEN_AUDIENCE, INTERNAL_TOKEN_ISSUER, logger, ROLES, type Identity, type Role } from '@joinery/core';

export interface JwtSettings {
  /** HS256 shared secret. */
  secret?: string;
  /** JWKS URL for RS256/ES256 tokens (Auth0, Okta, Keycloak); keys are cached and refetched on an unknown `kid`. */
  jwksUrl?: string;
  /**
   * Least time between two JWKS fetches, in ms: a token naming an unknown `kid` refetches the set
   * only this long after the last fetch, so forged kids cannot hammer the identity provider. Default 30000.
   */
  jwksCooldownMs?: number;
  /** Longest a cached JWKS is used before it is fetched again, in ms. Default 600000 (10 minutes). */
  jwksCacheMaxAgeMs?: number;
  issuer?: string;
  audience?: string;
  /** Claim holding the role: a top-level name (`https://joinery.example/role` works) or a dot path (`realm_access.roles`). Default `role`. */
  roleClaim?: string;
  /** Claim holding the location ids (or `["*"]`). Default `locations`. */
  locationsClaim?: string;
}

/**
 * Why a request was refused: `UNAUTHENTICATED` (no or bad token, 401), `FORBIDDEN` (a valid token
 * without a usable role, 403) or `UNAVAILABLE` (the identity provider's keys could not be fetched, 503).
 */
export class AuthError extends Error {
  constructor(readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'UNAVAILABLE', message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/** Algorithms accepted from an identity provider's JWKS; `none` and HMAC never are (no algorithm confusion). */
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'];

/** A claim by exact name first (namespaced claims contain dots), then by dot path; own properties only. */
export function claimAt(payload: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * A role claim may be one role or a list (Keycloak's realm roles, with others mixed in): the first
 * Joinery role in ROLES' order (admin, manager, associate, analyst, marketer) wins.
 */
export function roleOf(value: unknown): Role | undefined {
  const values = Array.isArray(value) ? value : [value];
  return ROLES.find((role) => values.includes(role));
}

/** A list of ids, or one string of ids separated by commas or spaces; `*` anywhere means every location. */
export function locationsOf(value: unknown): '*' | string[] {
  const values = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.length > 0) : [];
  // Lower case, as PostgreSQL returns UUIDs: scope checks compare ids whatever the token's case.
  return values.includes('*') ? '*' : [...new Set(values.map((id) => id.toLowerCase()))];
}

/** A client-facing reason for a token jose refused: what was wrong, never a key or a secret. */
function refusalOf(error: joseErrors.JOSEError): AuthError {
  if (error instanceof joseErrors.JWTExpired) return new AuthError('UNAUTHENTICATED', 'The token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return new AuthError('UNAUTHENTICATED', 'The token is not valid yet (nbf is in the future)');
    if (error.reason === 'missing') return new AuthError('UNAUTHENTICATED', `The token has no ${error.claim} claim`);
    return new AuthError('UNAUTHENTICATED', `The token's ${error.claim} claim is not accepted here`);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new AuthError('UNAUTHENTICATED', 'The token is signed with an algorithm this router does not accept');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new AuthError('UNAUTHENTICATED', 'The token signature is not valid');
  if (error instanceof joseErrors.JWKSNoMatchingKey) return new AuthError('UNAUTHENTICATED', 'The token is signed with a key the identity provider does not publish');
  if (error instanceof joseErrors.JWKSTimeout) return new AuthError('UNAVAILABLE', 'The identity provider\'s keys could not be fetched in time; retry later');
  return new AuthError('UNAUTHENTICATED', 'The token is not valid');
}

/**
 * True for a token shaped like the identity the router signs for subgraphs (`iss: joinery` or
 * `aud: joinery-subgraphs`, see internal-token.ts): never a user's token, whoever signed it.
 */
export function isInternalToken(payload: JWTPayload): boolean {
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  return payload.iss === INTERNAL_TOKEN_ISSUER || audiences.includes(INTERNAL_TOKEN_AUDIENCE);
}

/**
 * Verifies bearer tokens: signature, `exp` (required), `nbf`, and `iss`/`aud` when configured;
 * internal identity tokens are refused whatever the configuration.
 */
const VERIFIED_CACHE_MS = 60_000;
const VERIFIED_CACHE_SIZE = 10_000;

export class JwtVerifier {
  private readonly key: Promise<webcrypto.CryptoKey> | JWTVerifyGetKey;
  private readonly algorithms: string[];
  private readonly roleClaim: string;
  private readonly locationsClaim: string;
  /**
   * Tokens already verified, by their exact text (signature included), until they expire or for at
   * most VERIFIED_CACHE_MS: a client sends the same token with every request, and a signature check
   * costs more than the rest of the request's admission. A key withdrawn from the JWKS stops
   * verifying tokens within that minute.
   */
  private readonly verified = new Map<string, { identity: Identity; until: number }>();

  constructor(private readonly settings: JwtSettings) {
    if (settings.secret && settings.jwksUrl) throw new Error('JwtSettings: give a secret or a jwksUrl, not both');
    if (settings.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(settings.jwksUrl), { cacheMaxAge: settings.jwksCacheMaxAgeMs ?? 10 * 60_000, cooldownDuration: settings.jwksCooldownMs ?? 30_000 });
      this.algorithms = ASYMMETRIC_ALGORITHMS;
    } else {
      // Imported once: jose imports a raw secret again on every verify (an async WebCrypto import).
      this.key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(settings.secret ?? DEVELOPMENT_JWT_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      this.algorithms = ['HS256'];
    }
    this.roleClaim = settings.roleClaim ?? 'role';
    this.locationsClaim = settings.locationsClaim ?? 'locations';
  }

  /** The identity in an `Authorization: Bearer …` header value; throws AuthError. */
  async verifyHeader(header: string | undefined, requestId?: string): Promise<Identity> {
    if (!header) throw new AuthError('UNAUTHENTICATED', 'Authentication required: send Authorization: Bearer <token>');
    const match = header.match(/^Bearer\s+(\S+)\s*$/i);
    if (!match) throw new AuthError('UNAUTHENTICATED', 'The Authorization header must be Bearer <token>');
    return this.verify(match[1]!, requestId);
  }

  async verify(token: string, requestId?: string): Promise<Identity> {
    const now = Date.now();
    const known = this.verified.get(token);
    if (known && now < known.until) return { ...known.identity, requestId };
    const identity = await this.verifyOnce(token, requestId);
    const exp = JwtVerifier.expiresAt(token);
    if (exp !== undefined) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { identity: { ...identity, requestId: undefined }, until: Math.min(exp * 1000, now + VERIFIED_CACHE_MS) });
    }
    return identity;
  }

  private async verifyOnce(token: string, requestId?: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      const key = typeof this.key === 'function' ? this.key : await this.key;
      ({ payload } = await jwtVerify(token, key as webcrypto.CryptoKey, {
        algorithms: this.algorithms,
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: 30,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw refusalOf(error);
      // Anything else comes from fetching the JWKS (network, DNS): not the caller's fault.
      if (this.settings.jwksUrl) {
        logger('router').error({ jwksUrl: this.settings.jwksUrl, requestId, error: String(error) }, 'JWKS fetch failed');
        throw new AuthError('UNAVAILABLE', 'The identity provider\'s keys could not be fetched; retry later');
      }
      throw error;
    }
    // Were JWT_SECRET ever INTERNAL_AUTH_SECRET (config refuses it), or a token leaked from between
    // the services, an internal token would otherwise act here as whoever it names.
    if (isInternalToken(payload)) throw new AuthError('UNAUTHENTICATED', 'The token is an internal Joinery identity token, not a user token');
    const subject = typeof payload.sub === 'string' ? cleanSubject(payload.sub) : '';
    if (!subject) throw new AuthError('UNAUTHENTICATED', 'The token has no subject (sub)');
    const role = roleOf(claimAt(payload, this.roleClaim));
    if (!role) throw new AuthError('FORBIDDEN', `The token carries no Joinery role in its ${this.roleClaim} claim (one of ${ROLES.join(', ')})`);
    // An admin may do everything, everywhere; other roles see only the locations they are given.
    const locations = role === 'admin' ? '*' : locationsOf(claimAt(payload, this.locationsClaim));
    return { subject, role, locations, actor: subject, requestId };
  }

  /** Seconds since the epoch at which `token` expires (already verified), for closing sockets on expiry. */
  static expiresAt(token: string): number | undefined {
    try {
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as JWTPayload;
      return typeof payload.exp === 'number' ? payload.exp : undefined;
    } catch {
      return undefined;
    }
  }
}
