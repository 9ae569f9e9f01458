// The event log as SSE streams replay it: in blocks of consecutive ids, each read from the store once
// and encoded once, then shared by every stream that passes through it. A reconnect storm (every
// client of a server resuming at once) then costs one pass over the log, not one per client, and a
// stream holds no copy of what it sends: a socket keeps a reference to the block's bytes until they
// are written.
import type { Store, StoredEvent } from '../store';

/** Ids per block: small enough that reading and encoding one never holds the event loop for long. */
export const REPLAY_BLOCK_IDS = 32;
/** Bytes of complete blocks kept for streams that follow; older ones are read again if asked for. */
export const DEFAULT_REPLAY_CACHE_BYTES = 64 * 1024 * 1024;

export interface ReplayBlock {
  /** Ids of the block's events (of the stream's project, if it has one), ascending. */
  ids: readonly number[];
  /** Where each event's frame starts in `bytes`. */
  offsets: readonly number[];
  /** The events' SSE frames, one after the other. */
  bytes: Buffer;
  /** The newest id the block answers for: its last id, or the head of the log when it was read. */
  through: number;
}

interface Entry {
  block: Promise<ReplayBlock>;
  /**
   * When the read began (see `ReplayBlocks.sequence`); undefined while it waits for the reads queued
   * before it: a stream may then take it whenever it started, since it will begin after.
   */
  readSeq: number | undefined;
  /** Every id of the block was committed when it was read: it can never change. */
  complete: boolean;
  /** Known once read. */
  size: number;
  settled: ReplayBlock | undefined;
}

export function sseFrame(event: StoredEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${event.data}\n\n`;
}

export class ReplayBlocks {
  private seq = 0;
  /** In order of use, oldest first (a Map keeps insertion order; a use re-inserts). */
  private readonly entries = new Map<string, Entry>();
  private cachedBytes = 0;
  /** The last read queued: replay reads run one at a time, each after a turn of the event loop. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Store, private readonly budgetBytes = DEFAULT_REPLAY_CACHE_BYTES) {}

  /**
   * Grows with every read that starts. A stream that began listening for live events at sequence `s`
   * may conclude "nothing after my cursor" only from a read with a larger sequence: one that began
   * after, so it saw every event published before the stream listened.
   */
  get sequence(): number {
    return this.seq;
  }

  /**
   * The block holding the id after `cursor`. A block that was complete when read is reused as it is;
   * a partial one (the head of the log) is reused while it still has something after `cursor`, or if
   * its read began after `notBefore` or has yet to begin (so a burst of new streams at the head shares
   * one read); otherwise it is read again.
   */
  blockAfter(cursor: number, project: string | null, notBefore: number): Promise<ReplayBlock> {
    const index = Math.floor(cursor / REPLAY_BLOCK_IDS);
    const key = `${index}:${project ?? ''}`;
    const entry = this.entries.get(key);
    if (entry && (entry.complete || entry.readSeq === undefined || entry.readSeq > notBefore
      || (entry.settled !== undefined && entry.settled.through > cursor))) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.block;
    }
    return this.read(key, index, project);
  }

  /** Forgets every block (no stream is replaying): their memory goes back. */
  clear(): void {
    this.entries.clear();
    this.cachedBytes = 0;
  }

  private read(key: string, index: number, project: string | null): Promise<ReplayBlock> {
    const first = index * REPLAY_BLOCK_IDS;
    const last = first + REPLAY_BLOCK_IDS;
    const block = this.queued(() => {
      fresh.readSeq = ++this.seq;
      return this.store.read((reader) => reader.eventRange(first, last, project));
    }).then(({ events, head }) => {
      const read = encodeFrames(events, Math.min(last, head));
      fresh.settled = read;
      fresh.complete = head >= last;
      fresh.size = read.bytes.length;
      if (this.entries.get(key) === fresh) {
        this.cachedBytes += fresh.size;
        this.trim();
      }
      return read;
    });
    const fresh: Entry = { block, readSeq: undefined, complete: false, size: 0, settled: undefined };
    // A failed read is not cached: the next stream to ask tries again.
    block.catch(() => {
      if (this.entries.get(key) === fresh) this.entries.delete(key);
    });
    this.replace(key, fresh);
    return fresh.block;
  }

  /**
   * Runs `read` after the reads queued before it, and after a turn of the event loop: PGlite answers
   * in-process, so reads chained by promises alone would run back to back while requests wait.
   */
  private queued<T>(read: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => new Promise((resolve) => setImmediate(resolve))).then(read);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private replace(key: string, entry: Entry): void {
    const old = this.entries.get(key);
    if (old) {
      this.cachedBytes -= old.size;
      this.entries.delete(key);
    }
    this.entries.set(key, entry);
  }

  /** Drops the least recently used blocks beyond the budget (streams holding one keep it alive). */
  private trim(): void {
    for (const [key, entry] of this.entries) {
      if (this.cachedBytes <= this.budgetBytes) return;
      if (!entry.settled) continue;
      this.entries.delete(key);
      this.cachedBytes -= entry.size;
    }
  }
}

/** Replay bytes all streams together may write in one turn of the event loop. */
const REPLAY_BYTES_PER_TURN = 2 * 1024 * 1024;

/**
 * Bytes written per turn of the event loop, across streams: past the budget, a writer waits for the next
 * turn (after I/O, so /healthz and API requests are served between), where the budget starts afresh.
 */
export class TurnBudget {
  private spent = 0;
  private renewing = false;

  async take(bytes: number): Promise<void> {
    while (this.spent >= REPLAY_BYTES_PER_TURN) await new Promise((resolve) => setImmediate(resolve));
    this.spent += bytes;
    if (this.renewing) return;
    this.renewing = true;
    setImmediate(() => {
      this.spent = 0;
      this.renewing = false;
    });
  }
}

/**
 * The events' SSE frames, encoded once into one buffer: a block of the log for replays, or a batch of
 * live events that every stream then writes as it is (one write per stream, however many events).
 */
export function encodeFrames(events: readonly StoredEvent[], through: number): ReplayBlock {
  const ids: number[] = [];
  const offsets: number[] = [];
  const frames: string[] = [];
  let offset = 0;
  for (const event of events) {
    const text = sseFrame(event);
    ids.push(event.id);
    offsets.push(offset);
    frames.push(text);
    offset += Buffer.byteLength(text, 'utf8');
  }
  return { ids, offsets, bytes: Buffer.from(frames.join(''), 'utf8'), through };
}
