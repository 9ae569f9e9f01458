// The deploy task's state machine, one transaction per move. A step is *begun* (recorded as started,
// committed) before its executor runs and *finished* after, so a crash in between is visible to the next
// engine as a task left `running` (see reconcile in engine.ts).
import type { Deployment } from '../../api/schemas';
import { isTerminal } from '../service/status-machine';
import { ENGINE_SUCCEEDED_NOTE, type EngineTask, type EnvironmentRecord, type StoreWriter } from '../store';
import type { StepOutcome } from './executors';
import { afterSuccess, failAndRollBack, stepsOf, succeed, updateAndAnnounce, walksRollout } from './operations';

export type BeginResult =
  | { action: 'run'; env: EnvironmentRecord; deployment: Deployment; percent: number; attempt: number; delivery: number }
  /** Nothing to run: finished inline (no executor), ended, paused, or not ours any more. */
  | { action: 'none' };

/** The locked task, if it is still the one this engine claimed. */
async function ownedTask(w: StoreWriter, task: EngineTask, claim: string): Promise<EngineTask | undefined> {
  const locked = await w.engine.lockTask(task.deploymentId, 'deploy');
  if (!locked || locked.state !== 'running' || locked.claim !== claim || locked.step !== task.step) return undefined;
  return locked;
}

/** Locks the environment, then the task; the deployment is read after both. */
async function lockAll(w: StoreWriter, task: EngineTask, claim: string): Promise<{ env: EnvironmentRecord; locked: EngineTask; deployment: Deployment } | undefined> {
  const env = await w.engine.lockEnvironmentById(task.environmentId);
  if (!env) return undefined;
  const locked = await ownedTask(w, task, claim);
  if (!locked) return undefined;
  const deployment = (await w.engine.deploymentById(task.deploymentId))?.deployment;
  if (!deployment) return undefined;
  return { env, locked, deployment };
}

export async function beginStep(w: StoreWriter, task: EngineTask, claim: string, at: Date): Promise<BeginResult> {
  const found = await lockAll(w, task, claim);
  if (!found) return { action: 'none' };
  const { env, locked, deployment } = found;
  if (isTerminal(deployment.status)) {
    await w.engine.updateTask(locked.id, { state: 'done', claim: null, dueAt: null, note: `deployment ended ${deployment.status}` }, at);
    return { action: 'none' };
  }
  if (deployment.status === 'canceling') {
    await updateAndAnnounce(w, env, deployment.id, { status: 'canceled', endAt: at }, at);
    await w.engine.updateTask(locked.id, { state: 'done', claim: null, dueAt: null, note: 'canceled' }, at);
    return { action: 'none' };
  }
  if (deployment.rollout?.paused) {
    // Paused while it waited to be claimed: hold it, nothing of it ran.
    await w.engine.updateTask(locked.id, { state: 'paused', claim: null, dueAt: null, remainingMs: 0, attempts: Math.max(0, locked.attempts - 1) }, at);
    return { action: 'none' };
  }
  const steps = stepsOf(deployment);
  const index = locked.step;
  const step = steps[index];
  if (!step) {
    // Past the last step: its soak is over.
    await succeed(w, env, deployment, at);
    return { action: 'none' };
  }
  const noExecutor = env.spec.deploy.type === 'none';
  const starting = deployment.status === 'pending' || deployment.status === 'unknown';
  const rollout = walksRollout(deployment) && deployment.rollout
    ? { ...deployment.rollout, step: index, soak_ends_at: null }
    : undefined;
  // Without an executor the step is applied as it begins: one transaction, one event.
  if (noExecutor) {
    // The status change is announced by applyStep's update, which follows in this transaction.
    const started = starting ? await w.updateDeployment(deployment.id, { status: 'in_progress' }, at) : deployment;
    if (starting) await startWatching(w, env, started, at);
    await applyStep(w, env, rollout ? { ...started, rollout } : started, locked, at);
    return { action: 'none' };
  }
  // "Started step N", committed before the executor runs.
  const started = starting || rollout
    ? await updateAndAnnounce(w, env, deployment.id, { ...(starting ? { status: 'in_progress' as const } : {}), ...(rollout ? { rollout } : {}) }, at)
    : deployment;
  if (starting) await startWatching(w, env, started, at);
  const delivery = typeof locked.data.deliveries === 'number' ? locked.data.deliveries + 1 : 1;
  return { action: 'run', env, deployment: started, percent: step.percent, attempt: locked.attempts, delivery };
}

/**
 * The loop's hot path: steps without an executor, a whole batch in a constant number of statements
 * (one commit for all). Returns the tasks that take the one-by-one path of beginStep: an executor to
 * run, a deployment that ended, is paused or canceling, or health checks / an auto-promotion to schedule.
 */
