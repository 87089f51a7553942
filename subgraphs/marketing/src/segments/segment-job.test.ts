import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from '@joinery/core';
import { SegmentRefreshJob } from './segment-job';
import type { SegmentRefresher } from './segment-refresh';

describe('segment refresh interval', () => {
  it('defaults to 15 minutes and takes up to 24 hours', () => {
    expect(loadEnv({}).SEGMENT_REFRESH_INTERVAL_MS).toBe(900_000);
    expect(loadEnv({ SEGMENT_REFRESH_INTERVAL_MS: '86400000' }).SEGMENT_REFRESH_INTERVAL_MS).toBe(86_400_000);
  });

  // Above 2^31 - 1 ms Node fires a timer after 1 ms: the job would refresh back to back.
  it('refuses an interval over 24 hours with an error naming the variable', () => {
    for (const value of ['86400001', String(2 ** 31)]) {
      const error = (() => {
        try {
          loadEnv({ SEGMENT_REFRESH_INTERVAL_MS: value });
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([`SEGMENT_REFRESH_INTERVAL_MS: must be at most 86400000 ms (24 hours) (got "${value}")`]);
    }
  });

  it('refuses a job interval setTimeout cannot wait', () => {
    const refresher = {} as SegmentRefresher;
    expect(() => new SegmentRefreshJob(refresher, 2 ** 31)).toThrow(RangeError);
    expect(() => new SegmentRefreshJob(refresher, 0)).toThrow(RangeError);
    expect(() => new SegmentRefreshJob(refresher, 2 ** 31 - 1)).not.toThrow();
  });
});
