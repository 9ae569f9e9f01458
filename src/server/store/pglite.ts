// PGlite (Postgres compiled to WASM) in a data directory: the embedded default. Its files live in
// `<dataDir>/pg`; `<dataDir>/flightdeck.lock` keeps a second process from opening the same files
// (see data-dir-lock.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { acquireDataDirLock } from './data-dir-lock';
import { Mutex, type Database, type SqlClient } from './database';

export async function openPglite(dataDir: string): Promise<Database> {
  fs.mkdirSync(dataDir, { recursive: true });
  const releaseLock = acquireDataDirLock(dataDir);
  let pg: PGlite;
  try {
    // No `relaxedDurability`: every commit reaches the files before the query resolves.
    pg = await PGlite.create(path.join(dataDir, 'pg'));
  } catch (error) {
    releaseLock();
    throw error;
  }
  const mutex = new Mutex();
  const direct: SqlClient = {
    async query<Row extends object>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await pg.query<Row>(sql, [...params])).rows;
    },
  };
  const inTransaction = (tx: Transaction): SqlClient => ({
    async query<Row extends object>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await tx.query<Row>(sql, [...params])).rows;
    },
  });
  let closed = false;
  return {
    dialect: 'pglite',
    // The mutex already serialises everything, so a read sees one consistent state without BEGIN.
    read: (work) => mutex.run(() => work(direct)),
    transaction: (work) => mutex.run(() => pg.transaction((tx) => work(inTransaction(tx)))),
    close: () => mutex.run(async () => {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        releaseLock();
      }
    }),
  };
}
