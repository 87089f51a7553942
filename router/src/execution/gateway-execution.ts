/**
 * Puts the router's own execution in place inside @apollo/gateway, which keeps planning queries:
 *
 * - `executeQueryPlan` becomes plan-executor.ts's `executePlan` for the plans it runs (plain
 *   queries and mutations; anything else falls back to the gateway's function);
 * - `computeResponse`, which the gateway's own executeQueryPlan still calls on those fallbacks,
 *   becomes result-shaper.ts's compiled shaper.
 *
 * The gateway calls both through their modules' exports objects at call time
 * (`(0, executeQueryPlan_1.executeQueryPlan)(…)`, `(0, resultShaping_1.computeResponse)(…)`), so
 * replacing those exports reaches them. What an operation compiles to is kept per router by the
 * request's query hash and operation name, which the router's executor wrapper
 * (`withRouterExecution`) provides through an AsyncLocalStorage: anything executed outside that
 * wrapper keeps the gateway's own functions. @apollo/gateway, @apollo/query-planner and
 * @apollo/federation-internals are pinned to one exact version in package.json, and
 * gateway-execution.test.ts fails if the calls this relies on change.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { Operation, Schema } from '@apollo/federation-internals';
import type { QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { canExecute, compileOperation, executePlan, type CompiledOperation, type ExecutionRequest, type OperationContext } from './plan-executor';
import { compileShaper, shape, type CompiledShaper } from './result-shaper';

type ComputeResponse = ((args: { operation: Operation; variables?: Record<string, unknown>; input: Record<string, unknown> | null | undefined; introspectionHandling: (selection: never) => unknown }) => { data: unknown; errors: unknown[] }) & { routerOwn?: true };
type ExecuteQueryPlan = ((plan: QueryPlan, services: Record<string, never>, requestContext: ExecutionRequest, operationContext: OperationContext, supergraphSchema: Schema, apiSchema: Schema, telemetry: unknown) => Promise<unknown>) & { routerOwn?: true };

const require = createRequire(import.meta.url);
const resultShaping = require('@apollo/gateway/dist/resultShaping.js') as { computeResponse: ComputeResponse };
const queryPlanExecution = require('@apollo/gateway/dist/executeQueryPlan.js') as { executeQueryPlan: ExecuteQueryPlan };

interface ExecutionScope {
  operations: Map<string, CompiledOperation>;
  shapers: Map<string, CompiledShaper>;
  key: string;
}

const scopes = new AsyncLocalStorage<ExecutionScope>();
/** Operations whose compiled forms one router keeps; past it the oldest go first. */
const MAX_COMPILED_OPERATIONS = 1_000;
const counts = { plans: 0, shapes: 0 };

function remember<T>(map: Map<string, T>, key: string, value: T): T {
  if (map.size >= MAX_COMPILED_OPERATIONS) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}

if (!queryPlanExecution.executeQueryPlan.routerOwn) {
  const gatewayExecuteQueryPlan = queryPlanExecution.executeQueryPlan;
  const routerExecuteQueryPlan: ExecuteQueryPlan = (plan, services, requestContext, operationContext, supergraphSchema, apiSchema, telemetry) => {
    const scope = scopes.getStore();
    if (!scope) return gatewayExecuteQueryPlan(plan, services, requestContext, operationContext, supergraphSchema, apiSchema, telemetry);
    let compiled: CompiledOperation | undefined;
    // A supergraph update brings a new API schema: what was compiled against the old one goes.
    const operation = () => {
      compiled = scope.operations.get(scope.key);
      if (!compiled || compiled.schema !== apiSchema) compiled = remember(scope.operations, scope.key, compileOperation(apiSchema, operationContext));
      return compiled;
    };
    let usable: boolean;
    try {
      usable = canExecute(plan, requestContext, operation());
    } catch {
      // The operation does not build (the gateway answers it with errors): the gateway's path says so.
      usable = false;
    }
    if (!usable) return gatewayExecuteQueryPlan(plan, services, requestContext, operationContext, supergraphSchema, apiSchema, telemetry);
    counts.plans++;
    return executePlan(plan, services, requestContext, supergraphSchema, () => compiled!, telemetry);
  };
  routerExecuteQueryPlan.routerOwn = true;
  queryPlanExecution.executeQueryPlan = routerExecuteQueryPlan;
}

if (!resultShaping.computeResponse.routerOwn) {
  const gatewayComputeResponse = resultShaping.computeResponse;
  const routerComputeResponse: ComputeResponse = (args) => {
    const scope = scopes.getStore();
    if (!scope) return gatewayComputeResponse(args);
    let compiled = scope.shapers.get(scope.key);
    if (!compiled || compiled.schema !== args.operation.schema()) compiled = remember(scope.shapers, scope.key, compileShaper(args.operation));
    counts.shapes++;
    return shape(compiled, args.input, args.variables, args.introspectionHandling as never);
  };
  routerComputeResponse.routerOwn = true;
  resultShaping.computeResponse = routerComputeResponse;
}

/** Whether the gateway now executes through the router's functions (for the tests). */
export function routerExecutionInstalled(): boolean {
  return queryPlanExecution.executeQueryPlan.routerOwn === true && resultShaping.computeResponse.routerOwn === true;
}

/** How many plans the router's executor ran, and results the gateway's executor shaped with a compiled shaper, in this process. */
export function routerExecutionCounts(): { plans: number; shapes: number } {
  return { ...counts };
}

/** The contexts of requests whose operation is not a query (mutations): their subgraph reads are not shared. */
const writing = new WeakSet<object>();

/** Whether the request a subgraph call serves (by its context) runs a query, as opposed to a mutation. */
export function servesQuery(context: unknown): boolean {
  return !(typeof context === 'object' && context !== null && writing.has(context));
}

/** Wraps a gateway's executor so the operations it runs use the router's execution (see above). */
export function withRouterExecution(executor: GatewayExecutor): GatewayExecutor {
  const operations = new Map<string, CompiledOperation>();
  const shapers = new Map<string, CompiledShaper>();
  return (requestContext: GatewayGraphQLRequestContext) => {
    if (requestContext.operation?.operation !== 'query' && typeof requestContext.context === 'object' && requestContext.context !== null) writing.add(requestContext.context);
    return scopes.run({ operations, shapers, key: `${requestContext.queryHash}\u0000${requestContext.request.operationName ?? ''}` }, () => executor(requestContext));
  };
}
