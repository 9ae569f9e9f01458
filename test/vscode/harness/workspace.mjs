// The workspace folder VS Code opens in the test tiers: a fresh git repo in a temp dir, so suites and
// scenarios that use git (blame, ancestry, remotes) have something real to work on.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Identity for test commits: CI machines have no global git config, and tests must not need one. */
export const TEST_GIT_ENV = {
  GIT_AUTHOR_NAME: 'Flightdeck Test', GIT_AUTHOR_EMAIL: 'test@flightdeck.invalid',
  GIT_COMMITTER_NAME: 'Flightdeck Test', GIT_COMMITTER_EMAIL: 'test@flightdeck.invalid',
};

/** The `origin` of every test workspace; a project seeded for it uses repo `flightdeck-test/payments`. */
export const TEST_REMOTE = 'https://github.com/flightdeck-test/payments.git';

/**
 * Creates a git repo on `main` with origin TEST_REMOTE and one commit per entry of `commits`
 * (each `{ message, files: { path: content } }`). Returns the folder and the commit SHAs, oldest first.
 */
export function makeGitWorkspace({
  dir = mkdtempSync(join(tmpdir(), 'flightdeck-workspace-')),
  commits = [{ message: 'Initial commit', files: { 'README.md': '# payments\n' } }],
} = {}) {
  mkdirSync(dir, { recursive: true });
  // GIT_CONFIG_GLOBAL/NOSYSTEM: the developer's git config (signing, hooks, templates) must not shape
  // this repo; the identity comes from TEST_GIT_ENV.
  const env = { ...process.env, ...TEST_GIT_ENV, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  const git = (...args) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8', stdio: 'pipe' }).trim();
  git('init', '--quiet', '--initial-branch=main');
  git('remote', 'add', 'origin', TEST_REMOTE);
  const shas = [];
  for (const { message, files } of commits) {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    git('add', '--all');
    git('commit', '--quiet', '-m', message);
    shas.push(git('rev-parse', 'HEAD'));
  }
  return { dir, shas };
}
