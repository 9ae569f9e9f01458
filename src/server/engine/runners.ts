// The engine's task runners besides deploy steps: health checks of a watched deployment, and
// auto-promotion of a successful one. Each runs a task the loop claimed (`claim`), outside any
// transaction while it waits (an HTTP check, a command), then records the outcome in one transaction that
// re-checks the task is still ours.
import type { Deployment } from '../../api/schemas';
import { autoPromoteDecision, type SuccessProvenance } from '../../core/autoPromote';
import { ROLLBACK_HISTORY } from '../../core/rollback';
import { ApiError } from '../errors';
import type { ServerSecrets } from '../secrets';
import { promote } from '../service/deployments';
import { SERVER_PRINCIPAL } from '../service/principal';
import type { ReleaseService } from '../service/release-service';
import { ADMIN_TOKEN_ACTOR } from '../service/tokens';
import { ENGINE_SUCCEEDED_NOTE, type EngineTask, type StoreWriter } from '../store';
import type { EngineLog } from './log';
import { checkHealth } from './executors';
import type { HostLookup } from './outbound';
import { failAndRollBack, isWatched, recordHealth, watchedUntil } from './operations';

/** A deployment that cannot be promoted because its target is busy is tried again after this long. */
const PROMOTE_RETRY_MS = 15_000;

export interface TaskRun {
  service: ReleaseService;
  /** The claiming engine run: a task claimed by another (after a takeover) is left alone. */
  claim: string;
  /** Aborted when the engine stops: a check in flight is put back, not counted. */
  checks: AbortSignal;
  log: EngineLog;
  secrets: ServerSecrets;
  /** How health-check host names resolve (default dns.lookup). */
  hostLookup?: HostLookup | undefined;
}

export async function runHealthTask(run: TaskRun, task: EngineTask): Promise<void> {
  const found = await run.service.store.write(async (w) => {
    const byId = await w.engine.deploymentById(task.deploymentId);
    const env = byId && await w.engine.environmentById(byId.environmentId);
    return byId && env ? { deployment: byId.deployment, env } : undefined;
  });
  const spec = found?.env.spec.health_check;
  if (!found || !spec) {
    await finishTask(run, task, 'nothing to check');
    return;
  }
  const result = found.deployment.status === 'pending'
    ? undefined // not started yet: nothing new to check
    : await checkHealth(spec, found.env, found.deployment, run.checks, run.secrets, run.hostLookup);
  const interrupted = run.checks.aborted;
  await run.service.store.write(async (w) => {
    const at = new Date();
    const env = await w.engine.lockEnvironmentById(task.environmentId);
    const locked = await w.engine.lockTask(task.deploymentId, 'health');
    if (!env || !locked || locked.state !== 'running' || locked.claim !== run.claim) return;
    const deployment = (await w.engine.deploymentById(task.deploymentId))?.deployment;
    const healthCheck = env.spec.health_check;
    if (!deployment || !healthCheck || !(await isWatched(w, env, deployment, at))) {
      await w.engine.updateTask(locked.id, { state: 'done', claim: null, dueAt: null, note: 'no longer watched' }, at);
      return;
    }
    const next = new Date(at.getTime() + healthCheck.interval_seconds * 1000);
    if (interrupted || !result) {
      await w.engine.updateTask(locked.id, { state: 'scheduled', claim: null, dueAt: interrupted ? at : next }, at);
      return;
    }
    const recorded = await recordHealth(w, env, deployment, result.healthy, result.error, at);
    const failures = recorded.health?.consecutive_failures ?? 0;
    if (!result.healthy && failures >= healthCheck.failure_threshold) {
      await failAndRollBack(w, env, recorded, 'failure',
        `Health check failed ${failures} times in a row: ${result.error ?? 'unhealthy'}`, at);
      return;
    }
    await w.engine.updateTask(locked.id, { state: 'scheduled', claim: null, dueAt: next }, at);
  });
}

