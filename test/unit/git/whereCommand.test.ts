// `flightdeck where` end to end over a real repository, with the server replaced by a fetchProjects stub.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Deployment, Environment, Project } from '../../../src/api/schemas';
import { WhereResult } from '../../../src/api/schemas';
import { ancestryCacheDir, runWhere } from '../../../src/cli/where';
import { TempRepo } from './gitFixture';
import * as contract from '../../shared/contractFixtures';

function deployment(project: string, rc: string, commit: string, rollout: Deployment['rollout'] = null): Deployment {
  return contract.deployment({
    id: rc, project, environment_name: 'e', release_candidate_version: rc, commit, status: rollout ? 'in_progress' : 'success', rollout,
  });
}
function environment(name: string, position: number, current: Deployment | null, active: Deployment | null = null): Environment {
  return contract.environment({ name, position, strategy: active ? 'rollout' : 'standard', current, active });
}

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  calls: { serverUrl: string; token: string | undefined }[];
}

/** The ancestry cache of these tests: never the user's own `~/.cache`. */
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-where-cache-'));
/** An empty Flightdeck home: an embedded server running on this machine (its pointer in ~/.flightdeck) is not theirs. */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-where-home-'));

async function where(argv: string[], projects: Project[] | Error, env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const calls: Captured['calls'] = [];
  const code = await runWhere(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: { FLIGHTDECK_CACHE_DIR: cacheDir, FLIGHTDECK_HOME: home, ...env },
    ...(cwd !== undefined ? { cwd } : {}),
    fetchProjects: async (serverUrl, token) => {
      calls.push({ serverUrl, token });
      if (projects instanceof Error) throw projects;
      return projects;
    },
  });
  return { code, stdout, stderr, calls };
}

