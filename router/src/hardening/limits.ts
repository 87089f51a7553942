import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  Kind,
  Lexer,
  NoSchemaIntrospectionCustomRule,
  Source,
  TokenKind,
  TypeInfo,
  parse,
  specifiedRules,
  validate,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type ValidationRule,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * What one operation may ask for. The defaults admit every operation in the repository's tests,
 * docs, README and benchmarks (limits.test.ts checks them all) with room to spare.
 */
export interface QueryLimits {
  /** Deepest selection nesting (fragments flattened, introspection excluded). Deepest legitimate: 7. */
  maxDepth: number;
  /** Most aliases per operation (`__typename` free). Most in a legitimate one: 5. */
  maxAliases: number;
  /** Most directives per operation. */
  maxDirectives: number;
  /** Most lexical tokens per document: refused while parsing, before anything else. Largest legitimate: about 160. */
  maxTokens: number;
  /**
   * Highest estimated cost (GraphQL Armor's: objects 2, scalars 1, ×1.5 per level, a list's cost
   * × its `first`/`last`). Page sizes count whether literal, variables or the field's default.
   */
  maxCost: number;
  /** Answer `__schema` / `__type` queries. */
  introspection: boolean;
  /** Keep "Did you mean …?" in validation errors (they reveal field names even without introspection). */
  fieldSuggestions: boolean;
}

const production = () => process.env.NODE_ENV === 'production';

export const DEFAULT_QUERY_LIMITS: Omit<QueryLimits, 'introspection' | 'fieldSuggestions'> = {
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 1000,
  maxCost: 300_000,
};

/** Defaults, with introspection and field suggestions off when NODE_ENV=production. */
export function queryLimits(overrides: Partial<QueryLimits> = {}): QueryLimits {
  return { ...DEFAULT_QUERY_LIMITS, introspection: !production(), fieldSuggestions: !production(), ...overrides };
}

type ArmorConfig = NonNullable<ConstructorParameters<typeof ApolloArmor>[0]>;
type RejectCallback = NonNullable<NonNullable<ArmorConfig['maxDepth']>['onReject']>[number];

/** Armor's messages start "Syntax Error:" for every limit; ours say which limit and how to stay under it. */
function reporter(advice: string): { onReject: RejectCallback[]; propagateOnRejection: false } {
  return {
    propagateOnRejection: false,
    onReject: [
      (context, error) => {
        const message = `${error.message.replace(/^Syntax Error:\s*/, '').replace(/\.$/, '')}: ${advice}`;
        context?.reportError(limitError(message));
      },
    ],
  };
}

/** A refused operation: HTTP 400, code GRAPHQL_VALIDATION_FAILED (as Apollo gives Armor's refusals). */
export function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/** GraphQL Armor's depth, alias and directive rules for `limits` (fragments flattened, introspection not counted). */
export function limitRules(limits: Pick<QueryLimits, 'maxDepth' | 'maxAliases' | 'maxDirectives'>): readonly ValidationRule[] {
  return new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: true, ...reporter('nest fewer selections') },
    maxAliases: { n: limits.maxAliases, ...reporter('send fewer aliased fields, or several requests') },
    maxDirectives: { n: limits.maxDirectives, ...reporter('use fewer directives') },
    // Counted per request with the variables' page sizes instead (see costError).
    costLimit: { enabled: false },
    // Armor's Apollo token limit answers every syntax error with HTTP 500 (graphql-armor#751): see tokenLimitError.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect().validationRules;
}

/** GraphQL Armor's plugin masking "Did you mean …?" in error messages (they reveal the schema even without introspection). */
export function fieldSuggestionMasking(): ApolloServerPlugin<BaseContext>[] {
  const { plugins } = new ApolloArmor({ costLimit: { enabled: false }, maxTokens: { enabled: false }, maxDepth: { enabled: false }, maxAliases: { enabled: false }, maxDirectives: { enabled: false } }).protect();
  return plugins as ApolloServerPlugin<BaseContext>[];
}

/**
 * The refusal of a document with more than `maxTokens` lexical tokens, found by lexing alone (no
 * parse, no AST), stopping at the first token over; undefined when within (a lexing error is left
 * for the parser to report).
 */
