// A Server-Sent Events subscription to GET /api/events that never loses an event: it remembers the last
// id it saw and resumes with Last-Event-ID after any drop, with capped exponential backoff.
import * as http from 'node:http';
import * as https from 'node:https';
import type { StreamStatus } from '../api/protocol';
import { EventData, EventType, type ReleaseEvent } from '../api/schemas';

export interface EventStreamOptions {
  baseUrl: string;
  token: string | undefined;
  project?: string;
  /** Resume after this id (events with larger ids are replayed by the server). */
  lastEventId?: number;
  onEvent: (event: ReleaseEvent) => void;
  /**
   * The server could not resume after `lastEventId` (its log restarted, or pruned events this client
   * never saw): events were missed, so whatever was built from them must be fetched again. The stream
   * goes on from `head`.
   */
  onReset?: (head: number, reason: string) => void;
  /** The stream's status, in the one vocabulary of src/api/protocol (a subscription never says `unsupported`). */
  onState?: (state: StreamStatus, detail?: string) => void;
  /** Backoff bounds; tests shorten them. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** No byte (not even the 15 s keep-alive) for this long means the connection is dead. */
  idleTimeoutMs?: number;
}

export interface EventStream {
  readonly lastEventId: number | undefined;
  close(): void;
}

/** Parses SSE text incrementally; returns complete events, keeps partial ones for the next chunk. */
export class SseParser {
  private buffer = '';
  push(chunk: string): Array<{ id?: string; event?: string; data: string }> {
    this.buffer += chunk;
    const events: Array<{ id?: string; event?: string; data: string }> = [];
    let boundary: number;
    while ((boundary = this.buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = this.buffer.slice(0, boundary);
      this.buffer = this.buffer.slice(boundary + (this.buffer[boundary] === '\r' ? 4 : 2));
      const fields: { id?: string; event?: string; data: string[] } = { data: [] };
      for (const line of block.split(/\r?\n/)) {
        if (line === '' || line.startsWith(':')) continue; // comment: keep-alive
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'id') fields.id = value;
        else if (name === 'event') fields.event = value;
        else if (name === 'data') fields.data.push(value);
      }
      if (fields.data.length > 0 || fields.event !== undefined) {
        events.push({ ...(fields.id !== undefined ? { id: fields.id } : {}), ...(fields.event !== undefined ? { event: fields.event } : {}), data: fields.data.join('\n') });
      }
    }
    return events;
  }
}

/** The server's word that a resume was impossible (see EventStreamOptions.onReset). */
const STREAM_RESET = 'stream.reset';

export function openEventStream(options: EventStreamOptions): EventStream {
  const minRetry = options.minRetryMs ?? 500;
  const maxRetry = options.maxRetryMs ?? 15_000;
  const idleTimeout = options.idleTimeoutMs ?? 45_000;
  let lastEventId = options.lastEventId;
  let closed = false;
  let attempt = 0;
  let request: http.ClientRequest | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const connect = (): void => {
    if (closed) return;
    options.onState?.(attempt === 0 ? 'connecting' : 'reconnecting');
    const url = new URL('/api/events', options.baseUrl);
    if (options.project !== undefined) url.searchParams.set('project', options.project);
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, { method: 'GET', headers });
    request = req;
    req.setTimeout(idleTimeout, () => req.destroy(new Error('no data from the event stream')));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        scheduleRetry(`the server answered ${res.statusCode}`);
        return;
      }
      attempt = 0;
      options.onState?.('live');
      const parser = new SseParser();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const raw of parser.push(chunk)) deliver(raw);
      });
      res.on('end', () => scheduleRetry('the stream ended'));
      res.on('error', (error) => scheduleRetry(error.message));
    });
    req.on('error', (error) => scheduleRetry(error.message));
    req.end();
  };

  const deliver = (raw: { id?: string; event?: string; data: string }): void => {
    if (raw.event === STREAM_RESET) {
      reset(raw);
      return;
    }
    const id = Number(raw.id);
    const type = EventType.safeParse(raw.event);
    if (!Number.isInteger(id) || !type.success) return;
    if (lastEventId !== undefined && id <= lastEventId) return; // a replay overlap: already seen
    let json: unknown;
    try {
      json = JSON.parse(raw.data);
    } catch {
      return;
    }
    const data = EventData.safeParse(json);
    if (!data.success) return;
    lastEventId = id;
    options.onEvent({ id, type: type.data, data: data.data });
  };

  const reset = (raw: { id?: string; data: string }): void => {
    const head = Number(raw.id);
    if (!Number.isSafeInteger(head) || head < 0) return;
    let reason = 'reset';
    try {
      const data = JSON.parse(raw.data) as { reason?: unknown };
      if (typeof data.reason === 'string') reason = data.reason;
    } catch {
      // The id is what matters; the reason only explains.
    }
    // Below or above what we had: either way the next resume starts at the server's head.
    lastEventId = head;
    options.onReset?.(head, reason);
  };

  const scheduleRetry = (reason: string): void => {
    if (closed || retryTimer) return;
    request?.destroy();
    request = undefined;
    const delay = Math.min(maxRetry, minRetry * 2 ** attempt) * (0.75 + Math.random() * 0.5);
    attempt += 1;
    options.onState?.('reconnecting', reason);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect();
    }, delay);
  };

  connect();
  return {
    get lastEventId() {
      return lastEventId;
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      request?.destroy();
      options.onState?.('closed');
    },
  };
}
