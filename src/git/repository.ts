// The git adapter: everything Flightdeck asks of the user's repository, read-only. Every command is
// `git -C repoDir <read-only subcommand>` through execFile (no shell); nothing here writes refs, config,
// objects or the index, fetches, or starts a gc.
import * as path from 'node:path';
import type { AncestryOracle, Containment } from '../core/containment';
import { AncestryIndex, isFullSha, type AncestryCacheStats, type AncestryIndexOptions } from './ancestry';
import { GitCommandError, runGit } from './exec';
import { fileSignature } from './gitDirFiles';
import { LruCache } from './lruCache';
import { parseRemoteVerbose, type RemoteUrl } from './remotes';

export interface CommitInfo {
  sha: string;
  subject: string;
  authorName: string;
  authorEmail: string;
  /** ISO 8601 with the author's offset, as git recorded it. */
  authorDate: string;
}

/** What `blame` returns for a line that is not committed yet (git's all-zero commit). */
export const UNCOMMITTED = 'uncommitted';

export interface BlameOptions {
  /** The editor's buffer when it differs from the file on disk (`git blame --contents -`). */
  contents?: string;
}

export type GitRepositoryOptions = AncestryIndexOptions;

const FIELD = '\x1f';
const COMMIT_FORMAT = ['%H', '%s', '%an', '%ae', '%aI'].join('%x1f');
const ALL_ZEROS = /^0+$/;

/** Where `git rev-parse` says a repository keeps its files, resolved against the repository directory. */
interface GitPaths {
  shallowFile: string;
  commonDir: string;
  indexFile: string;
}

export class GitRepository implements AncestryOracle {
  readonly ancestry: AncestryIndex;
  private readonly commitInfos = new LruCache<string, CommitInfo>(2048);
  /** Keyed by path and the index file's signature: `git add` or `git rm --cached` rewrites the index. */
  private readonly tracked = new LruCache<string, boolean>(4096);
  private readonly indexFile: string;

  private constructor(readonly repoDir: string, options: GitRepositoryOptions, paths: GitPaths) {
    this.ancestry = new AncestryIndex(repoDir, options, { shallowFile: paths.shallowFile, commonDir: paths.commonDir });
    this.indexFile = paths.indexFile;
  }

  /**
   * Opens the repository containing `dir`. Rejects with `GitNotFoundError` when git is not installed and
   * `NotAGitRepositoryError` when `dir` is not inside a repository.
   */
  static async open(dir: string, options: GitRepositoryOptions = {}): Promise<GitRepository> {
    const repoDir = path.resolve(dir);
    // One process checks this is a repository and finds the files read later (answers in argument order).
    const { stdout } = await runGit(repoDir, ['rev-parse', '--git-dir', '--git-path', 'shallow', '--git-common-dir', '--git-path', 'index']);
    const [gitDir, shallowFile, commonDir, indexFile] = stdout.split('\n').map((line) => line.trim());
    const resolved = (found: string | undefined, fallback: string): string => path.resolve(repoDir, found || fallback);
    return new GitRepository(repoDir, options, {
      shallowFile: resolved(shallowFile, path.join('.git', 'shallow')),
      commonDir: resolved(commonDir, gitDir || '.git'),
      indexFile: resolved(indexFile, path.join('.git', 'index')),
    });
  }

  /** The full sha of any revision git resolves (short sha, tag, `HEAD~3`, branch), or undefined. */
  async resolve(rev: string): Promise<string | undefined> {
    const name = rev.trim();
    if (!isRevisionName(name)) return undefined;
    const { stdout, exitCode } = await runGit(this.repoDir, ['rev-parse', '--verify', '--quiet', `${name}^{commit}`], {
      okExitCodes: [1, 128],
    });
    const sha = stdout.trim().toLowerCase();
    return exitCode === 0 && isFullSha(sha) ? sha : undefined;
  }

  async isShallow(): Promise<boolean> {
    const { stdout } = await runGit(this.repoDir, ['rev-parse', '--is-shallow-repository']);
    return stdout.trim() === 'true';
  }

  /** Subject and author of a commit (cached: commits never change), or undefined when it is not here. */
  async commitInfo(sha: string): Promise<CommitInfo | undefined> {
    const key = sha.toLowerCase();
    const cached = this.commitInfos.get(key);
    if (cached) return cached;
    if (!isRevisionName(sha)) return undefined;
    const { stdout, exitCode } = await runGit(
      this.repoDir,
      ['show', '-s', '--no-show-signature', `--format=${COMMIT_FORMAT}`, `${sha}^{commit}`, '--'],
      { okExitCodes: [128] },
    );
    if (exitCode !== 0) return undefined;
    const [info] = parseCommitLines(stdout);
    if (info && isFullSha(key)) this.commitInfos.set(key, info);
    return info;
  }

  isAncestor(ancestor: string, descendant: string): Promise<Containment> {
    return this.ancestry.isAncestor(ancestor, descendant);
  }

  containsAll(commit: string, tips: readonly string[]): Promise<Containment[]> {
    return this.ancestry.containsAll(commit, tips);
  }

  /** Loads the history behind deployed commits ahead of the first hover. */
  prepare(tips: readonly string[]): Promise<void> {
    return this.ancestry.prepare(tips);
  }

