// What an operator of a team's server relies on: /readyz beside /healthz, Prometheus metrics (admin on
// the API port, or unauthenticated on --metrics-port), a request id on every log line and no secret in
// any, several replicas migrating one empty database at the same moment, and SIGTERM handing the engine
// to another replica mid-rollout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import type { EnvironmentSpecInput } from '../../../src/api/schemas';
import { startServer, type RunningServer } from '../../../src/server';
import { MIGRATIONS } from '../../../src/server/store/migrations';
import { ENGINE_LOCK_KEY } from '../../../src/server/store/engine-tasks';
import {
  commandDeploy, createProject, deploy, getDeployment, readCalls, tempDir, waitFor, waitForStatus, writeDeployScript,
} from '../engine/helpers';
import { createTestDatabase, freshPgliteDataDir, postgresSkipReason, startTestServer, type TestServer } from '../helpers/server';
import { spawnServe } from './child-server';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const started = await startTestServer({ backend: 'pglite', ...options });
  cleanup.push(() => started.close());
  return started;
}

/** Every log line written to a stream, parsed. */
function captureLog(): { stream: PassThrough; text: () => string; lines: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
  return {
    stream,
    text: () => text,
    lines: () => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

void describe('readiness and liveness', () => {
  void it('GET /readyz answers 200 without a token once the database is migrated', async () => {
    const s = await server();
    const ready = await s.request('GET', '/readyz', undefined, { token: null });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { ok: true, version: '0.0.0-test' });
    assert.equal((await s.request('GET', '/healthz', undefined, { token: null })).status, 200);
  });
});

void describe('GET /metrics', () => {
  void it('is admin-only on the API port and carries the operator\'s series, labelled by route template', async () => {
    const s = await server();
    const viewer = await s.createToken('viewer', 'metrics-viewer');
    assert.equal((await s.fetch('/metrics', { token: null })).status, 401);
    assert.equal((await s.fetch('/metrics', { token: viewer })).status, 403);
    await s.request('PUT', '/api/releases/metrics-demo', {
      repo: 'acme/metrics', environments: [{ name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood', deploy: { type: 'none', command: null, url: null } }],
    });
    assert.equal((await s.request('GET', '/api/releases/metrics-demo', undefined, { token: viewer })).status, 200);
    const stream = await s.fetch('/api/events');
    try {
      const response = await s.fetch('/metrics');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await response.text();
      for (const series of [
        'flightdeck_http_requests_total', 'flightdeck_http_request_duration_seconds_bucket', 'flightdeck_event_streams_open 1',
        'flightdeck_events_written_total', 'flightdeck_events_fanned_out_total', 'flightdeck_engine_task_lag_seconds',
        'flightdeck_executor_runs_total', 'flightdeck_db_pool_connections', 'flightdeck_listen_reconnects',
        'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds',
      ]) assert.ok(text.includes(series), `${series} is exposed`);
      assert.match(text, /flightdeck_http_requests_total\{method="GET",route="\/api\/releases\/:project",status="200"\} 1/);
      assert.ok(!text.includes('metrics-demo'), 'labels hold route templates, never the names in a URL');
      for (const secret of [s.adminToken, viewer]) assert.ok(!text.includes(secret), 'no token in the metrics');
    } finally {
      await stream.body?.cancel();
    }
  });

  void it('--metrics-port serves /metrics alone, without a token', async () => {
    const dataDir = await freshPgliteDataDir();
    const running: RunningServer = await startServer({
      port: 0, dataDir, version: '0.0.0-test', logLevel: 'silent', adminToken: 'metrics-port-admin-token', metricsPort: 0,
    });
    cleanup.push(() => running.close());
    assert.ok(running.metricsUrl && running.metricsUrl !== running.url);
    const metrics = await fetch(`${running.metricsUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /flightdeck_event_streams_open 0/);
    const other = await fetch(`${running.metricsUrl}/api/releases`);
    assert.equal(other.status, 404);
    assert.deepEqual(await other.json(), { error: 'Only GET /metrics is served on the metrics port' });
  });
});

void describe('logs', () => {
  void it('carry a request id on every request line, echo it as X-Request-Id, and never a token', async () => {
    const log = captureLog();
    const s = await server({ logLevel: 'trace', logStream: log.stream });
    const deployer = await s.createToken('deployer', 'log-deployer');
    const viewer = await s.createToken('viewer', 'log-viewer');
    const refused = 'fd_not-a-real-token-0123456789abcdef';
    const mine = await s.fetch('/api/releases', { token: deployer });
    const id = mine.headers.get('x-request-id') ?? '';
    assert.match(id, /^[0-9a-f-]{36}$/);
    const forwarded = await s.fetch('/api/whoami', { token: viewer, headers: { 'x-request-id': 'lb-7f3a.42' } });
    assert.equal(forwarded.headers.get('x-request-id'), 'lb-7f3a.42', 'a sane id from the proxy is kept');
    const forged = await s.fetch('/api/whoami', { token: viewer, headers: { 'x-request-id': 'a b<script>' } });
    assert.match(forged.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'anything else is replaced');
    assert.equal((await s.fetch('/api/releases', { token: refused })).status, 401);
    await s.fetch('/api/releases', { headers: { authorization: `Basic ${Buffer.from(`user:${deployer}`).toString('base64')}` }, token: null });
    await s.close();

    const lines = log.lines();
    const requestLines = lines.filter((line) => line.msg === 'incoming request' || line.msg === 'request completed');
    assert.ok(requestLines.length >= 10);
    for (const line of requestLines) assert.equal(typeof line.reqId, 'string', 'every request line has its id');
    assert.ok(requestLines.some((line) => line.reqId === id), 'the id sent back is the one in the log');
    for (const secret of [s.adminToken, deployer, viewer, refused, Buffer.from(`user:${deployer}`).toString('base64')]) {
      assert.ok(!log.text().includes(secret), 'no token in any log line');
    }
  });
});

void describe('docs/operating.md', () => {
  void it('its systemd unit passes `systemd-analyze verify` without a warning', () => {
    const unit = path.join(REPO_ROOT, 'docs', 'operating', 'flightdeck.service');
    // verify wants a unit file name it can load; a copy in a temp dir keeps the repository untouched.
    const dir = tempDir('flightdeck-systemd-');
    const copy = path.join(dir, 'flightdeck.service');
    fs.copyFileSync(unit, copy);
    const result = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    assert.equal(result.error, undefined, 'systemd-analyze runs (the systemd package; .ci/run installs it)');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), '', 'no unknown key or other warning');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

void describe('a team\'s PostgreSQL', async () => {
  const skip = await postgresSkipReason();
  if (skip) {
    void it.skip(`PostgreSQL: ${skip}`);
    return;
  }

  void it('three servers started at once on an empty database migrate it once and all come up', async () => {
    const database = await createTestDatabase();
    cleanup.push(database.drop);
    const servers = await Promise.all([1, 2, 3].map(() => startTestServer({ backend: 'postgres', databaseUrl: database.url })));
    const client = new pg.Client({ connectionString: database.url });
    try {
      for (const s of servers) assert.equal((await s.request('GET', '/readyz', undefined, { token: null })).status, 200);
      await client.connect();
      const rows = (await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows;
      assert.deepEqual(rows.map((row) => Number(row.version)), MIGRATIONS.map((m) => m.version), 'each migration applied once');
      // A replica that finds a migration missing is not ready, and says which.
      const newest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
      await client.query('DELETE FROM schema_migrations WHERE version = $1', [newest]);
      const notReady = await servers[0]?.request('GET', '/readyz', undefined, { token: null });
      assert.equal(notReady?.status, 503);
      assert.deepEqual(notReady?.body, { error: `Migrations not applied: ${newest}` });
    } finally {
      await client.end();
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  void it('SIGTERM hands the engine to another replica mid-rollout: each step applied once', async () => {
    const database = await createTestDatabase();
    cleanup.push(database.drop);
    const dir = tempDir();
    const script = writeDeployScript(dir);
    const log = path.join(dir, 'handover.log');
    // The replica that starts first takes the engine lock: a `flightdeck serve` process of its own, given
    // its database as the systemd unit of docs/operating.md gives it (in the environment).
    const first = await spawnServe(['--port', '0'], {
      FLIGHTDECK_ADMIN_TOKEN: 'handover-admin-token-0123456789', FLIGHTDECK_DATABASE_URL: database.url,
    });
    cleanup.push(() => { first.process.kill('SIGKILL'); });
    const lockHolder = async (): Promise<number | undefined> => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const rows = (await client.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, [ENGINE_LOCK_KEY])).rows;
        return rows[0]?.pid;
      } finally {
        await client.end();
      }
    };
    const firstHolder = await waitFor('the first replica to take the engine lock', lockHolder);
    const second = await startTestServer({ backend: 'postgres', databaseUrl: database.url });
    cleanup.push(() => second.stop());

    const env: EnvironmentSpecInput = {
      name: 'rollout', tier: 'production', position: 0, strategy: 'rollout', deploy: commandDeploy(script, log),
      steps: [{ percent: 1, soak_seconds: 1 }, { percent: 20, soak_seconds: 1 }, { percent: 100, soak_seconds: 0 }],
    };
    const project = await createProject(second, [env]);
    const rolling = await deploy(second, project, 'rollout', '1.0.0-rc1');
    await waitFor('the first step', async () => ((await getDeployment(second, project, rolling.id)).rollout?.percent === 1 ? true : undefined));
    const stoppedAt = Date.now();
    first.process.kill('SIGTERM');
    const exit = await first.exited;
    assert.equal(exit.code, 0, first.stderr());
    const newHolder = await waitFor('another replica to take the engine lock', async () => {
      const holder = await lockHolder();
      return holder !== undefined && holder !== firstHolder ? holder : undefined;
    });
    console.log(`# engine lock taken over ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after SIGTERM (lock holder ${firstHolder} → ${newHolder})`);
    const done = await waitForStatus(second, project, rolling.id, ['success', 'failure', 'error'], 30_000);
    assert.equal(done.status, 'success', done.error_message ?? '');
    assert.deepEqual(readCalls(log).map((call) => call.percent), [1, 20, 100], 'no step lost or repeated across the hand-over');
  });
});
