// `--kind github` for the client commands: the GitHub backend (src/client/github) with the token from
// GITHUB_TOKEN, else GH_TOKEN, and its ETags and bodies kept on disk, so a repeated command sends
// conditional requests too (a 304 costs no rate limit).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GITHUB_API_URL, GitHubBackend } from '../client/github';
import type { CachedResponse, ConditionalRequestCache } from '../client/githubHttp';
import { EMPTY_PROJECT_CONFIG, PROJECT_CONFIG_FILE, parseProjectConfigText, repoFromRemoteUrl, type ProjectConfig } from '../core/projectConfig';
import { describeError } from '../core/errors';
import { UsageError } from './args';

/** `$FLIGHTDECK_CACHE_DIR/github`, else `$XDG_CACHE_HOME/flightdeck/github`, else `~/.cache/flightdeck/github`. */
export function githubCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.FLIGHTDECK_CACHE_DIR) return path.join(path.resolve(env.FLIGHTDECK_CACHE_DIR), 'github');
  const cacheHome = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'flightdeck', 'github');
}

/**
 * One file per URL (named by its hash), readable by the user only: answers can describe private
 * repositories. The token is never written; a cached answer is only used after GitHub says 304 to it.
 */
export class FileConditionalCache implements ConditionalRequestCache {
  constructor(private readonly dir: string) {}

  get(key: string): CachedResponse | undefined {
    try {
      const value = JSON.parse(fs.readFileSync(this.file(key), 'utf8')) as Partial<CachedResponse> & { key?: string };
      if (value.key !== key || typeof value.etag !== 'string' || typeof value.body !== 'string') return undefined;
      return { etag: value.etag, body: value.body, ...(typeof value.link === 'string' ? { link: value.link } : {}) };
    } catch {
      return undefined; // missing or unreadable: an unconditional request
    }
  }

  set(key: string, value: CachedResponse): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const file = this.file(key);
      const temporary = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, JSON.stringify({ key, ...value }), { mode: 0o600 });
      fs.renameSync(temporary, file);
    } catch {
      // A cache that cannot be written costs rate limit next time, nothing else.
    }
  }

  private file(key: string): string {
    return path.join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
  }
}

export function githubToken(env: NodeJS.ProcessEnv): string | undefined {
  return env.GITHUB_TOKEN || env.GH_TOKEN || undefined;
}

/** The project configuration (ladder order, workflow) from `file` when it exists; its problems are a usage error. */
export function readOptionalProjectConfig(file: string): ProjectConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_PROJECT_CONFIG;
    throw new UsageError(`cannot read ${file}: ${describeError(error)}`);
  }
  const config = parseProjectConfigText(text, file);
  if (config.problems.length > 0) throw new UsageError(config.problems.join('\n'));
  return config;
}

export interface GitHubCliOptions {
  server: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Repositories named on the command line; else those the project configuration names. */
  repositories: readonly string[];
  projectsFile?: string;
}

export function githubBackend({ server, env, repositories, projectsFile }: GitHubCliOptions): GitHubBackend {
  const file = projectsFile ?? PROJECT_CONFIG_FILE;
  let config: ProjectConfig | undefined;
  const projects = (): ProjectConfig => (config ??= readOptionalProjectConfig(file));
  return new GitHubBackend({
    apiUrl: server ?? GITHUB_API_URL,
    token: () => githubToken(env),
    repositories: () => {
      if (repositories.length > 0) return repositories;
      const configured = projects().projects.map((p) => repoFromRemoteUrl(p.repo) ?? p.repo);
      if (configured.length > 0) return configured;
      throw new UsageError(`name a repository as owner/name (GitHub has no list of "your" repositories), or list projects in ${file}`);
    },
    projects,
    cache: new FileConditionalCache(githubCacheDir(env)),
  });
}
