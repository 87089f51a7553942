import { describe, expect, it } from 'vitest';
import { gridRows, RFM_SEGMENTS, segmentOf } from './rfm-grid';

describe('RFM segment grid', () => {
  it('names the cells docs/analytics.md lists', () => {
    expect(segmentOf(5, 5, 5)).toBe('CHAMPIONS');
    expect(segmentOf(5, 1, 1)).toBe('NEW_CUSTOMERS');
    expect(segmentOf(4, 1, 1)).toBe('PROMISING');
    // FM rounds half up: F 1 + M 2 = 1.5 -> 2.
    expect(segmentOf(4, 1, 2)).toBe('POTENTIAL_LOYALIST');
    expect(segmentOf(4, 3, 3)).toBe('LOYAL');
    expect(segmentOf(3, 2, 3)).toBe('NEED_ATTENTION');
    expect(segmentOf(3, 1, 2)).toBe('ABOUT_TO_SLEEP');
    expect(segmentOf(2, 5, 5)).toBe('AT_RISK');
    expect(segmentOf(1, 4, 5)).toBe('CANNOT_LOSE_THEM');
    expect(segmentOf(2, 1, 1)).toBe('HIBERNATING');
    expect(segmentOf(1, 2, 1)).toBe('LOST');
  });

  it('has 25 cells and uses every segment', () => {
    const rows = gridRows();
    expect(rows.r).toHaveLength(25);
    expect(new Set(rows.segment)).toEqual(new Set(RFM_SEGMENTS));
    expect(rows.r.map((r, index) => `${r}${rows.fm[index]}`)).toContain('15');
  });
});
