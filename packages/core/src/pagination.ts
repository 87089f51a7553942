import { graphQLError } from './errors';

/** Page sizes follow Shopify's Admin API: 50 by default, 250 at most. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 250;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<TCursor> {
  /** Rows to fetch: one more than the page, to know whether there is a next page. */
  take: number;
  size: number;
  after: TCursor | null;
}

export interface Connection<T> {
  nodes: T[];
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Resolved only when asked for, so a page costs one COUNT only when a client wants it. */
  totalCount: () => Promise<number>;
}

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor<T>(cursor: string, isValid: (key: unknown) => key is T): T {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!isValid(key)) throw graphQLError('BAD_USER_INPUT', `Cursor ${JSON.stringify(cursor)} is not one this list gave out`, { argumentName: 'after' });
  return key;
}

export function readPage<TCursor>(args: PageArgs, isCursor: (key: unknown) => key is TCursor): Page<TCursor> {
  const size = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw graphQLError('BAD_USER_INPUT', `first must be between 0 and ${MAX_PAGE_SIZE}; got ${size}`, { argumentName: 'first' });
  }
  return { size, take: size + 1, after: args.after ? decodeCursor(args.after, isCursor) : null };
}

export function connection<T, TCursor>(
  rows: T[],
  page: Page<TCursor>,
  cursorOf: (row: T) => TCursor,
  totalCount: () => Promise<number>,
): Connection<T> {
  const nodes = rows.slice(0, page.size);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  let counted: Promise<number> | undefined;
  return {
    nodes,
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.size,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => (counted ??= totalCount()),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Cursor shapes: each list checks the whole cursor, so a forged one never reaches SQL. */
export const isString = (key: unknown): key is string => typeof key === 'string';
export const isSequenceId = (key: unknown): key is string => typeof key === 'string' && /^\d{1,18}$/.test(key);
export const isTextAndUuid = (key: unknown): key is [string, string] =>
  Array.isArray(key) && key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string' && UUID.test(key[1]);
export const isInstantAndUuid = (key: unknown): key is [string, string] =>
  isTextAndUuid(key) && ISO_INSTANT.test(key[0]) && !Number.isNaN(Date.parse(key[0]));
