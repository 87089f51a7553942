/**
 * The last step of executing a query plan: from the merged subgraph answers, keep what the client
 * selected, in its order, with __typename filled in, nulls bubbled up to the nearest nullable field
 * and bad leaf values reported. @apollo/gateway's `computeResponse` (resultShaping.js) does this by
 * walking the operation's selection objects for every value of every request, asking each
 * selection for its directives, definition and response name through layers of getters: a quarter
 * of the router's CPU on a nested query (docs/benchmarks.md).
 *
 * `compileShaper` walks the operation once and keeps plain records of what each selection needs;
 * `shape` then follows exactly the gateway's algorithm (same merge order, same null bubbling, same
 * errors with the same messages and paths) over those records. router/src/execution/
 * result-shaper.test.ts runs both on the same inputs and compares their results and errors.
 */
import {
  assert,
  ERRORS,
  isCompositeType,
  isCustomScalarType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  typenameFieldName,
  Variable,
  type CompositeType,
  type FieldSelection,
  type NamedType,
  type Operation,
  type OutputType,
  type Schema,
  type Selection,
  type SelectionSet,
} from '@apollo/federation-internals';
import type { GraphQLError } from 'graphql';

type Variables = Record<string, unknown>;

/** A @skip or @include on a selection: a literal, or a variable read at run time. */
interface Condition {
  skip: boolean;
  literal?: boolean;
  variable?: string;
  /** How the gateway names the directive in its assertion message. */
  text: string;
}

interface LeafType {
  kind: 'leaf';
  name: string;
  isValid: (value: unknown) => boolean;
}
interface CompositeTypeShape {
  kind: 'composite';
  name: string;
  type: CompositeType;
}
interface ListTypeShape {
  kind: 'list';
  name: string;
  of: TypeShape;
}
interface NonNullTypeShape {
  kind: 'nonNull';
  name: string;
  of: TypeShape;
}
type TypeShape = LeafType | CompositeTypeShape | ListTypeShape | NonNullTypeShape;

interface FieldStep {
  kind: 'field';
  conditions?: Condition[];
  responseName: string;
  /** A name Object.prototype also has (`constructor`, `toString`…): read as an own property only. */
  inherited: boolean;
  fieldName: string;
  introspection?: FieldSelection;
  type: TypeShape;
  selectionSet?: Step[];
}
interface FragmentStep {
  kind: 'fragment';
  conditions?: Condition[];
  typeCondition?: CompositeType;
  /** Whether the type condition holds, by the object's __typename (memoised as the schema's types are met). */
  appliesTo: Map<string, boolean>;
  /** Whether it holds for an object without __typename, by the parent type's name. */
  appliesToParent: Map<string, boolean>;
  selectionSet: Step[];
}
type Step = FieldStep | FragmentStep;

export interface CompiledShaper {
  readonly schema: Schema;
  readonly rootType: CompositeType;
  readonly steps: Step[];
  readonly defaultedVariables: Variables;
  readonly usesVariables: boolean;
  /** Whether the operation selects __schema or __type anywhere. */
  readonly hasIntrospection: boolean;
  /**
   * Output objects are plain `{}` (V8 gives objects of one shape a shared layout, cheaper to build
   * and to serialise than the gateway's `Object.create(null)` dictionaries), unless a response name
   * is `__proto__`, which only a prototype-less object can hold as a property.
   */
  readonly plainObjects: boolean;
}

const NULL_BUBBLE_UP = 1;
const OK = 0;

/** Compiles what `shape` needs from an operation; reusable for every request of that operation. */
export function compileShaper(operation: Operation): CompiledShaper {
  const schema = operation.schema();
  const state = { usesVariables: false, protoName: false, introspection: false, types: new Map<string, TypeShape>(), schema };
  const steps = compileSelectionSet(operation.selectionSet, state);
  return {
    schema,
    rootType: schema.schemaDefinition.rootType(operation.rootKind)!,
    steps,
    defaultedVariables: operation.collectDefaultedVariableValues(),
    usesVariables: state.usesVariables,
    plainObjects: !state.protoName,
    hasIntrospection: state.introspection,
  };
}

