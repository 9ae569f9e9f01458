// What the GitHub emulator knows about commits comes from a real git repository the test made: refs
// resolve to shas, and comparisons list real commits, with git itself (execFile, no shell).
import { execFileSync } from 'node:child_process';
import type { GitCommit } from './objects';

function git(dir: string, args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The full sha a ref names in `dir`, or undefined when git cannot resolve it. */
export function resolveRef(dir: string, ref: string): string | undefined {
  try {
    return git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) || undefined;
  } catch {
    return undefined;
  }
}

const FIELD = '\x1f';
const RECORD = '\x1e';

/** Commits reachable from `range` (git rev-list syntax), oldest first. */
export function commitsIn(dir: string, range: string): GitCommit[] {
  const out = git(dir, ['log', '--reverse', `--format=%H${FIELD}%P${FIELD}%T${FIELD}%an${FIELD}%ae${FIELD}%aI${FIELD}%B${RECORD}`, range]);
  return out.split(RECORD).map((r) => r.trim()).filter(Boolean).map((record) => {
    const [sha = '', parents = '', tree = '', author = '', email = '', date = '', message = ''] = record.split(FIELD);
    return { sha, parents: parents.split(' ').filter(Boolean), tree, author, email, date: new Date(date).toISOString().replace('.000Z', 'Z'), message: message.trim() };
  });
}

export function mergeBase(dir: string, a: string, b: string): string | undefined {
  try {
    return git(dir, ['merge-base', a, b]) || undefined;
  } catch {
    return undefined;
  }
}

export function commitMessage(dir: string, sha: string): string {
  return git(dir, ['log', '-1', '--format=%B', sha]);
}
