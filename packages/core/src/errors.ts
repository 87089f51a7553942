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

const httpStatus: Partial<Record<ErrorCode, number>> = {
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  UNAUTHENTICATED: 401,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  UNAVAILABLE: 503,
};

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

export function graphQLError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  const status = httpStatus[code];
  return new GraphQLError(message, {
    extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) },
  });
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
