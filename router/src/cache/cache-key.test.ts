import { describe, expect, it } from 'vitest';
import { scopeKey } from '@joinery/core';
import { parse, type OperationDefinitionNode } from 'graphql';
import { cacheKey, declaredVariables, stableJson } from './cache-key';

const A = '0b5f8c1e-1111-4a4a-8a8a-000000000001';
const B = '0b5f8c1e-1111-4a4a-8a8a-000000000002';
const operation = { text: '{ salesReport(groupBy: [DAY]) { totals { revenue } } }', operationName: null, variables: { filter: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' } } };

describe('response cache keys', () => {
  it('writes JSON with sorted keys at every depth, arrays in their order', () => {
    expect(stableJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('is the same for the same operation, variables in any key order, and scope', () => {
    const manager = scopeKey({ subject: 'm1', role: 'manager', locations: [A, B], actor: 'm1' });
    const sameScope = scopeKey({ subject: 'm2', role: 'manager', locations: [B, A], actor: 'm2' });
    const reordered = { ...operation, variables: { filter: { to: '2026-02-01T00:00:00Z', from: '2026-01-01T00:00:00Z' } } };
    expect(cacheKey(reordered, sameScope)).toBe(cacheKey(operation, manager));
    expect(cacheKey({ ...operation, variables: undefined }, manager)).toBe(cacheKey({ ...operation, variables: {} }, manager));
  });

  it('differs with the scope (role or locations), the variables, the operation name and the text', () => {
    const key = (scope: Parameters<typeof scopeKey>[0], change: Partial<typeof operation> = {}) => cacheKey({ ...operation, ...change }, scopeKey(scope));
    const managerA = { subject: 'm', role: 'manager' as const, locations: [A], actor: 'm' };
    const keys = [
      key(managerA),
      key({ ...managerA, locations: [B] }),
      key({ ...managerA, locations: [A, B] }),
      key({ ...managerA, role: 'analyst' }),
      key({ ...managerA, role: 'admin', locations: '*' }),
      key(managerA, { variables: { filter: { from: '2026-01-02T00:00:00Z', to: '2026-02-01T00:00:00Z' } } }),
      key(managerA, { operationName: 'Daily' as unknown as null }),
      key(managerA, { text: '{ salesReport(groupBy: [WEEK]) { totals { revenue } } }' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keys only the variables the operation declares, so extra ones cannot multiply one report in the cache', () => {
    const operation = parse('query Report($from: DateTime!, $first: Int) { salesReport(from: $from) { totalCount } }').definitions[0] as OperationDefinitionNode;
    const scope = scopeKey({ subject: 'ana', role: 'analyst', locations: '*', actor: 'ana' });
    const key = (sent: Record<string, unknown>) => cacheKey({ text: 'q', operationName: 'Report', variables: declaredVariables(operation, sent) }, scope);
    expect(key({ from: '2026-01-01T00:00:00Z', junk: 1 })).toBe(key({ from: '2026-01-01T00:00:00Z', junk: 2 }));
    expect(key({ from: '2026-01-01T00:00:00Z' })).toBe(key({ from: '2026-01-01T00:00:00Z', junk: 3 }));
    expect(key({ from: '2026-01-01T00:00:00Z', first: 5 })).not.toBe(key({ from: '2026-01-01T00:00:00Z' }));
    expect(declaredVariables(operation, undefined)).toEqual({});
  });
});
