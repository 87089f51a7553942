import { createHash } from 'node:crypto';

/** JSON with object keys in sorted order at every depth: equal values give equal text however their keys were ordered. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item) ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : item,
  );
}

/**
 * The key of one cached answer: the operation (normalised text and name), its variables and what
 * the caller may see (`scopeKey`: role and locations). Callers who may see different data never
 * share a key; callers of one scope see the same answers, so they share one.
 */
export function cacheKey(operation: { text: string; operationName?: string | null; variables?: Record<string, unknown> | null }, scope: string): string {
  return createHash('sha256')
    .update(stableJson([operation.text, operation.operationName ?? null, operation.variables ?? {}, scope]))
    .digest('base64url');
}
