import { GraphQLError } from 'graphql';
import { checkOperation, type QueryLimits } from '../hardening/limits';
import type { PersistedOperations } from '../hardening/persisted-operations';
import type { OperationAdmission } from './websocket-server';

/**
 * The router's admission rules for operations sent over the socket, as HTTP applies them
 * (router/src/hardening/admission.ts): the persisted operation list first (a listed id becomes
 * its body; enforce mode refuses the rest), then the token, depth, alias, directive and cost
 * limits. Subscriptions never pass through ApolloServer, so without this they would escape both;
 * queries and mutations sent over the socket are checked here and again by Apollo's plugin.
 */
export function webSocketAdmission(options: { limits: QueryLimits; persisted?: PersistedOperations }): OperationAdmission {
  return (schema, payload) => {
    let query = payload.query;
    if (options.persisted) {
      // graphql-ws requires a query string: an empty one stands for "the id alone".
      const outcome = options.persisted.resolve({ query: query === '' ? undefined : query, extensions: payload.extensions ?? undefined });
      if (outcome instanceof GraphQLError) return [outcome];
      if (outcome.query === undefined) return [new GraphQLError('No operation sent: send its text as query, or a listed id as extensions.persistedQuery.sha256Hash', { extensions: { code: 'BAD_REQUEST' } })];
      query = outcome.query;
    }
    const checked = checkOperation(schema, query, payload.variables ?? undefined, options.limits);
    return 'errors' in checked ? checked.errors : { query, document: checked.document };
  };
}
