// Queries that only read. A StoreReader runs on one snapshot (Store.read) or inside a write
// transaction (StoreWriter extends it), so the service reads and decides on the same state.
import { TERMINAL_STATUSES, type Deployment, type Environment, type Project, type Release } from '../../api/schemas';
import type { SqlClient } from './database';
import {
  CANDIDATE_COLUMNS, DEPLOYMENT_COLUMNS, ENVIRONMENT_COLUMNS, deploymentColumns, PROJECT_COLUMNS, iso, toCandidateRecord,
  toDeployment, toEnvironmentRecord, toProjectRecord, toReleases, toTokenRecord,
  type CandidateRecord, type CandidateRow, type DeploymentRow, type EnvironmentRecord, type EnvironmentRow,
  type EventRow, type ProjectRecord, type ProjectRow, type ReleaseRow, type TokenRecord, type TokenRow,
} from './rows';

export interface Page {
  page: number;
  per_page: number;
}

/** An environment's current and active deployments (and the active one of a candidate), read together. */
export interface EnvironmentDeployments {
  current: Deployment | undefined;
  active: Deployment | undefined;
  activeOfCandidate: Deployment | undefined;
}

export interface StoredEvent {
  id: number;
  type: string;
  project: string;
  /** The event's `data`, serialized once when it was recorded. */
  data: string;
}

const TERMINAL_SQL = [...TERMINAL_STATUSES].map((status) => `'${status}'`).join(', ');
const DEPLOYMENTS_FROM = `deployments d
  JOIN environments e ON e.id = d.environment_id
  JOIN projects p ON p.id = d.project_id`;

export class StoreReader {
  constructor(protected readonly sql: SqlClient) {}

  // ── projects and environments ──────────────────────────────────────────────────────────────────

  async findProject(name: string): Promise<ProjectRecord | undefined> {
    const rows = await this.sql.query<ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects p WHERE p.name = $1`, [name]);
    return rows[0] && toProjectRecord(rows[0]);
  }

  async environmentsOf(projectId: string): Promise<EnvironmentRecord[]> {
    const rows = await this.sql.query<EnvironmentRow>(
      `SELECT ${ENVIRONMENT_COLUMNS} FROM environments e JOIN projects p ON p.id = e.project_id
       WHERE e.project_id = $1 ORDER BY e.position`, [projectId]);
    return rows.map(toEnvironmentRecord);
  }

  async findEnvironment(project: string, environment: string): Promise<EnvironmentRecord | undefined> {
    const rows = await this.sql.query<EnvironmentRow>(
      `SELECT ${ENVIRONMENT_COLUMNS} FROM environments e JOIN projects p ON p.id = e.project_id
       WHERE p.name = $1 AND e.name = $2`, [project, environment]);
    return rows[0] && toEnvironmentRecord(rows[0]);
  }

  /** Every project with its environments and their current and active deployments, by name. */
  async projects(onlyProjectId?: string): Promise<Project[]> {
    const filter = onlyProjectId === undefined ? '' : 'WHERE p.id = $1';
    const params = onlyProjectId === undefined ? [] : [onlyProjectId];
    const projectRows = await this.sql.query<ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects p ${filter} ORDER BY p.name`, params);
    const environmentRows = await this.sql.query<EnvironmentRow>(
      `SELECT ${ENVIRONMENT_COLUMNS} FROM environments e JOIN projects p ON p.id = e.project_id ${filter}
       ORDER BY e.project_id, e.position`, params);
    const newestPerEnvironment = (condition: string): Promise<DeploymentRow[]> => this.sql.query<DeploymentRow>(
      `SELECT ${DEPLOYMENT_COLUMNS}
       FROM environments e
       JOIN projects p ON p.id = e.project_id
       CROSS JOIN LATERAL (
         SELECT * FROM deployments d WHERE d.environment_id = e.id AND ${condition} ORDER BY d.id DESC LIMIT 1
       ) d ${filter}`, params);
    const current = byEnvironment(await newestPerEnvironment(`d.status = 'success'`));
    const active = byEnvironment(await newestPerEnvironment(`d.status NOT IN (${TERMINAL_SQL})`));

