import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { describe, expect, it } from 'vitest';
import type { Identity } from '@joinery/core';
import type { AuditStore } from './audit-store';
import { auditDataSource } from './audit-subgraph';

const QUERY = '{ auditLog(first: 5) { totalCount nodes { id } } }';
const emptyStore = { list: async () => ({ nodes: [], edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount: async () => 0 }) } as unknown as AuditStore;

async function ask(store: AuditStore | undefined, identity: Identity | undefined, query = QUERY, variables?: Record<string, unknown>) {
  const source = auditDataSource(store);
  return source.process({ request: { query, variables }, context: { identity } } as unknown as GraphQLDataSourceProcessOptions);
}

const identity = (role: Identity['role'], locations: Identity['locations']): Identity => ({ subject: `s-${role}`, role, locations, actor: `s-${role}` });

describe('the audit subgraph', () => {
  it('answers an admin over every location', async () => {
    expect(await ask(emptyStore, identity('admin', '*'))).toEqual({ data: { auditLog: { totalCount: 0, nodes: [] } } });
  });

  it('is FORBIDDEN without audit:read, to an admin of some locations only, and without an identity', async () => {
    for (const caller of [identity('manager', '*'), identity('analyst', '*'), identity('marketer', '*'), identity('associate', ['a']), identity('admin', ['a']), undefined]) {
      const result = await ask(emptyStore, caller);
      expect(result.data, caller?.role).toBeNull();
      expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    }
    expect((await ask(emptyStore, identity('admin', ['a']))).errors?.[0].message).toBe('The audit log covers every location: only an admin over every location ("*") may read it');
  });

  it('refuses an unknown role or an empty time window in the filter', async () => {
    const filtered = (filter: Record<string, unknown>) => ask(emptyStore, identity('admin', '*'), 'query($f: AuditLogFilter) { auditLog(filter: $f) { totalCount } }', { f: filter });
    expect((await filtered({ role: 'owner' })).errors?.[0]).toMatchObject({ message: 'filter.role must be one of admin, manager, associate, analyst, marketer; got "owner"', extensions: { code: 'BAD_USER_INPUT' } });
    expect((await filtered({ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers UNAVAILABLE on a router started without an audit store', async () => {
    const result = await ask(undefined, identity('admin', '*'));
    expect(result.errors?.[0]).toMatchObject({ message: 'This router was started without an audit store, so it keeps no audit log', extensions: { code: 'UNAVAILABLE' } });
  });
});
