// A PostgreSQL server through `pg`: for teams, and for running several servers on one database.
import pg from 'pg';
import { sqlState, type Database, type SqlClient } from './database';

/** Serialization failures and deadlocks are safe to retry: the transaction left no trace. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 4;

export async function openPostgres(databaseUrl: string, onIdleError?: (error: Error) => void): Promise<Database> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, application_name: 'flightdeck' });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', (error) => onIdleError?.(error));
  const probe = await pool.connect();
  probe.release();

  const clientOf = (connection: pg.PoolClient): SqlClient => ({
    async query<Row extends object>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await connection.query<Row & pg.QueryResultRow>(sql, [...params])).rows;
    },
  });

  async function inTransaction<T>(begin: string, work: (sql: SqlClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const connection = await pool.connect();
      let broken = false;
      try {
        await connection.query(begin);
        const result = await work(clientOf(connection));
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is discarded rather than returned to the pool.
        await connection.query('ROLLBACK').catch(() => { broken = true; });
        if (attempt < MAX_ATTEMPTS && RETRYABLE.has(sqlState(error) ?? '')) continue;
        throw error;
      } finally {
        connection.release(broken);
      }
    }
  }

  return {
    dialect: 'postgres',
    read: (work) => inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work),
    transaction: (work) => inTransaction('BEGIN', work),
    close: () => pool.end(),
  };
}
