// A watcher for the scale bench: GET /api/events over a bare TCP socket, read with as little work per
// byte as will still check every event. Ten thousand watchers share the machine with the servers they
// measure; Node's HTTP client spent about twice the CPU per event that this does (its parser, stream
// machinery and string decoding), which the servers then lacked. It speaks what our server sends:
// HTTP/1.1, a chunked or close-delimited body, SSE frames separated by a blank line.
import * as net from 'node:net';

export interface RawEventStreamHandlers {
  /** The response's status (a stream is open when it is 200; any other ends it after the body). */
  onStatus(status: number): void;
  /** A comment frame (`: text`). */
  onComment(text: string): void;
  /** An event's id (every frame with an `id:` line). */
  onEvent(id: number): void;
  /** A `retry:` hint. */
  onRetry(ms: number): void;
  /** The stream ended: the server closed it, or the connection failed (`error`). */
  onEnd(error?: Error): void;
}

const HEADER_END = '\r\n\r\n';
const READ_BUFFER = Buffer.alloc(256 * 1024);

/** Opens `url` (http only) with the given request headers; returns a function that closes the stream. */
export function openRawEventStream(url: string, headers: Record<string, string>, handlers: RawEventStreamHandlers): () => void {
  const target = new URL(url);
  // `onread`: the socket reads into one buffer shared by every stream (each read is consumed before the
  // next), with no stream machinery and no allocation per read.
  const socket = net.connect({ port: Number(target.port), host: target.hostname, onread: { buffer: READ_BUFFER, callback: (size) => { received(READ_BUFFER, size); return true; } } });
  socket.setNoDelay(true);
  const head = [`GET ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, 'Accept: text/event-stream',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  socket.write(`${head}${HEADER_END}`);

  let ended = false;
  const end = (error?: Error): void => {
    if (ended) return;
    ended = true;
    socket.destroy();
    handlers.onEnd(error);
  };

  // Response head, then body: chunked (size line, data, CRLF) or everything until close.
  let headText = '';
  let inBody = false;
  let chunked = false;
  let chunkLeft = 0;
  let sizeLine = '';
  /** Bytes of CRLF still to skip after a chunk's data. */
  let skip = 0;
  let text = '';

  /** Where the field `name` (e.g. `id: `) starts in the frame [start, stop), or -1. */
  const field = (name: string, start: number, stop: number): number => {
    if (text.startsWith(name, start)) return start;
    const at = text.slice(start, stop).indexOf(`\n${name}`);
    return at >= 0 ? start + at + 1 : -1;
  };
  const frames = (): void => {
    let start = 0;
    let stop: number;
    while ((stop = text.indexOf('\n\n', start)) >= 0) {
      if (text.charCodeAt(start) === 58 /* : */) handlers.onComment(text.slice(start + 1, stop).trim());
      else {
        // Our frames carry the id first (a hint to reconnect comes alone), so the scans stay short.
        const id = field('id: ', start, stop);
        if (id >= 0) handlers.onEvent(Number.parseInt(text.slice(id + 4, text.indexOf('\n', id)), 10));
        else {
          const retry = field('retry: ', start, stop);
          if (retry >= 0) handlers.onRetry(Number.parseInt(text.slice(retry + 7, text.indexOf('\n', retry)), 10));
        }
      }
      start = stop + 2;
    }
    if (start > 0) text = text.slice(start);
  };

  /** Takes data[from, to) of the body. */
  const body = (data: Buffer, from: number, to: number): void => {
    if (!chunked) {
      text += data.toString('latin1', from, to);
      frames();
      return;
    }
    let at = from;
    while (at < to) {
      if (skip > 0) {
        const n = Math.min(skip, to - at);
        skip -= n;
        at += n;
        continue;
      }
      if (chunkLeft > 0) {
        const n = Math.min(chunkLeft, to - at);
        text += data.toString('latin1', at, at + n);
        chunkLeft -= n;
        at += n;
        if (chunkLeft === 0) skip = 2;
        continue;
      }
      const newline = data.indexOf(10, at);
      if (newline < 0 || newline >= to) {
        sizeLine += data.toString('latin1', at, to);
        break;
      }
      sizeLine += data.toString('latin1', at, newline);
      at = newline + 1;
      const size = Number.parseInt(sizeLine.trim(), 16);
      sizeLine = '';
      if (!Number.isFinite(size)) {
        end(new Error('malformed chunk size'));
        return;
      }
      if (size === 0) {
        frames();
        end();
        return;
      }
      chunkLeft = size;
    }
    frames();
  };

  const received = (data: Buffer, size: number): void => {
    if (ended) return;
    if (inBody) {
      body(data, 0, size);
      return;
    }
    headText += data.toString('latin1', 0, size);
    const split = headText.indexOf(HEADER_END);
    if (split < 0) return;
    const status = Number.parseInt(headText.slice(9, 12), 10);
    chunked = /\r\ntransfer-encoding:\s*chunked/i.test(headText.slice(0, split));
    inBody = true;
    handlers.onStatus(status);
    const rest = Buffer.from(headText.slice(split + HEADER_END.length), 'latin1');
    headText = '';
    if (rest.length > 0) body(rest, 0, rest.length);
  };
  socket.on('end', () => end());
  socket.on('close', () => end());
  socket.on('error', (error) => end(error));
  return () => end();
}
