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
        const tx: RawSql = {
          async $executeRaw(strings, ...values) {
            const sql = strings.reduce((text, part, i) => text + `$${i}` + part);
            const result = await connection.query(sql, values);
            return result.affectedRows ?? result.rowCount ?? result.rows.length;
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