interface CompileState {
  introspection: boolean;
  usesVariables: boolean;
  protoName: boolean;
  types: Map<string, TypeShape>;
  schema: Schema;
}

function compileSelectionSet(selectionSet: SelectionSet, state: CompileState): Step[] {
  return selectionSet.selections().map((selection) => compileSelection(selection, state));
}

function compileConditions(selection: Selection, state: CompileState): Condition[] | undefined {
  const conditions: Condition[] = [];
  const skip = selection.element.appliedDirectivesOf(state.schema.skipDirective())[0];
  const include = selection.element.appliedDirectivesOf(state.schema.includeDirective())[0];
  for (const [directive, isSkip] of [[skip, true], [include, false]] as const) {
    if (!directive) continue;
    const value = (directive.arguments() as { if: unknown }).if;
    if (value instanceof Variable) {
      state.usesVariables = true;
      conditions.push({ skip: isSkip, variable: value.name, text: String(directive) });
    } else {
      conditions.push({ skip: isSkip, literal: value as boolean, text: String(directive) });
    }
  }
  return conditions.length ? conditions : undefined;
}

function compileSelection(selection: Selection, state: CompileState): Step {
  const conditions = compileConditions(selection, state);
  if (selection.kind === 'FieldSelection') {
    const field = selection.element;
    const responseName = field.responseName();
    if (responseName === '__proto__') state.protoName = true;
    const step: FieldStep = {
      kind: 'field',
      conditions,
      responseName,
      inherited: responseName in Object.prototype,
      fieldName: field.name,
      type: compileType(field.definition.type!, state),
    };
    if (field.definition.isSchemaIntrospectionField()) {
      step.introspection = selection;
      state.introspection = true;
    }
    else if (selection.selectionSet) step.selectionSet = compileSelectionSet(selection.selectionSet, state);
    return step;
  }
  return {
    kind: 'fragment',
    conditions,
    typeCondition: selection.element.typeCondition,
    appliesTo: new Map(),
    appliesToParent: new Map(),
    selectionSet: compileSelectionSet(selection.selectionSet, state),
  };
}

