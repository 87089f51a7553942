import { describe, expect, it } from 'vitest';
import { actorOf, ANONYMOUS_ACTOR } from './actor';

describe('actorOf', () => {
  it('reads the joinery-actor header, trimmed', () => {
    expect(actorOf({ headers: { 'joinery-actor': '  store-manager@oslo ' } })).toBe('store-manager@oslo');
  });

  it('is anonymous without the header or with a blank one', () => {
    expect(actorOf({ headers: {} })).toBe(ANONYMOUS_ACTOR);
    expect(actorOf({ headers: { 'joinery-actor': '   ' } })).toBe(ANONYMOUS_ACTOR);
    expect(actorOf(undefined)).toBe(ANONYMOUS_ACTOR);
  });

  it('drops control characters and bounds the length', () => {
    expect(actorOf({ headers: { 'joinery-actor': 'eve\n{"level":"error"}' } })).toBe('eve{"level":"error"}');
    expect(actorOf({ headers: { 'joinery-actor': 'x'.repeat(500) } })).toHaveLength(200);
  });
});
