// GitHub Deployments as a release backend (API.md "Other backends: GitHub Deployments"): a project is a
// repository `owner/name`, its environments are the repository's environments, and what runs where is
// read from each environment's deployments and their newest statuses. GitHub has no event stream, so the
// views poll; every GET is conditional (githubHttp), so an unchanged poll costs no rate limit.
import type {
  ApprovalBody, BlockBody, CreateDeploymentBody, Deployment, Environment, EnvironmentPatchBody, Healthz, Project,
  ProjectSpecInput, PromoteBody, Release, RollbackBody,
} from '../api/schemas';
import { orderByNameLadder, strategyForEnvironmentName, tierForEnvironmentName } from '../core/environmentNameLadder';
import { EMPTY_PROJECT_CONFIG, PROJECT_CONFIG_FILE, repoFromRemoteUrl, type ConfiguredProject, type ProjectConfig } from '../core/projectConfig';
import type { BackendCapabilities, ReleaseBackend } from './backend';
import { findPendingReview, listPendingReviews, submitReview, type PendingReview } from './githubApprovals';
import { promoteWithWorkflow, rollbackWithWorkflow, type DispatchHost } from './githubDispatch';
import { BackendError } from './errors';
import {
  GitHubTransport, MemoryConditionalCache, type ConditionalRequestCache, type GitHubAnswer, type GitHubRateLimit,
} from './githubHttp';
import {
  GitHubComparison, GitHubDeployment, GitHubDeploymentStatus, GitHubEnvironmentList,
  checkRepository, nextLink, parse, parsePendingDeploymentId, perProjectError, pool, releasesFromDeployments, repoPath, toDeployment,
  type GitHubEnvironment,
} from './githubWire';
import * as z from 'zod';

export type { ConditionalRequestCache, GitHubRateLimit } from './githubHttp';
export { MemoryConditionalCache } from './githubHttp';
export { checkRepository } from './githubWire';

export const GITHUB_API_URL = 'https://api.github.com';

/** What GitHub lacks, in words the UI can show next to a hidden or disabled action. */
export const GITHUB_UNSUPPORTED = {
  events: 'GitHub has no event stream for deployments: the view polls while the window is focused.',
  pauseResumeAbort: 'GitHub has no call to pause, resume or abort a deployment: cancel its workflow run on GitHub.',
  freeze: 'GitHub has no freeze: use a deployment protection rule in the environment\'s settings on GitHub.',
  createProject: 'Projects are GitHub repositories: create environments in the repository\'s settings on GitHub.',
  block: 'GitHub has no way to block a release candidate.',
  deploy: 'GitHub deployments are made by workflows: name a workflow_dispatch workflow to promote with.',
  promote: `Promote and rollback need a workflow_dispatch workflow: name it for the repository in ${PROJECT_CONFIG_FILE} ("github": {"workflow": "deploy.yml", …}).`,
} as const;

export interface GitHubBackendOptions {
  /** REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  /** Asked before each request (a VS Code session can change); undefined sends none. Never logged. */
  token: () => Promise<string | undefined> | string | undefined;
  /** Repositories to show, `owner/name` (workspace remotes + flightdeck.github.repositories: the caller decides). */
  repositories: () => Promise<readonly string[]> | readonly string[];
  /** .flightdeck.json / flightdeck.projects: ladder order, and how to promote (workflow_dispatch), per repository. */
  projects: () => ProjectConfig | Promise<ProjectConfig>;
  /** ETag + body store for conditional requests; default in-memory. The CLI passes one on disk. */
  cache?: ConditionalRequestCache;
  now?: () => number;
  timeoutMs?: number;
}

export type GitHubCapabilities = BackendCapabilities & { readonly reasons: typeof GITHUB_UNSUPPORTED };

/** One commit between two deployed commits (GET …/compare/{base}...{head}). */
export interface ComparedCommit {
  sha: string;
  message: string;
  author: string | null;
  date: string | null;
  url: string | null;
}

const seg = encodeURIComponent;
/** The first read of an environment's deployments: enough when something succeeded recently. */
const FIRST_PAGE = 10;
const PAGE = 100;
/** Deployments read back at most per environment while looking for the current one. */
const MAX_PAGES = 5;
const CONCURRENCY = 4;

export class GitHubBackend implements ReleaseBackend {
  readonly kind = 'github' as const;
  readonly baseUrl: string;
  private readonly transport: GitHubTransport;
  private readonly now: () => number;
  /** A project's created_at when GitHub shows no environment to date it by. */
  private readonly createdAt: string;
  private readonly caps = {
    events: false, promote: false, pauseResumeAbort: false, freeze: false, createProject: false, approvals: true, block: false, deploy: false,
    reasons: GITHUB_UNSUPPORTED,
  };

