// Endpoints 2 (deploy), 3 (report status), 4 (list) and 12 (one deployment).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { z } from 'zod';
import { Deployment } from '../../../../src/api/schemas';
import type { TestServer } from '../../helpers/server';
import { assertError, commitFor, createProject, deploySuccessfully, deploymentsPath, environmentOf, report } from './fixtures';

export function deploymentContract(server: () => TestServer): void {
  void it('2: creates a pending deploy with every field present', async () => {
    const project = await createProject(server());
    const response = await server().request('POST', deploymentsPath(project, 'dogfood'), { release_candidate_version: '1.0.0-rc1' });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const deployment = Deployment.parse(response.body);
    assert.deepEqual(
      { ...deployment, id: undefined, deploy_start_at: undefined, updated_at: undefined },
      {
        id: undefined, project, environment_name: 'dogfood', release_version: '1.0.0', release_candidate_version: '1.0.0-rc1',
        commit: commitFor(1), from_release_version: null, from_release_candidate_version: null, status: 'pending', kind: 'deploy',
        actor: 'admin', deploy_start_at: undefined, deploy_end_at: null, updated_at: undefined, error_message: null, rollout: null,
        approval: null, candidate_blocked: null,
      });
    const documented = ['id', 'project', 'environment_name', 'release_version', 'release_candidate_version', 'commit', 'from_release_version',
      'from_release_candidate_version', 'status', 'kind', 'actor', 'deploy_start_at', 'deploy_end_at', 'updated_at', 'error_message', 'rollout',
      'approval', 'candidate_blocked'];
    for (const field of documented) assert.ok(Object.hasOwn(response.body as object, field), `${field} is always present`);
    assert.equal((await environmentOf(server(), project, 'dogfood')).active?.id, deployment.id);
  });

  void it('2: records what the environment ran before, and a rollout state for rollout environments', async () => {
    const project = await createProject(server());
    await deploySuccessfully(server(), project, 'rollout', '1.0.0-rc1');
    const response = await server().request('POST', deploymentsPath(project, 'rollout'), { release_candidate_version: '1.0.0-rc2', expected_current: '1.0.0-rc1' });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const deployment = Deployment.parse(response.body);
    assert.equal(deployment.from_release_candidate_version, '1.0.0-rc1');
    assert.equal(deployment.from_release_version, '1.0.0');
    assert.deepEqual(deployment.rollout, {
      step: 0, percent: 0, paused: false,
      steps: [{ percent: 1, soak_seconds: 60 }, { percent: 10, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }],
    });
  });

  void it('2: 404s, frozen, already active and expected_current conflicts', async () => {
    const project = await createProject(server());
    const path = deploymentsPath(project, 'canary');
    assertError(await server().request('POST', deploymentsPath(project, 'nowhere'), { release_candidate_version: '1.0.0-rc1' }), 404, 'Release environment not found');
    assertError(await server().request('POST', deploymentsPath('no-project', 'canary'), { release_candidate_version: '1.0.0-rc1' }), 404, 'Release environment not found');
    assertError(await server().request('POST', path, { release_candidate_version: '9.9.9-rc1' }), 404, 'Release not found');
    assertError(await server().request('POST', path, { release_candidate_version: 'nope' }), 400, 'Invalid release candidate version');
    assertError(await server().request('POST', path, {}), 400);

    const mismatch = await server().request('POST', path, { release_candidate_version: '1.0.0-rc1', expected_current: '1.0.0-rc2' });
    assertError(mismatch, 409);
    assert.equal((mismatch.body as { current: unknown }).current, null);
    assert.equal((await server().request('POST', path, { release_candidate_version: '1.0.0-rc1', expected_current: null })).status, 201);
    assertError(await server().request('POST', path, { release_candidate_version: '1.0.0-rc2' }), 409, /already active/);
    await report(server(), project, 'canary', '1.0.0-rc1', 'in_progress');
    await report(server(), project, 'canary', '1.0.0-rc1', 'success');
    const stale = await server().request('POST', path, { release_candidate_version: '1.0.0-rc2', expected_current: null });
    assertError(stale, 409);
    assert.equal((stale.body as { current: unknown }).current, '1.0.0-rc1');

    assert.equal((await server().request('PATCH', `/api/releases/${project}/environments/canary`, { frozen: true })).status, 200);
    assertError(await server().request('POST', path, { release_candidate_version: '1.0.0-rc2' }), 400, 'Environment is frozen');
  });

  void it('3: moves the deployment through the state machine and stamps its end', async () => {
    const project = await createProject(server());
    const created = Deployment.parse((await server().request('POST', deploymentsPath(project, 'dogfood'), { release_candidate_version: '1.0.0-rc1' })).body);
    const moving = await report(server(), project, 'dogfood', '1.0.0-rc1', 'in_progress');
    assert.equal(moving.id, created.id);
    assert.equal(moving.deploy_end_at, null);
    const again = await report(server(), project, 'dogfood', '1.0.0-rc1', 'in_progress');
    assert.equal(again.id, created.id, 'repeating a status is a no-op');
    const done = await report(server(), project, 'dogfood', '1.0.0-rc1', 'success');
    assert.equal(done.id, created.id);
    assert.equal(done.status, 'success');
    assert.ok(done.deploy_end_at);
    assert.equal((await environmentOf(server(), project, 'dogfood')).current?.id, created.id);
  });

  void it('3: creates a deployment when none is open, keeps error messages, and refuses illegal moves (409)', async () => {
    const project = await createProject(server());
    const failed = await report(server(), project, 'canary', '1.0.0-rc2', 'failure', 'exit 1: smoke test failed');
    assert.equal(failed.kind, 'deploy');
    assert.equal(failed.status, 'failure');
    assert.equal(failed.error_message, 'exit 1: smoke test failed');
    assert.ok(failed.deploy_end_at);

    const pending = await report(server(), project, 'canary', '1.0.0-rc1', 'pending');
    assert.notEqual(pending.id, failed.id);
    assertError(await server().request('PATCH', deploymentsPath(project, 'canary'), { release_candidate_version: '1.0.0-rc1', status: 'success' }), 409, 'Illegal status transition from pending to success');
    assert.equal((await report(server(), project, 'canary', '1.0.0-rc1', 'canceling')).status, 'canceling');
    assertError(await server().request('PATCH', deploymentsPath(project, 'canary'), { release_candidate_version: '1.0.0-rc1', status: 'in_progress' }), 409);
    assert.equal((await report(server(), project, 'canary', '1.0.0-rc1', 'canceled')).status, 'canceled');

    const unknown = await report(server(), project, 'canary', '1.0.0-rc3', 'unknown');
    assert.equal((await report(server(), project, 'canary', '1.0.0-rc3', 'success')).id, unknown.id, 'unknown → any');
    const redeploy = await report(server(), project, 'canary', '1.0.0-rc3', 'in_progress');
    assert.notEqual(redeploy.id, unknown.id, 'a terminal deployment is never reopened');
  });

  void it('3: validation and 404s', async () => {
    const project = await createProject(server());
    const path = deploymentsPath(project, 'canary');
    assertError(await server().request('PATCH', path, { release_candidate_version: '1.0.0-rc1', status: 'done' }), 400);
    assertError(await server().request('PATCH', path, { release_candidate_version: '1.0.0-rc1' }), 400);
    assertError(await server().request('PATCH', path, { release_candidate_version: 'x', status: 'success' }), 400, 'Invalid release candidate version');
    assertError(await server().request('PATCH', path, { release_candidate_version: '7.0.0-rc1', status: 'success' }), 404, 'Release not found');
    assertError(await server().request('PATCH', deploymentsPath(project, 'mars'), { release_candidate_version: '1.0.0-rc1', status: 'success' }), 404, 'Release environment not found');
  });

  void it('4: lists an environment’s deployments newest first, paged', async () => {
    const project = await createProject(server());
    const ids: string[] = [];
    for (const rc of ['1.0.0-rc1', '1.0.0-rc2', '1.0.0-rc3']) ids.push((await deploySuccessfully(server(), project, 'dogfood', rc)).id);
    const list = z.array(Deployment).parse((await server().request('GET', deploymentsPath(project, 'dogfood'))).body);
    assert.deepEqual(list.map((d) => d.id), [...ids].reverse());
    const page = z.array(Deployment).parse((await server().request('GET', `${deploymentsPath(project, 'dogfood')}?page=2&per_page=2`)).body);
    assert.deepEqual(page.map((d) => d.id), [ids[0]]);
    assert.deepEqual((await server().request('GET', deploymentsPath(project, 'canary'))).body, []);
    for (const query of ['per_page=101', 'per_page=0', 'page=0', 'page=-1', 'page=abc', 'page=1.5', 'page=99999999999']) {
      assertError(await server().request('GET', `${deploymentsPath(project, 'dogfood')}?${query}`), 400);
    }
    assertError(await server().request('GET', deploymentsPath(project, 'nope')), 404, 'Release environment not found');
  });

  void it('12: returns one deployment of the project; 404 otherwise', async () => {
    const project = await createProject(server());
    const other = await createProject(server());
    const deployment = await deploySuccessfully(server(), project, 'dogfood', '1.0.0-rc1');
    const response = await server().request('GET', `/api/releases/${project}/deployments/${deployment.id}`);
    assert.equal(response.status, 200);
    assert.deepEqual(Deployment.parse(response.body), deployment);
    assertError(await server().request('GET', `/api/releases/${other}/deployments/${deployment.id}`), 404, 'Deployment not found');
    assertError(await server().request('GET', `/api/releases/${project}/deployments/999999999`), 404, 'Deployment not found');
    assertError(await server().request('GET', `/api/releases/${project}/deployments/abc`), 400);
    assertError(await server().request('GET', `/api/releases/${project}/deployments/99999999999999999999999`), 400);
    assertError(await server().request('GET', `/api/releases/nobody/deployments/1`), 404, 'Release project not found');
  });
}
