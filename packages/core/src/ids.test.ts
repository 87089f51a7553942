import { describe, expect, it } from 'vitest';
import { isUuid, requestHash, uuidv7 } from './ids';

describe('ids', () => {
  it('makes time-ordered v7 UUIDs', () => {
    const earlier = uuidv7(1_700_000_000_000);
    const later = uuidv7(1_700_000_000_001);
    expect(isUuid(earlier)).toBe(true);
    expect(earlier[14]).toBe('7');
    expect(earlier < later).toBe(true);
  });

  it('hashes a request the same whatever its key order or omitted fields', () => {
    expect(requestHash({ a: 1, b: { c: 2, d: null } })).toBe(requestHash({ b: { c: 2 }, a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
  });
});
