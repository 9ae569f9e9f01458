// The `flightdeck` command is two bundles (esbuild.mjs): dist/cli.js, the client commands, and
// dist/server.js, the server (fastify, PGlite, pg), which dist/cli.js loads only for `serve`, `demo` and
// `token create --data-dir|--database-url`. Proved on a production build: with dist/cli.js ALONE in a
// folder, every client command works against a real server, and the server commands say they need
// dist/server.js; with dist/server.js beside it, `token create --data-dir` works.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TempRepo } from '../git/gitFixture';
import { startTestServer, type TestServer } from '../helpers/server';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, FLIGHTDECK_CACHE_DIR: cacheDir, ...env }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-cli-bundle-'));
const cacheDir = path.join(temp, 'cache');
const clientOnly = path.join(temp, 'client-only');
let fullDist = '';
let server: TestServer;
let repo: TempRepo;

void describe('the flightdeck command as two bundles', () => {
  before(async () => {
    const { buildProduction } = (await import(path.join(REPO_ROOT, 'scripts', 'package.mjs'))) as { buildProduction: (stage: string) => string };
    fullDist = buildProduction(temp);
    fs.mkdirSync(clientOnly);
    fs.copyFileSync(path.join(fullDist, 'cli.js'), path.join(clientOnly, 'cli.js'));
    server = await startTestServer();
    repo = TempRepo.create();
    repo.git('remote', 'add', 'origin', 'https://github.com/acme/bundles.git');
    const commit = repo.commit('first');
    const put = await server.request('PUT', '/api/releases/bundles', { repo: 'acme/bundles', environments: [{ name: 'canary', tier: 'production', position: 0, strategy: 'standard' }] });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.equal((await server.request('POST', '/api/releases/bundles/releases/1.0.0-rc1', { commit })).status, 201);
    for (const status of ['in_progress', 'success']) {
      const reported = await server.request('PATCH', '/api/releases/bundles/environments/canary/deployments', { release_candidate_version: '1.0.0-rc1', status });
      assert.equal(reported.status, 200, JSON.stringify(reported.body));
    }
  });
  after(async () => {
    await server?.close();
    repo?.remove();
    fs.rmSync(temp, { recursive: true, force: true });
  });

  void it('runs every client command from dist/cli.js alone, with no server bundle beside it', async () => {
    const cli = path.join(clientOnly, 'cli.js');
    const env = { FLIGHTDECK_SERVER: server.url, FLIGHTDECK_TOKEN: server.adminToken };
    const printed = await run(cli, ['--version']);
    assert.deepEqual(printed, { code: 0, stdout: `${version}\n`, stderr: '' });

    const status = await run(cli, ['status', 'bundles', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { environments: { current: { release_candidate_version: string } }[] }).environments[0]?.current.release_candidate_version, '1.0.0-rc1');

    const where = await run(cli, ['where', 'HEAD', '--json', '--repo', repo.dir], env);
    assert.equal(where.code, 0, where.stderr);
    const answer = JSON.parse(where.stdout) as { projects: { project: string; environments: { name: string; contains: unknown }[] }[] };
    assert.deepEqual(answer.projects, [{ project: 'bundles', environments: [{ name: 'canary', release_candidate_version: '1.0.0-rc1', commit: repo.git('rev-parse', 'HEAD'), contains: true }] }]);

    const token = await run(cli, ['token', 'create', '--role', 'viewer', '--name', 'bundle-check', '--server', server.url], env);
    assert.equal(token.code, 0, token.stderr);
    assert.match(token.stdout, /^\S{20,}\n$/);

    const approvals = await run(cli, ['approvals', '--json'], env);
    assert.equal(approvals.code, 0, approvals.stderr);
    assert.deepEqual(JSON.parse(approvals.stdout), []);

    const promote = await run(cli, ['promote', 'bundles', 'nowhere'], env);
    assert.equal(promote.code, 1, 'a refused promote is an answer from the server, not a missing bundle');
    assert.doesNotMatch(promote.stderr, /server\.js/);
  });

  void it('loads dist/server.js for the commands that hold a store, and only from beside dist/cli.js', async () => {
    const missing = await run(path.join(clientOnly, 'cli.js'), ['token', 'create', '--role', 'admin', '--name', 'first', '--data-dir', path.join(temp, 'data-a')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /server\.js/);
    const serveMissing = await run(path.join(clientOnly, 'cli.js'), ['serve', '--port', '0', '--data-dir', path.join(temp, 'data-b')]);
    assert.equal(serveMissing.code, 1);
    assert.match(serveMissing.stderr, /server\.js/);

    const created = await run(path.join(fullDist, 'cli.js'), ['token', 'create', '--role', 'admin', '--name', 'first', '--data-dir', path.join(temp, 'data-c')]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^\S{20,}\n$/);
    assert.match(created.stderr, /Created token "first" \(admin\)/);
  });
});