  constructor(private readonly options: GitHubBackendOptions) {
    this.now = options.now ?? Date.now;
    this.transport = new GitHubTransport({
      apiUrl: options.apiUrl,
      token: options.token,
      cache: options.cache ?? new MemoryConditionalCache(),
      now: this.now,
      timeoutMs: options.timeoutMs ?? 15_000,
    });
    this.baseUrl = this.transport.apiUrl;
    this.createdAt = new Date(this.now()).toISOString();
  }

  /** `promote` is true once a read configuration names a workflow for any repository (promoteUnavailable() says for which). */
  get capabilities(): GitHubCapabilities {
    return this.caps;
  }

  rateLimit(): GitHubRateLimit | undefined {
    return this.transport.rateLimit();
  }

  /** Reachability and the token: GET /rate_limit, which costs no rate limit. */
  async health(): Promise<Healthz> {
    await this.transport.request('GET', '/rate_limit');
    return { ok: true, version: 'github' };
  }

  async listProjects(): Promise<Project[]> {
    const [repositories, config] = await Promise.all([this.options.repositories(), this.config()]);
    const unique = [...new Map(repositories.map((r) => [r.toLowerCase(), r])).values()];
    return pool(unique, CONCURRENCY, (repository) => this.buildProject(repository, config));
  }

  async getProject(project: string): Promise<Project> {
    return this.buildProject(checkRepository(project), await this.config());
  }

  async listDeployments(project: string, environment: string, page = 1, perPage = 10): Promise<Deployment[]> {
    const repo = checkRepository(project);
    const size = Math.min(PAGE, Math.max(1, Math.floor(perPage)));
    const answer = await this.transport.request('GET', `${repoPath(repo)}/deployments?environment=${seg(environment)}&per_page=${size}&page=${Math.max(1, Math.floor(page))}`);
    const list = parse(z.array(GitHubDeployment), answer, 'deployments');
    return Promise.all(list.map(async (d) => toDeployment(repo, d, await this.newestStatus(repo, d.id))));
  }

  /** GitHub has no releases of this kind: derived from the repository's newest 100 deployments (one request). */
  async listReleases(project: string, page = 1, perPage = 10): Promise<Release[]> {
    const repo = checkRepository(project);
    const answer = await this.transport.request('GET', `${repoPath(repo)}/deployments?per_page=${PAGE}`);
    const releases = releasesFromDeployments(repo, parse(z.array(GitHubDeployment), answer, 'deployments'));
    const size = Math.min(PAGE, Math.max(1, Math.floor(perPage)));
    const start = (Math.max(1, Math.floor(page)) - 1) * size;
    return releases.slice(start, start + size);
  }

  async getDeployment(project: string, id: string): Promise<Deployment> {
    const repo = checkRepository(project);
    const pending = parsePendingDeploymentId(id);
    if (pending) return (await findPendingReview(this.transport, repo, id)).deployment;
    if (!/^\d+$/.test(id)) throw new BackendError('not_found', `GitHub has no deployment ${id} in ${repo}`, 404);
    const wire = parse(GitHubDeployment, await this.transport.request('GET', `${repoPath(repo)}/deployments/${id}`), 'deployment');
    return toDeployment(repo, wire, await this.newestStatus(repo, wire.id));
  }

  /** Commits in `head` and not in `base`, oldest first: what a promote would bring (GET …/compare). */
  async compareCommits(project: string, base: string, head: string): Promise<ComparedCommit[]> {
    const repo = checkRepository(project);
    const answer = await this.transport.request('GET', `${repoPath(repo)}/compare/${seg(base)}...${seg(head)}?per_page=100`);
    return parse(GitHubComparison, answer, 'comparison').commits.map((c) => ({
      sha: c.sha.toLowerCase(),
      message: c.commit.message,
      author: c.author?.login ?? c.commit.author?.name ?? null,
      date: c.commit.author?.date ?? null,
      url: c.html_url ?? null,
    }));
  }

  // ── promote and rollback: a configured workflow_dispatch workflow (githubDispatch) ─────────────────

  /** Why promote and rollback are unavailable for this repository, or undefined when a workflow is configured. */
  async promoteUnavailable(project: string): Promise<string | undefined> {
    return this.configuredFor(checkRepository(project), await this.config())?.github ? undefined : GITHUB_UNSUPPORTED.promote;
  }

  async promote(project: string, environment: string, body: PromoteBody): Promise<Deployment> {
    const repo = checkRepository(project);
    const config = await this.config();
    const workflow = this.configuredFor(repo, config)?.github;
    if (!workflow) return refuse(GITHUB_UNSUPPORTED.promote);
    return promoteWithWorkflow(this.dispatchHost(config), repo, workflow, environment, body);
  }

