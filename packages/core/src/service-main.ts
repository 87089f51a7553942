import cluster from 'node:cluster';
import { ConfigError, loadEnv } from './config';
import { ListenError } from './http/graphql-http';
import { logger } from './observability/logger';
import { initProcessMetrics } from './observability/metrics';

/** Runs a listen call; if the address cannot be used, stops start-up naming the variables that set it. */
export async function listenOrExplain<T>(listening: Promise<T>, variables: string): Promise<T> {
  try {
    return await listening;
  } catch (error) {
    if (error instanceof ListenError) throw new ConfigError([`${variables}: ${error.message}`]);
    throw error;
  }
}

/** What a process stops on a signal: `drain` (see GraphQLService.drain) first, then `stop`. */
export interface Stoppable {
  /** Stops taking work and lets what is in flight finish, within `timeoutMs`. */
  drain?(timeoutMs: number): Promise<void>;
  /** Closes everything left: servers, workers, the bus, the databases. */
  stop(): Promise<void>;
}

interface Listening extends Stoppable {
  listen(port: number, host?: string): Promise<string>;
}

/** Beyond the drain's time limit, how long closing the rest (bus, databases) may take before the process exits anyway. */
const STOP_GRACE_MS = 10_000;

/**
 * On SIGTERM or SIGINT, a graceful shutdown: drains `server` (at most `timeoutMs`: /readyz 503, no
 * new connections, in-flight requests finish, WebSockets close with 1001), stops it, and exits 0;
 * 1 if stopping failed or hung. Signals during it change nothing: Ctrl-C reaches a router cluster's
 * workers and their primary, which then signals them again.
 */
export function stopOnSignals(service: string, server: Stoppable, timeoutMs: number): void {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger(service).info({ signal, timeoutMs }, 'shutting down: draining in-flight requests');
    const hung = setTimeout(() => {
      logger(service).error({ afterMs: timeoutMs + STOP_GRACE_MS }, 'shutdown did not finish in time; exiting anyway');
      process.exit(1);
    }, timeoutMs + STOP_GRACE_MS);
    hung.unref();
    try {
      await server.drain?.(timeoutMs);
      await server.stop();
    } catch (error) {
      logger(service).error({ error: String((error as Error)?.stack ?? error) }, 'shutdown failed');
      process.exit(1);
    }
    logger(service).info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/**
 * The end of every service's main.ts: listens (naming the variables that set the address if it
 * cannot), logs where, labels the process's metrics with `service`, and shuts down gracefully on
 * SIGTERM or SIGINT (see stopOnSignals; `shutdownTimeoutMs` default SHUTDOWN_TIMEOUT_MS).
 */
export async function serveUntilSignalled(service: string, server: Listening, address: { host: string; port: number; portVariable: string; shutdownTimeoutMs?: number }, details: Record<string, unknown> = {}): Promise<void> {
  initProcessMetrics(service);
  const url = await listenOrExplain(server.listen(address.port, address.host), `HOST / ${address.portVariable}`);
  // A cluster worker (ROUTER_WORKERS) says it under another name: its primary says `listening` once every worker does, and tests and benchmarks wait for that line.
  logger(service).info({ url, ...details }, cluster.isWorker ? 'worker listening' : 'listening');
  stopOnSignals(service, server, address.shutdownTimeoutMs ?? loadEnv().SHUTDOWN_TIMEOUT_MS);
}

/** Runs a service's main(); a bad setting prints only its message, anything else its stack, then exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
