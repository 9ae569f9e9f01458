// The store and the service's pure parts: migrations, event log pruning, the status state machine,
// the overview cache, spec comparison.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from '../../../src/api/schemas';
import { OverviewCache } from '../../../src/server/service/overviewCache';
import { canonicalJson } from '../../../src/server/service/projects';
import { isLegalMove } from '../../../src/server/service/status-machine';
import { Store } from '../../../src/server/store';
import { MIGRATIONS } from '../../../src/server/store/migrations';
import { createTestDatabase, freshPgliteDataDir, postgresSkipReason, startTestServer } from '../helpers/server';

void describe('the status state machine', () => {
  void it('allows exactly the moves of API.md', () => {
    const legal = new Set([
      'pending→in_progress', 'pending→canceling', 'pending→failure', 'pending→error',
      'in_progress→success', 'in_progress→failure', 'in_progress→canceling', 'in_progress→error',
      'canceling→canceled',
      ...DEPLOYMENT_STATUSES.map((to) => `unknown→${to}`),
    ]);
    for (const from of DEPLOYMENT_STATUSES) {
      for (const to of DEPLOYMENT_STATUSES) {
        assert.equal(isLegalMove(from, to), legal.has(`${from}→${to}`), `${from} → ${to}`);
      }
    }
    const terminal: DeploymentStatus[] = ['success', 'failure', 'canceled', 'error'];
    for (const from of terminal) assert.ok(DEPLOYMENT_STATUSES.every((to) => !isLegalMove(from, to)), `${from} is terminal`);
  });
});

void describe('the overview cache', () => {
  void it('builds once per generation, shares a build, and never caches a build that raced a change', async () => {
    let builds = 0;
    let release: (() => void) | undefined;
    const cache = new OverviewCache(async () => {
      builds++;
      const n = builds;
      if (n === 2) await new Promise<void>((resolve) => { release = resolve; });
      return `v${n}`;
    });
    const text = async (): Promise<string> => (await cache.get()).toString('utf8');
    assert.equal(await text(), 'v1');
    assert.equal(await text(), 'v1');
    assert.equal(builds, 1);
    cache.invalidate();
    // Two reads share build 2; a change commits while it runs. One Promise.all holds all three, so a read
    // that rejects early is handled at once, not after the awaits of the others.
    const [first, second] = await Promise.all([text(), text(), (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      cache.invalidate();
      release?.();
    })()]);
    assert.equal(first, 'v2');
    assert.equal(second, 'v2');
    assert.equal(await text(), 'v3', 'the racing build was not cached');
    assert.equal(await text(), 'v3');
    assert.equal(builds, 3);
  });
});

void describe('canonical JSON', () => {
  void it('ignores key order and undefined values', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), canonicalJson({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }));
    assert.notEqual(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
  });
});

void void describe('internal errors', () => {
  void it('are a JSON 500 that says nothing, and a log line that says everything', async () => {
    const log = new PassThrough();
    let logged = '';
    log.on('data', (chunk: Buffer) => { logged += chunk.toString('utf8'); });
    const server = await startTestServer({ backend: 'pglite', logLevel: 'error', logStream: log });
    try {
      await server.service.store.close(); // the database goes away under the server
      const response = await server.request('GET', '/api/releases/anything');
      assert.equal(response.status, 500);
      assert.deepEqual(response.body, { error: 'Internal server error' });
      assert.match(logged, /"msg":"internal error"/);
      assert.ok(!logged.includes(server.adminToken));
    } finally {
      await server.close();
    }
  });
});

void describe('the PGlite store', () => {
  void it('records its migrations once, prunes the event log beyond the retention, and survives a stale lock', async () => {
    const dataDir = await freshPgliteDataDir();
    try {
      let store = await Store.open({ dataDir, eventRetention: 100 });
      assert.deepEqual(await store.read((reader) => reader.appliedMigrations()), MIGRATIONS.map((m) => m.version));

      // 1,200 events in three transactions: pruning keeps at least the last 100.
      for (let batch = 0; batch < 3; batch++) {
        await store.write(async (writer) => {
          for (let i = 0; i < 400; i++) writer.recordEvent('project.updated', 'p', null, new Date());
        });
      }
      const retained = await store.read((reader) => reader.eventsAfter(0, null, 5000));
      assert.ok(retained.length >= 100 && retained.length < 1200, `retained ${retained.length}`);
      assert.equal(retained[retained.length - 1]?.id, 1200);
      await store.close();

      // A lock file left by a dead process is taken over.
      fs.writeFileSync(path.join(dataDir, 'flightdeck.lock'), '999999');
      store = await Store.open({ dataDir });
      await assert.rejects(Store.open({ dataDir }), /in use by process/);
      await store.close();
      assert.ok(!fs.existsSync(path.join(dataDir, 'flightdeck.lock')));
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  void it('rolls a failed transaction back whole, events included', async () => {
    const dataDir = await freshPgliteDataDir();
    const store = await Store.open({ dataDir });
    try {
      const heard: number[] = [];
      store.onCommit((events) => heard.push(...events.map((e) => e.id)));
      await assert.rejects(store.write(async (writer) => {
        writer.recordEvent('project.updated', 'p', null, new Date());
        await writer.insertProject('p', { repo: 'r', description: null, configDir: null }, new Date());
        throw new Error('changed my mind');
      }), /changed my mind/);
      assert.equal(await store.read((reader) => reader.findProject('p')), undefined);
      assert.deepEqual(heard, []);
      await store.write(async (writer) => writer.recordEvent('project.updated', 'p', null, new Date()));
      assert.equal(heard.length, 1);
      await store.write(async (writer) => {
        for (let i = 0; i < 12; i++) writer.recordEvent('project.updated', 'p', null, new Date());
      });
      const replayed = (await store.read((reader) => reader.eventsAfter(0, null, 100))).map((e) => e.id);
      assert.deepEqual(replayed, [...replayed].sort((a, b) => a - b), 'replay is in numeric id order across 9 → 10');
      assert.equal(replayed.length, 13);
    } finally {
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

void describe('the PostgreSQL store', async () => {
  const skip = await postgresSkipReason();
  if (skip) console.log(`# PostgreSQL store tests skipped: ${skip}`);
  void it('migrates one database from two servers at once', { skip: skip ?? false }, async () => {
    const database = await createTestDatabase();
    try {
      const [a, b] = await Promise.all([Store.open({ databaseUrl: database.url }), Store.open({ databaseUrl: database.url })]);
      await a.write((writer) => writer.insertProject('p', { repo: 'r', description: null, configDir: null }, new Date()));
      assert.equal((await b.read((reader) => reader.findProject('p')))?.repo, 'r');
      await Promise.all([a.close(), b.close()]);
    } finally {
      await database.drop();
    }
  });
});
