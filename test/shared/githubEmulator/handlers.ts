// The endpoints the GitHub emulator answers, as GitHub does (see index.ts). Templates are GitHub's own
// path templates, so each answer is validated against that operation in GitHub's OpenAPI description.
import type { EmulatorToken, GitHubEmulator, RepositoryState } from './index';
import * as o from './objects';
import { route, type Route } from './routes';

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Context {
  emulator: GitHubEmulator;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  who: EmulatorToken;
  requestUrl: string;
}

type Handler = (c: Context) => Answer;

const notFound = (): Answer => ({ status: 404, body: o.basicError('Not Found', 404) });

function repoOf(c: Context): RepositoryState | undefined {
  const fullName = `${c.params.owner}/${c.params.repo}`;
  const state = c.emulator.repositories.get(fullName.toLowerCase());
  if (!state) return undefined;
  if (c.who.repositories && !c.who.repositories.some((r) => r.toLowerCase() === fullName.toLowerCase())) return undefined;
  return state;
}

function owner(c: Context, repo: RepositoryState): Record<string, unknown> {
  return userFor(c, repo.fullName.split('/')[0] ?? 'owner');
}

function userFor(c: Context, login: string): Record<string, unknown> {
  let id = 0;
  for (const ch of login) id = (id * 31 + ch.charCodeAt(0)) % 1_000_000;
  return o.user(c.emulator.roots(), login, id + 1);
}

/** A page of `items` and GitHub's Link header (per_page default 30, at most 100). */
function paginate<T>(c: Context, items: readonly T[]): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(c.query.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(c.query.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number, rel: string): string => {
    const url = new URL(c.requestUrl);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(n));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links = [
    ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
    ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
  ];
  return { page: items.slice((page - 1) * perPage, page * perPage), headers: links.length ? { link: links.join(', ') } : {} };
}

function deploymentJson(c: Context, repo: RepositoryState, d: o.DeploymentRecord): unknown {
  return o.deployment(c.emulator.roots(), repo.fullName, d, userFor(c, d.creator));
}

const rateLimit: Handler = (c) => {
  const r = c.emulator.rate;
  const core = { limit: r.limit, remaining: r.remaining, reset: r.resetAt, used: r.limit - r.remaining };
  return { status: 200, body: { resources: { core, search: { ...core, limit: 30, remaining: 30, used: 0 } }, rate: core } };
};

const listEnvironments: Handler = (c) => {
  const repo = repoOf(c);
  if (!repo) return notFound();
  const { page, headers } = paginate(c, repo.environments);
  const reviewer = userFor(c, 'octocat');
  return { status: 200, headers, body: { total_count: repo.environments.length, environments: page.map((e) => o.environment(c.emulator.roots(), repo.fullName, e, reviewer)) } };
};

const listDeployments: Handler = (c) => {
  const repo = repoOf(c);
  if (!repo) return notFound();
  const environment = c.query.get('environment');
  const sha = c.query.get('sha');
  const ref = c.query.get('ref');
  const list = repo.deployments.filter((d) => (environment === null || d.environment === environment) && (sha === null || d.sha === sha) && (ref === null || d.ref === ref));
  const { page, headers } = paginate(c, list);
  return { status: 200, headers, body: page.map((d) => deploymentJson(c, repo, d)) };
};

function findDeployment(c: Context): { repo: RepositoryState; deployment: o.DeploymentRecord } | undefined {
  const repo = repoOf(c);
  const deployment = repo?.deployments.find((d) => String(d.id) === c.params.deployment_id);
  return repo && deployment ? { repo, deployment } : undefined;
}

const getDeployment: Handler = (c) => {
  const found = findDeployment(c);
  return found ? { status: 200, body: deploymentJson(c, found.repo, found.deployment) } : notFound();
};

const listStatuses: Handler = (c) => {
  const found = findDeployment(c);
  if (!found) return notFound();
  const newestFirst = [...found.deployment.statuses].reverse();
  const { page, headers } = paginate(c, newestFirst);
  return { status: 200, headers, body: page.map((s) => o.deploymentStatus(c.emulator.roots(), found.repo.fullName, found.deployment, s, userFor(c, found.deployment.creator))) };
};

