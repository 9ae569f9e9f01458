// The engine's approval task: due when a deployment's approval request expires (API.md: 24 hours). A
// request still awaiting approval then ends `canceled` with "Approval expired". The task is committed
// with the deployment, so a restart keeps the deadline; an approval or rejection ends it first.
import { APPROVAL_EXPIRED, awaitsApproval, isApprovalExpired } from '../../core/approvals';
import type { EngineTask } from '../store';
import { updateAndAnnounce } from './operations';
import type { TaskRun } from './runners';

export async function runApprovalTask(run: TaskRun, task: EngineTask): Promise<void> {
  await run.service.store.write(async (w) => {
    const at = new Date();
    const env = await w.engine.lockEnvironmentById(task.environmentId);
    const locked = await w.engine.lockTask(task.deploymentId, 'approval');
    if (!env || !locked || locked.state !== 'running' || locked.claim !== run.claim) return;
    const deployment = (await w.engine.deploymentById(task.deploymentId))?.deployment;
    if (!deployment || deployment.approval === null || !awaitsApproval(deployment)) {
      await w.engine.updateTask(locked.id, { state: 'done', claim: null, dueAt: null, note: 'no longer awaiting approval' }, at);
      return;
    }
    if (!isApprovalExpired(deployment.approval, at.getTime())) {
      // Claimed early (a clock ahead of the one that set the deadline): due again at the deadline.
      await w.engine.updateTask(locked.id, { state: 'scheduled', claim: null, dueAt: new Date(deployment.approval.expires_at) }, at);
      return;
    }
    await updateAndAnnounce(w, env, deployment.id, { status: 'canceled', endAt: at, errorMessage: APPROVAL_EXPIRED }, at);
    await w.engine.updateTask(locked.id, { state: 'done', claim: null, dueAt: null, note: 'expired' }, at);
    run.log.info({ deployment: deployment.id, environment: env.spec.name }, 'engine: an approval request expired; the deployment is canceled');
  });
}
