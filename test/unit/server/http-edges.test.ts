// What fails outside the routes answers in the contract's shape too, `{"error": "<sentence>"}`, never
// echoing the request: URLs that do not decode, over-long path segments and headers, broken HTTP, and
// requests that never finish arriving, which are cut off (while event streams live on).
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { createProject } from './contract/fixtures';
import { SseReader } from './sse-client';

/** Sends raw bytes on a new connection; resolves with everything the server wrote once it closes. */
function rawExchange(server: TestServer, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { received += chunk; });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.write(request);
  });
}

function parseRawResponse(raw: string): { status: number; contentType: string | undefined; body: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /^content-type: *(.*)$/im.exec(head)?.[1];
  return { status, contentType, body: JSON.parse(body) as unknown };
}

void describe('errors outside the routes', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server.close(); });

  void it('12: a URL that does not decode and an over-long path segment answer a sentence, without the URL', async () => {
    const malformed = await server.fetch('/api/releases/%ZZ');
    assert.equal(malformed.status, 400);
    assert.match(malformed.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await malformed.json(), { error: 'The request URL is malformed' });

    const longName = 'x'.repeat(2000);
    const long = await server.fetch(`/api/releases/${longName}`);
    assert.equal(long.status, 414);
    const text = await long.text();
    assert.deepEqual(JSON.parse(text), { error: 'A path segment of the URL is too long' });
  });

  void it('12: oversized headers and broken HTTP answer JSON sentences before fastify sees a request', async () => {
    const huge = parseRawResponse(await rawExchange(server, `GET /api/releases/${'y'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    assert.equal(huge.status, 431);
    assert.match(huge.contentType ?? '', /application\/json/);
    assert.deepEqual(huge.body, { error: 'The request line and headers are too large' });

    const broken = parseRawResponse(await rawExchange(server, 'NOT HTTP AT ALL\r\n\r\n'));
    assert.equal(broken.status, 400);
    assert.deepEqual(broken.body, { error: 'The request is not valid HTTP' });
  });
});

void describe('request timeouts', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer({ requestTimeoutMs: 400, keepAliveMs: 100 }); });
  after(async () => { await server.close(); });

  void it('13: a partial body is cut off with a 408 sentence, while an older event stream lives on', async () => {
    const project = await createProject(server, { candidates: 0 });
    const stream = await SseReader.open(server, `?project=${project}`);
    assert.equal(stream.status, 200);
    try {
      // Headers and half a body, then silence: the server must not wait for the rest forever.
      const raw = await rawExchange(server, [
        `POST /api/releases/${project}/releases/1.0.0-rc1 HTTP/1.1`, 'Host: x', `Authorization: Bearer ${server.adminToken}`,
        'Content-Type: application/json', 'Content-Length: 100', '', '{"commit":',
      ].join('\r\n'));
      const answer = parseRawResponse(raw);
      assert.equal(answer.status, 408);
      assert.deepEqual(answer.body, { error: 'The request was not received in time' });
      // The stream, opened before the request that timed out, is older than the timeout: still live.
      assert.equal(stream.isEnded, false);
      const created = await server.request('POST', `/api/releases/${project}/releases/1.0.0-rc1`, { commit: 'a'.repeat(40) });
      assert.equal(created.status, 201);
      await stream.until(() => stream.events.some((event) => event.event === 'release.created'));
    } finally {
      stream.close();
    }
  });

  void it('13: a connection that never sends a request gets a 408 sentence and is closed', async () => {
    const answer = parseRawResponse(await rawExchange(server, ''));
    assert.equal(answer.status, 408);
    assert.deepEqual(answer.body, { error: 'The request was not received in time' });
  });
});
