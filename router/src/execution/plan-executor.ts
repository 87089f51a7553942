/**
 * Runs a query plan: the router's own executor for the plans of plain queries and mutations, in
 * place of @apollo/gateway's executeQueryPlan (which stays in use for everything else: @defer,
 * subscriptions, @fromContext rewrites, federated tracing). Written from the query plan format
 * (@apollo/query-planner's QueryPlan.d.ts) and the gateway's observable behaviour:
 *
 * - The operation is turned into federation-internals' form and its result shaper compiled once
 *   per operation (the gateway rebuilds both for every request); see compiled-result-shaping.ts.
 * - For each fetch, which response fields make up an entity's representation is compiled once
 *   per plan node, and entities are gathered along a Flatten path with one reused array instead of
 *   an array per step.
 * - Answers, errors (message, code, serviceName and the path in the client's response), rewrites,
 *   merging and the `gateway.execute` / `gateway.fetch` / `gateway.postprocessing` spans are as
 *   the gateway makes them: plan-executor.test.ts runs both executors on the same plans and
 *   subgraph answers, errors included, and compares what they return.
 */
import { createRequire } from 'node:module';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { assert, ERRORS, errorCodeDef, operationFromDocument, type Operation, type Schema } from '@apollo/federation-internals';
import { evaluateCondition, type FetchNode, type PlanNode, type QueryPlan, type QueryPlanSelectionNode } from '@apollo/query-planner';
import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { compileShaper, shape, type CompiledShaper } from './result-shaper';

const require = createRequire(import.meta.url);
const { applyRewrites, isObjectOfType } = require('@apollo/gateway/dist/dataRewrites.js') as {
  applyRewrites: (schema: Schema, rewrites: FetchNode['outputRewrites'], value: unknown) => void;
  isObjectOfType: (schema: Schema, value: Record<string, unknown>, typeCondition: string) => boolean;
};
const { deepMerge } = require('@apollo/gateway/dist/utilities/deepMerge.js') as { deepMerge: (target: unknown, source: unknown) => unknown };
const telemetry = require('@apollo/gateway/dist/utilities/opentelemetry.js') as {
  tracer: { startActiveSpan<T>(name: string, ...args: unknown[]): T };
  recordExceptions: (span: Span, errors: readonly unknown[], config: unknown) => void;
  OpenTelemetrySpanNames: { EXECUTE: string; FETCH: string; POST_PROCESSING: string };
};
const { tracer, recordExceptions, OpenTelemetrySpanNames: SPAN } = telemetry;

type Data = Record<string, unknown>;
type ResponsePath = (string | number)[];

/** What the gateway hands executeQueryPlan about the request (the parts used here). */
export interface ExecutionRequest {
  request: { variables?: Record<string, unknown> };
  context: unknown;
  metrics: { captureTraces?: boolean; nonFtv1ErrorPaths?: { subgraph: string; path: unknown }[] };
  logger?: { error(message: string): void };
}
export interface OperationContext {
  schema: unknown;
  operation: OperationDefinitionNode;
  fragments: Record<string, unknown>;
}
interface DataSource {
  process(options: Record<string, unknown>): Promise<{ data?: Data | null; errors?: GraphQLError[]; extensions?: Record<string, unknown> }>;
}

/** An operation's forms that every request of it shares. */
export interface CompiledOperation {
  schema: Schema;
  operation: Operation;
  shaper: CompiledShaper;
}

/** Compiles an operation against the API schema, as the gateway does per request (without validation: done before). */
export function compileOperation(apiSchema: Schema, operationContext: OperationContext): CompiledOperation {
  const document = { kind: Kind.DOCUMENT, definitions: [operationContext.operation, ...Object.values(operationContext.fragments)] } as DocumentNode;
  const operation = operationFromDocument(apiSchema, document, { validate: false });
  return { schema: apiSchema, operation, shaper: compileShaper(operation) };
}

/** Whether this executor runs `plan` the gateway's way; if not, the gateway's own executor does. */
export function canExecute(plan: QueryPlan, requestContext: ExecutionRequest, operation: CompiledOperation): boolean {
  // Introspection fields are answered inside result shaping by the gateway's own machinery.
  if (requestContext.metrics?.captureTraces || operation.shaper.hasIntrospection) return false;
  return !plan.node || supported(plan.node as PlanNode);
}

