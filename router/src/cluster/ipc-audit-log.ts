import type { Connection, DatabaseTarget, PageArgs } from '@joinery/core';
import type { AuditEntry, AuditFilter, AuditLog, AuditRecord } from '../audit';
import type { IpcClient, IpcHandlers } from './ipc';

type Page = Omit<Connection<AuditEntry>, 'totalCount'>;

/** PGlite serves one process: in a cluster the primary opens it and the workers reach it over IPC. PostgreSQL takes a pool per worker. */
export function auditStoreInPrimary(target: DatabaseTarget): boolean {
  return target.kind === 'pglite';
}

/**
 * A cluster worker's audit log when the store is PGlite, which one process only may open: every
 * record and list goes to the primary's store over IPC (see auditHandlers), so a mutation through
 * any worker is recorded once and `auditLog` through any worker sees them all.
 */
export class IpcAuditLog implements AuditLog {
  constructor(private readonly primary: IpcClient) {}

  record(entry: AuditRecord): Promise<AuditEntry> {
    return this.primary.call('audit.record', entry);
  }

  async list(args: PageArgs, filter: AuditFilter = {}): Promise<Connection<AuditEntry>> {
    // Only the page crosses: a function (totalCount) cannot, so the count is its own call, made only when asked for.
    const page = await this.primary.call<Page>('audit.list', { first: args.first, after: args.after }, { ...filter });
    let counted: Promise<number> | undefined;
    return { ...page, totalCount: () => (counted ??= this.primary.call<number>('audit.count', { ...filter })) };
  }

  /** Nothing to close here: the primary closes the store once every worker has stopped. */
  async close(): Promise<void> {}
}

/** The primary's side of IpcAuditLog, over the store it opened. */
export function auditHandlers(store: AuditLog): IpcHandlers {
  return {
    'audit.record': (entry: AuditRecord) => store.record(entry),
    'audit.list': async (args: PageArgs, filter: AuditFilter) => {
      const { totalCount: _count, ...page } = await store.list(args, filter);
      return page;
    },
    // The count ignores the page (AuditStore.list counts the filter alone): an empty page is enough to get at it.
    'audit.count': async (filter: AuditFilter) => (await store.list({ first: 0 }, filter)).totalCount(),
  };
}
