// Reading GitHub's REST answers (the Deployments, Environments and Actions APIs) and mapping them to the
// contract, as API.md "Other backends: GitHub Deployments" says. Only the fields the mapping uses are
// required; the rest of GitHub's (large) objects pass through unread, so a GitHub that adds fields
// changes nothing here.
import * as z from 'zod';
import { parseCandidateVersion, type Approval, type Candidate, type Deployment, type DeploymentStatus, type Release } from '../api/schemas';
import { BackendError } from './errors';
import type { GitHubAnswer } from './githubHttp';

const Login = z.object({ login: z.string() }).passthrough();

export const GitHubEnvironment = z.object({
  id: z.number(),
  name: z.string(),
  created_at: z.string().optional(),
  protection_rules: z.array(z.object({ type: z.string() }).passthrough()).optional(),
}).passthrough();
export type GitHubEnvironment = z.output<typeof GitHubEnvironment>;

export const GitHubEnvironmentList = z.object({
  total_count: z.number().optional(),
  environments: z.array(GitHubEnvironment).optional(),
}).passthrough();

export const GitHubDeployment = z.object({
  id: z.number(),
  sha: z.string(),
  ref: z.string(),
  environment: z.string(),
  creator: Login.nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  payload: z.unknown().optional(),
}).passthrough();
export type GitHubDeployment = z.output<typeof GitHubDeployment>;

export const GitHubDeploymentStatus = z.object({
  id: z.number(),
  state: z.string(),
  description: z.string().nullable().optional(),
  created_at: z.string(),
  updated_at: z.string(),
}).passthrough();
export type GitHubDeploymentStatus = z.output<typeof GitHubDeploymentStatus>;

export const GitHubWorkflowRun = z.object({
  id: z.number(),
  head_sha: z.string(),
  head_branch: z.string().nullable(),
  created_at: z.string(),
  run_started_at: z.string().optional(),
  status: z.string().nullable(),
  workflow_id: z.number(),
  event: z.string(),
  actor: Login.optional(),
  triggering_actor: Login.optional(),
  display_title: z.string().optional(),
}).passthrough();
export type GitHubWorkflowRun = z.output<typeof GitHubWorkflowRun>;

export const GitHubWorkflowRunList = z.object({ total_count: z.number(), workflow_runs: z.array(GitHubWorkflowRun) }).passthrough();

export const GitHubPendingDeployment = z.object({
  environment: z.object({ id: z.number().optional(), name: z.string().optional() }).passthrough(),
  wait_timer: z.number(),
  wait_timer_started_at: z.string().nullable(),
  current_user_can_approve: z.boolean(),
  reviewers: z.array(z.unknown()),
}).passthrough();
export type GitHubPendingDeployment = z.output<typeof GitHubPendingDeployment>;

export const GitHubComparison = z.object({
  status: z.string(),
  ahead_by: z.number(),
  behind_by: z.number(),
  total_commits: z.number(),
  commits: z.array(z.object({
    sha: z.string(),
    html_url: z.string().optional(),
    commit: z.object({
      message: z.string(),
      author: z.object({ name: z.string().optional(), date: z.string().optional() }).passthrough().nullable(),
    }).passthrough(),
    author: Login.nullable().optional(),
  }).passthrough()),
}).passthrough();

/** API.md's status mapping. `inactive` is a success that a newer deployment superseded. */
export function mapGitHubState(state: string | undefined): DeploymentStatus {
  switch (state) {
    case 'success':
    case 'inactive':
      return 'success';
    case 'failure':
      return 'failure';
    case 'error':
      return 'error';
    case 'queued':
    case 'pending':
    case 'waiting':
      return 'pending';
    case 'in_progress':
      return 'in_progress';
    default:
      // A deployment nobody reported on yet is created and waiting for its job: pending.
      return state === undefined ? 'pending' : 'unknown';
  }
}

/** The ref, unless the ref is the commit itself: then its first 7 characters. */
export function candidateOf(ref: string, sha: string): string {
  const lowerRef = ref.toLowerCase();
  const lowerSha = sha.toLowerCase();
  return /^[0-9a-f]{7,64}$/.test(lowerRef) && lowerSha.startsWith(lowerRef) ? lowerSha.slice(0, 7) : ref;
}

export function iso(time: string | null | undefined, fallback: string): string {
  const ms = time ? Date.parse(time) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : fallback;
}

function baseDeployment(fields: {
  id: string; project: string; environment: string; ref: string; sha: string; status: DeploymentStatus;
  actor: string; start: string; updated: string; end: string | null; error: string | null; approval: Approval | null;
}): Deployment {
  const candidate = candidateOf(fields.ref, fields.sha);
  return {
    id: fields.id,
    project: fields.project,
    environment_name: fields.environment,
    release_version: parseCandidateVersion(candidate)?.release ?? candidate,
    release_candidate_version: candidate,
    commit: fields.sha.toLowerCase(),
    from_release_version: null,
    from_release_candidate_version: null,
    status: fields.status,
    kind: 'deploy',
    actor: fields.actor,
    deploy_start_at: fields.start,
    deploy_end_at: fields.end,
    updated_at: fields.updated,
    error_message: fields.error,
    rollout: null,
    approval: fields.approval,
    candidate_blocked: null,
  };
}

