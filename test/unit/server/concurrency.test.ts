// Races and durability: concurrent changes to one environment serialise on its row lock (so exactly
// one of many racing promotes wins), a restart keeps everything, and so does kill -9.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Deployment, Overview } from '../../../src/api/schemas';
import { freshPgliteDataDir, postgresSkipReason, startTestServer, type Backend, type TestServer } from '../helpers/server';
import { spawnServe } from './child-server';
import { commitFor, createProject, deploySuccessfully, deploymentsPath, environmentOf, report } from './contract/fixtures';
import { SseReader } from './sse-client';

function raceSuite(backend: Backend): void {
  void describe(`races on ${backend}`, async () => {
    const skip = backend === 'postgres' ? await postgresSkipReason() : undefined;
    if (skip) {
      console.log(`# PostgreSQL race suite skipped: ${skip}`);
      void it.skip(`PostgreSQL: ${skip}`);
      return;
    }
    let server: TestServer;
    before(async () => { server = await startTestServer({ backend }); });
    after(async () => { await server.close(); });

    void it('20 parallel promotes to one environment: exactly one 201, the rest 409', async () => {
      const project = await createProject(server);
      await deploySuccessfully(server, project, 'dogfood', '1.0.0-rc1');
      const results = await Promise.all(Array.from({ length: 20 }, () =>
        server.request('POST', `/api/releases/${project}/environments/canary/promote`, { expected_current: null })));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, ...Array<number>(19).fill(409)], JSON.stringify(results.map((r) => r.body)));
      const list = (await server.request<unknown[]>('GET', deploymentsPath(project, 'canary'))).body;
      assert.equal(list.length, 1);
    });

    void it('parallel deploys, rollbacks and reports leave at most one active deployment', async () => {
      const project = await createProject(server);
      await deploySuccessfully(server, project, 'production', '1.0.0-rc1');
      await deploySuccessfully(server, project, 'production', '1.0.0-rc2');
      const calls = Array.from({ length: 24 }, (_, i) => {
        if (i % 3 === 0) return server.request('POST', `/api/releases/${project}/environments/production/rollback`, {});
        if (i % 3 === 1) return server.request('POST', deploymentsPath(project, 'production'), { release_candidate_version: '1.0.0-rc3' });
        return server.request('PATCH', deploymentsPath(project, 'production'), { release_candidate_version: '1.0.0-rc3', status: 'in_progress' });
      });
      const results = await Promise.all(calls);
      for (const result of results) assert.ok([200, 201, 404, 409].includes(result.status), JSON.stringify(result.body));
      const all = (await server.request<unknown[]>('GET', `${deploymentsPath(project, 'production')}?per_page=100`)).body.map((d) => Deployment.parse(d));
      const active = all.filter((d) => !['success', 'failure', 'canceled', 'error'].includes(d.status));
      // PATCH may open a second one for another candidate (a pipeline reports what it did), never for the same one.
      const activeCandidates = active.map((d) => d.release_candidate_version);
      assert.equal(new Set(activeCandidates).size, activeCandidates.length, JSON.stringify(active));
    });

    if (backend === 'postgres') {
      void it('two servers on one database: a change through one shows in the other’s overview at once', async () => {
        const second = await startTestServer({ backend, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}) });
        try {
          const project = await createProject(server);
          const seen = Overview.parse((await second.request('GET', '/api/releases')).body);
          assert.ok(seen.projects.some((p) => p.name === project));
          await deploySuccessfully(server, project, 'dogfood', '1.0.0-rc1');
          const after = Overview.parse((await second.request('GET', '/api/releases')).body);
          assert.equal(after.projects.find((p) => p.name === project)?.environments[0]?.current?.release_candidate_version, '1.0.0-rc1');
        } finally {
          await second.stop();
        }
      });
    }

    void it('concurrent status reports on many environments lose no update', async () => {
      const project = await createProject(server);
      await Promise.all(['dogfood', 'canary', 'rollout', 'production'].map(async (env) => {
        await report(server, project, env, '1.0.0-rc1', 'in_progress');
        await report(server, project, env, '1.0.0-rc1', 'success');
      }));
      for (const env of ['dogfood', 'canary', 'rollout', 'production']) {
        assert.equal((await environmentOf(server, project, env)).current?.release_candidate_version, '1.0.0-rc1');
      }
    });
  });
}

raceSuite('pglite');
raceSuite('postgres');

void describe('durability', () => {
  void it('a restart keeps projects, deployments, tokens and the event log', async () => {
    let server = await startTestServer({ backend: 'pglite' });
    try {
      const project = await createProject(server);
      await deploySuccessfully(server, project, 'dogfood', '1.0.0-rc1');
      const pending = Deployment.parse((await server.request('POST', deploymentsPath(project, 'canary'), { release_candidate_version: '1.0.0-rc1' })).body);
      const viewer = await server.createToken('viewer');
      const before = (await server.request('GET', '/api/releases')).body;
      const log = await SseReader.open(server, `?project=${project}&since=0`);
      await log.untilEvents(6);
      log.close();

      server = await server.restart();
      assert.deepEqual((await server.request('GET', '/api/releases')).body, before);
      assert.equal((await server.request('GET', '/api/releases', undefined, { token: viewer })).status, 200);
      assert.equal((await environmentOf(server, project, 'canary')).active?.id, pending.id);
      const resumed = await SseReader.open(server, `?project=${project}`, { lastEventId: log.lastId });
      await report(server, project, 'canary', '1.0.0-rc1', 'in_progress');
      await resumed.untilEvents(1);
      resumed.close();
      assert.ok((resumed.events[0]?.id ?? 0) > log.lastId, 'event ids keep increasing across restarts');
    } finally {
      await server.close();
    }
  });

  void it('kill -9 loses nothing that was acknowledged', async () => {
    const dataDir = await freshPgliteDataDir();
    const adminToken = 'kill-nine-admin';
    const child = await spawnServe(['--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { FLIGHTDECK_ADMIN_TOKEN: adminToken });
    const call = (method: string, pathname: string, body?: unknown): Promise<Response> => fetch(`${child.url}${pathname}`, {
      method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    try {
      assert.equal((await call('PUT', '/api/releases/durable', { repo: 'acme/durable', environments: [{ name: 'prod', tier: 'production', position: 0, strategy: 'standard' }] })).status, 201);
      for (let rc = 1; rc <= 5; rc++) {
        assert.equal((await call('POST', `/api/releases/durable/releases/1.0.${rc}-rc1`, { commit: commitFor(rc) })).status, 201);
        assert.equal((await call('PATCH', '/api/releases/durable/environments/prod/deployments', { release_candidate_version: `1.0.${rc}-rc1`, status: 'success' })).status, 200);
      }
    } finally {
      child.process.kill('SIGKILL');
      await child.exited;
    }
    // The lock file of the killed process is stale; the next server takes it over and recovers.
    const server = await startTestServer({ backend: 'pglite', dataDir });
    try {
      const overview = Overview.parse((await server.request('GET', '/api/releases')).body);
      const prod = overview.projects.find((p) => p.name === 'durable')?.environments[0];
      assert.equal(prod?.current?.release_candidate_version, '1.0.5-rc1');
      assert.equal((await server.request<unknown[]>('GET', '/api/releases/durable/releases')).body.length, 5);
    } finally {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