  async rollback(project: string, environment: string, body: RollbackBody): Promise<Deployment> {
    const repo = checkRepository(project);
    const config = await this.config();
    const workflow = this.configuredFor(repo, config)?.github;
    if (!workflow) return refuse(GITHUB_UNSUPPORTED.promote);
    return rollbackWithWorkflow(this.dispatchHost(config), repo, workflow, environment, body);
  }

  private dispatchHost(config: ProjectConfig): DispatchHost {
    return {
      transport: this.transport,
      now: this.now,
      project: (repo) => this.buildProject(repo, config),
      withStatus: async (repo, wire) => toDeployment(repo, wire, await this.newestStatus(repo, wire.id)),
      waitingDeployments: async (repo) => (await listPendingReviews(this.transport, repo)).map((p) => p.deployment),
      deployments: (repo, environment, perPage) => this.listDeployments(repo, environment, 1, perPage),
    };
  }

  // ── approvals ────────────────────────────────────────────────────────────────────────────────

  async listApprovals(project?: string): Promise<Deployment[]> {
    const repositories = project === undefined ? await this.options.repositories() : [checkRepository(project)];
    const lists = await pool([...repositories], CONCURRENCY, async (repo) => {
      try {
        return await listPendingReviews(this.transport, repo);
      } catch (error) {
        // One repository the token cannot see must not hide the others' requests.
        if (project === undefined && error instanceof BackendError && perProjectError(error)) return [];
        throw error;
      }
    });
    return lists.flat().map((p) => p.deployment).sort((a, b) => a.deploy_start_at.localeCompare(b.deploy_start_at));
  }

  approve(project: string, deploymentId: string, body: ApprovalBody): Promise<Deployment> {
    return submitReview(this.transport, this.now, checkRepository(project), deploymentId, 'approved', body);
  }

  reject(project: string, deploymentId: string, body: ApprovalBody): Promise<Deployment> {
    return submitReview(this.transport, this.now, checkRepository(project), deploymentId, 'rejected', body);
  }

  // ── what GitHub cannot do ────────────────────────────────────────────────────────────────────

