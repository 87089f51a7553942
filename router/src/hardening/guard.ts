import type { IncomingMessage } from 'node:http';
import { currentRequestScope, type HttpRefusal, type Identity } from '@joinery/core';
import { AuthError, type JwtVerifier } from '../auth/jwt-verifier';
import type { RateLimitRefusal, RequestRateLimits } from './rate-limit';

function tooMany(refusal: RateLimitRefusal): HttpRefusal {
  return {
    status: 429,
    headers: { 'retry-after': String(refusal.retryAfterSeconds) },
    body: { errors: [{ message: refusal.message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: refusal.retryAfterSeconds } }] },
  };
}

const STATUS: Record<AuthError['code'], number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, UNAVAILABLE: 503 };

/**
 * What the router checks before it reads a request's body, in this order: the client IP's rate
 * limit (before the token), the bearer token (401 without a valid one, 403 for a valid token
 * without a Joinery role; once the IP has failed too often this window, 429 instead, which slows
 * token guessing without locking out valid tokens from the same address), then the subject's rate
 * limit. A request let through has its identity in `identities`.
 */
export function requestGuard(options: { verifier: JwtVerifier; rateLimits?: RequestRateLimits; identities: WeakMap<IncomingMessage, Identity> }) {
  const { verifier, rateLimits, identities } = options;
  return async (request: IncomingMessage): Promise<HttpRefusal | undefined> => {
    const requestId = currentRequestScope()?.id;
    const ip = rateLimits?.clientIp(request);
    if (rateLimits && ip) {
      const refusal = await rateLimits.checkIp(ip);
      if (refusal) return tooMany(refusal);
    }
    let identity: Identity;
    try {
      identity = await verifier.verifyHeader(request.headers.authorization, requestId);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      // The identity provider being down is not the caller's failure.
      if (error.code !== 'UNAVAILABLE' && rateLimits && ip) {
        const refusal = await rateLimits.authFailed(ip);
        if (refusal) return tooMany(refusal);
      }
      const status = STATUS[error.code];
      return { status, body: { errors: [{ message: error.message, extensions: { code: error.code } }] }, headers: status === 401 ? { 'www-authenticate': 'Bearer' } : undefined };
    }
    if (rateLimits) {
      const refusal = await rateLimits.checkSubject(identity.subject);
      if (refusal) return tooMany(refusal);
    }
    identities.set(request, identity);
    return undefined;
  };
}
