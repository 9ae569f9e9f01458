// Statements that change state, run inside one transaction (Store.write). Locks are taken here,
// through the `lock…` methods, so the service can serialise work on one environment or project.
import {
  TERMINAL_STATUSES, type Approval, type CandidateBlock, type Deployment, type DeploymentKind, type DeploymentStatus, type EnvironmentSpec, type EventType,
  type Role, type Rollout,
} from '../../api/schemas';
import type { SqlClient } from './database';
import { EngineStatements } from './engine-tasks';
import { StoreReader, type StoredEvent } from './reader';
import {
  CANDIDATE_COLUMNS, DEPLOYMENT_COLUMNS, ENVIRONMENT_COLUMNS, PROJECT_COLUMNS, toCandidateRecord, toDeployment, toEnvironmentRecord,
  toProjectRecord, toTokenRecord, type CandidateRecord, type CandidateRow, type DeploymentRow, type EnvironmentRecord, type EnvironmentRow,
  type ProjectRecord, type ProjectRow, type TokenRecord, type TokenRow,
} from './rows';

/** An event recorded by a transaction; it gets its id when the transaction flushes it. */
export interface PendingEvent {
  type: EventType;
  project: string;
  environment: string | null;
  /** The serialized `data` of the event, as subscribers will receive it. */
  data: string;
  /** The deployment the event is about, for in-process listeners (not stored apart from `data`). */
  deployment?: Deployment;
}

export interface CommittedEvent extends StoredEvent, PendingEvent {
  type: EventType;
}

/** Pruning runs when an insert crosses a multiple of this many ids: rarely, and in the same transaction. */
const PRUNE_EVERY = 500;
/** Arbitrary constant: serialises event inserts so ids are handed out in commit order. */
const EVENT_ORDER_LOCK_KEY = 770_002;

export interface NewDeployment {
  projectId: string;
  environmentId: string;
  candidate: CandidateRecord;
  from: Deployment | undefined;
  status: DeploymentStatus;
  kind: DeploymentKind;
  actor: string;
  at: Date;
  errorMessage: string | null;
  rollout: Rollout | null;
  /** The approval request of a deploy or promote that waits for approval; absent: none. */
  approval?: Approval | null;
}

/** The fields of a deployment `updateDeployment` changes (absent: unchanged). */
export interface DeploymentFieldUpdate {
  status?: DeploymentStatus;
  /** `null` clears it; absent leaves it. */
  errorMessage?: string | null;
  endAt?: Date | null;
  rollout?: Rollout | null;
  approval?: Approval | null;
}

export interface ProjectFields {
  repo: string;
  description: string | null;
  configDir: string | null;
}

export class StoreWriter extends StoreReader {
  readonly pendingEvents: PendingEvent[] = [];
  /** Names of the tokens this transaction deleted: other servers on the database hear of them at COMMIT. */
  readonly revokedTokens: string[] = [];

  constructor(sql: SqlClient) {
    super(sql);
  }

  /** The progressive-delivery engine's statements, in this transaction. */
  get engine(): EngineStatements {
    return new EngineStatements(this.sql);
  }

  /** Records an event in this transaction; subscribers see it only after the commit. */
  recordEvent(type: EventType, project: string, environment: string | null, at: Date, deployment?: Deployment): void {
    const data = deployment === undefined
      ? { project, environment, at: at.toISOString() }
      : { project, environment, deployment, at: at.toISOString() };
    const event: PendingEvent = { type, project, environment, data: JSON.stringify(data) };
    if (deployment !== undefined) event.deployment = deployment;
    this.pendingEvents.push(event);
  }

