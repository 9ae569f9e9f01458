// Projects, environments and releases (API.md endpoints 1, 7, 11), each inside one transaction.
import {
  parseCandidateVersion, type CreateCandidateBody, type Environment, type EnvironmentPatchBody, type EnvironmentSpec,
  type Project, type ProjectSpec, type Release,
} from '../../api/schemas';
import { ApiError, ENVIRONMENT_NOT_FOUND, INVALID_CANDIDATE_VERSION, PROJECT_NOT_FOUND } from '../errors';
import type { ProjectRecord, StoreWriter } from '../store';

export interface PutProjectOptions {
  /** Remove environments even when they have deployments (deleting those deployments). */
  force?: boolean;
  /** The directory of the --config file that defines the project; null when defined through the API. */
  configDir?: string | null;
  /**
   * Per environment, the flags its input left out that keep their stored value instead of reading as
   * false, so re-applying a config file at start does not unfreeze what an operator froze.
   */
  keepFlags?: ReadonlyMap<string, ReadonlyArray<'frozen' | 'protected'>>;
}

/** Endpoint 1: creates the release if new and the candidate; the same candidate again is idempotent. */
export async function createCandidate(
  writer: StoreWriter, at: Date, projectName: string, version: string, body: CreateCandidateBody,
): Promise<{ release: Release; created: boolean }> {
  const parsed = parseCandidateVersion(version);
  if (!parsed) throw new ApiError(400, INVALID_CANDIDATE_VERSION);
  const project = await writer.findProject(projectName);
  if (!project) throw new ApiError(404, PROJECT_NOT_FOUND);

  const existing = await writer.findCandidate(project.id, version);
  if (existing) return { release: await sameCommitOrConflict(writer, project, existing, body.commit), created: false };
  const release = await writer.ensureRelease(project.id, parsed.release, at);
  if (!(await writer.insertCandidate(project.id, release.id, version, candidateNumberDigits(version), body.commit, at))) {
    // A concurrent request created it between our look-up and insert.
    const raced = await writer.findCandidate(project.id, version);
    if (!raced) throw new Error(`Candidate ${version} vanished during its creation`);
    return { release: await sameCommitOrConflict(writer, project, raced, body.commit), created: false };
  }
  writer.recordEvent('release.created', project.name, null, at);
  return { release: await loadRelease(writer, project, release.id), created: true };
}

/** N of `<release>-rcN` as written (parseCandidateVersion's number is rounded beyond 2^53). */
function candidateNumberDigits(version: string): string {
  return version.slice(version.lastIndexOf('-rc') + 3);
}

async function sameCommitOrConflict(
  writer: StoreWriter, project: ProjectRecord, candidate: { version: string; commit: string; releaseId: string }, commit: string,
): Promise<Release> {
  if (candidate.commit !== commit) {
    throw new ApiError(409, `Release candidate ${candidate.version} already exists with another commit`, { commit: candidate.commit });
  }
  return loadRelease(writer, project, candidate.releaseId);
}

async function loadRelease(writer: StoreWriter, project: ProjectRecord, releaseId: string): Promise<Release> {
  const release = await writer.release(project, releaseId);
  if (!release) throw new Error(`Release ${releaseId} vanished`);
  return release;
}

/** Endpoint 7: creates or replaces a project and its ladder. Records an event only when something changed. */
export async function putProject(
  writer: StoreWriter, at: Date, name: string, spec: ProjectSpec, options: PutProjectOptions = {},
): Promise<{ project: Project; created: boolean }> {
  const fields = { repo: spec.repo, description: spec.description ?? null, configDir: options.configDir ?? null };
  let project = await writer.lockProject(name);
  let created = false;
  if (!project) {
    const inserted = await writer.insertProject(name, fields, at);
    // undefined: a concurrent PUT created it first; then this one is an update of it.
    project = inserted ?? await writer.lockProject(name);
    if (!project) throw new Error(`Project ${name} vanished during its creation`);
    created = inserted !== undefined;
  }
  let changed = created;
  if (!created && (project.repo !== fields.repo || project.description !== fields.description || project.configDir !== fields.configDir)) {
    await writer.updateProject(project.id, fields, at);
    changed = true;
  }

  const existing = new Map((await writer.lockEnvironmentsOf(project.id)).map((env) => [env.spec.name, env]));
  const wanted = new Set(spec.environments.map((env) => env.name));
  for (const [envName, env] of existing) {
    if (wanted.has(envName)) continue;
    if (options.force !== true && (await writer.countDeployments(env.id)) > 0) {
      throw new ApiError(409, `Environment ${envName} has deployments; remove it with ?force=true`, { environment: envName });
    }
    await writer.deleteEnvironment(env.id);
    changed = true;
  }
  for (const requested of spec.environments) {
    const old = existing.get(requested.name);
    if (!old) {
      await writer.insertEnvironment(project.id, requested, at);
      changed = true;
      continue;
    }
    const next = keepStoredFlags(requested, old.spec, options.keepFlags?.get(requested.name) ?? []);
    if (canonicalJson(next) !== canonicalJson(old.spec)) {
      await writer.updateEnvironment(old.id, next, at);
      changed = true;
    }
  }
  if (changed) writer.recordEvent('project.updated', name, null, at);
  const [view] = await writer.projects(project.id);
  if (!view) throw new Error(`Project ${name} vanished`);
  return { project: view, created };
}

/** Endpoint 11: freezes / protects an environment. */
export async function patchEnvironment(
  writer: StoreWriter, at: Date, project: string, environment: string, body: EnvironmentPatchBody,
): Promise<Environment> {
  const env = await writer.lockEnvironment(project, environment);
  if (!env) throw new ApiError(404, ENVIRONMENT_NOT_FOUND);
  const flags = { frozen: body.frozen ?? env.spec.frozen, protected: body.protected ?? env.spec.protected };
  if (flags.frozen !== env.spec.frozen || flags.protected !== env.spec.protected) {
    await writer.setEnvironmentFlags(env.id, flags, at);
    writer.recordEvent('environment.updated', project, environment, at);
  }
  return writer.environmentView({ ...env, spec: { ...env.spec, ...flags } });
}

function keepStoredFlags(requested: EnvironmentSpec, stored: EnvironmentSpec, keep: ReadonlyArray<'frozen' | 'protected'>): EnvironmentSpec {
  const next = { ...requested };
  for (const flag of keep) next[flag] = stored[flag];
  return next;
}

/** JSON with sorted keys and no undefined values: jsonb reorders keys, so compare this way. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key];
    return sorted;
  });
}
