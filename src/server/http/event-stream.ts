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
import type { StoredEvent } from '../store';
import type { ReleaseService } from '../service/release-service';
import { describeError } from '../../core/errors';
import { freshRead } from '../service/freshRead';
import { ReplayBlocks, TurnBudget, encodeFrames, type ReplayBlock } from '../service/event-replay';
import { SseConnection, type StreamObserver } from './sseConnection';

export const DEFAULT_MAX_STREAMS_PER_TOKEN = 20;
/** Idle streams cost little; a team's watchers spread over a few replicas stay well under this. */
export const DEFAULT_MAX_STREAMS = 10_000;
/** The SSE `retry:` a shutting-down server sends before it ends a stream. */
const SHUTDOWN_RETRY_MS = 1_000;
/** Long enough for any client that reads at all; a stuck one holds its slot no longer than this. */
export const DEFAULT_STALLED_STREAM_MS = 60_000;

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

/** A place reserved for a stream before it starts; released when it closes or fails to start. */
export interface StreamSlot {
  readonly owner: string;
  /** The owner's revocation count when reserved: a revocation meanwhile refuses the stream. */
  readonly revision: number;
  release(): void;
}

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

  /**
   * Takes over a hijacked response and streams events to it until either side closes. `requestedAt`:
   * when the request arrived (performance.now()), for the catch-up metric.
   */
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
