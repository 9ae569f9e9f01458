// The two SQL backends (PGlite in-process, PostgreSQL through `pg`) behind one small interface, so the
// store speaks one dialect and never knows which engine runs it.

/** A connection (or transaction) that runs one parameterised statement at a time. */
export interface SqlClient {
  query<Row extends object>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface Database {
  readonly dialect: 'pglite' | 'postgres';
  /** Runs `work` on a consistent snapshot; no writes. */
  read<T>(work: (sql: SqlClient) => Promise<T>): Promise<T>;
  /** Runs `work` in one transaction: commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (sql: SqlClient) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only (a database several servers may share): calls `onMessage` with the payload of every
   * NOTIFY on `channel`, from any server, and `onReconnected` after a lost listening connection is back
   * (notifications sent meanwhile are lost: catch up from the table). Stops with the returned function
   * or with close().
   */
  listen?(channel: string, onMessage: (payload: string) => void, onReconnected: () => void): Promise<() => Promise<void>>;
  /** For the operator's metrics: the connection pool (PostgreSQL) and how often LISTEN reconnected. */
  stats?(): DatabaseStats;
  close(): Promise<void>;
}

export interface DatabaseStats {
  pool?: { total: number; idle: number; waiting: number };
  listenReconnects: number;
}

/**
 * A FIFO lock. PGlite has one connection: a statement issued while another caller's transaction is
 * open would run inside that transaction, so every use of the connection takes this lock.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    // The next caller waits for this one to settle either way.
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }
}

/** The SQLSTATE of a database error, when it carries one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
