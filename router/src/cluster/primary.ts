import cluster, { type Address, type Worker } from 'node:cluster';
import { ConfigError, logger, type DatabaseTarget } from '@joinery/core';
import { AuditStore, type AuditLog } from '../audit';
import { aggregateWorkerMetrics } from './cluster-metrics';
import { auditHandlers, auditStoreInPrimary } from './ipc-audit-log';
import { IpcClient, serveIpc, workerEndpoint, type IpcHandlers } from './ipc';
import type { StartupFailure } from './worker';

export interface PrimaryOptions {
  /** Router workers to keep running. */
  workers: number;
  /** The router's audit store: a PGlite one, which one process only may open, is opened here and the workers reach it over IPC; on PostgreSQL each worker opens its own. */
  audit: DatabaseTarget;
  /** How long a worker may take to stop gracefully (SHUTDOWN_TIMEOUT_MS); one still running 15 s later (beyond its own grace to close the rest) is killed. */
  shutdownTimeoutMs: number;
  /** Replacing workers that fail before they listen. Defaults: 1 s, doubling up to 30 s; gives up after 5 in a row. */
  restart?: { firstDelayMs?: number; maxDelayMs?: number; maxStartFailures?: number };
}

interface Member {
  worker: Worker;
  pid: number;
  /** The primary's calls to the worker (its metrics). */
  channel: IpcClient;
  stopServing: () => void;
  listened: boolean;
  failure?: StartupFailure;
}

/** The primary's lines: `{ level, msg, ...fields }`, through the router's logger (LOG_LEVEL). */
function log({ level, msg, ...fields }: Record<string, unknown>): void {
  logger('router')[level as 'info' | 'warn' | 'error'](fields, String(msg));
}

/** The store once it is open: calls made before wait for it. */
function whenOpen(store: Promise<AuditLog>): AuditLog {
  return { record: async (entry) => (await store).record(entry), list: async (args, filter) => (await store).list(args, filter) };
}

function isStartupFailure(message: unknown): message is StartupFailure {
  return typeof message === 'object' && message !== null && (message as { joinery?: unknown }).joinery === 'startup-failed';
}

/** The endpoint's URL as the router prints it (see serveGraphQL's listen). */
function urlOf(address: Address): string {
  const host = address.addressType === 6 ? `[${address.address}]` : address.address;
  return `http://${!host || host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${address.port}/graphql`;
}

/** Why a worker stopped before it listened, as the error the router would have stopped with. */
function startupError(member: Member, code: number | null, signal: string | null): Error {
  const { failure } = member;
  if (failure?.issues) return new ConfigError(failure.issues);
  if (failure) return Object.assign(new Error(failure.text.split('\n')[0]), { stack: failure.text });
  return new Error(`router worker ${member.pid} exited (${signal ?? `code ${code}`}) before it listened; its output above says why`);
}

/**
 * ROUTER_WORKERS > 1: this process serves no requests. It forks the workers (node:cluster, each
 * a whole router on the shared ROUTER_PORT), prints one `listening` line once every worker
 * listens, replaces workers that die, serves the PGlite audit store and the aggregated metrics to
 * the workers over IPC, and on SIGTERM/SIGINT stops the workers gracefully and exits 0.
 * Rejects if the workers cannot start, with the first worker's error (printed once by runMain).
 */
export function runPrimary(options: PrimaryOptions): Promise<void> {
  return new Supervisor(options).start();
}

class Supervisor {
  private readonly members = new Map<number, Member>();
  private readonly restarts = new Set<NodeJS.Timeout>();
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxStartFailures: number;
  private phase: 'starting' | 'running' | 'stopping' = 'starting';
  private startFailures = 0;
  private url = '';
  /** Opening while the workers start (both take seconds); what the workers' audit calls wait for. */
  private store?: Promise<AuditStore>;
  private handlers: IpcHandlers = {};
  private started!: { resolve: () => void; reject: (error: Error) => void };
  private stopping?: Promise<void>;

  constructor(private readonly options: PrimaryOptions) {
    this.firstDelayMs = options.restart?.firstDelayMs ?? 1_000;
    this.maxDelayMs = options.restart?.maxDelayMs ?? 30_000;
    this.maxStartFailures = options.restart?.maxStartFailures ?? 5;
  }

