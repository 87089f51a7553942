import { describe, expect, it } from 'vitest';
import { readOrderFact, readOrderReturn, UnstorableEventError } from './attribution-events';

const ORDER = '0e000000-0000-4000-8000-000000000001';
const LOCATION = '10000000-0000-4000-8000-000000000001';
const payload = (extra: Record<string, unknown> = {}) => ({
  orderId: ORDER.toUpperCase(), locationId: LOCATION, customerId: 'c-1', campaignId: null, orderedAt: '2026-03-10T12:00:00.000Z',
  totalAmount: '12.50', discountTotal: '0.00', unitCount: 2, lines: [{ sku: 'A', quantity: 2, unitPrice: '6.25', discount: '0.00', lineTotal: '12.50' }], ...extra,
});

describe('readOrderFact', () => {
  it('reads an order event written before locationTimezone and lines[].category existed as UTC and uncategorized', () => {
    expect(readOrderFact(payload(), '2026-03-10T12:00:01Z')).toEqual({
      orderId: ORDER, locationId: LOCATION, locationTimezone: 'UTC', customerId: 'c-1', campaignId: null, orderedAt: '2026-03-10T12:00:00.000Z',
      totalAmount: '12.50', discountTotal: '0.00', unitCount: 2, lines: [{ lineNumber: 1, sku: 'A', category: 'uncategorized', quantity: 2, lineTotal: '12.50' }],
    });
  });

  it('keeps the zone and categories it is given (the consumer checks the zone against PostgreSQL)', () => {
    const fact = readOrderFact(payload({ locationTimezone: 'Europe/Oslo', lines: [{ sku: 'A', quantity: 2, lineTotal: '12.50', category: 'sofas' }] }), '')!;
    expect([fact.locationTimezone, fact.lines[0].category]).toEqual(['Europe/Oslo', 'sofas']);
    expect(readOrderFact(payload({ locationTimezone: 'Mars/Olympus' }), '')!.locationTimezone).toBe('Mars/Olympus');
  });

  it('refuses payloads it cannot attribute rather than guessing', () => {
    expect(readOrderFact(payload({ totalAmount: 12.5 }), '')).toBeNull();
    expect(readOrderFact(payload({ campaignId: 'spring-sale' }), '')).toBeNull();
    expect(readOrderFact(payload({ lines: [{ sku: 'A', quantity: 1.5, lineTotal: '1.00' }] }), '')).toBeNull();
    expect(readOrderReturn({ orderId: ORDER, refundTotal: '-' })).toBeNull();
  });

  // Regression: amounts of up to 20 integer digits and 10 decimals were accepted and then written to
  // DECIMAL(14,2): PostgreSQL failed the batch with an overflow naming no field, or rounded away a decimal.
  it('fails an amount or count beyond its column naming the field, instead of overflowing or rounding it', () => {
    /** The field an UnstorableEventError names, or 'accepted'. */
    const failure = (extra: Record<string, unknown>): string => {
      try {
        readOrderFact(payload(extra), '');
        return 'accepted';
      } catch (error) {
        if (error instanceof UnstorableEventError) return error.field;
        throw error;
      }
    };
    expect(() => readOrderFact(payload({ totalAmount: '1234567890123.00' }), '')).toThrow(`order ${ORDER}: totalAmount "1234567890123.00" does not fit DECIMAL(14,2) (at most 12 integer digits and 2 decimals)`);
    expect(failure({ totalAmount: '1234567890123.00' })).toBe('totalAmount');
    expect(failure({ discountTotal: '0.001' })).toBe('discountTotal');
    expect(failure({ lines: [{ sku: 'A', quantity: 1, lineTotal: '1.00' }, { sku: 'B', quantity: 1, lineTotal: '12.505' }] })).toBe('lines[1].lineTotal');
    expect(failure({ unitCount: 2 ** 31 })).toBe('unitCount');
    expect(failure({ lines: [{ sku: 'A', quantity: 2 ** 31, lineTotal: '1.00' }] })).toBe('lines[0].quantity');
    expect(() => readOrderReturn({ orderId: ORDER, refundTotal: '99999999999999' })).toThrow(/refundTotal/);
    // The largest amounts the columns hold still pass.
    expect(failure({ totalAmount: '999999999999.99', discountTotal: '-5', lines: [{ sku: 'A', quantity: 2, lineTotal: '999999999999.9' }] })).toBe('accepted');
  });
});
