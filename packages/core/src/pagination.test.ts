import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { connection, encodeCursor, isString, MAX_PAGE_SIZE, readPage } from './pagination';

describe('cursor pagination', () => {
  it('fetches one extra row to know whether a next page exists', async () => {
    const page = readPage({ first: 2 }, isString);
    expect(page.take).toBe(3);
    const result = connection(['a', 'b', 'c'], page, (row) => row, async () => 7);
    expect(result.nodes).toEqual(['a', 'b']);
    expect(result.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, endCursor: encodeCursor('b') });
    expect(await result.totalCount()).toBe(7);
  });

  it('decodes the cursor it gave out and refuses any other', () => {
    expect(readPage({ after: encodeCursor('OAK-1') }, isString).after).toBe('OAK-1');
    expect(() => readPage({ after: 'not-a-cursor' }, isString)).toThrow(GraphQLError);
    expect(() => readPage({ after: encodeCursor(42) }, isString)).toThrow(/not one this list gave out/);
  });

  it(`caps page size at ${MAX_PAGE_SIZE}`, () => {
    expect(() => readPage({ first: MAX_PAGE_SIZE + 1 }, isString)).toThrow(/first must be between 0 and 250/);
    expect(() => readPage({ first: -1 }, isString)).toThrow(/first must be/);
  });
});
