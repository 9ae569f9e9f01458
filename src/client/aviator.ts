// Aviator Releases as a release backend. Aviator documents exactly five REST calls (aviatorHttp.ts sends
// them, and nothing else). Nothing lists projects or environments, nothing promotes, nothing streams
// events. So projects and their ladders come from configuration (core/projectConfig: `.flightdeck.json`
// and/or a setting), what is live comes from each environment's deployment list (assembled into projects
// and releases by aviatorProjects.ts), a promote is a create-deployment of the candidate live in the rung
// below, and freshness comes from polling (capabilities.events is false).
import type {
  ApprovalBody, BlockBody, Candidate, CreateDeploymentBody, Deployment, Environment, EnvironmentPatchBody,
  Healthz, PatchDeploymentBody, Project, ProjectSpecInput, PromoteBody, Release, RollbackBody,
} from '../api/schemas';
import { actionPlan } from '../core/actionPlan';
import { isTerminal } from '../core/deploymentStatus';
import { expectedCurrentConflict } from '../core/expectedCurrent';
import { EMPTY_PROJECT_CONFIG, PROJECT_CONFIG_FILE, type ConfiguredEnvironment, type ConfiguredProject, type ProjectConfig } from '../core/projectConfig';
import type { BackendCapabilities, BackendConnection, ReleaseBackend } from './backend';
import { AviatorHttp } from './aviatorHttp';
import {
  MAX_PER_PAGE, assembleProject, clampPage, configuredEnvironment, notConfigured, perEnvironmentError, pool, releasesOf, seenCandidates,
} from './aviatorProjects';
import { BackendError } from './errors';

export const AVIATOR_SAAS_URL = 'https://api.aviator.co';

/** What Aviator lacks, in words the UI can show next to a hidden or disabled action. */
export const AVIATOR_UNSUPPORTED = {
  events: 'Aviator has no event stream: the view polls for changes.',
  pauseResumeAbort: 'Aviator has no call to pause, resume or abort a deployment: use its web app or your pipeline.',
  freeze: 'Aviator has no call to freeze or unfreeze an environment: use its web app.',
  createProject: `Aviator has no call to create or change a project: create it in Aviator, then name it in ${PROJECT_CONFIG_FILE}.`,
  approvals: 'Aviator has no approval requests: approve in its web app.',
  block: 'Aviator has no call to block a release candidate: use its web app.',
} as const;

export type AviatorCapabilities = BackendCapabilities & {
  /** Why each missing capability is missing (AVIATOR_UNSUPPORTED). */
  readonly reasons: typeof AVIATOR_UNSUPPORTED;
};

/**
 * An environment Aviator could not answer for: an unknown project or environment (its 404 message, e.g.
 * `Release environment not found`), or one the token may not read. `current` and `active` are null and
 * `error` says why in the server's words, so the tree can show the environment with that message instead
 * of failing the whole view. Flightdeck's server never sets it.
 */
export type AviatorEnvironment = Environment;


export interface AviatorOptions extends BackendConnection {
  /** The configured projects, read on every listing so that edits to `.flightdeck.json` apply at once. */
  projects: () => ProjectConfig | Promise<ProjectConfig>;
  /** First request per environment (the usual case: something succeeded recently). Default 10. */
  firstPageSize?: number;
  /** Then pages of this size (Aviator's maximum is 100), at most `maxPages` of them. Defaults 100 and 5. */
  pageSize?: number;
  maxPages?: number;
  /** Environments fetched at once while listing (be kind to Aviator's rate limits). Default 6. */
  concurrency?: number;
  now?: () => number;
}

export class AviatorBackend implements ReleaseBackend {
  readonly kind = 'aviator' as const;
  readonly capabilities: AviatorCapabilities = {
    events: false,
    promote: true, // emulated: a create-deployment of the candidate live in the source environment
    pauseResumeAbort: false,
    freeze: false,
    createProject: false,
    approvals: false,
    block: false,
    reasons: AVIATOR_UNSUPPORTED,
  };
  readonly baseUrl: string;
  private readonly http: AviatorHttp;
  private readonly firstPageSize: number;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly createdAt: string;
  /** Candidates created through this backend (listReleases has no call of its own either). */
  private readonly createdCandidates = new Map<string, Candidate[]>();

