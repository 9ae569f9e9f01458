// The engine's changes to deployments, each inside one store transaction that has locked the
// environment first (as the service's operations do): failing a deployment and rolling back
// automatically, what follows a success, and the API's pause / resume / abort / health verdict
// (endpoints 13 and 14), which any server sharing the database may perform.
import type { Deployment, DeploymentHealth, DeploymentStatus, HealthVerdictBody, Rollout, RolloutStep } from '../../api/schemas';
import { awaitsApproval } from '../../core/approvals';
import { ApiError, DEPLOYMENT_NOT_FOUND, PROJECT_NOT_FOUND } from '../errors';
import { checkPermission } from '../service/deployments';
import type { Principal } from '../service/principal';
import type { ReleaseService } from '../service/release-service';
import { isTerminal } from '../service/status-machine';
import { ENGINE_SUCCEEDED_NOTE, type EnvironmentRecord, type StoreWriter } from '../store';

/**
 * How long after its success a deployment stays watched (health checks, verdicts): at least this, and
 * through its environment's auto-promotion delay.
 */
export const WATCH_AFTER_SUCCESS_SECONDS = 600;

export const ENGINE_ACTOR = 'flightdeck';

/** The steps the engine walks for a deployment: its rollout's, else one step to 100 %. */
export function stepsOf(deployment: Deployment): RolloutStep[] {
  // A rollback returns to a known-good candidate: at once, not through the soaks.
  if (deployment.rollout && (deployment.kind === 'deploy' || deployment.kind === 'promote')) return deployment.rollout.steps;
  return [{ percent: 100, soak_seconds: 0 }];
}

export function walksRollout(deployment: Deployment): boolean {
  return deployment.rollout !== null && (deployment.kind === 'deploy' || deployment.kind === 'promote');
}

/** Until when a successful deployment is watched. */
export function watchedUntil(env: EnvironmentRecord, endedAt: Date): Date {
  const interval = env.spec.health_check?.interval_seconds ?? 0;
  const promoteDelay = env.spec.auto_promote ? env.spec.auto_promote.after_seconds + 2 * interval : 0;
  return new Date(endedAt.getTime() + Math.max(WATCH_AFTER_SUCCESS_SECONDS, promoteDelay) * 1000);
}

export function emptyHealth(): DeploymentHealth {
  return { healthy: null, consecutive_failures: 0, last_checked_at: null, last_error: null };
}

/** A rollout fully live (after success), or unchanged for other deployments. */
function fullyLive(rollout: Rollout | null): Rollout | null {
  if (!rollout) return null;
  return { ...rollout, step: Math.max(0, rollout.steps.length - 1), percent: 100, soak_ends_at: null };
}

export async function updateAndAnnounce(
  w: StoreWriter, env: EnvironmentRecord, deploymentId: string, change: Parameters<StoreWriter['updateDeployment']>[1], at: Date,
): Promise<Deployment> {
  const updated = await w.updateDeployment(deploymentId, change, at);
  w.recordEvent('deployment.updated', env.project, env.spec.name, at, updated);
  return updated;
}

/** Marks a deployment successful (fully live) and schedules what follows a success. */
export async function succeed(w: StoreWriter, env: EnvironmentRecord, deployment: Deployment, at: Date): Promise<Deployment> {
  const updated = await updateAndAnnounce(w, env, deployment.id, {
    status: 'success', endAt: at, ...(deployment.rollout ? { rollout: fullyLive(deployment.rollout) } : {}),
  }, at);
  await w.engine.finishTasks(deployment.id, ['deploy'], ENGINE_SUCCEEDED_NOTE, at);
  await afterSuccess(w, env, updated, at);
  return updated;
}

/** A success is watched for a while (health checks) and, when the environment says so, auto-promoted. */
export async function afterSuccess(w: StoreWriter, env: EnvironmentRecord, deployment: Deployment, at: Date): Promise<void> {
  if (env.spec.health_check) {
    await w.engine.insertTask(deployment.id, 'health', {
      state: 'scheduled', dueAt: new Date(at.getTime() + env.spec.health_check.interval_seconds * 1000),
    }, at);
  }
  const autoPromote = env.spec.auto_promote;
  if (autoPromote) {
    const endedAt = deployment.deploy_end_at === null ? at : new Date(deployment.deploy_end_at);
    await w.engine.insertTask(deployment.id, 'promote', {
      state: 'scheduled', dueAt: new Date(endedAt.getTime() + autoPromote.after_seconds * 1000),
    }, at);
  }
}

/**
 * Ends a deployment as failed (or errored) with the reason, and rolls its environment back to the
 * previous current candidate (`kind: auto_rollback`, actor flightdeck). Deliberately also from
 * `success`: a deployment found unhealthy while still watched must stop being current, or it could be
 * promoted further. Rollbacks themselves are not rolled back (that would ping-pong).
 */
