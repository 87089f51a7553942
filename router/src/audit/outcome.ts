import type { GraphQLFormattedError } from 'graphql';
import type { AuditOutcome } from './audit-store';

/** The parts of an operation's response the outcome is read from. */
export interface AuditedResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

/**
 * How a mutation ended, decided per root field:
 *
 * - a root field FAILED when an error is at its own path (`["createLocation"]`: its resolver threw,
 *   or its subgraph answered nothing for it), or when an error has no path at all (validation, a
 *   subgraph that could not be reached) and the field has no data;
 * - any root field FAILED makes the mutation FAILED; so does any error when there is no root field;
 * - otherwise USER_ERROR when a payload's userErrors was not empty, else SUCCEEDED.
 *
 * An error deeper down (`["adjustInventory", "level", "location", "movements"]`) comes from reading
 * the payload after the resolver returned it, that is after the change was made: the mutation is
 * not FAILED for it. That holds even when such an error nulls the whole root field (a non-null
 * field nulls its parent up to the root): the change was made all the same, and calling it FAILED
 * would let a client hide a change it made among failed attempts by selecting a field that errors.
 * (The payload's userErrors go with it, so such an entry reads SUCCEEDED. No payload in Joinery's
 * schema has a non-null field a client can make fail, so this does not happen today.)
 *
 * `codes` holds every error's code (INTERNAL_SERVER_ERROR when it has none), nested ones included,
 * then the userErrors codes, each once.
 */
export function outcomeOf(result: AuditedResult, rootKeys: readonly string[], userErrorCodes: readonly string[]): { outcome: AuditOutcome; codes: string[] } {
  const errors = result.errors ?? [];
  const codes = [...new Set([...errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')), ...userErrorCodes])];
  const atARootField = errors.some((error) => error.path?.length === 1);
  const unplaced = errors.some((error) => !error.path || error.path.length === 0);
  const withoutData = rootKeys.some((key) => result.data?.[key] == null);
  const failed = rootKeys.length === 0 ? errors.length > 0 : atARootField || (unplaced && withoutData);
  if (failed) return { outcome: 'FAILED', codes };
  return { outcome: userErrorCodes.length > 0 ? 'USER_ERROR' : 'SUCCEEDED', codes };
}
