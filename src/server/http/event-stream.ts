// Server-Sent Events for GET /api/events. A stream starts after the client's last id (or, without one,
// after the newest event committed), listens for live events, replays the retained events after its
// start from the database, then sends what arrived meanwhile: no gap and no duplicate, across a
// reconnect and across servers sharing a PostgreSQL database.
//
// Replay goes at the pace of the client's socket: a block of the log is written, and the next one only
// once the socket has drained, so a stream holds at most one block of the log (shared with every other
// stream reading it) however far behind it starts, and the event loop turns between blocks. A live
// stream whose client falls behind goes back to replaying from the log rather than queueing in memory.
// A stream is dropped only when its socket stops taking bytes altogether.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { StoredEvent } from '../store';
import type { ReleaseService } from '../service/release-service';
import { describeError } from '../../core/errors';
import { freshRead } from '../service/freshRead';
import { ReplayBlocks, TurnBudget, encodeFrames, type ReplayBlock } from '../service/event-replay';

export const DEFAULT_MAX_STREAMS_PER_TOKEN = 20;
/** Idle streams cost little; a team's watchers spread over a few replicas stay well under this. */
export const DEFAULT_MAX_STREAMS = 10_000;
/** The SSE `retry:` a shutting-down server sends before it ends a stream. */
const SHUTDOWN_RETRY_MS = 1_000;
/** Long enough for any client that reads at all; a stuck one holds its slot no longer than this. */
export const DEFAULT_STALLED_STREAM_MS = 60_000;
/** Live events held for a stream while it replays; beyond this it reads them from the log instead. */
const PENDING_LIMIT_BYTES = 1024 * 1024;
/** Unsent bytes a live stream may queue before it goes back to replaying from the log. */
const LIVE_BACKLOG_BYTES = 256 * 1024;

export interface EventStreamOptions {
  keepAliveMs: number;
  /** Concurrent streams one token may hold. */
  maxStreamsPerToken: number;
  /** Concurrent streams on this server. */
  maxStreams: number;
  /** A stream whose socket has taken no byte for this long, while data waits, is dropped. */
  stalledStreamMs: number;
  /** Where failures of a stream that already started are reported. */
  onError: (error: unknown) => void;
  /** Bytes of the event log kept encoded for streams that replay (see ReplayBlocks). */
  replayCacheBytes?: number;
  observer?: StreamObserver;
}

/** What the streams report to the operator's metrics. */
export interface StreamObserver {
  /** `count` events were written to one stream; `fromReplay` when read back from the log (a resume). */
  sent(count: number, fromReplay: boolean): void;
  /** A stream went live `seconds` after its request began (it replayed what it missed meanwhile). */
  caughtUp(seconds: number): void;
}

/** A place reserved for a stream before it starts; released when it closes or fails to start. */
export interface StreamSlot {
  readonly owner: string;
  /** The owner's revocation count when reserved: a revocation meanwhile refuses the stream. */
  readonly revision: number;
  release(): void;
}

const KEEP_ALIVE_FRAME = Buffer.from(': keep-alive\n\n');

/** Why a stream starts somewhere other than where the client asked. */
type ResetReason = 'ahead' | 'pruned';

/** A stream that cannot start: a JSON error with the API's shape. */
function refuse(response: ServerResponse, status: number, error: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify({ error }));
}

function resetFrame(head: number, reason: ResetReason): string {
  return `id: ${head}\nevent: stream.reset\ndata: ${JSON.stringify({ head, reason, at: new Date().toISOString() })}\n\n`;
}

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

/**
 * The frames of a batch of live events (ascending ids), encoded once per project asked for (null: all
 * projects) and only if asked; undefined when the batch has none of that project.
 */
