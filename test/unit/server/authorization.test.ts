// `protected` and `frozen` hold on every path that changes what runs (core/permissions): pipeline
// reports (endpoint 3), pause / resume / abort (13) and health verdicts (14), not only deploy,
// promote and rollback. A real server on loopback with a real PGlite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Deployment } from '../../../src/api/schemas';
import { environmentPermission } from '../../../src/core/permissions';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertError, createProject, deploymentsPath, environmentOf, report, standardLadder } from './contract/fixtures';

/** A rollout whose first step soaks for an hour: its deployment stays active for the whole test. */
function ladderWithSlowRollout(flags: { protected?: boolean; frozen?: boolean } = {}) {
  const ladder = standardLadder();
  return {
    ...ladder,
    environments: ladder.environments.map((env) => env.name === 'rollout'
      ? { ...env, steps: [{ percent: 10, soak_seconds: 3600 }, { percent: 100, soak_seconds: 0 }], ...flags }
      : env),
  };
}

void describe('core: environmentPermission', () => {
  const env = (flags: { protected?: boolean; frozen?: boolean }) => ({ name: 'prod', protected: false, frozen: false, ...flags });

  void it('protected: admin only, except a report about the deployment under way', () => {
    for (const action of ['deploy', 'promote', 'rollback', 'report', 'pause', 'resume', 'abort', 'report_unhealthy'] as const) {
      const refused = environmentPermission('deployer', action, env({ protected: true }));
      assert.equal(refused.allowed, false, action);
      assert.equal(!refused.allowed && refused.status, 403, action);
      assert.equal(environmentPermission('admin', action, env({ protected: true })).allowed, true, action);
    }
    assert.equal(environmentPermission('deployer', 'report', env({ protected: true }), { concernsActiveDeployment: true }).allowed, true);
  });

  void it('frozen: nothing new goes live; what is under way may finish or stop', () => {
    const frozen = env({ frozen: true });
    for (const action of ['deploy', 'promote', 'rollback', 'report'] as const) {
      assert.deepEqual(environmentPermission('admin', action, frozen), { allowed: false, status: 400, reason: 'Environment is frozen' }, action);
    }
    assert.equal(environmentPermission('admin', 'rollback', frozen, { force: true }).allowed, true);
    assert.equal(environmentPermission('deployer', 'report', frozen, { concernsActiveDeployment: true }).allowed, true);
    for (const action of ['pause', 'resume', 'abort', 'report_unhealthy'] as const) {
      assert.equal(environmentPermission('deployer', action, frozen).allowed, true, action);
    }
  });
});

