import { randomUUID } from 'node:crypto';
import { logger } from '@joinery/core';
import type { PrismaClient, WebhookEndpoint } from '../generated/prisma/client';
import { providerHeaders } from './providers';
import { DEFAULT_DISABLE_POLICY, DEFAULT_RETRY_POLICY, retryDelayMs, shouldDisable, type DisablePolicy, type RetryPolicy } from './retry-policy';
import { signWebhook, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from './signature';
import { recordMarketingEvent, WEBHOOK_ENDPOINT_DISABLED } from './webhook-events';

/** Bytes of a receiver's answer kept with each attempt. */
export const RESPONSE_EXCERPT_BYTES = 2048;

export interface WebhookWorkerOptions {
  prisma: PrismaClient;
  /** How long a request may wait for the answer's status and headers, in ms. Default 10 000. */
  timeoutMs?: number;
  /**
   * How long the answer's body may take to give its excerpt once the status came, in ms; a body
   * slower than this, or one that breaks off, is kept as far as it came and the status decides.
   * Default 1000.
   */
  responseBodyTimeoutMs?: number;
  /**
   * How long a claimed delivery stays this worker's; after it a worker that died mid-attempt loses
   * it to another, in ms. Must be longer than timeoutMs + responseBodyTimeoutMs. Default timeoutMs + 30 000.
   */
  leaseMs?: number;
  /** How often the worker looks for due deliveries when there were none, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** Deliveries claimed (and sent concurrently) at once. Default 20. */
  batchSize?: number;
  retry?: Partial<RetryPolicy>;
  disable?: Partial<DisablePolicy>;
  /** Where log lines (`level`, `service`, `msg` and fields) go. Default: the process's logger. */
  log?: (line: Record<string, unknown>) => void;
  /** Replaces global fetch (tests). */
  fetch?: typeof fetch;
}

interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  body: string;
}

interface AttemptResult {
  attemptedAt: Date;
  durationMs: number;
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
}

const succeeded = (result: AttemptResult) => result.responseStatus !== null && result.responseStatus >= 200 && result.responseStatus < 300;

