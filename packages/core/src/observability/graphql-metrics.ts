import type { ApolloServerPlugin, BaseContext, GraphQLRequestContextWillSendResponse, GraphQLRequestListener } from '@apollo/server';
import { counter, histogram } from './metrics';

const requests = counter(
  'joinery_graphql_requests_total',
  'GraphQL operations answered, by service, operation name, operation type and outcome (success, errors, refused)',
  ['service', 'operation', 'operation_type', 'outcome'],
);
const durations = histogram('joinery_graphql_request_duration_seconds', 'Time from the start of GraphQL processing to the response, by service and operation name', ['service', 'operation']);
const httpErrors = counter(
  'joinery_http_error_responses_total',
  'Requests the HTTP layer answered itself with an error, before or instead of a GraphQL result (401, 413, 429, 504…), by service and status',
  ['service', 'status'],
);

/** Operation names one service keeps as labels; names first seen beyond it are counted as `other`. */
export const MAX_OPERATION_NAMES = 200;
const VALID_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * Turns operation names into label values. Names are chosen by clients, so the set of values is
 * capped: none → `anonymous`; longer than 64 characters or not a GraphQL name → `invalid`; a new
 * name once `max` are known → `other`.
 */
export function operationLabels(max = MAX_OPERATION_NAMES): (name: string | null | undefined) => string {
  const known = new Set<string>();
  return (name) => {
    if (!name) return 'anonymous';
    if (known.has(name)) return name;
    if (name.length > 64 || !VALID_NAME.test(name)) return 'invalid';
    if (known.size >= max) return 'other';
    known.add(name);
    return name;
  };
}

/**
 * success: no errors; errors: it ran and some of it failed (partial data included); refused: it
 * never ran (parse, validation, admission: the response has no `data`, as the spec says).
 */
function outcomeOf(requestContext: GraphQLRequestContextWillSendResponse<BaseContext>): 'success' | 'errors' | 'refused' {
  const body = requestContext.response.body;
  const result = body.kind === 'single' ? body.singleResult : body.initialResult;
  if (!result.errors?.length) return 'success';
  return result.data === undefined ? 'refused' : 'errors';
}

export interface GraphQLMetricsOptions<TContext extends BaseContext> {
  /** Operations not to count, e.g. the router's own internal ones. Default: none. */
  skip?: (contextValue: TContext) => boolean;
}

// On the request context rather than in a closure: one listener object serves every request.
const STARTED = Symbol('joinery.metrics.started');
type Timed = { [STARTED]?: number };

/**
 * Counts every GraphQL operation `service` answers (joinery_graphql_requests_total) and times it
 * (joinery_graphql_request_duration_seconds). Costs one timestamp and two label lookups per request.
 */
export function graphqlMetricsPlugin<TContext extends BaseContext>(service: string, options: GraphQLMetricsOptions<TContext> = {}): ApolloServerPlugin<TContext> {
  const operationLabel = operationLabels();
  const listener: GraphQLRequestListener<TContext> = {
    async willSendResponse(requestContext) {
      if (options.skip?.(requestContext.contextValue)) return;
      const operation = operationLabel(requestContext.operationName ?? requestContext.request.operationName);
      const seconds = (performance.now() - ((requestContext as Timed)[STARTED] ?? performance.now())) / 1000;
      requests.inc({ service, operation, operation_type: requestContext.operation?.operation ?? 'unknown', outcome: outcomeOf(requestContext as GraphQLRequestContextWillSendResponse<BaseContext>) });
      durations.observe({ service, operation }, seconds);
    },
  };
  return {
    async requestDidStart(requestContext) {
      (requestContext as Timed)[STARTED] = performance.now();
      return listener;
    },
  };
}

/** Counts a response the HTTP layer sent itself with an error `status` (see joinery_http_error_responses_total). */
export function countHttpError(service: string, status: number): void {
  httpErrors.inc({ service, status: String(status) });
}
