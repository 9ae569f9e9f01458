// Real git repositories in a temp dir for the git adapter's tests. Identity and dates come from the
// environment of each git call (never from the user's global config), so dates can run backwards.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BASE_TIME = 1_760_000_000;

export function gitEnv(seconds: number = BASE_TIME): NodeJS.ProcessEnv {
  const date = `${seconds} +0000`;
  return {
    ...process.env,
    GIT_AUTHOR_NAME: 'Ada Author',
    GIT_AUTHOR_EMAIL: 'ada@example.com',
    GIT_COMMITTER_NAME: 'Cy Committer',
    GIT_COMMITTER_EMAIL: 'cy@example.com',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
  };
}

export class TempRepo {
  private clock = BASE_TIME;

  private constructor(readonly dir: string) {}

  static create(prefix = 'flightdeck-git-', initOptions: string[] = []): TempRepo {
    const repo = new TempRepo(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    repo.git('init', '-q', '-b', 'main', ...initOptions);
    return repo;
  }

  /**
   * A random history of `count` commits built with one `git fast-import`: branches off old commits,
   * merges (sometimes of branches that forked long ago), and committer dates that jump backwards.
   */
  static random(count: number, seed: number): TempRepo {
    const repo = TempRepo.create('flightdeck-random-');
    let state = seed >>> 0;
    const random = (): number => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
    const heads: number[] = [];
    let stream = '';
    for (let mark = 1; mark <= count; mark++) {
      const date = BASE_TIME + mark * 60 + (random() < 0.2 ? -Math.floor(random() * 86_400 * 30) : 0);
      const pick = (): number => heads[Math.floor(random() * heads.length)] as number;
      const parents = mark === 1 ? [] : random() < 0.2 && heads.length > 1 ? [pick(), pick()] : [random() < 0.7 ? mark - 1 : pick()];
      const ref = `refs/heads/b${mark % 7}`;
      stream += `commit ${ref}\nmark :${mark}\ncommitter C <c@example.com> ${date} +0000\ndata 2\nc${mark % 10}\n`;
      if (parents[0] !== undefined) stream += `from :${parents[0]}\n`;
      if (parents[1] !== undefined && parents[1] !== parents[0]) stream += `merge :${parents[1]}\n`;
      stream += `M 100644 inline f${mark % 5}\ndata ${String(mark).length}\n${mark}\n\n`;
      heads.push(mark);
      if (heads.length > 12) heads.splice(Math.floor(random() * heads.length), 1);
    }
    execFileSync('git', ['-C', repo.dir, 'fast-import', '--quiet'], { input: stream, env: gitEnv() });
    return repo;
  }

  /** A `git clone` of this repository into a new temp dir, e.g. `--depth 3` for a shallow one. */
  clone(...options: string[]): TempRepo {
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-clone-'));
    execFileSync('git', ['clone', '-q', ...options, `file://${this.dir}`, target], { env: gitEnv() });
    return new TempRepo(target);
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.dir, ...args], { env: gitEnv(this.clock), encoding: 'utf8' }).trim();
  }

  /** Commits a change to `file` (default: a file per message) at `date` seconds (default: the next tick). */
  commit(message: string, options: { date?: number; file?: string; content?: string } = {}): string {
    this.clock = options.date ?? this.clock + 60;
    const file = options.file ?? `${message.replace(/[^A-Za-z0-9]+/g, '-')}.txt`;
    fs.mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
    fs.writeFileSync(path.join(this.dir, file), options.content ?? `${message}\n`);
    this.git('add', '--', file);
    this.git('commit', '-q', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  merge(branch: string, message: string, date?: number): string {
    this.clock = date ?? this.clock + 60;
    this.git('merge', '-q', '--no-ff', '-m', message, branch);
    return this.git('rev-parse', 'HEAD');
  }

  checkout(branch: string, create = false): void {
    if (create) this.git('checkout', '-q', '-b', branch);
    else this.git('checkout', '-q', branch);
  }

  /** `base`, then `side` on a branch off it and `head` on main: two tips that share only `base`. */
  fork(): { base: string; side: string; head: string } {
    const base = this.commit('base');
    this.checkout('side', true);
    const side = this.commit('side');
    this.checkout('main');
    return { base, side, head: this.commit('head') };
  }

  /** git's own answer, the reference every fast answer is compared with. */
  mergeBaseIsAncestor(ancestor: string, descendant: string): boolean {
    const result = spawnSync('git', ['-C', this.dir, 'merge-base', '--is-ancestor', ancestor, descendant], { env: gitEnv() });
    if (result.status !== 0 && result.status !== 1) throw new Error(`merge-base failed: ${result.stderr.toString()}`);
    return result.status === 0;
  }

  allCommits(): string[] {
    return this.git('rev-list', '--all').split('\n').filter(Boolean);
  }

  /** A digest of every file under .git (refs, config, HEAD, index, objects, shallow…), path by path. */
  gitDirSnapshot(): Map<string, string> {
    const snapshot = new Map<string, string>();
    const gitDir = path.join(this.dir, '.git');
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else snapshot.set(path.relative(gitDir, full), createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
      }
    };
    walk(gitDir);
    return snapshot;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
