// `flightdeck … --kind github` end to end: the real CLI in a child process against the GitHub emulator
// (every answer validated against GitHub's OpenAPI description) over a real git repository.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Project, WhereResult } from '../../../src/api/schemas';
import { DEFAULT_TOKEN } from '../../shared/githubEmulator';
import { githubFixture, REPO, type GitHubFixture } from '../client/githubFixture';

const run = promisify(execFile);
const MAIN = path.resolve(__dirname, '../../../src/cli/main.ts');
/** tsx by its file URL: the CLI runs in the test repository, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(require.resolve('tsx')).href;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('flightdeck --kind github', () => {
  let f: GitHubFixture;
  let cacheDir: string;
  let feature: string;

  async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', TSX, MAIN, ...args], {
        cwd: f.git.dir,
        env: { PATH: process.env.PATH, HOME: os.tmpdir(), FLIGHTDECK_CACHE_DIR: cacheDir, GITHUB_TOKEN: DEFAULT_TOKEN, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  before(async () => {
    f = await githubFixture();
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-github-cache-'));
    f.git.git('remote', 'add', 'origin', `https://github.example.com/${REPO}.git`);
    f.git.checkout('feature', true);
    f.git.git('reset', '-q', '--hard', f.commits[2] ?? '');
    feature = f.git.commit('feature work');
    f.git.checkout('main');
    const e = f.emulator;
    for (const name of ['production', 'review', 'staging', 'dev', 'empty']) e.addEnvironment(REPO, name);
    e.createDeployment(REPO, 'dev', 'v1.0.5-rc1', { states: ['success'] });
    e.createDeployment(REPO, 'staging', 'v1.0.3-rc1', { states: ['success'] });
    e.createDeployment(REPO, 'staging', 'v1.0.4-rc1', { states: ['in_progress'] });
    e.createDeployment(REPO, 'production', 'v1.0.1-rc1', { states: ['success'] });
    e.createDeployment(REPO, 'review', feature, { states: ['success'] });
    e.addWorkflow(REPO, 'deploy.yml');
  });
  after(async () => {
    await f.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });
  afterEach(() => assert.deepEqual(f.emulator.violations, []));

  it('status owner/name --json prints the overview\'s shape, and a repeated command is conditional (304s)', async () => {
    const first = await cli(['status', REPO, '--json', '--kind', 'github', '--server', f.emulator.url]);
    assert.equal(first.code, 0, first.stderr);
    const project = Project.parse(JSON.parse(first.stdout));
    assert.equal(project.name, REPO);
    assert.deepEqual(project.environments.map((e) => e.name), ['dev', 'staging', 'empty', 'review', 'production']);
    const staging = project.environments.find((e) => e.name === 'staging');
    assert.equal(staging?.current?.release_candidate_version, 'v1.0.3-rc1');
    assert.equal(staging?.active?.release_candidate_version, 'v1.0.4-rc1');
    assert.equal(project.environments.find((e) => e.name === 'review')?.current?.release_candidate_version, feature.slice(0, 7));

    const mark = f.emulator.requests.length;
    const again = await cli(['status', REPO, '--json', '--server', f.emulator.url], { FLIGHTDECK_SERVER_KIND: 'github' });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), JSON.parse(first.stdout));
    assert.ok(f.emulator.requests.length > mark);
    assert.equal(f.emulator.costSince(mark), 0, 'the second run cost no rate limit: every answer was a 304');
  });

  it('where SHA --repo DIR --json agrees with git merge-base --is-ancestor for every environment', async () => {
    const project = Project.parse(JSON.parse((await cli(['status', REPO, '--json', '--kind', 'github', '--server', f.emulator.url])).stdout));
    for (const sha of [f.commits[0] ?? '', f.commits[3] ?? '', f.commits[5] ?? '', feature]) {
      const result = await cli(['where', sha, '--repo', f.git.dir, '--json', '--kind', 'github', '--server', f.emulator.url]);
      assert.equal(result.code, 0, result.stderr);
      const where = WhereResult.parse(JSON.parse(result.stdout));
      assert.equal(where.commit, sha);
      const [presence] = where.projects;
      assert.equal(presence?.project, REPO);
      assert.deepEqual(presence.environments.map((e) => e.name), project.environments.map((e) => e.name));
      for (const env of presence.environments) {
        const expected = env.commit === null ? false : f.git.mergeBaseIsAncestor(sha, env.commit);
        assert.equal(env.contains, expected, `${sha.slice(0, 7)} in ${env.name}`);
      }
    }
  });

  it('promote dispatches the workflow named in .flightdeck.json', async () => {
    fs.writeFileSync(path.join(f.git.dir, '.flightdeck.json'), JSON.stringify({ projects: [{
      name: 'shop', repo: REPO, environments: [{ name: 'staging', tier: 'staging' }, { name: 'production', tier: 'production' }],
      github: { workflow: 'deploy.yml', inputs: { environment: '{environment}', ref: '{candidate}' } },
    }] }));
    const result = await cli(['promote', REPO, 'production', '--yes', '--json', '--kind', 'github', '--server', f.emulator.url]);
    assert.equal(result.code, 0, result.stderr);
    const deployment = JSON.parse(result.stdout) as { kind: string; release_candidate_version: string };
    assert.equal(deployment.kind, 'promote');
    assert.equal(deployment.release_candidate_version, 'v1.0.3-rc1');
    assert.deepEqual(f.emulator.dispatches.map((d) => d.inputs), [{ environment: 'production', ref: 'v1.0.3-rc1' }]);
  });

  it('says which repository it could not read, and exits 1', async () => {
    const result = await cli(['status', 'acme/ghost', '--kind', 'github', '--server', f.emulator.url]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /acme\/ghost: GitHub answered 404/);
    const noToken = await cli(['status', REPO, '--kind', 'github', '--server', f.emulator.url], { GITHUB_TOKEN: '', GH_TOKEN: 'wrong' });
    assert.match(noToken.stderr, /GitHub did not accept the token/);
    assert.ok(!noToken.stderr.includes('wrong'), 'the token is never printed');
  });
});
