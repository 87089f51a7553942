export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The same time `months` calendar months earlier, on the month's last day when the day is missing. */
export function monthsBefore(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()));
}

/** The sales history starts at UTC midnight, `months` before `until`. */
export function historyStartOf(until: Date, months: number): Date {
  return new Date(startOfUtcDay(monthsBefore(until, months).getTime()));
}

/**
 * UTC offsets of IANA zones, one per zone and UTC day. The offset is read at noon: every zone
 * here changes clocks at 01:00 UTC, before any shop opens, so it holds for all trading hours.
 */
export class UtcOffsets {
  private readonly formats = new Map<string, Intl.DateTimeFormat>();
  private readonly cache = new Map<string, number>();

  offsetMs(timeZone: string, dayStartMs: number): number {
    const key = `${timeZone}|${dayStartMs}`;
    let offset = this.cache.get(key);
    if (offset === undefined) {
      offset = this.read(timeZone, dayStartMs + 12 * HOUR_MS);
      this.cache.set(key, offset);
    }
    return offset;
  }

  private read(timeZone: string, ms: number): number {
    let format = this.formats.get(timeZone);
    if (!format) {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
      this.formats.set(timeZone, format);
    }
    const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((part) => [part.type, Number(part.value)]));
    const wallClock = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return wallClock - Math.floor(ms / 1000) * 1000;
  }
}
