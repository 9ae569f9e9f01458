// Approvals and blocked candidates (API.md endpoints 19–22), each inside one store transaction that
// locks the environment first (as every change to its deployments does). Who may do what is the rule in
// core/approvals; this file applies it to what it read under the lock.
import type { ApprovalBody, ApprovalVote, CandidateBlock, Deployment, Release } from '../../api/schemas';
import {
  approvalCheck, awaitsApproval, blockedCandidateMessage, isApprovalExpired, rejectionCheck, rejectionMessage, withApproval,
} from '../../core/approvals';
import { ApiError, DEPLOYMENT_NOT_FOUND, ENVIRONMENT_FROZEN, PROJECT_NOT_FOUND, RELEASE_NOT_FOUND } from '../errors';
import type { EnvironmentRecord, StoreReader, StoreWriter } from '../store';
import type { OperationContext } from './deployments';

/** Finds a deployment of a project and locks its environment; the deployment is read after the lock. */
async function lockDeployment(w: StoreWriter, project: string, id: string): Promise<{ env: EnvironmentRecord; deployment: Deployment }> {
  const projectRecord = await w.findProject(project);
  if (!projectRecord) throw new ApiError(404, PROJECT_NOT_FOUND);
  const found = await w.findDeployment(projectRecord.id, id);
  const byId = found && await w.engine.deploymentById(found.id);
  const env = byId && await w.engine.lockEnvironmentById(byId.environmentId);
  const deployment = env && (await w.engine.deploymentById(id))?.deployment;
  if (!env || !deployment) throw new ApiError(404, DEPLOYMENT_NOT_FOUND);
  return { env, deployment };
}

function voteOf(ctx: OperationContext, body: ApprovalBody): ApprovalVote {
  const comment = body.comment?.trim();
  return { actor: ctx.principal.name, at: ctx.at.toISOString(), comment: comment === undefined || comment === '' ? null : comment };
}

async function announce(
  ctx: OperationContext, env: EnvironmentRecord, id: string, change: Parameters<StoreWriter['updateDeployment']>[1],
): Promise<Deployment> {
  const updated = await ctx.writer.updateDeployment(id, change, ctx.at);
  ctx.writer.recordEvent('deployment.updated', env.project, env.spec.name, ctx.at, updated);
  return updated;
}

/**
 * Endpoint 19. The Nth approval starts the deployment exactly as an unapproved one starts (the engine's
 * deploy task, committed with the approval); with deploy type `none` it stays pending for the pipeline.
 */
export async function approve(ctx: OperationContext, project: string, id: string, body: ApprovalBody): Promise<Deployment> {
  const { env, deployment } = await lockDeployment(ctx.writer, project, id);
  const refusal = approvalCheck(deployment, ctx.principal, env.spec);
  if (refusal) throw new ApiError(refusal.status, refusal.reason, { status: deployment.status });
  const request = deployment.approval;
  if (request === null) throw new ApiError(409, `Deployment ${deployment.id} is not awaiting approval`);
  // The engine ends an expired request shortly; until it does, it takes no more approvals.
  if (isApprovalExpired(request, ctx.at.getTime())) throw new ApiError(409, `The approval request of deployment ${deployment.id} has expired`);
  const { approval, complete } = withApproval(request, voteOf(ctx, body));
  if (complete) {
    // What would refuse a deploy now refuses its start: a freeze, a block of the candidate since.
    if (env.spec.frozen) throw new ApiError(400, ENVIRONMENT_FROZEN);
    if (deployment.candidate_blocked !== null) {
      throw new ApiError(409, blockedCandidateMessage(deployment.release_candidate_version, deployment.candidate_blocked),
        { blocked: deployment.candidate_blocked });
    }
  }
  const updated = await announce(ctx, env, deployment.id, { approval });
  if (complete) {
    await ctx.writer.engine.finishTasks(updated.id, ['approval'], `approved by ${approval.approvals.map((v) => v.actor).join(', ')}`, ctx.at);
    await ctx.writer.engine.scheduleStart(updated, env, ctx.at);
  }
  return updated;
}

/** Endpoint 20: the deployment ends canceled, with who rejected it (or withdrew it) and why. */
export async function reject(ctx: OperationContext, project: string, id: string, body: ApprovalBody): Promise<Deployment> {
  const { env, deployment } = await lockDeployment(ctx.writer, project, id);
  const refusal = rejectionCheck(deployment, ctx.principal, env.spec);
  if (refusal) throw new ApiError(refusal.status, refusal.reason, { status: deployment.status });
  const request = deployment.approval;
  if (request === null) throw new ApiError(409, `Deployment ${deployment.id} is not awaiting approval`);
  const vote = voteOf(ctx, body);
  const updated = await announce(ctx, env, deployment.id, {
    status: 'canceled', endAt: ctx.at, errorMessage: rejectionMessage(vote), approval: { ...request, rejection: vote },
  });
  await ctx.writer.engine.finishTasks(updated.id, ['approval'], `rejected by ${vote.actor}`, ctx.at);
  return updated;
}

/** Endpoint 21: every deployment awaiting approval (of one project, when named), oldest first. */
export async function awaitingApproval(reader: StoreReader, project: string | undefined): Promise<Deployment[]> {
  let projectId: string | undefined;
  if (project !== undefined) {
    const record = await reader.findProject(project);
    if (!record) throw new ApiError(404, PROJECT_NOT_FOUND);
    projectId = record.id;
  }
  return (await reader.pendingApprovals(projectId)).filter(awaitsApproval);
}

/** Endpoint 22: blocks (`block`) or unblocks (null) a candidate; records `release.updated` when that changes it. */
export async function setCandidateBlock(
  w: StoreWriter, at: Date, project: string, version: string, block: CandidateBlock | null,
): Promise<Release> {
  const projectRecord = await w.findProject(project);
  if (!projectRecord) throw new ApiError(404, PROJECT_NOT_FOUND);
  const candidate = await w.lockCandidate(projectRecord.id, version);
  if (!candidate) throw new ApiError(404, RELEASE_NOT_FOUND);
  const unchanged = block === null ? candidate.blocked === null : candidate.blocked?.reason === block.reason && candidate.blocked.actor === block.actor;
  if (!unchanged) {
    await w.setCandidateBlock(candidate.id, block);
    w.recordEvent('release.updated', projectRecord.name, null, at);
  }
  const release = await w.release(projectRecord, candidate.releaseId);
  if (!release) throw new Error(`Release ${candidate.releaseVersion} vanished`);
  return release;
}
