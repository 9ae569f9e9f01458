// The GitHub backend against the GitHub emulator (real HTTP on loopback, real git repositories, every
// answer validated against GitHub's OpenAPI description): API.md "Other backends: GitHub Deployments".
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Project } from '../../../src/api/schemas';
import { BackendError } from '../../../src/client/errors';
import { GitHubBackend } from '../../../src/client/github';
import { githubFixture, REPO, type GitHubFixture } from './githubFixture';

function env(project: Project, name: string) {
  const found = project.environments.find((e) => e.name === name);
  assert.ok(found, `environment ${name} is listed`);
  return found;
}

describe('GitHub backend: the overview', () => {
  let f: GitHubFixture;
  before(async () => {
    f = await githubFixture();
    const e = f.emulator;
    for (const name of ['production', 'qa', 'zeta', 'staging', 'alpha', 'dev', 'empty']) e.addEnvironment(REPO, name);
    e.createDeployment(REPO, 'staging', 'v1.0.1-rc1', { creator: 'alice', states: ['in_progress', 'success'] });
    e.createDeployment(REPO, 'staging', 'v1.0.2-rc1', { creator: 'bob', states: ['success'] }); // makes rc1 inactive
    e.createDeployment(REPO, 'staging', 'v1.0.3-rc1', { creator: 'carol', states: ['queued', 'in_progress'] });
    e.createDeployment(REPO, 'production', f.commits[0] ?? '', { states: ['success'] });
    e.createDeployment(REPO, 'production', 'v1.0.2-rc1', { states: ['failure'] });
    e.createDeployment(REPO, 'qa', 'v1.0.2-rc1', { states: ['error'] });
    e.createDeployment(REPO, 'dev', 'v1.0.4-rc1', { states: ['success'] });
    e.createDeployment(REPO, 'dev', 'v1.0.1-rc1', { states: ['pending'] });
  });
  after(() => f.close());
  afterEach(() => assert.deepEqual(f.emulator.violations, [], 'every answer conforms to GitHub\'s OpenAPI description'));

  it('lists the repository as a project, environments in the documented name ladder, with current and active', async () => {
    const [project] = await f.backend().listProjects();
    assert.ok(project);
    Project.parse(project); // the contract's shape
    assert.equal(project.name, REPO);
    assert.deepEqual(project.environments.map((e) => e.name), ['dev', 'qa', 'staging', 'alpha', 'empty', 'zeta', 'production']);
    assert.deepEqual(project.environments.map((e) => e.position), [0, 1, 2, 3, 4, 5, 6]);

    const staging = env(project, 'staging');
    assert.equal(staging.current?.release_candidate_version, 'v1.0.2-rc1');
    assert.equal(staging.current?.commit, f.commits[1]);
    assert.equal(staging.current?.actor, 'bob');
    assert.equal(staging.current?.status, 'success');
    assert.equal(staging.active?.release_candidate_version, 'v1.0.3-rc1');
    assert.equal(staging.active?.status, 'in_progress');

    const production = env(project, 'production');
    assert.equal(production.current?.release_candidate_version, f.commits[0]?.slice(0, 7), 'a sha ref shows as its first 7');
    assert.equal(production.active, null);
    assert.equal(env(project, 'qa').current, null);
    const dev = env(project, 'dev');
    assert.equal(dev.current?.release_candidate_version, 'v1.0.4-rc1');
    assert.equal(dev.active?.status, 'pending');
    const empty = env(project, 'empty');
    assert.equal(empty.current, null);
    assert.equal(empty.active, null);
    assert.equal(empty.error, undefined);
    assert.equal(production.tier, 'production');
  });

  it('follows the configured ladder when the repository is configured', async () => {
    const config = {
      projects: [{ name: 'shop', repo: `https://github.com/${REPO}.git`, description: null, environments: [
        { name: 'zeta', tier: 'development' as const, strategy: 'standard' as const },
        { name: 'production', tier: 'production' as const, strategy: 'standard' as const },
        { name: 'missing', tier: 'staging' as const, strategy: 'standard' as const },
      ] }],
      problems: [],
    };
    const [project] = await f.backend({ config }).listProjects();
    assert.ok(project);
    assert.deepEqual(project.environments.map((e) => e.name), ['zeta', 'production', 'missing', 'dev', 'qa', 'staging', 'alpha', 'empty']);
    assert.match(env(project, 'missing').error ?? '', /GitHub has no environment missing/);
    assert.equal(env(project, 'zeta').tier, 'development');
  });

  it('lists an environment\'s deployments and reads one, superseded ones as success', async () => {
    const backend = f.backend();
    const list = await backend.listDeployments(REPO, 'staging', 1, 10);
    assert.deepEqual(list.map((d) => [d.release_candidate_version, d.status]), [['v1.0.3-rc1', 'in_progress'], ['v1.0.2-rc1', 'success'], ['v1.0.1-rc1', 'success']]);
    const one = await backend.getDeployment(REPO, list[2]?.id ?? '');
    assert.equal(one.release_candidate_version, 'v1.0.1-rc1');
    assert.equal(one.status, 'success', 'inactive (superseded) reads as success');
    const failed = (await backend.listDeployments(REPO, 'production'))[0];
    assert.equal(failed?.status, 'failure');
  });

  it('derives releases from the deployments, grouped by release version', async () => {
    const releases = await f.backend().listReleases(REPO, 1, 10);
    // (The emulator's timestamps are to the second, as GitHub's: these were all made in one, so order is not asserted.)
    assert.deepEqual(releases.map((r) => r.release_version).sort(), ['v1.0.1', 'v1.0.2', 'v1.0.3', 'v1.0.4', f.commits[0]?.slice(0, 7)].sort());
    const rc = releases.find((r) => r.release_version === 'v1.0.2')?.candidates[0];
    assert.equal(rc?.release_candidate_version, 'v1.0.2-rc1');
    assert.equal(rc?.commit, f.commits[1]);
  });

  it('answers an unchanged poll with 304s that cost no rate limit', async () => {
    const backend = f.backend();
    const first = await backend.listProjects();
    const mark = f.emulator.requests.length;
    const second = await backend.listProjects();
    assert.deepEqual(second, first);
    const polled = f.emulator.requests.slice(mark);
    assert.ok(polled.length > 0);
    assert.ok(polled.every((r) => r.status === 304), `every request of the second poll is a 304: ${polled.map((r) => r.status).join(',')}`);
    assert.equal(f.emulator.costSince(mark), 0);
  });
});

