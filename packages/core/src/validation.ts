import Decimal from 'decimal.js';
import { DomainError, userError, type UserError } from './errors';

const validTimeZones = new Set(Intl.supportedValuesOf('timeZone'));
validTimeZones.add('UTC');

/**
 * Collects every problem of one input before anything is written, so a client sees them all at
 * once; `throwIfAny` ends the mutation with userErrors.
 */
export class InputErrors {
  readonly errors: UserError[] = [];

  add(field: string[], message: string, code: UserError['code'] = 'BAD_USER_INPUT'): void {
    this.errors.push(userError(code, message, field));
  }

  text(field: string[], value: string | null | undefined, { max = 200, min = 1 } = {}): string {
    const trimmed = (value ?? '').trim();
    if (trimmed.length < min) this.add(field, `${field.at(-1)} must not be empty`);
    else if (trimmed.length > max) this.add(field, `${field.at(-1)} must be at most ${max} characters; got ${trimmed.length}`);
    return trimmed;
  }

  pattern(field: string[], value: string, pattern: RegExp, expected: string): string {
    if (!pattern.test(value)) this.add(field, `${field.at(-1)} ${JSON.stringify(value)} is invalid: ${expected}`);
    return value;
  }

  timeZone(field: string[], value: string): string {
    if (!validTimeZones.has(value)) this.add(field, `timezone ${JSON.stringify(value)} is not an IANA time zone such as "Europe/Oslo"`);
    return value;
  }

  /** Money: not negative, at most two decimals, below 10^10. */
  money(field: string[], value: Decimal): Decimal {
    if (value.isNegative()) this.add(field, `${field.at(-1)} must not be negative; got ${value.toString()}`);
    else if (value.decimalPlaces() > 2) this.add(field, `${field.at(-1)} must have at most two decimals; got ${value.toString()}`);
    else if (value.greaterThanOrEqualTo('1e10')) this.add(field, `${field.at(-1)} is too large; got ${value.toString()}`);
    return value;
  }

  integer(field: string[], value: number, { min, max }: { min?: number; max?: number }): number {
    if (min !== undefined && value < min) this.add(field, `${field.at(-1)} must be at least ${min}; got ${value}`);
    if (max !== undefined && value > max) this.add(field, `${field.at(-1)} must be at most ${max}; got ${value}`);
    return value;
  }

  throwIfAny(): void {
    if (this.errors.length) throw new DomainError(this.errors);
  }
}
