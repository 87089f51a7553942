import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ROLES, type Identity } from '@joinery/core';
import { prepareSubscription, type PreparedSubscription } from './prepare-subscription';
import { authorizeSubscription, subscriberScope } from './subscriber-scope';

const schema = buildSchema(`
  type Query { stockChange(id: ID!): StockChange lowStockAlert(id: ID!): LowStockAlert }
  type Subscription { stockChanged(locationId: ID, skus: [ID!]): StockChange! lowStock(locationId: ID): LowStockAlert! }
  type StockChange { id: ID! }
  type LowStockAlert { id: ID! }
`);
const OSLO = '0193a3c5-7d1e-7000-8000-000000000001';
const BERGEN = '0193a3c5-7d1e-7000-8000-000000000002';

function prepared(query: string, variables?: Record<string, unknown>): PreparedSubscription {
  const result = prepareSubscription(schema, parse(query), undefined, variables);
  if (Array.isArray(result)) throw new Error(result[0].message);
  return result;
}
const scope = (role: Identity['role'], locations: Identity['locations']) => subscriberScope({ subject: `test-${role}`, role, locations, actor: `test-${role}` });

describe('authorizeSubscription', () => {
  it('lets every role subscribe to stock at its own locations, with or without a location argument', () => {
    for (const role of ROLES) {
      for (const field of ['stockChanged', 'lowStock']) {
        expect(authorizeSubscription(scope(role, [OSLO]), prepared(`subscription { ${field} { id } }`))).toEqual([]);
        expect(authorizeSubscription(scope(role, [OSLO]), prepared(`subscription($l: ID) { ${field}(locationId: $l) { id } }`, { l: OSLO }))).toEqual([]);
      }
    }
  });

  it('refuses a location argument outside the scope with FORBIDDEN naming it', () => {
    for (const field of ['stockChanged', 'lowStock']) {
      const errors = authorizeSubscription(scope('manager', [OSLO]), prepared(`subscription($l: ID) { ${field}(locationId: $l) { id } }`, { l: BERGEN }));
      expect(errors.map((error) => ({ message: error.message, code: error.extensions.code }))).toEqual([
        { message: `Location ${BERGEN} is outside your locations: you may subscribe to events at your own locations only`, code: 'FORBIDDEN' },
      ]);
    }
    expect(authorizeSubscription(scope('admin', '*'), prepared(`subscription($l: ID) { stockChanged(locationId: $l) { id } }`, { l: BERGEN }))).toEqual([]);
    // A caller with no locations at all may name none.
    expect(authorizeSubscription(scope('analyst', []), prepared(`subscription($l: ID) { lowStock(locationId: $l) { id } }`, { l: OSLO })).map((error) => error.extensions.code)).toEqual(['FORBIDDEN']);
  });

  it('compares location ids case-insensitively', () => {
    expect(authorizeSubscription(scope('manager', [OSLO]), prepared(`subscription($l: ID) { stockChanged(locationId: $l) { id } }`, { l: OSLO.toUpperCase() }))).toEqual([]);
  });

  it('refuses a role without the field\'s permission', () => {
    // Every role may read stock today; a field needing more shows the permission is checked.
    const auditField = prepared(`subscription { stockChanged { id } }`);
    const needsAudit = { ...auditField, field: { ...auditField.field, permission: 'audit:read' as const } };
    const errors = authorizeSubscription(scope('manager', '*'), needsAudit);
    expect(errors.map((error) => ({ message: error.message, code: error.extensions.code }))).toEqual([{ message: 'The manager role may not do this (needs audit:read)', code: 'FORBIDDEN' }]);
    expect(authorizeSubscription(scope('admin', '*'), needsAudit)).toEqual([]);
  });
});

describe('subscriberScope', () => {
  it('sees events at its locations only; a brand-wide event (no location) only with every location', () => {
    const managerAtOslo = scope('manager', [OSLO]);
    expect([managerAtOslo.sees(OSLO), managerAtOslo.sees(OSLO.toUpperCase()), managerAtOslo.sees(BERGEN), managerAtOslo.sees(undefined)]).toEqual([true, true, false, false]);
    const admin = scope('admin', '*');
    expect([admin.sees(OSLO), admin.sees(undefined)]).toEqual([true, true]);
  });

  it('keys scopes by role and locations, not by subject', () => {
    const a = subscriberScope({ subject: 'maria', role: 'manager', locations: [OSLO, BERGEN], actor: 'maria' });
    const b = subscriberScope({ subject: 'mona', role: 'manager', locations: [BERGEN, OSLO], actor: 'mona' });
    const c = subscriberScope({ subject: 'maria', role: 'analyst', locations: [OSLO, BERGEN], actor: 'maria' });
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
  });
});