const listRuns: Handler = (c) => {
  const repo = repoOf(c);
  if (!repo) return notFound();
  if (c.who.actions === false) return { status: 403, body: o.basicError('Resource not accessible by personal access token', 403) };
  const status = c.query.get('status');
  const runs = repo.runs.filter((r) => status === null || r.status === status || r.conclusion === status);
  const { page, headers } = paginate(c, runs);
  const repository = o.minimalRepository(c.emulator.roots(), repo.fullName, repo.id, owner(c, repo));
  return {
    status: 200, headers,
    body: { total_count: runs.length, workflow_runs: page.map((r) => o.workflowRun(c.emulator.roots(), repo.fullName, r, userFor(c, r.actor), repository, c.emulator.git.commitMessage(repo.gitDir, r.headSha))) },
  };
};

function findRun(c: Context): { repo: RepositoryState; run: o.RunRecord } | undefined {
  const repo = repoOf(c);
  const run = repo?.runs.find((r) => String(r.id) === c.params.run_id);
  return repo && run ? { repo, run } : undefined;
}

const getRun: Handler = (c) => {
  const found = findRun(c);
  if (!found) return notFound();
  const { repo, run } = found;
  if (c.who.actions === false) return { status: 403, body: o.basicError('Resource not accessible by personal access token', 403) };
  const repository = o.minimalRepository(c.emulator.roots(), repo.fullName, repo.id, owner(c, repo));
  return { status: 200, body: o.workflowRun(c.emulator.roots(), repo.fullName, run, userFor(c, run.actor), repository, c.emulator.git.commitMessage(repo.gitDir, run.headSha)) };
};

const listPending: Handler = (c) => {
  const found = findRun(c);
  if (!found) return notFound();
  const { repo, run } = found;
  const reviewer = userFor(c, 'octocat');
  const body = run.waitingOn.flatMap((w) => {
    const env = repo.environments.find((e) => e.name === w.environment);
    return env ? [o.pendingDeployment(c.emulator.roots(), repo.fullName, env, w.waitTimer, run.createdAt, c.who.canReview, reviewer)] : [];
  });
  return { status: 200, body };
};

const reviewPending: Handler = (c) => {
  const found = findRun(c);
  if (!found) return notFound();
  const { repo, run } = found;
  const body = c.body as { environment_ids?: unknown; state?: unknown; comment?: unknown } | undefined;
  const ids = Array.isArray(body?.environment_ids) ? body.environment_ids : undefined;
  if (!ids || (body?.state !== 'approved' && body?.state !== 'rejected') || typeof body.comment !== 'string') {
    return { status: 422, body: o.basicError('Invalid request: environment_ids, state and comment are required', 422) };
  }
  if (!c.who.canReview) return { status: 403, body: o.basicError('You are not a required reviewer of these environments', 403) };
  const envs = repo.environments.filter((e) => ids.includes(e.id) && run.waitingOn.some((w) => w.environment === e.name));
  if (envs.length === 0) return { status: 422, body: o.basicError('No pending deployment for these environments', 422) };
  run.waitingOn = run.waitingOn.filter((w) => !envs.some((e) => e.name === w.environment));
  if (body.state === 'rejected') {
    run.status = 'completed';
    run.conclusion = 'failure';
    return { status: 200, body: [] };
  }
  if (run.waitingOn.length === 0) run.status = 'in_progress';
  const created = envs.map((e) => c.emulator.createDeployment(repo.fullName, e.name, run.headBranch, { creator: run.actor, states: ['queued'] }));
  return { status: 200, body: created.map((d) => deploymentJson(c, repo, d)) };
};