function supported(node: PlanNode): boolean {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return node.nodes.every(supported);
    case 'Flatten':
      return supported(node.node);
    case 'Fetch':
      return !node.contextRewrites?.length && !node.hasDefers;
    case 'Condition':
      return (!node.ifClause || supported(node.ifClause)) && (!node.elseClause || supported(node.elseClause));
    default:
      return false;
  }
}

interface Execution {
  operation: CompiledOperation;
  services: Record<string, DataSource>;
  requestContext: ExecutionRequest;
  supergraphSchema: Schema;
  errors: GraphQLError[];
}

interface Cursor {
  path: ResponsePath;
  data: unknown;
  fullResult: Data;
}

/** executeQueryPlan's contract: `{ data }`, `{ errors, data }`, or `{ errors }` when the operation cannot be built. */
export async function executePlan(plan: QueryPlan, services: Record<string, DataSource>, requestContext: ExecutionRequest, supergraphSchema: Schema, compiled: () => CompiledOperation, telemetryConfig: unknown): Promise<{ data?: unknown; errors?: GraphQLError[]; extensions?: Record<string, unknown> }> {
  return tracer.startActiveSpan(SPAN.EXECUTE, async (span: Span) => {
    try {
      let operation: CompiledOperation;
      try {
        operation = compiled();
      } catch (error) {
        if (error instanceof GraphQLError) return { errors: [error] };
        throw error;
      }
      const execution: Execution = { operation, services, requestContext, supergraphSchema, errors: [] };
      const data = Object.create(null) as Data;
      if (plan.node) await executeNode(execution, plan.node as PlanNode, { path: [], data, fullResult: data }, telemetryConfig);
      type Result = { data?: unknown; errors?: GraphQLError[]; extensions?: Record<string, unknown> };
      const result = tracer.startActiveSpan<Result>(SPAN.POST_PROCESSING, (postSpan: Span): Result => {
        try {
          const shaped = shape(operation.shaper, data, requestContext.request.variables, () => {
            throw new Error('operations with introspection fields are executed by the gateway (see canExecute)');
          });
          if (execution.errors.length === 0 && shaped.errors.length > 0) {
            markFailed(postSpan, shaped.errors, telemetryConfig);
            return { extensions: { valueCompletion: shaped.errors }, data: shaped.data };
          }
          return execution.errors.length === 0 ? { data: shaped.data } : { errors: execution.errors, data: shaped.data };
        } catch (error) {
          markFailed(postSpan, [error], telemetryConfig);
          if (error instanceof GraphQLError) return { errors: [error] };
          if (error instanceof Error) return { errors: [new GraphQLError(error.message, { originalError: error })] };
          requestContext.logger?.error(`Unexpected error during query plan execution: ${error}`);
          return { errors: [new GraphQLError('Unexpected error during query plan execution')] };
        } finally {
          postSpan.end();
        }
      });
      if (result.errors) markFailed(span, result.errors, telemetryConfig);
      return result;
    } catch (error) {
      markFailed(span, [error], telemetryConfig);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span's errors recorded and its status set to error, as the gateway marks its own spans. */
function markFailed(span: Span, errors: readonly unknown[], telemetryConfig: unknown): void {
  recordExceptions(span, errors, telemetryConfig);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

async function executeNode(execution: Execution, node: PlanNode, cursor: Cursor | undefined, telemetryConfig: unknown): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executeNode(execution, child, cursor, telemetryConfig);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executeNode(execution, child, cursor, telemetryConfig)));
      return;
    case 'Flatten': {
      const data = valuesAt(cursor.data, node.path);
      return executeNode(execution, node.node, data ? { path: cursor.path.concat(node.path), data, fullResult: cursor.fullResult } : undefined, telemetryConfig);
    }
    case 'Fetch':
      try {
        await executeFetch(execution, node, cursor, telemetryConfig);
      } catch (error) {
        execution.errors.push(error as GraphQLError);
      }
      return;
    case 'Condition': {
      const branch = evaluateCondition(node, execution.operation.operation.variableDefinitions, execution.requestContext.request.variables) ? node.ifClause : node.elseClause;
      if (branch) await executeNode(execution, branch, cursor, telemetryConfig);
      return;
    }
    default:
      throw new Error(`plan node ${(node as { kind: string }).kind} is executed by the gateway`);
  }
}

/**
 * The values at `path` below `value`, `@` standing for every element of a list (what each element
 * gives is spread one level, as flatMap does), as the gateway's flattenResultsAtPath answers them,
 * without an array per step.
 */
function valuesAt(value: unknown, path: ResponsePath, index = 0): unknown {
  if (index === path.length || value === undefined || value === null) return value;
  const key = path[index];
  if (key === '@') {
    // What the gateway's `value.flatMap` does with a value that is not a list.
    if (!Array.isArray(value)) throw new TypeError('value.flatMap is not a function');
    const out: unknown[] = [];
    for (const element of value) {
      const below = valuesAt(element, path, index + 1);
      if (Array.isArray(below)) for (const item of below) out.push(item);
      else out.push(below);
    }
    return out;
  }
  assert(typeof key === 'string', () => `Unexpected ${typeof key} found in path`);
  assert(!Array.isArray(value), () => `Unexpected array in result for path element ${key}`);
  return valuesAt(Object.prototype.hasOwnProperty.call(value, key) ? (value as Data)[key] : undefined, path, index + 1);
}

async function executeFetch(execution: Execution, fetch: FetchNode, cursor: Cursor, telemetryConfig: unknown): Promise<void> {
  const service = execution.services[fetch.serviceName];
  return tracer.startActiveSpan(SPAN.FETCH, { attributes: { service: fetch.serviceName } }, async (span: Span) => {
    try {
      if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
      const entities = Array.isArray(cursor.data) ? (cursor.data as unknown[]).filter((entity) => entity !== null && entity !== undefined) : [cursor.data];
      if (entities.length < 1) return;
      const variables = Object.create(null) as Record<string, unknown>;
      const provided = execution.requestContext.request.variables;
      for (const name of fetch.variableUsages ?? []) {
        if (provided && Object.prototype.hasOwnProperty.call(provided, name) && provided[name] !== undefined) variables[name] = provided[name];
      }
      if (!fetch.requires) {
        const received = await send(execution, fetch, cursor, service, variables);
        if (received) applyRewrites(execution.supergraphSchema, fetch.outputRewrites, received);
        for (const entity of entities) deepMerge(entity, received);
        return;
      }
      const representations: Data[] = [];
      const owners: number[] = [];
      const build = representationBuilder(execution.supergraphSchema, fetch);
      for (let index = 0; index < entities.length; index++) {
        const representation = build(entities[index]);
        if (representation && representation.__typename) {
          applyRewrites(execution.supergraphSchema, fetch.inputRewrites, representation);
          representations.push(representation);
          owners.push(index);
        }
      }
      if (representations.length < 1) return;
      if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');
      const received = await send(execution, fetch, cursor, service, { ...variables, representations });
      if (!received) return;
      const answered = received._entities;
      if (!Array.isArray(answered)) throw new Error('Expected "data._entities" in response to be an array');
      if (answered.length !== representations.length) throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
      // As the gateway: one pass over `entities.length`, matching answers to their owners by position.
      for (let index = 0; index < entities.length; index++) {
        const entity = answered[index] as Data | null | undefined;
        const owner = entities[owners[index]!] as Data;
        if (entity && !entity.__typename) entity.__typename = owner.__typename;
        applyRewrites(execution.supergraphSchema, fetch.outputRewrites, entity);
        deepMerge(owner, entity);
      }
    } catch (error) {
      markFailed(span, [error], telemetryConfig);
      throw error;
    } finally {
      span.end();
    }
  });
}

async function send(execution: Execution, fetch: FetchNode, cursor: Cursor, service: DataSource, variables: Record<string, unknown>): Promise<Data | null | undefined> {
  const { requestContext } = execution;
  const response = await service.process({
    kind: 'incoming operation',
    request: { query: fetch.operation, variables, operationName: fetch.operationName, http: undefined },
    incomingRequestContext: requestContext,
    context: requestContext.context,
    document: fetch.operationDocumentNode,
    pathInIncomingRequest: cursor.path,
  });
  if (response.errors) {
    const pathOf = errorPaths(fetch, cursor);
    execution.errors.push(...response.errors.map((error) => downstreamError(error, fetch.serviceName, pathOf)));
    if (!response.extensions?.ftv1) {
      const paths = response.errors.map((error) => ({ subgraph: fetch.serviceName, path: error.path }));
      if (requestContext.metrics.nonFtv1ErrorPaths) requestContext.metrics.nonFtv1ErrorPaths.push(...paths);
      else requestContext.metrics.nonFtv1ErrorPaths = paths;
    }
  }
  return response.data;
}

/** A subgraph error as the client sees it: its path in the client's response, and the subgraph named. */
function downstreamError(error: GraphQLError, serviceName: string, pathOf: (path: readonly (string | number)[] | undefined) => ResponsePath | undefined): GraphQLError {
  const message = error.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = { originalError: error, path: pathOf(error.path), extensions: { ...error.extensions, serviceName } };
  const codeDef = errorCodeDef(error);
  if (!codeDef && error.extensions?.code) return new GraphQLError(message, options);
  return (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}

/** Maps a subgraph error's path to the client's response: `_entities` indexes to where those entities sit. */
function errorPaths(fetch: FetchNode, cursor: Cursor) {
  let entityPaths: ResponsePath[] | undefined;
  return (path: readonly (string | number)[] | undefined): ResponsePath | undefined => {
    if (fetch.requires && typeof path?.[1] === 'number') {
      if (!entityPaths) {
        entityPaths = [];
        pathsOf([], cursor.path, cursor.fullResult, entityPaths);
      }
      return [...(entityPaths[path[1]] ?? []), ...path.slice(2)];
    }
    return path ? [...cursor.path, ...path] : undefined;
  };
}

/** Every concrete path (list indexes in place of `@`) that `path` reaches in `data`. */
function pathsOf(parent: ResponsePath, path: ResponsePath, data: unknown, into: ResponsePath[]): void {
  if (data === null || data === undefined) return;
  const head = path[0];
  if (head === undefined || head === null) {
    into.push(parent.slice());
  } else if (head === '@') {
    assert(Array.isArray(data), 'expected array when encountering `@`');
    data.forEach((value, index) => {
      parent.push(index);
      pathsOf(parent, path.slice(1), value, into);
      parent.pop();
    });
  } else if (typeof head === 'string') {
    if (Array.isArray(data)) {
      data.forEach((value, index) => {
        parent.push(index);
        pathsOf(parent, path, value, into);
        parent.pop();
      });
    } else if (Object.prototype.hasOwnProperty.call(data, head)) {
      parent.push(head);
      pathsOf(parent, path.slice(1), (data as Data)[head], into);
      parent.pop();
    }
  } else {
    assert(false, `unknown path part "${head}"`);
  }
}

type Builder = (source: unknown) => Data | null;
const builders = new WeakMap<FetchNode, Builder>();

/** Builds an entity's representation from the fields a fetch `requires`, compiled once per plan node. */
function representationBuilder(schema: Schema, fetch: FetchNode): Builder {
  let builder = builders.get(fetch);
  if (!builder) {
    builder = compileSelections(schema, fetch.requires!);
    builders.set(fetch, builder);
  }
  return builder;
}

/**
 * The gateway's executeSelectionSet over `selections`: a field missing from the source makes the
 * whole representation null; an inline fragment applies when the source is of its type.
 */
function compileSelections(schema: Schema, selections: readonly QueryPlanSelectionNode[]): Builder {
  const steps = selections.map((selection) => {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      return { kind: 'field' as const, name, nested: selection.selections ? compileSelections(schema, selection.selections) : undefined };
    }
    return { kind: 'fragment' as const, typeCondition: selection.typeCondition, nested: compileSelections(schema, selection.selections) };
  });
  // Plain objects (cheaper to build and serialise) unless a name is `__proto__`, which only a prototype-less object holds as a property.
  const plain = !selections.some((selection) => selection.kind === 'Field' && (selection.alias ?? selection.name) === '__proto__');
  const build: Builder = (source) => {
    if (source === null) return null;
    const result = (plain ? {} : Object.create(null)) as Data;
    for (const step of steps) {
      if (step.kind === 'field') {
        const value = Object.prototype.hasOwnProperty.call(source, step.name) ? (source as Data)[step.name] : undefined;
        if (value === undefined) return null;
        if (Array.isArray(value)) result[step.name] = step.nested ? value.map((element) => step.nested!(element)) : value;
        else result[step.name] = step.nested ? step.nested(value) : value;
      } else {
        if (!step.typeCondition || !source) continue;
        if (isObjectOfType(schema, source as Data, step.typeCondition)) deepMerge(result, step.nested(source));
      }
    }
    return result;
  };
  return build;
}
