// Endpoints 5 (rollback, Aviator-compatible) and 10 (promote).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Deployment } from '../../../../src/api/schemas';
import type { TestServer } from '../../helpers/server';
import { assertError, createProject, deploySuccessfully, deploymentsPath, environmentOf, report } from './fixtures';

function rollbackPath(project: string, environment: string): string {
  return `/api/releases/${project}/environments/${environment}/rollback`;
}

function promotePath(project: string, environment: string): string {
  return `/api/releases/${project}/environments/${environment}/promote`;
}

export function rollbackContract(server: () => TestServer): void {
  void it('5: after a success, returns to the newest earlier success of another candidate', async () => {
    const project = await createProject(server());
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc1');
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc2');
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc2');
    const response = await server().request('POST', rollbackPath(project, 'production'), {});
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const rollback = Deployment.parse(response.body);
    assert.equal(rollback.kind, 'rollback');
    assert.equal(rollback.status, 'pending');
    assert.equal(rollback.release_candidate_version, '1.0.0-rc1');
    assert.equal(rollback.from_release_candidate_version, '1.0.0-rc2');
  });

  void it('5: after a failure, returns to the current candidate; an empty body is allowed', async () => {
    const project = await createProject(server());
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc1');
    await report(server(), project, 'production', '1.0.0-rc2', 'failure', 'boom');
    const response = await server().fetch(rollbackPath(project, 'production'), { method: 'POST' });
    assert.equal(response.status, 201);
    assert.equal(Deployment.parse(await response.json()).release_candidate_version, '1.0.0-rc1');
  });

  void it('5: cancels the active deployment first, then rolls back to what is live', async () => {
    const project = await createProject(server());
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc1');
    const active = await report(server(), project, 'production', '1.0.0-rc2', 'in_progress');
    const rollback = Deployment.parse((await server().request('POST', rollbackPath(project, 'production'), {})).body);
    assert.equal(rollback.release_candidate_version, '1.0.0-rc1');
    const canceled = Deployment.parse((await server().request('GET', `/api/releases/${project}/deployments/${active.id}`)).body);
    assert.equal(canceled.status, 'canceled');
    assert.ok(canceled.deploy_end_at);
    assert.equal((await environmentOf(server(), project, 'production')).active?.id, rollback.id);
  });

  void it('5: the default target skips a candidate rolled back or failed after its last success there', async () => {
    const project = await createProject(server());
    const path = rollbackPath(project, 'production');
    for (const rc of ['1.0.0-rc1', '1.0.0-rc2', '1.0.0-rc3']) await deploySuccessfully(server(), project, 'production', rc);
    // A person rolls rc3 back to rc2; the next default rollback goes on to rc1, never back to rc3.
    const first = Deployment.parse((await server().request('POST', path, {})).body);
    assert.deepEqual([first.release_candidate_version, first.from_release_candidate_version], ['1.0.0-rc2', '1.0.0-rc3']);
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc2');
    const second = Deployment.parse((await server().request('POST', path, {})).body);
    assert.equal(second.release_candidate_version, '1.0.0-rc1', 'rc3 was rolled back after its last success');
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc1');
    // rc3 succeeds again (that clears it), then rc2 fails after its last success: the target is rc3, not rc2.
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc3');
    await report(server(), project, 'production', '1.0.0-rc2', 'in_progress');
    await report(server(), project, 'production', '1.0.0-rc2', 'failure', 'boom');
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc1');
    const third = Deployment.parse((await server().request('POST', path, {})).body);
    assert.equal(third.release_candidate_version, '1.0.0-rc3');
    // Named explicitly, a discredited candidate is still allowed (the person chose it).
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc3');
    const named = await server().request('POST', path, { to_release_candidate_version: '1.0.0-rc2' });
    assert.equal(named.status, 201, JSON.stringify(named.body));
  });

  void it('5: an explicit target, frozen (unless force), expected_current, and the 404s', async () => {
    const project = await createProject(server());
    const path = rollbackPath(project, 'production');
    assertError(await server().request('POST', path, {}), 404, 'No previous deployment to roll back from');
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc3');
    assertError(await server().request('POST', path, {}), 404, 'No previous deployment to roll back from');
    assertError(await server().request('POST', path, { to_release_candidate_version: '5.0.0-rc1' }), 404, 'Release not found');
    assertError(await server().request('POST', rollbackPath(project, 'moon'), {}), 404, 'Release environment not found');
    const mismatch = await server().request('POST', path, { to_release_candidate_version: '1.0.0-rc1', expected_current: '1.0.0-rc2' });
    assertError(mismatch, 409);
    assert.equal((mismatch.body as { current: unknown }).current, '1.0.0-rc3');

    assert.equal((await server().request('PATCH', `/api/releases/${project}/environments/production`, { frozen: true })).status, 200);
    assertError(await server().request('POST', path, { to_release_candidate_version: '1.0.0-rc1' }), 400, 'Environment is frozen');
    const forced = await server().request('POST', path, { to_release_candidate_version: '1.0.0-rc1', force: true, expected_current: '1.0.0-rc3' });
    assert.equal(forced.status, 201, JSON.stringify(forced.body));
    assert.equal(Deployment.parse(forced.body).release_candidate_version, '1.0.0-rc1');
    assertError(await server().request('POST', path, { force: 'yes' }), 400);
  });

  void it('5: a refused rollback changes nothing (the cancellation is rolled back with it)', async () => {
    const project = await createProject(server());
    const active = await report(server(), project, 'canary', '1.0.0-rc1', 'in_progress');
    assertError(await server().request('POST', rollbackPath(project, 'canary'), {}), 404, 'No previous deployment to roll back from');
    assert.equal((await environmentOf(server(), project, 'canary')).active?.id, active.id);
  });
}

