// `<dataDir>/flightdeck.lock` keeps a second process from opening a PGlite data dir (PGlite itself has
// no such guard, and two writers would corrupt the cluster). A lock left by a process that died
// (kill -9, a crash, a container stopped) must never need a person to delete it, and a pid alone does
// not say whether its holder lives: pids are reused, and a server that runs as PID 1 in a container
// finds its own pid in the lock its previous life left. So the lock names its holder exactly:
//
// - the pid and the process's start time (/proc/<pid>/stat, field 22): a live process with that pid
//   but another start time is someone else;
// - the host and the boot (/proc/sys/kernel/random/boot_id): a lock from before a reboot is stale;
// - a heartbeat (the file's mtime, touched while held) for what cannot be checked from here: a holder
//   on another host, or in another container's pid namespace, is presumed gone once silent too long.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = 'flightdeck.lock';
/** How often the holder touches its lock. */
export const HEARTBEAT_MS = 5_000;
/** A lock whose holder cannot be checked is stale after this long without a heartbeat. */
export const SILENT_AFTER_MS = 30_000;

interface LockRecord {
  pid: number;
  /** /proc/<pid>/stat field 22; undefined where /proc is not (macOS, Windows) or in the legacy format. */
  startTime?: string | undefined;
  host?: string | undefined;
  boot?: string | undefined;
  /** This acquisition: a release removes the file only while it is still ours. */
  nonce?: string | undefined;
}

/** Data dirs this process holds: a second open from inside it is refused, not taken for stale. */
const heldHere = new Set<string>();

/** Takes the data directory's lock, or throws naming the live process that holds it. Returns the release. */
export function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const key = path.resolve(dataDir);
  if (heldHere.has(key)) throw new Error(`The data directory ${dataDir} is in use by process ${process.pid} (this one)`);
  const mine: LockRecord = {
    pid: process.pid, startTime: processStartTime(process.pid), host: os.hostname(), boot: bootId(),
    nonce: randomBytes(8).toString('hex'),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockPath, JSON.stringify(mine), { flag: 'wx' });
      heldHere.add(key);
      const heartbeat = setInterval(() => {
        const now = new Date();
        try { fs.utimesSync(lockPath, now, now); } catch { /* the dir is going away: nothing to keep */ }
      }, HEARTBEAT_MS);
      heartbeat.unref();
      return () => {
        clearInterval(heartbeat);
        heldHere.delete(key);
        if (readLock(lockPath)?.nonce === mine.nonce) fs.rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLock(lockPath);
      const held = holder === undefined ? undefined : liveHolder(holder, lockAgeMs(lockPath));
      if (held !== undefined) throw new Error(`The data directory ${dataDir} is in use by process ${held}`);
      // Left behind by a process that is gone: take it over.
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock the data directory ${dataDir}`);
}

/** The holder's description when it may be alive, undefined when the lock is stale. */
function liveHolder(holder: LockRecord, ageMs: number): string | undefined {
  const sameMachine = holder.host === undefined || holder.host === os.hostname();
  const sameBoot = holder.boot === undefined || bootId() === undefined || holder.boot === bootId();
  if (sameMachine && sameBoot) {
    // Our own pid in a lock we do not hold (heldHere said so): our previous life's.
    if (holder.pid === process.pid) return undefined;
    if (!isAlive(holder.pid)) return undefined;
    const startTime = processStartTime(holder.pid);
    if (holder.startTime !== undefined && startTime !== undefined && startTime !== holder.startTime) return undefined;
    return String(holder.pid);
  }
  if (sameMachine && !sameBoot) return undefined; // the machine rebooted since: every process of then is gone
  // Another host (a shared volume) or another container: only its heartbeat speaks for it.
  if (ageMs > SILENT_AFTER_MS) return undefined;
  return `${holder.pid} on ${holder.host ?? 'another host'} (its lock counts as stale after ${SILENT_AFTER_MS / 1000} s without a heartbeat)`;
}

function readLock(lockPath: string): LockRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8').trim();
  } catch {
    return undefined; // removed meanwhile: the next attempt creates it
  }
  // Written by an older version: the pid alone.
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord>;
    if (typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0) {
      return {
        pid: parsed.pid, startTime: stringOrUndefined(parsed.startTime), host: stringOrUndefined(parsed.host),
        boot: stringOrUndefined(parsed.boot), nonce: stringOrUndefined(parsed.nonce),
      };
    }
  } catch {
    // A torn write (the writer died mid-file): nobody holds that.
  }
  return undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function lockAgeMs(lockPath: string): number {
  try {
    return Date.now() - fs.statSync(lockPath).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

let cachedBootId: string | null | undefined;

function bootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId ?? undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
