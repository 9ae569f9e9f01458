// The deployment operations (API.md endpoints 2, 3, 5, 10), each run inside one store transaction
// that has locked the environment row first, so concurrent calls on one environment serialise and
// every precondition (`expected_current`, the active deployment, the state machine) holds at commit.
import type {
  CreateDeploymentBody, Deployment, DeploymentKind, PatchDeploymentBody, PromoteBody, Rollout, RollbackBody,
} from '../../api/schemas';
import { blockedCandidateMessage, needsApproval, newApproval } from '../../core/approvals';
import { expectedCurrentConflict } from '../../core/expectedCurrent';
import { environmentPermission, type ActionCircumstances, type EnvironmentAction } from '../../core/permissions';
import { ROLLBACK_HISTORY, rollbackTarget } from '../../core/rollback';
import { ApiError, ENVIRONMENT_NOT_FOUND, NO_ROLLBACK_TARGET, RELEASE_NOT_FOUND } from '../errors';
import type { CandidateRecord, EnvironmentRecord, StoreWriter } from '../store';
import type { Principal } from './principal';
import { isLegalMove, isTerminal } from './status-machine';

/** What every operation here needs besides its arguments. */
export interface OperationContext {
  writer: StoreWriter;
  principal: Principal;
  at: Date;
}

export async function createDeployment(
  ctx: OperationContext, project: string, environment: string, body: CreateDeploymentBody,
): Promise<Deployment> {
  const { env, candidate } = await lockEnvironmentWithCandidate(ctx, project, environment, body.release_candidate_version);
  return startDeployment(ctx, env, candidate, 'deploy', body.expected_current);
}

export async function promote(
  ctx: OperationContext, project: string, environment: string, body: PromoteBody,
): Promise<Deployment> {
  const env = await lockEnvironment(ctx, project, environment);
  const source = await promotionSource(ctx, env, body.from_environment);
  const sourceCurrent = await ctx.writer.currentDeployment(source.id);
  if (!sourceCurrent) throw new ApiError(400, `Environment ${source.spec.name} has nothing deployed to promote`);
  if (body.release_candidate_version !== undefined && body.release_candidate_version !== sourceCurrent.release_candidate_version) {
    throw new ApiError(409, `Environment ${source.spec.name} runs ${sourceCurrent.release_candidate_version}, not ${body.release_candidate_version}`,
      { source_current: sourceCurrent.release_candidate_version });
  }
  const candidate = await requireCandidate(ctx, env, sourceCurrent.release_candidate_version);
  return startDeployment(ctx, env, candidate, 'promote', body.expected_current);
}

/**
 * Reports a pipeline's status (endpoint 3): moves the newest non-terminal deployment of the candidate,
 * or records a new one with that status when there is none. Repeating the current status is a no-op.
 */
export async function reportStatus(
  ctx: OperationContext, project: string, environment: string, body: PatchDeploymentBody,
): Promise<Deployment> {
  const { env, candidate } = await lockEnvironmentWithCandidate(ctx, project, environment, body.release_candidate_version);
  const state = await ctx.writer.deploymentState(env, { candidate: candidate.version });
  const existing = state.activeOfCandidate;
  // A report that records a new deployment makes a candidate current like a deploy does; one about the
  // deployment under way only finishes what someone allowed to started.
  checkPermission(ctx, env, 'report', { concernsActiveDeployment: existing !== undefined });
  if (!existing) {
    const deployment = await ctx.writer.insertDeployment({
      projectId: env.projectId, environmentId: env.id, candidate, from: state.current,
      status: body.status, kind: 'deploy', actor: ctx.principal.name, at: ctx.at,
      errorMessage: body.error_message ?? null, rollout: rolloutAfter(initialRollout(env), body.status),
    });
    ctx.writer.recordEvent('deployment.created', env.project, env.spec.name, ctx.at, deployment);
    return deployment;
  }
  if (existing.status === body.status) {
    if (body.error_message === undefined || body.error_message === existing.error_message) return existing;
    return updateDeployment(ctx, env, existing, { errorMessage: body.error_message });
  }
  if (!isLegalMove(existing.status, body.status)) {
    throw new ApiError(409, `Illegal status transition from ${existing.status} to ${body.status}`, { status: existing.status });
  }
  return updateDeployment(ctx, env, existing, {
    status: body.status,
    endAt: isTerminal(body.status) ? ctx.at : null,
    ...(body.error_message !== undefined ? { errorMessage: body.error_message } : {}),
    ...(existing.rollout ? { rollout: rolloutAfter(existing.rollout, body.status) } : {}),
  });
}

