// The progressive-delivery engine's SQL (src/server/engine): its durable tasks (`engine_tasks`, one row
// per deployment and kind, due at `due_at`), the deployment `health` column, the sweeps that find work
// the engine was not told about (pipeline-reported deployments), and the advisory lock that keeps one
// engine per PostgreSQL database. Reached through `writer.engine` inside a Store.write transaction.
import pg from 'pg';
import { TERMINAL_STATUSES, type Deployment, type DeploymentHealth } from '../../api/schemas';
import type { SqlClient } from './database';
import {
  DEPLOYMENT_COLUMNS, ENVIRONMENT_COLUMNS, toDeployment, toEnvironmentRecord, type DeploymentRow, type EnvironmentRecord,
  type EnvironmentRow,
} from './rows';

/** `approval`: a deployment awaiting approval, due when its request expires (service/approvals.ts). */
export type EngineTaskKind = 'deploy' | 'health' | 'promote' | 'approval';
/**
 * scheduled: due at `dueAt` · running: claimed by an engine (`claim`), its executor call recorded as
 * started · paused: a paused rollout's wait (`remainingMs` left) · waiting: delivered, waiting for the
 * pipeline to report (webhook) · done.
 */
export type EngineTaskState = 'scheduled' | 'running' | 'paused' | 'waiting' | 'done';

export interface EngineTask {
  id: string;
  deploymentId: string;
  environmentId: string;
  kind: EngineTaskKind;
  state: EngineTaskState;
  /** deploy: the index of the rollout step to apply next (steps.length: finish). */
  step: number;
  dueAt: Date | null;
  /** deploy: how many times the current step was claimed (a claim that never finished was a crash). */
  attempts: number;
  claim: string | null;
  remainingMs: number | null;
  data: Record<string, unknown>;
  note: string | null;
}

export interface EngineTaskChange {
  state?: EngineTaskState;
  step?: number;
  dueAt?: Date | null;
  attempts?: number;
  claim?: string | null;
  remainingMs?: number | null;
  data?: Record<string, unknown>;
  note?: string | null;
}

interface TaskRow {
  id: string;
  deployment_id: string;
  environment_id: string;
  kind: string;
  state: string;
  step: number;
  due_at: Date | string | null;
  attempts: number;
  claim: string | null;
  remaining_ms: string | number | null;
  data: Record<string, unknown> | null;
  note: string | null;
}

const TASK_COLUMNS = `t.id::text AS id, t.deployment_id::text AS deployment_id, t.environment_id::text AS environment_id,
  t.kind, t.state, t.step, t.due_at, t.attempts, t.claim, t.remaining_ms, t.data, t.note`;
/**
 * The note of a deploy task the engine itself saw through to success (its executor exited 0, its rollout
 * completed): how auto-promotion tells a verified success from a reported one.
 */
export const ENGINE_SUCCEEDED_NOTE = 'succeeded';

const TERMINAL_SQL = [...TERMINAL_STATUSES].map((status) => `'${status}'`).join(', ');

function toTask(row: TaskRow): EngineTask {
  return {
    id: row.id,
    deploymentId: row.deployment_id,
    environmentId: row.environment_id,
    kind: row.kind as EngineTaskKind,
    state: row.state as EngineTaskState,
    step: row.step,
    dueAt: row.due_at === null ? null : new Date(row.due_at),
    attempts: row.attempts,
    claim: row.claim,
    remainingMs: row.remaining_ms === null ? null : Number(row.remaining_ms),
    data: row.data ?? {},
    note: row.note,
  };
}

/** Column and cast of each settable field. */
const CHANGE_COLUMNS: Record<keyof EngineTaskChange, [string, string]> = {
  state: ['state', 'text'],
  step: ['step', 'integer'],
  dueAt: ['due_at', 'timestamptz'],
  attempts: ['attempts', 'integer'],
  claim: ['claim', 'text'],
  remainingMs: ['remaining_ms', 'bigint'],
  data: ['data', 'jsonb'],
  note: ['note', 'text'],
};

export class EngineStatements {
  constructor(private readonly sql: SqlClient) {}

