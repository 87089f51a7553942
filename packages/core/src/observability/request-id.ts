import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header that carries a request's id from the router to every subgraph call, and back in every answer. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept only if it cannot forge log lines or headers: 1-64 of [A-Za-z0-9_-]. */
const SANE_REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A service's id for a request: the caller's `x-request-id` when it is a sane token, else a new
 * UUID. At the router the caller is the client (or its proxy); at a subgraph it is the router, or
 * a subgraph passing on the router's id, so every hop's logs and errors carry the id the client got.
 */
export function incomingRequestId(request: Pick<IncomingMessage, 'headers'>): string {
  const header = request.headers[REQUEST_ID_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  return value && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}
