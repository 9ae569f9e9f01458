// The GitHub backend's actions against the GitHub emulator: approvals (pending deployments), promote and
// rollback through a configured workflow_dispatch workflow, and commits between two shas (compare).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { BackendError } from '../../../src/client/errors';
import { GITHUB_UNSUPPORTED } from '../../../src/client/github';
import { parseProjectConfigValue } from '../../../src/core/projectConfig';
import { githubFixture, REPO, type GitHubFixture } from './githubFixture';

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

describe('GitHub backend: approvals', () => {
  let f: GitHubFixture;
  before(async () => {
    f = await githubFixture({ tokens: { reviewer: { login: 'rita', canReview: true }, viewer: { login: 'vic', canReview: false } } });
    f.emulator.addEnvironment(REPO, 'staging');
    f.emulator.addEnvironment(REPO, 'production', { reviewers: true });
    f.emulator.createDeployment(REPO, 'production', 'v1.0.1-rc1', { states: ['success'] });
  });
  after(() => f.close());
  afterEach(() => assert.deepEqual(f.emulator.violations, []));

  it('shows a job waiting for review as a deployment awaiting approval, and approves it', async () => {
    const run = f.emulator.waitForReview(REPO, 'production', 'v1.0.3-rc1', { actor: 'alice' });
    const backend = f.backend({ token: () => 'reviewer' });
    const [waiting] = await backend.listApprovals();
    assert.ok(waiting);
    assert.equal(waiting.status, 'pending');
    assert.equal(waiting.environment_name, 'production');
    assert.equal(waiting.release_candidate_version, 'v1.0.3-rc1');
    assert.equal(waiting.commit, f.commits[2]);
    assert.equal(waiting.actor, 'alice');
    assert.equal(waiting.approval?.required, 1);
    assert.deepEqual(waiting.approval?.approvals, []);
    assert.equal(Date.parse(waiting.approval?.expires_at ?? '') - Date.parse(run.createdAt), 30 * 24 * 3600 * 1000);

    const [project] = await backend.listProjects();
    const production = project?.environments.find((e) => e.name === 'production');
    assert.equal(production?.active?.id, waiting.id, 'the environment shows it as active');
    assert.equal(production?.current?.release_candidate_version, 'v1.0.1-rc1');
    assert.equal(production?.required_approvals, 1);

    const approved = await backend.approve(REPO, waiting.id, { comment: 'ship it' });
    assert.equal(approved.release_candidate_version, 'v1.0.3-rc1');
    assert.equal(approved.status, 'pending');
    assert.deepEqual(run.waitingOn, []);
    const post = f.emulator.requests.find((r) => r.method === 'POST');
    assert.equal(post?.path, `/repos/${REPO}/actions/runs/${run.id}/pending_deployments`);
    assert.deepEqual(await backend.listApprovals(REPO), []);
  });

  it('rejects with a comment', async () => {
    const run = f.emulator.waitForReview(REPO, 'production', 'v1.0.4-rc1');
    const backend = f.backend({ token: () => 'reviewer' });
    const [waiting] = await backend.listApprovals(REPO);
    assert.ok(waiting);
    const rejected = await backend.reject(REPO, waiting.id, { comment: 'not today' });
    assert.equal(rejected.status, 'canceled');
    assert.equal(rejected.approval?.rejection?.comment, 'not today');
    assert.equal(run.conclusion, 'failure');
    assert.deepEqual(await backend.listApprovals(REPO), []);
  });

  it('refuses, with GitHub\'s reason, when the token may not review', async () => {
    f.emulator.waitForReview(REPO, 'production', 'v1.0.5-rc1');
    const backend = f.backend({ token: () => 'viewer' });
    const [waiting] = await backend.listApprovals(REPO);
    assert.ok(waiting);
    const mark = f.emulator.requests.length;
    const error = await rejection(backend.approve(REPO, waiting.id, {}));
    assert.ok(error instanceof BackendError);
    assert.equal(error.kind, 'forbidden');
    assert.match(error.message, /may not review deployments to production of acme\/shop/);
    assert.ok(f.emulator.requests.slice(mark).every((r) => r.method === 'GET'), 'nothing was posted');
    assert.equal((await backend.listApprovals(REPO)).length, 1);
  });
});