  // ── tasks ──────────────────────────────────────────────────────────────────────────────────────

  /** Adds a task unless the deployment already has one of that kind; true when added. */
  async insertTask(
    deploymentId: string, kind: EngineTaskKind, fields: { state: EngineTaskState; dueAt: Date | null; step?: number; data?: Record<string, unknown> },
    at: Date,
  ): Promise<boolean> {
    const rows = await this.sql.query<{ id: string }>(
      `INSERT INTO engine_tasks (deployment_id, environment_id, kind, state, step, due_at, data, created_at, updated_at)
       SELECT d.id, d.environment_id, $2, $3, $4, $5, $6::jsonb, $7, $7 FROM deployments d WHERE d.id = $1
       ON CONFLICT (deployment_id, kind) DO NOTHING RETURNING id::text AS id`,
      [deploymentId, kind, fields.state, fields.step ?? 0, fields.dueAt, JSON.stringify(fields.data ?? {}), at]);
    return rows.length > 0;
  }

  /**
   * A deployment created by deploy, promote or rollback (never by a reported status): the engine's cue
   * to run the environment's executor or walk its rollout, due now. Environments that do neither (deploy
   * type `none`, not a rollout) get no task: their pipeline reports.
   */
  async scheduleStart(deployment: Deployment, env: EnvironmentRecord, at: Date): Promise<void> {
    if (env.spec.deploy.type === 'none' && env.spec.strategy !== 'rollout') return;
    await this.insertTask(deployment.id, 'deploy', { state: 'scheduled', dueAt: at }, at);
  }