  constructor(private readonly options: AviatorOptions) {
    this.firstPageSize = clampPage(options.firstPageSize ?? 10);
    this.pageSize = clampPage(options.pageSize ?? MAX_PER_PAGE);
    this.maxPages = Math.max(1, Math.floor(options.maxPages ?? 5));
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 6));
    this.now = options.now ?? Date.now;
    this.createdAt = new Date(this.now()).toISOString();
    this.http = new AviatorHttp(options, this.now);
    this.baseUrl = this.http.baseUrl;
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Aviator has no health call. This checks what the extension needs, reachability and the token, with
   * endpoint 4 on the first configured environment (one deployment). Its 404 still proves both.
   */
  async health(): Promise<Healthz> {
    const first = (await this.config()).projects[0];
    const env = first?.environments[0];
    if (first && env) {
      try {
        await this.fetchDeployments(first.name, env.name, 1, 1);
      } catch (error) {
        if (!(error instanceof BackendError) || error.kind !== 'not_found') throw error;
      }
    }
    return { ok: true, version: 'aviator' };
  }

  /**
   * Every configured project, environments in the configured ladder order. For each environment:
   * `current` is the newest `success` in its deployment list, paging until one is found (at most
   * firstPageSize + maxPages × pageSize deployments back; beyond that it reads as nothing deployed), and
   * `active` the newest non-terminal deployment among those read. An environment Aviator does not know
   * (404) or will not show (403, 400) carries `error` (see AviatorEnvironment); a 401, a network failure
   * or a malformed answer fails the whole listing, as with Flightdeck's server.
   */
  async listProjects(): Promise<Project[]> {
    const config = await this.config();
    if (config.projects.length === 0 && config.problems.length > 0) {
      throw new BackendError('invalid', `The project configuration has problems: ${config.problems.slice(0, 3).join('; ')}`);
    }
    return this.buildProjects(config.projects);
  }

  async getProject(project: string): Promise<Project> {
    const configured = await this.configuredProject(project);
    const [built] = await this.buildProjects([configured]);
    if (!built) throw notConfigured(project);
    return built;
  }

  listDeployments(project: string, environment: string, page = 1, perPage = 10): Promise<Deployment[]> {
    return this.fetchDeployments(project, environment, page, clampPage(perPage));
  }

  /**
   * Aviator cannot list releases. Derived from what can be seen: the candidates in the newest `pageSize`
   * deployments of each configured environment of the project, plus candidates created through this
   * backend, grouped by release, newest first. A candidate never deployed anywhere (and not created here)
   * is missing; `created_at` is the first time it was seen deployed.
   */
  async listReleases(project: string, page = 1, perPage = 10): Promise<Release[]> {
    const configured = await this.configuredProject(project);
    const lists = await pool(configured.environments, this.concurrency, (env) => this.fetchDeployments(project, env.name, 1, this.pageSize).catch((error: unknown) => {
      if (error instanceof BackendError && perEnvironmentError(error)) return [];
      throw error;
    }));
    return releasesOf(project, seenCandidates(this.createdCandidates.get(project) ?? [], lists.flat()), page, perPage);
  }

  /**
   * Aviator has no call for one deployment: looks for it in the list of the environment it was seen in
   * (else every configured environment of the project), paging as far as `current` does.
   */
  async getDeployment(project: string, id: string): Promise<Deployment> {
    const known = this.http.environmentOf(project, id);
    const environments = known ? [known] : (await this.configuredProject(project)).environments.map((e) => e.name);
    for (const environment of environments) {
      const { found } = await this.scan(project, environment, (list) => list.find((d) => d.id === id));
      if (found) return found;
    }
    throw new BackendError('not_found', 'Deployment not found', 404);
  }

  // ── changing ─────────────────────────────────────────────────────────────────────────────────

  /** Endpoint 1. Not part of ReleaseBackend; for the CLI and tests. */
  async createCandidate(project: string, candidate: string, body: { commit: string; repo?: string; trigger_build_workflow?: boolean }): Promise<void> {
    await this.http.createCandidate(project, candidate, body);
    const list = this.createdCandidates.get(project) ?? [];
    if (!list.some((c) => c.release_candidate_version === candidate)) {
      list.push({ release_candidate_version: candidate, commit: body.commit.toLowerCase(), created_at: new Date(this.now()).toISOString(), build_status: 'ready', blocked: null });
    }
    this.createdCandidates.set(project, list);
  }

  /** Endpoint 3: what a pipeline reports. Not part of ReleaseBackend; for the CLI and tests. */
  async reportStatus(project: string, environment: string, body: PatchDeploymentBody): Promise<Deployment> {
    return await this.http.reportStatus(project, environment, body) ?? this.findNewest(project, environment, body.release_candidate_version);
  }

  /**
   * Endpoint 2. Aviator has no `expected_current` precondition, so it is checked here, just before the
   * call, from the environment's deployment list: that narrows the window in which a stale screen can
   * act on a changed environment, but cannot close it as Flightdeck's server does (it checks in the same
   * transaction). The body sent is only what Aviator documents.
   */
  async deploy(project: string, environment: string, body: CreateDeploymentBody): Promise<Deployment> {
    if (body.expected_current !== undefined) await this.checkExpectedCurrent(project, environment, body.expected_current);
    return this.createDeployment(project, environment, body.release_candidate_version);
  }

  /**
   * Emulated (Aviator has no promote): the candidate live in the source environment (`from_environment`,
   * else the rung below in the configured ladder) is deployed with endpoint 2. `release_candidate_version`
   * and `expected_current`, when given, are checked client-side just before (see deploy()). The
   * deployment Aviator records has kind `deploy`: it cannot tell a promote from a deploy.
   */
  async promote(project: string, environment: string, body: PromoteBody): Promise<Deployment> {
    const configured = await this.configuredProject(project);
    const index = configured.environments.findIndex((e) => e.name === environment);
    if (index < 0) throw notConfigured(project, environment);
    const source = body.from_environment ?? configured.environments[index - 1]?.name;
    // The action plan's promote rule (core/actionPlan), as the tree and the palette apply it; Aviator
    // knows no freeze, protection or what runs in the target unless asked, so those stay the server's.
    const refusal = (current: Deployment | null) => {
      const plan = actionPlan({
        project,
        environment: { name: environment, frozen: false, protected: false, current: null, active: null },
        source: source === undefined ? null : { name: source, current: current ? { candidate: current.release_candidate_version, commit: current.commit } : null },
        capabilities: this.capabilities,
        role: 'unknown',
      });
      return plan.promote.available ? undefined : new BackendError('invalid', plan.promote.reason, 400);
    };
    if (source === undefined || source === environment) throw refusal(null);
    if (body.from_environment !== undefined && !configured.environments.some((e) => e.name === source)) throw notConfigured(project, source);
    const [from, to] = await Promise.all([
      this.state(project, source),
      body.expected_current !== undefined ? this.state(project, environment) : Promise.resolve(undefined),
    ]);
    const refused = refusal(from.current);
    if (refused || !from.current) throw refused;
    const candidate = from.current.release_candidate_version;
    if (body.release_candidate_version !== undefined && body.release_candidate_version !== candidate) {
      throw new BackendError('conflict', `Environment ${source} runs ${candidate}, not ${body.release_candidate_version}`, 409);
    }
    if (to && body.expected_current !== undefined) expectCurrent(body.expected_current, to.current);
    return this.createDeployment(project, environment, candidate);
  }

  /**
   * Endpoint 5. `force` and `to_release_candidate_version` are sent as given; `expected_current` is
   * checked client-side just before, as in deploy().
   */
  async rollback(project: string, environment: string, body: RollbackBody): Promise<Deployment> {
    if (body.expected_current !== undefined) await this.checkExpectedCurrent(project, environment, body.expected_current);
    const sent = {
      ...(body.force !== undefined ? { force: body.force } : {}),
      ...(body.to_release_candidate_version !== undefined ? { to_release_candidate_version: body.to_release_candidate_version } : {}),
    };
    return await this.http.rollback(project, environment, sent) ?? this.findNewest(project, environment, body.to_release_candidate_version);
  }

  putProject(_project: string, _spec: ProjectSpecInput): Promise<Project> {
    return Promise.reject(new BackendError('invalid', AVIATOR_UNSUPPORTED.createProject));
  }
  patchEnvironment(_project: string, _environment: string, _body: EnvironmentPatchBody): Promise<Environment> {
    return Promise.reject(new BackendError('invalid', AVIATOR_UNSUPPORTED.freeze));
  }
  pause(_project: string, _deploymentId: string): Promise<Deployment> {
    return Promise.reject(new BackendError('invalid', AVIATOR_UNSUPPORTED.pauseResumeAbort));
  }
  resume(_project: string, _deploymentId: string): Promise<Deployment> {
    return Promise.reject(new BackendError('invalid', AVIATOR_UNSUPPORTED.pauseResumeAbort));
  }
  abort(_project: string, _deploymentId: string): Promise<Deployment> {
    return Promise.reject(new BackendError('invalid', AVIATOR_UNSUPPORTED.pauseResumeAbort));
  }
  /** Aviator has no approval requests: the inbox is empty, never an error (the Approvals view lists every backend). */
  listApprovals(_project?: string): Promise<Deployment[]> {
    return Promise.resolve([]);
  }
  approve(_project: string, _deploymentId: string, _body: ApprovalBody): Promise<Deployment> {
    return Promise.reject(new BackendError('invalid', AVIATOR_UNSUPPORTED.approvals));
  }
  reject(_project: string, _deploymentId: string, _body: ApprovalBody): Promise<Deployment> {
    return Promise.reject(new BackendError('invalid', AVIATOR_UNSUPPORTED.approvals));
  }
  blockCandidate(_project: string, _candidate: string, _body: BlockBody): Promise<Release> {
    return Promise.reject(new BackendError('invalid', AVIATOR_UNSUPPORTED.block));
  }
  unblockCandidate(_project: string, _candidate: string): Promise<Release> {
    return Promise.reject(new BackendError('invalid', AVIATOR_UNSUPPORTED.block));
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────────

  private async config(): Promise<ProjectConfig> {
    return (await this.options.projects()) ?? EMPTY_PROJECT_CONFIG;
  }

  private async configuredProject(project: string): Promise<ConfiguredProject> {
    const found = (await this.config()).projects.find((p) => p.name === project);
    if (!found) throw notConfigured(project);
    return found;
  }

  private async buildProjects(projects: readonly ConfiguredProject[]): Promise<Project[]> {
    const jobs = projects.flatMap((project) => project.environments.map((env, position) => ({ project, env, position })));
    const environments = await pool(jobs, this.concurrency, ({ project, env, position }) => this.buildEnvironment(project.name, env, position));
    let next = 0;
    return projects.map((project) => {
      const envs = environments.slice(next, next + project.environments.length);
      next += project.environments.length;
      return assembleProject(project, envs, this.createdAt);
    });
  }

  private async buildEnvironment(project: string, env: ConfiguredEnvironment, position: number): Promise<AviatorEnvironment> {
    const base = configuredEnvironment(env, position);
    try {
      const { current, active } = await this.state(project, env.name);
      return { ...base, current, active };
    } catch (error) {
      if (error instanceof BackendError && perEnvironmentError(error)) return { ...base, error: error.message };
      throw error;
    }
  }

  /** `current` (newest success) and `active` (newest non-terminal) of one environment. */
  private async state(project: string, environment: string): Promise<{ current: Deployment | null; active: Deployment | null }> {
    const { list, found } = await this.scan(project, environment, (l) => l.find((d) => d.status === 'success'));
    return { current: found ?? null, active: list.find((d) => !isTerminal(d)) ?? null };
  }

  /**
   * Reads an environment's deployments newest first until `pick` finds something: one small page, then
   * up to `maxPages` pages of `pageSize`. Returns everything read and what was found.
   */
  private async scan<T>(project: string, environment: string, pick: (list: Deployment[]) => T | undefined): Promise<{ list: Deployment[]; found: T | undefined }> {
    const first = await this.fetchDeployments(project, environment, 1, this.firstPageSize);
    let found = pick(first);
    if (found !== undefined || first.length < this.firstPageSize) return { list: first, found };
    let list: Deployment[] = [];
    for (let page = 1; page <= this.maxPages; page++) {
      const batch = await this.fetchDeployments(project, environment, page, this.pageSize);
      // Page 1 of the bigger size repeats the small first page; the list stays newest first.
      list = page === 1 ? batch : list.concat(batch);
      found = pick(list);
      if (found !== undefined || batch.length < this.pageSize) break;
    }
    return { list, found };
  }

  private async checkExpectedCurrent(project: string, environment: string, expected: string | null): Promise<void> {
    const { current } = await this.state(project, environment);
    expectCurrent(expected, current);
  }

  private async createDeployment(project: string, environment: string, candidate: string): Promise<Deployment> {
    return await this.http.createDeployment(project, environment, candidate) ?? this.findNewest(project, environment, candidate);
  }

  /** Aviator documents an empty 201: the deployment just made is then the newest of that candidate. */
  private async findNewest(project: string, environment: string, candidate: string | undefined): Promise<Deployment> {
    const list = await this.fetchDeployments(project, environment, 1, this.firstPageSize);
    const found = candidate === undefined ? list[0] : list.find((d) => d.release_candidate_version === candidate);
    if (!found) throw new BackendError('malformed', `Aviator accepted the request but ${project}/${environment} does not list the deployment yet`);
    return found;
  }

  private fetchDeployments(project: string, environment: string, page: number, perPage: number): Promise<Deployment[]> {
    return this.http.listDeployments(project, environment, page, perPage);
  }
}

/** The server's `expected_current` rule (core/expectedCurrent), checked here because Aviator has no such field. */
function expectCurrent(expected: string | null, current: Deployment | null): void {
  const actual = current?.release_candidate_version ?? null;
  const conflict = expectedCurrentConflict(expected, actual);
  if (conflict) throw new BackendError('conflict', conflict, 409, actual);
}
