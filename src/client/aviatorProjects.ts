// The Aviator backend's picture of projects, put together from what Aviator can say: the configured
// ladders (core/projectConfig), the deployments each environment lists, and the candidates created
// through the backend. No I/O here: the backend (aviator.ts) fetches, these functions assemble.
import type { Candidate, Deployment, Environment, Project, Release } from '../api/schemas';
import { PROJECT_CONFIG_FILE, type ConfiguredEnvironment, type ConfiguredProject } from '../core/projectConfig';
import { BackendError } from './errors';

/** Aviator's largest page. */
export const MAX_PER_PAGE = 100;

export function clampPage(size: number): number {
  return Math.min(MAX_PER_PAGE, Math.max(1, Math.floor(size)));
}

/**
 * A configured environment as the contract describes one, with nothing known of it yet: Aviator has no
 * freeze, protection, steps, auto-promotion, health checks, executors or approvals to report.
 */
export function configuredEnvironment(env: ConfiguredEnvironment, position: number): Environment {
  return {
    name: env.name,
    tier: env.tier,
    position,
    strategy: env.strategy,
    protected: false,
    frozen: false,
    steps: null,
    auto_promote: null,
    health_check: null,
    deploy: { type: 'none', command: null, url: null },
    required_approvals: 0,
    current: null,
    active: null,
  };
}

/**
 * A configured project with its environments. Aviator does not say when a project was created: the start
 * of the oldest deployment shown, else `fallbackCreatedAt`.
 */
export function assembleProject(project: ConfiguredProject, environments: Environment[], fallbackCreatedAt: string): Project {
  const starts = environments.flatMap((e) => [e.current?.deploy_start_at, e.active?.deploy_start_at]).filter((t): t is string => t !== undefined);
  return {
    name: project.name,
    repo: project.repo,
    description: project.description,
    created_at: starts.sort()[0] ?? fallbackCreatedAt,
    environments,
  };
}

/**
 * The candidates that can be seen: those created through the backend and those in the deployments read,
 * each once, with the earliest time it was seen (`created_at`) and a commit when any sighting had one.
 */
export function seenCandidates(created: readonly Candidate[], deployments: readonly Deployment[]): Candidate[] {
  const candidates = new Map<string, Candidate>();
  const note = (c: Candidate): void => {
    const known = candidates.get(c.release_candidate_version);
    if (!known || Date.parse(c.created_at) < Date.parse(known.created_at)) candidates.set(c.release_candidate_version, { ...c, commit: c.commit || known?.commit || '' });
  };
  for (const c of created) note(c);
  for (const d of deployments) {
    note({ release_candidate_version: d.release_candidate_version, commit: d.commit, created_at: d.deploy_start_at, build_status: 'ready', blocked: null });
  }
  return [...candidates.values()];
}

/** Candidates grouped by release, newest release first and each release's newest candidate first; one page. */
export function releasesOf(project: string, candidates: readonly Candidate[], page: number, perPage: number): Release[] {
  const releases = new Map<string, Release>();
  for (const c of candidates) {
    const version = releaseVersionOf(c.release_candidate_version);
    const release = releases.get(version) ?? { project, release_version: version, created_at: c.created_at, candidates: [] };
    release.candidates.push(c);
    if (Date.parse(c.created_at) < Date.parse(release.created_at)) release.created_at = c.created_at;
    releases.set(version, release);
  }
  const sorted = [...releases.values()]
    .map((r) => ({ ...r, candidates: r.candidates.sort((a, b) => rcNumber(b.release_candidate_version) - rcNumber(a.release_candidate_version)) }))
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  const size = clampPage(perPage);
  const start = (Math.max(1, Math.floor(page)) - 1) * size;
  return sorted.slice(start, start + size);
}

/** Errors that belong to one environment (shown on it) rather than to the whole listing. */
export function perEnvironmentError(error: BackendError): boolean {
  return error.kind === 'not_found' || error.kind === 'forbidden' || error.kind === 'invalid';
}

export function notConfigured(project: string, environment?: string): BackendError {
  return environment === undefined
    ? new BackendError('not_found', `Project ${project} is not configured: add it to ${PROJECT_CONFIG_FILE} or the setting flightdeck.aviator.projects (Aviator cannot list projects)`, 404)
    : new BackendError('not_found', `Environment ${environment} of ${project} is not configured: add it to ${PROJECT_CONFIG_FILE} or the setting flightdeck.aviator.projects (Aviator cannot list environments)`, 404);
}

/** Runs `fn` over `items` with at most `concurrency` at once; results in order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

function releaseVersionOf(candidate: string): string {
  const match = /^(.*)-rc\d+$/.exec(candidate);
  return match?.[1] ?? candidate;
}

function rcNumber(candidate: string): number {
  return Number(/-rc(\d+)$/.exec(candidate)?.[1] ?? 0);
}