void describe('protected and frozen on the server', () => {
  let server: TestServer;
  let deployer: string;
  before(async () => {
    server = await startTestServer();
    deployer = await server.createToken('deployer');
  });
  after(async () => { await server.close(); });

  const setFlags = async (project: string, environment: string, flags: { protected?: boolean; frozen?: boolean }) => {
    const response = await server.request('PATCH', `/api/releases/${project}/environments/${environment}`, flags);
    assert.equal(response.status, 200, JSON.stringify(response.body));
  };

  void it('5: a deployer cannot make a candidate current in a protected environment by reporting it', async () => {
    const project = await createProject(server);
    await setFlags(project, 'production', { protected: true });
    const path = deploymentsPath(project, 'production');
    assertError(await server.request('PATCH', path, { release_candidate_version: '1.0.0-rc2', status: 'success' }, { token: deployer }), 403, /protected/);
    assert.equal((await environmentOf(server, project, 'production')).current, null, 'nothing became current');
    // An admin may; and a pipeline with a deployer token may finish the deployment an admin started.
    await report(server, project, 'production', '1.0.0-rc1', 'in_progress');
    const finished = await server.request('PATCH', path, { release_candidate_version: '1.0.0-rc1', status: 'success' }, { token: deployer });
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    assert.equal((await environmentOf(server, project, 'production')).current?.release_candidate_version, '1.0.0-rc1');
  });

  void it('5: a frozen environment refuses a report of a new deployment, but the active one may finish', async () => {
    const project = await createProject(server);
    await report(server, project, 'production', '1.0.0-rc1', 'in_progress');
    await setFlags(project, 'production', { frozen: true });
    const path = deploymentsPath(project, 'production');
    for (const token of [deployer, server.adminToken]) {
      assertError(await server.request('PATCH', path, { release_candidate_version: '1.0.0-rc2', status: 'success' }, { token }), 400, 'Environment is frozen');
    }
    const finished = await server.request('PATCH', path, { release_candidate_version: '1.0.0-rc1', status: 'success' }, { token: deployer });
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    // Finished: another report of rc1 would record a new deployment, which the freeze refuses.
    assertError(await server.request('PATCH', path, { release_candidate_version: '1.0.0-rc1', status: 'in_progress' }, { token: deployer }), 400, 'Environment is frozen');
    assert.equal((await environmentOf(server, project, 'production')).current?.release_candidate_version, '1.0.0-rc1');
  });

  void it('5: pause and resume of a rollout in a protected environment need an admin', async () => {
    const project = await createProject(server, { spec: ladderWithSlowRollout({ protected: true }) });
    const created = await server.request('POST', deploymentsPath(project, 'rollout'), { release_candidate_version: '1.0.0-rc1' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = Deployment.parse(created.body).id;
    const base = `/api/releases/${project}/deployments/${id}`;
    assertError(await server.request('POST', `${base}/pause`, undefined, { token: deployer }), 403, /protected/);
    const paused = await server.request('POST', `${base}/pause`);
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.equal(Deployment.parse(paused.body).rollout?.paused, true);
    assertError(await server.request('POST', `${base}/resume`, undefined, { token: deployer }), 403, /protected/);
    assert.equal((await server.request('POST', `${base}/resume`)).status, 200);
  });

  void it('6: an unhealthy verdict in a protected environment needs an admin, as abort does', async () => {
    const project = await createProject(server, { spec: ladderWithSlowRollout({ protected: true }) });
    await report(server, project, 'rollout', '1.0.0-rc1', 'success');
    const created = await server.request('POST', deploymentsPath(project, 'rollout'), { release_candidate_version: '1.0.0-rc2' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = Deployment.parse(created.body).id;
    const base = `/api/releases/${project}/deployments/${id}`;
    const unhealthy = await server.request('POST', `${base}/health`, { healthy: false, reason: 'errors' }, { token: deployer });
    const aborted = await server.request('POST', `${base}/abort`, undefined, { token: deployer });
    for (const response of [unhealthy, aborted]) assertError(response, 403, /only an admin may abort a deployment or report it unhealthy/);
    const still = await server.request<unknown>('GET', base);
    assert.notEqual(Deployment.parse(still.body).status, 'failure', 'the refused verdict rolled nothing back');
    // A healthy verdict changes nothing that runs: a monitor with a deployer token may send it.
    assert.equal((await server.request('POST', `${base}/health`, { healthy: true }, { token: deployer })).status, 200);
    const byAdmin = await server.request('POST', `${base}/health`, { healthy: false, reason: 'errors' });
    assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.body));
    assert.equal(Deployment.parse(byAdmin.body).status, 'failure');
  });

  void it('19–22: viewers may read the approvals inbox but not approve, reject, block or unblock; protected approvals need an admin', async () => {
    const viewer = await server.createToken('viewer');
    const ladder = standardLadder();
    const project = await createProject(server, {
      spec: { ...ladder, environments: ladder.environments.map((env) => env.name === 'production' ? { ...env, required_approvals: 1 } : env) },
    });
    const created = await server.request('POST', deploymentsPath(project, 'production'), { release_candidate_version: '1.0.0-rc1' }, { token: deployer });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const base = `/api/releases/${project}/deployments/${Deployment.parse(created.body).id}`;
    const block = `/api/releases/${project}/releases/1.0.0-rc2/block`;
    assert.equal((await server.request('GET', `/api/approvals?project=${project}`, undefined, { token: viewer })).status, 200);
    for (const [method, path, body] of [['POST', `${base}/approve`, {}], ['POST', `${base}/reject`, {}], ['POST', block, { reason: 'bad' }], ['DELETE', block, undefined]] as const) {
      assertError(await server.request(method, path, body, { token: viewer }), 403);
    }
    await setFlags(project, 'production', { protected: true });
    assertError(await server.request('POST', `${base}/approve`, {}, { token: deployer }), 403, /protected/);
    assert.equal((await server.request('POST', block, { reason: 'bad' }, { token: deployer })).status, 200, 'blocking is not about an environment');
    const approved = await server.request('POST', `${base}/approve`, {});
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
  });
});
