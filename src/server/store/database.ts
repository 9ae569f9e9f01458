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

/** How long holders of a Mutex may follow one another before the event loop gets a turn. */
export const MUTEX_SLICE_MS = 4;

/**
 * A FIFO lock. PGlite has one connection: a statement issued while another caller's transaction is
 * open would run inside that transaction, so every use of the connection takes this lock.
 *
 * PGlite answers in-process, so holders handed on by promises alone would run back to back in one
 * turn of the event loop: a burst of queued queries (200 streams opening at once, each authenticating
 * and reading the event window) held it for hundreds of milliseconds while /healthz waited. Once
 * holders have followed one another for MUTEX_SLICE_MS, the next one waits for a turn.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  /** When the current run of holders began, in this turn of the event loop (undefined: a new turn). */
  private sliceStartedAt: number | undefined;

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.takeTurn()).then(work);
    // The next caller waits for this one to settle either way.
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }

  private async takeTurn(): Promise<void> {
    if (this.sliceStartedAt !== undefined && performance.now() - this.sliceStartedAt >= MUTEX_SLICE_MS) {
      // The reset below was queued first, so it has run once this resolves.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (this.sliceStartedAt === undefined) {
      this.sliceStartedAt = performance.now();
      setImmediate(() => { this.sliceStartedAt = undefined; });
    }
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
