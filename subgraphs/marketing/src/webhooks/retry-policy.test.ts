import { describe, expect, it } from 'vitest';
import { DEFAULT_DISABLE_POLICY, DEFAULT_RETRY_POLICY, retryDelayMs, shouldDisable } from './retry-policy';

describe('retryDelayMs', () => {
  const exact = { ...DEFAULT_RETRY_POLICY, jitter: 0 };

  it('waits 30 s after the first failure and doubles up to 1 h by default', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map((failures) => retryDelayMs(exact, failures) / 1000)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  it('takes up to `jitter` of each delay off at random', () => {
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0)).toBe(30_000);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0.5)).toBe(27_000);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0.999_999)).toBeGreaterThan(24_000 - 1);
  });
});

describe('shouldDisable', () => {
  const since = new Date('2026-05-01T00:00:00Z');
  const hoursLater = (hours: number) => new Date(since.getTime() + hours * 3_600_000);

  it('disables after 10 failures in a row spanning 12 h, not before either', () => {
    expect(shouldDisable(DEFAULT_DISABLE_POLICY, { consecutiveFailures: 10, failingSince: since, lastFailureAt: hoursLater(12) })).toBe(true);
    expect(shouldDisable(DEFAULT_DISABLE_POLICY, { consecutiveFailures: 9, failingSince: since, lastFailureAt: hoursLater(30) })).toBe(false);
    expect(shouldDisable(DEFAULT_DISABLE_POLICY, { consecutiveFailures: 500, failingSince: since, lastFailureAt: hoursLater(11.9) })).toBe(false);
  });
});
