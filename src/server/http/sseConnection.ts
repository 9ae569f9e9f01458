// One client's event stream (GET /api/events, see event-stream.ts for the hub that opens them): its replay
// of the log at the pace of its socket, then live events, each batch written to the socket in one write.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ReplayBlock, ReplayBlocks, TurnBudget } from '../service/event-replay';

/** Live events held for a stream while it replays; beyond this it reads them from the log instead. */
const PENDING_LIMIT_BYTES = 1024 * 1024;
/** Unsent bytes a live stream may queue before it goes back to replaying from the log. */
const LIVE_BACKLOG_BYTES = 256 * 1024;

/** What the streams report to the operator's metrics. */
export interface StreamObserver {
  /** `count` events were written to one stream; `fromReplay` when read back from the log (a resume). */
  sent(count: number, fromReplay: boolean): void;
  /** A stream went live `seconds` after its request began (it replayed what it missed meanwhile). */
  caughtUp(seconds: number): void;
}

const KEEP_ALIVE_FRAME = Buffer.from(': keep-alive\n\n');

/** The index of the first id above `after` in ascending `ids` (ids.length when none is). */
function firstAbove(ids: readonly number[], after: number): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((ids[middle] ?? 0) > after) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The HTTP/1.1 chunk holding `data`, framed once per buffer however many streams write it. */
const chunks = new WeakMap<Buffer, Buffer>();
function asChunk(data: Buffer): Buffer {
  let chunk = chunks.get(data);
  if (!chunk) {
    chunk = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, CRLF]);
    chunks.set(data, chunk);
  }
  return chunk;
}
const CRLF = Buffer.from('\r\n', 'latin1');

/** One client's `GET /api/events` connection: its replay, then live events. */
export class SseConnection {
  private replaying = false;
  /** Live events heard while replaying; undefined when too many came: the log has them. */
  private pending: Array<{ id: number; frame: Buffer }> | undefined;
  private pendingBytes = 0;
  /** The replay sequence when `pending` began (see ReplayBlocks.sequence). */
  private pendingSince = 0;
  /**
   * Every id up to here was sent or is not this stream's. Ids only ever reach a stream in increasing
   * order (the log is read in id order, live events are published in id order), so a live event at or
   * below it was sent already: on PostgreSQL a replay may read an event before the live path publishes it.
   */
  private cursor: number;
  private closed = false;
  private needsDrain = false;
  private onDrain: (() => void) | undefined;
  /** For the stall check: drains seen and bytes queued at the last look. */
  private drains = 0;
  private lastLook = { drains: 0, queued: 0, at: Date.now() };
  private readonly socket: Socket;
  /** The response's body is HTTP/1.1 chunks (else it runs until the connection closes: HTTP/1.0). */
  private readonly chunked: boolean;
  /** When the stream was asked for (performance.now()), until it first goes live. */
  private requestedAt: number | undefined;

  /** `response` has sent its head (and socket is its connection). */
  constructor(
    readonly response: ServerResponse,
    socket: Socket,
    readonly project: string | null,
    readonly owner: string,
    start: number,
    private readonly blocks: ReplayBlocks,
    private readonly hooks: {
      replaying(delta: 1 | -1): void;
      onError(error: unknown): void;
      writeBudget: TurnBudget;
      observer: StreamObserver | undefined;
    },
    requestedAt: number,
  ) {
    this.cursor = start;
    this.requestedAt = requestedAt;
    this.socket = socket;
    this.chunked = response.chunkedEncoding;
    // Writes go straight to the socket (see `write`), so its drain is the one to wait for.
    socket.on('drain', () => {
      this.needsDrain = false;
      this.drains++;
      this.wake();
    });
  }

  /**
   * Called for every batch of committed events, already framed (see `liveBatches`): the events of this
   * stream's project, or every event for a stream of all projects.
   */
  deliver(batch: ReplayBlock): void {
    if (this.closed) return;
    const from = firstAbove(batch.ids, this.cursor);
    if (from >= batch.ids.length) return;
    if (this.replaying) {
      if (!this.pending) return;
      for (let i = from; i < batch.ids.length; i++) {
        const frame = batch.bytes.subarray(batch.offsets[i], batch.offsets[i + 1]);
        this.pending.push({ id: batch.ids[i] as number, frame });
        this.pendingBytes += frame.length;
      }
      if (this.pendingBytes > PENDING_LIMIT_BYTES) this.pending = undefined;
      return;
    }
    if (this.socket.writableLength > LIVE_BACKLOG_BYTES) {
      // The client reads slower than events come: fetch these and the next from the log once it drains.
      this.startReplay();
      return;
    }
    // One write per batch, of bytes every stream shares: sockets that fall behind hold a reference to
    // them, not a copy each.
    this.send(batch, from);
  }

