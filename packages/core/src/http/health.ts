import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/database';
import type { EventBus } from '../events/event-bus';
import { logger } from '../observability/logger';
import { sourcedGauge } from '../observability/metrics';

/** One dependency a service needs to do its work, asked on GET /readyz. */
export interface ReadinessCheck {
  /** Its name in /readyz's answer and in joinery_readiness_check: `database`, `redis`, `subgraph:inventory`… */
  name: string;
  /**
   * Resolves when the dependency answers. `signal` aborts at the check's time limit. Throw a
   * ReadinessFailure for a reason that probes may see; any other error shows only its code.
   */
  run(signal: AbortSignal): Promise<void>;
}

/** A failed check whose message is fit for /readyz's public answer (no hosts, no credentials). */
export class ReadinessFailure extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ReadinessFailure';
  }
}

export type CheckResult = { status: 'ok' } | { status: 'failed'; reason: string };

export interface ReadinessReport {
  status: 'ready' | 'not ready' | 'draining';
  service: string;
  checks: Record<string, CheckResult>;
}

export interface HealthOptions {
  checks?: ReadinessCheck[];
  /** How long one readiness answer is reused, so frequent probes stay cheap, in ms. Default 1000. */
  cacheMs?: number;
  /** Longest one check may take, in ms. Default 2000. */
  timeoutMs?: number;
}

const readiness = sourcedGauge('joinery_readiness_check', '1 while a readiness check passes, 0 while it fails (the /readyz checks, run at most once a second)', ['service', 'check'], 'min');

/**
 * A service's health endpoints: GET /healthz (and the older /health) answers 200 while the process
 * serves; GET /readyz answers 200 when every check passes, else 503 naming each check and why it
 * failed, and 503 at once from the moment the service starts draining for shutdown.
 */
export class Health {
  private readonly checks: ReadinessCheck[];
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private draining = false;
  private cached?: { at: number; report: ReadinessReport };
  private pending?: Promise<ReadinessReport>;
  /** Checks failing at the last evaluation: a failure is logged when it starts, not at every probe. */
  private readonly failing = new Set<string>();
  private readonly untrack: () => void;

  constructor(readonly service: string, options: HealthOptions = {}) {
    this.checks = [...(options.checks ?? [])];
    this.cacheMs = options.cacheMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.untrack = readiness.track(async () => {
      if (this.draining || !this.checks.length) return [];
      const report = await this.readiness();
      return Object.entries(report.checks).map(([check, result]) => [{ service, check }, result.status === 'ok' ? 1 : 0] as const);
    });
  }

  addCheck(check: ReadinessCheck): void {
    this.checks.push(check);
    this.cached = undefined;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** From now on /readyz answers 503 `draining`, so load balancers stop sending work. */
  startDraining(): void {
    this.draining = true;
  }

  /** Runs the checks (at most once per cacheMs; concurrent probes share one run). */
  async readiness(): Promise<ReadinessReport> {
    if (this.draining) return { status: 'draining', service: this.service, checks: {} };
    if (this.cached && Date.now() - this.cached.at < this.cacheMs) return this.cached.report;
    this.pending ??= this.evaluate().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** GET routes: /healthz, /health (its older name) and /readyz. They need no token and show no internals. */
  routes(): Record<string, (request: IncomingMessage, response: ServerResponse) => Promise<void> | void> {
    const alive = (_request: IncomingMessage, response: ServerResponse) => send(response, 200, { status: 'ok', service: this.service });
    return {
      '/healthz': alive,
      '/health': alive,
      '/readyz': async (_request, response) => {
        const report = await this.readiness();
        send(response, report.status === 'ready' ? 200 : 503, report);
      },
    };
  }

  /** Stops reporting joinery_readiness_check for this service (it stopped). */
  dispose(): void {
    this.untrack();
  }

  private async evaluate(): Promise<ReadinessReport> {
    const results = await Promise.all(this.checks.map((check) => this.run(check)));
    const checks = Object.fromEntries(this.checks.map((check, index) => [check.name, results[index]]));
    const report: ReadinessReport = { status: results.every((result) => result.status === 'ok') ? 'ready' : 'not ready', service: this.service, checks };
    this.cached = { at: Date.now(), report };
    return report;
  }

  private async run(check: ReadinessCheck): Promise<CheckResult> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let stopWaiting: (() => void) | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new ReadinessFailure(`no answer within ${this.timeoutMs} ms`));
      signal.addEventListener('abort', onAbort, { once: true });
      stopWaiting = () => signal.removeEventListener('abort', onAbort);
    });
    try {
      await Promise.race([check.run(signal), timedOut]);
      if (this.failing.delete(check.name)) logger(this.service).info({ check: check.name }, 'readiness check passes again');
      return { status: 'ok' };
    } catch (error) {
      const reason = publicReason(error);
      if (!this.failing.has(check.name)) {
        this.failing.add(check.name);
        logger(this.service).warn({ check: check.name, reason, error: String((error as Error)?.message ?? error) }, 'readiness check failed');
      }
      return { status: 'failed', reason };
    } finally {
      stopWaiting?.();
    }
  }
}

/** What /readyz may say about an error: a ReadinessFailure's message, else at most an error code (ECONNREFUSED, 57P01). */
function publicReason(error: unknown): string {
  if (error instanceof ReadinessFailure) return error.message;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? `error ${code}` : 'error (see the service log)';
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/** `database`: the service's database answers `SELECT 1`. */
export function databaseCheck(database: Pick<Database, 'ping'>): ReadinessCheck {
  return { name: 'database', run: () => database.ping() };
}

/** `redis`: the event bus's Redis answers PING; none for the in-process bus. */
export function eventBusChecks(bus: EventBus | undefined): ReadinessCheck[] {
  const ping = bus?.ping?.bind(bus);
  return ping ? [{ name: 'redis', run: () => ping() }] : [];
}
