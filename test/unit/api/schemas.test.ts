import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CandidateVersion, Commit, CreateCandidateBody, CreateDeploymentBody, Deployment, EnvironmentName, EnvironmentSpec,
  EventData, Overview, PageQuery, PatchDeploymentBody, ProjectName, ProjectSpec, RollbackBody, parseCandidateVersion,
} from '../../../src/api/schemas';

const sha = 'a'.repeat(40);
const deployment = {
  id: '42', project: 'payments', environment_name: 'canary', release_version: '1.4.0',
  release_candidate_version: '1.4.0-rc2', commit: sha, from_release_version: '1.3.1',
  from_release_candidate_version: '1.3.1-rc1', status: 'in_progress', kind: 'promote', actor: 'ci-pipeline',
  deploy_start_at: '2026-11-23T08:00:00.000Z', deploy_end_at: null, updated_at: '2026-11-23T08:00:01.000Z',
  error_message: null,
  rollout: { step: 1, percent: 10, steps: [{ percent: 1, soak_seconds: 600 }, { percent: 10, soak_seconds: 600 }, { percent: 100, soak_seconds: 0 }], paused: false },
};

describe('names', () => {
  it('accepts the documented examples and refuses the rest', () => {
    for (const ok of ['payments', 'Payments API', 'a', 'web_app-2']) assert.ok(ProjectName.safeParse(ok).success, ok);
    for (const bad of ['', ' lead', '-x', 'a/b', '../etc', 'x'.repeat(101), 'drop;table']) assert.ok(!ProjectName.safeParse(bad).success, bad);
    for (const ok of ['dogfood', 'canary', 'prod-eu_1']) assert.ok(EnvironmentName.safeParse(ok).success, ok);
    for (const bad of ['prod eu', '', '_x', 'x'.repeat(65)]) assert.ok(!EnvironmentName.safeParse(bad).success, bad);
  });

  it('parses candidate versions as <release>-rc<N>', () => {
    assert.deepEqual(parseCandidateVersion('1.4.0-rc2'), { release: '1.4.0', rc: 2 });
    assert.deepEqual(parseCandidateVersion('2026.11.23-rc12'), { release: '2026.11.23', rc: 12 });
    assert.deepEqual(parseCandidateVersion('1.0.0-beta-rc3'), { release: '1.0.0-beta', rc: 3 });
    for (const bad of ['1.4.0', '1.4.0-rc0', '1.4.0-rc', '-rc1', '1.4.0-RC1', 'v1 -rc1']) {
      assert.equal(parseCandidateVersion(bad), undefined, bad);
      const parsed = CandidateVersion.safeParse(bad);
      assert.ok(!parsed.success);
      assert.equal(parsed.error.issues[0]?.message, 'Invalid release candidate version');
    }
  });

  it('stores commits lower-case and refuses other lengths', () => {
    assert.equal(Commit.parse('ABCDEF' + '0'.repeat(34)), 'abcdef' + '0'.repeat(34));
    assert.equal(Commit.parse('f'.repeat(64)), 'f'.repeat(64));
    for (const bad of ['abc', 'g'.repeat(40), 'a'.repeat(41), 'a'.repeat(63)]) {
      const parsed = Commit.safeParse(bad);
      assert.ok(!parsed.success, bad);
      assert.equal(parsed.error.issues[0]?.message, 'Invalid commit hash');
    }
  });
});

