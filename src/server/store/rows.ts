// Row shapes as the SQL below selects them, and their mapping to the API objects of src/api/schemas.
// The columns are constrained by the schema (CHECKs, NOT NULLs), so the mapping trusts their types.
import type {
  Approval, AutoPromote, Candidate, CandidateBlock, DeploySpec, Deployment, DeploymentHealth, DeploymentKind, DeploymentStatus, EnvironmentSpec,
  HealthCheckSpec, Release, Role, Rollout, RolloutStep, Strategy, Tier,
} from '../../api/schemas';

/** Both drivers hand timestamptz back as Date; text is accepted for safety. */
type DbTimestamp = Date | string;

export function iso(value: DbTimestamp): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function isoOrNull(value: DbTimestamp | null): string | null {
  return value === null ? null : iso(value);
}

/** The deployment columns, with `d` in scope and the two names given as SQL expressions. */
export function deploymentColumns(projectName: string, environmentName: string): string {
  return `
  d.id::text AS id, ${projectName} AS project, ${environmentName} AS environment_name, d.environment_id::text AS environment_id,
  d.release_version, d.release_candidate_version, d.commit_sha AS commit,
  d.from_release_version, d.from_release_candidate_version, d.status, d.kind, d.actor,
  d.deploy_start_at, d.deploy_end_at, d.updated_at, d.error_message, d.rollout, d.health, d.approval,
  (SELECT c.blocked FROM candidates c WHERE c.id = d.candidate_id) AS candidate_blocked`;
}

/** Every query that returns deployments selects exactly these, with `d`, `e`, `p` in scope. */
export const DEPLOYMENT_COLUMNS = deploymentColumns('p.name', 'e.name');

export interface DeploymentRow {
  id: string;
  project: string;
  environment_name: string;
  environment_id: string;
  release_version: string;
  release_candidate_version: string;
  commit: string;
  from_release_version: string | null;
  from_release_candidate_version: string | null;
  status: string;
  kind: string;
  actor: string;
  deploy_start_at: DbTimestamp;
  deploy_end_at: DbTimestamp | null;
  updated_at: DbTimestamp;
  error_message: string | null;
  rollout: unknown;
  /** The engine's health record (migration 2); null until something was checked. */
  health: unknown;
  /** The approval request (migration 4); null when none was needed. */
  approval: unknown;
  /** The candidate's block as it stands now (a subquery on candidates); null when not blocked. */
  candidate_blocked: unknown;
}

export function toDeployment(row: DeploymentRow): Deployment {
  return {
    id: row.id,
    project: row.project,
    environment_name: row.environment_name,
    release_version: row.release_version,
    release_candidate_version: row.release_candidate_version,
    commit: row.commit,
    from_release_version: row.from_release_version,
    from_release_candidate_version: row.from_release_candidate_version,
    status: row.status as DeploymentStatus,
    kind: row.kind as DeploymentKind,
    actor: row.actor,
    deploy_start_at: iso(row.deploy_start_at),
    deploy_end_at: isoOrNull(row.deploy_end_at),
    updated_at: iso(row.updated_at),
    error_message: row.error_message,
    rollout: (row.rollout ?? null) as Rollout | null,
    approval: (row.approval ?? null) as Approval | null,
    candidate_blocked: (row.candidate_blocked ?? null) as CandidateBlock | null,
    ...(row.health === null || row.health === undefined ? {} : { health: row.health as DeploymentHealth }),
  };
}

export const ENVIRONMENT_COLUMNS = `
  e.id::text AS id, e.project_id::text AS project_id, p.name AS project, p.config_dir,
  e.name, e.tier, e.position, e.strategy, e.protected, e.frozen,
  e.steps, e.auto_promote, e.health_check, e.deploy, e.required_approvals`;

export interface EnvironmentRow {
  id: string;
  project_id: string;
  project: string;
  config_dir: string | null;
  name: string;
  tier: string;
  position: number;
  strategy: string;
  protected: boolean;
  frozen: boolean;
  steps: unknown;
  auto_promote: unknown;
  health_check: unknown;
  deploy: unknown;
  required_approvals: number;
}

