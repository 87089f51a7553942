import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { combinedQuery } from './combined-query';
import { prepareSubscription, type PreparedSubscription } from './prepare-subscription';

const schema = buildSchema(`
  type Query { stockChange(id: ID!): StockChange }
  type Subscription { stockChanged(locationId: ID, skus: [ID!]): StockChange! }
  type StockChange { id: ID! delta: Int! product: Product! }
  type Product { sku: ID! salesSummary(from: String): Summary! }
  type Summary { unitsSold: Int! }
`);

function prepared(query: string, variables?: Record<string, unknown>): PreparedSubscription {
  const result = prepareSubscription(schema, parse(query), undefined, variables);
  if (Array.isArray(result)) throw new Error(result[0].message);
  return result;
}

describe('combinedQuery', () => {
  const sales = prepared(`subscription($from: String) { stockChanged { ...Sold } } fragment Sold on StockChange { product { salesSummary(from: $from) { unitsSold } } }`, { from: '2026-01-01' });
  const otherSales = prepared(`subscription($from: String) { live: stockChanged { ...Sold } } fragment Sold on StockChange { delta product { salesSummary(from: $from) { unitsSold } } }`, { from: '2026-02-01' });

  it('puts every event and question in one valid query, renaming variables and fragments so they cannot clash', () => {
    const combined = combinedQuery([sales, otherSales], ['id-a', 'id-b']);
    expect(validate(schema, parse(combined.query))).toEqual([]);
    expect(combined.variables).toEqual({ q0_from: '2026-01-01', q1_from: '2026-02-01', joineryEvent0: 'id-a', joineryEvent1: 'id-b' });
    expect(combined.query).toContain('e1_q1: stockChange(id: $joineryEvent1)');
    expect(combined.query).toContain('fragment q0_Sold on StockChange');
    expect(combined.query).toContain('fragment q1_Sold on StockChange');
    expect(combinedQuery([sales, otherSales], ['x', 'y']).query).toBe(combined.query);
  });

  it('splits the result per event and question, each with its own errors', () => {
    const combined = combinedQuery([sales, otherSales], ['id-a', 'id-b']);
    const results = combined.split({
      data: { e0_q0: { product: null }, e0_q1: { delta: 1 }, e1_q0: null, e1_q1: { delta: 2 } },
      errors: [
        { message: 'sales down', path: ['e0_q0', 'product', 'salesSummary'] },
        { message: 'whole request', path: undefined },
      ],
    });
    expect(results).toEqual([
      [
        { data: { stockChanged: { product: null } }, errors: [{ message: 'sales down', path: ['stockChanged', 'product', 'salesSummary'] }, { message: 'whole request', path: undefined }] },
        { data: { live: { delta: 1 } }, errors: [{ message: 'whole request', path: undefined }] },
      ],
      [
        { data: { stockChanged: null }, errors: [{ message: 'whole request', path: undefined }] },
        { data: { live: { delta: 2 } }, errors: [{ message: 'whole request', path: undefined }] },
      ],
    ]);
  });
});