/** Endpoint 5: cancels what is active, then deploys the rollback target (see core/rollback). */
export async function rollback(
  ctx: OperationContext, project: string, environment: string, body: RollbackBody,
): Promise<Deployment> {
  const env = await lockEnvironment(ctx, project, environment);
  checkPermission(ctx, env, 'rollback', { force: body.force === true });
  const current = await ctx.writer.currentDeployment(env.id);
  checkExpectedCurrent(body.expected_current, current);
  const explicit = body.to_release_candidate_version === undefined
    ? undefined
    : await requireCandidate(ctx, env, body.to_release_candidate_version);
  if (explicit) refuseBlocked(explicit);

  for (const active of await ctx.writer.activeDeployments(env.id)) {
    await updateDeployment(ctx, env, active, {
      status: 'canceled', endAt: ctx.at, errorMessage: `Canceled by a rollback requested by ${ctx.principal.name}`,
    });
  }
  const candidate = explicit ?? await requireCandidate(ctx, env, await defaultRollbackTarget(ctx, env));
  const deployment = await ctx.writer.insertDeployment({
    projectId: env.projectId, environmentId: env.id, candidate, from: current, status: 'pending', kind: 'rollback',
    actor: ctx.principal.name, at: ctx.at, errorMessage: null, rollout: initialRollout(env),
  });
  ctx.writer.recordEvent('deployment.created', env.project, env.spec.name, ctx.at, deployment);
  // The engine's cue, committed with the deployment: run its executor / walk its rollout (src/server/engine).
  await ctx.writer.engine.scheduleStart(deployment, env, ctx.at);
  return deployment;
}

// ── shared steps ─────────────────────────────────────────────────────────────────────────────────

async function lockEnvironment(ctx: OperationContext, project: string, environment: string): Promise<EnvironmentRecord> {
  const env = await ctx.writer.lockEnvironment(project, environment);
  if (!env) throw new ApiError(404, ENVIRONMENT_NOT_FOUND);
  return env;
}

/** lockEnvironment and requireCandidate in one round trip (the hot path of pipelines). */
async function lockEnvironmentWithCandidate(
  ctx: OperationContext, project: string, environment: string, version: string,
): Promise<{ env: EnvironmentRecord; candidate: CandidateRecord }> {
  const locked = await ctx.writer.lockEnvironmentAndCandidate(project, environment, version);
  if (!locked) throw new ApiError(404, ENVIRONMENT_NOT_FOUND);
  if (!locked.candidate) throw new ApiError(404, RELEASE_NOT_FOUND);
  return { env: locked.environment, candidate: locked.candidate };
}

async function requireCandidate(ctx: OperationContext, env: EnvironmentRecord, version: string): Promise<CandidateRecord> {
  const candidate = await ctx.writer.findCandidate(env.projectId, version);
  if (!candidate) throw new ApiError(404, RELEASE_NOT_FOUND);
  return candidate;
}

/** A blocked candidate goes no further (deploy, promote, an explicit rollback): 409 with the block. */
export function refuseBlocked(candidate: CandidateRecord): void {
  if (candidate.blocked !== null) {
    throw new ApiError(409, blockedCandidateMessage(candidate.version, candidate.blocked), { blocked: candidate.blocked });
  }
}

/** The protected / frozen rule (core/permissions), as the API's 403 or 400. */
export function checkPermission(
  ctx: Pick<OperationContext, 'principal'>, env: EnvironmentRecord, action: EnvironmentAction, circumstances: ActionCircumstances = {},
): void {
  const permission = environmentPermission(ctx.principal.role, action, env.spec, circumstances);
  if (!permission.allowed) throw new ApiError(permission.status, permission.reason);
}

/** `expected_current`: absent means no precondition; null means "nothing deployed yet". */
function checkExpectedCurrent(expected: string | null | undefined, current: Deployment | undefined): void {
  const actual = current?.release_candidate_version ?? null;
  const conflict = expectedCurrentConflict(expected, actual);
  if (conflict) throw new ApiError(409, conflict, { current: actual });
}

