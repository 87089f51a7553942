import type { MilestonePeriod } from '../generated/prisma/client';

const DAY_MS = 86_400_000;

/**
 * The start of the UTC period holding `at`: the day from 00:00Z, the ISO week from Monday 00:00Z,
 * the month from the 1st 00:00Z. UTC until locations carry time zones for this (issue 5).
 */
export function periodStart(at: Date, period: MilestonePeriod): Date {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  switch (period) {
    case 'DAY':
      return new Date(day);
    case 'WEEK':
      // getUTCDay: Sunday 0 … Saturday 6; days since Monday: (day + 6) % 7.
      return new Date(day - ((at.getUTCDay() + 6) % 7) * DAY_MS);
    case 'MONTH':
      return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  }
}
