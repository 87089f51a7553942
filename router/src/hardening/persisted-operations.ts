import { readFileSync } from 'node:fs';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { ConfigError } from '@joinery/core';

/**
 * - `off`: no list; Apollo's automatic persisted queries work as usual.
 * - `allow`: an operation of the list may be sent by id (`extensions.persistedQuery.sha256Hash`)
 *   without its body; anything else still runs.
 * - `enforce`: only operations of the list run, sent by id or with the list's exact body.
 */
export type PersistedOperationsMode = 'off' | 'allow' | 'enforce';

/** Apollo's persisted query manifest, as `@apollo/generate-persisted-query-manifest` writes it. */
const ManifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(z.object({ id: z.string().min(1), name: z.string(), type: z.enum(['query', 'mutation', 'subscription']), body: z.string().min(1) })),
});
export type PersistedQueryManifest = z.infer<typeof ManifestSchema>;

/** Reads and checks a manifest; a bad one stops start-up naming the file and what is wrong. */
export function readManifest(path: string): PersistedQueryManifest {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([`PERSISTED_OPERATIONS_PATH: cannot read ${path} as JSON (${(error as Error).message})`]);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `PERSISTED_OPERATIONS_PATH: ${path} is not an Apollo persisted query manifest: ${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  const ids = new Set<string>();
  for (const operation of parsed.data.operations) {
    if (ids.has(operation.id)) throw new ConfigError([`PERSISTED_OPERATIONS_PATH: ${path} lists operation id ${operation.id} twice`]);
    ids.add(operation.id);
  }
  return parsed.data;
}

/** An operation as a client sends it, before Apollo looks at it. */
export interface IncomingOperation {
  query?: string;
  extensions?: Record<string, unknown>;
}

export const PERSISTED_QUERY_NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST';

function notInList(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: PERSISTED_QUERY_NOT_IN_LIST, http: { status: 400 } } });
}

function requestedId(extensions: Record<string, unknown> | undefined): string | undefined {
  const persisted = extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  return typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
}

function withoutPersistedQuery(extensions: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!extensions || !('persistedQuery' in extensions)) return extensions;
  const { persistedQuery: _dropped, ...rest } = extensions;
  return rest;
}

/** The router's persisted operation list (safelist) and the rule of its mode. */
export class PersistedOperations {
  private readonly bodies = new Map<string, string>();
  private readonly registered = new Set<string>();

  constructor(
    readonly mode: PersistedOperationsMode,
    manifest: PersistedQueryManifest = { format: 'apollo-persisted-query-manifest', version: 1, operations: [] },
  ) {
    for (const operation of manifest.operations) {
      this.bodies.set(operation.id, operation.body);
      this.registered.add(operation.body);
    }
  }

  static load(mode: PersistedOperationsMode, path: string): PersistedOperations {
    return new PersistedOperations(mode, readManifest(path));
  }

  get size(): number {
    return this.bodies.size;
  }

  /**
   * What to run for an incoming operation: the list's body for a listed id (the persisted query
   * extension removed, so Apollo runs the body), the operation as sent when the mode lets it
   * through, or a PERSISTED_QUERY_NOT_IN_LIST error (HTTP 400) in enforce mode. The router's
   * admission plugin applies it to HTTP operations; over WebSocket, call it with the subscribe
   * payload before parsing.
   */
  resolve(operation: IncomingOperation): IncomingOperation | GraphQLError {
    if (this.mode === 'off') return operation;
    const id = requestedId(operation.extensions);
    if (id !== undefined) {
      const body = this.bodies.get(id);
      if (body !== undefined && (operation.query === undefined || operation.query === body)) {
        return { query: body, extensions: withoutPersistedQuery(operation.extensions) };
      }
      if (this.mode === 'allow') return operation;
      if (body === undefined) return notInList(`Operation ${id} is not in this router's persisted operation list: only registered operations run here`);
      return notInList(`The body sent with operation ${id} differs from the registered one: send the id alone`);
    }
    if (this.mode === 'allow' || (operation.query !== undefined && this.registered.has(operation.query))) return operation;
    return notInList(`This router runs only registered operations (its persisted operation list): send a listed operation's id as extensions.persistedQuery.sha256Hash, or its exact body`);
  }
}
