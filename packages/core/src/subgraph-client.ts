import { serviceIdentity } from './auth/identity';
import { IDENTITY_HEADER, internalAuth, type InternalAuth } from './auth/internal-token';
import { currentRequestScope } from './http/graphql-http';
import { REQUEST_ID_HEADER } from './observability/request-id';
import { inClientSpan, injectTraceContext, SPAN_ATTRIBUTES } from './observability/tracing';

/** Calls another subgraph over HTTP. Used only for what a subgraph must ask another about. */
export interface SubgraphClient {
  /**
   * Calls as a service identity (every permission, every location) signed in the
   * joinery-identity header; `actor` is who the change is recorded for (the user behind the
   * calling request), `requestId` the router's id of that request (default: the id of the request
   * this call is made for, if any), sent as `x-request-id` too. While tracing is on the call is a
   * client span whose `traceparent` the other subgraph continues.
   */
  request<T>(query: string, variables?: Record<string, unknown>, options?: { actor?: string; requestId?: string }): Promise<T>;
}

/** The other subgraph could not be reached or did not answer in time: worth retrying later. */
export class SubgraphUnavailableError extends Error {
  constructor(readonly subgraph: string, cause: unknown) {
    super(`The ${subgraph} subgraph could not be reached: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'SubgraphUnavailableError';
  }
}

/** The other subgraph answered with errors: a bug or a contract mismatch, not an outage. */
export class SubgraphResponseError extends Error {
  constructor(readonly subgraph: string, readonly errors: { message: string }[]) {
    super(`The ${subgraph} subgraph answered with errors: ${errors.map((error) => error.message).join('; ')}`);
    this.name = 'SubgraphResponseError';
  }
}

/** `caller` names the calling subgraph in the identity it signs (`service:<caller>`). */
export function createSubgraphClient(name: string, url: string, timeoutMs: number, options: { caller?: string; auth?: InternalAuth } = {}): SubgraphClient {
  const auth = options.auth ?? internalAuth();
  const caller = options.caller ?? 'joinery';
  return {
    async request<T>(query: string, variables?: Record<string, unknown>, callOptions?: { actor?: string; requestId?: string }): Promise<T> {
      const identity = serviceIdentity(caller);
      // The scope's id goes in the header only: a token naming a request cannot be reused (see InternalAuth.sign).
      const token = await auth.sign({ ...identity, actor: callOptions?.actor ?? identity.actor, requestId: callOptions?.requestId });
      const requestId = callOptions?.requestId ?? currentRequestScope()?.id;
      const headers: Record<string, string> = { 'content-type': 'application/json', [IDENTITY_HEADER]: token };
      if (requestId) headers[REQUEST_ID_HEADER] = requestId;
      return inClientSpan('subgraph.request', { [SPAN_ATTRIBUTES.subgraph]: name, [SPAN_ATTRIBUTES.service]: caller }, async () => {
        injectTraceContext(headers);
        let body: { data?: T; errors?: { message: string }[] };
        try {
          const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(timeoutMs) });
          if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
          body = (await response.json()) as typeof body;
        } catch (error) {
          throw new SubgraphUnavailableError(name, error);
        }
        if (body.errors?.length || !body.data) throw new SubgraphResponseError(name, body.errors ?? [{ message: 'no data in the response' }]);
        return body.data;
      });
    },
  };
}