export function tokenLimitError(query: string, maxTokens: number): GraphQLError | undefined {
  const lexer = new Lexer(new Source(query));
  try {
    for (let count = 0; lexer.advance().kind !== TokenKind.EOF; ) {
      count += 1;
      if (count > maxTokens) return limitError(`Token limit of ${maxTokens} exceeded: send a shorter document (pass values as variables)`);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

const PAGE_ARGUMENTS = new Set(['first', 'last']);

function intValue(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * The document with every list field's page size written out as a literal `first`/`last`: a
 * variable's value (or its default), else the field's own default. Armor's cost rule reads only
 * literals, so without this `locations(first: $n)` would count as one item whatever $n is.
 */
export function withPageSizes(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> = {}): DocumentNode {
  const defaults = new Map<string, unknown>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? ([] as VariableDefinitionNode[])) {
      if (variable.defaultValue?.kind === Kind.INT) defaults.set(variable.variable.name.value, Number(variable.defaultValue.value));
    }
  }
  const literal = (name: string, value: number): ArgumentNode => ({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value: { kind: Kind.INT, value: String(value) } });
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode): FieldNode | undefined {
        const definition = typeInfo.getFieldDef();
        if (!definition) return undefined;
        const args = [...(node.arguments ?? [])];
        let changed = false;
        for (const [index, arg] of args.entries()) {
          if (!PAGE_ARGUMENTS.has(arg.name.value) || arg.value.kind !== Kind.VARIABLE) continue;
          const name = arg.value.name.value;
          const size = intValue(variables[name]) ?? intValue(defaults.get(name));
          if (size !== undefined) {
            args[index] = literal(arg.name.value, size);
            changed = true;
          }
        }
        for (const pageArg of definition.args.filter((arg) => PAGE_ARGUMENTS.has(arg.name))) {
          const size = intValue(pageArg.defaultValue);
          if (size !== undefined && !args.some((arg) => arg.name.value === pageArg.name)) {
            args.push(literal(pageArg.name, size));
            changed = true;
          }
        }
        return changed ? { ...node, arguments: args } : undefined;
      },
    }),
  );
}

/**
 * Armor's cost rule, alone, reporting each operation's cost into `measured`. validate() runs
 * synchronously, so one rule and one slot serve every request.
 */
const measured = { highest: 0 };
const [costRule] = new ApolloArmor({
  costLimit: { maxCost: Number.MAX_SAFE_INTEGER, flattenFragments: true, ignoreIntrospection: true, propagateOnRejection: false, onAccept: [(_context, details: { n: number }) => void (measured.highest = Math.max(measured.highest, details.n))] },
  maxDepth: { enabled: false },
  maxAliases: { enabled: false },
  maxDirectives: { enabled: false },
  maxTokens: { enabled: false },
  blockFieldSuggestion: { enabled: false },
}).protect().validationRules;

/** The estimated cost of the costliest operation in `document`, page sizes included (see withPageSizes). */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, variables?: Record<string, unknown>): number {
  measured.highest = 0;
  validate(schema, withPageSizes(schema, document, variables), [costRule!]);
  return measured.highest;
}

/** The refusal of an operation over the cost limit; undefined when it is within. */
export function costError(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, maxCost: number): GraphQLError | undefined {
  const cost = operationCost(schema, document, variables);
  if (cost <= maxCost) return undefined;
  return limitError(`Query cost limit of ${maxCost} exceeded, found ${Math.ceil(cost)}: ask for smaller pages (first/last) or fewer nested lists`);
}

/**
 * Checks a parsed, valid document against the depth, alias, directive and cost limits: the first
 * refusal, or undefined. Depth, aliases and directives depend only on the document, so their
 * verdict is kept per document text (`cacheKey`); the cost depends on the variables too.
 */
export class DocumentLimits {
  private readonly rules: readonly ValidationRule[];
  private readonly verdicts = new Map<string, GraphQLError | null>();

  constructor(readonly limits: QueryLimits) {
    this.rules = limitRules(limits);
  }

  check(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, cacheKey?: string): GraphQLError | undefined {
    let verdict = cacheKey === undefined ? undefined : this.verdicts.get(cacheKey);
    if (verdict === undefined) {
      verdict = validate(schema, document, this.rules)[0] ?? null;
      if (cacheKey !== undefined) {
        if (this.verdicts.size >= 2_000) this.verdicts.delete(this.verdicts.keys().next().value!);
        this.verdicts.set(cacheKey, verdict);
      }
    }
    if (verdict) return limitError(verdict.message);
    return costError(schema, document, variables, this.limits.maxCost);
  }
}

/**
 * The limits for an operation that does not pass through ApolloServer (a subscription over
 * WebSocket): the parsed document, or the errors refusing it (tokens, syntax, validation, limits,
 * cost, introspection when off).
 */
export function checkOperation(schema: GraphQLSchema, query: string, variables: Record<string, unknown> | undefined, limits: QueryLimits): { document: DocumentNode } | { errors: GraphQLError[] } {
  const tooLong = tokenLimitError(query, limits.maxTokens);
  if (tooLong) return { errors: [tooLong] };
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    return { errors: [new GraphQLError((error as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
  }
  const rules = [...specifiedRules, ...(limits.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  let errors: readonly GraphQLError[];
  try {
    errors = validate(schema, document, rules);
  } catch (error) {
    // graphql-js throws on some invalid subscriptions instead of reporting them.
    errors = [error as GraphQLError];
  }
  if (errors.length) return { errors: errors.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) };
  const refused = new DocumentLimits(limits).check(schema, document, variables);
  return refused ? { errors: [refused] } : { document };
}
