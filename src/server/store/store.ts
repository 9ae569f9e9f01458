// The store: the only place that talks SQL. It opens PGlite (a data dir) or PostgreSQL (a URL), runs
// the migrations, and hands out readers (one snapshot) and writers (one transaction each). A writer's
// events are inserted in its transaction and announced to `onCommit` listeners only after COMMIT.
import * as os from 'node:os';
import * as path from 'node:path';
import type { Database, DatabaseStats } from './database';
import { MIGRATIONS, migrate } from './migrations';
import { openPglite } from './pglite';
import { openPostgres } from './postgres';
import { StoreReader } from './reader';
import { StoreWriter, type CommittedEvent } from './writer';

export interface StoreOptions {
  /** PGlite data directory (default `~/.flightdeck/data`); ignored when `databaseUrl` is set. */
  dataDir?: string | undefined;
  /** `postgres://…` of a PostgreSQL server. */
  databaseUrl?: string | undefined;
  /** How many events to keep for replay (at least 10,000 in production). */
  eventRetention?: number | undefined;
  /** Errors of idle pooled connections (PostgreSQL), which are otherwise swallowed. */
  onBackgroundError?: ((error: Error) => void) | undefined;
}

export type CommitListener = (events: readonly CommittedEvent[]) => void;

/**
 * NOTIFY channel between servers on one database: the newest event id of a commit that recorded events,
 * or `token-revoked:<name>` for a deleted token (one listening connection per server carries both).
 */
const EVENTS_CHANNEL = 'flightdeck_events';
const TOKEN_REVOKED_PREFIX = 'token-revoked:';

export const DEFAULT_DATA_DIR = path.join(os.homedir(), '.flightdeck', 'data');
export const DEFAULT_EVENT_RETENTION = 10_000;

export class Store {
  private readonly listeners = new Set<CommitListener>();
  private readonly revocationListeners = new Set<(name: string) => void>();

  private constructor(private readonly db: Database, private readonly eventRetention: number) {}

  static async open(options: StoreOptions = {}): Promise<Store> {
    const db = options.databaseUrl
      ? await openPostgres(options.databaseUrl, options.onBackgroundError)
      : await openPglite(options.dataDir ?? DEFAULT_DATA_DIR);
    try {
      await migrate(db);
    } catch (error) {
      await db.close();
      throw error;
    }
    return new Store(db, Math.max(1, options.eventRetention ?? DEFAULT_EVENT_RETENTION));
  }

  get dialect(): Database['dialect'] {
    return this.db.dialect;
  }

  read<T>(work: (reader: StoreReader) => Promise<T>): Promise<T> {
    return this.db.read((sql) => work(new StoreReader(sql)));
  }

  /** Runs `work` in one transaction; its recorded events are committed with it, then announced. */
  async write<T>(work: (writer: StoreWriter) => Promise<T>): Promise<T> {
    let committed: CommittedEvent[] = [];
    const result = await this.db.transaction(async (sql) => {
      // A fresh writer per attempt: a retried transaction must not carry the failed attempt's events.
      const writer = new StoreWriter(sql);
      const value = await work(writer);
      committed = await writer.insertPendingEvents(this.eventRetention);
      const newest = committed[committed.length - 1]?.id;
      // Other servers on this database hear of the commit (NOTIFY is delivered at COMMIT, never before).
      if (newest !== undefined && this.db.dialect === 'postgres') {
        await sql.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, String(newest)]);
      }
      if (this.db.dialect === 'postgres') {
        for (const name of writer.revokedTokens) await sql.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, TOKEN_REVOKED_PREFIX + name]);
      }
      return value;
    });
    if (committed.length > 0) {
      for (const listener of this.listeners) listener(committed);
    }
    return result;
  }

  /**
   * PostgreSQL: calls `onCommitted` with the newest event id of every commit that recorded events, on any
   * server sharing the database (this one included), and with undefined after the listening connection
   * was lost and is back (ids may have been missed). PGlite: undefined, one process sees all its commits
   * through onCommit.
   */
  async listenForEventCommits(onCommitted: (newestId: number | undefined) => void): Promise<(() => Promise<void>) | undefined> {
    if (!this.db.listen) return undefined;
    return this.db.listen(EVENTS_CHANNEL, (payload) => {
      if (payload.startsWith(TOKEN_REVOKED_PREFIX)) {
        const name = payload.slice(TOKEN_REVOKED_PREFIX.length);
        for (const listener of this.revocationListeners) listener(name);
        return;
      }
      const id = Number(payload);
      onCommitted(Number.isSafeInteger(id) ? id : undefined);
    }, () => onCommitted(undefined));
  }

  /**
   * PostgreSQL: hears of every token deleted by any server on the database (this one included), while
   * listenForEventCommits listens. PGlite: nothing; one process makes every change.
   */
  onTokenRevoked(listener: (name: string) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  /** Listens to every commit that recorded events, in commit order. */
  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Pool use and LISTEN reconnects, for the metrics. */
  stats(): DatabaseStats {
    return this.db.stats?.() ?? { listenReconnects: 0 };
  }

  /**
   * Readiness: the database answers and every migration this server knows is applied. Undefined when
   * ready, else why not (a sentence).
   */
  async notReadyReason(): Promise<string | undefined> {
    let applied: number[];
    try {
      applied = await this.db.read(async (sql) =>
        (await sql.query<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => Number(row.version)));
    } catch (error) {
      return `The database cannot be read: ${error instanceof Error ? error.message : String(error)}`;
    }
    const missing = MIGRATIONS.filter((migration) => !applied.includes(migration.version));
    if (missing.length > 0) return `Migrations not applied: ${missing.map((m) => m.version).join(', ')}`;
    return undefined;
  }

  close(): Promise<void> {
    this.listeners.clear();
    this.revocationListeners.clear();
    return this.db.close();
  }
}
