// Endpoint 15: Server-Sent Events. Ids come from the database, events are announced only after their
// transaction commits, and a client resuming with Last-Event-ID (or ?since=) misses nothing and sees
// nothing twice, even while changes keep committing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { EventData, Overview } from '../../../src/api/schemas';
import { postgresSkipReason, startTestServer, type TestServer } from '../helpers/server';
import { assertError, createProject, deploySuccessfully, deploymentsPath, report } from './contract/fixtures';
import { SseReader, type SseEvent } from './sse-client';

function ids(events: readonly SseEvent[]): number[] {
  return events.map((e) => e.id);
}

function assertIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i++) assert.ok((values[i] ?? 0) > (values[i - 1] ?? 0), `ids increase: ${values.join(',')}`);
}

void describe('GET /api/events', () => {
  let server: TestServer;
  const readers: SseReader[] = [];
  const open = async (query = '', options: { lastEventId?: number; token?: string | null } = {}): Promise<SseReader> => {
    const reader = await SseReader.open(server, query, options);
    readers.push(reader);
    return reader;
  };

  before(async () => { server = await startTestServer({ keepAliveMs: 150 }); });
  after(async () => {
    for (const reader of readers) reader.close();
    await server.close();
  });

  void it('streams every kind of change with its data, after commit', async () => {
    const stream = await open();
    assert.equal(stream.status, 200);
    assert.match(stream.contentType ?? '', /^text\/event-stream/);
    const project = await createProject(server, { candidates: 1 });
    await report(server, project, 'dogfood', '1.0.0-rc1', 'in_progress');
    await report(server, project, 'dogfood', '1.0.0-rc1', 'success');
    await server.request('PATCH', `/api/releases/${project}/environments/canary`, { frozen: true });
    await stream.until(() => stream.events.some((e) => e.event === 'environment.updated'));
    const mine = stream.events.filter((e) => (e.data as { project?: string }).project === project);
    assert.deepEqual(mine.map((e) => e.event), ['project.updated', 'release.created', 'deployment.created', 'deployment.updated', 'environment.updated']);
    assertIncreasing(ids(stream.events));
    for (const event of mine) EventData.parse(event.data);
    const updated = EventData.parse(mine[3]?.data);
    assert.equal(updated.environment, 'dogfood');
    assert.equal(updated.deployment?.status, 'success');
    assert.equal(EventData.parse(mine[0]?.data).environment, null);
  });

  void it('a client that hears an event reads the change it announces', async () => {
    const project = await createProject(server, { candidates: 1 });
    const stream = await open(`?project=${project}`);
    await server.request('POST', deploymentsPath(project, 'canary'), { release_candidate_version: '1.0.0-rc1' });
    await stream.untilEvents(1);
    const overview = Overview.parse((await server.request('GET', '/api/releases')).body);
    const canary = overview.projects.find((p) => p.name === project)?.environments.find((e) => e.name === 'canary');
    assert.equal(canary?.active?.release_candidate_version, '1.0.0-rc1');
  });

  void it('filters by ?project= and announces nothing for refused changes', async () => {
    const mine = await createProject(server, { candidates: 2 });
    const other = await createProject(server, { candidates: 1 });
    const stream = await open(`?project=${mine}`);
    await report(server, other, 'dogfood', '1.0.0-rc1', 'in_progress');
    assertError(await server.request('POST', deploymentsPath(mine, 'dogfood'), { release_candidate_version: '1.0.0-rc9' }), 404);
    await server.request('POST', deploymentsPath(mine, 'dogfood'), { release_candidate_version: '1.0.0-rc1' });
    assertError(await server.request('POST', deploymentsPath(mine, 'dogfood'), { release_candidate_version: '1.0.0-rc2' }), 409);
    await report(server, mine, 'dogfood', '1.0.0-rc1', 'in_progress');
    // A last change of this project: its event comes after any that the refused changes or the other
    // project could have caused, so once it is here, everything before it is too.
    await server.request('PATCH', `/api/releases/${mine}/environments/canary`, { frozen: true });
    await stream.until(() => stream.events.some((e) => e.event === 'environment.updated'));
    assert.deepEqual(stream.events.map((e) => e.event), ['deployment.created', 'deployment.updated', 'environment.updated']);
    assert.ok(stream.events.every((e) => (e.data as { project: string }).project === mine));
  });

  void it('resumes with Last-Event-ID or ?since= without a gap or a duplicate', async () => {
    const project = await createProject(server, { candidates: 3 });
    const first = await open(`?project=${project}`);
    await deploySuccessfully(server, project, 'dogfood', '1.0.0-rc1');
    await first.untilEvents(2);
    const resumeAfter = first.lastId;
    first.close();
    // Missed while disconnected:
    await deploySuccessfully(server, project, 'canary', '1.0.0-rc1');
    await deploySuccessfully(server, project, 'dogfood', '1.0.0-rc2');

    const resumed = await open(`?project=${project}`, { lastEventId: resumeAfter });
    await resumed.untilEvents(4);
    await report(server, project, 'production', '1.0.0-rc3', 'in_progress');
    await resumed.untilEvents(5);
    const bySince = await open(`?project=${project}&since=${resumeAfter}`);
    await bySince.untilEvents(5);
    assert.deepEqual(ids(bySince.events), ids(resumed.events));
    assertIncreasing(ids(resumed.events));
    assert.ok(resumed.events.every((e) => e.id > resumeAfter));
    assert.deepEqual(resumed.events.map((e) => e.event), ['deployment.created', 'deployment.updated', 'deployment.created', 'deployment.updated', 'deployment.created']);
  });

  void it('a client resuming while changes keep committing sees each event exactly once', async () => {
    const project = await createProject(server, { candidates: 1, spec: {
      repo: 'acme/busy',
      environments: Array.from({ length: 6 }, (_, i) => ({ name: `e${i}`, tier: 'production' as const, position: i, strategy: 'standard' as const })),
    } });
    const watcher = await open(`?project=${project}`);
    const statuses = ['in_progress', 'failure'];
    const writes = async (): Promise<void> => {
      for (let round = 0; round < 6; round++) {
        await Promise.all(Array.from({ length: 6 }, (_, i) => report(server, project, `e${i}`, '1.0.0-rc1', statuses[round % 2] ?? 'in_progress')));
      }
    };
    // A second client connects while the writes go on; Promise.all handles a failure of either at once.
    let resumeAfter = 0;
    const [, resumed] = await Promise.all([writes(), (async () => {
      await watcher.untilEvents(8);
      resumeAfter = watcher.events[7]?.id ?? 0;
      return open(`?project=${project}`, { lastEventId: resumeAfter });
    })()]);
    await watcher.untilEvents(36);
    await resumed.until(() => resumed.lastId === watcher.lastId);
    const everything = await open(`?project=${project}&since=0`);
    await everything.until(() => everything.lastId === watcher.lastId);
    const logged = ids(everything.events.filter((e) => e.event.startsWith('deployment.')));
    assert.equal(logged.length, 36);
    assert.deepEqual(ids(watcher.events), logged, 'the live stream has every logged event once');
    assert.deepEqual(ids(resumed.events), logged.filter((id) => id > resumeAfter), 'the resumed one has every later event once');
  });

  void it('tells onDeploymentChanged listeners (the engine hook) about each deployment, after commit', async () => {
    const project = await createProject(server, { candidates: 1 });
    const heard: Array<{ type: string; status: string; committed: boolean }> = [];
    const stop = server.service.onDeploymentChanged((change) => {
      heard.push({ type: change.type, status: change.deployment.status, committed: change.eventId > 0 });
    });
    try {
      await server.request('POST', deploymentsPath(project, 'canary'), { release_candidate_version: '1.0.0-rc1' });
      assertError(await server.request('POST', deploymentsPath(project, 'canary'), { release_candidate_version: '1.0.0-rc1' }), 409);
      await report(server, project, 'canary', '1.0.0-rc1', 'in_progress');
      await server.request('PATCH', `/api/releases/${project}/environments/canary`, { frozen: true });
    } finally {
      stop();
    }
    await report(server, project, 'canary', '1.0.0-rc1', 'success');
    assert.deepEqual(heard, [
      { type: 'created', status: 'pending', committed: true },
      { type: 'updated', status: 'in_progress', committed: true },
    ]);
  });

  void it('keeps the connection alive with comments', async () => {
    const stream = await open('?project=quiet-project');
    await stream.until(() => stream.comments.includes('keep-alive'), 3000);
  });

  void it('needs a token and valid parameters', async () => {
    const anonymous = await open('', { token: null });
    assert.equal(anonymous.status, 401);
    assert.equal(typeof (JSON.parse(anonymous.body) as { error: unknown }).error, 'string');
    for (const query of ['?since=abc', '?since=-1', '?project=../etc', '?since=1e9', `?since=${'9'.repeat(30)}`]) {
      const bad = await open(query);
      assert.equal(bad.status, 400, query);
    }
    assert.equal((await open('', { lastEventId: Number.NaN })).status, 400);
    const viewer = await server.createToken('viewer');
    const allowed = await open('', { token: viewer });
    assert.equal(allowed.status, 200);
  });

  void it('ends open streams when the server closes', async () => {
    const local = await startTestServer();
    try {
      const stream = await SseReader.open(local, '');
      const started = Date.now();
      await local.stop();
      await stream.until(() => stream.isEnded, 3000);
      assert.ok(Date.now() - started < 5000, `closed in ${Date.now() - started} ms`);
    } finally {
      await local.close();
    }
  });
});