  /**
   * Inserts the recorded events; the store calls this last, just before COMMIT. The advisory lock,
   * held to COMMIT, makes concurrent transactions take event ids in commit order, so a client that
   * resumes after id N can never miss a smaller id that committed later.
   */
  async insertPendingEvents(retention: number): Promise<CommittedEvent[]> {
    if (this.pendingEvents.length === 0) return [];
    const records = this.pendingEvents.map((event, index) => ({
      ordinal: index, type: event.type, project: event.project, environment: event.environment, data: event.data,
    }));
    // One statement: the lock (a one-row FROM item, evaluated before any row is inserted), then the rows.
    const rows = await this.sql.query<{ id: string }>(
      `INSERT INTO events (type, project, environment, data, created_at)
       SELECT r.type, r.project, r.environment, r.data, $2
       FROM (SELECT pg_advisory_xact_lock($3)) AS ordered,
         jsonb_to_recordset($1::jsonb) AS r(ordinal int, type text, project text, environment text, data text)
       ORDER BY r.ordinal
       RETURNING id::text AS id`, [JSON.stringify(records), new Date(), EVENT_ORDER_LOCK_KEY]);
    const ids = rows.map((row) => Number(row.id)).sort((a, b) => a - b);
    const committed = this.pendingEvents.map((event, index) => ({ ...event, id: ids[index] ?? 0 }));
    const first = ids[0] ?? 0;
    const last = ids[ids.length - 1] ?? 0;
    if (last > retention && Math.floor(last / PRUNE_EVERY) > Math.floor((first - 1) / PRUNE_EVERY)) {
      await this.sql.query('DELETE FROM events WHERE id <= $1', [last - retention]);
    }
    return committed;
  }

  /**
   * Locks the environment (see lockEnvironment) and, in the same round trip, looks up a candidate of
   * its project: `candidate` is undefined when there is no such candidate.
   */
  async lockEnvironmentAndCandidate(
    project: string, environment: string, candidateVersion: string,
  ): Promise<{ environment: EnvironmentRecord; candidate: CandidateRecord | undefined } | undefined> {
    const rows = await this.sql.query<EnvironmentRow & { candidate_id: string | null; candidate_release_id: string | null;
      candidate_release_version: string | null; candidate_commit: string | null; candidate_blocked: CandidateBlock | null }>(
      `SELECT ${ENVIRONMENT_COLUMNS}, c.id::text AS candidate_id, c.release_id::text AS candidate_release_id,
         r.release_version AS candidate_release_version, c.commit_sha AS candidate_commit, c.blocked AS candidate_blocked
       FROM environments e JOIN projects p ON p.id = e.project_id
       LEFT JOIN candidates c ON c.project_id = p.id AND c.release_candidate_version = $3
       LEFT JOIN releases r ON r.id = c.release_id
       WHERE p.name = $1 AND e.name = $2 FOR UPDATE OF e`, [project, environment, candidateVersion]);
    const row = rows[0];
    if (!row) return undefined;
    const candidate = row.candidate_id !== null && row.candidate_release_id !== null && row.candidate_release_version !== null && row.candidate_commit !== null
      ? { id: row.candidate_id, releaseId: row.candidate_release_id, releaseVersion: row.candidate_release_version, version: candidateVersion, commit: row.candidate_commit,
        blocked: row.candidate_blocked ?? null }
      : undefined;
    return { environment: toEnvironmentRecord(row), candidate };
  }

  // ── locks ──────────────────────────────────────────────────────────────────────────────────────

  /** Locks one environment row until commit: every change to an environment's deployments takes it. */
  async lockEnvironment(project: string, environment: string): Promise<EnvironmentRecord | undefined> {
    const rows = await this.sql.query<EnvironmentRow>(
      `SELECT ${ENVIRONMENT_COLUMNS} FROM environments e JOIN projects p ON p.id = e.project_id
       WHERE p.name = $1 AND e.name = $2 FOR UPDATE OF e`, [project, environment]);
    return rows[0] && toEnvironmentRecord(rows[0]);
  }

  /** Locks all of a project's environments, in id order so two callers cannot deadlock. */
  async lockEnvironmentsOf(projectId: string): Promise<EnvironmentRecord[]> {
    const rows = await this.sql.query<EnvironmentRow>(
      `SELECT ${ENVIRONMENT_COLUMNS} FROM environments e JOIN projects p ON p.id = e.project_id
       WHERE e.project_id = $1 ORDER BY e.id FOR UPDATE OF e`, [projectId]);
    return rows.map(toEnvironmentRecord).sort((a, b) => a.spec.position - b.spec.position);
  }

