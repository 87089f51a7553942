import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '@joinery/core/testing';
import { AuditStore, type AuditRecord } from '../audit';
import { channelPair } from './channel-pair';
import { IpcClient, serveIpc } from './ipc';
import { auditHandlers, IpcAuditLog } from './ipc-audit-log';

const base: AuditRecord = {
  at: new Date('2026-05-04T08:00:00.250Z'),
  subject: 'ines',
  role: 'manager',
  locations: ['a'],
  requestId: 'req-ipc',
  operationName: 'Adjust',
  fields: ['adjustInventory'],
  variables: { input: { delta: -2, note: 'cracked' } },
  arguments: { adjustInventory: { input: { delta: -2 } } },
  outcome: 'USER_ERROR',
  codes: ['INSUFFICIENT_STOCK'],
  durationMs: 7,
};

/** A worker's IpcAuditLog wired to the primary's handlers over the store, as node:cluster would carry it. */
function workerLog(store: AuditStore): { log: IpcAuditLog; close(): void } {
  const [primaryEnd, workerEnd] = channelPair();
  const stopServing = serveIpc(primaryEnd, auditHandlers(store));
  const client = new IpcClient(workerEnd);
  return { log: new IpcAuditLog(client), close: () => (stopServing(), client.close()) };
}

describe.each(backends())('the audit log of a cluster worker, kept by the primary on $name', (backend) => {
  let store: AuditStore;
  let workers: ReturnType<typeof workerLog>[];

  beforeAll(async () => {
    store = await AuditStore.open(backend.targets().audit);
    workers = [workerLog(store), workerLog(store)];
  });
  afterAll(async () => {
    workers?.forEach((worker) => worker.close());
    await store?.close();
    await backend.cleanup();
  });

  it('records what one worker sends once, and every worker lists it as the store does', async () => {
    const [first, second] = workers.map((worker) => worker.log);
    const recorded = await first.record({ ...base, subject: 'once' });
    expect(recorded.at).toEqual(base.at);
    const listed = await second.list({}, { subject: 'once' });
    const direct = await store.list({}, { subject: 'once' });
    expect(listed.nodes).toEqual([recorded]);
    expect(listed.edges).toEqual(direct.edges);
    expect(listed.pageInfo).toEqual(direct.pageInfo);
    expect(await listed.totalCount()).toBe(1);
  });

  it('pages and counts by the filter, Dates included, over the channel', async () => {
    const log = workers[1].log;
    for (const day of ['01', '02', '03']) await workers[0].log.record({ ...base, subject: 'window', at: new Date(`2026-06-${day}T00:00:00.000Z`) });
    const filter = { subject: 'window', from: new Date('2026-06-02T00:00:00.000Z'), to: new Date('2026-06-04T00:00:00.000Z') };
    const page = await log.list({ first: 1 }, filter);
    expect(page.nodes.map((node) => node.at.toISOString())).toEqual(['2026-06-03T00:00:00.000Z']);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await log.list({ first: 1, after: page.pageInfo.endCursor }, filter);
    expect(next.nodes.map((node) => node.at.toISOString())).toEqual(['2026-06-02T00:00:00.000Z']);
    expect(await next.totalCount()).toBe(2);
  });

  it('hands a bad cursor back as the BAD_USER_INPUT error the store raised', async () => {
    const refused = await workers[0].log.list({ after: 'not-a-cursor' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GraphQLError);
    expect(refused).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argumentName: 'after' } });
  });
});