  /** The task of a deployment, as it stands (not locked): what happened to it. */
  async findTask(deploymentId: string, kind: EngineTaskKind): Promise<EngineTask | undefined> {
    const rows = await this.sql.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM engine_tasks t WHERE t.deployment_id = $1 AND t.kind = $2`, [deploymentId, kind]);
    return rows[0] && toTask(rows[0]);
  }

  /** The task of a deployment, locked until commit. */
  async lockTask(deploymentId: string, kind: EngineTaskKind): Promise<EngineTask | undefined> {
    const rows = await this.sql.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM engine_tasks t WHERE t.deployment_id = $1 AND t.kind = $2 FOR UPDATE`, [deploymentId, kind]);
    return rows[0] && toTask(rows[0]);
  }

  async updateTask(taskId: string, change: EngineTaskChange, at: Date): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [taskId, at];
    for (const [key, [column, cast]] of Object.entries(CHANGE_COLUMNS) as Array<[keyof EngineTaskChange, [string, string]]>) {
      if (!(key in change)) continue;
      const value = change[key];
      params.push(key === 'data' ? JSON.stringify(value) : value);
      sets.push(`${column} = $${params.length}::${cast}`);
    }
    await this.sql.query(`UPDATE engine_tasks SET ${[...sets, 'updated_at = $2'].join(', ')} WHERE id = $1`, params);
  }

  /** Marks every open task of a deployment done (it failed, was aborted or ended otherwise). */
  async finishTasks(deploymentId: string, kinds: readonly EngineTaskKind[], note: string, at: Date): Promise<void> {
    await this.sql.query(
      `UPDATE engine_tasks SET state = 'done', due_at = NULL, claim = NULL, note = $3, updated_at = $4
       WHERE deployment_id = $1 AND kind = ANY($2::text[]) AND state <> 'done'`, [deploymentId, [...kinds], note, at]);
  }

  /**
   * Claims up to `limit` tasks due by `now`: running, with `claim`, and a deploy task's attempt counted,
   * all committed before any of them runs. Deploy tasks of the environments in `busy` (an executor of
   * theirs is still running) stay for later.
   */
  async claimDue(now: Date, limit: number, claim: string, busyEnvironments: readonly string[]): Promise<EngineTask[]> {
    const rows = await this.sql.query<TaskRow>(
      `UPDATE engine_tasks t SET state = 'running', claim = $3, updated_at = $1,
         attempts = CASE WHEN t.kind = 'deploy' THEN t.attempts + 1 ELSE t.attempts END
       WHERE t.id IN (
         SELECT id FROM engine_tasks
         WHERE state = 'scheduled' AND due_at <= $1 AND (kind <> 'deploy' OR NOT (environment_id = ANY($4::bigint[])))
         ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING ${TASK_COLUMNS}`, [now, limit, claim, [...busyEnvironments]]);
    return rows.map(toTask).sort((a, b) => (a.dueAt?.getTime() ?? 0) - (b.dueAt?.getTime() ?? 0));
  }

  /**
   * The environments of deploy tasks due by `now` (not in `busy`), to lock before claiming: every
   * change to an environment's deployments locks the environment first, then tasks.
   */
  async dueDeployEnvironments(now: Date, limit: number, busyEnvironments: readonly string[]): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      `SELECT DISTINCT environment_id::text AS id FROM (
         SELECT environment_id FROM engine_tasks
         WHERE state = 'scheduled' AND due_at <= $1 AND kind = 'deploy' AND NOT (environment_id = ANY($3::bigint[]))
         ORDER BY due_at LIMIT $2) due`, [now, limit, [...busyEnvironments]]);
    return rows.map((row) => row.id);
  }

  /** When the earliest scheduled task is due, if any is. */
  async nextDueAt(): Promise<Date | undefined> {
    const rows = await this.sql.query<{ due: Date | string | null }>(
      `SELECT min(due_at) AS due FROM engine_tasks WHERE state = 'scheduled'`);
    const due = rows[0]?.due;
    return due === null || due === undefined ? undefined : new Date(due);
  }

  /** Tasks a previous engine left running (it crashed, or lost its lock), for reconciliation. */
  async runningTasks(): Promise<EngineTask[]> {
    const rows = await this.sql.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM engine_tasks t WHERE t.state = 'running' ORDER BY t.id FOR UPDATE`);
    return rows.map(toTask);
  }

  // ── sweeps: work nobody scheduled (pipeline-reported deployments) and work left behind ─────────────

  /** In-progress deployments of environments with a health check and no health task yet. */
  async unwatchedActiveDeployments(limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      `SELECT d.id::text AS id FROM deployments d JOIN environments e ON e.id = d.environment_id
       WHERE d.status = 'in_progress' AND e.health_check IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM engine_tasks t WHERE t.deployment_id = d.id AND t.kind = 'health')
       ORDER BY d.id LIMIT $1`, [limit]);
    return rows.map((row) => row.id);
  }

  /**
   * Each environment's current deployment that ended after `since`, in environments that health-check
   * or auto-promote, with which of the two tasks it has already.
   */
  async recentCurrentDeployments(since: Date): Promise<Array<{ deploymentId: string; environment: EnvironmentRecord; endedAt: Date; hasHealth: boolean; hasPromote: boolean }>> {
    const rows = await this.sql.query<EnvironmentRow & { deployment_id: string; ended_at: Date | string; has_health: boolean; has_promote: boolean }>(
      `SELECT ${ENVIRONMENT_COLUMNS}, cur.id::text AS deployment_id, cur.deploy_end_at AS ended_at,
         EXISTS (SELECT 1 FROM engine_tasks t WHERE t.deployment_id = cur.id AND t.kind = 'health') AS has_health,
         EXISTS (SELECT 1 FROM engine_tasks t WHERE t.deployment_id = cur.id AND t.kind = 'promote') AS has_promote
       FROM environments e JOIN projects p ON p.id = e.project_id
       CROSS JOIN LATERAL (
         SELECT d.id, d.deploy_end_at FROM deployments d WHERE d.environment_id = e.id AND d.status = 'success'
         ORDER BY d.id DESC LIMIT 1) cur
       WHERE (e.health_check IS NOT NULL OR e.auto_promote IS NOT NULL) AND cur.deploy_end_at > $1`, [since]);
    return rows.map((row) => ({
      deploymentId: row.deployment_id, environment: toEnvironmentRecord(row), endedAt: new Date(row.ended_at),
      hasHealth: row.has_health, hasPromote: row.has_promote,
    }));
  }

  /** Open deploy tasks (waiting or paused) whose deployment has ended meanwhile (reported or rolled back). */
  async openTasksOfEndedDeployments(limit: number): Promise<Array<{ task: EngineTask; status: string }>> {
    const rows = await this.sql.query<TaskRow & { status: string }>(
      `SELECT ${TASK_COLUMNS}, d.status FROM engine_tasks t JOIN deployments d ON d.id = t.deployment_id
       WHERE t.state IN ('waiting', 'paused') AND d.status IN (${TERMINAL_SQL}) ORDER BY t.id LIMIT $1`, [limit]);
    return rows.map((row) => ({ task: toTask(row), status: row.status }));
  }

  /**
   * Non-terminal deployments unchanged since `before` that the engine is not holding (no deploy task
   * scheduled, running or paused, no approval awaited): stuck, as Aviator calls it.
   */
  async stuckDeployments(before: Date, limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      `SELECT d.id::text AS id FROM deployments d
       WHERE d.status NOT IN (${TERMINAL_SQL}) AND d.updated_at < $1
         AND NOT EXISTS (SELECT 1 FROM engine_tasks t WHERE t.deployment_id = d.id
           AND ((t.kind = 'deploy' AND t.state IN ('scheduled', 'running', 'paused'))
             OR (t.kind = 'approval' AND t.state IN ('scheduled', 'running'))))
       ORDER BY d.id LIMIT $2`, [before, limit]);
    return rows.map((row) => row.id);
  }

  // ── deployments and environments by id ─────────────────────────────────────────────────────────

  /** Locks an environment row by id (as StoreWriter.lockEnvironment does by name). */
  async lockEnvironmentById(environmentId: string): Promise<EnvironmentRecord | undefined> {
    const rows = await this.sql.query<EnvironmentRow>(
      `SELECT ${ENVIRONMENT_COLUMNS} FROM environments e JOIN projects p ON p.id = e.project_id
       WHERE e.id = $1 FOR UPDATE OF e`, [environmentId]);
    return rows[0] && toEnvironmentRecord(rows[0]);
  }

  async environmentById(environmentId: string): Promise<EnvironmentRecord | undefined> {
    const rows = await this.sql.query<EnvironmentRow>(
      `SELECT ${ENVIRONMENT_COLUMNS} FROM environments e JOIN projects p ON p.id = e.project_id WHERE e.id = $1`, [environmentId]);
    return rows[0] && toEnvironmentRecord(rows[0]);
  }

  // ── batches (a loop tick applies many steps in one transaction) ──────────────────────────────

  /** Locks environment rows by id, in id order (so two callers cannot deadlock). */
  async lockEnvironmentsById(environmentIds: readonly string[]): Promise<Map<string, EnvironmentRecord>> {
    if (environmentIds.length === 0) return new Map();
    const rows = await this.sql.query<EnvironmentRow>(
      `SELECT ${ENVIRONMENT_COLUMNS} FROM environments e JOIN projects p ON p.id = e.project_id
       WHERE e.id = ANY($1::bigint[]) ORDER BY e.id FOR UPDATE OF e`, [[...environmentIds]]);
    return new Map(rows.map((row) => [row.id, toEnvironmentRecord(row)]));
  }

  async deploymentsById(deploymentIds: readonly string[]): Promise<Map<string, Deployment>> {
    if (deploymentIds.length === 0) return new Map();
    const rows = await this.sql.query<DeploymentRow>(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d JOIN environments e ON e.id = d.environment_id
       JOIN projects p ON p.id = d.project_id WHERE d.id = ANY($1::bigint[])`, [[...deploymentIds]]);
    return new Map(rows.map((row) => [row.id, toDeployment(row)]));
  }

  /**
   * Updates many deployments in one statement (their environments locked): the rollout always, the
   * status when given, the end when `end` is true. Returns the new rows in the order given.
   */
  async updateDeploymentsInBatch(
    changes: ReadonlyArray<{ id: string; status: string | null; end: boolean; rollout: unknown }>, at: Date,
  ): Promise<Deployment[]> {
    if (changes.length === 0) return [];
    const rows = await this.sql.query<DeploymentRow>(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, status text, "end" boolean, rollout jsonb)),
       d AS (
         UPDATE deployments d SET status = COALESCE(r.status, d.status),
           deploy_end_at = CASE WHEN r."end" THEN $2::timestamptz ELSE d.deploy_end_at END,
           rollout = r.rollout, updated_at = $2
         FROM r WHERE d.id = r.id RETURNING d.*)
       SELECT ${DEPLOYMENT_COLUMNS} FROM d JOIN environments e ON e.id = d.environment_id JOIN projects p ON p.id = d.project_id`,
      [JSON.stringify(changes), at]);
    const byId = new Map(rows.map((row) => [row.id, toDeployment(row)]));
    return changes.map((change) => {
      const updated = byId.get(change.id);
      if (!updated) throw new Error(`Deployment ${change.id} vanished during its update`);
      return updated;
    });
  }

  /** Moves many tasks on in one statement: out of `running`, with their next step and due time. */
  async updateTasksInBatch(
    changes: ReadonlyArray<{ id: string; state: EngineTaskState; step: number; dueAt: Date | null; note: string | null }>, at: Date,
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.sql.query(
      `UPDATE engine_tasks t SET state = r.state, step = r.step, due_at = r.due_at, claim = NULL, attempts = 0,
         remaining_ms = NULL, data = '{}'::jsonb, note = r.note, updated_at = $2
       FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, state text, step integer, due_at timestamptz, note text)
       WHERE t.id = r.id`,
      [JSON.stringify(changes.map((c) => ({ ...c, due_at: c.dueAt?.toISOString() ?? null }))), at]);
  }

  /** A deployment with the id of its environment. */
  async deploymentById(deploymentId: string): Promise<{ deployment: Deployment; environmentId: string } | undefined> {
    const rows = await this.sql.query<DeploymentRow>(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d JOIN environments e ON e.id = d.environment_id
       JOIN projects p ON p.id = d.project_id WHERE d.id = $1`, [deploymentId]);
    return rows[0] && { deployment: toDeployment(rows[0]), environmentId: rows[0].environment_id };
  }

  /**
   * Records a deployment's health. `updated_at` stays: it tells when the deployment last progressed
   * (the stuck rule and the stage panel's soak estimate read it), and a health check is not progress.
   */
  async setHealth(deploymentId: string, health: DeploymentHealth): Promise<Deployment> {
    const rows = await this.sql.query<DeploymentRow>(
      `WITH d AS (UPDATE deployments SET health = $2::jsonb WHERE id = $1 RETURNING *)
       SELECT ${DEPLOYMENT_COLUMNS} FROM d JOIN environments e ON e.id = d.environment_id JOIN projects p ON p.id = d.project_id`,
      [deploymentId, JSON.stringify(health)]);
    if (!rows[0]) throw new Error(`Deployment ${deploymentId} vanished during its health update`);
    return toDeployment(rows[0]);
  }
}