/** Deploy and promote: the checks of endpoint 2, then a pending deployment the executor will pick up. */
async function startDeployment(
  ctx: OperationContext, env: EnvironmentRecord, candidate: CandidateRecord, kind: DeploymentKind,
  expectedCurrent: string | null | undefined,
): Promise<Deployment> {
  checkPermission(ctx, env, kind === 'promote' ? 'promote' : 'deploy');
  refuseBlocked(candidate);
  const { current, active } = await ctx.writer.deploymentState(env, { active: true });
  checkExpectedCurrent(expectedCurrent, current);
  if (active) {
    throw new ApiError(409, `A deployment is already active in ${env.spec.name}`, { active: active.id, current: current?.release_candidate_version ?? null });
  }
  const approval = needsApproval(kind, env.spec.required_approvals) ? newApproval(env.spec.required_approvals, ctx.at.getTime()) : null;
  const deployment = await ctx.writer.insertDeployment({
    projectId: env.projectId, environmentId: env.id, candidate, from: current, status: 'pending', kind,
    actor: ctx.principal.name, at: ctx.at, errorMessage: null, rollout: initialRollout(env), approval,
  });
  ctx.writer.recordEvent('deployment.created', env.project, env.spec.name, ctx.at, deployment);
  if (approval !== null) {
    // Nothing runs yet: the Nth approval schedules the start (service/approvals.ts); until then the
    // engine only holds its expiry, committed with the deployment.
    await ctx.writer.engine.insertTask(deployment.id, 'approval', { state: 'scheduled', dueAt: new Date(approval.expires_at) }, ctx.at);
    return deployment;
  }
  // The engine's cue, committed with the deployment: run its executor / walk its rollout (src/server/engine).
  await ctx.writer.engine.scheduleStart(deployment, env, ctx.at);
  return deployment;
}

async function updateDeployment(
  ctx: OperationContext, env: EnvironmentRecord, deployment: Deployment,
  change: Parameters<StoreWriter['updateDeployment']>[1],
): Promise<Deployment> {
  const updated = await ctx.writer.updateDeployment(deployment.id, change, ctx.at);
  ctx.writer.recordEvent('deployment.updated', env.project, env.spec.name, ctx.at, updated);
  return updated;
}

/** The environment a promote takes its candidate from: the named one, else the rung just below. */
async function promotionSource(ctx: OperationContext, env: EnvironmentRecord, fromName: string | undefined): Promise<EnvironmentRecord> {
  if (fromName !== undefined) {
    if (fromName === env.spec.name) throw new ApiError(400, 'An environment cannot be promoted from itself');
    const named = await ctx.writer.findEnvironment(env.project, fromName);
    if (!named) throw new ApiError(404, ENVIRONMENT_NOT_FOUND);
    return named;
  }
  const below = (await ctx.writer.environmentsOf(env.projectId))
    .filter((other) => other.spec.position < env.spec.position)
    .pop();
  if (!below) throw new ApiError(400, `Environment ${env.spec.name} has no environment below it to promote from`);
  return below;
}

/** The candidate endpoint 5 returns to when none is named; the rule itself lives in core/rollback. */
async function defaultRollbackTarget(ctx: OperationContext, env: EnvironmentRecord): Promise<string> {
  // The same window of history the clients read, so the confirmation names what the server does.
  const history = await ctx.writer.deploymentsOf(env.id, { page: 1, per_page: ROLLBACK_HISTORY });
  const target = rollbackTarget(history);
  if (!target) throw new ApiError(404, NO_ROLLBACK_TARGET);
  return target.release_candidate_version;
}

/** A rollout starts before its first step: nothing live yet. `null` for other strategies. */
function initialRollout(env: EnvironmentRecord): Rollout | null {
  if (env.spec.strategy !== 'rollout' || env.spec.steps === null) return null;
  return { step: 0, percent: 0, steps: env.spec.steps, paused: false };
}

/** A rollout reported successful is fully live. */
function rolloutAfter(rollout: Rollout | null, status: Deployment['status']): Rollout | null {
  if (rollout === null || status !== 'success') return rollout;
  return { ...rollout, step: Math.max(0, rollout.steps.length - 1), percent: 100 };
}
