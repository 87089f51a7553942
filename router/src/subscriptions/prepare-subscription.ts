import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  OperationTypeNode,
  print,
  visit,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import { badSubscriptionInput, LIVE_FIELDS, type LiveArgs, type LiveField } from './live-fields';

/** A validated subscription, ready to resolve its events as queries. */
export interface PreparedSubscription {
  field: LiveField;
  args: LiveArgs;
  /** The query that resolves one event: the subscription's selection under the field's lookup. */
  query: string;
  /** Variables the query uses, besides the event id. */
  variables: Record<string, unknown>;
  eventIdVariable: string;
  /** Where the event's data sits in a result: the root field's alias, or its name. */
  responseKey: string;
  /** The pieces `combined-query.ts` assembles queries from. */
  parts: {
    lookupField: string;
    directives: readonly DirectiveNode[];
    selectionSet: SelectionSetNode | undefined;
    fragments: FragmentDefinitionNode[];
    /** The client's variables the selection uses (not the event id). */
    variableDefinitions: VariableDefinitionNode[];
  };
  /** Subscriptions with the same key get the same result for an event: it is resolved once. */
  executionKey: string;
}



function rootField(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): FieldNode | undefined {
  const walk = (selectionSet: SelectionSetNode): FieldNode | undefined => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) return selection;
      const nested = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)?.selectionSet;
      const found = nested && walk(nested);
      if (found) return found;
    }
    return undefined;
  };
  return walk(operation.selectionSet);
}

/** JSON with object keys sorted, so the same variables in another order give the same key. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Names of the variables and fragments the root field's directives and selection use, following fragment spreads. */
function usedBy(field: FieldNode, fragments: Map<string, FragmentDefinitionNode>) {
  const variables = new Set<string>();
  const used = new Set<string>();
  const pending: (SelectionSetNode | DirectiveNode)[] = [...(field.directives ?? []), ...(field.selectionSet ? [field.selectionSet] : [])];
  while (pending.length) {
    visit(pending.pop()!, {
      Variable: (node) => void variables.add(node.name.value),
      FragmentSpread(node) {
        if (used.has(node.name.value)) return;
        used.add(node.name.value);
        const fragment = fragments.get(node.name.value);
        if (fragment) pending.push(fragment.selectionSet);
      },
    });
  }
  return { variables, fragments: used };
}

/**
 * Checks a subscription operation (already valid against the schema) and turns it into the
 * query the router runs per event: `subscription { stockChanged(locationId: …) { …sel } }`
 * becomes `query($eventId: ID!) { stockChanged: stockChange(id: $eventId) { …sel } }`, so every
 * field of the supergraph resolves through the normal query plan.
 */
export function prepareSubscription(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, rawVariables: Record<string, unknown> | null | undefined): PreparedSubscription | GraphQLError[] {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== 'subscription') return [new GraphQLError('Not a subscription operation')];
  const fragments = new Map(document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]));
  const field = rootField(operation, fragments);
  const live = field && LIVE_FIELDS[field.name.value];
  if (!field || !live) return [new GraphQLError(`Subscription.${field?.name.value ?? '?'} is not served by this router`)];
  const fieldDef = schema.getSubscriptionType()?.getFields()[field.name.value];
  if (!fieldDef) return [new GraphQLError(`Subscription.${field.name.value} is not in the schema`)];

  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) return coerced.errors.map((error) => badSubscriptionInput(error.message));
  let args: LiveArgs;
  try {
    args = getArgumentValues(fieldDef, field, coerced.coerced);
  } catch (error) {
    return [badSubscriptionInput((error as Error).message)];
  }
  const problems = live.check(args);
  if (problems.length) return problems.map(badSubscriptionInput);

  const used = usedBy(field, fragments);
  let eventIdVariable = 'joineryEventId';
  while ([...used.variables].some((name) => name.startsWith(eventIdVariable))) eventIdVariable = `_${eventIdVariable}`;
  const variableDefinitions: VariableDefinitionNode[] = [
    ...(operation.variableDefinitions ?? []).filter((definition) => used.variables.has(definition.variable.name.value)),
    {
      kind: Kind.VARIABLE_DEFINITION,
      variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: eventIdVariable } },
      type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
    },
  ];
  const lookup: FieldNode = {
    kind: Kind.FIELD,
    alias: field.alias ?? { kind: Kind.NAME, value: field.name.value },
    name: { kind: Kind.NAME, value: live.lookupField },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: eventIdVariable } } }],
    directives: field.directives,
    selectionSet: field.selectionSet,
  };
  const query: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      { kind: Kind.OPERATION_DEFINITION, operation: OperationTypeNode.QUERY, name: operation.name, variableDefinitions, directives: [], selectionSet: { kind: Kind.SELECTION_SET, selections: [lookup] } },
      ...[...fragments.values()].filter((fragment) => used.fragments.has(fragment.name.value)),
    ],
  };
  const variables = Object.fromEntries(Object.entries(rawVariables ?? {}).filter(([name]) => used.variables.has(name)));
  const text = print(query);
  const parts = {
    lookupField: live.lookupField,
    directives: field.directives ?? [],
    selectionSet: field.selectionSet,
    fragments: [...fragments.values()].filter((fragment) => used.fragments.has(fragment.name.value)),
    variableDefinitions: variableDefinitions.slice(0, -1),
  };
  return { field: live, args, query: text, variables, eventIdVariable, responseKey: lookup.alias!.value, parts, executionKey: `${text}\n${stableJson(variables)}` };
}
