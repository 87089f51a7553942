import { describe, expect, it } from 'vitest';
import { inScope, requireLocation, type Identity } from './identity';

const A = '0176f90a-c000-7e2a-a3e9-d76f2fb83dee';
const manager: Identity = { subject: 'm', role: 'manager', locations: [A], actor: 'm' };

describe('location scope', () => {
  it('matches a location id whatever its case, as PostgreSQL matches UUIDs', () => {
    expect(inScope(manager, A.toUpperCase())).toBe(true);
    expect(() => requireLocation(manager, A.toUpperCase())).not.toThrow();
    expect(inScope(manager, '0176fe31-1c00-7214-83df-7d28163d9957')).toBe(false);
    expect(() => requireLocation(manager, '0176FE31-1C00-7214-83DF-7D28163D9957')).toThrow(/outside your locations/);
  });
});
