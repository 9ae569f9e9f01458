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
import type { Deployment, Environment, Project } from '../api/schemas';
import { humanize } from './format';
import { findEnvironment, rungBelow } from './ladder';
import { environmentPermission, type EnvironmentAction } from './permissions';
import type { RollbackTarget } from './rollback';

export const PLAN_ACTIONS = ['promote', 'rollback', 'deploy', 'freeze', 'unfreeze', 'pause', 'resume', 'abort', 'approve'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** What the backend can do at all (ReleaseBackend's capabilities and the stage view's satisfy this). */
export interface ActionCapabilities {
  readonly promote: boolean;
  readonly pauseResumeAbort: boolean;
  readonly freeze: boolean;
  /** Approvals (API.md endpoints 18–22); absent: the backend asks for none. */
  readonly approve?: boolean;
  /** Deployments may be created from the editor; absent: they may (GitHub's are made by workflows). */
  readonly deploy?: boolean;
  /** The backend's own words for what it lacks (Aviator's AVIATOR_UNSUPPORTED), said instead of the generic ones. */
  readonly reasons?: {
    readonly pauseResumeAbort?: string | undefined; readonly freeze?: string | undefined;
    readonly deploy?: string | undefined; readonly promote?: string | undefined;
  } | undefined;
}

/** What the caller's token may do, as far as the client knows: `unknown` leaves the decision to the server. */
export type CallerRole = 'admin' | 'not_admin' | 'unknown';

/** A rung's live candidate, as the plan needs it. */
export interface LiveCandidate {
  candidate: string;
  commit: string;
}

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

export interface ActionPlan {
  promote: PromotePlan;
  rollback: RollbackPlan;
  deploy: DeployPlan;
  freeze: TogglePlan;
  unfreeze: TogglePlan;
  pause: DeploymentControlPlan;
  resume: DeploymentControlPlan;
  abort: DeploymentControlPlan;
  approve: DeploymentControlPlan;
}

const no = (reason: string): Unavailable => ({ available: false, reason });

export function actionPlan(input: PlanInput): ActionPlan {
  const { environment: env, capabilities, role } = input;
  if (env.error) {
    const reason = no(env.error);
    return { promote: reason, rollback: reason, deploy: reason, freeze: reason, unfreeze: reason, pause: reason, resume: reason, abort: reason, approve: reason };
  }
  const expectedCurrent = env.current?.release_candidate_version ?? null;
  const active = env.active;
  const activeReason = active ? no(`A deployment is already active (${active.release_candidate_version}, ${humanize(active.status)}).`) : undefined;
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
    approve: approvePlan(active, capabilities),
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
  context: Pick<PlanInput, 'capabilities' | 'role' | 'rollbackTarget'> & { from?: string | undefined },
): ActionPlan {
  const source = context.from !== undefined ? findEnvironment(project, context.from) : rungBelow(project, environment.name);
  const live = source?.current;
  const named = source?.name ?? context.from;
  return actionPlan({
    project: project.name,
    environment,
    // A chosen source that does not exist is a rung with nothing live: the reason names it.
    source: named !== undefined ? { name: named, current: live ? { candidate: live.release_candidate_version, commit: live.commit } : null } : null,
    ...(context.rollbackTarget !== undefined ? { rollbackTarget: context.rollbackTarget } : {}),
    capabilities: context.capabilities,
    role: context.role,
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

function approvePlan(active: Deployment | null, capabilities: ActionCapabilities): DeploymentControlPlan {
  if (!capabilities.approve) return no('This server does not ask for approvals.');
  if (!active || active.status !== 'pending') return no('No deployment is waiting for approval.');
  return { available: true, deploymentId: active.id, candidate: active.release_candidate_version };
}

const ACTION_TITLES: Readonly<Record<PlanAction, string>> = {
  promote: 'Promote', rollback: 'Rollback', deploy: 'Deploy', freeze: 'Freeze', unfreeze: 'Unfreeze',
  pause: 'Pause', resume: 'Resume', abort: 'Abort', approve: 'Approve',
};

/** The action's title for buttons, modals and messages: "Force Rollback" when the plan forces it. */
export function actionTitle(action: PlanAction, plan?: ActionPlan): string {
  if (action === 'rollback' && plan?.rollback.available && plan.rollback.force) return 'Force Rollback';
  return ACTION_TITLES[action];
}

/** The tree item's contextValue flags (package.json's menus match them): one `can-<action>` per available action. */
export function availableActions(plan: ActionPlan): PlanAction[] {
  return PLAN_ACTIONS.filter((action) => plan[action].available);
}
