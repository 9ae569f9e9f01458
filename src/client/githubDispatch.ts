// Promote and rollback on GitHub: GitHub has no call that deploys, so a repository names in its project
// configuration a `workflow_dispatch` workflow that does (core/projectConfig, "github"). A promote or a
// rollback dispatches it with the configured inputs filled in, then finds the deployment the workflow
// made (or the job waiting for review), so the caller can follow it like any other.
import type { Deployment, Project, PromoteBody, RollbackBody } from '../api/schemas';
import { expectedCurrentConflict } from '../core/expectedCurrent';
import { rungBelow } from '../core/ladder';
import { fillWorkflowTemplate, type ConfiguredGitHubWorkflow, type WorkflowPlaceholder } from '../core/projectConfig';
import { BackendError } from './errors';
import type { GitHubTransport } from './githubHttp';
import { GitHubDeployment, parse, repoPath } from './githubWire';
import * as z from 'zod';

/** What the dispatcher needs from the backend. */
export interface DispatchHost {
  readonly transport: GitHubTransport;
  readonly now: () => number;
  /** The repository's overview (current per environment), or its error. */
  project(repo: string): Promise<Project>;
  /** A deployment of the repository with its newest status. */
  withStatus(repo: string, wire: GitHubDeployment): Promise<Deployment>;
  /** Jobs waiting for review in the repository. */
  waitingDeployments(repo: string): Promise<Deployment[]>;
  /** Deployments of one environment, newest first, with statuses. */
  deployments(repo: string, environment: string, perPage: number): Promise<Deployment[]>;
}

/** How long to look for the deployment a dispatched workflow makes (GitHub starts runs within seconds). */
const FIND_DELAYS_MS = [0, 1000, 2000, 4000, 8000];
const seg = encodeURIComponent;

type Values = Record<WorkflowPlaceholder, string>;

export async function promoteWithWorkflow(host: DispatchHost, repo: string, workflow: ConfiguredGitHubWorkflow, environment: string, body: PromoteBody): Promise<Deployment> {
  const project = await readable(host, repo);
  const target = environmentOf(project, environment);
  const source = body.from_environment ?? rungBelow(project, environment)?.name;
  if (source === undefined) throw new BackendError('invalid', `${environment} is the bottom rung of ${repo}: there is nothing below it to promote from`, 400);
  if (source === environment) throw new BackendError('invalid', `Cannot promote ${environment} into itself`, 400);
  const from = environmentOf(project, source).current;
  if (!from) throw new BackendError('invalid', `Nothing runs in ${source} of ${repo} to promote`, 400);
  if (body.release_candidate_version !== undefined && body.release_candidate_version !== from.release_candidate_version) {
    throw new BackendError('conflict', `Environment ${source} runs ${from.release_candidate_version}, not ${body.release_candidate_version}`, 409);
  }
  expectCurrent(body.expected_current, target.current);
  return dispatch(host, repo, workflow, { action: 'promote', environment, from_environment: source, commit: from.commit, candidate: from.release_candidate_version }, target.current);
}

export async function rollbackWithWorkflow(host: DispatchHost, repo: string, workflow: ConfiguredGitHubWorkflow, environment: string, body: RollbackBody): Promise<Deployment> {
  const project = await readable(host, repo);
  const target = environmentOf(project, environment);
  expectCurrent(body.expected_current, target.current);
  const history = await host.deployments(repo, environment, 30);
  const wanted = body.to_release_candidate_version;
  const back = wanted !== undefined
    ? history.find((d) => d.status === 'success' && d.release_candidate_version === wanted)
    : history.find((d) => d.status === 'success' && d.id !== target.current?.id && d.commit !== target.current?.commit);
  if (!back) {
    throw new BackendError('invalid', wanted !== undefined
      ? `${environment} of ${repo} never ran ${wanted} successfully (among its last 30 deployments)`
      : `${environment} of ${repo} has no earlier successful deployment to roll back to`, 400);
  }
  return dispatch(host, repo, workflow, { action: 'rollback', environment, from_environment: environment, commit: back.commit, candidate: back.release_candidate_version }, target.current);
}

async function readable(host: DispatchHost, repo: string): Promise<Project> {
  const project = await host.project(repo);
  if (project.error) throw new BackendError('not_found', project.error, 404);
  return project;
}

function environmentOf(project: Project, name: string) {
  const found = project.environments.find((e) => e.name === name);
  if (!found) throw new BackendError('not_found', `${project.name} has no environment ${name}`, 404);
  if (found.error) throw new BackendError('not_found', found.error, 404);
  return found;
}

function expectCurrent(expected: string | null | undefined, current: Deployment | null): void {
  if (expected === undefined) return;
  const actual = current?.release_candidate_version ?? null;
  const conflict = expectedCurrentConflict(expected, actual);
  if (conflict) throw new BackendError('conflict', conflict, 409, actual);
}

async function dispatch(host: DispatchHost, repo: string, workflow: ConfiguredGitHubWorkflow, values: Values, replaced: Deployment | null): Promise<Deployment> {
  const before = new Set((await deploymentsOf(host, repo, values)).map((d) => d.id));
  const inputs = Object.fromEntries(Object.entries(workflow.inputs).map(([name, text]) => [name, fillWorkflowTemplate(text, values)]));
  await host.transport.request('POST', `${repoPath(repo)}/actions/workflows/${seg(workflow.workflow)}/dispatches`, {
    ref: fillWorkflowTemplate(workflow.ref, values), inputs,
  });
  const mark = (d: Deployment): Deployment => ({
    ...d,
    kind: values.action === 'rollback' ? 'rollback' : 'promote',
    from_release_version: replaced?.release_version ?? null,
    from_release_candidate_version: replaced?.release_candidate_version ?? null,
  });
  for (const delay of FIND_DELAYS_MS) {
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const made = (await deploymentsOf(host, repo, values)).find((d) => !before.has(d.id));
    if (made) return mark(await host.withStatus(repo, made));
    const waiting = (await host.waitingDeployments(repo)).find((d) => d.environment_name === values.environment && d.commit === values.commit.toLowerCase());
    if (waiting) return mark(waiting);
  }
  throw new BackendError('server', `GitHub accepted the dispatch of ${workflow.workflow}, but no deployment of ${values.candidate} to ${values.environment} appeared within 15 s: see the workflow's runs on GitHub`, 504);
}

/** The environment's deployments of the commit (GitHub filters by sha), newest first. */
async function deploymentsOf(host: DispatchHost, repo: string, values: Values): Promise<GitHubDeployment[]> {
  const answer = await host.transport.request('GET', `${repoPath(repo)}/deployments?environment=${seg(values.environment)}&sha=${seg(values.commit)}&per_page=10`);
  return parse(z.array(GitHubDeployment), answer, 'deployments');
}

