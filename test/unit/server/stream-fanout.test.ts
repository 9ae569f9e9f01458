// How live events leave the server: a committed batch is framed once and written to each stream in one
// write (its own project's events only), over HTTP/1.1 chunks or, for an HTTP/1.0 client, as the bare
// body; a burst of streams opening shares its reads of the log's window and of a token's record; and the
// operator sees how long streams took to catch up.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freshRead } from '../../../src/server/service/freshRead';
import { headOf } from '../helpers/event-log';
import { startTestServer, type TestServer } from '../helpers/server';
import { SseReader } from './sse-client';

/** One commit holding events of two projects: what a stream of one project, or of all, must split. */
async function commitMixed(server: TestServer): Promise<void> {
  await server.service.store.write(async (writer) => {
    for (const project of ['alpha', 'beta', 'alpha', 'beta']) {
      writer.pendingEvents.push({ type: 'project.updated', project, environment: null, data: JSON.stringify({ project, environment: null, at: new Date().toISOString() }) });
    }
  });
}

/**
 * Counts the store's reads (the real store, wrapped) while `work` runs, each read taking `latencyMs`
 * longer: a database across the network, where a burst of requests overlaps its reads (in-process
 * PGlite answers each before the next request is parsed).
 */
async function countingReads(server: TestServer, latencyMs: number, work: () => Promise<void>): Promise<number> {
  const store = server.service.store;
  const read = store.read.bind(store);
  let reads = 0;
  store.read = (async (run) => {
    reads++;
    await new Promise((resolve) => setTimeout(resolve, latencyMs));
    return read(run);
  }) as typeof store.read;
  try {
    await work();
  } finally {
    store.read = read;
  }
  return reads;
}

void describe('live fan-out', () => {
  let server: TestServer;
  const readers: SseReader[] = [];
  before(async () => { server = await startTestServer({ keepAliveMs: 60_000 }); });
  after(async () => {
    for (const reader of readers) reader.close();
    await server.close();
  });
  const open = async (query: string): Promise<SseReader> => {
    const reader = await SseReader.open(server, query);
    readers.push(reader);
    assert.equal(reader.status, 200);
    return reader;
  };

  void it('splits one commit of two projects: each stream gets its own project\'s events, once and in order', async () => {
    const alpha = await open('?project=alpha');
    const all = await open('');
    const start = await headOf(server);
    await commitMixed(server);
    await commitMixed(server);
    const head = await headOf(server);
    await all.until(() => all.lastId >= head);
    await alpha.until(() => alpha.lastId >= head - 1);
    assert.deepEqual(all.events.map((e) => e.id), Array.from({ length: 8 }, (_, i) => start + 1 + i));
    // alpha's events are the 1st and 3rd of each commit.
    assert.deepEqual(alpha.events.map((e) => e.id), [start + 1, start + 3, start + 5, start + 7]);
    assert.deepEqual(alpha.events.map((e) => (e.data as { project: string }).project), ['alpha', 'alpha', 'alpha', 'alpha']);
  });

  void it('an HTTP/1.0 client gets the frames as the bare body (no chunk framing), ended by the connection', async () => {
    const url = new URL(server.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => { received += text; });
    socket.write(`GET /api/events?project=alpha HTTP/1.0\r\nAuthorization: Bearer ${server.adminToken}\r\n\r\n`);
    try {
      const waitFor = async (test: () => boolean): Promise<void> => {
        for (let i = 0; i < 200 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
        assert.ok(test(), `received: ${received}`);
      };
      await waitFor(() => received.includes(': connected\n\n'));
      assert.match(received, /^HTTP\/1\.1 200 /);
      assert.doesNotMatch(received, /transfer-encoding: chunked/i);
      await commitMixed(server);
      const head = await headOf(server);
      await waitFor(() => received.includes(`id: ${head - 1}\n`));
      const body = received.slice(received.indexOf('\r\n\r\n') + 4);
      // Nothing but SSE frames: no chunk sizes between them.
      assert.match(body, /^: connected\n\n(id: \d+\nevent: project\.updated\ndata: .*\n\n)+$/);
      assert.equal([...body.matchAll(/^id: (\d+)$/gm)].length, 2);
    } finally {
      socket.destroy();
    }
  });

  void it('streams opening together share their reads: of the log\'s window, and of a token\'s record', async () => {
    const viewer = await server.createToken('viewer', 'fan-out-viewer');
    const opened: SseReader[] = [];
    const reads = await countingReads(server, 20, async () => {
      const opening = Array.from({ length: 12 }, () => SseReader.open(server, '?project=alpha', { token: viewer }));
      opened.push(...await Promise.all(opening));
    });
    readers.push(...opened);
    for (const reader of opened) assert.equal(reader.status, 200);
    // One at a time they cost a token look-up, a window and a block of the log each: 36 reads.
    assert.ok(reads <= 12, `12 streams opening together made ${reads} reads`);
    // And each still gets what commits next.
    await commitMixed(server);
    const head = await headOf(server);
    for (const reader of opened) await reader.until(() => reader.lastId >= head - 1);
  });

  void it('a token deleted while its look-up was on the way is refused, however many requests shared it', async () => {
    const doomed = await server.createToken('viewer', 'doomed-viewer');
    assert.equal((await server.fetch('/api/releases', { token: doomed })).status, 200);
    assert.equal((await server.request('DELETE', '/api/tokens/doomed-viewer')).status, 204);
    const answers = await Promise.all(Array.from({ length: 5 }, () => server.fetch('/api/releases', { token: doomed })));
    assert.deepEqual(answers.map((a) => a.status), [401, 401, 401, 401, 401]);
  });

  void it('reports how long streams took to go live in flightdeck_event_stream_catch_up_seconds', async () => {
    await open('?project=beta');
    const text = await (await server.fetch('/metrics')).text();
    const count = Number(/^flightdeck_event_stream_catch_up_seconds_count (\d+)$/m.exec(text)?.[1]);
    assert.ok(count >= 1, `catch-up observations: ${count}`);
    assert.match(text, /^flightdeck_event_stream_catch_up_seconds_bucket\{le="0\.25"\} \d+$/m);
  });
});

void describe('freshRead', () => {
  void it('answers each caller from a read that began after it asked, and a burst from two reads', async () => {
    let begun = 0;
    const finishes: Array<() => void> = [];
    const read = freshRead(() => {
      const number = ++begun;
      return new Promise<number>((resolve) => finishes.push(() => resolve(number)));
    });
    const first = read();
    // Asked while read 1 runs (it may predate them): they share read 2.
    const burst = [read(), read(), read()];
    assert.equal(begun, 1);
    finishes[0]?.();
    assert.equal(await first, 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(begun, 2);
    // Asked while read 2 runs: read 3.
    const late = read();
    finishes[1]?.();
    assert.deepEqual(await Promise.all(burst), [2, 2, 2]);
    await new Promise((resolve) => setImmediate(resolve));
    finishes[2]?.();
    assert.equal(await late, 3);
    assert.equal(begun, 3);
  });

  void it('a failed read fails its callers only; the next caller reads again', async () => {
    let calls = 0;
    const read = freshRead(async () => {
      calls++;
      if (calls === 1) throw new Error('connection lost');
      return calls;
    });
    await assert.rejects(read(), /connection lost/);
    assert.equal(await read(), 2);
  });
});
