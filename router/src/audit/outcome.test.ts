import { describe, expect, it } from 'vitest';
import { outcomeOf } from './outcome';

const error = (code: string | undefined, path?: (string | number)[]) => ({ message: code ?? 'boom', ...(path ? { path } : {}), ...(code ? { extensions: { code } } : {}) });

describe('outcomeOf', () => {
  it('is FAILED on an error at a root field, with error codes first, then userErrors codes, each once', () => {
    const result = { data: { a: null }, errors: [error('FORBIDDEN', ['a']), error(undefined, ['a', 'x'])] };
    expect(outcomeOf(result, ['a'], ['CONFLICT', 'CONFLICT'])).toEqual({ outcome: 'FAILED', codes: ['FORBIDDEN', 'INTERNAL_SERVER_ERROR', 'CONFLICT'] });
  });

  it('is FAILED on an error without a path when a root field has no data (validation, an unreachable subgraph)', () => {
    expect(outcomeOf({ errors: [error('GRAPHQL_VALIDATION_FAILED')] }, ['a'], [])).toEqual({ outcome: 'FAILED', codes: ['GRAPHQL_VALIDATION_FAILED'] });
    expect(outcomeOf({ data: { a: { id: 1 }, b: null }, errors: [error('UNAVAILABLE', [])] }, ['a', 'b'], [])).toMatchObject({ outcome: 'FAILED' });
    expect(outcomeOf({ errors: [error('BAD_REQUEST')] }, [], [])).toMatchObject({ outcome: 'FAILED' });
  });

  it('is not FAILED for errors below the root fields, nor for a pathless error while every root field has data', () => {
    expect(outcomeOf({ data: { a: { level: null } }, errors: [error('BAD_USER_INPUT', ['a', 'level', 'movements'])] }, ['a'], [])).toEqual({ outcome: 'SUCCEEDED', codes: ['BAD_USER_INPUT'] });
    // Nulled to the root by a non-null field: the resolver returned, so the change was made.
    expect(outcomeOf({ data: null, errors: [error('BAD_USER_INPUT', ['a', 'receipt'])] }, ['a'], ['CONFLICT'])).toEqual({ outcome: 'USER_ERROR', codes: ['BAD_USER_INPUT', 'CONFLICT'] });
    // A nested entity fetch that failed as a whole: the gateway gives it no path.
    expect(outcomeOf({ data: { a: { level: { product: null } } }, errors: [error('UNAVAILABLE')] }, ['a'], [])).toEqual({ outcome: 'SUCCEEDED', codes: ['UNAVAILABLE'] });
  });

  it('is USER_ERROR on userErrors alone, else SUCCEEDED', () => {
    expect(outcomeOf({ data: { a: {} } }, ['a'], ['INSUFFICIENT_STOCK'])).toEqual({ outcome: 'USER_ERROR', codes: ['INSUFFICIENT_STOCK'] });
    expect(outcomeOf({ data: { a: {} }, errors: [] }, ['a'], [])).toEqual({ outcome: 'SUCCEEDED', codes: [] });
  });
});
