import { describe, expect, it } from 'vitest';
import Decimal from 'decimal.js';
import { DateTimeScalar, DecimalScalar, parseDateTime, parseDecimal } from './scalars';

describe('Decimal', () => {
  it('keeps every cent of string input and prints money with two decimals', () => {
    expect(parseDecimal('1299.5').toFixed(2)).toBe('1299.50');
    expect(parseDecimal('0.10').plus(parseDecimal('0.20')).toString()).toBe('0.3');
    expect(DecimalScalar.serialize('12')).toBe('12.00');
  });

  it.each(['12.3.4', 'abc', '', '1e5', ' 12', '12,50'])('refuses the malformed decimal %j', (value) => {
    expect(() => parseDecimal(value)).toThrow(/Decimal must be/);
  });

  it('refuses floats, which lose cents, but accepts whole numbers', () => {
    expect(() => parseDecimal(0.1)).toThrow(/Decimal must be/);
    expect(parseDecimal(12).toFixed(2)).toBe('12.00');
  });
});

describe('DateTime', () => {
  it('parses ISO 8601 with an offset and prints UTC', () => {
    expect(parseDateTime('2026-03-01T10:30:00+01:00').toISOString()).toBe('2026-03-01T09:30:00.000Z');
    expect(DateTimeScalar.serialize(new Date('2026-03-01T09:30:00Z'))).toBe('2026-03-01T09:30:00.000Z');
  });

  it.each(['2026-13-45T00:00:00Z', '2026-03-01', '2026-03-01T09:30:00', 'yesterday', '2026-02-30T00:00:00Z'])('refuses %j', (value) => {
    expect(() => parseDateTime(value)).toThrow(/DateTime/);
  });
});

describe('Decimal serialising canonical strings as they are', () => {
  it('passes two-decimal strings through and still normalises leading zeros and a negative zero', () => {
    expect(DecimalScalar.serialize('0.10')).toBe('0.10');
    expect(DecimalScalar.serialize('007.50')).toBe('7.50');
    expect(DecimalScalar.serialize('-0.00')).toBe(new Decimal('-0.00').toFixed(2));
  });
});