export async function applyStepsInBatch(w: StoreWriter, tasks: readonly EngineTask[], at: Date): Promise<EngineTask[]> {
  if (tasks.length === 0) return [];
  const envs = await w.engine.lockEnvironmentsById([...new Set(tasks.map((t) => t.environmentId))]);
  const found = await w.engine.deploymentsById(tasks.map((t) => t.deploymentId));
  const rest: EngineTask[] = [];
  const changes: Array<{ id: string; status: string | null; end: boolean; rollout: Deployment['rollout'] }> = [];
  const taskChanges: Parameters<StoreWriter['engine']['updateTasksInBatch']>[0][number][] = [];
  for (const task of tasks) {
    const env = envs.get(task.environmentId);
    const deployment = found.get(task.deploymentId);
    if (!env || !deployment || env.spec.deploy.type !== 'none' || isTerminal(deployment.status)
      || deployment.status === 'canceling' || deployment.rollout?.paused || task.state !== 'running') {
      rest.push(task);
      continue;
    }
    const steps = stepsOf(deployment);
    const index = task.step;
    const step = steps[index];
    const starting = deployment.status === 'pending' || deployment.status === 'unknown';
    const finishing = !step || (index + 1 >= steps.length && step.soak_seconds === 0);
    if ((starting && env.spec.health_check) || (finishing && (env.spec.health_check || env.spec.auto_promote)) || (!finishing && !deployment.rollout)) {
      rest.push(task);
      continue;
    }
    if (finishing || !step) {
      const rollout = deployment.rollout
        ? { ...deployment.rollout, step: Math.max(0, deployment.rollout.steps.length - 1), percent: 100, soak_ends_at: null }
        : null;
      changes.push({ id: deployment.id, status: 'success', end: true, rollout });
      taskChanges.push({ id: task.id, state: 'done', step: index, dueAt: null, note: ENGINE_SUCCEEDED_NOTE });
    } else {
      const due = new Date(at.getTime() + step.soak_seconds * 1000);
      const rollout = deployment.rollout ? { ...deployment.rollout, step: index, percent: step.percent, soak_ends_at: due.toISOString() } : null;
      changes.push({ id: deployment.id, status: starting ? 'in_progress' : null, end: false, rollout });
      taskChanges.push({ id: task.id, state: 'scheduled', step: index + 1, dueAt: due, note: null });
    }
  }
  for (const updated of await w.engine.updateDeploymentsInBatch(changes, at)) {
    w.recordEvent('deployment.updated', updated.project, updated.environment_name, at, updated);
  }
  await w.engine.updateTasksInBatch(taskChanges, at);
  return rest;
}

/** Health checks start with the deployment. */
async function startWatching(w: StoreWriter, env: EnvironmentRecord, deployment: Deployment, at: Date): Promise<void> {
  if (!env.spec.health_check) return;
  await w.engine.insertTask(deployment.id, 'health', {
    state: 'scheduled', dueAt: new Date(at.getTime() + env.spec.health_check.interval_seconds * 1000),
  }, at);
}

export async function finishStep(w: StoreWriter, task: EngineTask, claim: string, outcome: StepOutcome, at: Date): Promise<void> {
  const found = await lockAll(w, task, claim);
  if (!found) return;
  const { env, locked, deployment } = found;
  if (isTerminal(deployment.status)) {
    // Aborted, rolled back or reported while the executor ran: its result no longer matters.
    await w.engine.updateTask(locked.id, { state: 'done', claim: null, dueAt: null, note: `deployment ended ${deployment.status}` }, at);
    return;
  }
  switch (outcome.kind) {
    case 'applied':
      await applyStep(w, env, deployment, locked, at);
      return;
    case 'failed': {
      const steps = stepsOf(deployment);
      const where = walksRollout(deployment) ? `Step ${locked.step + 1} of ${steps.length} (${steps[locked.step]?.percent ?? 100}%) failed: ` : '';
      await failAndRollBack(w, env, deployment, outcome.status, `${where}${outcome.message}`, at);
      return;
    }
    case 'retry': {
      const deliveries = typeof locked.data.deliveries === 'number' ? locked.data.deliveries + 1 : 1;
      await w.engine.updateTask(locked.id, {
        state: 'scheduled', claim: null, dueAt: new Date(at.getTime() + outcome.afterMs), attempts: 0,
        data: { ...locked.data, deliveries }, note: outcome.message,
      }, at);
      return;
    }
    case 'interrupted':
      // Shutdown stopped it: not a crash, so the attempt does not count; it runs again at the next start.
      await w.engine.updateTask(locked.id, {
        state: 'scheduled', claim: null, dueAt: at, attempts: Math.max(0, locked.attempts - 1), note: 'interrupted by a shutdown',
      }, at);
      return;
  }
}

/** The step's executor succeeded: its percent is live; soak, then the next step (or success). */
async function applyStep(w: StoreWriter, env: EnvironmentRecord, deployment: Deployment, locked: EngineTask, at: Date): Promise<void> {
  const steps = stepsOf(deployment);
  const index = locked.step;
  const step = steps[index] ?? { percent: 100, soak_seconds: 0 };
  const last = index + 1 >= steps.length;
  if (!walksRollout(deployment) && env.spec.deploy.type === 'webhook') {
    // Delivered: the pipeline deploys and reports the outcome (endpoint 3).
    await w.engine.updateTask(locked.id, { state: 'waiting', claim: null, dueAt: null, attempts: 0, note: 'delivered; waiting for the pipeline to report' }, at);
    return;
  }
  if (last && step.soak_seconds === 0) {
    await succeed(w, env, { ...deployment, ...(deployment.rollout ? { rollout: { ...deployment.rollout, step: index, percent: step.percent } } : {}) }, at);
    return;
  }
  const paused = deployment.rollout?.paused === true;
  const soakMs = step.soak_seconds * 1000;
  const due = new Date(at.getTime() + soakMs);
  if (deployment.rollout) {
    await updateAndAnnounce(w, env, deployment.id, {
      rollout: { ...deployment.rollout, step: index, percent: step.percent, soak_ends_at: paused ? null : due.toISOString() },
    }, at);
  }
  await w.engine.updateTask(locked.id, paused
    ? { state: 'paused', step: index + 1, claim: null, dueAt: null, remainingMs: soakMs, attempts: 0, data: {} }
    : { state: 'scheduled', step: index + 1, claim: null, dueAt: due, remainingMs: null, attempts: 0, data: {} }, at);
}

export { afterSuccess };
