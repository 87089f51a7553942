import { buildSchema, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { REDACTED } from './redact';
import { rootArguments } from './root-arguments';

const schema = buildSchema(`
  type Query { ping: String }
  enum Reason { RECEIVED, SHRINKAGE }
  input AdjustInput { locationId: ID!, sku: String!, delta: Int!, reason: Reason!, reference: String }
  input HookInput { name: String!, url: String!, authorizationHeader: String }
  type Mutation {
    adjust(input: AdjustInput!, dryRun: Boolean = false): Int
    createHook(input: HookInput!): Int
    bump: Int
  }
`);

const argumentsOf = (query: string, variables?: Record<string, unknown>) => {
  const document = parse(query);
  return rootArguments(schema, document, getOperationAST(document)!, variables);
};

describe('rootArguments', () => {
  it('records inline arguments, variables put in place and defaults, per root field', () => {
    expect(argumentsOf('mutation($d: Int!) { adjust(input: { locationId: "l-1", sku: "OAK", delta: $d, reason: RECEIVED }) bump }', { d: -2 })).toEqual({
      adjust: { input: { locationId: 'l-1', sku: 'OAK', delta: -2, reason: 'RECEIVED' }, dryRun: false },
      bump: {},
    });
  });

  it('names aliased fields "alias: field", and goes through fragments', () => {
    expect(argumentsOf('mutation { a: bump ...F } fragment F on Mutation { adjust(input: { locationId: "l", sku: "s", delta: 1, reason: SHRINKAGE }, dryRun: true) }')).toEqual({
      'a: bump': {},
      adjust: { input: { locationId: 'l', sku: 's', delta: 1, reason: 'SHRINKAGE' }, dryRun: true },
    });
  });

  it('redacts secrets and URLs inside each field\'s arguments, whatever the alias', () => {
    const hook = { name: 'Slack', url: 'https://hooks.slack.com/services/T/B/secret', authorizationHeader: 'Bearer x' };
    expect(argumentsOf('mutation($i: HookInput!) { secret: createHook(input: $i) }', { i: hook })).toEqual({
      'secret: createHook': { input: { name: 'Slack', url: `https://hooks.slack.com/${REDACTED}`, authorizationHeader: REDACTED } },
    });
  });

  it('falls back to the arguments as written when variables or arguments do not validate', () => {
    expect(argumentsOf('mutation($d: Int!) { adjust(input: { locationId: "l", sku: "s", delta: $d, reason: RECEIVED }) }', { d: 'many' })).toEqual({
      adjust: { input: { locationId: 'l', sku: 's', delta: 'many', reason: 'RECEIVED' } },
    });
    expect(argumentsOf('mutation { adjust(input: { sku: 7 }) unknownField(x: 1) }')).toEqual({ adjust: { input: { sku: 7 } }, unknownField: { x: 1 } });
  });
});