export async function failAndRollBack(
  w: StoreWriter, env: EnvironmentRecord, deployment: Deployment, status: Extract<DeploymentStatus, 'failure' | 'error'>, reason: string, at: Date,
): Promise<{ failed: Deployment; rollback: Deployment | undefined }> {
  const failed = await updateAndAnnounce(w, env, deployment.id, {
    status, errorMessage: reason, endAt: at,
    ...(deployment.rollout ? { rollout: { ...deployment.rollout, soak_ends_at: null } } : {}),
  }, at);
  await w.engine.finishTasks(deployment.id, ['deploy', 'health', 'promote'], `${status}: ${reason.split('\n')[0] ?? ''}`, at);
  return { failed, rollback: await rollBackAfter(w, env, failed, at) };
}

/** The automatic rollback that follows a failed deploy or promote, if there is anything to return to. */
export async function rollBackAfter(w: StoreWriter, env: EnvironmentRecord, failed: Deployment, at: Date): Promise<Deployment | undefined> {
  if (failed.kind !== 'deploy' && failed.kind !== 'promote') return undefined;
  // Only the newest deployment's failure decides what runs; anything newer already replaced it.
  const newest = await w.newestDeployment(env.id);
  if (!newest || newest.id !== failed.id) return undefined;
  if ((await w.activeDeployments(env.id)).length > 0) return undefined;
  // Back to the previous current candidate: the newest success (the failed deployment no longer is one).
  const current = await w.currentDeployment(env.id);
  if (!current) return undefined;
  const candidate = await w.findCandidate(env.projectId, current.release_candidate_version);
  if (!candidate) return undefined;
  // `from_*` names what this rollback replaces: the failed candidate, which was live (partly, for a
  // rollout) when it started, not the candidate it returns to.
  const rollback = await w.insertDeployment({
    projectId: env.projectId, environmentId: env.id, candidate, from: failed, status: 'pending', kind: 'auto_rollback',
    actor: ENGINE_ACTOR, at, errorMessage: null,
    rollout: env.spec.strategy === 'rollout' && env.spec.steps !== null ? { step: 0, percent: 0, steps: env.spec.steps, paused: false } : null,
  });
  w.recordEvent('deployment.created', env.project, env.spec.name, at, rollback);
  await w.engine.scheduleStart(rollback, env, at);
  return rollback;
}

/** Records a health result; announces it when it changes what a client shows. */
export async function recordHealth(
  w: StoreWriter, env: EnvironmentRecord, deployment: Deployment, healthy: boolean, error: string | null, at: Date,
): Promise<Deployment> {
  const before = deployment.health ?? emptyHealth();
  const after: DeploymentHealth = {
    healthy,
    consecutive_failures: healthy ? 0 : before.consecutive_failures + 1,
    last_checked_at: at.toISOString(),
    last_error: healthy ? null : error,
    failure_threshold: env.spec.health_check?.failure_threshold ?? null,
  };
  const updated = await w.engine.setHealth(deployment.id, after);
  if (before.healthy !== after.healthy || before.consecutive_failures !== after.consecutive_failures || before.last_error !== after.last_error) {
    w.recordEvent('deployment.updated', env.project, env.spec.name, at, updated);
  }
  return updated;
}

/**
 * Whether a deployment's health still matters: it is active, or it succeeded, is within its watch and
 * nothing newer was deployed there since (the checks then speak about the newer one).
 */
export async function isWatched(w: StoreWriter, env: EnvironmentRecord, deployment: Deployment, at: Date): Promise<boolean> {
  if (!isTerminal(deployment.status)) return true;
  if (deployment.status !== 'success' || deployment.deploy_end_at === null) return false;
  if (at >= watchedUntil(env, new Date(deployment.deploy_end_at))) return false;
  return (await w.newestDeployment(env.id))?.id === deployment.id;
}

// ── endpoints 13 and 14 ──────────────────────────────────────────────────────────────────────────

/** Finds a deployment of a project and locks its environment; the deployment is read after the lock. */
async function lockDeployment(w: StoreWriter, project: string, id: string): Promise<{ env: EnvironmentRecord; deployment: Deployment }> {
  const projectRecord = await w.findProject(project);
  if (!projectRecord) throw new ApiError(404, PROJECT_NOT_FOUND);
  const found = await w.findDeployment(projectRecord.id, id);
  if (!found) throw new ApiError(404, DEPLOYMENT_NOT_FOUND);
  const byId = await w.engine.deploymentById(found.id);
  const env = byId && await w.engine.lockEnvironmentById(byId.environmentId);
  const deployment = env && (await w.engine.deploymentById(found.id))?.deployment;
  if (!env || !deployment) throw new ApiError(404, DEPLOYMENT_NOT_FOUND);
  return { env, deployment };
}