  /**
   * Locks a project row. NO KEY UPDATE, not UPDATE: inserting a deployment takes KEY SHARE on its
   * project (the foreign key), and must not wait behind a project update that waits for its environment.
   */
  async lockProject(name: string): Promise<ProjectRecord | undefined> {
    const rows = await this.sql.query<ProjectRow>(
      `SELECT ${PROJECT_COLUMNS} FROM projects p WHERE p.name = $1 FOR NO KEY UPDATE`, [name]);
    return rows[0] && toProjectRecord(rows[0]);
  }

  // ── projects and environments ──────────────────────────────────────────────────────────────────

  /** Inserts the project unless it exists; undefined when another transaction created it first. */
  async insertProject(name: string, fields: ProjectFields, at: Date): Promise<ProjectRecord | undefined> {
    const rows = await this.sql.query<ProjectRow>(
      `INSERT INTO projects AS p (name, repo, description, config_dir, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (name) DO NOTHING RETURNING ${PROJECT_COLUMNS}`,
      [name, fields.repo, fields.description, fields.configDir, at]);
    return rows[0] && toProjectRecord(rows[0]);
  }

  async updateProject(projectId: string, fields: ProjectFields, at: Date): Promise<void> {
    await this.sql.query(
      'UPDATE projects SET repo = $2, description = $3, config_dir = $4, updated_at = $5 WHERE id = $1',
      [projectId, fields.repo, fields.description, fields.configDir, at]);
  }

  async insertEnvironment(projectId: string, spec: EnvironmentSpec, at: Date): Promise<void> {
    await this.sql.query(
      `INSERT INTO environments (project_id, name, tier, position, strategy, protected, frozen, steps, auto_promote,
         health_check, deploy, created_at, updated_at, required_approvals)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11::jsonb, $12, $12, $13)`,
      [projectId, spec.name, spec.tier, spec.position, spec.strategy, spec.protected, spec.frozen, ...specJson(spec), at,
        spec.required_approvals]);
  }

  async updateEnvironment(environmentId: string, spec: EnvironmentSpec, at: Date): Promise<void> {
    await this.sql.query(
      `UPDATE environments SET tier = $2, position = $3, strategy = $4, protected = $5, frozen = $6,
         steps = $7::jsonb, auto_promote = $8::jsonb, health_check = $9::jsonb, deploy = $10::jsonb, updated_at = $11,
         required_approvals = $12
       WHERE id = $1`,
      [environmentId, spec.tier, spec.position, spec.strategy, spec.protected, spec.frozen, ...specJson(spec), at,
        spec.required_approvals]);
  }

  /** Deletes an environment and, with it, its deployments. */
  async deleteEnvironment(environmentId: string): Promise<void> {
    await this.sql.query('DELETE FROM environments WHERE id = $1', [environmentId]);
  }

  async setEnvironmentFlags(environmentId: string, flags: { frozen: boolean; protected: boolean }, at: Date): Promise<void> {
    await this.sql.query('UPDATE environments SET frozen = $2, protected = $3, updated_at = $4 WHERE id = $1',
      [environmentId, flags.frozen, flags.protected, at]);
  }

  // ── releases ───────────────────────────────────────────────────────────────────────────────────

  /** The release's id, inserting it when new. */
  async ensureRelease(projectId: string, releaseVersion: string, at: Date): Promise<{ id: string; created: boolean }> {
    const inserted = await this.sql.query<{ id: string }>(
      `INSERT INTO releases (project_id, release_version, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (project_id, release_version) DO NOTHING RETURNING id::text AS id`, [projectId, releaseVersion, at]);
    if (inserted[0]) return { id: inserted[0].id, created: true };
    const existing = await this.sql.query<{ id: string }>(
      'SELECT id::text AS id FROM releases WHERE project_id = $1 AND release_version = $2', [projectId, releaseVersion]);
    if (!existing[0]) throw new Error(`Release ${releaseVersion} vanished during its creation`);
    return { id: existing[0].id, created: false };
  }

