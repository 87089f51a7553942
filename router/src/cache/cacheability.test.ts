import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { getOperationAST, parse, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cacheability } from './cacheability';

const ROOT = resolve(import.meta.dirname, '../../..');

let schema: GraphQLSchema;
let gateway: ApolloGateway;

beforeAll(async () => {
  gateway = new ApolloGateway({ supergraphSdl: readFileSync(join(ROOT, 'schema/supergraph.graphql'), 'utf8') });
  ({ schema } = await gateway.load());
});
afterAll(async () => {
  await gateway.stop();
});

function judge(query: string, operationName?: string) {
  const document = parse(query);
  return new Cacheability(schema).judge(document, getOperationAST(document, operationName)!);
}

describe('which operations the response cache takes', () => {
  it('takes a query of listed report fields, with its entities’ own facts, and names their subjects', () => {
    expect(judge(`query Revenue { salesReport(groupBy: [LOCATION]) { rows { revenue location { name address { region } } } totals { revenue } } }`)).toEqual({
      subjects: ['Location', 'salesReport'],
      text: expect.stringContaining('salesReport(groupBy: [LOCATION])'),
    });
    expect(judge(`{ __typename a: inventoryStockValue { rows { value product { sku price } } } b: inventorySlowMovers { rowCount } }`)).toMatchObject({
      subjects: ['Product', 'inventorySlowMovers', 'inventoryStockValue'],
    });
    expect(judge(`query($id: ID!) { campaign(id: $id) { name performance { revenue byLocation { location { name } revenue } } } }`)).toMatchObject({ subjects: ['Campaign', 'Location', 'campaign'] });
  });

  it('follows fragments, inline fragments included', () => {
    const verdict = judge(`query Report { ...Sales } fragment Sales on Query { salesReport(groupBy: [PRODUCT]) { rows { ...on SalesReportRow { product { ...Named } } } } } fragment Named on Product { name }`);
    expect(verdict).toMatchObject({ subjects: ['Product', 'salesReport'] });
    expect(judge(`query { ...Sales } fragment Sales on Query { salesReport(groupBy: [PRODUCT]) { rows { product { ...Live } } } } fragment Live on Product { onHandTotal }`)).toEqual({
      bypass: 'Product.onHandTotal is not cached under salesReport',
    });
  });

  it('leaves alone a report that reads another subgraph’s live data through an entity', () => {
    expect(judge(`{ salesReport(groupBy: [LOCATION]) { rows { location { inventory(first: 5) { nodes { onHand } } } } } }`)).toEqual({ bypass: 'Location.inventory is not cached under salesReport' });
    expect(judge(`{ campaignComparison { rows { campaign { performance { revenue } } } } }`)).toEqual({ bypass: 'Campaign.performance is not cached under campaignComparison' });
  });

  it('leaves alone mutations, unlisted fields beside listed ones, introspection and bare __typename', () => {
    expect(judge(`mutation { refreshCustomerSegments { refresh { id } } }`)).toEqual({ bypass: 'mutations are never cached' });
    expect(judge(`{ salesReport(groupBy: [DAY]) { totals { revenue } } locations(first: 1) { totalCount } }`)).toMatchObject({ bypass: expect.stringContaining('Query.locations') });
    expect(judge(`{ __schema { queryType { name } } }`)).toMatchObject({ bypass: expect.stringContaining('__schema') });
    expect(judge(`{ __typename }`)).toEqual({ bypass: 'no root field but __typename' });
  });

  it('judges the operation asked for in a document of several', () => {
    const document = `query Cached { customerSegments { customerCount } } query Other { locations(first: 1) { totalCount } }`;
    expect(judge(document, 'Cached')).toMatchObject({ subjects: ['customerSegments'] });
    expect(judge(document, 'Other')).toMatchObject({ bypass: expect.any(String) });
  });

  it('gives one text to the same operation however it is spaced or commented', () => {
    const a = judge(`{ salesReport(groupBy: [DAY]) { totals { revenue } } }`);
    const b = judge(`# daily\n{\n  salesReport( groupBy : [ DAY ] ) {\n    totals { revenue }\n  }\n}`);
    expect('text' in a && 'text' in b && a.text === b.text).toBe(true);
  });
});