describe('GitHub backend: pagination, rate limits, errors', () => {
  let f: GitHubFixture;
  before(async () => { f = await githubFixture(); });
  after(() => f.close());
  afterEach(() => assert.deepEqual(f.emulator.violations, []));

  it('pages past 100 deployments with Link to find the current one', async () => {
    f.emulator.addEnvironment(REPO, 'production');
    f.emulator.createDeployment(REPO, 'production', 'v1.0.5-rc1', { states: ['success'] });
    for (let i = 0; i < 130; i++) f.emulator.createDeployment(REPO, 'production', 'v1.0.6-rc1', { states: ['failure'] });
    const mark = f.emulator.requests.length;
    const [project] = await f.backend().listProjects();
    assert.equal(project?.environments[0]?.current?.release_candidate_version, 'v1.0.5-rc1');
    const lists = f.emulator.requests.slice(mark).filter((r) => r.path.endsWith('/deployments'));
    assert.ok(lists.some((r) => r.query.includes('page=2')), 'followed the Link to page 2');
    assert.ok(lists.every((r) => !/per_page=(\d{4,}|[2-9]\d\d|1[1-9]\d|10[1-9])/.test(r.query)), 'per_page never above 100');
  });

  it('when the rate limit is used up, fails fast saying when it retries, and sends nothing until then', async () => {
    let now = Date.now();
    const backend = f.backend({ now: () => now });
    f.emulator.setRateLimit(0, 600);
    const mark = f.emulator.requests.length;
    const error = await backend.listProjects().then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof BackendError);
    assert.match(error.message, /rate limit is used up: Flightdeck retries at \d\d:\d\d:\d\d UTC \(in 10 minutes\)/);
    assert.equal(f.emulator.requests.length - mark, 1, 'one request saw the 403');
    const again = await backend.listProjects().then(() => undefined, (e: unknown) => e);
    assert.ok(again instanceof BackendError);
    assert.equal(f.emulator.requests.length - mark, 1, 'nothing sent while exhausted');
    assert.ok(backend.rateLimit()?.retryAt);
    assert.equal(backend.rateLimit()?.remaining, 0);
    f.emulator.setRateLimit(5000);
    now += 601_000;
    await backend.listProjects();
    assert.equal(backend.rateLimit()?.retryAt, undefined);
  });

  it('respects retry-after on a 429', async () => {
    let now = Date.now();
    const backend = f.backend({ now: () => now });
    f.emulator.throttleNext(1, 30);
    const error = await backend.health().then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof BackendError);
    assert.match(error.message, /in 30 s/);
    const mark = f.emulator.requests.length;
    await assert.rejects(backend.health(), /rate limit/);
    assert.equal(f.emulator.requests.length, mark);
    now += 31_000;
    assert.deepEqual(await backend.health(), { ok: true, version: 'github' });
  });

  it('shows the ladder to a token that may not read Actions (no approvals, no error)', async () => {
    f.emulator.tokens['no-actions'] = { login: 'fine', canReview: false, actions: false };
    const [project] = await f.backend({ token: () => 'no-actions' }).listProjects();
    assert.equal(project?.error, undefined);
    assert.equal(project?.environments[0]?.current?.release_candidate_version, 'v1.0.5-rc1');
    assert.ok(f.emulator.requests.some((r) => r.path.endsWith('/actions/runs') && r.status === 403));
  });

  it('shows a bad token and an unknown repository on the project, not as a failed overview', async () => {
    const badToken = f.backend({ token: () => 'nope' });
    const [unauthorized] = await badToken.listProjects();
    assert.match(unauthorized?.error ?? '', /GitHub did not accept the token \(401/);
    const unknown = f.backend({ repositories: () => [REPO, 'acme/ghost'] });
    const projects = await unknown.listProjects();
    assert.equal(projects.length, 2);
    assert.equal(projects[0]?.error, undefined);
    assert.match(projects[1]?.error ?? '', /acme\/ghost: GitHub answered 404.*does not exist or the token cannot see it/);
    await assert.rejects(unknown.getProject('not a repo'), /not a GitHub repository: write it as owner\/name/);
    const signInFailed = f.backend({ token: () => Promise.reject(new Error('the user dismissed the sign-in')) });
    const [refused] = await signInFailed.listProjects();
    assert.match(refused?.error ?? '', /No GitHub token: the user dismissed the sign-in/);
  });
});

describe('GitHub backend: GitHub Enterprise Server', () => {
  it('talks to a base path (/api/v3)', async () => {
    const f = await githubFixture({ basePath: '/api/v3' });
    try {
      f.emulator.addEnvironment(REPO, 'production');
      f.emulator.createDeployment(REPO, 'production', 'v1.0.3-rc1', { states: ['success'] });
      assert.match(f.emulator.url, /\/api\/v3$/);
      const backend: GitHubBackend = f.backend();
      const [project] = await backend.listProjects();
      assert.equal(project?.environments[0]?.current?.release_candidate_version, 'v1.0.3-rc1');
      assert.ok(f.emulator.requests.every((r) => r.path.startsWith('/api/v3/')));
      assert.deepEqual(f.emulator.violations, []);
    } finally {
      await f.close();
    }
  });
});