const dispatch: Handler = (c) => {
  const repo = repoOf(c);
  const workflow = repo?.workflows.find((w) => String(w.id) === c.params.workflow_id || w.path.endsWith(`/${c.params.workflow_id}`));
  if (!repo || !workflow) return notFound();
  const body = c.body as { ref?: unknown; inputs?: Record<string, unknown> } | undefined;
  if (typeof body?.ref !== 'string') return { status: 422, body: o.basicError('Invalid request: "ref" is required', 422) };
  const inputs = body.inputs ?? {};
  const environment = typeof inputs.environment === 'string' ? inputs.environment : undefined;
  const deployRef = typeof inputs.sha === 'string' ? inputs.sha : typeof inputs.ref === 'string' ? inputs.ref : body.ref;
  const sha = c.emulator.git.resolveRef(repo.gitDir, deployRef);
  if (!sha || !c.emulator.git.resolveRef(repo.gitDir, body.ref)) return { status: 422, body: o.basicError(`No ref found for: ${body.ref}`, 422) };
  c.emulator.dispatches.push({ repository: repo.fullName, workflow: workflow.path, ref: body.ref, inputs });
  const env = repo.environments.find((e) => e.name === environment);
  const run: o.RunRecord = {
    id: c.emulator.id(), workflowId: workflow.id, workflowPath: workflow.path, headSha: sha, headBranch: deployRef, event: 'workflow_dispatch',
    status: env?.reviewers ? 'waiting' : 'in_progress', conclusion: null, actor: c.who.login, createdAt: c.emulator.time(),
    waitingOn: env?.reviewers ? [{ environment: env.name, waitTimer: 0 }] : [],
  };
  repo.runs.unshift(run);
  // The workflow's deploy job: a deployment of what the inputs name, in progress (the test completes it).
  if (env && !env.reviewers) c.emulator.createDeployment(repo.fullName, env.name, deployRef, { creator: c.who.login, states: ['in_progress'] });
  return { status: 204 };
};

const compare: Handler = (c) => {
  const repo = repoOf(c);
  if (!repo) return notFound();
  const [base = '', head = ''] = (c.params.basehead ?? '').split('...');
  const git = c.emulator.git;
  const baseSha = git.resolveRef(repo.gitDir, base);
  const headSha = git.resolveRef(repo.gitDir, head);
  if (!baseSha || !headSha) return notFound();
  const mergeBaseSha = git.mergeBase(repo.gitDir, baseSha, headSha) ?? baseSha;
  const ahead = git.commitsIn(repo.gitDir, `${baseSha}..${headSha}`);
  const behind = git.commitsIn(repo.gitDir, `${headSha}..${baseSha}`);
  const [baseCommit] = git.commitsIn(repo.gitDir, `${baseSha}^!`);
  const [mergeBaseCommit] = git.commitsIn(repo.gitDir, `${mergeBaseSha}^!`);
  const roots = c.emulator.roots();
  const status = ahead.length === 0 && behind.length === 0 ? 'identical' : behind.length === 0 ? 'ahead' : ahead.length === 0 ? 'behind' : 'diverged';
  const url = `${roots.api}/repos/${repo.fullName}/compare/${base}...${head}`;
  return {
    status: 200,
    body: {
      url, html_url: `${roots.web}/${repo.fullName}/compare/${base}...${head}`, permalink_url: url, diff_url: `${url}.diff`, patch_url: `${url}.patch`,
      base_commit: baseCommit ? o.commit(roots, repo.fullName, baseCommit) : undefined,
      merge_base_commit: mergeBaseCommit ? o.commit(roots, repo.fullName, mergeBaseCommit) : undefined,
      status, ahead_by: ahead.length, behind_by: behind.length, total_commits: ahead.length,
      commits: ahead.slice(-250).map((commit) => o.commit(roots, repo.fullName, commit)), files: [],
    },
  };
};

export const handlers: readonly Route<Handler>[] = [
  route('GET', '/rate_limit', rateLimit),
  route('GET', '/repos/{owner}/{repo}/environments', listEnvironments),
  route('GET', '/repos/{owner}/{repo}/deployments', listDeployments),
  route('GET', '/repos/{owner}/{repo}/deployments/{deployment_id}', getDeployment),
  route('GET', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', listStatuses),
  route('GET', '/repos/{owner}/{repo}/actions/runs', listRuns),
  route('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}', getRun),
  route('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments', listPending),
  route('POST', '/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments', reviewPending),
  route('POST', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', dispatch),
  route('GET', '/repos/{owner}/{repo}/compare/{basehead}', compare),
];