/** A GitHub deployment with its newest status (undefined: none reported yet). */
export function toDeployment(project: string, wire: GitHubDeployment, newest: GitHubDeploymentStatus | undefined): Deployment {
  const status = mapGitHubState(newest?.state);
  const start = iso(wire.created_at, new Date(0).toISOString());
  const updated = iso(newest?.updated_at ?? wire.updated_at, start);
  const terminal = status === 'success' || status === 'failure' || status === 'error';
  return baseDeployment({
    id: String(wire.id),
    project,
    environment: wire.environment,
    ref: wire.ref,
    sha: wire.sha,
    status,
    actor: wire.creator?.login ?? 'github',
    start,
    updated,
    end: terminal ? iso(newest?.created_at, updated) : null,
    error: status === 'failure' || status === 'error' ? (newest?.description || `GitHub reports the deployment ${newest?.state ?? 'failed'}`) : null,
    approval: null,
  });
}

/**
 * Releases as far as deployments show them (GitHub has no release candidates): each distinct candidate
 * (ref, or short sha) first seen when first deployed, grouped by its release version, newest first.
 */
export function releasesFromDeployments(project: string, deployments: readonly GitHubDeployment[]): Release[] {
  const candidates = new Map<string, Candidate>();
  for (const d of deployments) {
    const version = candidateOf(d.ref, d.sha);
    const at = iso(d.created_at, new Date(0).toISOString());
    const known = candidates.get(version);
    if (!known || at < known.created_at) candidates.set(version, { release_candidate_version: version, commit: d.sha.toLowerCase(), created_at: at, build_status: 'ready', blocked: null });
  }
  const releases = new Map<string, Release>();
  for (const c of candidates.values()) {
    const version = parseCandidateVersion(c.release_candidate_version)?.release ?? c.release_candidate_version;
    const release = releases.get(version) ?? { project, release_version: version, created_at: c.created_at, candidates: [] };
    release.candidates.push(c);
    if (c.created_at < release.created_at) release.created_at = c.created_at;
    releases.set(version, release);
  }
  return [...releases.values()]
    .map((r) => ({ ...r, candidates: r.candidates.sort((a, b) => b.created_at.localeCompare(a.created_at)) }))
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
}

/** The id of a deployment awaiting review: GitHub has none for it yet, so its run and environment name it. */
export function pendingDeploymentId(runId: number, environmentId: number): string {
  return `run-${runId}-env-${environmentId}`;
}

export function parsePendingDeploymentId(id: string): { runId: number; environmentId: number } | undefined {
  const match = /^run-(\d+)-env-(\d+)$/.exec(id);
  return match ? { runId: Number(match[1]), environmentId: Number(match[2]) } : undefined;
}

/** How long GitHub keeps a job waiting for review before it fails it: 30 days. */
export const REVIEW_WINDOW_MS = 30 * 24 * 3600 * 1000;

/**
 * A workflow run's job waiting for review in one environment, as a deployment awaiting approval.
 * GitHub needs one reviewer of the listed ones (`required: 1`); it does not say who voted before.
 */
export function toPendingDeployment(project: string, run: GitHubWorkflowRun, pending: GitHubPendingDeployment, environmentId: number, environmentName: string): Deployment {
  const start = iso(run.run_started_at ?? run.created_at, new Date(0).toISOString());
  const timerStart = pending.wait_timer_started_at ? Date.parse(pending.wait_timer_started_at) : NaN;
  const expires = Number.isFinite(timerStart) && pending.wait_timer > 0
    ? timerStart + pending.wait_timer * 60_000
    : Date.parse(start) + REVIEW_WINDOW_MS;
  return baseDeployment({
    id: pendingDeploymentId(run.id, environmentId),
    project,
    environment: environmentName,
    ref: run.head_branch ?? run.head_sha,
    sha: run.head_sha,
    status: 'pending',
    actor: run.triggering_actor?.login ?? run.actor?.login ?? 'github',
    start,
    updated: start,
    end: null,
    error: null,
    approval: { required: 1, approvals: [], rejection: null, expires_at: new Date(expires).toISOString() },
  });
}

/** The `rel="next"` URL of a Link header. */
export function nextLink(link: string | undefined | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

// ── shared by the GitHub backend's modules ─────────────────────────────────────────────────────

const seg = encodeURIComponent;

/** `owner/name`, checked: a project of this backend is a repository. */
export function checkRepository(project: string): string {
  const trimmed = project.trim().replace(/\.git$/, '');
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(trimmed)) {
    throw new BackendError('invalid', `"${project}" is not a GitHub repository: write it as owner/name`, 400);
  }
  return trimmed;
}

export function repoPath(repo: string): string {
  const [owner = '', name = ''] = repo.split('/');
  return `/repos/${seg(owner)}/${seg(name)}`;
}

/** Errors that belong to one repository (shown on it) rather than to the whole overview. */
export function perProjectError(error: BackendError): boolean {
  if (error.status === 429 || /rate limit/.test(error.message)) return false;
  return error.kind === 'unauthorized' || error.kind === 'not_found' || error.kind === 'forbidden' || error.kind === 'invalid';
}

export function parse<S extends z.ZodType>(schema: S, answer: GitHubAnswer, what: string): z.output<S> {
  const parsed = schema.safeParse(answer.json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new BackendError('malformed', `GitHub sent malformed ${what}${issue ? ` (at ${issue.path.join('.')}: ${issue.message})` : ''}`);
}

export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
