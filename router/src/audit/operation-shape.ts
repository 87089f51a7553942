import { createHmac } from 'node:crypto';
import {
  getNamedType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';

/**
 * The audit asks each mutation payload for its `userErrors { code }` under an alias of its own:
 * a client that does not select userErrors would otherwise make a refused mutation look like a
 * success in the log. The probe is removed from the response before the client sees it.
 *
 * The alias must be one no client can select itself, or a client could answer in the probe's
 * place (`<alias>: __typename` to look successful, `<alias>: userErrors { code: message }` to
 * write what it likes into the log) or have its own field taken out of its answer. So it is
 * `joineryAudit_` and an HMAC of the query's hash under a key that never leaves the process:
 * unguessable, and a document that spells out its own alias hashes to another one.
 *
 * It is not random per request because the gateway caches query plans under the hash of the
 * query text the client sent, not of the probed document: a plan cached with one request's
 * alias would fetch under a name that the next request's probed document does not select,
 * and the payloads' non-null `userErrors` would come back null. The same query text must be
 * probed the same way for as long as the process lives.
 */
export const USER_ERRORS_PROBE_PREFIX = 'joineryAudit_';

/** Every alias and field name that `document` uses anywhere. */
function namesIn(document: DocumentNode): Set<string> {
  const names = new Set<string>();
  visit(document, {
    Field(field) {
      names.add(field.name.value);
      if (field.alias) names.add(field.alias.value);
    },
  });
  return names;
}

/**
 * The probe alias for the query whose hash is `queryHash` (Apollo Server's `queryHash`, the key the
 * gateway caches plans under), keyed with `key`: the same for the same query and key, and never a
 * name the document already uses.
 */
export function probeAlias(key: Uint8Array | string, queryHash: string, document: DocumentNode): string {
  const taken = namesIn(document);
  for (let attempt = 0; ; attempt += 1) {
    const alias = USER_ERRORS_PROBE_PREFIX + createHmac('sha256', key).update(`${queryHash}:${attempt}`).digest('hex').slice(0, 32);
    if (!taken.has(alias)) return alias;
  }
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
}

/** Calls `onField` for each root field of `selectionSet`, through inline fragments and fragment spreads. */
function eachRootField(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, onField: (field: FieldNode) => void, seen = new Set<string>()): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) onField(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) eachRootField(selection.selectionSet, fragments, onField, seen);
    else if (!seen.has(selection.name.value)) {
      // A document that failed validation may spread a fragment into itself or one that is missing.
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) eachRootField(fragment.selectionSet, fragments, onField, seen);
    }
  }
}

/** The root field names an operation selects (not aliases; `__typename` left out), each once, in order. */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  return [...new Set(rootFields(document, operation).map((field) => field.name.value))];
}

/**
 * The root fields an operation selects (`__typename` left out), through fragments, one per
 * response key (alias or name), in order. Two selections under one key are one field: validation
 * has made them the same field with the same arguments.
 */
export function rootFields(document: DocumentNode, operation: OperationDefinitionNode): FieldNode[] {
  const byKey = new Map<string, FieldNode>();
  eachRootField(operation.selectionSet, fragmentsOf(document), (field) => {
    const key = responseKey(field);
    if (field.name.value !== '__typename' && !byKey.has(key)) byKey.set(key, field);
  });
  return [...byKey.values()];
}

/** Where a field's value is in `data`, and its errors' paths start: its alias, else its name. */
export function responseKey(field: FieldNode): string {
  return (field.alias ?? field.name).value;
}

/** Does `fieldName` of Mutation return a payload whose `userErrors` entries carry a `code`? */
function hasUserErrorCodes(schema: GraphQLSchema, fieldName: string): boolean {
  const payload = getNamedType(schema.getMutationType()?.getFields()[fieldName]?.type);
  if (!isObjectType(payload)) return false;
  const entry = getNamedType(payload.getFields().userErrors?.type);
  return isObjectType(entry) && 'code' in entry.getFields();
}