  /**
   * Inserts the candidate; false when one with that version already exists. `rc` is the candidate
   * number's digits: the contract sets no upper bound, so it is stored as numeric, exactly.
   */
  async insertCandidate(projectId: string, releaseId: string, version: string, rc: string, commit: string, at: Date): Promise<boolean> {
    const rows = await this.sql.query<{ id: string }>(
      `INSERT INTO candidates (release_id, project_id, release_candidate_version, rc, commit_sha, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, release_candidate_version) DO NOTHING
       RETURNING id::text AS id`, [releaseId, projectId, version, rc, commit, at]);
    return rows.length > 0;
  }

  /** A candidate of a project, its row locked until commit (block / unblock). */
  async lockCandidate(projectId: string, version: string): Promise<CandidateRecord | undefined> {
    const rows = await this.sql.query<CandidateRow>(
      `SELECT ${CANDIDATE_COLUMNS} FROM candidates c JOIN releases r ON r.id = c.release_id
       WHERE c.project_id = $1 AND c.release_candidate_version = $2 FOR UPDATE OF c`, [projectId, version]);
    return rows[0] && toCandidateRecord(rows[0]);
  }

  /** Blocks (a block) or unblocks (null) a candidate. */
  async setCandidateBlock(candidateId: string, block: CandidateBlock | null): Promise<void> {
    await this.sql.query('UPDATE candidates SET blocked = $2::jsonb WHERE id = $1',
      [candidateId, block === null ? null : JSON.stringify(block)]);
  }

  // ── deployments ────────────────────────────────────────────────────────────────────────────────

  async insertDeployment(input: NewDeployment): Promise<Deployment> {
    const terminal = TERMINAL_STATUSES.has(input.status);
    const rows = await this.sql.query<DeploymentRow>(
      `WITH d AS (
         INSERT INTO deployments (project_id, environment_id, candidate_id, release_version, release_candidate_version,
           commit_sha, from_release_version, from_release_candidate_version, status, kind, actor, deploy_start_at,
           deploy_end_at, updated_at, error_message, rollout, approval)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $14, $15::jsonb, $16::jsonb)
         RETURNING *
       )
       SELECT ${DEPLOYMENT_COLUMNS} FROM d JOIN environments e ON e.id = d.environment_id JOIN projects p ON p.id = d.project_id`,
      [input.projectId, input.environmentId, input.candidate.id, input.candidate.releaseVersion, input.candidate.version,
        input.candidate.commit, input.from?.release_version ?? null, input.from?.release_candidate_version ?? null,
        input.status, input.kind, input.actor, input.at, terminal ? input.at : null, input.errorMessage,
        input.rollout === null ? null : JSON.stringify(input.rollout),
        input.approval === undefined || input.approval === null ? null : JSON.stringify(input.approval)]);
    if (!rows[0]) throw new Error('The deployment insert returned no row');
    return toDeployment(rows[0]);
  }

