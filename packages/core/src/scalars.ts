import Decimal from 'decimal.js';
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DECIMAL = /^-?\d{1,20}(\.\d{1,10})?$/;

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** Parses an ISO 8601 date-time with an explicit offset; anything else is refused. */
export function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_8601.test(value)) {
    throw badInput(`DateTime must be an ISO 8601 string with a time zone offset, e.g. "2026-03-01T09:30:00Z"; got ${JSON.stringify(value)}`);
  }
  const date = new Date(value);
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const [hour, minute] = value.slice(11, 16).split(':').map(Number);
  if (Number.isNaN(date.getTime()) || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59) {
    throw badInput(`DateTime ${JSON.stringify(value)} is not a real date`);
  }
  return date;
}

/** Parses a decimal carried as a string ("1299.00"); integers are accepted, floats are not (they lose cents). */
export function parseDecimal(value: unknown): Decimal {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return new Decimal(value);
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    throw badInput(`Decimal must be a string of digits with an optional fraction, e.g. "1299.00"; got ${JSON.stringify(value)}`);
  }
  return new Decimal(value);
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO 8601 date-time with a time zone offset, e.g. "2026-03-01T09:30:00.000Z".',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return parseDateTime(value).toISOString();
    throw new GraphQLError(`DateTime cannot represent ${JSON.stringify(value)}`);
  },
  parseValue: parseDateTime,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});

/** Already what the wire carries: no leading zeros, exactly two decimals, not a negative zero. */
const CANONICAL_MONEY = /^(?!-0\.00$)-?(?:0|[1-9]\d{0,19})\.\d{2}$/;

/** Money is carried with exactly two decimals; arithmetic stays in decimal.js, never in floats. */
export const DecimalScalar = new GraphQLScalarType<Decimal, string>({
  name: 'Decimal',
  description: 'A decimal number carried as a string to keep every cent, e.g. "1299.00".',
  serialize(value) {
    // Services mostly hand over canonical strings (decimal.js toFixed(2), SQL numeric::text): those
    // go out as they are. A 10,000-row report carries 30,000 of them, and re-parsing each through
    // decimal.js was half of the time graphql-js spent on it.
    if (typeof value === 'string' && CANONICAL_MONEY.test(value)) return value;
    if (typeof value === 'string') return new Decimal(parseDecimal(value)).toFixed(2);
    if (typeof value === 'number') return new Decimal(value).toFixed(2);
    if (value && typeof (value as { toFixed?: unknown }).toFixed === 'function') {
      return new Decimal((value as { toString(): string }).toString()).toFixed(2);
    }
    throw new GraphQLError(`Decimal cannot represent ${JSON.stringify(value)}`);
  },
  parseValue: parseDecimal,
  parseLiteral(ast: ValueNode) {
    if (ast.kind === Kind.STRING) return parseDecimal(ast.value);
    if (ast.kind === Kind.INT) return parseDecimal(Number(ast.value));
    throw badInput('Decimal must be a string such as "1299.00"');
  },
});

export const scalarResolvers = { DateTime: DateTimeScalar, Decimal: DecimalScalar };
