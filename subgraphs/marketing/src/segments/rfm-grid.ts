import type { RfmSegment } from '../generated/prisma/client';

/** The scope of the overall segmentation in `customer_rfm.scope`; a location's scope is its id. */
export const OVERALL_SCOPE = 'overall';

/**
 * Segment names by (R, FM), FM = round half up of (F + M) / 2: GRID[5 - R][FM - 1]. Each cell lies
 * within the score ranges of the widely used 11-segment RFM table (docs/analytics.md cites it);
 * that table's ranges overlap, and this grid is one reading of it with no overlap.
 */
export const RFM_GRID: readonly (readonly RfmSegment[])[] = [
  /* R=5 */ ['NEW_CUSTOMERS', 'POTENTIAL_LOYALIST', 'POTENTIAL_LOYALIST', 'CHAMPIONS', 'CHAMPIONS'],
  /* R=4 */ ['PROMISING', 'POTENTIAL_LOYALIST', 'LOYAL', 'CHAMPIONS', 'CHAMPIONS'],
  /* R=3 */ ['ABOUT_TO_SLEEP', 'ABOUT_TO_SLEEP', 'NEED_ATTENTION', 'LOYAL', 'LOYAL'],
  /* R=2 */ ['HIBERNATING', 'HIBERNATING', 'AT_RISK', 'AT_RISK', 'AT_RISK'],
  /* R=1 */ ['LOST', 'LOST', 'AT_RISK', 'CANNOT_LOSE_THEM', 'CANNOT_LOSE_THEM'],
];

export const RFM_SEGMENTS: readonly RfmSegment[] = [
  'CHAMPIONS', 'LOYAL', 'POTENTIAL_LOYALIST', 'NEW_CUSTOMERS', 'PROMISING', 'NEED_ATTENTION', 'ABOUT_TO_SLEEP', 'AT_RISK', 'CANNOT_LOSE_THEM', 'HIBERNATING', 'LOST',
];

export function fmScore(frequencyScore: number, monetaryScore: number): number {
  return Math.floor((frequencyScore + monetaryScore + 1) / 2);
}

export function segmentOf(recencyScore: number, frequencyScore: number, monetaryScore: number): RfmSegment {
  return RFM_GRID[5 - recencyScore][fmScore(frequencyScore, monetaryScore) - 1];
}

/** The grid as rows (r, fm, segment): the refresh joins it in SQL. */
export function gridRows(): { r: number[]; fm: number[]; segment: RfmSegment[] } {
  const rows = { r: [] as number[], fm: [] as number[], segment: [] as RfmSegment[] };
  RFM_GRID.forEach((row, index) =>
    row.forEach((segment, column) => {
      rows.r.push(5 - index);
      rows.fm.push(column + 1);
      rows.segment.push(segment);
    }),
  );
  return rows;
}