    const environmentsByProject = new Map<string, Environment[]>();
    for (const row of environmentRows) {
      const record = toEnvironmentRecord(row);
      const list = environmentsByProject.get(record.projectId) ?? [];
      list.push({ ...record.spec, current: current.get(record.id) ?? null, active: active.get(record.id) ?? null });
      environmentsByProject.set(record.projectId, list);
    }
    return projectRows.map((row) => ({
      name: row.name,
      repo: row.repo,
      description: row.description,
      created_at: iso(row.created_at),
      environments: environmentsByProject.get(row.id) ?? [],
    }));
  }

  async environmentView(record: EnvironmentRecord): Promise<Environment> {
    return {
      ...record.spec,
      current: (await this.currentDeployment(record.id)) ?? null,
      active: (await this.activeDeployment(record.id)) ?? null,
    };
  }

  // ── releases ───────────────────────────────────────────────────────────────────────────────────

  async findCandidate(projectId: string, version: string): Promise<CandidateRecord | undefined> {
    const rows = await this.sql.query<CandidateRow>(
      `SELECT ${CANDIDATE_COLUMNS} FROM candidates c JOIN releases r ON r.id = c.release_id
       WHERE c.project_id = $1 AND c.release_candidate_version = $2`, [projectId, version]);
    return rows[0] && toCandidateRecord(rows[0]);
  }

  async releases(project: ProjectRecord, page: Page): Promise<Release[]> {
    const pageOfReleases = `SELECT id FROM releases WHERE project_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`;
    const params = [project.id, page.per_page, (page.page - 1) * page.per_page];
    const releaseRows = await this.sql.query<ReleaseRow>(
      `SELECT r.id::text AS id, r.release_version, r.created_at FROM releases r
       WHERE r.id IN (${pageOfReleases}) ORDER BY r.id DESC`, params);
    const candidateRows = await this.sql.query<CandidateRow>(
      `SELECT ${CANDIDATE_COLUMNS} FROM candidates c JOIN releases r ON r.id = c.release_id
       WHERE c.release_id IN (${pageOfReleases}) ORDER BY c.id DESC`, params);
    return toReleases(project.name, releaseRows, candidateRows);
  }

  async release(project: ProjectRecord, releaseId: string): Promise<Release | undefined> {
    const releaseRows = await this.sql.query<ReleaseRow>(
      `SELECT r.id::text AS id, r.release_version, r.created_at FROM releases r WHERE r.id = $1`, [releaseId]);
    const candidateRows = await this.sql.query<CandidateRow>(
      `SELECT ${CANDIDATE_COLUMNS} FROM candidates c JOIN releases r ON r.id = c.release_id
       WHERE c.release_id = $1 ORDER BY c.id DESC`, [releaseId]);
    return toReleases(project.name, releaseRows, candidateRows)[0];
  }

  // ── deployments ────────────────────────────────────────────────────────────────────────────────

  private async deploymentsWhere(condition: string, params: readonly unknown[], tail = ''): Promise<Deployment[]> {
    const rows = await this.sql.query<DeploymentRow>(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM ${DEPLOYMENTS_FROM} WHERE ${condition} ${tail}`, params);
    return rows.map(toDeployment);
  }

  /** What is live now: the newest successful deployment. */
  async currentDeployment(environmentId: string): Promise<Deployment | undefined> {
    return (await this.deploymentsWhere(`d.environment_id = $1 AND d.status = 'success'`, [environmentId], 'ORDER BY d.id DESC LIMIT 1'))[0];
  }

  /** The newest deployment that has not reached a terminal status. */
  async activeDeployment(environmentId: string): Promise<Deployment | undefined> {
    return (await this.activeDeployments(environmentId))[0];
  }

  /**
   * What the operations decide on, in one round trip: the current (newest successful) deployment and,
   * when asked for, the active (newest non-terminal) one and the newest non-terminal one of a candidate.
   * The hot path of every deploy and status report, so it joins nothing: the names come from `env`.
   */
  async deploymentState(env: EnvironmentRecord, wanted: { active?: boolean; candidate?: string }): Promise<EnvironmentDeployments> {
    const columns = deploymentColumns('$2::text', '$3::text');
    const params: unknown[] = [env.id, env.project, env.spec.name];
    const branches = [`(SELECT 'current' AS slot, ${columns} FROM deployments d
      WHERE d.environment_id = $1 AND d.status = 'success' ORDER BY d.id DESC LIMIT 1)`];
    if (wanted.active) {
      branches.push(`(SELECT 'active' AS slot, ${columns} FROM deployments d
        WHERE d.environment_id = $1 AND d.status NOT IN (${TERMINAL_SQL}) ORDER BY d.id DESC LIMIT 1)`);
    }
    if (wanted.candidate !== undefined) {
      params.push(wanted.candidate);
      branches.push(`(SELECT 'candidate' AS slot, ${columns} FROM deployments d
        WHERE d.environment_id = $1 AND d.release_candidate_version = $4 AND d.status NOT IN (${TERMINAL_SQL})
        ORDER BY d.id DESC LIMIT 1)`);
    }
    const rows = await this.sql.query<DeploymentRow & { slot: string }>(branches.join(' UNION ALL '), params);
    const bySlot = new Map(rows.map((row) => [row.slot, toDeployment(row)]));
    return { current: bySlot.get('current'), active: bySlot.get('active'), activeOfCandidate: bySlot.get('candidate') };
  }

  /** Every non-terminal deployment, newest first. */
  async activeDeployments(environmentId: string): Promise<Deployment[]> {
    return this.deploymentsWhere(`d.environment_id = $1 AND d.status NOT IN (${TERMINAL_SQL})`, [environmentId], 'ORDER BY d.id DESC');
  }

  async newestDeployment(environmentId: string): Promise<Deployment | undefined> {
    return (await this.deploymentsWhere('d.environment_id = $1', [environmentId], 'ORDER BY d.id DESC LIMIT 1'))[0];
  }

  async deploymentsOf(environmentId: string, page: Page): Promise<Deployment[]> {
    return this.deploymentsWhere('d.environment_id = $1', [environmentId, page.per_page, (page.page - 1) * page.per_page],
      'ORDER BY d.id DESC LIMIT $2 OFFSET $3');
  }

  async findDeployment(projectId: string, deploymentId: string): Promise<Deployment | undefined> {
    return (await this.deploymentsWhere('d.project_id = $1 AND d.id = $2', [projectId, deploymentId]))[0];
  }

  /**
   * Pending deployments with an approval request (of one project, when given), oldest first: the inbox
   * of endpoint 21 before core/approvals' awaitsApproval leaves out the complete and rejected ones.
   */
  async pendingApprovals(projectId: string | undefined): Promise<Deployment[]> {
    return this.deploymentsWhere(`d.status = 'pending' AND d.approval IS NOT NULL AND ($1::bigint IS NULL OR d.project_id = $1)`,
      [projectId ?? null], 'ORDER BY d.id');
  }

  async countDeployments(environmentId: string): Promise<number> {
    const rows = await this.sql.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM deployments WHERE environment_id = $1', [environmentId]);
    return rows[0]?.count ?? 0;
  }

  /** Versions of the migrations applied to this database, ascending. */
  async appliedMigrations(): Promise<number[]> {
    const rows = await this.sql.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    return rows.map((row) => row.version);
  }

  // ── events and tokens ──────────────────────────────────────────────────────────────────────────

  /** The newest event id: a version number of everything (each change records an event). */
  async latestEventId(): Promise<number> {
    const rows = await this.sql.query<{ id: string }>('SELECT COALESCE(max(id), 0)::text AS id FROM events');
    return Number(rows[0]?.id ?? 0);
  }

  /** Retained events after `afterId`, oldest first, optionally of one project. */
  async eventsAfter(afterId: number, project: string | null, limit: number): Promise<StoredEvent[]> {
    const rows = await this.sql.query<EventRow>(
      // Ordered by the bigint column, not the text alias of the same name (which sorts "10" before "9").
      `SELECT ev.id::text AS id, ev.type, ev.project, ev.data FROM events ev
       WHERE ev.id > $1 AND ($2::text IS NULL OR ev.project = $2) ORDER BY ev.id LIMIT $3`, [afterId, project, limit]);
    return rows.map((row) => ({ id: Number(row.id), type: row.type, project: row.project, data: row.data }));
  }

  /**
   * The retained events with ids in (afterId, throughId], oldest first, optionally of one project, and
   * the newest id committed, read on one snapshot: the events after that id are not in the answer yet.
   */
  async eventRange(afterId: number, throughId: number, project: string | null): Promise<{ events: StoredEvent[]; head: number }> {
    const events = await this.sql.query<EventRow>(
      `SELECT ev.id::text AS id, ev.type, ev.project, ev.data FROM events ev
       WHERE ev.id > $1 AND ev.id <= $2 AND ($3::text IS NULL OR ev.project = $3) ORDER BY ev.id`, [afterId, throughId, project]);
    return {
      events: events.map((row) => ({ id: Number(row.id), type: row.type, project: row.project, data: row.data })),
      head: await this.latestEventId(),
    };
  }

  /** The oldest retained event id (0 when the log is empty) and the newest. */
  async eventWindow(): Promise<{ oldest: number; head: number }> {
    const rows = await this.sql.query<{ oldest: string; head: string }>(
      'SELECT COALESCE(min(id), 0)::text AS oldest, COALESCE(max(id), 0)::text AS head FROM events');
    return { oldest: Number(rows[0]?.oldest ?? 0), head: Number(rows[0]?.head ?? 0) };
  }

  async tokenByHash(tokenHash: string): Promise<TokenRecord | undefined> {
    const rows = await this.sql.query<TokenRow>('SELECT name, role, created_at FROM tokens WHERE token_hash = $1', [tokenHash]);
    return rows[0] && toTokenRecord(rows[0]);
  }

  async tokens(): Promise<TokenRecord[]> {
    const rows = await this.sql.query<TokenRow>('SELECT name, role, created_at FROM tokens ORDER BY created_at DESC, name');
    return rows.map(toTokenRecord);
  }
}

function byEnvironment(rows: DeploymentRow[]): Map<string, Deployment> {
  return new Map(rows.map((row) => [row.environment_id, toDeployment(row)]));
}