const probeField = (alias: string): FieldNode => ({
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: alias },
  name: { kind: Kind.NAME, value: 'userErrors' },
  selectionSet: { kind: Kind.SELECTION_SET, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: 'code' } }] },
});

export interface ProbedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Response keys (alias or name) of the root fields that now carry the probe. */
  responseKeys: string[];
  /** The alias the probe was selected under. */
  alias: string;
}

/**
 * A copy of the document in which every root field of the mutation that returns a payload with
 * `userErrors` also selects `<alias>: userErrors { code }` (`alias` from `probeAlias`), or null when
 * none does. The original document is left as it is: Apollo Server caches it for later requests.
 */
export function probeUserErrors(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, alias: string): ProbedOperation | null {
  const fragments = fragmentsOf(document);
  const probeSelection = probeField(alias);
  const responseKeys = new Set<string>();
  // Fragments spread at the root are root selections too (validation has ruled out cycles).
  const spreadAtRoot = new Set<string>();
  const pending: string[] = [];

  const probe = (selectionSet: SelectionSetNode): SelectionSetNode => ({
    ...selectionSet,
    selections: selectionSet.selections.map((selection) => {
      if (selection.kind === Kind.INLINE_FRAGMENT) return { ...selection, selectionSet: probe(selection.selectionSet) };
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        if (!spreadAtRoot.has(selection.name.value)) pending.push(selection.name.value);
        spreadAtRoot.add(selection.name.value);
        return selection;
      }
      if (!selection.selectionSet || !hasUserErrorCodes(schema, selection.name.value)) return selection;
      responseKeys.add(responseKey(selection));
      return { ...selection, selectionSet: { ...selection.selectionSet, selections: [...selection.selectionSet.selections, probeSelection] } };
    }),
  });

  const probedOperation: OperationDefinitionNode = { ...operation, selectionSet: probe(operation.selectionSet) };
  const probedFragments = new Map<string, FragmentDefinitionNode>();
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    const fragment = fragments.get(name);
    if (fragment) probedFragments.set(name, { ...fragment, selectionSet: probe(fragment.selectionSet) });
  }
  if (responseKeys.size === 0) return null;
  return {
    operation: probedOperation,
    responseKeys: [...responseKeys],
    alias,
    document: {
      ...document,
      definitions: document.definitions.map((definition) => {
        if (definition === operation) return probedOperation;
        if (definition.kind === Kind.FRAGMENT_DEFINITION) return probedFragments.get(definition.name.value) ?? definition;
        return definition;
      }),
    },
  };
}

/** Is `value` what `userErrors { code }` answers: a list of `{ code: string }`? */
function isProbeAnswer(value: unknown): value is { code: string }[] {
  return Array.isArray(value) && value.every((entry) => entry !== null && typeof entry === 'object' && typeof (entry as { code?: unknown }).code === 'string');
}

/**
 * The userErrors codes the probe (under `alias`) brought back in `data`, in order; removes the
 * probe from the payloads so the client receives exactly what it asked for. The alias is one the
 * client's document does not use (see `probeAlias`), so nothing of the client's is removed; and a
 * value of any other shape than `[{ code: string }]` is not taken for codes.
 */
export function takeProbedCodes(data: Record<string, unknown> | null | undefined, responseKeys: readonly string[], alias: string): string[] {
  const codes: string[] = [];
  const take = (payload: unknown): void => {
    if (Array.isArray(payload)) return payload.forEach(take);
    if (!payload || typeof payload !== 'object' || !Object.hasOwn(payload, alias)) return;
    const probed = (payload as Record<string, unknown>)[alias];
    delete (payload as Record<string, unknown>)[alias];
    if (isProbeAnswer(probed)) codes.push(...probed.map((entry) => entry.code));
  };
  for (const key of responseKeys) take(data?.[key]);
  return codes;
}
