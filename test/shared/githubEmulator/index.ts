// A GitHub REST emulator for the tests (GitHub cannot be reached from CI): a real HTTP server on loopback
// answering the Deployments, Environments and Actions endpoints the GitHub backend calls, its commits read
// from real git repositories. It behaves as GitHub documents: ETag / If-None-Match (a 304 costs no rate
// limit), Link pagination (per_page ≤ 100), x-ratelimit-* headers, 403 when the limit is used up, 429 with
// retry-after, 401 for a bad token, 404 for a repository the token cannot see, an optional base path
// (/api/v3, as GitHub Enterprise Server). Every answer is validated against GitHub's OpenAPI description
// (openapi.ts); `violations` lists what failed, and tests assert it stays empty.
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { commitMessage, commitsIn, mergeBase, resolveRef } from './gitState';
import * as o from './objects';
import { contractViolations } from './openapi';
import { handlers, type Answer, type Context } from './handlers';
import { match } from './routes';

export interface EmulatorToken {
  login: string;
  /** Whether the token's user is a required reviewer of environments with reviewers. */
  canReview: boolean;
  /** Repositories the token can see; default all. */
  repositories?: string[];
  /** Whether it may read Actions (workflow runs); default true. A fine-grained token may not. */
  actions?: boolean;
}

export interface EmulatorOptions {
  /** `/api/v3` to answer as GitHub Enterprise Server does; default '' (api.github.com). */
  basePath?: string;
  /** Token → who it is. Default: `gh-test-token` is octocat, a reviewer. */
  tokens?: Record<string, EmulatorToken>;
  rateLimit?: number;
  now?: () => number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  status: number;
  /** Whether it counted against the rate limit (a 304 does not). */
  cost: number;
}

export interface RepositoryState {
  fullName: string;
  id: number;
  gitDir: string;
  environments: o.EnvironmentRecord[];
  deployments: o.DeploymentRecord[];
  runs: o.RunRecord[];
  workflows: { id: number; path: string }[];
}

export const DEFAULT_TOKEN = 'gh-test-token';

export class GitHubEmulator {
  readonly requests: RequestRecord[] = [];
  readonly violations: string[] = [];
  /** Every accepted workflow_dispatch, in order. */
  readonly dispatches: { repository: string; workflow: string; ref: string; inputs: Record<string, unknown> }[] = [];
  readonly repositories = new Map<string, RepositoryState>();
  readonly tokens: Record<string, EmulatorToken>;
  readonly basePath: string;
  readonly now: () => number;
  rate: { limit: number; remaining: number; resetAt: number };
  /** Answer the next N requests with 429 and this retry-after. */
  private throttle: { count: number; retryAfter: number } | undefined;
  private nextId = 1000;
  private server: http.Server | undefined;
  origin = '';

  constructor(options: EmulatorOptions = {}) {
    this.basePath = (options.basePath ?? '').replace(/\/+$/, '');
    this.tokens = options.tokens ?? { [DEFAULT_TOKEN]: { login: 'octocat', canReview: true } };
    this.now = options.now ?? Date.now;
    const limit = options.rateLimit ?? 5000;
    this.rate = { limit, remaining: limit, resetAt: Math.ceil(this.now() / 1000) + 3600 };
  }

  /** The REST root clients are given (with the base path). */
  get url(): string {
    return `${this.origin}${this.basePath}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // A bug in the emulator must fail the test that met it, not hang its client.
        this.violations.push(`the emulator failed on ${req.method ?? '?'} ${req.url ?? '?'}: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'emulator error' }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  id(): number {
    return this.nextId++;
  }

  // ── building state ──────────────────────────────────────────────────────────────────────────

  addRepository(fullName: string, gitDir: string): RepositoryState {
    const state: RepositoryState = { fullName, id: this.id(), gitDir, environments: [], deployments: [], runs: [], workflows: [] };
    this.repositories.set(fullName.toLowerCase(), state);
    return state;
  }

  repo(fullName: string): RepositoryState {
    const state = this.repositories.get(fullName.toLowerCase());
    if (!state) throw new Error(`the emulator has no repository ${fullName}`);
    return state;
  }

  addEnvironment(fullName: string, name: string, { reviewers = false } = {}): o.EnvironmentRecord {
    const env = { id: this.id(), name, reviewers, createdAt: this.time() };
    this.repo(fullName).environments.push(env);
    return env;
  }

  /** A deployment of `ref` (a branch, tag or sha git resolves in the repository), optionally with statuses. */
  createDeployment(fullName: string, environment: string, ref: string, { creator = 'octocat', states = [] as o.StatusRecord['state'][] } = {}): o.DeploymentRecord {
    const repo = this.repo(fullName);
    const sha = resolveRef(repo.gitDir, ref);
    if (!sha) throw new Error(`git cannot resolve ${ref} in ${repo.gitDir}`);
    const deployment: o.DeploymentRecord = { id: this.id(), sha, ref, environment, creator, createdAt: this.time(), statuses: [] };
    repo.deployments.unshift(deployment);
    for (const state of states) this.addStatus(fullName, deployment.id, state);
    return deployment;
  }

  /**
   * A new status. A `success` makes the environment's earlier successful deployments `inactive`, as
   * GitHub's auto_inactive does.
   */
  addStatus(fullName: string, deploymentId: number, state: o.StatusRecord['state'], description = ''): void {
    const repo = this.repo(fullName);
    const deployment = repo.deployments.find((d) => d.id === deploymentId);
    if (!deployment) throw new Error(`no deployment ${deploymentId}`);
    if (state === 'success') {
      for (const other of repo.deployments) {
        if (other !== deployment && other.environment === deployment.environment && other.statuses[other.statuses.length - 1]?.state === 'success') {
          other.statuses.push({ id: this.id(), state: 'inactive', description: 'superseded', createdAt: this.time() });
        }
      }
    }
    deployment.statuses.push({ id: this.id(), state, description, createdAt: this.time() });
  }

