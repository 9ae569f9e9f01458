// Several servers on one PostgreSQL database: one engine runs (the advisory lock), every step runs
// exactly once whichever server took the request, and another server takes over when it stops.
// Needs FLIGHTDECK_TEST_DATABASE_URL; skipped with the reason otherwise.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { EnvironmentSpecInput } from '../../../src/api/schemas';
import { postgresSkipReason, startTestServer, type TestServer } from '../helpers/server';
import {
  commandDeploy, createProject, deploy, forgetCommandStarts, getDeployment, readCalls, tempDir, waitFor, waitForCommandStart, waitForStatus,
  writeDeployScript,
} from './helpers';

void describe('two servers on one PostgreSQL database', async () => {
  const skip = await postgresSkipReason();
  if (skip) {
    console.log(`# engine PostgreSQL suite skipped: ${skip}`);
    void it.skip(`PostgreSQL: ${skip}`);
    return;
  }

  void it('runs each step exactly once, and the other server takes over when the engine stops', async () => {
    const dir = tempDir();
    const script = writeDeployScript(dir);
    const log = path.join(dir, 'pg.log');
    let a: TestServer | undefined;
    let b: TestServer | undefined;
    try {
      a = await startTestServer({ backend: 'postgres' });
      b = await startTestServer({ backend: 'postgres', ...(a.databaseUrl ? { databaseUrl: a.databaseUrl } : {}) });
      const env = (name: string, position: number): EnvironmentSpecInput => ({
        name, tier: 'production', position, strategy: 'rollout', deploy: commandDeploy(script, log),
        steps: [{ percent: 1, soak_seconds: 1 }, { percent: 20, soak_seconds: 1 }, { percent: 100, soak_seconds: 0 }],
      });
      const project = await createProject(a, [env('east', 0), env('west', 1), env('north', 2)]);
      // Requests through both servers; whichever holds the engine lock applies the steps.
      const started = [
        await deploy(a, project, 'east', '1.0.0-rc1'),
        await deploy(b, project, 'west', '1.0.0-rc1'),
        await deploy(b, project, 'north', '1.0.0-rc2'),
      ];
      for (const d of started) {
        const done = await waitForStatus(b, project, d.id, ['success', 'failure', 'error'], 30_000);
        assert.equal(done.status, 'success', done.error_message ?? '');
      }
      for (const name of ['east', 'west', 'north']) {
        assert.deepEqual(readCalls(log).filter((c) => c.environment === name).map((c) => c.percent), [1, 20, 100], `${name}: each step once`);
      }

      // Stop the server that runs the engine (a, which started first) mid-rollout: b takes over.
      const rolling = await deploy(b, project, 'east', '1.0.0-rc2');
      await waitFor('the first step', async () => ((await getDeployment(b as TestServer, project, rolling.id)).rollout?.percent === 1 ? true : undefined));
      await a.stop();
      const done = await waitForStatus(b, project, rolling.id, ['success', 'failure', 'error'], 30_000);
      assert.equal(done.status, 'success', done.error_message ?? '');
      const east = readCalls(log).filter((c) => c.environment === 'east' && c.version === '1.0.0-rc2');
      assert.deepEqual(east.map((c) => c.percent), [1, 20, 100], 'no step lost or repeated across the takeover');
    } finally {
      await b?.stop();
      await a?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('an abort through the server without the engine still stops the deploy command running on the other', async () => {
    const dir = tempDir();
    const script = writeDeployScript(dir);
    const log = path.join(dir, 'pg-abort.log');
    let a: TestServer | undefined;
    let b: TestServer | undefined;
    try {
      a = await startTestServer({ backend: 'postgres' }); // first up: it takes the engine lock
      b = await startTestServer({ backend: 'postgres', ...(a.databaseUrl ? { databaseUrl: a.databaseUrl } : {}) });
      const project = await createProject(a, [{
        name: 'production', tier: 'production', position: 0, strategy: 'standard', deploy: commandDeploy(script, log),
      }]);
      const first = await deploy(a, project, 'production', '1.0.0-rc1');
      assert.equal((await waitForStatus(a, project, first.id, ['success', 'failure', 'error'], 30_000)).status, 'success');
      fs.writeFileSync(`${log}.sleep`, '60000');
      forgetCommandStarts(log);
      const hanging = await deploy(a, project, 'production', '1.0.0-rc2');
      await waitForCommandStart(log, 100);
      const aborted = await b.request('POST', `/api/releases/${project}/deployments/${hanging.id}/abort`);
      assert.equal(aborted.status, 200, JSON.stringify(aborted.body));
      fs.rmSync(`${log}.sleep`);
      // The engine's sweep (every second) sees the end and kills the command; then the rollback runs.
      await waitFor('the rollback to succeed', async () => {
        const list = await b!.request<Array<{ kind: string; status: string }>>('GET', `/api/releases/${project}/environments/production/deployments`);
        return list.body[0]?.kind === 'auto_rollback' && list.body[0].status === 'success' ? true : undefined;
      }, 15_000);
      assert.deepEqual(readCalls(log).map((c) => c.version), ['1.0.0-rc1', '1.0.0-rc1'], 'rc2\'s command never finished');
    } finally {
      await b?.close();
      await a?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
