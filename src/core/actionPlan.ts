// The action plan: for one environment, which release actions are available now, each with what it
// would act on (promotion source and candidate, rollback target, the deployment a rollout control
// addresses) or the one sentence that says why not. Every room asks this one function: the tree's
// contextValue, the palette commands, the stage panel (host and webview), the Aviator adapter and the
// CLI. Pure and platform-free: the webview bundle imports it.
//
// A frozen environment still allows a rollback, forced: a freeze stops change going forward (deploys and
// promotes), and a rollback is how a bad release is undone during one. The plan marks it `force`, the
// action is titled "Force Rollback", and the confirmation says the freeze is passed. The server allows
// the same (`force: true`, API.md endpoint 5), so clients and server agree. See docs/architecture.md.
//
// Approvals and blocked candidates (API.md endpoints 19–22): who may approve, reject or withdraw is
// core/approvals' rule, asked here with the signed-in caller when the client knows it; without a caller
// the server decides. A reject by the request's own actor is a withdrawal, titled "Withdraw".
import type { CandidateBlock, Caller, Deployment, Environment, Project } from '../api/schemas';
import { approvalRefusal, approvalSummary, awaitsApproval, blockedCandidateMessage, rejectionRefusal } from './approvals';
import { humanize } from './format';
import { findEnvironment, rungBelow } from './ladder';
import { environmentPermission, type EnvironmentAction } from './permissions';
import type { RollbackTarget } from './rollback';

