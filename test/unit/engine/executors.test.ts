// The deploy executors: `command` (no shell, FLIGHTDECK_* variables, stderr tail on failure, timeout →
// error, automatic rollback after a failure) and `webhook` (retries with backoff, then the pipeline reports).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  commandDeploy, commitFor, createProject, deploy, deploySuccessfully, deployments, engineTask, getDeployment, readCalls, useEngineRig,
  waitFor, waitForStatus,
} from './helpers';

void describe('deploy executors', () => {
  const rig = useEngineRig({ backend: 'pglite' });

  void it('command: runs without a shell with the FLIGHTDECK_* variables, then success', async () => {
    const { server, dir, script } = rig;
    const log = path.join(dir, 'ok.log');
    const project = await createProject(server, [
      { name: 'canary', tier: 'production', position: 0, strategy: 'canary', deploy: commandDeploy(script, log) },
    ]);
    const created = await deploy(server, project, 'canary', '1.0.0-rc1');
    assert.equal(created.status, 'pending');
    const done = await waitForStatus(server, project, created.id, ['success', 'failure', 'error']);
    assert.equal(done.status, 'success', done.error_message ?? '');
    assert.notEqual(done.deploy_end_at, null);
    const calls = readCalls(log);
    assert.equal(calls.length, 1);
    assert.deepEqual({ ...calls[0], at: undefined }, {
      version: '1.0.0-rc1', percent: 100, project, environment: 'canary', commit: commitFor(1), id: created.id, attempt: 1,
      cwd: process.cwd(), at: undefined,
    });
  });

  void it('command: a non-zero exit fails with the tail of stderr, and rolls back to the previous candidate', async () => {
    const { server, dir, script } = rig;
    const log = path.join(dir, 'fail.log');
    const project = await createProject(server, [
      { name: 'canary', tier: 'production', position: 0, strategy: 'canary', deploy: commandDeploy(script, log, { cwd: dir }) },
    ]);
    await deploySuccessfully(server, project, 'canary', '1.0.0-rc1');
    fs.writeFileSync(`${log}.exit`, '3');
    const failing = await deploy(server, project, 'canary', '1.0.0-rc2');
    const failed = await waitForStatus(server, project, failing.id, ['success', 'failure', 'error']);
    assert.equal(failed.status, 'failure');
    assert.match(failed.error_message ?? '', /exited with code 3/);
    assert.match(failed.error_message ?? '', /deploy of 1\.0\.0-rc2 failed: database migration 42 did not apply$/);
    assert.doesNotMatch(failed.error_message ?? '', /noise line 1\n/, 'only the last lines of stderr');
    fs.rmSync(`${log}.exit`);
    const rollback = await waitFor('the automatic rollback', async () => {
      const list = await deployments(server, project, 'canary');
      return list[0]?.kind === 'auto_rollback' && list[0].status === 'success' ? list[0] : undefined;
    });
    assert.equal(rollback.release_candidate_version, '1.0.0-rc1');
    assert.equal(rollback.actor, 'flightdeck');
    assert.deepEqual(readCalls(log).map((c) => [c.version, c.cwd]), [['1.0.0-rc1', dir], ['1.0.0-rc2', dir], ['1.0.0-rc1', dir]]);
  });

  void it('command: a timeout is an error; a command that cannot start is a failure', async () => {
    const { server, dir, script } = rig;
    const log = path.join(dir, 'slow.log');
    fs.writeFileSync(`${log}.sleep`, '30000');
    const project = await createProject(server, [
      { name: 'slow', tier: 'production', position: 0, strategy: 'standard', deploy: commandDeploy(script, log, { timeout_seconds: 1 }) },
      { name: 'missing', tier: 'production', position: 1, strategy: 'standard', deploy: { type: 'command', command: './no-such-script', url: null, cwd: dir } },
    ]);
    const slow = await deploy(server, project, 'slow', '1.0.0-rc1');
    const missing = await deploy(server, project, 'missing', '1.0.0-rc1');
    const timedOut = await waitForStatus(server, project, slow.id, ['success', 'failure', 'error']);
    assert.equal(timedOut.status, 'error');
    assert.match(timedOut.error_message ?? '', /timed out after 1 s/);
    const notRun = await waitForStatus(server, project, missing.id, ['success', 'failure', 'error']);
    assert.equal(notRun.status, 'failure');
    assert.match(notRun.error_message ?? '', /cannot run \.\/no-such-script: .*ENOENT/);
  });

  void it('webhook: delivers the deployment with retries, then waits for the pipeline to report', async () => {
    const { server } = rig;
    const received: Array<{ body: { id: string; status: string }; delivery: string | undefined }> = [];
    let answers = [503, 200];
    const hook = http.createServer((request, response) => {
      let text = '';
      request.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => {
        received.push({ body: JSON.parse(text) as { id: string; status: string }, delivery: request.headers['x-flightdeck-delivery'] as string | undefined });
        const status = answers.shift() ?? 200;
        response.writeHead(status, { connection: 'close' }).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const address = hook.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/deploy`;
    try {
      const project = await createProject(server, [
        { name: 'prod', tier: 'production', position: 0, strategy: 'standard', deploy: { type: 'webhook', command: null, url } },
      ]);
      const created = await deploy(server, project, 'prod', '1.0.0-rc1');
      await waitFor('two deliveries', async () => (received.length >= 2 ? true : undefined), 10_000);
      assert.equal(received[0]?.body.id, created.id);
      assert.equal(received[0]?.body.status, 'in_progress');
      assert.ok(received[0]?.delivery?.startsWith(`${created.id}.`));
      // The engine records that it waits for the pipeline once it is done delivering: no delivery after that.
      await waitFor('the deploy task to wait for the pipeline', async () => ((await engineTask(server, created.id, 'deploy'))?.state === 'waiting' ? true : undefined));
      assert.equal(received.length, 2, 'delivered once it was accepted');
      const waiting = await getDeployment(server, project, created.id);
      assert.equal(waiting.status, 'in_progress', 'the pipeline reports the outcome');
      const reported = await server.request('PATCH', `/api/releases/${project}/environments/prod/deployments`, {
        release_candidate_version: '1.0.0-rc1', status: 'success',
      });
      assert.equal(reported.status, 200);
      assert.equal((await waitForStatus(server, project, created.id, ['success'])).status, 'success');
      answers = [];
    } finally {
      await new Promise<void>((resolve) => { hook.closeAllConnections(); hook.close(() => resolve()); });
    }
  });
});
