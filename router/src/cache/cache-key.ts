import { createHash } from 'node:crypto';
import type { OperationDefinitionNode } from 'graphql';

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

/**
 * The variables an operation declares, from those a request sent. Others change nothing in the
 * answer, and in the key they would let a caller fill the cache with copies of one report.
 */
export function declaredVariables(operation: Pick<OperationDefinitionNode, 'variableDefinitions'>, sent: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const declared: Record<string, unknown> = {};
  if (!sent) return declared;
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (Object.prototype.hasOwnProperty.call(sent, name)) declared[name] = sent[name];
  }
  return declared;
}
