import type { Location } from './model';

/** Relative orders per local hour: [first hour, weights...]. */
type HourCurve = readonly [number, readonly number[]];

const STORE_WEEKDAY: HourCurve = [10, [0.5, 0.7, 0.9, 1, 1.2, 1.35, 1.35, 1.2, 0.9, 0.5]];
const STORE_SATURDAY: HourCurve = [10, [0.6, 0.9, 1.1, 1.3, 1.4, 1.4, 1.2, 0.8]];
const STORE_SUNDAY: HourCurve = [12, [0.9, 1.2, 1.4, 1.3, 1]];
/**
 * Online orders run from 06:00 to midnight. Keeping every order between 03:00 and 24:00 local
 * time keeps it on the same UTC day in every zone here (UTC+0 to UTC+3), which lets the
 * generator emit days in order.
 */
const ONLINE: HourCurve = [6, [0.15, 0.3, 0.45, 0.6, 0.75, 0.85, 1, 1.05, 1.05, 1, 0.95, 0.9, 0.95, 1.1, 1.2, 1.1, 0.7, 0.35]];

/** Sunday first, as Date.getUTCDay. Stores fill up at weekends; online peaks on Sunday evening. */
const STORE_DAYS = [1.2, 0.75, 0.75, 0.8, 0.9, 1.05, 1.6];
const ONLINE_DAYS = [1.25, 1.05, 1, 1, 1, 0.9, 1];

/** Germany and Austria keep shops shut on Sundays. */
const SUNDAY_CLOSED = new Set(['DE', 'AT']);

/** Month factor (UTC month): January sales, a summer dip, the Black Friday peak. */
export const SEASON = [1.1, 0.85, 0.9, 0.95, 1, 0.95, 0.85, 0.95, 1, 1.05, 1.35, 1.15];

function isPublicHoliday(date: Date): boolean {
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  return (month === 11 && (day === 25 || day === 26)) || (month === 0 && day === 1);
}

/** Relative order volume of a location on a (local) date; 0 when it is closed. */
export function dayFactor(location: Location, date: Date): number {
  const weekday = date.getUTCDay();
  if (location.kind === 'ONLINE') return ONLINE_DAYS[weekday];
  if (location.kind !== 'STORE' || isPublicHoliday(date)) return 0;
  if (weekday === 0 && SUNDAY_CLOSED.has(location.country)) return 0;
  return STORE_DAYS[weekday];
}

export function hourCurve(location: Location, weekday: number): HourCurve {
  if (location.kind === 'ONLINE') return ONLINE;
  return weekday === 0 ? STORE_SUNDAY : weekday === 6 ? STORE_SATURDAY : STORE_WEEKDAY;
}
