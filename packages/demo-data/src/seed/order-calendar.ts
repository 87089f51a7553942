import { DAY_MS } from './calendar';
import type { Location } from './model';
import { dayFactor, SEASON } from './trading-hours';

/** Sales grow this much from the first to the last day of the history. */
const GROWTH = 0.15;

export interface TradingDay {
  /** UTC midnight; every order of the day falls on this UTC date (see trading-hours.ts). */
  start: number;
  date: Date;
  orders: number;
}

/**
 * The days of the history and how many orders each gets: weekends, seasons, growth and which
 * locations are open that day, with exactly `orders` in total. The last day only counts the part
 * before `until`.
 */
export function tradingDays(historyStart: Date, until: Date, orders: number, outlets: readonly Location[]): TradingDay[] {
  const first = historyStart.getTime();
  const end = until.getTime();
  const days: { start: number; date: Date; weight: number }[] = [];
  for (let start = first; start < end; start += DAY_MS) {
    const date = new Date(start);
    const open = outlets.reduce((sum, outlet) => sum + outlet.salesShare * dayFactor(outlet, date), 0);
    const elapsed = Math.min(1, (end - start) / DAY_MS);
    const progress = (start - first) / Math.max(DAY_MS, end - first);
    days.push({ start, date, weight: open * SEASON[date.getUTCMonth()] * (1 + GROWTH * progress) * elapsed });
  }
  const total = days.reduce((sum, day) => sum + day.weight, 0);
  let sum = 0;
  let assigned = 0;
  return days.map((day, i) => {
    sum += day.weight;
    const upTo = i === days.length - 1 ? orders : Math.round((orders * sum) / total);
    const count = upTo - assigned;
    assigned = upTo;
    return { start: day.start, date: day.date, orders: count };
  });
}
