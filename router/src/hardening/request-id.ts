import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** An incoming id is kept only if it cannot forge log lines or headers: 1-64 of [A-Za-z0-9_-]. */
const SANE_REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The router's id for a request: the client's (or a proxy's) `x-request-id` when it is a sane
 * token, so one id follows a request through every hop; otherwise a new UUID.
 */
export function requestIdOf(request: Pick<IncomingMessage, 'headers'>): string {
  const header = request.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}
