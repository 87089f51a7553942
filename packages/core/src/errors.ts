import { GraphQLError } from 'graphql';

/** The only codes Joinery puts in `extensions.code` and in `userErrors[].code`. */
export const ErrorCode = {
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  INSUFFICIENT_STOCK: 'INSUFFICIENT_STOCK',
  CONFLICT: 'CONFLICT',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A domain failure returned in a mutation payload; the mutation changed nothing. */
export interface UserError {
  field: string[] | null;
  message: string;
  code: ErrorCode;
}

export function userError(code: ErrorCode, message: string, field?: string[]): UserError {
  return { code, message, field: field ?? null };
}

/** Thrown by services for a rule the caller broke; resolvers turn it into userErrors. */
export class DomainError extends Error {
  readonly errors: UserError[];
  constructor(errors: UserError | UserError[]) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((e) => e.message).join('; '));
    this.name = 'DomainError';
    this.errors = list;
  }
}

/**
 * A GraphQL error with one of our codes. No HTTP status is set here: a subgraph must answer 200 so
 * the router passes the error and its code on to the client instead of treating it as an outage.
 */
export function graphQLError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/**
 * Runs a mutation's service call and shapes the payload: the result's fields on success,
 * `userErrors` (and nulls) on a DomainError. Anything else is a bug or an outage and is thrown.
 */
export async function mutationPayload<T extends object>(run: () => Promise<T>): Promise<T & { userErrors: UserError[] }> {
  try {
    const result = await run();
    return { ...result, userErrors: [] };
  } catch (error) {
    if (error instanceof DomainError) return { userErrors: error.errors } as T & { userErrors: UserError[] };
    throw error;
  }
}