  async start(): Promise<void> {
    // Structured clones, not JSON: audit entries carry Dates.
    cluster.setupPrimary({ serialization: 'advanced' });
    const store = auditStoreInPrimary(this.options.audit) ? AuditStore.open(this.options.audit) : undefined;
    // A failure to open is start()'s to report (below); until then nothing else may call it unhandled.
    store?.catch(() => {});
    this.store = store;
    this.handlers = { ...(store ? auditHandlers(whenOpen(store)) : {}), 'metrics.cluster': () => this.metrics() };
    cluster.on('listening', (worker, address) => this.onListening(worker, address));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    // `on`, not `once`: a second signal while the workers finish their requests must not kill this process and orphan them.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (this.stopping) return;
        log({ level: 'info', msg: 'stopping the router workers', signal, workers: this.members.size });
        void this.stop().then(() => {
          log({ level: 'info', msg: 'stopped' });
          process.exit(0);
        });
      });
    }
    const started = new Promise<void>((resolve, reject) => (this.started = { resolve, reject }));
    for (let i = 0; i < this.options.workers; i++) this.fork();
    try {
      await Promise.all([started, store]);
    } catch (error) {
      await this.stop();
      throw error;
    }
    log({ level: 'info', msg: 'listening', url: this.url, workers: this.options.workers, pids: [...this.members.values()].filter((member) => member.listened).map((member) => member.pid) });
  }

  private fork(): void {
    const worker = cluster.fork();
    const member: Member = { worker, pid: worker.process.pid!, channel: new IpcClient(workerEndpoint(worker), 5_000), stopServing: serveIpc(workerEndpoint(worker), this.handlers), listened: false };
    worker.on('message', (message) => {
      if (isStartupFailure(message)) member.failure = message;
    });
    worker.on('error', (error) => log({ level: 'warn', msg: 'router worker channel error', pid: member.pid, error: String(error) }));
    this.members.set(worker.id, member);
  }

  private onListening(worker: Worker, address: Address): void {
    const member = this.members.get(worker.id);
    if (!member || member.listened) return;
    member.listened = true;
    this.startFailures = 0;
    this.url ||= urlOf(address);
    if (this.phase === 'running') log({ level: 'info', msg: 'router worker replaced', pid: member.pid });
    const listening = [...this.members.values()].filter((each) => each.listened).length;
    if (this.phase === 'starting' && listening >= this.options.workers) {
      this.phase = 'running';
      this.started.resolve();
    }
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const member = this.members.get(worker.id);
    if (!member) return;
    this.members.delete(worker.id);
    member.stopServing();
    member.channel.close();
    if (this.phase === 'stopping') return;
    if (member.listened) {
      log({ level: 'error', msg: 'a router worker exited; starting another', pid: member.pid, code, signal });
      return this.fork();
    }
    const error = startupError(member, code, signal);
    // At start-up every worker would fail alike: stop as the single router would, with its error.
    if (this.phase === 'starting') return void this.giveUp(error);
    this.startFailures++;
    log({ level: 'error', msg: 'a router worker failed to start', pid: member.pid, failures: this.startFailures, error: error.message });
    if (this.startFailures >= this.maxStartFailures) return void this.giveUp(error);
    const delay = Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** (this.startFailures - 1));
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      if (this.phase !== 'stopping') this.fork();
    }, delay);
    this.restarts.add(timer);
  }

  private async giveUp(error: Error): Promise<void> {
    const starting = this.phase === 'starting';
    await this.stop();
    if (starting) return this.started.reject(error);
    console.error(error instanceof ConfigError ? error.message : error);
    log({ level: 'error', msg: `router workers failed to start ${this.maxStartFailures} times in a row; stopping` });
    process.exit(1);
  }

  private metrics(): Promise<string> {
    const listening = [...this.members.values()].filter((member) => member.listened);
    return aggregateWorkerMetrics(listening.map(({ pid, channel }) => ({ pid, channel })), log);
  }

  /** Sends every worker SIGTERM (each stops gracefully), waits for them, closes the store. Once. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      this.phase = 'stopping';
      for (const timer of this.restarts) clearTimeout(timer);
      const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead());
      const exited = workers.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
      for (const worker of workers) worker.process.kill('SIGTERM');
      const kill = setTimeout(() => workers.forEach((worker) => worker.isDead() || worker.process.kill('SIGKILL')), this.options.shutdownTimeoutMs + 15_000);
      await Promise.all(exited);
      clearTimeout(kill);
      await this.store?.then((store) => store.close(), () => {});
    })());
  }
}