describe('flightdeck where', () => {
  let repo: TempRepo;
  const c: Record<string, string> = {};
  let projects: Project[];

  before(() => {
    repo = TempRepo.create();
    c.one = repo.commit('one');
    c.two = repo.commit('two');
    c.three = repo.commit('three');
    repo.git('tag', 'v2', c.two);
    c.four = repo.commit('four');
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/payments.git');
    const at = '2026-11-23T08:00:00.000Z';
    projects = [
      {
        name: 'payments', repo: 'https://github.com/acme/payments', description: null, created_at: at,
        environments: [
          environment('production', 2, deployment('payments', '1.0.0-rc1', c.one), deployment('payments', '1.1.0-rc1', c.three, {
            step: 0, percent: 10, paused: false, steps: [{ percent: 10, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }],
          })),
          environment('dogfood', 0, deployment('payments', '1.2.0-rc1', c.four)),
          environment('canary', 1, deployment('payments', '1.1.0-rc1', c.three)),
          environment('staging', 3, null),
        ],
      },
      {
        name: 'other', repo: 'acme/other', description: null, created_at: at,
        environments: [environment('production', 0, deployment('other', '9.0.0-rc1', c.four))],
      },
    ];
  });
  after(() => {
    repo.remove();
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('prints the API.md JSON shape for the projects matching the remote, environments in ladder order', async () => {
    const result = await where([c.two!.slice(0, 8), '--repo', repo.dir, '--json'], projects);
    assert.equal(result.code, 0, result.stderr);
    const parsed = WhereResult.parse(JSON.parse(result.stdout));
    assert.deepEqual(parsed, {
      commit: c.two,
      projects: [{
        project: 'payments',
        environments: [
          { name: 'dogfood', release_candidate_version: '1.2.0-rc1', commit: c.four, contains: true },
          { name: 'canary', release_candidate_version: '1.1.0-rc1', commit: c.three, contains: true },
          { name: 'production', release_candidate_version: '1.0.0-rc1', commit: c.one, contains: false },
          { name: 'staging', release_candidate_version: null, commit: null, contains: false },
        ],
      }],
    });
  });

  it('prints one ✓ / ✗ line per environment for people, with the rollout that carries the commit', async () => {
    const result = await where(['v2', `--repo=${repo.dir}`], projects);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^${c.two!.slice(0, 12)} two \\(Ada Author, \\d{4}-\\d\\d-\\d\\d\\)$`));
    assert.match(lines[1] ?? '', /^payments {2}\(https:\/\/github.com\/acme\/payments\)$/);
    assert.match(lines[2] ?? '', /^ {2}✓ dogfood +1\.2\.0-rc1 +[0-9a-f]{7}$/);
    assert.match(lines[3] ?? '', /^ {2}✓ canary +1\.1\.0-rc1/);
    assert.match(lines[4] ?? '', /^ {2}✗ production +1\.0\.0-rc1 +[0-9a-f]{7} +rolling out 1\.1\.0-rc1 at 10%, which contains it$/);
    assert.match(lines[5] ?? '', /^ {2}✗ staging +— +nothing deployed$/);
    assert.equal(lines.length, 6);
  });

  it('resolves HEAD~3 and takes the server and token from the environment, --server first', async () => {
    const fromEnv = await where(['HEAD~3', '--json'], projects, { FLIGHTDECK_SERVER: 'http://env:1', FLIGHTDECK_TOKEN: 't0k' }, repo.dir);
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.equal((WhereResult.parse(JSON.parse(fromEnv.stdout))).commit, c.one);
    assert.deepEqual(fromEnv.calls, [{ serverUrl: 'http://env:1', token: 't0k' }]);
    const explicit = await where(['HEAD', '--server', 'http://flag:2', '--json'], projects, { FLIGHTDECK_SERVER: 'http://env:1' }, repo.dir);
    assert.deepEqual(explicit.calls, [{ serverUrl: 'http://flag:2', token: undefined }]);
    // No running embedded server recorded (FLIGHTDECK_HOME names where the CLI would find one): the default.
    const fallback = await where(['HEAD', '--json'], projects, { FLIGHTDECK_HOME: path.join(repo.dir, 'no-flightdeck-home') }, repo.dir);
    assert.deepEqual(fallback.calls, [{ serverUrl: 'http://127.0.0.1:7700', token: undefined }]);
  });

  it('shows every project when no project names this repository', async () => {
    const unrelated = projects.map((p) => ({ ...p, repo: `elsewhere/${p.name}` }));
    const result = await where([c.four!, '--repo', repo.dir, '--json'], unrelated);
    assert.deepEqual((WhereResult.parse(JSON.parse(result.stdout))).projects.map((p) => p.project), ['payments', 'other']);
    const human = await where([c.four!, '--repo', repo.dir], unrelated);
    assert.match(human.stderr, /showing every project/);
  });

  it('exits 2 with a clear message for a revision git cannot resolve, before asking the server', async () => {
    const result = await where(['no-such-rev', '--repo', repo.dir], projects);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown revision "no-such-rev"/);
    assert.equal(result.stdout, '');
    assert.equal(result.calls.length, 0);
  });

  it('exits 2 on usage errors and outside a repository', async () => {
    assert.equal((await where([], projects, {}, repo.dir)).code, 2);
    assert.equal((await where(['a', 'b'], projects, {}, repo.dir)).code, 2);
    assert.equal((await where(['HEAD', '--bogus'], projects, {}, repo.dir)).code, 2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-where-not-repo-'));
    try {
      process.env.GIT_CEILING_DIRECTORIES = path.dirname(dir);
      const result = await where(['HEAD', '--repo', dir], projects);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /is not a git repository/);
    } finally {
      delete process.env.GIT_CEILING_DIRECTORIES;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 when the server cannot be read', async () => {
    const result = await where(['HEAD', '--repo', repo.dir], new Error('connect ECONNREFUSED 127.0.0.1:7700'));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot read projects from http:\/\/127\.0\.0\.1:7700: connect ECONNREFUSED/);
  });

  it('saves the ancestry graph in its cache dir, not in the repository, and answers the same from it', async () => {
    const ownCache = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-where-own-cache-'));
    const snapshot = repo.gitDirSnapshot();
    try {
      const env = { FLIGHTDECK_CACHE_DIR: ownCache };
      const first = await where([c.two!, '--repo', repo.dir, '--json'], projects, env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(fs.readdirSync(ownCache).filter((name) => name.endsWith('.graph')).length, 1, 'saved before runWhere returned');
      const second = await where([c.two!, '--repo', repo.dir, '--json'], projects, env);
      assert.equal(second.stdout, first.stdout);
      assert.deepEqual(repo.gitDirSnapshot(), snapshot);
    } finally {
      fs.rmSync(ownCache, { recursive: true, force: true });
    }
  });

  it('finds its cache dir in FLIGHTDECK_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    const absolute = path.join(os.tmpdir(), 'xdg');
    assert.equal(ancestryCacheDir({ FLIGHTDECK_CACHE_DIR: absolute, XDG_CACHE_HOME: '/elsewhere' }), absolute);
    assert.equal(ancestryCacheDir({ XDG_CACHE_HOME: absolute }), path.join(absolute, 'flightdeck', 'ancestry'));
    const home = path.join(os.homedir(), '.cache', 'flightdeck', 'ancestry');
    assert.equal(ancestryCacheDir({ XDG_CACHE_HOME: 'relative/cache' }), home, 'a relative XDG_CACHE_HOME is ignored');
    assert.equal(ancestryCacheDir({ FLIGHTDECK_CACHE_DIR: '' }), home);
  });

  it('says ? (unknown) in a shallow clone rather than guessing', async () => {
    const shallow = repo.clone('--depth', '2');
    try {
      shallow.git('remote', 'set-url', 'origin', 'git@github.com:acme/payments.git');
      // The clone has `four` and `three` (its parents cut off). `four` is newer than canary's `three`,
      // so not in it; production's `one` is not in the clone at all: cannot tell.
      const json = WhereResult.parse(JSON.parse((await where(['HEAD', '--repo', shallow.dir, '--json'], projects)).stdout));
      assert.deepEqual(json.projects[0]?.environments.map((e) => [e.name, e.contains]), [
        ['dogfood', true], ['canary', false], ['production', 'unknown'], ['staging', false],
      ]);
      const human = await where(['HEAD', '--repo', shallow.dir], projects);
      assert.match(human.stdout, /\? production .*cannot tell: this shallow clone lacks the history to tell/);
    } finally {
      shallow.remove();
    }
  });
});