  putProject(_project: string, _spec: ProjectSpecInput): Promise<Project> {
    return refuse(GITHUB_UNSUPPORTED.createProject);
  }
  patchEnvironment(_project: string, _environment: string, _body: EnvironmentPatchBody): Promise<Environment> {
    return refuse(GITHUB_UNSUPPORTED.freeze);
  }
  pause(): Promise<Deployment> {
    return refuse(GITHUB_UNSUPPORTED.pauseResumeAbort);
  }
  resume(): Promise<Deployment> {
    return refuse(GITHUB_UNSUPPORTED.pauseResumeAbort);
  }
  abort(): Promise<Deployment> {
    return refuse(GITHUB_UNSUPPORTED.pauseResumeAbort);
  }
  blockCandidate(_project: string, _candidate: string, _body: BlockBody): Promise<Release> {
    return refuse(GITHUB_UNSUPPORTED.block);
  }
  unblockCandidate(_project: string, _candidate: string): Promise<Release> {
    return refuse(GITHUB_UNSUPPORTED.block);
  }
  deploy(_project: string, _environment: string, _body: CreateDeploymentBody): Promise<Deployment> {
    return refuse(GITHUB_UNSUPPORTED.deploy);
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────────

  protected async config(): Promise<ProjectConfig> {
    const config = (await this.options.projects()) ?? EMPTY_PROJECT_CONFIG;
    this.caps.promote = config.projects.some((p) => p.github !== undefined);
    return config;
  }

  /** The configured project of a repository: the one whose `repo` names it (owner/name or a git URL). */
  protected configuredFor(repo: string, config: ProjectConfig): ConfiguredProject | undefined {
    const wanted = repo.toLowerCase();
    return config.projects.find((p) => (repoFromRemoteUrl(p.repo) ?? p.repo).replace(/\.git$/, '').toLowerCase() === wanted);
  }

  private async buildProject(repo: string, config: ProjectConfig): Promise<Project> {
    const configured = this.configuredFor(repo, config);
    const project: Project = { name: repo, repo, description: configured?.description ?? null, created_at: this.createdAt, environments: [] };
    let onGitHub: GitHubEnvironment[];
    let reviews: PendingReview[];
    try {
      [onGitHub, reviews] = await Promise.all([
        this.environments(repo),
        // A token that may read deployments but not Actions (a fine-grained token) still sees the ladder.
        listPendingReviews(this.transport, repo).catch((error: unknown) => {
          if (error instanceof BackendError && perProjectError(error)) return [];
          throw error;
        }),
      ]);
    } catch (error) {
      if (!(error instanceof BackendError) || !perProjectError(error)) throw error;
      // The repository is unreadable: its configured environments (if any) carry why, and so does the project.
      const message = `${repo}: ${error.message}`;
      return { ...project, error: message, environments: (configured?.environments ?? []).map((e, position) => ({ ...blankEnvironment(e.name, position), tier: e.tier, strategy: e.strategy, error: message })) };
    }
    const known = new Set(onGitHub.map((e) => e.name));
    // A repository's creation is not read (one more request per poll): its oldest environment dates it.
    const oldest = onGitHub.map((e) => Date.parse(String(e.created_at))).filter(Number.isFinite).sort((a, b) => a - b)[0];
    if (oldest !== undefined) project.created_at = new Date(oldest).toISOString();
    const configuredNames = configured?.environments.map((e) => e.name) ?? [];
    const rest = orderByNameLadder(onGitHub.map((e) => e.name).filter((n) => !configuredNames.includes(n)));
    const names = [...configuredNames, ...rest];
    project.environments = await pool(names, CONCURRENCY, async (name, position) => {
      const spec = configured?.environments.find((e) => e.name === name);
      const base = { ...blankEnvironment(name, position), ...(spec ? { tier: spec.tier, strategy: spec.strategy } : {}) };
      const required = onGitHub.find((e) => e.name === name)?.protection_rules?.some((r) => r.type === 'required_reviewers');
      if (required) base.required_approvals = 1;
      if (!known.has(name)) return { ...base, error: `GitHub has no environment ${name} in ${repo} (it is named in the project configuration)` };
      try {
        const { current, active } = await this.state(repo, name);
        const waiting = reviews.find((r) => r.deployment.environment_name === name)?.deployment ?? null;
        return { ...base, current, active: active ?? waiting };
      } catch (error) {
        if (error instanceof BackendError && perProjectError(error)) return { ...base, error: error.message };
        throw error;
      }
    });
    return project;
  }

  private async environments(repo: string): Promise<GitHubEnvironment[]> {
    const all: GitHubEnvironment[] = [];
    let path: string | undefined = `${repoPath(repo)}/environments?per_page=${PAGE}`;
    for (let page = 0; path && page < 10; page++) {
      const answer: GitHubAnswer = await this.transport.request('GET', path);
      all.push(...(parse(GitHubEnvironmentList, answer, 'environments').environments ?? []));
      path = nextLink(answer.link);
    }
    return all;
  }

  /** `current` (newest whose newest status is success) and `active` (newest not terminal), reading no further than needed. */
  private async state(repo: string, environment: string): Promise<{ current: Deployment | null; active: Deployment | null }> {
    let active: Deployment | null = null;
    const seen = new Set<number>();
    const base = `${repoPath(repo)}/deployments?environment=${seg(environment)}`;
    let path: string | undefined = `${base}&per_page=${FIRST_PAGE}`;
    for (let page = 0; path && page <= MAX_PAGES; page++) {
      const answer: GitHubAnswer = await this.transport.request('GET', path);
      const list = parse(z.array(GitHubDeployment), answer, 'deployments');
      for (const wire of list) {
        if (seen.has(wire.id)) continue; // the bigger page 1 repeats the small first page
        seen.add(wire.id);
        const newest = await this.newestStatus(repo, wire.id);
        const deployment = toDeployment(repo, wire, newest);
        if (newest?.state === 'success') return { current: deployment, active };
        if (!active && newest?.state !== undefined && ['queued', 'pending', 'waiting', 'in_progress'].includes(newest.state)) active = deployment;
        if (!active && newest === undefined) active = deployment;
      }
      path = page === 0 ? (list.length < FIRST_PAGE ? undefined : `${base}&per_page=${PAGE}`) : nextLink(answer.link);
    }
    return { current: null, active };
  }

  private async newestStatus(repo: string, id: number): Promise<GitHubDeploymentStatus | undefined> {
    const answer = await this.transport.request('GET', `${repoPath(repo)}/deployments/${id}/statuses?per_page=1`);
    return parse(z.array(GitHubDeploymentStatus), answer, 'deployment statuses')[0];
  }

}

function blankEnvironment(name: string, position: number): Environment {
  return {
    name, tier: tierForEnvironmentName(name), position, strategy: strategyForEnvironmentName(name),
    protected: false, frozen: false, steps: null, auto_promote: null, health_check: null,
    deploy: { type: 'none', command: null, url: null }, required_approvals: 0, current: null, active: null,
  };
}

function refuse<T>(reason: string): Promise<T> {
  return Promise.reject(new BackendError('invalid', reason, 400));
}
