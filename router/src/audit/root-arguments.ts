import {
  getArgumentValues,
  getVariableValues,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { rootFields } from './operation-shape';
import { redactSecrets } from './redact';

/**
 * How a root field is named in the recorded arguments: its name, or `alias: name` when aliased.
 * The alias alone is the client's choice and could pass one field off as another; the name alone
 * would merge two aliased calls of one field.
 */
export function argumentsKey(field: FieldNode): string {
  return field.alias ? `${field.alias.value}: ${field.name.value}` : field.name.value;
}

/** The arguments as written, with variables put in: for a field or variables that did not validate. */
function writtenArguments(field: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries((field.arguments ?? []).map((argument) => [argument.name.value, valueFromASTUntyped(argument.value, variables)]));
}

/**
 * Each root field's arguments as its resolver receives them, whether written inline or passed as
 * variables, defaults included, secrets and URLs redacted (redact.ts):
 * `{ "createLocation": { "input": { … } }, "b: createLocation": { … } }`.
 *
 * The arguments, not the request's variables, are what says what a mutation was asked to do:
 * variables miss everything written inline, and their names are the client's own (a variable
 * called `$token` is redacted whole, whatever it holds). Argument names come from the schema.
 * A request that did not validate is recorded with its arguments as written.
 */
export function rootArguments(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): Record<string, unknown> {
  const raw = variables ?? {};
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], raw);
  const fields = schema.getMutationType()?.getFields() ?? {};
  const recorded: Record<string, unknown> = {};
  for (const field of rootFields(document, operation)) {
    const definition = fields[field.name.value];
    let values: Record<string, unknown>;
    try {
      values = definition && coerced.coerced ? getArgumentValues(definition, field, coerced.coerced) : writtenArguments(field, raw);
    } catch {
      // An argument of the wrong type, or a required one missing: validation refused the request.
      values = writtenArguments(field, raw);
    }
    recorded[argumentsKey(field)] = redactSecrets(values);
  }
  return recorded;
}