  cacheStats(): AncestryCacheStats {
    return this.ancestry.cacheStats();
  }

  /** Resolves when the ancestry graph saved to `cacheDir` is on disk: await it before a process exits. */
  cacheWritten(): Promise<void> {
    return this.ancestry.cacheWritten();
  }

  /**
   * Whether git tracks `file` (relative to the repository directory or absolute): in the index, committed
   * or only added. Untracked and ignored files are not. Cached until the index changes.
   */
  async isTracked(file: string): Promise<boolean> {
    const key = `${path.resolve(this.repoDir, file)}\0${await fileSignature(this.indexFile)}`;
    const cached = this.tracked.get(key);
    if (cached !== undefined) return cached;
    // Literal pathspecs: a file named `*.ts` must not match every other file. Exit 128: git refuses the
    // path (outside the repository, inside a submodule), so this repository does not track it.
    const { stdout, exitCode } = await runGit(this.repoDir, ['--literal-pathspecs', 'ls-files', '-z', '--', file], { okExitCodes: [128] });
    const tracked = exitCode === 0 && stdout !== '';
    this.tracked.set(key, tracked);
    return tracked;
  }

  /**
   * The commit that last changed line `line` (1-based) of `file` (relative to the repository directory or
   * absolute): a full sha, or `UNCOMMITTED` for a line changed in the working tree (or in `contents`).
   * Undefined for a file git does not track: no line of it belongs to a commit, not even a future one.
   */
  async blame(file: string, line: number, options: BlameOptions = {}): Promise<string | undefined> {
    if (!Number.isInteger(line) || line < 1) throw new RangeError(`Blame needs a line number from 1, got ${line}.`);
    if (!(await this.isTracked(file))) return undefined;
    const args = ['blame', '--porcelain', '-L', `${line},${line}`];
    if (options.contents !== undefined) args.push('--contents', '-');
    args.push('--', file);
    let stdout: string;
    try {
      ({ stdout } = await runGit(this.repoDir, args, options.contents !== undefined ? { input: options.contents } : {}));
    } catch (error) {
      if (!(error instanceof GitCommandError)) throw error;
      // Tracked but in no commit yet (no commit at all, or git versions that refuse a file only added to
      // the index): every line of it is uncommitted.
      if (/no such path .* in HEAD|no such ref: HEAD/.test(error.stderr)) return UNCOMMITTED;
      throw new Error(`Cannot blame ${file}:${line}: ${error.message.replace(/^git .*? failed: /, '')}`);
    }
    const sha = /^([0-9a-f]{40}|[0-9a-f]{64}) /.exec(stdout)?.[1];
    if (sha === undefined) throw new Error(`Cannot blame ${file}:${line}: unexpected output from git blame.`);
    return ALL_ZEROS.test(sha) ? UNCOMMITTED : sha;
  }

  /**
   * Commits reachable from `to` but not from `from`, newest first (`git log from..to`): what a promote
   * from `from` to `to` would bring. `from` null: everything up to `to`. At most `limit` commits.
   */
  async commitsBetween(from: string | null, to: string, limit = 1000): Promise<CommitInfo[]> {
    const range = rangeArgument(from, to);
    const { stdout } = await runGit(this.repoDir, [
      'log', '--no-show-signature', `--format=${COMMIT_FORMAT}`, `--max-count=${Math.max(0, Math.floor(limit))}`, range, '--',
    ]);
    return parseCommitLines(stdout);
  }

  /** How many commits `commitsBetween(from, to)` would list without a limit. */
  async countBetween(from: string | null, to: string): Promise<number> {
    const { stdout } = await runGit(this.repoDir, ['rev-list', '--count', rangeArgument(from, to), '--']);
    return Number.parseInt(stdout.trim(), 10);
  }

  /** Every remote's URLs (fetch and push, `insteadOf` applied), each once. */
  async remoteUrls(): Promise<RemoteUrl[]> {
    const { stdout } = await runGit(this.repoDir, ['remote', '-v']);
    return parseRemoteVerbose(stdout);
  }
}

/** A name safe to hand git as a revision: not empty, not an option, no control characters. */
function isRevisionName(rev: string): boolean {
  // eslint-disable-next-line no-control-regex
  return rev !== '' && !rev.startsWith('-') && !/[\x00-\x1f\x7f]/.test(rev);
}

function rangeArgument(from: string | null, to: string): string {
  for (const rev of from === null ? [to] : [from, to]) {
    if (!isRevisionName(rev) || rev.includes('..')) throw new TypeError(`Not a revision: "${rev}".`);
  }
  return from === null ? to : `${from}..${to}`;
}

function parseCommitLines(stdout: string): CommitInfo[] {
  const commits: CommitInfo[] = [];
  for (const line of stdout.split('\n')) {
    const [sha, subject, authorName, authorEmail, authorDate] = line.split(FIELD);
    if (sha === undefined || !isFullSha(sha) || authorDate === undefined) continue;
    commits.push({ sha, subject: subject ?? '', authorName: authorName ?? '', authorEmail: authorEmail ?? '', authorDate });
  }
  return commits;
}
