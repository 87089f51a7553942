import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '@joinery/core/testing';
import { AuditStore, type AuditRecord } from './audit-store';

const base: AuditRecord = {
  at: new Date('2026-03-01T09:30:00.123Z'),
  subject: 'maria',
  role: 'manager',
  locations: ['a', 'b'],
  requestId: 'req-1',
  operationName: null,
  fields: ['adjustInventory'],
  variables: { input: { delta: 1 } },
  arguments: { adjustInventory: { input: { delta: 1, state: 'AVAILABLE' } } },
  outcome: 'SUCCEEDED',
  codes: [],
  durationMs: 12.4,
};

describe.each(backends())('the audit store on $name', (backend) => {
  let store: AuditStore;
  const target = backend.targets().audit;

  beforeAll(async () => {
    store = await AuditStore.open(target);
  });
  afterAll(async () => {
    await store?.close();
    await backend.cleanup();
  });

  it('keeps what it was given: every location as ["*"], arrays, JSON variables, whole milliseconds', async () => {
    const entry = await store.record({ ...base, subject: 'root', role: 'admin', locations: '*', operationName: 'Open', fields: ['createLocation', 'createProduct'], outcome: 'FAILED', codes: ['FORBIDDEN', 'CONFLICT'] });
    const { nodes } = await store.list({}, { subject: 'root' });
    expect(nodes).toEqual([{
      id: entry.id, at: base.at, subject: 'root', role: 'admin', locations: ['*'], requestId: 'req-1', operationName: 'Open',
      fields: ['createLocation', 'createProduct'], variables: '{"input": {"delta": 1}}',
      arguments: '{"adjustInventory": {"input": {"delta": 1, "state": "AVAILABLE"}}}', outcome: 'FAILED', codes: ['FORBIDDEN', 'CONFLICT'], durationMs: 12,
    }]);
  });

  it('reads arguments as null on an entry written before they were kept', async () => {
    await store.database.withConnection((sql) => sql.query(
      `INSERT INTO audit_entries (id, at, subject, role, locations, fields, variables, outcome, codes, duration_ms)
       VALUES ('018e0000-0000-7000-8000-000000000001', '2026-02-01T00:00:00Z', 'before-arguments', 'admin', '{*}', '{createLocation}', '{}', 'SUCCEEDED', '{}', 3)`,
    ));
    const { nodes } = await store.list({}, { subject: 'before-arguments' });
    expect(nodes).toMatchObject([{ subject: 'before-arguments', variables: '{}', arguments: null }]);
  });

  it('pages entries of the same instant without repeating or skipping one (ties go by id)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await store.record({ ...base, subject: 'same-instant' })).id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const result = await store.list({ first: 2, after }, { subject: 'same-instant' });
      seen.push(...result.nodes.map((node) => node.id));
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].sort().reverse());
  });

  it('filters from inclusive and to exclusive', async () => {
    const at = (iso: string) => new Date(iso);
    for (const instant of ['2026-04-01T00:00:00.000Z', '2026-04-02T00:00:00.000Z', '2026-04-03T00:00:00.000Z']) await store.record({ ...base, subject: 'window', at: at(instant) });
    const window = await store.list({}, { subject: 'window', from: at('2026-04-02T00:00:00.000Z'), to: at('2026-04-03T00:00:00.000Z') });
    expect(window.nodes.map((node) => node.at.toISOString())).toEqual(['2026-04-02T00:00:00.000Z']);
    expect(await window.totalCount()).toBe(1);
  });

  // An in-memory PGlite is gone once closed: only PostgreSQL can be opened again.
  it.skipIf(target.kind !== 'postgres')('opens again over the same database without re-running its migration', async () => {
    const again = await AuditStore.open(target);
    try {
      expect((await again.list({}, { subject: 'root' })).nodes).toHaveLength(1);
    } finally {
      await again.close();
    }
  });
});
