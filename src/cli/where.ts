// `flightdeck where COMMIT [--repo DIR] [--server URL] [--json]`: which environments run a commit, by git
// ancestry (the same code the hover uses: src/core/containment over src/git).
import * as os from 'node:os';
import * as path from 'node:path';
import type { Project, WhereResult } from '../api/schemas';
import { whereIsCommit, type EnvironmentPresence, type ProjectPresence } from '../core/containment';
import { shortSha } from '../core/format';
import { repoFromRemoteUrl } from '../core/projectConfig';
import { GitNotFoundError, GitRepository, NotAGitRepositoryError, projectsForRemotes, repoMatchesRemote } from '../git';
import { optionString, parseArgs, UsageError, type ParsedArgs } from './args';
import { chooseServer } from './connection';
import { describeError } from '../core/errors';

export interface WhereIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  fetchProjects: (serverUrl: string, token: string | undefined) => Promise<Project[]>;
  /** `--kind github`: the repositories' overview from GitHub at `apiUrl` (undefined: the default API root). */
  fetchGitHubProjects?: (apiUrl: string | undefined, repositories: string[]) => Promise<Project[]>;
  /** Where `--repo` defaults to; the process's working directory when absent. */
  cwd?: string;
}

/**
 * The `--json` output is the contract's WhereResult (src/api/schemas): `contains` may be `"unknown"` when
 * this clone cannot tell (shallow history, deployed commit not fetched), because a guessed `false` would be wrong.
 */
const USAGE = 'usage: flightdeck where COMMIT [--repo DIR] [--server URL] [--json] [--kind github [--project OWNER/NAME]]';
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

export async function runWhere(argv: string[], io: WhereIo): Promise<number> {
  const fail = (code: number, message: string): number => {
    io.stderr(`flightdeck where: ${message}\n`);
    return code;
  };
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv, { values: ['repo', 'server', 'kind', 'project'], flags: ['json', 'help'] });
  } catch (error) {
    if (error instanceof UsageError) return fail(EXIT_USAGE, `${error.message}\n${USAGE}`);
    throw error;
  }
  if (parsed.options.has('help')) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const [revision, ...extra] = parsed.positionals;
  if (revision === undefined || extra.length > 0) return fail(EXIT_USAGE, USAGE);
  const repoDir = optionString(parsed, 'repo') ?? io.cwd ?? process.cwd();
  const json = parsed.options.has('json');

  let repository: GitRepository;
  let commit: string | undefined;
  try {
    repository = await GitRepository.open(repoDir, { cacheDir: ancestryCacheDir(io.env) });
    commit = await repository.resolve(revision);
  } catch (error) {
    if (error instanceof NotAGitRepositoryError) return fail(EXIT_USAGE, error.message);
    if (error instanceof GitNotFoundError) return fail(EXIT_FAILURE, error.message);
    throw error;
  }
  if (commit === undefined) {
    return fail(EXIT_USAGE, `unknown revision "${revision}": git cannot resolve it to a commit in ${repository.repoDir}`);
  }

  const kind = optionString(parsed, 'kind') ?? (io.env.FLIGHTDECK_SERVER_KIND || 'flightdeck');
  if (kind !== 'flightdeck' && kind !== 'github') return fail(EXIT_USAGE, `--kind must be flightdeck or github for where, not ${kind}`);
  if (kind === 'github') return whereOnGitHub(io, parsed, repository, commit, json);
  if (optionString(parsed, 'project') !== undefined) return fail(EXIT_USAGE, '--project is for --kind github (a Flightdeck server is matched by the remotes)');
  const choice = chooseServer(optionString(parsed, 'server'), io.env);
  const server = choice.url;
  // The server and git answer at the same time (a script pays for every millisecond of a run).
  const [fetched, remoteUrls] = await Promise.all([
    io.fetchProjects(server, choice.token).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    repository.remoteUrls(),
  ]);
  if (!fetched.ok) {
    return fail(EXIT_FAILURE, `cannot read projects from ${server}: ${describeError(fetched.error)}`);
  }
  const allProjects = fetched.value;
  const remotes = remoteUrls.map((remote) => remote.url);
  const projects = projectsForRemotes(allProjects, remotes);
  const presence = await whereIsCommit(commit, projects, repository);
  // Printed first; the process then waits for the graph it walked to be saved, so the next run skips the walk.
  try {
    return await printPresence(io, repository, commit, presence, { json, server, allProjects, projects, remotes });
  } finally {
    await repository.cacheWritten();
  }
}

