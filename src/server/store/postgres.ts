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

  const listeners = new Set<() => Promise<void>>();
  let listenReconnects = 0;
  return {
    dialect: 'postgres',
    read: (work) => inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work),
    transaction: (work) => inTransaction('BEGIN', work),
    async listen(channel, onMessage, onReconnected) {
      const stop = await listenOn(databaseUrl, channel, onMessage, () => {
        listenReconnects++;
        onReconnected();
      }, onIdleError);
      listeners.add(stop);
      return async () => {
        listeners.delete(stop);
        await stop();
      };
    },
    stats: () => ({ pool: { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }, listenReconnects }),
    close: async () => {
      await Promise.all([...listeners].map((stop) => stop()));
      listeners.clear();
      await pool.end();
    },
  };
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

/**
 * A connection of its own (outside the pool: LISTEN belongs to a session) that stays subscribed to
 * `channel`, reconnecting with backoff when the server drops it.
 */
async function listenOn(
  databaseUrl: string, channel: string, onMessage: (payload: string) => void, onReconnected: () => void,
  onError: ((error: Error) => void) | undefined,
): Promise<() => Promise<void>> {
  // An identifier, not a parameter: LISTEN takes none. Ours are fixed names; refuse anything else.
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = RECONNECT_MIN_MS;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl, application_name: 'flightdeck-events' });
    let lost = false;
    const onLost = (error?: Error): void => {
      if (lost) return;
      lost = true;
      if (error) onError?.(error);
      if (client === next) client = undefined;
      void next.end().catch(() => undefined);
      reconnectLater();
    };
    next.on('notification', (message) => {
      if (message.channel === channel) onMessage(message.payload ?? '');
    });
    next.on('error', onLost);
    next.on('end', () => onLost());
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (error) {
      onLost(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    delay = RECONNECT_MIN_MS;
  };

  const reconnectLater = (): void => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(() => { if (!stopped) onReconnected(); }, () => undefined);
    }, delay);
    retry.unref();
    delay = Math.min(RECONNECT_MAX_MS, delay * 2);
  };

  try {
    await connect();
  } catch (error) {
    // The first connection is the caller's to handle: no retries behind its back.
    stopped = true;
    clearTimeout(retry);
    throw error;
  }
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const current = client;
    client = undefined;
    await current?.end().catch(() => undefined);
  };
}