/** The start of an answer's body, read for at most `timeoutMs`: a slow or broken body gives what came. */
async function readExcerpt(response: Response, timeoutMs: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body.getReader();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const next = await Promise.race([reader.read(), expired]);
      if (!next || next.done) break;
      chunks.push(Buffer.from(next.value));
      size += next.value.length;
    }
  } catch {
    // The receiver answered; a body that breaks off leaves a shorter excerpt, not a failed attempt.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES)).replace(/\uFFFD$/, '').replaceAll('\u0000', '');
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const failure = error as Error & { cause?: { code?: string; message?: string } };
  if (failure?.name === 'TimeoutError' || failure?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = failure?.cause;
  return cause ? `${failure.message}: ${cause.code ?? cause.message}` : String(failure?.message ?? failure);
}

/**
 * Sends queued webhook deliveries. Several workers (one per marketing instance) share the queue:
 * each claims due deliveries with FOR UPDATE SKIP LOCKED and holds them under a lease
 * (`claimed_until`), so a delivery is sent by one worker at a time, and one whose worker died
 * mid-attempt is claimed again once the lease ends. A 2xx answer delivers; anything else is
 * retried with exponential back-off and jitter until the retry period is over (FAILED). An
 * endpoint whose attempts keep failing long enough is DISABLED, recorded as an event.
 */
export class WebhookWorker {
  private readonly prisma: PrismaClient;
  private readonly timeoutMs: number;
  private readonly responseBodyTimeoutMs: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly retry: RetryPolicy;
  private readonly disable: DisablePolicy;
  private readonly log: (line: Record<string, unknown>) => void;
  private readonly fetch: typeof fetch;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Attempts made since start. */
  attempts = 0;

  constructor(options: WebhookWorkerOptions) {
    this.prisma = options.prisma;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.responseBodyTimeoutMs = options.responseBodyTimeoutMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? this.timeoutMs + 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.batchSize = options.batchSize ?? 20;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.disable = { ...DEFAULT_DISABLE_POLICY, ...options.disable };
    this.log = options.log ?? (({ level, service, msg, ...fields }) => logger(String(service))[level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'info'](fields, String(msg)));
    this.fetch = options.fetch ?? fetch;
    if (this.leaseMs <= this.timeoutMs + this.responseBodyTimeoutMs) {
      throw new Error(`WebhookWorker: leaseMs (${this.leaseMs}) must be longer than timeoutMs + responseBodyTimeoutMs (${this.timeoutMs} + ${this.responseBodyTimeoutMs})`);
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Looks for due deliveries now rather than at the next poll. */
  poke(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.runOnce();
      } catch (error) {
        this.log({ level: 'error', service: 'marketing', msg: 'webhook worker round failed', error: String((error as Error)?.stack ?? error) });
      }
      if (!this.running || claimed >= this.batchSize) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Claims one batch of due deliveries, sends them and records the outcomes; returns how many it claimed. */
  async runOnce(): Promise<number> {
    const token = randomUUID();
    const claimed = await this.prisma.$queryRaw<ClaimedDelivery[]>`
      UPDATE webhook_deliveries AS delivery
      SET claimed_until = clock_timestamp() + ${this.leaseMs}::double precision * interval '1 millisecond', claim_token = ${token}::uuid
      FROM (
        SELECT due.id FROM webhook_deliveries AS due
        JOIN webhook_endpoints AS endpoint ON endpoint.id = due.endpoint_id
        WHERE due.status = 'PENDING' AND endpoint.status = 'ENABLED' AND endpoint.deleted_at IS NULL
          AND due.next_attempt_at <= clock_timestamp()
          AND (due.claimed_until IS NULL OR due.claimed_until <= clock_timestamp())
        ORDER BY due.next_attempt_at
        LIMIT ${this.batchSize}
        FOR UPDATE OF due SKIP LOCKED
      ) AS picked
      WHERE delivery.id = picked.id
      RETURNING delivery.id::text AS id, delivery.endpoint_id::text AS endpoint_id, delivery.event_id, delivery.event_type, delivery.body`;
    if (!claimed.length) return 0;
    const endpoints = new Map((await this.prisma.webhookEndpoint.findMany({ where: { id: { in: [...new Set(claimed.map((row) => row.endpoint_id))] } } })).map((row) => [row.id, row]));
    await Promise.all(claimed.map(async (delivery) => {
      const endpoint = endpoints.get(delivery.endpoint_id);
      if (!endpoint) return;
      const result = await this.send(endpoint, delivery);
      this.attempts += 1;
      await this.record(endpoint, delivery, token, result);
    }));
    return claimed.length;
  }

  private async send(endpoint: WebhookEndpoint, delivery: ClaimedDelivery): Promise<AttemptResult> {
    const attemptedAt = new Date();
    const timestamp = Math.floor(attemptedAt.getTime() / 1000);
    const secrets = [endpoint.secret];
    if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > attemptedAt) secrets.push(endpoint.previousSecret);
    const headers: Record<string, string> = {
      ...providerHeaders(endpoint.provider),
      'user-agent': 'Joinery-Webhooks/1',
      [WEBHOOK_ID_HEADER]: delivery.id,
      [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
      [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secrets, delivery.body, timestamp),
      ...(endpoint.authorizationHeader ? { authorization: endpoint.authorizationHeader } : {}),
    };
    // The time limit covers the wait for the status and headers only: once they came the attempt
    // has its answer, and the body is read under its own limit (readExcerpt).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError')), this.timeoutMs);
    let response: Response;
    try {
      // A redirect is an answer like any other non-2xx: following it could send the body somewhere unchecked.
      response = await this.fetch(endpoint.url, { method: 'POST', headers, body: delivery.body, redirect: 'manual', signal: abort.signal });
    } catch (error) {
      return { attemptedAt, durationMs: Date.now() - attemptedAt.getTime(), responseStatus: null, responseBody: null, error: describeFailure(error, this.timeoutMs) };
    } finally {
      clearTimeout(timer);
    }
    const responseBody = await readExcerpt(response, this.responseBodyTimeoutMs);
    abort.abort();
    return { attemptedAt, durationMs: Date.now() - attemptedAt.getTime(), responseStatus: response.status, responseBody, error: null };
  }

  /**
   * Keeps the attempt, and, if this worker still holds the delivery's lease, schedules it: done,
   * retried later, or FAILED. An attempt that outlived its lease is kept but schedules nothing:
   * the worker that claimed the delivery since decides. A 2xx always marks it delivered.
   */
  private async record(endpoint: WebhookEndpoint, delivery: ClaimedDelivery, token: string, result: AttemptResult): Promise<void> {
    const ok = succeeded(result);
    const disabled = await this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<{ attempt_count: number; claim_token: string | null; status: string }[]>`
        SELECT attempt_count, claim_token::text AS claim_token, status::text AS status FROM webhook_deliveries WHERE id = ${delivery.id}::uuid FOR UPDATE`;
      if (!row) return null;
      const number = row.attempt_count + 1;
      await tx.webhookAttempt.create({ data: { deliveryId: delivery.id, number, ...result } });
      const owner = row.claim_token === token && row.status === 'PENDING';
      if (ok) {
        await tx.$executeRaw`
          UPDATE webhook_deliveries SET attempt_count = ${number}, last_attempt_at = ${result.attemptedAt}, status = 'SUCCEEDED', next_attempt_at = NULL,
            claimed_until = CASE WHEN claim_token = ${token}::uuid THEN NULL ELSE claimed_until END
          WHERE id = ${delivery.id}::uuid`;
        // Written only when there is a streak to end: most successes follow successes.
        await tx.$executeRaw`UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL
          WHERE id = ${endpoint.id}::uuid AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)`;
        return null;
      }
      if (owner) {
        const delay = retryDelayMs(this.retry, number);
        await tx.$executeRaw`
          UPDATE webhook_deliveries SET attempt_count = ${number}, last_attempt_at = ${result.attemptedAt}, claimed_until = NULL, claim_token = NULL,
            status = CASE WHEN clock_timestamp() + ${delay}::double precision * interval '1 millisecond' > created_at + ${this.retry.giveUpAfterMs}::double precision * interval '1 millisecond'
              THEN 'FAILED'::webhook_delivery_status ELSE 'PENDING'::webhook_delivery_status END,
            next_attempt_at = CASE WHEN clock_timestamp() + ${delay}::double precision * interval '1 millisecond' > created_at + ${this.retry.giveUpAfterMs}::double precision * interval '1 millisecond'
              THEN NULL ELSE clock_timestamp() + ${delay}::double precision * interval '1 millisecond' END
          WHERE id = ${delivery.id}::uuid`;
      } else {
        await tx.$executeRaw`UPDATE webhook_deliveries SET attempt_count = ${number}, last_attempt_at = ${result.attemptedAt} WHERE id = ${delivery.id}::uuid`;
      }
      // The database's clock, not this worker's: every worker measures the same failing span.
      const [streak] = await tx.$queryRaw<{ status: string; consecutive_failures: number; failing_since: Date; now: Date }[]>`
        UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, clock_timestamp())
        WHERE id = ${endpoint.id}::uuid
        RETURNING status::text AS status, consecutive_failures, failing_since, clock_timestamp() AS now`;
      if (!streak || streak.status !== 'ENABLED' || endpoint.deletedAt) return null;
      const failingSince = new Date(streak.failing_since);
      const lastFailureAt = new Date(streak.now);
      if (!shouldDisable(this.disable, { consecutiveFailures: streak.consecutive_failures, failingSince, lastFailureAt })) return null;
      const last = result.responseStatus !== null ? `HTTP ${result.responseStatus}` : result.error;
      const reason = `${streak.consecutive_failures} attempts in a row failed from ${failingSince.toISOString()} to ${lastFailureAt.toISOString()}; the last: ${last}`;
      const disabledAt = new Date();
      await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { status: 'DISABLED', disabledReason: reason, disabledAt, updatedAt: disabledAt } });
      const payload = {
        endpointId: endpoint.id, name: endpoint.name, provider: endpoint.provider, url: endpoint.url, reason,
        consecutiveFailures: streak.consecutive_failures, failingSince: failingSince.toISOString(), disabledAt: disabledAt.toISOString(),
      };
      await recordMarketingEvent(tx, { type: WEBHOOK_ENDPOINT_DISABLED, aggregate: endpoint.id, payload });
      return payload;
    });
    if (disabled) this.log({ level: 'warn', service: 'marketing', msg: 'webhook endpoint disabled', ...disabled });
  }
}