function activeRollout(deployment: Deployment, action: string): Rollout {
  if (!deployment.rollout) throw new ApiError(409, `Deployment ${deployment.id} is not a rollout: only rollouts can be ${action}`);
  if (isTerminal(deployment.status)) {
    throw new ApiError(409, `Deployment ${deployment.id} is ${deployment.status}: only an active rollout can be ${action}`, { status: deployment.status });
  }
  return deployment.rollout;
}

/** Pause: the rollout holds its percent and its soak clock stops (what is left is kept). */
export function pause(service: ReleaseService, principal: Principal, project: string, id: string): Promise<Deployment> {
  return service.store.write(async (w) => {
    const at = new Date();
    const { env, deployment } = await lockDeployment(w, project, id);
    checkPermission({ principal }, env, 'pause');
    const rollout = activeRollout(deployment, 'paused');
    if (rollout.paused) return deployment;
    const task = await w.engine.lockTask(deployment.id, 'deploy');
    if (task?.state === 'scheduled') {
      const remaining = Math.max(0, (task.dueAt?.getTime() ?? at.getTime()) - at.getTime());
      await w.engine.updateTask(task.id, { state: 'paused', dueAt: null, remainingMs: remaining }, at);
    }
    // A step being applied right now finishes; its soak then starts paused (see steps.ts).
    return updateAndAnnounce(w, env, deployment.id, { rollout: { ...rollout, paused: true, soak_ends_at: null } }, at);
  });
}

/** Resume: the soak clock runs again for what was left of it. */
export function resume(service: ReleaseService, principal: Principal, project: string, id: string): Promise<Deployment> {
  return service.store.write(async (w) => {
    const at = new Date();
    const { env, deployment } = await lockDeployment(w, project, id);
    checkPermission({ principal }, env, 'resume');
    const rollout = activeRollout(deployment, 'resumed');
    if (!rollout.paused) return deployment;
    const task = await w.engine.lockTask(deployment.id, 'deploy');
    let soakEndsAt: string | null = null;
    if (task?.state === 'paused') {
      const remaining = task.remainingMs ?? 0;
      const due = new Date(at.getTime() + remaining);
      await w.engine.updateTask(task.id, { state: 'scheduled', dueAt: due, remainingMs: null }, at);
      if (remaining > 0) soakEndsAt = due.toISOString();
    }
    return updateAndAnnounce(w, env, deployment.id, { rollout: { ...rollout, paused: false, soak_ends_at: soakEndsAt } }, at);
  });
}

/** Abort: the deployment fails and the environment rolls back to its previous current candidate. */
export function abort(service: ReleaseService, principal: Principal, project: string, id: string): Promise<Deployment> {
  return service.store.write(async (w) => {
    const at = new Date();
    const { env, deployment } = await lockDeployment(w, project, id);
    if (isTerminal(deployment.status)) {
      throw new ApiError(409, `Deployment ${deployment.id} is ${deployment.status}: only an active deployment can be aborted`, { status: deployment.status });
    }
    checkPermission({ principal }, env, 'abort');
    // Nothing of it ran: there is nothing to roll back, and the way to stop it is endpoint 20.
    if (awaitsApproval(deployment)) {
      throw new ApiError(409, `Deployment ${deployment.id} is awaiting approval: reject (or withdraw) it instead`, { status: deployment.status });
    }
    const where = deployment.rollout
      ? ` at step ${deployment.rollout.step + 1} of ${deployment.rollout.steps.length} (${deployment.rollout.percent}% live)`
      : '';
    return (await failAndRollBack(w, env, deployment, 'failure', `Aborted by ${principal.name}${where}`, at)).failed;
  });
}

/** Endpoint 14: an external monitor's verdict. Unhealthy fails a watched deployment and rolls back. */
export function reportHealth(service: ReleaseService, principal: Principal, project: string, id: string, body: HealthVerdictBody): Promise<Deployment> {
  return service.store.write(async (w) => {
    const at = new Date();
    const { env, deployment } = await lockDeployment(w, project, id);
    // A healthy verdict changes nothing that runs; an unhealthy one rolls back, as abort does.
    if (!body.healthy) checkPermission({ principal }, env, 'report_unhealthy');
    if (!(await isWatched(w, env, deployment, at))) {
      throw new ApiError(409, `Deployment ${deployment.id} is ${deployment.status} and no longer watched`, { status: deployment.status });
    }
    const reason = body.reason ?? null;
    const recorded = await recordHealth(w, env, deployment, body.healthy, body.healthy ? null : reason ?? `reported unhealthy by ${principal.name}`, at);
    if (body.healthy) return recorded;
    const message = `Reported unhealthy by ${principal.name}${reason ? `: ${reason}` : ''}`;
    return (await failAndRollBack(w, env, recorded, 'failure', message, at)).failed;
  });
}
