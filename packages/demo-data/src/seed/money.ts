/** Money is counted in integer cents and only turned into "123.45" at the edge, so sums stay exact. */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`Expected a non-negative whole number of cents, got ${cents}`);
  const fraction = cents % 100;
  return `${(cents - fraction) / 100}.${fraction < 10 ? '0' : ''}${fraction}`;
}

export function parseCents(amount: string): number {
  const match = /^(\d+)\.(\d{2})$/.exec(amount);
  if (!match) throw new RangeError(`Expected an amount like "123.45", got ${JSON.stringify(amount)}`);
  return Number(match[1]) * 100 + Number(match[2]);
}

/** `percent` of `cents`, rounded half up to a cent. */
export function percentOf(cents: number, percent: number): number {
  return Math.round((cents * percent) / 100);
}
