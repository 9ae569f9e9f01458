// Endpoints 6 (overview), 7 (put project), 8 (get project) and 11 (freeze / protect).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Environment, Overview, Project, type ProjectSpecInput } from '../../../../src/api/schemas';
import type { TestServer } from '../../helpers/server';
import { assertError, createProject, deploySuccessfully, report, standardLadder, uniqueName } from './fixtures';

const FULL_SPEC: ProjectSpecInput = {
  repo: 'https://github.com/acme/full.git',
  description: 'every field',
  environments: [
    {
      name: 'canary', tier: 'production', position: 1, strategy: 'canary', protected: true,
      auto_promote: { to: 'prod', after_seconds: 3600 },
      health_check: { url: 'http://127.0.0.1:9000/health', command: null, interval_seconds: 5, failure_threshold: 2, timeout_seconds: 3 },
      deploy: { type: 'command', command: './deploy.sh', url: null, args: ['--env', 'canary'], cwd: '/srv/deploy', timeout_seconds: 600 },
    },
    {
      name: 'prod', tier: 'production', position: 2, strategy: 'rollout',
      steps: [{ percent: 5, soak_seconds: 30 }, { percent: 100, soak_seconds: 0 }],
      health_check: { url: null, command: 'check-health', args: ['prod'] },
      deploy: { type: 'webhook', url: 'https://deploy.example.com/hook' },
    },
    { name: 'dev', tier: 'development', position: 0, strategy: 'dogfood' },
  ],
};

