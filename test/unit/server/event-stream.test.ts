// GET /api/events under load and after the unexpected: a resume of the whole retained window at the
// client's pace, caps on concurrent streams (429), a resume the log cannot serve (stream.reset), and a
// revoked token's streams closing at once. The log is filled through the store; every assertion is on
// what a client receives over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openEventStream } from '../../../src/client/events';
import type { ReleaseEvent } from '../../../src/api/schemas';
import { appendEvents, headOf } from '../helpers/event-log';
import { postgresSkipReason, startTestServer, type TestServer } from '../helpers/server';
import { createProject } from './contract/fixtures';
import { SseReader, type SseOpenOptions } from './sse-client';

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** `promise`, or a failure naming `what` if it has not settled within `ms` (a bound, not a barrier). */
function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not happen in ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

void describe('GET /api/events: replay, limits, resets and revocation', () => {
  let server: TestServer;
  const readers: SseReader[] = [];
  const openOn = async (on: TestServer, query: string, options: SseOpenOptions): Promise<SseReader> => {
    const reader = await SseReader.open(on, query, options);
    readers.push(reader);
    return reader;
  };
  const open = (query = '', options: SseOpenOptions = {}): Promise<SseReader> => openOn(server, query, options);

  before(async () => { server = await startTestServer({ keepAliveMs: 100 }); });
  after(async () => {
    for (const reader of readers) reader.close();
    await server.close();
  });

  void it('a resume of 10,000 events of 10 KB receives them all, in order, once, and live ones after them', async () => {
    await appendEvents(server.service.store, 'bulk', 10_000, 10_000);
    // A client that does not read yet: the replay must wait for it rather than give up on it.
    const resumed = await open('?since=0', { paused: true, keepData: false });
    assert.equal(resumed.status, 200);
    // Committed while the replay waits for the client.
    await createProject(server, { candidates: 2 });
    const head = await headOf(server);
    assert.ok(head > 10_000);
    resumed.resume();
    await resumed.until(() => resumed.lastId >= head, 60_000);
    assert.deepEqual(resumed.events.map((e) => e.id), range(1, head));
    assert.deepEqual(resumed.events.slice(10_000).map((e) => e.event), ['project.updated', 'release.created', 'release.created']);
    resumed.close();
  });

  void it('refuses streams past the per-token and the total caps with 429, and frees a closed stream\'s place', async () => {
    const capped = await startTestServer({ keepAliveMs: 50, maxStreamsPerToken: 3, maxStreams: 6 });
    try {
      await streamsUpToTheCaps(capped);
    } finally {
      await capped.close();
    }
  });

  const streamsUpToTheCaps = async (server: TestServer): Promise<void> => {
    const open = (query: string, options: SseOpenOptions): Promise<SseReader> => openOn(server, query, options);
    const viewer = await server.createToken('viewer');
    const other = await server.createToken('viewer');
    const mine = [await open('', { token: viewer }), await open('', { token: viewer }), await open('', { token: viewer })];
    for (const stream of mine) assert.equal(stream.status, 200);
    const overToken = await open('', { token: viewer });
    assert.equal(overToken.status, 429);
    assert.match((JSON.parse(overToken.body) as { error: string }).error, /most one token may hold/);
    // Others still get theirs, up to the server's total (6, of which 3 are the viewer's).
    for (let i = 0; i < 3; i++) assert.equal((await open('', { token: other })).status, 200);
    const overTotal = await open('', {});
    assert.equal(overTotal.status, 429);
    assert.match((JSON.parse(overTotal.body) as { error: string }).error, /most it allows/);

    // A closed stream gives its place back once the server has heard of the close: each retry waits for a
    // keep-alive on a stream still open, a sign that the server's event loop went round.
    mine[0]?.close();
    const ticker = mine[1];
    assert.ok(ticker);
    let again = await open('', { token: viewer });
    for (let attempt = 0; again.status === 429 && attempt < 50; attempt++) {
      const seen = ticker.comments.length;
      await ticker.until(() => ticker.comments.length > seen);
      again = await open('', { token: viewer });
    }
    assert.equal(again.status, 200);
  };

  void it('a resume from ahead of the log starts at its head with stream.reset, then streams live events', async () => {
    const head = await headOf(server);
    for (const options of [{ query: `?since=${head + 500}` }, { query: '', lastEventId: head + 1 }]) {
      const stream = await open(options.query, options.lastEventId !== undefined ? { lastEventId: options.lastEventId } : {});
      await stream.untilEvents(1);
      assert.deepEqual(stream.events[0], { id: head, event: 'stream.reset', data: { head, reason: 'ahead', at: (stream.events[0]?.data as { at: string }).at } });
      stream.close();
    }
    const stream = await open(`?since=${head + 500}`);
    await stream.untilEvents(1);
    await createProject(server, { candidates: 1 });
    await stream.untilEvents(3);
    assert.deepEqual(stream.events.map((e) => [e.id, e.event]), [[head, 'stream.reset'], [head + 1, 'project.updated'], [head + 2, 'release.created']]);
    stream.close();
  });

  void it('the extension\'s client hears the reset, resumes from the head and goes on with live events', async () => {
    const head = await headOf(server);
    const resets: Array<[number, string]> = [];
    const events: ReleaseEvent[] = [];
    let heardReset: () => void = () => undefined;
    const reset = new Promise<void>((resolve) => { heardReset = resolve; });
    let heardLive: () => void = () => undefined;
    const live = new Promise<void>((resolve) => { heardLive = resolve; });
    const client = openEventStream({
      baseUrl: server.url, token: server.adminToken, lastEventId: head + 1000,
      onReset: (at, reason) => {
        resets.push([at, reason]);
        heardReset();
      },
      onEvent: (event) => {
        events.push(event);
        heardLive();
      },
    });
    try {
      await within(reset, 'the reset');
      assert.deepEqual(resets, [[head, 'ahead']]);
      assert.equal(client.lastEventId, head);
      await createProject(server, { candidates: 0 });
      await within(live, 'a live event');
      assert.equal(events[0]?.id, head + 1, 'the first event after the head is not taken for one already seen');
    } finally {
      client.close();
    }
  });

  void it('ends a revoked token\'s streams at once, and a stream it tries to open again is refused', async () => {
    const name = `revoked-${Date.now()}`;
    const token = await server.createToken('viewer', name);
    const stream = await open('', { token });
    assert.equal(stream.status, 200);
    const survivor = await open('', { token: await server.createToken('viewer') });
    assert.equal((await server.request('DELETE', `/api/tokens/${encodeURIComponent(name)}`)).status, 204);
    await stream.until(() => stream.isEnded, 5000);
    assert.equal((await open('', { token })).status, 401);
    assert.equal(survivor.isEnded, false, 'other tokens\' streams stay open');
  });
});

