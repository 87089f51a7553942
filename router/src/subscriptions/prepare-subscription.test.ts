import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { prepareSubscription, type PreparedSubscription } from './prepare-subscription';

const schema = buildSchema(/* GraphQL */ `
  type Query { stockChange(id: ID!): StockChange lowStockAlert(id: ID!): LowStockAlert }
  type Subscription { stockChanged(locationId: ID, skus: [ID!]): StockChange! lowStock(locationId: ID): LowStockAlert! }
  type StockChange { id: ID! delta: Int! product: Product! }
  type LowStockAlert { id: ID! status: String! }
  type Product { sku: ID! salesSummary(from: String): Summary! }
  type Summary { unitsSold: Int! }
`);

function prepare(query: string, variables?: Record<string, unknown>, operationName?: string): PreparedSubscription {
  const prepared = prepareSubscription(schema, parse(query), operationName, variables);
  if (Array.isArray(prepared)) throw new Error(prepared.map((error) => error.message).join('; '));
  return prepared;
}

describe('prepareSubscription', () => {
  it('turns the root field into its lookup by event id, keeping the alias and the selection', () => {
    const prepared = prepare(`subscription Live { changes: stockChanged(locationId: "0193a3c5-7d1e-7000-8000-000000000001") { delta } }`);
    expect(prepared.query).toBe('query Live($joineryEventId: ID!) {\n  changes: stockChange(id: $joineryEventId) {\n    delta\n  }\n}');
    expect(prepared.args).toEqual({ locationId: '0193a3c5-7d1e-7000-8000-000000000001' });
    expect(prepared.field.lookupField).toBe('stockChange');
    expect(validate(schema, parse(prepared.query))).toEqual([]);
  });

  it('keeps the variables and fragments the selection uses and drops those only the filters use', () => {
    const prepared = prepare(
      `subscription($l: ID, $from: String, $skus: [ID!]) { ...Root }
       fragment Root on Subscription { stockChanged(locationId: $l, skus: $skus) { ...Change } }
       fragment Change on StockChange { delta product { ...Sold } }
       fragment Sold on Product { salesSummary(from: $from) { unitsSold } }`,
      { l: '0193a3c5-7d1e-7000-8000-000000000001', from: '2026-01-01', skus: ['A'] },
    );
    expect(prepared.args).toEqual({ locationId: '0193a3c5-7d1e-7000-8000-000000000001', skus: ['A'] });
    expect(prepared.variables).toEqual({ from: '2026-01-01' });
    expect(prepared.query).toContain('query ($from: String, $joineryEventId: ID!)');
    expect(prepared.query).toContain('fragment Change on StockChange');
    expect(prepared.query).toContain('fragment Sold on Product');
    expect(prepared.query).not.toContain('fragment Root');
    expect(validate(schema, parse(prepared.query))).toEqual([]);
  });

  it('gives subscribers that differ only in their filters the same execution key', () => {
    const query = `subscription($l: ID) { stockChanged(locationId: $l) { delta } }`;
    const oslo = prepare(query, { l: '0193a3c5-7d1e-7000-8000-000000000001' });
    const bergen = prepare(query, { l: '0193a3c5-7d1e-7000-8000-000000000002' });
    expect(oslo.executionKey).toBe(bergen.executionKey);
    const withSales = prepare(`subscription($from: String) { stockChanged { product { salesSummary(from: $from) { unitsSold } } } }`, { from: '2026-01-01' });
    const withOtherSales = prepare(`subscription($from: String) { stockChanged { product { salesSummary(from: $from) { unitsSold } } } }`, { from: '2026-02-01' });
    expect(withSales.executionKey).not.toBe(withOtherSales.executionKey);
    const twoVariables = `subscription($a: String, $b: String) { stockChanged { product { x: salesSummary(from: $a) { unitsSold } y: salesSummary(from: $b) { unitsSold } } } }`;
    expect(prepare(twoVariables, { a: '1', b: '2' }).executionKey).toBe(prepare(twoVariables, { b: '2', a: '1' }).executionKey);
  });

  it('does not clash with a client variable named like its own', () => {
    const prepared = prepare(`subscription($joineryEventId: String) { stockChanged { product { salesSummary(from: $joineryEventId) { unitsSold } } } }`, { joineryEventId: 'x' });
    expect(prepared.eventIdVariable).toBe('_joineryEventId');
    expect(prepared.query).toContain('stockChange(id: $_joineryEventId)');
  });

  it('regression: keeps the variables of directives on the root field', () => {
    const prepared = prepare(`subscription($yes: Boolean!) { stockChanged @include(if: $yes) { delta } }`, { yes: true });
    expect(prepared.variables).toEqual({ yes: true });
    expect(validate(schema, parse(prepared.query))).toEqual([]);
  });

  it('refuses bad arguments naming them', () => {
    const refuse = (query: string, variables?: Record<string, unknown>) => {
      const prepared = prepareSubscription(schema, parse(query), undefined, variables);
      return Array.isArray(prepared) ? prepared.map((error) => [error.message, error.extensions.code]) : prepared;
    };
    expect(refuse(`subscription { lowStock(locationId: "oslo") { status } }`)).toEqual([['locationId "oslo" is not a location id (a UUID)', 'BAD_USER_INPUT']]);
    expect(refuse(`subscription { stockChanged(skus: []) { delta } }`)).toEqual([['skus must name at least one product, or be left out to receive every product', 'BAD_USER_INPUT']]);
    expect(refuse(`subscription($l: ID) { stockChanged(locationId: $l) { delta } }`, { l: 5 })).toEqual([['locationId "5" is not a location id (a UUID)', 'BAD_USER_INPUT']]);
    expect(refuse(`query { stockChange(id: "x") { delta } }`)).toEqual([['Not a subscription operation', undefined]]);
  });
});