/** `--kind github`: the repository is --project, else the owner/name path of the origin remote (any host). */
async function whereOnGitHub(io: WhereIo, parsed: ParsedArgs, repository: GitRepository, commit: string, json: boolean): Promise<number> {
  const remoteUrls = await repository.remoteUrls();
  const origin = remoteUrls.find((remote) => remote.name === 'origin') ?? remoteUrls[0];
  const named = optionString(parsed, 'project') ?? (origin ? repoFromRemoteUrl(origin.url)?.replace(/\.git$/, '') : undefined);
  if (named === undefined) {
    io.stderr(`flightdeck where: name the GitHub repository with --project OWNER/NAME (${repository.repoDir} has no origin remote)\n`);
    return EXIT_USAGE;
  }
  if (!io.fetchGitHubProjects) throw new Error('where --kind github needs fetchGitHubProjects');
  const server = optionString(parsed, 'server');
  let projects: Project[];
  try {
    projects = await io.fetchGitHubProjects(server, [named]);
  } catch (error) {
    io.stderr(`flightdeck where: cannot read ${named} from GitHub: ${describeError(error)}\n`);
    return EXIT_FAILURE;
  }
  for (const project of projects) if (project.error) io.stderr(`flightdeck where: ${project.error}\n`);
  const presence = await whereIsCommit(commit, projects, repository);
  try {
    const remotes = remoteUrls.map((remote) => remote.url);
    return await printPresence(io, repository, commit, presence, { json, server: server ?? 'GitHub', allProjects: projects, projects, remotes });
  } finally {
    await repository.cacheWritten();
  }
}

/**
 * Where the ancestry graph is saved between runs: `$FLIGHTDECK_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/flightdeck/ancestry`, else `~/.cache/flightdeck/ancestry`. Never inside a repository.
 */
export function ancestryCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.FLIGHTDECK_CACHE_DIR) return path.resolve(env.FLIGHTDECK_CACHE_DIR);
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and to be ignored.
  const cacheHome = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'flightdeck', 'ancestry');
}

interface WhereContext {
  json: boolean;
  server: string;
  allProjects: readonly Project[];
  projects: readonly Project[];
  remotes: readonly string[];
}

async function printPresence(
  io: WhereIo,
  repository: GitRepository,
  commit: string,
  presence: readonly ProjectPresence[],
  { json, server, allProjects, projects, remotes }: WhereContext,
): Promise<number> {
  if (json) {
    io.stdout(`${JSON.stringify(toWhereJson(commit, presence), null, 2)}\n`);
    return 0;
  }
  const info = await repository.commitInfo(commit);
  io.stdout(info ? `${shortSha(commit, 12)} ${info.subject} (${info.authorName}, ${info.authorDate.slice(0, 10)})\n` : `${commit}\n`);
  if (allProjects.length === 0) {
    io.stdout(`No projects on ${server}.\n`);
    return 0;
  }
  if (!projects.some((project) => remotes.some((url) => repoMatchesRemote(project.repo, url)))) {
    const why = remotes.length === 0 ? 'this repository has no remote' : 'no project\'s repo matches this repository\'s remotes';
    io.stderr(`flightdeck where: ${why}; showing every project.\n`);
  }
  const unknownHint = (await repository.isShallow())
    ? 'this shallow clone lacks the history to tell (git fetch --unshallow)'
    : 'the deployed commit is not in this clone (git fetch)';
  for (const project of presence) io.stdout(formatProjectPresence(project, repoLabel(allProjects, project.project), unknownHint));
  return 0;
}

export function toWhereJson(commit: string, presence: readonly ProjectPresence[]): WhereResult {
  return {
    commit,
    projects: presence.map((project) => ({
      project: project.project,
      environments: project.environments.map((environment) => ({
        name: environment.name,
        release_candidate_version: environment.release_candidate_version,
        commit: environment.commit,
        contains: environment.contains,
      })),
    })),
  };
}

const MARK: Record<string, string> = { true: '✓', false: '✗', unknown: '?' };

/** One line per environment, ladder order: `✓ canary  1.4.0-rc2  a1b2c3d`. */
export function formatProjectPresence(project: ProjectPresence, repo: string | undefined, unknownHint: string): string {
  const rows = project.environments.map((environment) => presenceRow(environment, unknownHint));
  const widths = [0, 1, 2].map((column) => Math.max(0, ...rows.map((row) => (row[column] ?? '').length)));
  const lines = rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}`);
  const heading = repo ? `${project.project}  (${repo})` : project.project;
  return `${heading}\n${lines.length > 0 ? `${lines.join('\n')}\n` : '  (no environments)\n'}`;
}

function presenceRow(environment: EnvironmentPresence, unknownHint: string): string[] {
  const mark = MARK[String(environment.contains)] ?? '?';
  const notes: string[] = [];
  if (environment.commit === null) notes.push('nothing deployed');
  if (environment.contains === 'unknown') notes.push(`cannot tell: ${unknownHint}`);
  if (environment.rollout && environment.contains !== true) {
    const paused = environment.rollout.paused ? ', paused' : '';
    notes.push(`rolling out ${environment.rollout.release_candidate_version} at ${environment.rollout.percent}%${paused}, which contains it`);
  }
  return [
    `${mark} ${environment.name}`,
    environment.release_candidate_version ?? '—',
    environment.commit ? shortSha(environment.commit) : '',
    notes.join('; '),
  ];
}

function repoLabel(projects: readonly Project[], name: string): string | undefined {
  return projects.find((project) => project.name === name)?.repo;
}