function compileType(type: OutputType, state: CompileState): TypeShape {
  const name = String(type);
  const known = state.types.get(name);
  if (known) return known;
  let shape: TypeShape;
  if (isNonNullType(type)) shape = { kind: 'nonNull', name, of: compileType(type.ofType, state) };
  else if (isListType(type)) shape = { kind: 'list', name, of: compileType(type.ofType, state) };
  else if (isCompositeType(type)) shape = { kind: 'composite', name, type };
  else shape = { kind: 'leaf', name, isValid: leafValidator(state.schema, type as NamedType) };
  state.types.set(name, shape);
  return shape;
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/** federation-internals' isValidLeafValue, with its type tests done once. */
function leafValidator(schema: Schema, type: NamedType): (value: unknown) => boolean {
  if (isCustomScalarType(type)) return () => true;
  const isBoolean = type === schema.booleanType();
  const isIntOrId = type === schema.intType() || type === schema.idType();
  const isFloat = type === schema.floatType();
  const isInt = type === schema.intType();
  const enumValues = isEnumType(type) ? new Set(type.values.map((value) => value.name)) : undefined;
  return (value) => {
    if (typeof value === 'boolean') return isBoolean;
    if (typeof value === 'number' && Number.isFinite(value)) {
      if (isIntOrId) return INTEGER.test(String(value));
      return isFloat;
    }
    if (typeof value === 'string') {
      if (enumValues) return enumValues.has(value);
      return !isBoolean && !isInt && !isFloat;
    }
    return false;
  };
}

interface Run {
  schema: Schema;
  variables: Variables;
  errors: GraphQLError[];
  introspectionHandling: (selection: FieldSelection) => unknown;
  /** Schema types by name, as met (the gateway looks them up for every object). */
  types: Map<string, NamedType | undefined>;
  plainObjects: boolean;
  /** Set by `update` beside its return value (saves an object per value). */
  invalid: boolean;
  hasErrors: boolean;
}

/** The gateway's computeResponse over a compiled operation: `{ data, errors }` exactly as it answers. */
export function shape(compiled: CompiledShaper, input: Record<string, unknown> | null | undefined, variables: Variables | undefined, introspectionHandling: (selection: FieldSelection) => unknown): { data: unknown; errors: GraphQLError[] } {
  if (!input) return { data: input, errors: [] };
  const run: Run = {
    schema: compiled.schema,
    variables: compiled.usesVariables ? { __proto__: null, ...compiled.defaultedVariables, ...variables } : (variables ?? {}),
    errors: [],
    introspectionHandling,
    plainObjects: compiled.plainObjects,
    types: new Map(),
    invalid: false,
    hasErrors: false,
  };
  const data = newObject(run);
  const result = applySelectionSet(run, input, compiled.steps, data, [], compiled.rootType);
  return { data: result === NULL_BUBBLE_UP ? null : data, errors: run.errors };
}

function newObject(run: Run): Record<string, unknown> {
  return run.plainObjects ? {} : (Object.create(null) as Record<string, unknown>);
}

function typeNamed(run: Run, name: string): NamedType | undefined {
  if (run.types.has(name)) return run.types.get(name);
  const type = run.schema.type(name);
  run.types.set(name, type);
  return type;
}

/** The gateway's shouldSkip: @skip first, then @include, each read only when needed. */
function skipped(run: Run, conditions: Condition[]): boolean {
  for (const condition of conditions) {
    let value: unknown = condition.literal;
    if (condition.variable !== undefined) {
      value = run.variables[condition.variable];
      assert(value !== undefined && typeof value === 'boolean', () => `Unexpected value ${value} for variable ${new Variable(condition.variable!)} of ${condition.text}`);
    }
    if (condition.skip ? value : !value) return true;
  }
  return false;
}

function fragmentApplies(run: Run, step: FragmentStep, typename: string | undefined, parentType: CompositeType): boolean {
  const condition = step.typeCondition;
  if (!condition) return true;
  if (!typename) {
    let applies = step.appliesToParent.get(parentType.name);
    if (applies === undefined) step.appliesToParent.set(parentType.name, (applies = isSubtype(condition, parentType)));
    return applies;
  }
  // Only names of the schema's types are remembered: a subgraph's answer may hold any string.
  const type = typeNamed(run, typename);
  if (!type) return false;
  let applies = step.appliesTo.get(typename);
  if (applies === undefined) step.appliesTo.set(typename, (applies = isSubtype(condition, type)));
  return applies;
}

function describeLast(path: (string | number)[], currentType: string, parentType: CompositeType): string {
  const element = path[path.length - 1];
  assert(element !== undefined, 'Should not have been called on an empty path');
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${currentType} at index ${element}`;
}

function applySelectionSet(run: Run, input: Record<string, unknown>, steps: Step[], output: Record<string, unknown>, path: (string | number)[], parentType: CompositeType): number {
  for (const step of steps) {
    if (step.conditions && skipped(run, step.conditions)) continue;
    if (step.kind === 'field') {
      const responseName = step.responseName;
      const outputValue = step.inherited && !Object.prototype.hasOwnProperty.call(output, responseName) ? undefined : output[responseName];
      if (step.introspection) {
        if (outputValue === undefined) output[responseName] = run.introspectionHandling(step.introspection);
        continue;
      }
      let inputValue = (Object.prototype.hasOwnProperty.call(input, responseName) ? input[responseName] : undefined) ?? null;
      if (step.fieldName === typenameFieldName) {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== typenameFieldName) inputValue = input[typenameFieldName] ?? null;
          const type = inputValue !== null && typeof inputValue === 'string' ? (typeNamed(run, inputValue) ?? parentType) : parentType;
          if (!isObjectType(type)) return NULL_BUBBLE_UP;
          output[responseName] = type.name;
        }
        continue;
      }
      path.push(responseName);
      const updated = update(run, outputValue, step.type, inputValue, step.selectionSet, path, parentType);
      output[responseName] = updated;
      path.pop();
      if (run.invalid) return NULL_BUBBLE_UP;
    } else {
      const typename = input[typenameFieldName];
      assert(!typename || typeof typename === 'string', () => `Got unexpected value for __typename: ${typename}`);
      if (fragmentApplies(run, step, typename as string | undefined, parentType)) {
        const result = applySelectionSet(run, input, step.selectionSet, output, path, step.typeCondition ?? parentType);
        if (result === NULL_BUBBLE_UP) return NULL_BUBBLE_UP;
      }
    }
  }
  return OK;
}

/** The gateway's updateOutputValue: returns `updated`, and sets run.invalid / run.hasErrors. */
function update(run: Run, outputValue: unknown, type: TypeShape, inputValue: unknown, selectionSet: Step[] | undefined, path: (string | number)[], parentType: CompositeType): unknown {
  assert(inputValue !== undefined, 'Should not pass undefined for `inputValue` to this method');
  run.invalid = false;
  run.hasErrors = false;
  if (outputValue === null || (outputValue !== undefined && !selectionSet)) return outputValue;
  if (type.kind === 'nonNull') {
    const updated = update(run, outputValue, type.of, inputValue, selectionSet, path, parentType);
    if (updated === null) {
      if (!run.hasErrors) run.errors.push(ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describeLast(path, type.of.name, parentType)}.`, { path: Array.from(path) }));
      run.invalid = true;
      run.hasErrors = true;
      return updated;
    }
    run.invalid = false;
    run.hasErrors = false;
    return updated;
  }
  if (inputValue === null) return null;
  if (type.kind === 'list') {
    assert(Array.isArray(inputValue), () => `Invalid non-list value ${inputValue} returned by subgraph for list type ${type.name}`);
    assert(outputValue === undefined || Array.isArray(outputValue), () => `Invalid non-list value ${outputValue} returned by subgraph for list type ${type.name}`);
    const outputList = (outputValue as unknown[] | undefined) ?? new Array(inputValue.length).fill(undefined);
    assert(inputValue.length === outputList.length, () => `[${inputValue}].length (${inputValue.length}) !== [${outputList}].length (${outputList.length})`);
    let shouldNullify = false;
    let hasErrors = false;
    const updated = new Array(outputList.length);
    for (let index = 0; index < outputList.length; index++) {
      path.push(index);
      updated[index] = update(run, outputList[index], type.of, inputValue[index], selectionSet, path, parentType);
      path.pop();
      shouldNullify ||= run.invalid;
      hasErrors ||= run.hasErrors;
    }
    run.invalid = false;
    run.hasErrors = hasErrors;
    return shouldNullify ? null : updated;
  }
  if (type.kind === 'composite') {
    assert(selectionSet, () => `Invalid empty selection set for composite type ${type.name}`);
    assert(typeof inputValue === 'object', () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type.name}`);
    assert(outputValue === undefined || typeof outputValue === 'object', () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type.name}`);
    const input = inputValue as Record<string, unknown>;
    const inputTypename = input[typenameFieldName];
    assert(inputTypename === undefined || typeof inputTypename === 'string', () => `Invalid non-string value ${inputTypename} for __typename at ${path}`);
    let objectType = type.type;
    if (inputTypename) {
      const named = typeNamed(run, inputTypename);
      if (!named || !isCompositeType(named)) {
        run.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describeLast(path, type.name, parentType)}.`, { path: Array.from(path) }));
        run.invalid = false;
        run.hasErrors = true;
        return null;
      }
      objectType = named;
    }
    const output = (outputValue as Record<string, unknown> | undefined) ?? newObject(run);
    const result = applySelectionSet(run, input, selectionSet, output, path, objectType);
    const bubbled = result === NULL_BUBBLE_UP;
    run.invalid = false;
    run.hasErrors = bubbled;
    return bubbled ? null : output;
  }
  assert(outputValue === undefined, () => `Excepted output to be undefined but got ${type.name} for type ${type.name}`);
  const valid = type.isValid(inputValue);
  if (!valid) run.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describeLast(path, type.name, parentType)}.`, { path: Array.from(path) }));
  run.invalid = false;
  run.hasErrors = !valid;
  return valid ? inputValue : null;
}
