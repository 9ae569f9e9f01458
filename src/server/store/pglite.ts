// PGlite (Postgres compiled to WASM) in a data directory: the embedded default. Its files live in
// `<dataDir>/pg`; `<dataDir>/flightdeck.lock` keeps a second process from opening the same files
// (PGlite itself has no such guard, and two writers would corrupt the cluster).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { Mutex, type Database, type SqlClient } from './database';

const LOCK_FILE = 'flightdeck.lock';

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

/** Takes the data directory's lock file, or throws naming the live process that holds it. */
function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new Error(`The data directory ${dataDir} is in use by process ${holder}`);
      }
      // Left behind by a process that died without closing (kill -9): take it over.
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock the data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
