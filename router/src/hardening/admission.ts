import type { ApolloServerPlugin, BaseContext, GraphQLRequest } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { DocumentLimits, tokenLimitError, type QueryLimits } from './limits';
import type { PersistedOperations } from './persisted-operations';

/**
 * Marks a context whose operation the router wrote itself (the subscription hub's event
 * resolutions, which batch many subscribers into one aliased query): the persisted list and the
 * limits do not apply to it. Clients never choose a context, so they cannot set it.
 */
export const TRUSTED_OPERATION = Symbol('joinery.trustedOperation');

function trusted(contextValue: unknown): boolean {
  return Boolean((contextValue as { [TRUSTED_OPERATION]?: boolean } | undefined)?.[TRUSTED_OPERATION]);
}

/**
 * What the router lets run, checked for every client operation (HTTP, and queries or mutations
 * over WebSocket) on each request, never from a cache another request filled:
 * 1. the persisted operation list (an id becomes its body; enforce mode refuses the rest);
 * 2. the token limit, by lexing, before Apollo parses anything;
 * 3. once parsed and valid: depth, aliases, directives (GraphQL Armor) and cost (with the variables).
 * Apollo answers HTTP 400 only from its later hooks, so a refusal found before parsing swaps in a
 * trivial stand-in document and is thrown once that document is resolved, before anything runs.
 * Subscriptions never reach ApolloServer: the WebSocket server applies the same rules with
 * `checkOperation` and `PersistedOperations.resolve` (subscriptions/admission.ts).
 */
export function admissionPlugin(options: { limits: QueryLimits; persisted?: PersistedOperations }): ApolloServerPlugin<BaseContext> {
  const documents = new DocumentLimits(options.limits);
  const refuse = (request: GraphQLRequest, refusal: GraphQLError) => {
    request.query = '{ __typename }';
    request.operationName = undefined;
    if (request.extensions && 'persistedQuery' in request.extensions) {
      const { persistedQuery: _dropped, ...rest } = request.extensions;
      request.extensions = rest;
    }
    return {
      async didResolveOperation() {
        throw refusal;
      },
    };
  };
  return {
    async requestDidStart({ request, contextValue }) {
      if (trusted(contextValue)) return undefined;
      if (options.persisted) {
        const outcome = options.persisted.resolve({ query: request.query, extensions: request.extensions });
        if (outcome instanceof GraphQLError) return refuse(request, outcome);
        request.query = outcome.query;
        request.extensions = outcome.extensions;
      }
      const tooLong = request.query === undefined ? undefined : tokenLimitError(request.query, options.limits.maxTokens);
      if (tooLong) return refuse(request, tooLong);
      return {
        async didResolveOperation({ schema, document, request: resolved, queryHash }) {
          const refusal = documents.check(schema, document, resolved.variables, queryHash);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
