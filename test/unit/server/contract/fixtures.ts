// Shared setup for the contract suites: a standard ladder, candidates, and pipeline-style reporting.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Deployment, Project, type ProjectSpecInput } from '../../../../src/api/schemas';
import type { TestServer } from '../../helpers/server';

/** A deterministic 40-hex commit for candidate number `n`. */
export function commitFor(n: number): string {
  return n.toString(16).padStart(40, 'c');
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** dogfood (0) → canary (1) → rollout (2, 3 steps) → production (3). */
export function standardLadder(overrides: Partial<ProjectSpecInput> = {}): ProjectSpecInput {
  return {
    repo: 'acme/payments',
    description: 'test project',
    environments: [
      { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
      { name: 'canary', tier: 'production', position: 1, strategy: 'canary' },
      {
        name: 'rollout', tier: 'production', position: 2, strategy: 'rollout',
        steps: [{ percent: 1, soak_seconds: 60 }, { percent: 10, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }],
      },
      { name: 'production', tier: 'production', position: 3, strategy: 'standard' },
    ],
    ...overrides,
  };
}

/** Creates a project with the standard ladder and candidates 1.0.0-rc1 … 1.0.0-rcN. */
export async function createProject(server: TestServer, options: { prefix?: string; candidates?: number; spec?: ProjectSpecInput } = {}): Promise<string> {
  const name = uniqueName(options.prefix ?? 'proj');
  const put = await server.request('PUT', `/api/releases/${name}`, options.spec ?? standardLadder());
  assert.equal(put.status, 201, JSON.stringify(put.body));
  Project.parse(put.body);
  for (let rc = 1; rc <= (options.candidates ?? 3); rc++) {
    const created = await server.request('POST', `/api/releases/${name}/releases/1.0.0-rc${rc}`, { commit: commitFor(rc) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
  return name;
}

export function deploymentsPath(project: string, environment: string): string {
  return `/api/releases/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}/deployments`;
}

/** Reports `status` for the candidate as a pipeline would (endpoint 3) and returns the Deployment. */
export async function report(server: TestServer, project: string, environment: string, rc: string, status: string, errorMessage?: string): Promise<Deployment> {
  const response = await server.request('PATCH', deploymentsPath(project, environment), {
    release_candidate_version: rc, status, ...(errorMessage !== undefined ? { error_message: errorMessage } : {}),
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return Deployment.parse(response.body);
}

/** Makes `rc` current in the environment: reported in progress, then successful. */
export async function deploySuccessfully(server: TestServer, project: string, environment: string, rc: string): Promise<Deployment> {
  await report(server, project, environment, rc, 'in_progress');
  return report(server, project, environment, rc, 'success');
}

export async function getProject(server: TestServer, project: string): Promise<Project> {
  const response = await server.request('GET', `/api/releases/${project}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return Project.parse(response.body);
}

export async function environmentOf(server: TestServer, project: string, environment: string): Promise<Project['environments'][number]> {
  const found = (await getProject(server, project)).environments.find((env) => env.name === environment);
  assert.ok(found, `environment ${environment} exists`);
  return found;
}

export function assertError(response: { status: number; body: unknown }, status: number, message?: string | RegExp): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  const body = response.body as { error?: unknown };
  assert.equal(typeof body.error, 'string', `error body: ${JSON.stringify(response.body)}`);
  if (typeof message === 'string') assert.equal(body.error, message);
  else if (message) assert.match(body.error as string, message);
}
