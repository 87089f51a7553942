import { graphQLError } from './errors';

/** Calls another subgraph over HTTP. Used only for what a subgraph must ask another about. */
export interface SubgraphClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export class SubgraphUnavailableError extends Error {
  constructor(readonly subgraph: string, cause: unknown) {
    super(`The ${subgraph} subgraph could not be reached: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'SubgraphUnavailableError';
  }
}

export function createSubgraphClient(name: string, url: string, timeoutMs: number): SubgraphClient {
  return {
    async request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      let body: { data?: T; errors?: { message: string }[] };
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        body = (await response.json()) as typeof body;
      } catch (error) {
        throw new SubgraphUnavailableError(name, error);
      }
      if (body.errors?.length || !body.data) {
        throw new SubgraphUnavailableError(name, new Error(body.errors?.map((error) => error.message).join('; ') ?? 'empty response'));
      }
      return body.data;
    },
  };
}

export function unavailable(error: SubgraphUnavailableError, retryHint: string) {
  return graphQLError('UNAVAILABLE', `${error.message}. ${retryHint}`);
}