// ── the engine lock (PostgreSQL) ─────────────────────────────────────────────────────────────────

/** Arbitrary constant: the session advisory lock held by the one engine of a PostgreSQL database. */
export const ENGINE_LOCK_KEY = 770_003;

export interface EngineLock {
  /** Resolves when the lock is lost (its connection broke). */
  readonly lost: Promise<Error>;
  release(): Promise<void>;
}

/**
 * Tries once to take the engine lock on a dedicated connection, which holds it for as long as it
 * lives. Undefined when another server holds it.
 */
export async function tryEngineLock(databaseUrl: string): Promise<EngineLock | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'flightdeck-engine' });
  let onLost: (error: Error) => void = () => undefined;
  const lost = new Promise<Error>((resolve) => { onLost = resolve; });
  client.on('error', (error) => onLost(error));
  client.on('end', () => onLost(new Error('the engine lock connection ended')));
  await client.connect();
  try {
    const rows = (await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [ENGINE_LOCK_KEY])).rows;
    if (rows[0]?.locked === true) {
      let released = false;
      return {
        lost,
        release: async () => {
          if (released) return;
          released = true;
          client.removeAllListeners('end');
          await client.end().catch(() => undefined);
        },
      };
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  client.removeAllListeners('end');
  await client.end().catch(() => undefined);
  return undefined;
}
