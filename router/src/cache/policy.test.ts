import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { Kind, parse, type GraphQLSchema, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cacheability } from './cacheability';
import { CACHEABLE_ROOT_FIELDS, CACHED_ENTITY_FIELDS, EVENT_TOPICS, invalidationTopics, subjectsChangedBy, subjectsDerivedFrom, subjectsMutatedBy } from './policy';

const ROOT = resolve(import.meta.dirname, '../../..');
const supergraph = readFileSync(join(ROOT, 'schema/supergraph.graphql'), 'utf8');
const eventsDoc = readFileSync(join(ROOT, 'docs/events.md'), 'utf8');

/** Types with a @key in some subgraph: their fields may come from any subgraph, with changes of their own. */
function entityTypes(): Set<string> {
  const entities = new Set<string>();
  for (const definition of parse(supergraph).definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = definition as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
    const keyed = type.directives?.some((directive) => directive.name.value === 'join__type' && directive.arguments?.some((argument) => argument.name.value === 'key'));
    if (keyed) entities.add(type.name.value);
  }
  return entities;
}

/** The topic docs/events.md gives each event type, from its "## … (topic(s) `…`)" sections. */
function documentedTopics(): Map<string, string[]> {
  const topics = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of eventsDoc.split('\n')) {
    if (line.startsWith('## ')) current = [...line.matchAll(/`([a-z.]+)`/g)].map((match) => match[1]!);
    if (line.startsWith('### ')) for (const match of line.matchAll(/`([a-z_]+\.[a-z_]+)`/g)) topics.set(match[1]!, current);
  }
  return topics;
}

let schema: GraphQLSchema;
let gateway: ApolloGateway;

beforeAll(async () => {
  gateway = new ApolloGateway({ supergraphSdl: supergraph });
  ({ schema } = await gateway.load());
});
afterAll(async () => {
  await gateway.stop();
});

describe('the response cache policy', () => {
  it('names root queries, entity fields and mutations that exist in the supergraph', () => {
    const query = schema.getQueryType()!.getFields();
    const mutation = schema.getMutationType()!.getFields();
    const rules = [...Object.values(CACHEABLE_ROOT_FIELDS), ...Object.values(CACHED_ENTITY_FIELDS)];
    expect(Object.keys(CACHEABLE_ROOT_FIELDS).filter((field) => !query[field])).toEqual([]);
    expect(rules.flatMap((rule) => rule.mutations).filter((field) => !mutation[field])).toEqual([]);
    for (const [entity, { fields }] of Object.entries(CACHED_ENTITY_FIELDS)) {
      const type = schema.getType(entity) as { getFields(): Record<string, unknown> } | undefined;
      expect(type, entity).toBeDefined();
      expect(fields.filter((field) => !type!.getFields()[field]), entity).toEqual([]);
    }
  });

  it('names event types docs/events.md documents, on the topics it gives them', () => {
    const documented = documentedTopics();
    const rules = [...Object.values(CACHEABLE_ROOT_FIELDS), ...Object.values(CACHED_ENTITY_FIELDS)];
    const named = new Set(rules.flatMap((rule) => [...rule.events, ...(rule.derivedFrom ?? [])]));
    for (const type of named) {
      expect(EVENT_TOPICS[type], type).toBeDefined();
      expect(documented.get(type), type).toContain(EVENT_TOPICS[type]);
    }
    expect(invalidationTopics().sort()).toEqual(['inventory.stock', 'marketing', 'sales.orders']);
  });

  it('lets no report reach an entity whose fields it does not list (they change with other events)', () => {
    const entities = entityTypes();
    expect([...entities]).toEqual(expect.arrayContaining(['Location', 'Product', 'Campaign', 'SalesOrder']));
    const judge = new Cacheability(schema);
    for (const root of Object.keys(CACHEABLE_ROOT_FIELDS)) {
      const own = [...judge.ownTypesOf(root)];
      expect(own.filter((type) => entities.has(type)), root).toEqual([]);
    }
    // The report types are the root's own: salesReport's rows and metrics, and Location's address through an allowed field.
    expect([...judge.ownTypesOf('salesReport')]).toEqual(expect.arrayContaining(['SalesReport', 'SalesReportRow', 'SalesReportMetrics', 'Address']));
    expect([...judge.ownTypesOf('salesReport')]).not.toContain('SalesSummary');
  });

  it('maps events and mutations to the subjects they change', () => {
    expect(subjectsChangedBy('sales.order_confirmed')).toEqual(['salesReport']);
    expect(subjectsChangedBy('inventory.stock_changed')).toEqual(['inventoryStockValue', 'inventorySellThrough', 'inventoryDaysOfSupply', 'inventoryStockOuts', 'inventorySlowMovers']);
    expect(subjectsChangedBy('inventory.low_stock')).toEqual([]);
    expect(subjectsDerivedFrom('sales.order_confirmed')).toEqual(['campaignComparison', 'campaign']);
    expect(subjectsChangedBy('marketing.campaign_status_changed')).toEqual(['campaign', 'Campaign']);
    expect(subjectsMutatedBy('updateProduct')).toEqual(expect.arrayContaining(['inventoryStockValue', 'Product']));
    expect(subjectsMutatedBy('updateProduct')).not.toContain('salesReport');
    expect(subjectsMutatedBy('recordSale')).toEqual(expect.arrayContaining(['salesReport', 'inventoryStockValue']));
  });
});
