import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { inspect } from 'node:util';
import { ConfigError, type DatabaseTarget } from '@joinery/core';
import { AuditStore, type AuditLog } from '../audit';
import { workerMetricsHandlers } from './cluster-metrics';
import { auditStoreInPrimary, IpcAuditLog } from './ipc-audit-log';
import { processEndpoint, serveIpc } from './ipc';
import { primaryChannel } from './primary-channel';

/** Response header naming the worker process that answered (only in a cluster). */
export const WORKER_HEADER = 'joinery-worker';

/** What a worker sends the primary when it cannot start. */
export interface StartupFailure {
  joinery: 'startup-failed';
  /** A ConfigError's issues, so the primary prints the very same message. */
  issues?: string[];
  /** Anything else, as Node would print it. */
  text: string;
}

/**
 * Opens the router's audit log. In a cluster worker with a PGlite store, which one process only
 * may open, that is the primary's store over IPC; otherwise (PostgreSQL, or no cluster) the
 * process opens its own.
 */
export async function openAuditLog(target: DatabaseTarget): Promise<AuditLog & { close(): Promise<void> }> {
  const primary = primaryChannel();
  if (primary && auditStoreInPrimary(target)) return new IpcAuditLog(primary);
  return AuditStore.open(target);
}

/**
 * Makes a built router a member of the cluster (nothing outside one): answers the primary's
 * requests for its metrics, and names itself in a `joinery-worker` header on every response.
 */
export function joinCluster(http: Server): void {
  if (!cluster.isWorker) return;
  serveIpc(processEndpoint(), workerMetricsHandlers());
  http.prependListener('request', (_request, response) => response.setHeader(WORKER_HEADER, String(process.pid)));
}

/**
 * Wraps a router's main() so that, in a cluster worker, a start-up failure goes to the primary
 * instead of the terminal: every worker fails alike (a port in use, say), and the primary prints
 * the message once. Outside a cluster it is main() itself.
 */
export function reportingStartupFailure(main: () => Promise<void>): () => Promise<void> {
  if (!cluster.isWorker) return main;
  return () =>
    main().catch((error: unknown) => {
      const failure: StartupFailure = error instanceof ConfigError ? { joinery: 'startup-failed', issues: error.issues, text: error.message } : { joinery: 'startup-failed', text: inspect(error) };
      // Without a channel the primary is gone: printing is all that is left.
      if (!process.connected) {
        console.error(failure.text);
        process.exit(1);
      }
      return new Promise<void>(() => process.send!(failure, undefined, {}, () => process.exit(1)));
    });
}
