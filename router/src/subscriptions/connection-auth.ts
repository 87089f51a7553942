import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from '@joinery/core';
import { AuthError, JwtVerifier } from '../auth/jwt-verifier';

/**
 * Close code for a connection refused or ended for authentication: no token, a forged or expired
 * one, a token without a Joinery role, or a token that expired while the socket was open. It is
 * graphql-ws's Forbidden, which its client treats as retryable: a client that reads its token
 * from a function in `connectionParams` reconnects with a fresh one after an expiry.
 */
export const AUTH_CLOSE_CODE = 4403;

/**
 * Close code for a connection refused by a limit: its address sent too many bad tokens, or its
 * user holds too many open connections. graphql-ws's TooManyInitialisationRequests, which its
 * client does not retry: reconnecting at once would only be refused again (the reason says when
 * to retry, or to close another connection first).
 */
export const RATE_LIMIT_CLOSE_CODE = 4429;

/** Payload keys of `connection_init` that may carry the token, in the order they are read. */
const PARAM_KEYS = ['authorization', 'Authorization', 'token'] as const;

/** WebSocket close reasons are at most 123 bytes of UTF-8. */
const MAX_REASON_BYTES = 123;

export interface TokenVerifier {
  verify(token: string, requestId?: string): Promise<Identity>;
}

export type ConnectionAuth =
  | { ok: true; identity: Identity; /** Milliseconds since the epoch at which the token expires. */ expiresAtMs?: number }
  | { ok: false; reason: string; /** UNAVAILABLE: the identity provider could not be asked, not the client's failure. */ code: AuthError['code'] };

/**
 * The token of a connection: from `connection_init`'s payload (`authorization: "Bearer <jwt>"`,
 * `Authorization`, or `token`, with or without "Bearer "), or, when the payload names none, from
 * the upgrade request's `Authorization: Bearer <jwt>` header (clients that can set headers).
 * A payload key that is present wins over the header, even if its token turns out to be bad.
 */
export function connectionToken(params: Record<string, unknown> | undefined, headers: IncomingHttpHeaders): { token: string } | { problem: string } | undefined {
  const key = PARAM_KEYS.find((name) => params?.[name] !== undefined && params[name] !== null);
  if (key) {
    const value = params![key];
    const match = typeof value === 'string' ? /^\s*(?:Bearer\s+)?(\S+)\s*$/i.exec(value) : null;
    return match ? { token: match[1] } : { problem: `connection_init's ${key} must be "Bearer <token>"` };
  }
  const header = headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? { token: match[1] } : { problem: 'The Authorization header must be "Bearer <token>"' };
}

/** Verifies a connection's token; a refusal carries the close reason naming what was wrong. */
export async function authenticateConnection(verifier: TokenVerifier, params: Record<string, unknown> | undefined, headers: IncomingHttpHeaders): Promise<ConnectionAuth> {
  const found = connectionToken(params, headers);
  if (!found) return { ok: false, code: 'UNAUTHENTICATED', reason: 'Authentication required: send { authorization: "Bearer <token>" } in connection_init' };
  if ('problem' in found) return { ok: false, code: 'UNAUTHENTICATED', reason: closeReason(found.problem) };
  try {
    const identity = await verifier.verify(found.token);
    const expiresAt = JwtVerifier.expiresAt(found.token);
    const expiresAtMs = expiresAt === undefined ? undefined : expiresAt * 1000;
    // The verifier allows some clock skew; a socket lives on, so it is refused once `exp` has passed.
    if (expiresAtMs !== undefined && expiresAtMs <= Date.now()) return { ok: false, code: 'UNAUTHENTICATED', reason: 'The token has expired' };
    return { ok: true, identity, expiresAtMs };
  } catch (error) {
    if (error instanceof AuthError) return { ok: false, code: error.code, reason: closeReason(error.message) };
    throw error;
  }
}

/** `text` cut to fit a close frame. */
export function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > MAX_REASON_BYTES) reason = reason.slice(0, -1);
  return reason;
}

/** setTimeout's longest delay; a later expiry re-arms the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `onExpired` at `atMs` (at once if it has passed); returns a cancel. */
export function whenExpired(atMs: number, onExpired: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const delay = atMs - Date.now();
    timer = delay > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(onExpired, Math.max(0, delay));
    // A pending expiry must not keep a process alive that is otherwise done.
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
