import type { IncomingMessage } from 'node:http';

/**
 * Who asked for a change, as movements, transfers and the audit trail record it. Until the graph
 * verifies identities (issue 6 replaces this with the verified token's subject), clients name
 * themselves in this header; the router forwards it to every subgraph call, and a subgraph that
 * calls another on a client's behalf forwards it too.
 */
export const ACTOR_HEADER = 'joinery-actor';
/** Recorded when a request names no actor. */
export const ANONYMOUS_ACTOR = 'anonymous';
const MAX_ACTOR_LENGTH = 200;

/** The actor a request names, trimmed and bounded; `anonymous` when it names none. */
export function actorOf(request: Pick<IncomingMessage, 'headers'> | undefined): string {
  const raw = request?.headers[ACTOR_HEADER];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  // Control characters would let a client forge log lines; they are dropped, not stored.
  const clean = value?.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_ACTOR_LENGTH);
  return clean ? clean : ANONYMOUS_ACTOR;
}
