import { describe, expect, it } from 'vitest';
import { periodStart } from './milestone-period';

const start = (at: string, period: 'DAY' | 'WEEK' | 'MONTH') => periodStart(new Date(at), period).toISOString();

describe('periodStart (UTC)', () => {
  it('starts a day at 00:00Z, whatever offset the instant was written with', () => {
    expect(start('2026-03-04T23:59:59.999Z', 'DAY')).toBe('2026-03-04T00:00:00.000Z');
    expect(start('2026-03-05T00:30:00+01:00', 'DAY')).toBe('2026-03-04T00:00:00.000Z');
  });

  it('starts a week on Monday 00:00Z, also for a Sunday and across a month and year end', () => {
    expect(start('2026-03-02T00:00:00Z', 'WEEK')).toBe('2026-03-02T00:00:00.000Z');
    expect(start('2026-03-08T23:00:00Z', 'WEEK')).toBe('2026-03-02T00:00:00.000Z');
    expect(start('2026-03-09T00:00:00Z', 'WEEK')).toBe('2026-03-09T00:00:00.000Z');
    expect(start('2026-01-01T12:00:00Z', 'WEEK')).toBe('2025-12-29T00:00:00.000Z');
  });

  it('starts a month on the 1st 00:00Z', () => {
    expect(start('2026-02-28T23:59:59Z', 'MONTH')).toBe('2026-02-01T00:00:00.000Z');
    expect(start('2026-03-01T00:00:00Z', 'MONTH')).toBe('2026-03-01T00:00:00.000Z');
  });
});