export function projectContract(server: () => TestServer): void {
  void it('7: creates (201) and stores the whole spec; 8 returns it ordered by position', async () => {
    const name = uniqueName('full');
    const created = await server().request('PUT', `/api/releases/${name}`, FULL_SPEC);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const project = Project.parse(created.body);
    assert.deepEqual(project.environments.map((e) => e.name), ['dev', 'canary', 'prod']);
    const canary = project.environments[1];
    assert.deepEqual(canary?.deploy, { type: 'command', command: './deploy.sh', url: null, args: ['--env', 'canary'], cwd: '/srv/deploy', timeout_seconds: 600 });
    assert.deepEqual(canary?.health_check, { url: 'http://127.0.0.1:9000/health', command: null, interval_seconds: 5, failure_threshold: 2, timeout_seconds: 3 });
    assert.deepEqual(canary?.auto_promote, { to: 'prod', after_seconds: 3600 });
    assert.equal(canary?.protected, true);
    assert.deepEqual(project.environments[2]?.steps, [{ percent: 5, soak_seconds: 30 }, { percent: 100, soak_seconds: 0 }]);
    assert.deepEqual(project.environments[0]?.deploy, { type: 'none', command: null, url: null });
    assert.equal(project.description, 'every field');

    const fetched = await server().request('GET', `/api/releases/${name}`);
    assert.equal(fetched.status, 200);
    assert.deepEqual(Project.parse(fetched.body), project);
  });

  void it('7: an update is 200; positions may swap; environments without deployments may go', async () => {
    const name = await createProject(server());
    const spec = standardLadder();
    const swapped = {
      ...spec,
      repo: 'acme/renamed',
      environments: [
        { name: 'canary', tier: 'production' as const, position: 0, strategy: 'canary' as const },
        { name: 'dogfood', tier: 'development' as const, position: 1, strategy: 'dogfood' as const },
      ],
    };
    const updated = await server().request('PUT', `/api/releases/${name}`, swapped);
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const project = Project.parse(updated.body);
    assert.equal(project.repo, 'acme/renamed');
    assert.deepEqual(project.environments.map((e) => [e.name, e.position]), [['canary', 0], ['dogfood', 1]]);
    assert.equal((await server().request('PUT', `/api/releases/${name}`, swapped)).status, 200, 'the same body again is fine');
  });

  void it('7: removing an environment with deployments is 409 unless ?force=true', async () => {
    const name = await createProject(server());
    await deploySuccessfully(server(), name, 'production', '1.0.0-rc1');
    const withoutProduction = { ...standardLadder(), environments: standardLadder().environments.slice(0, 3) };
    assertError(await server().request('PUT', `/api/releases/${name}`, withoutProduction), 409, /production/);
    assert.equal((await server().request('GET', `/api/releases/${name}`)).status, 200);
    const forced = await server().request('PUT', `/api/releases/${name}?force=true`, withoutProduction);
    assert.equal(forced.status, 200, JSON.stringify(forced.body));
    assert.deepEqual(Project.parse(forced.body).environments.map((e) => e.name), ['dogfood', 'canary', 'rollout']);
    assertError(await server().request('PUT', `/api/releases/${name}?force=maybe`, withoutProduction), 400);
  });

  void it('7: invalid specs are 400 with issues', async () => {
    const name = uniqueName('bad');
    const env = { name: 'a', tier: 'production', position: 0, strategy: 'standard' };
    const invalid: unknown[] = [
      {},
      { repo: 'x' },
      { repo: '', environments: [] },
      { repo: 'x', environments: [{ ...env, strategy: 'rollout' }] },
      { repo: 'x', environments: [{ ...env, steps: [{ percent: 100, soak_seconds: 0 }] }] },
      { repo: 'x', environments: [{ ...env, strategy: 'rollout', steps: [{ percent: 50, soak_seconds: 0 }, { percent: 40, soak_seconds: 0 }] }] },
      { repo: 'x', environments: [env, { ...env, name: 'b' }] },
      { repo: 'x', environments: [env, { ...env, position: 1 }] },
      { repo: 'x', environments: [{ ...env, auto_promote: { to: 'zz', after_seconds: 1 } }] },
      { repo: 'x', environments: [{ ...env, deploy: { type: 'command' } }] },
      { repo: 'x', environments: [{ ...env, deploy: { type: 'webhook', url: 'not a url' } }] },
      { repo: 'x', environments: [{ ...env, health_check: { url: 'http://a', command: 'b' } }] },
      { repo: 'x', environments: [{ ...env, name: 'has space' }] },
      { repo: 'x', environments: [{ ...env, tier: 'prod' }] },
      [],
      'text',
    ];
    for (const body of invalid) {
      const response = await server().request('PUT', `/api/releases/${name}`, body);
      assertError(response, 400);
      assert.ok(Array.isArray((response.body as { issues?: unknown }).issues), JSON.stringify(response.body));
    }
    assertError(await server().request('PUT', '/api/releases/-bad-name', standardLadder()), 400, 'Invalid project name');
    assertError(await server().request('GET', `/api/releases/${name}`), 404, 'Release project not found');
  });

  void it('6: the overview has every project, ladders in order, current and active, and follows changes at once', async () => {
    const name = await createProject(server());
    await deploySuccessfully(server(), name, 'dogfood', '1.0.0-rc1');
    const first = Overview.parse((await server().request('GET', '/api/releases')).body);
    const project = first.projects.find((p) => p.name === name);
    assert.ok(project);
    assert.deepEqual(project.environments.map((e) => e.name), ['dogfood', 'canary', 'rollout', 'production']);
    assert.equal(project.environments[0]?.current?.release_candidate_version, '1.0.0-rc1');
    assert.equal(project.environments[0]?.active, null);

    const active = await report(server(), name, 'dogfood', '1.0.0-rc2', 'in_progress');
    const second = Overview.parse((await server().request('GET', '/api/releases')).body);
    const dogfood = second.projects.find((p) => p.name === name)?.environments[0];
    assert.equal(dogfood?.active?.id, active.id, 'the cached overview was invalidated by the commit');
    assert.equal(dogfood?.current?.release_candidate_version, '1.0.0-rc1');
    const names = second.projects.map((p) => p.name);
    assert.deepEqual(names, [...names].sort());
  });

  void it('11: freezes and protects an environment and returns it', async () => {
    const name = await createProject(server());
    await deploySuccessfully(server(), name, 'canary', '1.0.0-rc1');
    const response = await server().request('PATCH', `/api/releases/${name}/environments/canary`, { frozen: true, protected: true });
    assert.equal(response.status, 200);
    const env = Environment.parse(response.body);
    assert.equal(env.frozen, true);
    assert.equal(env.protected, true);
    assert.equal(env.current?.release_candidate_version, '1.0.0-rc1');
    const unfrozen = Environment.parse((await server().request('PATCH', `/api/releases/${name}/environments/canary`, { frozen: false })).body);
    assert.equal(unfrozen.frozen, false);
    assert.equal(unfrozen.protected, true, 'absent flags keep their value');
    assertError(await server().request('PATCH', `/api/releases/${name}/environments/nope`, { frozen: true }), 404, 'Release environment not found');
    assertError(await server().request('PATCH', `/api/releases/${name}/environments/canary`, { frozen: 'yes' }), 400);
  });
}