  /**
   * Inserts many deployments in one statement (imports, benchmarks): no per-deployment events, so
   * the caller records what it wants announced (a `project.updated` per project, say).
   */
  async insertDeploymentsInBulk(rows: readonly (NewDeployment & { endAt: Date | null })[]): Promise<number> {
    if (rows.length === 0) return 0;
    const records = rows.map((row) => ({
      project_id: row.projectId, environment_id: row.environmentId, candidate_id: row.candidate.id,
      release_version: row.candidate.releaseVersion, release_candidate_version: row.candidate.version, commit_sha: row.candidate.commit,
      from_release_version: row.from?.release_version ?? null, from_release_candidate_version: row.from?.release_candidate_version ?? null,
      status: row.status, kind: row.kind, actor: row.actor, deploy_start_at: row.at.toISOString(),
      deploy_end_at: row.endAt?.toISOString() ?? null, error_message: row.errorMessage, rollout: row.rollout,
    }));
    const inserted = await this.sql.query<{ count: number }>(
      `WITH inserted AS (
         INSERT INTO deployments (project_id, environment_id, candidate_id, release_version, release_candidate_version,
           commit_sha, from_release_version, from_release_candidate_version, status, kind, actor, deploy_start_at,
           deploy_end_at, updated_at, error_message, rollout)
         SELECT r.project_id, r.environment_id, r.candidate_id, r.release_version, r.release_candidate_version, r.commit_sha,
           r.from_release_version, r.from_release_candidate_version, r.status, r.kind, r.actor, r.deploy_start_at,
           r.deploy_end_at, COALESCE(r.deploy_end_at, r.deploy_start_at), r.error_message, r.rollout
         FROM jsonb_to_recordset($1::jsonb) AS r(project_id bigint, environment_id bigint, candidate_id bigint,
           release_version text, release_candidate_version text, commit_sha text, from_release_version text,
           from_release_candidate_version text, status text, kind text, actor text, deploy_start_at timestamptz,
           deploy_end_at timestamptz, error_message text, rollout jsonb)
         ORDER BY r.deploy_start_at
         RETURNING 1
       )
       SELECT count(*)::int AS count FROM inserted`, [JSON.stringify(records)]);
    return inserted[0]?.count ?? 0;
  }

  /** Applies `change` to a deployment (its environment must be locked) and returns the new row. */
  async updateDeployment(deploymentId: string, change: DeploymentFieldUpdate, at: Date): Promise<Deployment> {
    const rows = await this.sql.query<DeploymentRow>(
      `WITH d AS (
         UPDATE deployments SET
           status = COALESCE($2, status),
           error_message = CASE WHEN $3::boolean THEN $4 ELSE error_message END,
           deploy_end_at = CASE WHEN $5::boolean THEN $6::timestamptz ELSE deploy_end_at END,
           rollout = CASE WHEN $7::boolean THEN $8::jsonb ELSE rollout END,
           approval = CASE WHEN $10::boolean THEN $11::jsonb ELSE approval END,
           updated_at = $9
         WHERE id = $1 RETURNING *
       )
       SELECT ${DEPLOYMENT_COLUMNS} FROM d JOIN environments e ON e.id = d.environment_id JOIN projects p ON p.id = d.project_id`,
      [deploymentId, change.status ?? null,
        change.errorMessage !== undefined, change.errorMessage ?? null,
        change.endAt !== undefined, change.endAt ?? null,
        change.rollout !== undefined, change.rollout == null ? null : JSON.stringify(change.rollout),
        at, change.approval !== undefined, change.approval == null ? null : JSON.stringify(change.approval)]);
    if (!rows[0]) throw new Error(`Deployment ${deploymentId} vanished during its update`);
    return toDeployment(rows[0]);
  }

  // ── tokens ─────────────────────────────────────────────────────────────────────────────────────

  /** Inserts a token; undefined when the name is taken. */
  async insertToken(name: string, role: Role, tokenHash: string, at: Date): Promise<TokenRecord | undefined> {
    const rows = await this.sql.query<TokenRow>(
      `INSERT INTO tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO NOTHING RETURNING name, role, created_at`, [name, role, tokenHash, at]);
    return rows[0] && toTokenRecord(rows[0]);
  }

  async deleteToken(name: string): Promise<boolean> {
    const rows = await this.sql.query<{ name: string }>('DELETE FROM tokens WHERE name = $1 RETURNING name', [name]);
    if (rows.length > 0) this.revokedTokens.push(name);
    return rows.length > 0;
  }
}

/** The JSON columns of an environment, in column order: steps, auto_promote, health_check, deploy. */
function specJson(spec: EnvironmentSpec): [string | null, string | null, string | null, string] {
  return [
    spec.steps === null ? null : JSON.stringify(spec.steps),
    spec.auto_promote === null ? null : JSON.stringify(spec.auto_promote),
    spec.health_check === null ? null : JSON.stringify(spec.health_check),
    JSON.stringify(spec.deploy),
  ];
}