/** An environment as stored: its spec (exactly what PUT accepted) plus the keys the engine needs. */
export interface EnvironmentRecord {
  id: string;
  projectId: string;
  project: string;
  /** Directory of the --config file that defined the project: the default `cwd` of its commands. */
  configDir: string | null;
  spec: EnvironmentSpec;
}

export function toEnvironmentRecord(row: EnvironmentRow): EnvironmentRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    project: row.project,
    configDir: row.config_dir,
    spec: {
      name: row.name,
      tier: row.tier as Tier,
      position: row.position,
      strategy: row.strategy as Strategy,
      protected: row.protected,
      frozen: row.frozen,
      steps: (row.steps ?? null) as RolloutStep[] | null,
      auto_promote: (row.auto_promote ?? null) as AutoPromote | null,
      health_check: (row.health_check ?? null) as HealthCheckSpec | null,
      deploy: row.deploy as DeploySpec,
      required_approvals: row.required_approvals,
    },
  };
}

export interface ProjectRow {
  id: string;
  name: string;
  repo: string;
  description: string | null;
  config_dir: string | null;
  created_at: DbTimestamp;
}

export interface ProjectRecord {
  id: string;
  name: string;
  repo: string;
  description: string | null;
  configDir: string | null;
  createdAt: string;
}

export const PROJECT_COLUMNS = `p.id::text AS id, p.name, p.repo, p.description, p.config_dir, p.created_at`;

export function toProjectRecord(row: ProjectRow): ProjectRecord {
  return {
    id: row.id,
    name: row.name,
    repo: row.repo,
    description: row.description,
    configDir: row.config_dir,
    createdAt: iso(row.created_at),
  };
}

export interface CandidateRow {
  id: string;
  release_id: string;
  release_version: string;
  release_candidate_version: string;
  commit: string;
  created_at: DbTimestamp;
  blocked: unknown;
}

export const CANDIDATE_COLUMNS = `c.id::text AS id, c.release_id::text AS release_id, r.release_version,
  c.release_candidate_version, c.commit_sha AS commit, c.created_at, c.blocked`;

export interface CandidateRecord {
  id: string;
  releaseId: string;
  releaseVersion: string;
  version: string;
  commit: string;
  blocked: CandidateBlock | null;
}

export function toCandidateRecord(row: CandidateRow): CandidateRecord {
  return {
    id: row.id,
    releaseId: row.release_id,
    releaseVersion: row.release_version,
    version: row.release_candidate_version,
    commit: row.commit,
    blocked: (row.blocked ?? null) as CandidateBlock | null,
  };
}

export function toCandidate(row: CandidateRow): Candidate {
  return {
    release_candidate_version: row.release_candidate_version,
    commit: row.commit,
    created_at: iso(row.created_at),
    build_status: 'ready',
    blocked: (row.blocked ?? null) as CandidateBlock | null,
  };
}

export interface ReleaseRow {
  id: string;
  release_version: string;
  created_at: DbTimestamp;
}

/** Groups candidates (newest first) under their releases (in the order given). */
export function toReleases(project: string, releases: ReleaseRow[], candidates: CandidateRow[]): Release[] {
  const byRelease = new Map<string, Candidate[]>();
  for (const row of candidates) {
    const list = byRelease.get(row.release_id) ?? [];
    list.push(toCandidate(row));
    byRelease.set(row.release_id, list);
  }
  return releases.map((row) => ({
    project,
    release_version: row.release_version,
    created_at: iso(row.created_at),
    candidates: byRelease.get(row.id) ?? [],
  }));
}

export interface TokenRow {
  name: string;
  role: string;
  created_at: DbTimestamp;
}

export interface TokenRecord {
  name: string;
  role: Role;
  createdAt: string;
}

export function toTokenRecord(row: TokenRow): TokenRecord {
  return { name: row.name, role: row.role as Role, createdAt: iso(row.created_at) };
}

export interface EventRow {
  id: string;
  type: string;
  project: string;
  data: string;
}