export const PLAN_ACTIONS = ['promote', 'rollback', 'deploy', 'freeze', 'unfreeze', 'pause', 'resume', 'abort', 'approve', 'reject', 'block', 'unblock'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** What the backend can do at all (ReleaseBackend's capabilities and the stage view's satisfy this). */
export interface ActionCapabilities {
  readonly promote: boolean;
  readonly pauseResumeAbort: boolean;
  readonly freeze: boolean;
  /** Deployments may await approval (API.md endpoints 19–21); absent: the backend asks for none. */
  readonly approvals?: boolean | undefined;
  /** Release candidates may be blocked (API.md endpoint 22); absent: they may not. */
  readonly block?: boolean | undefined;
  /** Deployments may be created from the editor; absent: they may (GitHub's are made by workflows). */
  readonly deploy?: boolean | undefined;
  /** The backend's own words for what it lacks (Aviator's AVIATOR_UNSUPPORTED, GitHub's), said instead of the generic ones. */
  readonly reasons?: {
    readonly pauseResumeAbort?: string | undefined; readonly freeze?: string | undefined; readonly approvals?: string | undefined; readonly block?: string | undefined;
    readonly deploy?: string | undefined; readonly promote?: string | undefined;
  } | undefined;
}

/** What the caller's token may do, as far as the client knows: `unknown` leaves the decision to the server. */
export type CallerRole = 'admin' | 'not_admin' | 'unknown';

/** A rung's live candidate, as the plan needs it. */
export interface LiveCandidate {
  candidate: string;
  commit: string;
  /** The candidate is blocked (Deployment.candidate_blocked): nothing carries it further. */
  blocked?: CandidateBlock | null | undefined;
}

/** Who the signed-in token is (GET /api/whoami); absent when the client cannot ask. */
export type PlanCaller = Pick<Caller, 'name' | 'role'>;

export interface PlanInput {
  project: string;
  environment: Pick<Environment, 'name' | 'frozen' | 'protected' | 'current' | 'active'> & { error?: string | undefined };
  /** The rung a promote takes its candidate from (by default the one below: core/ladder rungBelow); null at the bottom. */
  source: { name: string; current: LiveCandidate | null } | null;
  /**
   * What a rollback returns to (core/rollback, from the environment's history); null when there is
   * nothing earlier; undefined when the history has not been read (the tree), so the target is found
   * when the rollback runs.
   */
  rollbackTarget?: RollbackTarget | null;
  capabilities: ActionCapabilities;
  role: CallerRole;
  /** The signed-in caller, when known: approvals are refused to a request's own actor, and its reject is a withdrawal. */
  caller?: PlanCaller | undefined;
}

export type Unavailable = { available: false; reason: string };
type Available<T> = { available: true } & T;

export type PromotePlan = Unavailable | Available<{ from: string; candidate: string; commit: string; expectedCurrent: string | null }>;
export type RollbackPlan = Unavailable | Available<{
  /** Undefined when the history was not read; the server then picks the same target (core/rollback). */
  to: RollbackTarget | undefined;
  /** The environment is frozen: the rollback is forced through the freeze (see the header). */
  force: boolean;
  expectedCurrent: string | null;
  /** The active deployment a rollback cancels first, if any. */
  cancels: Deployment | null;
}>;
export type DeployPlan = Unavailable | Available<{ expectedCurrent: string | null }>;
export type TogglePlan = Unavailable | Available<object>;
export type DeploymentControlPlan = Unavailable | Available<{ deploymentId: string; candidate: string }>;
export type ApprovePlan = Unavailable | Available<{ deploymentId: string; candidate: string; deployment: Deployment; summary: string }>;
/** `withdraw`: the caller is the request's own actor, so the reject withdraws it (titled "Withdraw"). */
export type RejectPlan = Unavailable | Available<{ deploymentId: string; candidate: string; deployment: Deployment; withdraw: boolean }>;
export type BlockPlan = Unavailable | Available<{ candidate: string }>;
export type UnblockPlan = Unavailable | Available<{ candidate: string; block: CandidateBlock }>;

export interface ActionPlan {
  promote: PromotePlan;
  rollback: RollbackPlan;
  deploy: DeployPlan;
  freeze: TogglePlan;
  unfreeze: TogglePlan;
  pause: DeploymentControlPlan;
  resume: DeploymentControlPlan;
  abort: DeploymentControlPlan;
  approve: ApprovePlan;
  reject: RejectPlan;
  block: BlockPlan;
  unblock: UnblockPlan;
}

const no = (reason: string): Unavailable => ({ available: false, reason });

export function actionPlan(input: PlanInput): ActionPlan {
  const { environment: env, capabilities, role } = input;
  if (env.error) {
    const reason = no(env.error);
    return {
      promote: reason, rollback: reason, deploy: reason, freeze: reason, unfreeze: reason, pause: reason, resume: reason, abort: reason,
      approve: reason, reject: reason, block: reason, unblock: reason,
    };
  }
  const expectedCurrent = env.current?.release_candidate_version ?? null;
  const active = env.active;
  const activeReason = !active ? undefined
    : awaitsApproval(active) ? no(`${active.release_candidate_version} is waiting for approval here (${approvalSummary(active)}).`)
      : no(`A deployment is already active (${active.release_candidate_version}, ${humanize(active.status)}).`);
  // Who may: the server's own rule (core/permissions). A frozen environment's rollback is forced.
  const refusedBy = (action: EnvironmentAction) => permissionRefusal(action, env, role);
  return {
    promote: promotePlan(input, expectedCurrent, activeReason ?? refusedBy('promote')),
    rollback: rollbackPlan(input, expectedCurrent, refusedBy('rollback')),
    deploy: capabilities.deploy === false ? no(capabilities.reasons?.deploy ?? 'This server does not take deployments from the editor.')
      : env.frozen ? no(`${env.name} is frozen: unfreeze it to deploy.`)
        : activeReason ?? refusedBy('deploy') ?? { available: true, expectedCurrent },
    ...freezePlans(env.frozen, capabilities, role),
    ...rolloutPlans(active, capabilities, refusedBy),
    ...approvalPlans(active, env, capabilities, input.caller),
    ...candidatePlans(env.current ? { candidate: env.current.release_candidate_version, blocked: env.current.candidate_blocked } : null, capabilities, env.name),
  };
}

/**
 * core/permissions' answer for the caller, as a reason. An unknown role is given the benefit of the doubt
 * (the server decides); a known non-admin is checked as a deployer. A rollback is checked as forced
 * because the plan forces it on a frozen environment.
 */
function permissionRefusal(action: EnvironmentAction, env: PlanInput['environment'], role: CallerRole): Unavailable | undefined {
  const permission = environmentPermission(role === 'not_admin' ? 'deployer' : 'admin', action, env, { force: action === 'rollback' });
  return permission.allowed ? undefined : no(`${permission.reason}.`);
}

/**
 * The plan for an environment of a project as the API lists it: the promotion source is `from` when
 * given, else the rung below (core/ladder).
 */
export function planInProject(
  project: Pick<Project, 'name' | 'environments'>,
  environment: PlanInput['environment'],
  context: Pick<PlanInput, 'capabilities' | 'role' | 'rollbackTarget' | 'caller'> & { from?: string | undefined },
): ActionPlan {
  const source = context.from !== undefined ? findEnvironment(project, context.from) : rungBelow(project, environment.name);
  const live = source?.current;
  const named = source?.name ?? context.from;
  return actionPlan({
    project: project.name,
    environment,
    // A chosen source that does not exist is a rung with nothing live: the reason names it.
    source: named !== undefined ? { name: named, current: live ? { candidate: live.release_candidate_version, commit: live.commit, blocked: live.candidate_blocked } : null } : null,
    ...(context.rollbackTarget !== undefined ? { rollbackTarget: context.rollbackTarget } : {}),
    capabilities: context.capabilities,
    role: context.role,
    caller: context.caller,
  });
}

function promotePlan(input: PlanInput, expectedCurrent: string | null, blocked: Unavailable | undefined): PromotePlan {
  const { environment: env, source } = input;
  if (!input.capabilities.promote) return no(input.capabilities.reasons?.promote ?? 'This server does not support promote.');
  if (!source) return no(`${env.name} is the first rung of ${input.project}: there is nothing below it to promote from.`);
  if (source.name === env.name) return no('An environment cannot be promoted from itself.');
  if (!source.current) return no(`Nothing is live in ${source.name} yet.`);
  const { candidate, commit } = source.current;
  if (expectedCurrent === candidate) return no(`Nothing to promote: ${env.name} already runs ${candidate}.`);
  if (source.current.blocked) return no(blockedCandidateMessage(candidate, source.current.blocked));
  if (env.frozen) return no(`${env.name} is frozen: unfreeze it to promote.`);
  if (blocked) return blocked;
  return { available: true, from: source.name, candidate, commit, expectedCurrent };
}

function rollbackPlan(input: PlanInput, expectedCurrent: string | null, blocked: Unavailable | undefined): RollbackPlan {
  const { environment: env, rollbackTarget } = input;
  // A rollback is a promote of an earlier candidate: a backend that cannot promote cannot roll back either.
  if (!input.capabilities.promote) return no(input.capabilities.reasons?.promote ?? 'This server does not support rollback.');
  if (rollbackTarget === null) return no(`Nothing earlier to roll back to in ${env.name}.`);
  if (rollbackTarget === undefined && !env.current) return no(`Nothing is deployed in ${env.name} to roll back from.`);
  if (blocked) return blocked;
  return { available: true, to: rollbackTarget, force: env.frozen, expectedCurrent, cancels: env.active ?? null };
}

function freezePlans(frozen: boolean, capabilities: ActionCapabilities, role: CallerRole): Pick<ActionPlan, 'freeze' | 'unfreeze'> {
  const refused = !capabilities.freeze ? no(capabilities.reasons?.freeze ?? 'This server does not support freezing.')
    : role === 'not_admin' ? no('Only an admin token may freeze or unfreeze.') : undefined;
  return {
    freeze: refused ?? (frozen ? no('Already frozen.') : { available: true }),
    unfreeze: refused ?? (!frozen ? no('Not frozen.') : { available: true }),
  };
}

function rolloutPlans(
  active: Deployment | null, capabilities: ActionCapabilities, refusedBy: (action: EnvironmentAction) => Unavailable | undefined,
): Pick<ActionPlan, 'pause' | 'resume' | 'abort'> {
  const rollout = active?.rollout ?? null;
  const refused = !capabilities.pauseResumeAbort ? no(capabilities.reasons?.pauseResumeAbort ?? 'This server does not support pausing rollouts.')
    : !active ? no('No deployment in progress.')
      : !rollout ? no('Only rollouts can be paused, resumed or aborted.') : undefined;
  if (refused || !active || !rollout) return { pause: refused ?? no('No deployment in progress.'), resume: refused ?? no('No deployment in progress.'), abort: refused ?? no('No deployment in progress.') };
  const target = { available: true as const, deploymentId: active.id, candidate: active.release_candidate_version };
  return {
    pause: rollout.paused ? no('The rollout is already paused.') : refusedBy('pause') ?? target,
    resume: !rollout.paused ? no('The rollout is not paused.') : refusedBy('resume') ?? target,
    abort: refusedBy('abort') ?? target,
  };
}

/**
 * Approve and reject (or withdraw) a deployment awaiting approval: the environment's active one, or any
 * deployment of the Approvals view with its environment. core/approvals decides for a known caller.
 */
export function approvalPlans(
  deployment: Deployment | null, environment: { protected: boolean }, capabilities: ActionCapabilities, caller?: PlanCaller,
): Pick<ActionPlan, 'approve' | 'reject'> {
  const refused = !capabilities.approvals ? no(capabilities.reasons?.approvals ?? 'This server does not ask for approvals.')
    : !deployment || !awaitsApproval(deployment) ? no('No deployment is waiting for approval.') : undefined;
  if (refused || !deployment) return { approve: refused ?? no('No deployment is waiting for approval.'), reject: refused ?? no('No deployment is waiting for approval.') };
  const target = { deploymentId: deployment.id, candidate: deployment.release_candidate_version, deployment };
  const approveRefusal = caller ? approvalRefusal(deployment, caller, environment) : undefined;
  const rejectRefusal = caller ? rejectionRefusal(deployment, caller, environment) : undefined;
  return {
    approve: approveRefusal ? no(sentence(approveRefusal)) : { available: true, ...target, summary: approvalSummary(deployment) },
    reject: rejectRefusal ? no(sentence(rejectRefusal)) : { available: true, ...target, withdraw: caller?.name === deployment.actor },
  };
}

/**
 * Block or unblock a candidate: the one an environment runs (its plan), or one named in the stage, the
 * hover or the palette. `blocked` is the candidate's block as the backend last said (null: not blocked).
 */
export function candidatePlans(
  candidate: { candidate: string; blocked: CandidateBlock | null } | null, capabilities: ActionCapabilities, environment?: string,
): Pick<ActionPlan, 'block' | 'unblock'> {
  const refused = !capabilities.block ? no(capabilities.reasons?.block ?? 'This server cannot block release candidates.')
    : !candidate ? no(environment ? `Nothing is live in ${environment} to block.` : 'No release candidate to block.') : undefined;
  if (refused || !candidate) return { block: refused ?? no('No release candidate to block.'), unblock: refused ?? no('No release candidate to block.') };
  const name = candidate.candidate;
  return {
    block: candidate.blocked ? no(`${blockedCandidateMessage(name, candidate.blocked).replace(/\.?$/, '.')}`) : { available: true, candidate: name },
    unblock: candidate.blocked ? { available: true, candidate: name, block: candidate.blocked } : no(`${name} is not blocked.`),
  };
}

/** core/approvals' reasons as sentences. */
function sentence(reason: string): string {
  return /[.!?]$/.test(reason) ? reason : `${reason}.`;
}

const ACTION_TITLES: Readonly<Record<PlanAction, string>> = {
  promote: 'Promote', rollback: 'Rollback', deploy: 'Deploy', freeze: 'Freeze', unfreeze: 'Unfreeze',
  pause: 'Pause', resume: 'Resume', abort: 'Abort', approve: 'Approve', reject: 'Reject', block: 'Block', unblock: 'Unblock',
};

/** The action's title for buttons, modals and messages: "Force Rollback" when the plan forces it. */
export function actionTitle(action: PlanAction, plan?: ActionPlan): string {
  if (action === 'rollback' && plan?.rollback.available && plan.rollback.force) return 'Force Rollback';
  if (action === 'reject' && plan?.reject.available && plan.reject.withdraw) return 'Withdraw';
  return ACTION_TITLES[action];
}

/** The tree item's contextValue flags (package.json's menus match them): one `can-<action>` per available action. */
export function availableActions(plan: ActionPlan): PlanAction[] {
  return PLAN_ACTIONS.filter((action) => plan[action].available);
}
