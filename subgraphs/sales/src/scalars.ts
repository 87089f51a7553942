import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(value: unknown): string {
  const match = typeof value === 'string' ? ISO_DATE.exec(value) : null;
  const [year, month, day] = match ? match.slice(1).map(Number) : [];
  if (!match || month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) {
    throw new GraphQLError(`Date must be a real calendar date written YYYY-MM-DD, e.g. "2026-03-02"; got ${JSON.stringify(value)}`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return value as string;
}

/**
 * A calendar date without a time or a zone (a local day, the Monday of a week, the 1st of a
 * month), carried as YYYY-MM-DD. Kept as that string end to end: a JS Date would put it at a
 * UTC instant and shift it a day in half the world.
 */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD, e.g. "2026-03-02".',
  // What resolvers return comes from PostgreSQL's date::text: its shape is checked, not the calendar.
  serialize: (value) => (typeof value === 'string' && ISO_DATE.test(value) ? value : parseDate(value)),
  parseValue: parseDate,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('Date must be a string such as "2026-03-02"', { extensions: { code: 'BAD_USER_INPUT' } });
    return parseDate(ast.value);
  },
});
