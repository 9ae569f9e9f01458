// The GitHub emulator (test/shared/githubEmulator) as a process, for the UI tier's github scenario (plain
// .mjs, so it cannot import TypeScript): `node --import tsx test/vscode/ui/github-emulator.ts <repo dir>
// <token>` serves the repository as flightdeck-test/payments, prints one JSON line { url, repository,
// violations } when ready, and answers `violations` lines on stdin with the contract violations so far.
// It stops on SIGTERM or when stdin closes. State: dev, staging and production (production with a
// required reviewer) running the repository's last three release tags (or commits), and a deployment of
// the newest one to production waiting for review.
import { execFileSync } from 'node:child_process';
import * as readline from 'node:readline';
import { startGitHubEmulator } from '../../shared/githubEmulator';

const REPOSITORY = 'flightdeck-test/payments';
const [dirArg, tokenArg] = process.argv.slice(2);
if (!dirArg || !tokenArg) throw new Error('usage: github-emulator.ts <repo dir> <token>');
const dir: string = dirArg;
const token: string = tokenArg;

const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
const tags = git('tag', '--list', 'v*', '--sort=version:refname').split('\n').filter(Boolean);
// Oldest first: production runs the oldest, dev the newest.
const refs = tags.length >= 3 ? tags.slice(-3) : git('rev-list', '--max-count=3', 'HEAD').split('\n').reverse();
const [older, middle, newest] = [refs[0] ?? 'HEAD', refs[1] ?? refs[0] ?? 'HEAD', refs[2] ?? refs[1] ?? refs[0] ?? 'HEAD'];

async function main(): Promise<void> {
  const emulator = await startGitHubEmulator({ tokens: { [token]: { login: 'octocat', canReview: true } } });
  emulator.addRepository(REPOSITORY, dir);
  emulator.addEnvironment(REPOSITORY, 'production', { reviewers: true });
  emulator.addEnvironment(REPOSITORY, 'staging');
  emulator.addEnvironment(REPOSITORY, 'dev');
  emulator.createDeployment(REPOSITORY, 'production', older, { creator: 'grace', states: ['in_progress', 'success'] });
  emulator.createDeployment(REPOSITORY, 'production', middle, { creator: 'linus', states: ['in_progress', 'success'] });
  emulator.createDeployment(REPOSITORY, 'staging', middle, { creator: 'linus', states: ['success'] });
  emulator.createDeployment(REPOSITORY, 'staging', newest, { creator: 'ada', states: ['success'] });
  emulator.createDeployment(REPOSITORY, 'dev', newest, { creator: 'ada', states: ['in_progress'] });
  emulator.waitForReview(REPOSITORY, 'production', newest, { actor: 'ada' });

  const stop = async (): Promise<void> => {
    await emulator.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  const input = readline.createInterface({ input: process.stdin });
  input.on('line', (line) => {
    if (line.trim() === 'violations') console.log(JSON.stringify({ violations: emulator.violations }));
  });
  input.once('close', () => void stop());
  console.log(JSON.stringify({ url: emulator.url, repository: REPOSITORY, violations: emulator.violations }));
}

void main();
