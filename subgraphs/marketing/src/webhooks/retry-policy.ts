/** When a failed delivery is tried again, and when Joinery gives up on it. */
export interface RetryPolicy {
  /** Delay before the first retry, in ms. Default 30 000 (30 s). */
  firstRetryMs: number;
  /** Each further delay doubles, up to this, in ms. Default 3 600 000 (1 h). */
  maxDelayMs: number;
  /** A delivery whose next try would fall later than this after it was queued is FAILED, in ms. Default 86 400 000 (24 h). */
  giveUpAfterMs: number;
  /** Up to this fraction of each delay is taken off at random, so retries of many deliveries spread out. Default 0.2. */
  jitter: number;
}

/** When an endpoint that keeps failing is disabled: both must hold. */
export interface DisablePolicy {
  /** Failed attempts in a row (any delivery). Default 10. */
  minConsecutiveFailures: number;
  /** Time from the first failure of that run to the latest, in ms. Default 43 200 000 (12 h). */
  minFailingMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { firstRetryMs: 30_000, maxDelayMs: 3_600_000, giveUpAfterMs: 86_400_000, jitter: 0.2 };

export const DEFAULT_DISABLE_POLICY: DisablePolicy = { minConsecutiveFailures: 10, minFailingMs: 43_200_000 };

/**
 * The wait after the `failedAttempts`-th failure: 30 s, 1 min, 2 min … doubling up to 1 h by
 * default, less up to `jitter` of it at random.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number, random: () => number = Math.random): number {
  const nominal = Math.min(policy.firstRetryMs * 2 ** Math.max(0, failedAttempts - 1), policy.maxDelayMs);
  return Math.round(nominal * (1 - policy.jitter * random()));
}

/** Whether a run of failures is long enough to disable its endpoint. */
export function shouldDisable(policy: DisablePolicy, streak: { consecutiveFailures: number; failingSince: Date; lastFailureAt: Date }): boolean {
  return streak.consecutiveFailures >= policy.minConsecutiveFailures && streak.lastFailureAt.getTime() - streak.failingSince.getTime() >= policy.minFailingMs;
}