void describe('GET /api/events with several servers on one PostgreSQL database', async () => {
  const skip = await postgresSkipReason();
  if (skip) {
    console.log(`# multi-server event suite skipped: ${skip}`);
    void it.skip(`PostgreSQL: ${skip}`);
    return;
  }

  void it('a stream on one server carries the changes made through another, in id order, each once', async () => {
    const a = await startTestServer({ backend: 'postgres' });
    const b = await startTestServer({ backend: 'postgres', ...(a.databaseUrl ? { databaseUrl: a.databaseUrl } : {}) });
    const readers: SseReader[] = [];
    try {
      const onA = await SseReader.open(a, '');
      const onB = await SseReader.open(b, '');
      readers.push(onA, onB);
      const project = await createProject(a, { candidates: 2 });
      // Changes through both servers, interleaved.
      await report(a, project, 'dogfood', '1.0.0-rc1', 'in_progress');
      await report(b, project, 'dogfood', '1.0.0-rc1', 'success');
      await report(a, project, 'dogfood', '1.0.0-rc2', 'success');
      const mine = (stream: SseReader): SseEvent[] => stream.events.filter((e) => (e.data as { project?: string }).project === project);
      const rc2Live = (e: SseEvent): boolean => e.event.startsWith('deployment.')
        && (e.data as { deployment?: { release_candidate_version?: string } }).deployment?.release_candidate_version === '1.0.0-rc2';
      await onB.until(() => mine(onB).some(rc2Live), 5000);
      await onA.until(() => mine(onA).length === mine(onB).length, 5000);
      assert.deepEqual(ids(mine(onA)), ids(mine(onB)), 'both servers streamed the same events');
      assertIncreasing(ids(onB.events));
      assert.equal(new Set(ids(onB.events)).size, onB.events.length, 'no event twice');
      // The project and its candidates were made through a, one report through b: each stream has them all.
      assert.deepEqual(mine(onB).map((e) => e.event), [
        'project.updated', 'release.created', 'release.created', 'deployment.created', 'deployment.updated', 'deployment.created',
      ]);

      // The listening connections dropped (a restarted database, a proxy's idle timeout): they come back,
      // and what was committed meanwhile still reaches the other server's stream.
      const admin = new pg.Client({ connectionString: a.databaseUrl });
      await admin.connect();
      try {
        const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'flightdeck-events' AND datname = current_database()`);
        assert.equal(killed.rowCount, 2, 'one listening connection per server');
      } finally {
        await admin.end();
      }
      await report(a, project, 'canary', '1.0.0-rc1', 'success');
      await onB.until(() => mine(onB).some((e) => (e.data as { environment?: string }).environment === 'canary'), 10_000);
      assert.equal(new Set(ids(onB.events)).size, onB.events.length, 'no event twice after the reconnect');
    } finally {
      for (const reader of readers) reader.close();
      await b.close();
      await a.close();
    }
  });
});