  /** Sends the log after the cursor, block by block at the socket's pace, then goes live. */
  startReplay(): void {
    if (this.replaying || this.closed) return;
    this.replaying = true;
    this.hooks.replaying(1);
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingSince = this.blocks.sequence;
    this.replay().catch((error: unknown) => {
      // A read that failed because the stream (or the server) closed meanwhile is no news.
      if (this.closed) return;
      this.hooks.onError(error);
      this.destroy();
    });
  }

  private async replay(): Promise<void> {
    for (;;) {
      await this.drained();
      if (this.closed) return;
      const block = await this.blocks.blockAfter(this.cursor, this.project, this.pendingSince);
      if (this.closed) return;
      if (block.through > this.cursor) {
        // Sockets that take whole blocks at once and blocks already read leave nothing to wait for: the
        // budget makes every stream give the event loop a turn once a few MiB were written in this one.
        await this.hooks.writeBudget.take(block.bytes.length);
        if (this.closed) return;
        this.send(block, firstAbove(block.ids, this.cursor), true);
        continue;
      }
      // Nothing after the cursor, by a read that began after `pending` did: it holds everything newer.
      const pending = this.pending;
      if (!pending) {
        this.pending = [];
        this.pendingBytes = 0;
        this.pendingSince = this.blocks.sequence;
        continue;
      }
      this.pending = undefined;
      this.replaying = false;
      this.hooks.replaying(-1);
      if (this.requestedAt !== undefined) {
        this.hooks.observer?.caughtUp((performance.now() - this.requestedAt) / 1000);
        this.requestedAt = undefined;
      }
      const frames = pending.filter((event) => event.id > this.cursor);
      const last = frames[frames.length - 1];
      if (last) {
        // In one write, as live batches go.
        this.cursor = last.id;
        this.write(Buffer.concat(frames.map((event) => event.frame)));
        this.hooks.observer?.sent(frames.length, false);
      }
      return;
    }
  }

  /** Writes the block's frames from its `from`th event on, in one write. */
  private send(block: ReplayBlock, from: number, fromReplay = false): void {
    const offset = block.offsets[from];
    if (offset !== undefined) {
      this.write(offset === 0 ? block.bytes : block.bytes.subarray(offset));
      this.hooks.observer?.sent(block.ids.length - from, fromReplay);
    }
    this.cursor = block.through;
  }

  private drained(): Promise<void> {
    if (!this.needsDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => { this.onDrain = resolve; });
  }

  private wake(): void {
    const resolve = this.onDrain;
    this.onDrain = undefined;
    resolve?.();
  }

  /**
   * Writes to the socket, framed as the response's body. Not through `response.write`: at 3,000 streams
   * an event's fan-out is 3,000 writes, and the response's own path (a cork, a tick and four pieces per
   * write) cost a tenth of it; a batch's chunk is framed once and shared (see `asChunk`).
   */
  write(data: Buffer): void {
    if (this.closed) return;
    if (!this.socket.write(this.chunked ? asChunk(data) : data)) this.needsDrain = true;
  }

  /** A comment when the connection is otherwise idle; proxies and clients drop silent ones. */
  keepAlive(): void {
    if (!this.needsDrain) this.write(KEEP_ALIVE_FRAME);
  }

  /** Drops the stream if its socket took no byte for `stalledMs` while data waited for it. */
  checkStalled(now: number, stalledMs: number): void {
    const queued = this.socket.writableLength;
    const moved = !this.needsDrain || this.drains !== this.lastLook.drains || queued < this.lastLook.queued;
    if (moved) {
      this.lastLook = { drains: this.drains, queued, at: now };
      return;
    }
    this.lastLook.queued = queued;
    if (now - this.lastLook.at >= stalledMs) this.destroy();
  }

  /** Ends the stream; `retryMs` asks the client to reconnect (and resume) after that long. */
  end(retryMs?: number): void {
    if (this.closed) return;
    this.markClosed();
    this.response.end(retryMs === undefined ? undefined : `retry: ${retryMs}\n\n`);
  }

  destroy(): void {
    if (this.closed) return;
    this.markClosed();
    this.response.destroy();
  }

  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = undefined;
    if (this.replaying) {
      this.replaying = false;
      this.hooks.replaying(-1);
    }
    this.wake();
  }
}
