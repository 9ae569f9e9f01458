// Health checks and automatic rollback (a URL that turns 500 mid-rollout, an unhealthy verdict posted to
// endpoint 14), and auto-promotion after its delay (engine-driven and pipeline-reported successes).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Deployment } from '../../../src/api/schemas';
import {
  commandDeploy, createProject, deploy, deploySuccessfully, deployments, getDeployment, quietLook, readCalls, useEngineRig, waitFor,
  waitForStatus,
} from './helpers';

void describe('health checks, automatic rollback and auto-promotion', () => {
  const rig = useEngineRig({ backend: 'pglite' });

  void it('a health URL that turns 500 mid-rollout fails it and rolls back automatically', async () => {
    const { server, dir, script, health } = rig;
    health.status = 200;
    const log = path.join(dir, 'url.log');
    const project = await createProject(server, [{
      name: 'rollout', tier: 'production', position: 0, strategy: 'rollout', deploy: commandDeploy(script, log),
      steps: [{ percent: 5, soak_seconds: 30 }, { percent: 100, soak_seconds: 0 }],
      health_check: { url: health.url, interval_seconds: 1, failure_threshold: 2 },
    }]);
    // The first candidate: its first step live, then reported successful (as a pipeline may); then the second.
    const first = await deploy(server, project, 'rollout', '1.0.0-rc1');
    await waitFor('the first step', async () => ((await getDeployment(server, project, first.id)).rollout?.percent === 5 ? true : undefined));
    await server.request('PATCH', `/api/releases/${project}/environments/rollout/deployments`, { release_candidate_version: '1.0.0-rc1', status: 'success' });
    const rolling = await deploy(server, project, 'rollout', '1.0.0-rc2');
    const live = await waitFor('a healthy check of the rollout at 5 %', async () => {
      const d = await getDeployment(server, project, rolling.id);
      return d.rollout?.percent === 5 && d.health?.healthy === true ? d : undefined;
    });
    assert.deepEqual({ ...live.health, last_checked_at: undefined }, {
      healthy: true, consecutive_failures: 0, last_checked_at: undefined, last_error: null, failure_threshold: 2,
    });
    health.status = 500;
    const failed = await waitForStatus(server, project, rolling.id, ['failure', 'error', 'success'], 15_000);
    health.status = 200;
    assert.equal(failed.status, 'failure');
    assert.match(failed.error_message ?? '', /^Health check failed 2 times in a row: GET http:\/\/127\.0\.0\.1:\d+\/health answered 500/);
    assert.equal(failed.health?.healthy, false);
    assert.equal(failed.health?.consecutive_failures, 2);
    const rollback = await waitFor('the automatic rollback', async () => {
      const list = await deployments(server, project, 'rollout');
      return list[0]?.kind === 'auto_rollback' && list[0].status === 'success' ? list[0] : undefined;
    });
    assert.equal(rollback.release_candidate_version, '1.0.0-rc1');
    assert.equal(rollback.actor, 'flightdeck');
    assert.deepEqual(readCalls(log).map((c) => `${c.version}@${c.percent}`), ['1.0.0-rc1@5', '1.0.0-rc2@5', '1.0.0-rc1@100']);
  });

  void it('an unhealthy verdict (endpoint 14) fails a watched deployment and rolls back', async () => {
    const { server, dir, script } = rig;
    const log = path.join(dir, 'verdict.log');
    const project = await createProject(server, [
      { name: 'canary', tier: 'production', position: 0, strategy: 'canary', deploy: commandDeploy(script, log) },
    ]);
    await deploySuccessfully(server, project, 'canary', '1.0.0-rc1');
    const second = await deploySuccessfully(server, project, 'canary', '1.0.0-rc2');
    const monitor = await server.createToken('deployer', 'monitor');
    const viewer = await server.createToken('viewer');
    const path14 = `/api/releases/${project}/deployments/${second.id}/health`;
    assert.equal((await server.request('POST', path14, { healthy: false }, { token: viewer })).status, 403);
    assert.equal((await server.request('POST', path14, { healthy: 'no' }, { token: monitor })).status, 400);
    const fine = await server.request<Deployment>('POST', path14, { healthy: true }, { token: monitor });
    assert.equal(fine.status, 200, JSON.stringify(fine.body));
    assert.equal(fine.body.status, 'success');
    assert.equal(fine.body.health?.healthy, true);
    const verdict = await server.request<Deployment>('POST', path14, { healthy: false, reason: 'error rate 5.1% above 1%' }, { token: monitor });
    assert.equal(verdict.status, 200, JSON.stringify(verdict.body));
    assert.equal(verdict.body.status, 'failure');
    assert.equal(verdict.body.error_message, 'Reported unhealthy by monitor: error rate 5.1% above 1%');
    const rollback = await waitFor('the automatic rollback', async () => {
      const list = await deployments(server, project, 'canary');
      return list[0]?.kind === 'auto_rollback' && list[0].status === 'success' ? list[0] : undefined;
    });
    assert.equal(rollback.release_candidate_version, '1.0.0-rc1');
    // The failed deployment is no longer watched: a late verdict changes nothing.
    assert.equal((await server.request('POST', path14, { healthy: false }, { token: monitor })).status, 409);
  });

  void it('auto-promotes a healthy success after its delay, once; also a success a pipeline reported', async () => {
    const { server, dir, script, health } = rig;
    health.status = 200;
    const log = path.join(dir, 'promote.log');
    const project = await createProject(server, [
      { name: 'manual', tier: 'development', position: 0, strategy: 'dogfood', auto_promote: { to: 'canary', after_seconds: 1 } },
      {
        name: 'canary', tier: 'production', position: 1, strategy: 'canary', deploy: commandDeploy(script, log),
        health_check: { url: health.url, interval_seconds: 1, failure_threshold: 3 }, auto_promote: { to: 'prod', after_seconds: 2 },
      },
      { name: 'prod', tier: 'production', position: 2, strategy: 'standard', deploy: commandDeploy(script, log) },
    ]);
    // A pipeline reports the first rung; the engine promotes to canary, which then promotes to prod.
    for (const status of ['in_progress', 'success']) {
      const reported = await server.request('PATCH', `/api/releases/${project}/environments/manual/deployments`, { release_candidate_version: '1.0.0-rc1', status });
      assert.equal(reported.status, 200);
    }
    const canary = await waitFor('the promotion to canary', async () => {
      const list = await deployments(server, project, 'canary');
      return list[0]?.status === 'success' ? list[0] : undefined;
    }, 15_000);
    assert.deepEqual({ kind: canary.kind, actor: canary.actor, rc: canary.release_candidate_version }, { kind: 'promote', actor: 'flightdeck', rc: '1.0.0-rc1' });
    const prod = await waitFor('the promotion to prod', async () => {
      const list = await deployments(server, project, 'prod');
      return list[0]?.status === 'success' ? list[0] : undefined;
    }, 15_000);
    assert.deepEqual({ kind: prod.kind, actor: prod.actor, rc: prod.release_candidate_version }, { kind: 'promote', actor: 'flightdeck', rc: '1.0.0-rc1' });
    const waited = Date.parse(prod.deploy_start_at) - Date.parse(canary.deploy_end_at ?? '');
    assert.ok(waited >= 2_000, `promoted ${waited} ms after the canary's success, not before its 2 s`);
    // A quiet look of the engine after a sweep that began now: a second promotion (a promote task run
    // again, or scheduled again by the sweep) would have been created by then.
    await quietLook(server, { sweep: true });
    assert.equal((await deployments(server, project, 'prod')).length, 1, 'once per deployment');
    assert.equal((await deployments(server, project, 'canary')).length, 1);
  });
});
