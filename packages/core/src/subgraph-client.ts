import { ACTOR_HEADER } from './identity/actor';

/** Calls another subgraph over HTTP. Used only for what a subgraph must ask another about. */
export interface SubgraphClient {
  /** `actor` is forwarded in the joinery-actor header: who the calling request acts for. */
  request<T>(query: string, variables?: Record<string, unknown>, options?: { actor?: string }): Promise<T>;
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

export function createSubgraphClient(name: string, url: string, timeoutMs: number): SubgraphClient {
  return {
    async request<T>(query: string, variables?: Record<string, unknown>, options?: { actor?: string }): Promise<T> {
      let body: { data?: T; errors?: { message: string }[] };
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(options?.actor ? { [ACTOR_HEADER]: options.actor } : {}) },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
        body = (await response.json()) as typeof body;
      } catch (error) {
        throw new SubgraphUnavailableError(name, error);
      }
      if (body.errors?.length || !body.data) throw new SubgraphResponseError(name, body.errors ?? [{ message: 'no data in the response' }]);
      return body.data;
    },
  };
}