void describe('GET /api/events with a client that stops reading', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ keepAliveMs: 50, maxStreamsPerToken: 1, stalledStreamMs: 300 });
    // 20 MB: far more than the sockets between the two can hold.
    await appendEvents(server.service.store, 'stuck', 2000, 10_000);
  });
  after(async () => server.close());

  void it('drops a stream whose socket takes nothing, and its place is free again', async () => {
    const token = await server.createToken('viewer');
    const stuck = await SseReader.open(server, '?since=0', { token, paused: true, keepData: false });
    const ticker = await SseReader.open(server, '');
    try {
      assert.equal(stuck.status, 200);
      const refused = await SseReader.open(server, '', { token });
      assert.equal(refused.status, 429, 'the stuck stream holds the token\'s one place');
      // Each retry waits for a keep-alive on another stream: the server's timer, which checks for stalls, ran.
      let again = refused;
      for (let attempt = 0; again.status === 429 && attempt < 100; attempt++) {
        const seen = ticker.comments.length;
        await ticker.until(() => ticker.comments.length > seen);
        again = await SseReader.open(server, '', { token });
      }
      assert.equal(again.status, 200, 'the stalled stream was dropped');
      again.close();
    } finally {
      stuck.close();
      ticker.close();
    }
  });
});

void describe('GET /api/events after the log was pruned', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ eventRetention: 100 });
    // Ids 1..1100; pruning (every 500 ids) keeps 901..1100.
    await appendEvents(server.service.store, 'pruned', 1100, 100);
  });
  after(async () => server.close());

  void it('a resume from before the retained window gets stream.reset; one from its edge replays what is retained', async () => {
    for (const since of [0, 1, 899]) {
      const stream = await SseReader.open(server, `?since=${since}`);
      try {
        await stream.untilEvents(1);
        assert.deepEqual(stream.events.map((e) => [e.id, e.event, (e.data as { reason?: string }).reason]), [[1100, 'stream.reset', 'pruned']], `since=${since}`);
      } finally {
        stream.close();
      }
    }
    const edge = await SseReader.open(server, '?since=900');
    try {
      await edge.until(() => edge.lastId === 1100);
      assert.deepEqual(edge.events.map((e) => e.id), range(901, 1100));
      assert.ok(edge.events.every((e) => e.event === 'project.updated'));
    } finally {
      edge.close();
    }
  });
});

void describe('GET /api/events: revocation across servers on one PostgreSQL database', async () => {
  const skip = await postgresSkipReason();
  if (skip) {
    console.log(`# multi-server revocation suite skipped: ${skip}`);
    void it.skip(`PostgreSQL: ${skip}`);
    return;
  }

  void it('revoking a token through one server ends its streams on the other', async () => {
    const a = await startTestServer({ backend: 'postgres' });
    const b = await startTestServer({ backend: 'postgres', ...(a.databaseUrl ? { databaseUrl: a.databaseUrl } : {}) });
    const readers: SseReader[] = [];
    try {
      const name = 'shared-viewer';
      const token = await a.createToken('viewer', name);
      const onB = await SseReader.open(b, '', { token });
      readers.push(onB);
      assert.equal(onB.status, 200);
      assert.equal((await a.request('DELETE', `/api/tokens/${name}`)).status, 204);
      await onB.until(() => onB.isEnded, 5000);
      // b forgot its cached look-up too: the token is refused there at once.
      const again = await SseReader.open(b, '', { token });
      readers.push(again);
      assert.equal(again.status, 401);
    } finally {
      for (const reader of readers) reader.close();
      await b.close();
      await a.close();
    }
  });
});