export function promoteContract(server: () => TestServer): void {
  void it('10: promotes what is current in the environment below', async () => {
    const project = await createProject(server());
    await deploySuccessfully(server(), project, 'dogfood', '1.0.0-rc2');
    const response = await server().request('POST', promotePath(project, 'canary'), { expected_current: null });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const promotion = Deployment.parse(response.body);
    assert.equal(promotion.kind, 'promote');
    assert.equal(promotion.release_candidate_version, '1.0.0-rc2');
    assert.equal(promotion.environment_name, 'canary');
    assert.equal(promotion.status, 'pending');
  });

  void it('10: from_environment and release_candidate_version pick and pin the source', async () => {
    const project = await createProject(server());
    await deploySuccessfully(server(), project, 'dogfood', '1.0.0-rc3');
    const pinnedWrong = await server().request('POST', promotePath(project, 'production'), { from_environment: 'dogfood', release_candidate_version: '1.0.0-rc1' });
    assertError(pinnedWrong, 409);
    const response = await server().request('POST', promotePath(project, 'production'), { from_environment: 'dogfood', release_candidate_version: '1.0.0-rc3' });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(Deployment.parse(response.body).release_candidate_version, '1.0.0-rc3');
  });

  void it('10: the errors of endpoint 2, plus an empty source (400) and no source (400/404)', async () => {
    const project = await createProject(server());
    assertError(await server().request('POST', promotePath(project, 'canary'), {}), 400, /nothing deployed/);
    assertError(await server().request('POST', promotePath(project, 'dogfood'), {}), 400, /no environment below/);
    assertError(await server().request('POST', promotePath(project, 'canary'), { from_environment: 'canary' }), 400);
    assertError(await server().request('POST', promotePath(project, 'canary'), { from_environment: 'mars' }), 404, 'Release environment not found');
    assertError(await server().request('POST', promotePath(project, 'mars'), {}), 404, 'Release environment not found');
    assertError(await server().request('POST', promotePath(project, 'canary'), { from_environment: '../x' }), 400);

    await deploySuccessfully(server(), project, 'dogfood', '1.0.0-rc1');
    const mismatch = await server().request('POST', promotePath(project, 'canary'), { expected_current: '1.0.0-rc1' });
    assertError(mismatch, 409);
    assert.equal((mismatch.body as { current: unknown }).current, null);
    assert.equal((await server().request('POST', promotePath(project, 'canary'), {})).status, 201);
    assertError(await server().request('POST', promotePath(project, 'canary'), {}), 409, /already active/);
    assert.equal((await server().request('PATCH', `/api/releases/${project}/environments/rollout`, { frozen: true })).status, 200);
    assertError(await server().request('POST', promotePath(project, 'rollout'), { from_environment: 'dogfood' }), 400, 'Environment is frozen');
    // The failed promote created nothing.
    assert.deepEqual((await server().request('GET', deploymentsPath(project, 'rollout'))).body, []);
  });
}
