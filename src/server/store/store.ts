// The store: the only place that talks SQL. It opens PGlite (a data dir) or PostgreSQL (a URL), runs
// the migrations, and hands out readers (one snapshot) and writers (one transaction each). A writer's
// events are inserted in its transaction and announced to `onCommit` listeners only after COMMIT.
import * as os from 'node:os';
import * as path from 'node:path';
import type { Database } from './database';
import { migrate } from './migrations';
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

export const DEFAULT_DATA_DIR = path.join(os.homedir(), '.flightdeck', 'data');
export const DEFAULT_EVENT_RETENTION = 10_000;

export class Store {
  private readonly listeners = new Set<CommitListener>();

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
      return value;
    });
    if (committed.length > 0) {
      for (const listener of this.listeners) listener(committed);
    }
    return result;
  }

  /** Listens to every commit that recorded events, in commit order. */
  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.listeners.clear();
    return this.db.close();
  }
}
