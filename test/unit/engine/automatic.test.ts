// What the engine does by itself, on PGlite and on PostgreSQL: an automatic rollback names the failed
// candidate in `from_*` and is never the next default rollback target; auto-promotion moves forward only
// (never a rollback, never a candidate the target already ran, never below the target's current) and into
// a protected environment carries only what the engine verified or an admin caused.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Deployment, type EnvironmentSpecInput } from '../../../src/api/schemas';
import { rollbackTarget } from '../../../src/core/rollback';
import { postgresSkipReason, type Backend, type TestServer } from '../helpers/server';
import { SseReader } from '../server/sse-client';
import {
  commandDeploy, createProject, deploy, deploySuccessfully, deployments, useEngineRig, waitFor, waitForStatus,
} from './helpers';

/** The engine's note on a deployment's promote task once it is done (the positive marker of a decision). */
async function promoteOutcome(server: TestServer, deploymentId: string): Promise<string> {
  return waitFor(`the auto-promotion decision for deployment ${deploymentId}`, async () => {
    const task = await server.service.store.write((w) => w.engine.findTask(deploymentId, 'promote'));
    return task?.state === 'done' ? task.note ?? '' : undefined;
  }, 20_000);
}

function defineSuite(backend: Backend): void {
  void describe(`automatic actions on ${backend}`, async () => {
    const skip = backend === 'postgres' ? await postgresSkipReason() : undefined;
    if (skip) {
      console.log(`# PostgreSQL automatic-actions suite skipped: ${skip}`);
      void it.skip(`PostgreSQL: ${skip}`);
      return;
    }
    const rig = useEngineRig({ backend });

    void it('an automatic rollback names the failed candidate in from_*, and the next default rollback skips it', async () => {
      const { server, dir, script, health } = rig;
      health.status = 200;
      const log = path.join(dir, `auto-rollback-${backend}.log`);
      const project = await createProject(server, [{
        name: 'canary', tier: 'production', position: 0, strategy: 'canary', deploy: commandDeploy(script, log),
        health_check: { url: health.url, interval_seconds: 1, failure_threshold: 2 },
      }]);
      // rc2 once succeeded here: a rule that only looked for "an earlier success" would return to it.
      for (const rc of ['1.0.0-rc1', '1.0.0-rc2', '1.0.0-rc3']) await deploySuccessfully(server, project, 'canary', rc);
      const failing = await deploy(server, project, 'canary', '1.0.0-rc2');
      await waitForStatus(server, project, failing.id, ['success']);
      health.status = 500;
      const failed = await waitForStatus(server, project, failing.id, ['failure', 'error'], 15_000);
      health.status = 200; // the rollback's own checks pass
      const rollback = await waitFor('the automatic rollback', async () => {
        const list = await deployments(server, project, 'canary');
        return list[0]?.kind === 'auto_rollback' && list[0].status === 'success' ? list[0] : undefined;
      });
      assert.match(failed.error_message ?? '', /^Health check failed 2 times in a row/);
      assert.equal(failed.health?.failure_threshold, 2, 'health says "failing 2/2"');
      // Clients saw the checks fail live, one event per change: "failing 1/2", then the failure itself.
      const stream = await SseReader.open(server, `?project=${encodeURIComponent(project)}&since=0`);
      try {
        const healthOf = (): Array<[number, string]> => stream.events
          .map((e) => Deployment.safeParse((e.data as { deployment?: unknown }).deployment))
          .flatMap((parsed) => (parsed.success && parsed.data.id === failing.id && parsed.data.health
            ? [[parsed.data.health.consecutive_failures, `${parsed.data.status}/${parsed.data.health.failure_threshold}`] as [number, string]]
            : []));
        await stream.until(() => healthOf().some(([, state]) => state.startsWith('failure')), 10_000);
        const failing1 = healthOf().find(([count]) => count === 1);
        assert.deepEqual(failing1, [1, 'success/2'], 'a deployment.updated event carried "failing 1/2" before the failure');
      } finally {
        stream.close();
      }
      assert.equal(rollback.release_candidate_version, '1.0.0-rc3');
      assert.deepEqual([rollback.from_release_version, rollback.from_release_candidate_version], ['1.0.0', '1.0.0-rc2'],
        'from_* is the failed candidate it replaced');
      // The clients' rule, on the history they read, and the server's rollback agree: rc1, never rc2.
      assert.equal(rollbackTarget(await deployments(server, project, 'canary'))?.release_candidate_version, '1.0.0-rc1');
      const manual = await server.request('POST', `/api/releases/${project}/environments/canary/rollback`, {});
      assert.equal(manual.status, 201, JSON.stringify(manual.body));
      assert.equal(Deployment.parse(manual.body).release_candidate_version, '1.0.0-rc1');
      await waitForStatus(server, project, Deployment.parse(manual.body).id, ['success']);
    });

    void it('auto-promotion moves forward only: never a rollback, never a candidate the target ran or is ahead of', async () => {
      const { server, dir, script, health } = rig;
      health.status = 200;
      const log = path.join(dir, `forward-${backend}.log`);
      const project = await createProject(server, [
        {
          name: 'canary', tier: 'production', position: 0, strategy: 'canary', deploy: commandDeploy(script, log),
          health_check: { url: health.url, interval_seconds: 1, failure_threshold: 3 }, auto_promote: { to: 'prod', after_seconds: 0 },
        },
        { name: 'prod', tier: 'production', position: 1, strategy: 'standard', deploy: commandDeploy(script, log) },
      ]);
      const created = await server.request('POST', `/api/releases/${project}/releases/0.9.0-rc1`, { commit: 'ab'.repeat(20) });
      assert.equal(created.status, 201);
      const prodRuns = async (rc: string): Promise<void> => {
        await waitFor(`prod to run ${rc}`, async () => {
          const list = await deployments(server, project, 'prod');
          return list[0]?.status === 'success' && list[0].release_candidate_version === rc ? true : undefined;
        });
      };
      for (const rc of ['1.0.0-rc1', '1.0.0-rc2']) {
        const d = await deploySuccessfully(server, project, 'canary', rc);
        assert.match(await promoteOutcome(server, d.id), /^promoted to prod/);
        await prodRuns(rc);
      }
      const prodBefore = (await deployments(server, project, 'prod')).length;

      // A person rolls canary back (to rc1): that rollback is never carried up.
      const rolledBack = await server.request('POST', `/api/releases/${project}/environments/canary/rollback`, {});
      assert.equal(rolledBack.status, 201, JSON.stringify(rolledBack.body));
      const rollbackId = Deployment.parse(rolledBack.body).id;
      await waitForStatus(server, project, rollbackId, ['success']);
      assert.match(await promoteOutcome(server, rollbackId), /^skipped \(rollback\)/);

      // rc1 deployed again below: prod ran it before its current rc2, so promoting it would move prod back.
      const again = await deploySuccessfully(server, project, 'canary', '1.0.0-rc1');
      assert.match(await promoteOutcome(server, again.id), /^skipped \(ran_before\): prod already ran 1\.0\.0-rc1 before its current 1\.0\.0-rc2/);

      // A candidate prod never ran but whose version is behind prod's current.
      const older = await deploySuccessfully(server, project, 'canary', '0.9.0-rc1');
      assert.match(await promoteOutcome(server, older.id), /^skipped \(target_ahead\): prod runs 1\.0\.0-rc2, ahead of 0\.9\.0-rc1/);

      // And forward still works.
      const newer = await deploySuccessfully(server, project, 'canary', '1.0.0-rc3');
      assert.match(await promoteOutcome(server, newer.id), /^promoted to prod/);
      await prodRuns('1.0.0-rc3');
      const prod = await deployments(server, project, 'prod');
      assert.equal(prod.length, prodBefore + 1, 'only the forward promotion reached prod');
      assert.deepEqual(prod.map((d) => d.release_candidate_version), ['1.0.0-rc3', '1.0.0-rc2', '1.0.0-rc1']);
    });

    void it('into a protected environment, auto-promotion carries only what the engine ran or an admin caused', async () => {
      const { server, dir, script } = rig;
      const log = path.join(dir, `protected-${backend}.log`);
      const environments: EnvironmentSpecInput[] = [
        // A pipeline reports this rung (deploy type none): the engine cannot verify what it is told.
        { name: 'reported', tier: 'staging', position: 0, strategy: 'standard', auto_promote: { to: 'locked', after_seconds: 0 } },
        {
          name: 'verified', tier: 'staging', position: 1, strategy: 'standard', deploy: commandDeploy(script, log),
          auto_promote: { to: 'locked', after_seconds: 0 },
        },
        { name: 'locked', tier: 'production', position: 2, strategy: 'standard', protected: true },
      ];
      const project = await createProject(server, environments);
      const deployer = await server.createToken('deployer');
      const report = async (token: string | undefined, rc: string): Promise<Deployment> => {
        let last: Deployment | undefined;
        for (const status of ['in_progress', 'success']) {
          const response = await server.request('PATCH', `/api/releases/${project}/environments/reported/deployments`,
            { release_candidate_version: rc, status }, token === undefined ? {} : { token });
          assert.equal(response.status, 200, JSON.stringify(response.body));
          last = Deployment.parse(response.body);
        }
        return last as Deployment;
      };
      const byDeployer = await report(deployer, '1.0.0-rc1');
      assert.match(await promoteOutcome(server, byDeployer.id), /^skipped \(unverified\): locked is protected/);
      assert.equal((await deployments(server, project, 'locked')).length, 0, 'a deployer\'s report did not reach the protected rung');

      const byAdmin = await report(undefined, '1.0.0-rc2');
      assert.match(await promoteOutcome(server, byAdmin.id), /^promoted to locked/);

      // locked now runs rc2 (its pipeline reports it); then a deployer deploys rc3 in verified, and the
      // engine's executor runs it and sees it through: that success is verified.
      for (const status of ['in_progress', 'success']) {
        const reported = await server.request('PATCH', `/api/releases/${project}/environments/locked/deployments`, { release_candidate_version: '1.0.0-rc2', status });
        assert.equal(reported.status, 200, JSON.stringify(reported.body));
      }
      const response = await server.request('POST', `/api/releases/${project}/environments/verified/deployments`,
        { release_candidate_version: '1.0.0-rc3' }, { token: deployer });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const ran = await waitForStatus(server, project, Deployment.parse(response.body).id, ['success']);
      await waitFor('rc3 promoted into locked', async () => {
        const list = await deployments(server, project, 'locked');
        return list[0]?.release_candidate_version === '1.0.0-rc3' ? list[0] : undefined;
      }, 30_000).then((d) => assert.equal(d.actor, 'flightdeck'));
      assert.match(await promoteOutcome(server, ran.id), /^promoted to locked/);
    });
  });
}

defineSuite('pglite');
defineSuite('postgres');