function liveBatches(events: readonly StoredEvent[]): (project: string | null) => ReplayBlock | undefined {
  const encoded = new Map<string | null, ReplayBlock | undefined>();
  return (project) => {
    if (!encoded.has(project)) {
      const mine = project === null ? events : events.filter((event) => event.project === project);
      const last = mine[mine.length - 1];
      encoded.set(project, last ? encodeFrames(mine, last.id) : undefined);
    }
    return encoded.get(project);
  };
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
class SseConnection {
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

export class EventStreamHub {
  private readonly streams = new Set<SseConnection>();
  private readonly perOwner = new Map<string, number>();
  private reserved = 0;
  /** Revocations per token name, so a stream that was starting when its token was revoked never starts. */
  private readonly revocations = new Map<string, number>();
  private readonly blocks: ReplayBlocks;
  private readonly writeBudget = new TurnBudget();
  private replayingStreams = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly stopRevocations: () => void;

  /** The log's oldest and newest ids, read after the call (streams opening together share a read). */
  private readonly readWindow: () => Promise<{ oldest: number; head: number }>;

  constructor(service: ReleaseService, private readonly options: EventStreamOptions) {
    this.readWindow = freshRead(() => service.store.read((reader) => reader.eventWindow()));
    this.blocks = new ReplayBlocks(service.store, options.replayCacheBytes);
    this.unsubscribe = service.events.subscribe((events) => {
      const batches = liveBatches(events);
      for (const stream of this.streams) {
        const batch = batches(stream.project);
        if (batch) stream.deliver(batch);
      }
    });
    this.stopRevocations = service.tokens.onRevoked((name) => this.closeStreamsOf(name));
    // One timer for all streams: keep-alive comments and the stall check.
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const stream of this.streams) {
        stream.keepAlive();
        stream.checkStalled(now, options.stalledStreamMs);
      }
    }, options.keepAliveMs);
    this.timer.unref();
  }

  /** Reserves a place for a stream of `owner` (a token's name), or says why there is none. */
  reserve(owner: string): StreamSlot | string {
    const mine = this.perOwner.get(owner) ?? 0;
    if (mine >= this.options.maxStreamsPerToken) {
      return `This token already has ${mine} open event streams, the most one token may hold; close one first`;
    }
    if (this.reserved >= this.options.maxStreams) {
      return `The server already serves ${this.reserved} event streams, the most it allows; retry later`;
    }
    this.perOwner.set(owner, mine + 1);
    this.reserved++;
    let released = false;
    return {
      owner,
      revision: this.revocations.get(owner) ?? 0,
      release: () => {
        if (released) return;
        released = true;
        this.reserved--;
        const left = (this.perOwner.get(owner) ?? 1) - 1;
        if (left > 0) this.perOwner.set(owner, left);
        else this.perOwner.delete(owner);
      },
    };
  }

  /** Takes over a hijacked response and streams events to it until either side closes. */
  /** `requestedAt`: when the request arrived (performance.now()), for the catch-up metric. */
  async open(response: ServerResponse, slot: StreamSlot, project: string | null, after: number | undefined, requestedAt = performance.now()): Promise<void> {
    // Without a Last-Event-ID the stream starts now: after the newest event committed so far, read
    // before the client sees the response start, so that whatever commits once it is "connected" reaches
    // it. Live events reach streams a moment after their commit (on PostgreSQL they are read back from
    // the log), so "now" is the database's, not the order in which this process hears of them.
    let window: { oldest: number; head: number };
    try {
      window = await this.readWindow();
    } catch (error) {
      slot.release();
      refuse(response, 503, `The event log cannot be read: ${describeError(error)}`);
      return;
    }
    // The server began closing, or the token was revoked, while we asked.
    if (this.closed || (this.revocations.get(slot.owner) ?? 0) !== slot.revision) {
      slot.release();
      if (this.closed) refuse(response, 503, 'The server is shutting down');
      else refuse(response, 401, 'The token was revoked');
      return;
    }
    // A client ahead of the log (the database was reset or restored) or behind what is retained (events
    // it never saw were pruned) cannot resume: it starts at the head and is told to refetch.
    const reset: ResetReason | undefined = after === undefined ? undefined
      : after > window.head ? 'ahead'
        : window.oldest > 0 && after < window.oldest - 1 ? 'pruned' : undefined;
    const start = after === undefined || reset ? window.head : after;
    const socket = response.socket;
    if (!socket || socket.destroyed) {
      // The client went away while we read the window.
      slot.release();
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(': connected\n\n');
    if (reset) response.write(resetFrame(window.head, reset));
    const stream = new SseConnection(response, socket, project, slot.owner, start, this.blocks, {
      replaying: (delta) => {
        this.replayingStreams += delta;
        // Nobody replays: the shared blocks go, and their memory with them.
        if (this.replayingStreams === 0) this.blocks.clear();
      },
      onError: this.options.onError,
      writeBudget: this.writeBudget,
      observer: this.options.observer,
    }, requestedAt);
    this.streams.add(stream);
    response.on('close', () => {
      stream.markClosed();
      this.streams.delete(stream);
      slot.release();
    });
    stream.startReplay();
  }

  /** Ends the streams of a revoked token at once. */
  closeStreamsOf(owner: string): void {
    this.revocations.set(owner, (this.revocations.get(owner) ?? 0) + 1);
    for (const stream of this.streams) if (stream.owner === owner) stream.destroy();
  }

  get size(): number {
    return this.streams.size;
  }

  /**
   * Ends every stream (server shutdown), asking clients to reconnect within a second: behind a load
   * balancer they reach another server and resume from their Last-Event-ID.
   */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe();
    this.stopRevocations();
    for (const stream of this.streams) stream.end(SHUTDOWN_RETRY_MS);
    this.streams.clear();
    this.blocks.clear();
  }
}