describe('GitHub backend: promote and rollback with a workflow_dispatch workflow', () => {
  let f: GitHubFixture;
  const config = parseProjectConfigValue({ projects: [{
    name: 'shop', repo: REPO,
    environments: [{ name: 'staging', tier: 'staging' }, { name: 'production', tier: 'production' }],
    github: { workflow: 'deploy.yml', ref: 'main', inputs: { environment: '{environment}', ref: '{candidate}', why: '{action} from {from_environment}' } },
  }] }, '.flightdeck.json');
  before(async () => {
    f = await githubFixture();
    assert.deepEqual(config.problems, []);
    f.emulator.addEnvironment(REPO, 'staging');
    f.emulator.addEnvironment(REPO, 'production');
    f.emulator.addWorkflow(REPO, 'deploy.yml');
    f.emulator.createDeployment(REPO, 'production', 'v1.0.1-rc1', { states: ['success'] });
    f.emulator.createDeployment(REPO, 'staging', 'v1.0.2-rc1', { states: ['success'] });
  });
  after(() => f.close());
  afterEach(() => assert.deepEqual(f.emulator.violations, []));

  it('is refused with the reason when no workflow is configured', async () => {
    const backend = f.backend();
    const error = await rejection(backend.promote(REPO, 'production', {}));
    assert.ok(error instanceof BackendError);
    assert.equal(error.message, GITHUB_UNSUPPORTED.promote);
    assert.equal(await backend.promoteUnavailable(REPO), GITHUB_UNSUPPORTED.promote);
    assert.equal(backend.capabilities.promote, false);
    assert.equal(f.emulator.dispatches.length, 0);
  });

  it('promotes: dispatches the workflow with its inputs and follows the deployment it made', async () => {
    const backend = f.backend({ config });
    assert.equal(await backend.promoteUnavailable(REPO), undefined);
    const made = await backend.promote(REPO, 'production', { expected_current: 'v1.0.1-rc1' });
    assert.deepEqual(f.emulator.dispatches, [{ repository: REPO, workflow: '.github/workflows/deploy.yml', ref: 'main', inputs: { environment: 'production', ref: 'v1.0.2-rc1', why: 'promote from staging' } }]);
    assert.equal(backend.capabilities.promote, true);
    assert.equal(made.kind, 'promote');
    assert.equal(made.environment_name, 'production');
    assert.equal(made.release_candidate_version, 'v1.0.2-rc1');
    assert.equal(made.commit, f.commits[1]);
    assert.equal(made.status, 'in_progress');
    assert.equal(made.from_release_candidate_version, 'v1.0.1-rc1');
    assert.equal((await backend.getDeployment(REPO, made.id)).status, 'in_progress');
    f.emulator.addStatus(REPO, Number(made.id), 'success');
  });

  it('rolls back to the previous success, and checks expected_current first', async () => {
    const backend = f.backend({ config });
    const stale = await rejection(backend.rollback(REPO, 'production', { expected_current: 'v1.0.1-rc1' }));
    assert.ok(stale instanceof BackendError);
    assert.equal(stale.kind, 'conflict');
    const made = await backend.rollback(REPO, 'production', {});
    assert.equal(made.kind, 'rollback');
    assert.equal(made.release_candidate_version, 'v1.0.1-rc1');
    assert.equal(made.from_release_candidate_version, 'v1.0.2-rc1');
    assert.deepEqual(f.emulator.dispatches[1]?.inputs, { environment: 'production', ref: 'v1.0.1-rc1', why: 'rollback from production' });
  });

  it('lists the commits between two shas (compare)', async () => {
    const commits = await f.backend().compareCommits(REPO, f.commits[1] ?? '', f.commits[4] ?? '');
    assert.deepEqual(commits.map((c) => c.sha), f.commits.slice(2, 5));
    assert.deepEqual(commits.map((c) => c.message), ['c3', 'c4', 'c5']);
  });
});
