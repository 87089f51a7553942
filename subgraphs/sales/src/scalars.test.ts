import { describe, expect, it } from 'vitest';
import { DecimalScalar } from '@joinery/core';
import { DateScalar } from './scalars';

describe('Date', () => {
  it('takes real calendar dates written YYYY-MM-DD and refuses the rest with BAD_USER_INPUT', () => {
    expect(DateScalar.parseValue('2024-02-29')).toBe('2024-02-29');
    for (const bad of ['2026-02-29', '2026-13-01', '2026-1-05', '2026-01-05T00:00:00Z', 20260105]) {
      expect(() => DateScalar.parseValue(bad)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }));
    }
  });
});

describe('Decimal (core\'s, as sales serves it)', () => {
  it('sends strings with two decimals as they are and everything else through decimal.js', () => {
    expect(DecimalScalar.serialize('-1234.50')).toBe('-1234.50');
    expect(DecimalScalar.serialize('12')).toBe('12.00');
    expect(DecimalScalar.serialize('0.125')).toBe('0.13');
    expect(DecimalScalar.serialize(3)).toBe('3.00');
    expect(() => DecimalScalar.serialize('12,50')).toThrow();
  });
});
