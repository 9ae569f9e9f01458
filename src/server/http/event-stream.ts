// Server-Sent Events for GET /api/events. A stream subscribes to live events first, then replays the
// retained events after the client's last id from the database, then flushes what arrived meanwhile
// (skipping ids it replayed): no gap and no duplicate across a reconnect.
import type { ServerResponse } from 'node:http';
import type { CommittedEvent, StoredEvent } from '../store';
import type { ReleaseService } from '../service/release-service';

const REPLAY_PAGE = 500;
/** A client this far behind is dropped; it reconnects with Last-Event-ID and replays from the log. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface EventStreamOptions {
  keepAliveMs: number;
}

function frame(event: StoredEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${event.data}\n\n`;
}

class EventStream {
  /** Live events that arrived during the replay; undefined once live. */
  private buffered: CommittedEvent[] | undefined = [];
  private closed = false;

  constructor(readonly response: ServerResponse, readonly project: string | null, private readonly after: number) {}

  /** Called for every committed event (already serialized as `text`). */
  deliver(event: CommittedEvent, text: string): void {
    if (this.closed || (this.project !== null && event.project !== this.project) || event.id <= this.after) return;
    if (this.buffered) this.buffered.push(event);
    else this.write(text);
  }

  async replay(service: ReleaseService): Promise<void> {
    const replayed = new Set<number>();
    let cursor = this.after;
    for (;;) {
      const page = await service.store.read((reader) => reader.eventsAfter(cursor, this.project, REPLAY_PAGE));
      for (const event of page) {
        if (this.closed) return;
        this.write(frame(event));
        replayed.add(event.id);
        cursor = event.id;
      }
      if (page.length < REPLAY_PAGE) break;
    }
    const buffered = this.buffered ?? [];
    this.buffered = undefined;
    for (const event of buffered) if (!replayed.has(event.id)) this.write(frame(event));
  }

  goLive(): void {
    const buffered = this.buffered ?? [];
    this.buffered = undefined;
    for (const event of buffered) this.write(frame(event));
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

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.response.end();
  }

  markClosed(): void {
    this.closed = true;
  }
}

export class EventStreamHub {
  private readonly streams = new Set<EventStream>();
  private readonly keepAlive: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(private readonly service: ReleaseService, options: EventStreamOptions) {
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
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(': connected\n\n');
    const stream = new EventStream(response, project, after ?? 0);
    this.streams.add(stream);
    response.on('close', () => {
      stream.markClosed();
      this.streams.delete(stream);
    });
    if (after === undefined) stream.goLive();
    else await stream.replay(this.service);
  }

  get size(): number {
    return this.streams.size;
  }

  /** Ends every stream (server shutdown): clients reconnect elsewhere or later and resume. */
  close(): void {
    clearInterval(this.keepAlive);
    this.unsubscribe();
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }
}
