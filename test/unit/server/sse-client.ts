// A small SSE reader over fetch for the tests: collects events and comments as they arrive.
import type { TestServer } from '../helpers/server';

export interface SseEvent {
  id: number;
  event: string;
  data: unknown;
}

export interface SseOpenOptions {
  lastEventId?: number;
  token?: string | null;
  /** Open without reading (see pause()). */
  paused?: boolean;
  /** false: do not keep (or parse) each event's data; for replays of thousands of large events. */
  keepData?: boolean;
}

export class SseReader {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  private readonly waiters = new Set<() => void>();
  private ended = false;

  /** Set while paused: reading waits for it, so the server's writes back up as with a client that stalls. */
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  /** Large replays: keep ids and types only. */
  private keepData = true;

  private constructor(private readonly abort: AbortController, readonly status: number, readonly contentType: string | null) {}

  static async open(server: TestServer, query = '', options: SseOpenOptions = {}): Promise<SseReader> {
    const abort = new AbortController();
    const response = await server.fetch(`/api/events${query}`, {
      signal: abort.signal,
      headers: options.lastEventId !== undefined ? { 'last-event-id': String(options.lastEventId) } : {},
      ...(options.token !== undefined ? { token: options.token } : {}),
    });
    const reader = new SseReader(abort, response.status, response.headers.get('content-type'));
    if (options.paused) reader.pause();
    if (options.keepData === false) reader.keepData = false;
    if (response.status !== 200 || !response.body) {
      reader.ended = true;
      reader.body = await response.text();
      return reader;
    }
    void reader.pump(response.body);
    return reader;
  }

  body = '';

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = body.getReader();
    try {
      for (;;) {
        if (this.gate) await this.gate.promise;
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        this.notify();
      }
    } catch {
      // Aborted or dropped: the test decides whether that was expected.
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  private parse(block: string): void {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
    }
    const id = fields.get('id');
    const data = fields.get('data');
    if (id !== undefined && data !== undefined) {
      this.events.push({ id: Number(id), event: fields.get('event') ?? 'message', data: this.keepData || fields.get('event') === 'stream.reset' ? JSON.parse(data) as unknown : undefined });
    }
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Resolves once `condition` holds (checked on every chunk), or rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`SSE condition not met in ${timeoutMs} ms; got ${this.events.length} events: ${JSON.stringify(this.events.map((e) => [e.id, e.event]))}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  untilEvents(count: number, timeoutMs?: number): Promise<void> {
    return this.until(() => this.events.length >= count, timeoutMs);
  }

  get lastId(): number {
    return this.events[this.events.length - 1]?.id ?? 0;
  }

  /** Stops reading (the server's writes back up), until resume(). */
  pause(): void {
    if (this.gate) return;
    let open = (): void => undefined;
    const promise = new Promise<void>((resolve) => { open = resolve; });
    this.gate = { promise, open };
  }

  resume(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.open();
  }

  close(): void {
    this.resume();
    this.abort.abort();
  }
}
