// Server-Sent Events for GET /api/events. A stream starts after the client's last id (or, without one,
// after the newest event committed), subscribes to live events, replays the retained events after its
// start from the database, then flushes what arrived meanwhile: no gap and no duplicate, across a
// reconnect and across servers sharing a PostgreSQL database.
import type { ServerResponse } from 'node:http';
import type { StoredEvent } from '../store';
import type { ReleaseService } from '../service/release-service';
import { describeError } from '../../core/errors';

const REPLAY_PAGE = 500;
/** A client this far behind is dropped; it reconnects with Last-Event-ID and replays from the log. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** The SSE `retry:` a shutting-down server sends before it ends a stream. */
const SHUTDOWN_RETRY_MS = 1_000;

export interface EventStreamOptions {
  keepAliveMs: number;
  observer?: StreamObserver;
}

/** What the streams report to the operator's metrics. */
export interface StreamObserver {
  /** `count` events were written to one stream; `fromReplay` when read back from the log (a resume). */
  sent(count: number, fromReplay: boolean): void;
}

/** A stream that cannot start: 503 with the API's JSON error body. */
function unavailable(response: ServerResponse, error: string): void {
  response.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify({ error }));
}

function frame(event: StoredEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${event.data}\n\n`;
}

/** One client's `GET /api/events` connection: its replay, then live events. */
class SseConnection {
  /** Live events that arrived during the replay; undefined once live. */
  private buffered: StoredEvent[] | undefined = [];
  private closed = false;
  /**
   * The newest id written. Ids only ever reach a stream in increasing order (the log is read in id
   * order, and live events are published in id order), so anything at or below it was sent already:
   * on PostgreSQL a replay may read an event from the log before the live path publishes it.
   */
  private lastWritten: number;

  constructor(
    readonly response: ServerResponse, readonly project: string | null, after: number,
    private readonly observer: StreamObserver | undefined,
  ) {
    this.lastWritten = after;
  }

  /** Called for every committed event (already serialized as `text`). */
  deliver(event: StoredEvent, text: string): void {
    if (this.closed || (this.project !== null && event.project !== this.project) || event.id <= this.lastWritten) return;
    if (this.buffered) this.buffered.push(event);
    else this.send(event.id, text);
  }

  async replay(service: ReleaseService): Promise<void> {
    for (;;) {
      const after = this.lastWritten;
      const page = await service.store.read((reader) => reader.eventsAfter(after, this.project, REPLAY_PAGE));
      for (const event of page) {
        if (this.closed) return;
        this.send(event.id, frame(event), true);
      }
      if (page.length < REPLAY_PAGE) break;
    }
    const buffered = this.buffered ?? [];
    this.buffered = undefined;
    for (const event of buffered) if (event.id > this.lastWritten) this.send(event.id, frame(event));
  }

  private send(id: number, text: string, fromReplay = false): void {
    this.lastWritten = id;
    this.write(text);
    this.observer?.sent(1, fromReplay);
  }

  write(text: string): void {
    if (this.closed) return;
    if (this.response.writableLength > MAX_BUFFERED_BYTES) {
      this.response.destroy();
      this.closed = true;
      return;
    }
    this.response.write(text);
  }

  /** Ends the stream; `retryMs` asks the client to reconnect (and resume) after that long. */
  end(retryMs?: number): void {
    if (this.closed) return;
    this.closed = true;
    this.response.end(retryMs === undefined ? undefined : `retry: ${retryMs}\n\n`);
  }

  markClosed(): void {
    this.closed = true;
  }
}

export class EventStreamHub {
  private readonly streams = new Set<SseConnection>();
  private closed = false;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(private readonly service: ReleaseService, private readonly options: EventStreamOptions) {
    this.unsubscribe = service.events.subscribe((events) => {
      for (const event of events) {
        const text = frame(event);
        for (const stream of this.streams) stream.deliver(event, text);
      }
    });
    // One timer for all streams; proxies and clients drop connections that stay silent too long.
    this.keepAlive = setInterval(() => {
      for (const stream of this.streams) stream.write(': keep-alive\n\n');
    }, options.keepAliveMs);
    this.keepAlive.unref();
  }

  /** Takes over a hijacked response and streams events to it until either side closes. */
  async open(response: ServerResponse, project: string | null, after: number | undefined): Promise<void> {
    // Without a Last-Event-ID the stream starts now: after the newest event committed so far, read
    // before the client sees the response start, so that whatever commits once it is "connected" reaches
    // it. Live events reach streams a moment after their commit (on PostgreSQL they are read back from
    // the log), so "now" is the database's, not the order in which this process hears of them.
    let start: number;
    try {
      start = after ?? await this.service.store.read((reader) => reader.latestEventId());
    } catch (error) {
      unavailable(response, `The event log cannot be read: ${describeError(error)}`);
      return;
    }
    // The server began closing while we asked: this stream would outlive close().
    if (this.closed) {
      unavailable(response, 'The server is shutting down');
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(': connected\n\n');
    const stream = new SseConnection(response, project, start, this.options.observer);
    this.streams.add(stream);
    response.on('close', () => {
      stream.markClosed();
      this.streams.delete(stream);
    });
    await stream.replay(this.service);
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
    clearInterval(this.keepAlive);
    this.unsubscribe();
    for (const stream of this.streams) stream.end(SHUTDOWN_RETRY_MS);
    this.streams.clear();
  }
}
