import { createHash, randomBytes } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestContextDidResolveOperation, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { getOperationAST, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Identity } from '@joinery/core';
import type { AuditRecord } from './audit-store';
import { outcomeOf, type AuditedResult } from './outcome';
import { probeAlias, probeUserErrors, responseKey, rootFieldNames, rootFields, takeProbedCodes } from './operation-shape';
import { redactSecrets } from './redact';
import { rootArguments } from './root-arguments';

/** Where the recorder writes; `AuditStore` in the router, a fake in unit tests. */
export interface AuditSink {
  record(entry: AuditRecord): Promise<unknown>;
}

/** What the router puts in every operation's context (HTTP and WebSocket alike). */
interface AuditedContext {
  identity?: Identity;
  requestId?: string;
}

/**
 * Records every mutation the router runs, whether it succeeded, was refused by a rule
 * (userErrors) or failed (errors at a root field, FORBIDDEN included: see outcome.ts), and whether
 * it came over HTTP or a WebSocket (both run through Apollo Server's pipeline), with each root
 * field's arguments (root-arguments.ts) and the raw variables, both redacted. Queries and
 * subscriptions are not recorded. A mutation document that never parsed is not recorded either:
 * nothing tells it apart.
 *
 * The entry is written before the response leaves. If it cannot be written the error is logged
 * with the request id and the response goes out all the same: the mutation has already happened,
 * and failing the response would only invite the client to run it again.
 */
export function auditPlugin(sink: AuditSink, log: (line: string) => void = console.error): ApolloServerPlugin<BaseContext> {
  // Keys the userErrors probe's alias (operation-shape.ts): never leaves this process.
  const probeKey = randomBytes(32);
  return {
    async requestDidStart() {
      const started = Date.now();
      let probe: { keys: readonly string[]; alias: string } | undefined;
      return {
        async didResolveOperation(requestContext: GraphQLRequestContextDidResolveOperation<BaseContext>) {
          if (requestContext.operation?.operation !== 'mutation') return;
          const { document, operation, schema } = requestContext;
          // Apollo Server sets queryHash from the query text; a caller handing over a parsed document may not.
          const queryHash = requestContext.queryHash ?? createHash('sha256').update(print(document)).digest('hex');
          const probed = probeUserErrors(schema, document, operation, probeAlias(probeKey, queryHash, document));
          if (!probed) return;
          // Execution (and the gateway's query plan) reads the document from the request context
          // after this hook; Apollo Server's cache keeps the original, which is left untouched.
          const writable = requestContext as { document: DocumentNode; operation: OperationDefinitionNode };
          writable.document = probed.document;
          writable.operation = probed.operation;
          probe = { keys: probed.responseKeys, alias: probed.alias };
        },

        async willSendResponse(requestContext: GraphQLRequestContextWillSendResponse<BaseContext>) {
          const { document, request, response } = requestContext;
          if (!document) return;
          // Refused before execution (validation, GET, a plugin): the operation was never resolved.
          const operation = requestContext.operation ?? getOperationAST(document, request.operationName);
          if (operation?.operation !== 'mutation') return;
          const result = (response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult) as AuditedResult;
          const userErrorCodes = probe ? takeProbedCodes(result.data, probe.keys, probe.alias) : [];
          const { identity, requestId } = requestContext.contextValue as AuditedContext;
          const roots = rootFields(document, operation);
          const entry: AuditRecord = {
            at: new Date(started),
            subject: identity?.subject ?? '(none)',
            role: identity?.role ?? '(none)',
            locations: identity?.locations ?? [],
            requestId: requestId ?? identity?.requestId ?? null,
            operationName: request.operationName ?? operation.name?.value ?? null,
            fields: rootFieldNames(document, operation),
            variables: redactSecrets(request.variables ?? {}),
            arguments: rootArguments(requestContext.schema, document, operation, request.variables),
            ...outcomeOf(result, roots.map(responseKey), userErrorCodes),
            durationMs: Date.now() - started,
          };
          try {
            await sink.record(entry);
          } catch (error) {
            log(JSON.stringify({
              level: 'error',
              service: 'router',
              msg: 'audit entry could not be written; the mutation itself has run',
              requestId: entry.requestId,
              subject: entry.subject,
              fields: entry.fields,
              outcome: entry.outcome,
              error: String((error as Error)?.stack ?? error),
            }));
          }
        },
      };
    },
  };
}