  addWorkflow(fullName: string, path: string): { id: number; path: string } {
    const workflow = { id: this.id(), path: path.includes('/') ? path : `.github/workflows/${path}` };
    this.repo(fullName).workflows.push(workflow);
    return workflow;
  }

  /** A workflow run whose job waits for review before deploying `ref` to `environment`. */
  waitForReview(fullName: string, environment: string, ref: string, { actor = 'octocat', waitTimer = 0 } = {}): o.RunRecord {
    const repo = this.repo(fullName);
    const sha = resolveRef(repo.gitDir, ref);
    if (!sha) throw new Error(`git cannot resolve ${ref}`);
    const workflow = repo.workflows[0] ?? this.addWorkflow(fullName, 'deploy.yml');
    const run: o.RunRecord = {
      id: this.id(), workflowId: workflow.id, workflowPath: workflow.path, headSha: sha, headBranch: ref, event: 'push',
      status: 'waiting', conclusion: null, actor, createdAt: this.time(), waitingOn: [{ environment, waitTimer }],
    };
    repo.runs.unshift(run);
    return run;
  }

  setRateLimit(remaining: number, resetInSeconds = 3600): void {
    this.rate = { ...this.rate, remaining, resetAt: Math.ceil(this.now() / 1000) + resetInSeconds };
  }

  /** The next `count` requests are answered 429 with `retry-after: seconds` (a secondary rate limit). */
  throttleNext(count: number, seconds: number): void {
    this.throttle = { count, retryAfter: seconds };
  }

  /** Requests that counted against the rate limit since `mark` (take `requests.length` before acting). */
  costSince(mark: number): number {
    return this.requests.slice(mark).reduce((sum, r) => sum + r.cost, 0);
  }

  time(): string {
    return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  roots(): o.Roots {
    return { api: this.url, web: this.origin };
  }

  git = { commitMessage, commitsIn, mergeBase, resolveRef };

  // ── answering ───────────────────────────────────────────────────────────────────────────────

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.origin);
    const method = req.method ?? 'GET';
    let path = url.pathname;
    const record: RequestRecord = { method, path, query: url.search, status: 0, cost: 0 };
    this.requests.push(record);
    const send = (template: string | undefined, answer: Answer, cost: number): void => {
      const body = answer.body === undefined ? undefined : JSON.stringify(answer.body);
      if (template) this.violations.push(...contractViolations(method, template, answer.status, answer.body));
      else this.violations.push(`${method} ${path}: not an endpoint the emulator knows`);
      record.status = answer.status;
      record.cost = cost;
      res.writeHead(answer.status, {
        ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        'x-ratelimit-limit': String(this.rate.limit), 'x-ratelimit-remaining': String(Math.max(0, this.rate.remaining)),
        'x-ratelimit-used': String(this.rate.limit - Math.max(0, this.rate.remaining)), 'x-ratelimit-reset': String(this.rate.resetAt),
        'x-ratelimit-resource': 'core', 'x-github-api-version-selected': '2022-11-28', ...(answer.headers ?? {}),
      });
      res.end(body);
    };
    if (this.basePath && !path.startsWith(`${this.basePath}/`)) return send(undefined, { status: 404, body: o.basicError('Not Found', 404) }, 0);
    path = path.slice(this.basePath.length);
    const found = match(handlers, method, path);
    const template = found?.route.template;

    if (Math.ceil(this.now() / 1000) >= this.rate.resetAt) this.rate = { ...this.rate, remaining: this.rate.limit, resetAt: Math.ceil(this.now() / 1000) + 3600 };
    if (this.throttle && this.throttle.count > 0) {
      this.throttle.count--;
      return send(template, { status: 429, body: o.basicError('You have exceeded a secondary rate limit.', 429), headers: { 'retry-after': String(this.throttle.retryAfter) } }, 0);
    }
    if (this.rate.remaining <= 0) {
      return send(template, { status: 403, body: o.basicError('API rate limit exceeded for user.', 403) }, 0);
    }
    const token = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const who = token === undefined ? undefined : this.tokens[token];
    if (!who) {
      this.rate.remaining--;
      return send(template, { status: 401, body: o.basicError(token === undefined ? 'Requires authentication' : 'Bad credentials', 401) }, 1);
    }
    if (!found) return send(undefined, { status: 404, body: o.basicError('Not Found', 404) }, 1);
    let bodyJson: unknown;
    try {
      bodyJson = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      return send(template, { status: 400, body: o.basicError('Problems parsing JSON', 400) }, 1);
    }
    const context: Context = { emulator: this, params: found.params, query: url.searchParams, body: bodyJson, who, requestUrl: `${this.origin}${url.pathname}${url.search}` };
    const answer = found.route.handler(context);
    this.rate.remaining--;
    if (method === 'GET' && answer.status === 200) {
      const etag = `W/"${createHash('sha256').update(who.login).update(JSON.stringify(answer.body)).digest('hex').slice(0, 40)}"`;
      if (req.headers['if-none-match'] === etag) {
        this.rate.remaining++; // a 304 costs nothing
        return send(template, { status: 304, headers: { etag } }, 0);
      }
      answer.headers = { ...(answer.headers ?? {}), etag };
    }
    return send(template, answer, 1);
  }
}

export async function startGitHubEmulator(options: EmulatorOptions = {}): Promise<GitHubEmulator> {
  return new GitHubEmulator(options).start();
}
