// The rollout strategy: steps in order with their soaks, an event at every step, pause / resume
// (the soak clock stops), abort (fails and rolls back), and the stuck rule.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Deployment, type EnvironmentSpecInput } from '../../../src/api/schemas';
import { Engine } from '../../../src/server';
import type { JsonResponse } from '../helpers/server';
import {
  commandDeploy, createProject, deploy, deploySuccessfully, deployments, forgetCommandStarts, getDeployment, quietLook, readCalls,
  useEngineRig, waitFor, waitForCommandStart, waitForStatus,
} from './helpers';

function rolloutEnv(script: string, log: string, soak = 1): EnvironmentSpecInput {
  return {
    name: 'rollout', tier: 'production', position: 0, strategy: 'rollout', deploy: commandDeploy(script, log),
    steps: [{ percent: 1, soak_seconds: soak }, { percent: 25, soak_seconds: soak }, { percent: 100, soak_seconds: 0 }],
  };
}

void describe('rollouts', () => {
  const rig = useEngineRig({ backend: 'pglite' });

  void it('walks its steps in order, soaking between them, with an event at every step', async () => {
    const { server, dir, script } = rig;
    const log = path.join(dir, 'walk.log');
    const project = await createProject(server, [rolloutEnv(script, log)]);
    const seen: Deployment[] = [];
    const stop = server.service.onDeploymentChanged((change) => {
      if (change.deployment.project === project) seen.push(change.deployment);
    });
    try {
      const created = await deploy(server, project, 'rollout', '1.0.0-rc1');
      assert.deepEqual(created.rollout, { step: 0, percent: 0, paused: false, steps: [{ percent: 1, soak_seconds: 1 }, { percent: 25, soak_seconds: 1 }, { percent: 100, soak_seconds: 0 }] });
      // From the announcements, not by polling: a poll may come after the 1 s soak, when step 2 has begun.
      const soaking = await waitFor('the first step to be live', async () => seen.find((d) => d.rollout?.percent === 1));
      assert.equal(soaking.status, 'in_progress');
      assert.equal(soaking.rollout?.step, 0);
      assert.ok(soaking.rollout?.soak_ends_at, 'an exact soak deadline for the stage panel');
      const done = await waitForStatus(server, project, created.id, ['success', 'failure', 'error']);
      assert.equal(done.status, 'success', done.error_message ?? '');
      assert.deepEqual({ step: done.rollout?.step, percent: done.rollout?.percent }, { step: 2, percent: 100 });

      const calls = readCalls(log);
      assert.deepEqual(calls.map((c) => c.percent), [1, 25, 100]);
      for (let i = 1; i < calls.length; i++) {
        const gap = (calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0);
        assert.ok(gap >= 950, `step ${i + 1} waited for the soak of step ${i} (${gap} ms)`);
      }
      // Each step is announced as it begins (percent still the previous one) and once it is live.
      const live = seen.filter((d) => d.status === 'in_progress').map((d) => `${d.rollout?.step}:${d.rollout?.percent}`);
      assert.deepEqual([...new Set(live)], ['0:0', '0:1', '1:1', '1:25', '2:25']);
      assert.equal(seen.at(-1)?.status, 'success');
    } finally {
      stop();
    }
  });

  void it('pause holds the percent and stops the soak clock; resume completes', async () => {
    const { server, dir, script } = rig;
    const log = path.join(dir, 'pause.log');
    const project = await createProject(server, [rolloutEnv(script, log, 2)]);
    // Paused as soon as the first step is announced live (a poll could come after its 2 s soak).
    let soaking: Deployment | undefined;
    let pauseSentAt = 0;
    let pauseAnsweredAt = 0;
    const pausedWhenLive = new Promise<JsonResponse<Deployment>>((resolve, reject) => {
      const stop = server.service.onDeploymentChanged((change) => {
        if (change.deployment.project !== project || change.deployment.rollout?.percent !== 1) return;
        stop();
        soaking = change.deployment;
        pauseSentAt = Date.now();
        server.request<Deployment>('POST', `/api/releases/${project}/deployments/${change.deployment.id}/pause`).then((answer) => {
          pauseAnsweredAt = Date.now();
          resolve(answer);
        }, reject);
      });
    });
    const [created, paused] = await Promise.all([deploy(server, project, 'rollout', '1.0.0-rc1'), pausedWhenLive]);
    assert.equal(soaking?.rollout?.step, 0);
    const soakEndsAt = Date.parse(soaking?.rollout?.soak_ends_at ?? '');
    assert.ok(Number.isFinite(soakEndsAt), 'the soak has a deadline');
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.deepEqual({ step: paused.body.rollout?.step, percent: paused.body.rollout?.percent }, { step: 0, percent: 1 }, 'paused while the first step soaked');
    assert.equal(paused.body.rollout?.paused, true);
    assert.equal(paused.body.rollout?.soak_ends_at, null);
    // A quiet look of the engine after the soak would have ended: had the pause not held the step, the
    // next one would have begun (or been claimed) by then.
    await quietLook(server, { notBefore: soakEndsAt + 1 });
    const held = await getDeployment(server, project, created.id);
    assert.deepEqual({ status: held.status, step: held.rollout?.step, percent: held.rollout?.percent, paused: held.rollout?.paused },
      { status: 'in_progress', step: 0, percent: 1, paused: true });
    assert.deepEqual(readCalls(log).map((c) => c.percent), [1]);
    const resumeSentAt = Date.now();
    const resumed = await server.request<Deployment>('POST', `/api/releases/${project}/deployments/${created.id}/resume`);
    const resumeAnsweredAt = Date.now();
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.rollout?.paused, false);
    // The soak goes on for what was left of it when paused: the new deadline lies within these brackets
    // (the server paused and resumed between our sending and its answer; 2 ms for rounding to ms).
    const resumedSoakEndsAt = Date.parse(resumed.body.rollout?.soak_ends_at ?? '');
    assert.ok(resumedSoakEndsAt >= resumeSentAt + (soakEndsAt - pauseAnsweredAt) - 2, 'the soak clock stopped while paused');
    assert.ok(resumedSoakEndsAt <= resumeAnsweredAt + (soakEndsAt - pauseSentAt) + 2, 'the soak went on for what was left of it, not a new one');
    const done = await waitForStatus(server, project, created.id, ['success', 'failure', 'error']);
    assert.equal(done.status, 'success');
    const calls = readCalls(log);
    assert.deepEqual(calls.map((c) => c.percent), [1, 25, 100]);
    assert.ok((calls[1]?.at ?? 0) >= resumedSoakEndsAt, 'step 2 waited for the rest of the soak');
    // Pausing what is not an active rollout is a conflict.
    assert.equal((await server.request('POST', `/api/releases/${project}/deployments/${created.id}/pause`)).status, 409);
    assert.equal((await server.request('POST', `/api/releases/${project}/deployments/99999/pause`)).status, 404);
  });

  void it('abort fails the rollout and rolls back to the previous current candidate', async () => {
    const { server, dir, script } = rig;
    const log = path.join(dir, 'abort.log');
    const project = await createProject(server, [rolloutEnv(script, log, 0)]);
    await deploySuccessfully(server, project, 'rollout', '1.0.0-rc1');
    const project2Env = rolloutEnv(script, log, 30);
    const put = await server.request('PUT', `/api/releases/${project}`, { repo: 'acme/engine', environments: [project2Env] });
    assert.equal(put.status, 200);
    const rolling = await deploy(server, project, 'rollout', '1.0.0-rc2');
    await waitFor('the first step', async () => ((await getDeployment(server, project, rolling.id)).rollout?.percent === 1 ? true : undefined));
    const viewer = await server.createToken('viewer');
    assert.equal((await server.request('POST', `/api/releases/${project}/deployments/${rolling.id}/abort`, undefined, { token: viewer })).status, 403);
    const aborted = await server.request<Deployment>('POST', `/api/releases/${project}/deployments/${rolling.id}/abort`);
    assert.equal(aborted.status, 200, JSON.stringify(aborted.body));
    assert.equal(aborted.body.status, 'failure');
    assert.match(aborted.body.error_message ?? '', /^Aborted by admin at step 1 of 3 \(1% live\)/);
    const rollback = await waitFor('the rollback', async () => {
      const list = await deployments(server, project, 'rollout');
      return list[0]?.kind === 'auto_rollback' && list[0].status === 'success' ? list[0] : undefined;
    });
    assert.equal(rollback.release_candidate_version, '1.0.0-rc1');
    assert.equal(rollback.actor, 'flightdeck');
    assert.equal(rollback.rollout?.percent, 100, 'a rollback goes to 100 % at once');
    assert.deepEqual(readCalls(log).map((c) => `${c.version}@${c.percent}`), [
      '1.0.0-rc1@1', '1.0.0-rc1@25', '1.0.0-rc1@100', '1.0.0-rc2@1', '1.0.0-rc1@100',
    ]);
  });

  void it('abort stops the deploy command that is running, so the rollback runs at once', async () => {
    const { server, dir, script } = rig;
    const log = path.join(dir, 'abort-running.log');
    const project = await createProject(server, [{
      name: 'production', tier: 'production', position: 0, strategy: 'standard', deploy: commandDeploy(script, log),
    }]);
    await deploySuccessfully(server, project, 'production', '1.0.0-rc1');
    // rc2's deploy hangs for a minute (a stuck migration, say).
    fs.writeFileSync(`${log}.sleep`, '60000');
    forgetCommandStarts(log);
    const hanging = await deploy(server, project, 'production', '1.0.0-rc2');
    await waitForCommandStart(log, 100);
    const aborted = await server.request<Deployment>('POST', `/api/releases/${project}/deployments/${hanging.id}/abort`);
    assert.equal(aborted.status, 200, JSON.stringify(aborted.body));
    fs.rmSync(`${log}.sleep`); // the rollback's own command is quick
    const startedAt = Date.now();
    // Were rc2's command left running, the rollback would wait for it (one executor per environment).
    const rollback = await waitFor('the rollback to finish', async () => {
      const list = await deployments(server, project, 'production');
      return list[0]?.kind === 'auto_rollback' && list[0].status === 'success' ? list[0] : undefined;
    }, 15_000);
    assert.equal(rollback.release_candidate_version, '1.0.0-rc1');
    assert.ok(Date.now() - startedAt < 10_000, 'the rollback did not wait for the aborted command');
    // The aborted command was killed before it could record anything: only rc1's two runs are logged.
    assert.deepEqual(readCalls(log).map((c) => c.version), ['1.0.0-rc1', '1.0.0-rc1']);
  });

  void it('a deployment without progress for the stuck limit becomes error', async () => {
    const { server } = rig;
    const project = await createProject(server, [{ name: 'manual', tier: 'production', position: 0, strategy: 'standard' }]);
    const reported = await server.request<Deployment>('PATCH', `/api/releases/${project}/environments/manual/deployments`, {
      release_candidate_version: '1.0.0-rc1', status: 'in_progress',
    });
    assert.equal(reported.status, 200);
    // The sweep with a short limit, run by an engine of our own over the same service.
    const engine = new Engine(server.service, { stuckAfterMs: 60 * 60_000 });
    assert.deepEqual(await engine.sweepStuck(new Date(Date.now() + 59 * 60_000)), []);
    const errored = await engine.sweepStuck(new Date(Date.now() + 61 * 60_000));
    assert.ok(errored.includes(reported.body.id));
    const after = await getDeployment(server, project, reported.body.id);
    assert.equal(after.status, 'error');
    assert.match(after.error_message ?? '', /No progress for 60 minutes/);
  });
});