export async function runPromoteTask(run: TaskRun, task: EngineTask): Promise<void> {
  await run.service.store.write(async (w) => {
    const at = new Date();
    const locked = await w.engine.lockTask(task.deploymentId, 'promote');
    if (!locked || locked.state !== 'running' || locked.claim !== run.claim) return;
    const done = (note: string): Promise<void> => w.engine.updateTask(locked.id, { state: 'done', claim: null, dueAt: null, note }, at);
    const later = (ms: number, note: string): Promise<void> =>
      w.engine.updateTask(locked.id, { state: 'scheduled', claim: null, dueAt: new Date(at.getTime() + ms), note }, at);
    const byId = await w.engine.deploymentById(task.deploymentId);
    const env = byId && await w.engine.environmentById(byId.environmentId);
    const autoPromote = env?.spec.auto_promote;
    if (!byId || !env || !autoPromote) return done('no auto-promotion');
    const deployment = byId.deployment;
    if (deployment.status !== 'success' || (await w.currentDeployment(env.id))?.id !== deployment.id) return done('no longer current');
    const healthCheck = env.spec.health_check;
    if (healthCheck && deployment.health?.healthy !== true) {
      // Promote only what was seen healthy; wait for the checks while it is watched.
      const endedAt = new Date(deployment.deploy_end_at ?? at);
      if (at < watchedUntil(env, endedAt)) return later(healthCheck.interval_seconds * 1000, 'waiting for a healthy check');
      return done('not healthy: not promoted');
    }
    const target = await w.findEnvironment(env.project, autoPromote.to);
    if (!target) return done(`environment ${autoPromote.to} is gone`);
    const decision = autoPromoteDecision({
      source: deployment,
      provenance: await successProvenance(w, deployment),
      target: { name: target.spec.name, protected: target.spec.protected },
      targetHistory: await w.deploymentsOf(target.id, { page: 1, per_page: ROLLBACK_HISTORY }),
    });
    if (!decision.promote) {
      // Said once (the task ends), in the server's log and in the task's note.
      run.log.info({ deployment: deployment.id, to: autoPromote.to, skip: decision.skip }, `engine: auto-promotion skipped: ${decision.reason}`);
      return done(`skipped (${decision.skip}): ${decision.reason}`);
    }
    try {
      const promoted = await promote({ writer: w, principal: SERVER_PRINCIPAL, at }, env.project, autoPromote.to, {
        from_environment: env.spec.name, release_candidate_version: deployment.release_candidate_version,
      });
      run.log.info({ deployment: deployment.id, promoted: promoted.id, to: autoPromote.to }, 'engine: auto-promoted');
      return done(`promoted to ${autoPromote.to} as deployment ${promoted.id}`);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // Busy (a deployment is active there): try again while this one stays current.
      if (error.statusCode === 409) return later(PROMOTE_RETRY_MS, error.message);
      return done(`not promoted: ${error.message}`);
    }
  });
}

async function finishTask(run: TaskRun, task: EngineTask, note: string): Promise<void> {
  await run.service.store.write(async (w) => {
    const locked = await w.engine.lockTask(task.deploymentId, task.kind);
    if (locked?.state === 'running' && locked.claim === run.claim) {
      await w.engine.updateTask(locked.id, { state: 'done', claim: null, dueAt: null, note }, new Date());
    }
  });
}

/**
 * How a successful deployment came about (core/autoPromote): the engine saw it through (its deploy task
 * ended as succeeded), an admin caused it (its actor is an admin token: who deployed, promoted or
 * reported it), or a pipeline reported it.
 */
async function successProvenance(w: StoreWriter, deployment: Deployment): Promise<SuccessProvenance> {
  if ((await w.engine.findTask(deployment.id, 'deploy'))?.note === ENGINE_SUCCEEDED_NOTE) return 'engine';
  if (deployment.actor === ADMIN_TOKEN_ACTOR) return 'admin';
  const token = (await w.tokens()).find((t) => t.name === deployment.actor);
  return token?.role === 'admin' ? 'admin' : 'reported';
}