describe('objects', () => {
  it('parses the documented deployment and refuses a missing field or a bad status', () => {
    assert.equal(Deployment.parse(deployment).rollout?.percent, 10);
    const { actor: _actor, ...missing } = deployment;
    assert.ok(!Deployment.safeParse(missing).success);
    assert.ok(!Deployment.safeParse({ ...deployment, status: 'done' }).success);
    assert.ok(!Deployment.safeParse({ ...deployment, kind: 'hotfix' }).success);
    assert.ok(!Deployment.safeParse({ ...deployment, deploy_start_at: 'yesterday' }).success);
  });

  it('fills environment spec defaults and checks rollout steps', () => {
    const env = EnvironmentSpec.parse({ name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' });
    assert.equal(env.frozen, false);
    assert.equal(env.steps, null);
    assert.deepEqual(env.deploy, { type: 'none', command: null, url: null });
    const rollout = { name: 'rollout', tier: 'production', position: 2, strategy: 'rollout' };
    assert.ok(!EnvironmentSpec.safeParse(rollout).success, 'a rollout needs steps');
    assert.ok(!EnvironmentSpec.safeParse({ ...rollout, steps: [{ percent: 10, soak_seconds: 1 }, { percent: 5, soak_seconds: 1 }, { percent: 100, soak_seconds: 0 }] }).success, 'percents increase');
    assert.ok(!EnvironmentSpec.safeParse({ ...rollout, steps: [{ percent: 10, soak_seconds: 1 }] }).success, 'last is 100');
    assert.ok(EnvironmentSpec.safeParse({ ...rollout, steps: [{ percent: 1, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }] }).success);
    assert.ok(!EnvironmentSpec.safeParse({ ...env, steps: [{ percent: 100, soak_seconds: 0 }] }).success, 'steps only for rollouts');
    assert.ok(!EnvironmentSpec.safeParse({ ...env, deploy: { type: 'command', url: null } }).success, 'command needs a command');
    assert.ok(!EnvironmentSpec.safeParse({ ...env, health_check: { url: 'http://127.0.0.1/h', command: 'x', interval_seconds: 5, failure_threshold: 3 } }).success, 'one of url and command');
  });

  it('refuses a project spec with duplicate names, positions or an unknown auto-promote target', () => {
    const base = { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' };
    assert.ok(ProjectSpec.safeParse({ repo: 'acme/payments', environments: [base] }).success);
    assert.ok(!ProjectSpec.safeParse({ repo: 'acme/payments', environments: [base, { ...base, position: 1 }] }).success);
    assert.ok(!ProjectSpec.safeParse({ repo: 'acme/payments', environments: [base, { ...base, name: 'canary' }] }).success);
    assert.ok(!ProjectSpec.safeParse({ repo: 'acme/payments', environments: [{ ...base, auto_promote: { to: 'production', after_seconds: 60 } }] }).success);
  });

  it('parses the overview and event data', () => {
    const env = { ...EnvironmentSpec.parse({ name: 'canary', tier: 'production', position: 1, strategy: 'canary' }), current: deployment, active: null };
    const overview = Overview.parse({ projects: [{ name: 'payments', repo: 'acme/payments', description: null, created_at: deployment.deploy_start_at, environments: [env] }] });
    assert.equal(overview.projects[0]?.environments[0]?.current?.id, '42');
    assert.ok(!Overview.safeParse({ projects: [{ name: 'payments' }] }).success);
    assert.ok(EventData.safeParse({ project: 'payments', environment: 'canary', deployment, at: deployment.updated_at }).success);
    assert.ok(!EventData.safeParse({ project: 'payments', at: 'now' }).success);
  });
});

describe('request bodies', () => {
  it('distinguishes an absent expected_current from an explicit null', () => {
    assert.equal('expected_current' in CreateDeploymentBody.parse({ release_candidate_version: '1.0.0-rc1' }), false);
    assert.equal(CreateDeploymentBody.parse({ release_candidate_version: '1.0.0-rc1', expected_current: null }).expected_current, null);
    assert.ok(!CreateDeploymentBody.safeParse({ release_candidate_version: '1.0.0' }).success);
  });

  it('validates the other bodies', () => {
    assert.equal(CreateCandidateBody.parse({ commit: sha.toUpperCase() }).commit, sha);
    assert.ok(!CreateCandidateBody.safeParse({ commit: 42 }).success);
    assert.ok(PatchDeploymentBody.safeParse({ release_candidate_version: '1.0.0-rc1', status: 'success' }).success);
    assert.ok(!PatchDeploymentBody.safeParse({ release_candidate_version: '1.0.0-rc1', status: 'finished' }).success);
    assert.ok(RollbackBody.safeParse({}).success);
    assert.ok(!RollbackBody.safeParse({ force: 'yes' }).success);
  });

  it('bounds pages: per_page at most 100', () => {
    assert.deepEqual(PageQuery.parse({}), { page: 1, per_page: 10 });
    assert.deepEqual(PageQuery.parse({ page: '3', per_page: '100' }), { page: 3, per_page: 100 });
    for (const bad of [{ per_page: '101' }, { page: '0' }, { page: '-1' }, { page: 'x' }, { page: '1e309' }]) assert.ok(!PageQuery.safeParse(bad).success, JSON.stringify(bad));
  });
});
