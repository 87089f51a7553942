import type { Database } from '../db/database';
import type { RawSql, TransactionRunner } from './event-consumer';

/**
 * A TransactionRunner straight on a Database's connections, for code without a Prisma client
 * (benchmarks and tests of the event machinery). On PGlite, transactions must not overlap.
 */
export function sqlTransactions(database: Database): TransactionRunner<RawSql> {
  return {
    $transaction: (fn) =>
      database.withConnection(async (connection) => {
        const toSql = (strings: TemplateStringsArray) => strings.reduce((text, part, i) => text + `$${i}` + part);
        const tx: RawSql = {
          async $executeRaw(strings, ...values) {
            const result = await connection.query(toSql(strings), values);
            return result.rowCount ?? result.rows.length;
          },
          async $queryRaw<T>(strings: TemplateStringsArray, ...values: unknown[]) {
            return (await connection.query(toSql(strings), values)).rows as T;
          },
        };
        await connection.query('BEGIN');
        try {
          const value = await fn(tx as never);
          await connection.query('COMMIT');
          return value;
        } catch (error) {
          await connection.query('ROLLBACK');
          throw error;
        }
      }),
  };
}
