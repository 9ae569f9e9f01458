// Commands that change releases: promote, rollback, deploy a candidate, freeze, pause/resume/abort.
// Each confirms with a modal that names project, environment, from → to and the commits in between,
// sends `expected_current` so a stale screen cannot act on a changed environment, explains a 409 by
// refreshing and saying what changed, and follows the deployment it started.
import * as vscode from 'vscode';
import type { Deployment, Environment } from '../api/schemas';
import { BackendError, describeError } from '../client/errors';
import { actionTitle, planInProject, type ActionPlan, type PlanAction } from '../core/actionPlan';
import { plural, shortSha } from '../core/format';
import { rollbackTarget, type RollbackTarget } from '../core/rollback';
import type { CommitCounter } from './commitCounter';
import type { Confirmer } from './confirm';
import type { Logger } from './log';
import type { LoudNotifier } from './notifications';
import { cancelled, outcomeOfError, refused, type CommandOutcome } from './outcome';
import type { RefreshController } from './refresh';
import type { ActiveSession, SessionManager } from './session';
import { isEnvironmentArgs, pickEnvironmentIn, pickProject, resolveEnvironment, type EnvironmentTarget } from './targets';
import type { ReleaseTreeModel } from './tree/model';
import { followDeployment } from './follow';
import { candidateWarnings } from './candidateWarning';
import { pickPromoteTarget } from './promotePicker';

export interface ActionDeps {
  sessions: SessionManager;
  model: ReleaseTreeModel;
  refresh: RefreshController;
  log: Logger;
  confirmer: Confirmer;
  commits?: CommitCounter;
  /** Announces how what the user started ends, including the auto-promotions that carry it on. */
  notifier?: LoudNotifier;
}

/** What code (the stage panel, hover links, tests) may choose: a promotion source, a rollback target, a candidate. Never whether to ask. */
interface ActionChoices {
  from?: string;
  to?: string;
  release_candidate_version?: string;
}

function choices(arg: unknown): ActionChoices {
  if (typeof arg !== 'object' || arg === null) return {};
  const a = arg as Record<string, unknown>;
  const text = (key: string) => (typeof a[key] === 'string' ? { [key]: a[key] } : {});
  return { ...text('from'), ...text('to'), ...text('release_candidate_version') };
}

/** The action plan (core/actionPlan) said no: the reason is the whole answer. */
export class PlanRefusal extends Error {}

export function refuseUnless<T extends { available: boolean }>(planned: T | { available: false; reason: string }): asserts planned is Extract<T, { available: true }> {
  if (!planned.available) throw new PlanRefusal((planned as { reason: string }).reason);
}

/** A release action's command: whatever it throws is reported under the action's title, and returned as the outcome. */
export function commandRunner(deps: ActionDeps) {
  return <T>(action: PlanAction, fn: (arg: unknown) => Promise<CommandOutcome<T>>) => async (arg: unknown): Promise<CommandOutcome<T>> => {
    try {
      return await fn(arg);
    } catch (error) {
      return reportFailure(deps, actionTitle(action), error);
    }
  };
}

export function registerActionCommands(deps: ActionDeps): vscode.Disposable[] {
  const run = commandRunner(deps);
  return [
    vscode.commands.registerCommand('flightdeck.promote', run('promote', (arg) => promote(deps, arg))),
    vscode.commands.registerCommand('flightdeck.rollback', run('rollback', (arg) => rollback(deps, arg))),
    vscode.commands.registerCommand('flightdeck.deploy', run('deploy', (arg) => deployCandidate(deps, arg))),
    vscode.commands.registerCommand('flightdeck.freeze', run('freeze', (arg) => setFrozen(deps, arg, true))),
    vscode.commands.registerCommand('flightdeck.unfreeze', run('unfreeze', (arg) => setFrozen(deps, arg, false))),
    vscode.commands.registerCommand('flightdeck.pause', run('pause', (arg) => rolloutControl(deps, arg, 'pause'))),
    vscode.commands.registerCommand('flightdeck.resume', run('resume', (arg) => rolloutControl(deps, arg, 'resume'))),
    vscode.commands.registerCommand('flightdeck.abort', run('abort', (arg) => rolloutControl(deps, arg, 'abort'))),
  ];
}

/** The plan for a resolved target, with the backend's capabilities; the role is the server's to check. */
async function planFor(deps: ActionDeps, target: EnvironmentTarget, extra: { from?: string | undefined; rollbackTarget?: RollbackTarget | null } = {}): Promise<{ plan: ActionPlan; session: ActiveSession }> {
  const session = await deps.sessions.get();
  const plan = planInProject(target.project, target.environment, { capabilities: session.backend.capabilities, role: 'unknown', ...extra });
  return { plan, session };
}

/** "This adds 3 commits.": the confirmation's line about what the change brings (empty when unknown). */
export async function commitSentence(deps: ActionDeps, from: string | undefined, to: string): Promise<string> {
  if (!from || !deps.commits) return '';
  try {
    const counted = await deps.commits.count(from, to);
    if (!counted) return 'The local repository does not have both commits, so the change is not counted.';
    const parts = [];
    if (counted.added > 0) parts.push(`adds ${plural(counted.added, 'commit')}`);
    if (counted.removed > 0) parts.push(`removes ${plural(counted.removed, 'commit')}`);
    return parts.length ? `This ${parts.join(' and ')}.` : 'Both candidates are built from the same commit.';
  } catch {
    return '';
  }
}

async function promote(deps: ActionDeps, arg: unknown): Promise<CommandOutcome<Deployment>> {
  // From the palette: a pick of the environments the action plan lets a promote go into, with from → to.
  const target = arg === undefined || arg === null
    ? await pickPromoteTarget(deps.model, 'Flightdeck: Promote')
    : await resolveEnvironment(deps.model, arg, 'Flightdeck: Promote');
  if (!target) return cancelled;
  const { project, environment } = target;
  const { plan, session } = await planFor(deps, target, { from: choices(arg).from });
  const planned = plan.promote;
  refuseUnless(planned);
  const { candidate } = planned;
  const from = environment.current?.release_candidate_version ?? 'nothing';
  const warnings = await candidateWarnings(session.backend, project, candidate);
  if (warnings.length > 0) deps.log.info(`Promote ${project.name}/${environment.name}: ${warnings.join(' ')}`);
  const detail = [
    ...warnings,
    `${project.name} / ${environment.name}: ${from} → ${candidate} (from ${planned.from}).`,
    await commitSentence(deps, environment.current?.commit, planned.commit),
    environment.strategy === 'rollout' && environment.steps ? `It rolls out in steps: ${environment.steps.map((s) => `${s.percent}%`).join(' → ')}.` : '',
  ].filter(Boolean).join('\n');
  const question = warnings.length > 0 ? `Promote ${candidate} to ${environment.name}? It failed or was rolled back in the last 24 hours.` : `Promote ${candidate} to ${environment.name}?`;
  if (!(await deps.confirmer.confirm({ message: question, detail, action: actionTitle('promote', plan) }))) return cancelled;
  const deployment = await session.backend.promote(project.name, environment.name, {
    from_environment: planned.from,
    release_candidate_version: candidate,
    expected_current: planned.expectedCurrent,
  });
  deps.log.info(`Promoted ${project.name}/${environment.name}: ${from} → ${candidate} (deployment ${deployment.id})`);
  started(deps, deployment, 'Promoting');
  return { kind: 'done', value: deployment };
}

async function rollback(deps: ActionDeps, arg: unknown): Promise<CommandOutcome<Deployment>> {
  const target = await resolveEnvironment(deps.model, arg, 'Flightdeck: Rollback');
  if (!target) return cancelled;
  const { project, environment } = target;
  const chosen = choices(arg).to;
  const session = await deps.sessions.get();
  // The target named in the question is the one core/rollback computes, as the server will.
  const computed = chosen ? { release_candidate_version: chosen, commit: '' } : rollbackTarget(await session.backend.listDeployments(project.name, environment.name, 1, 100)) ?? null;
  const { plan } = await planFor(deps, target, { rollbackTarget: computed });
  const planned = plan.rollback;
  refuseUnless(planned);
  const to = planned.to?.release_candidate_version ?? computed?.release_candidate_version ?? '';
  const from = environment.current?.release_candidate_version ?? 'nothing';
  const title = actionTitle('rollback', plan);
  const detail = [
    `${project.name} / ${environment.name}: ${from} → ${to}.`,
    planned.to?.commit ? await commitSentence(deps, environment.current?.commit, planned.to.commit) : '',
    planned.cancels ? `The active deployment of ${planned.cancels.release_candidate_version} is canceled first.` : '',
    planned.force ? `${environment.name} is frozen: the rollback is forced through the freeze; deploys and promotes stay refused.` : '',
  ].filter(Boolean).join('\n');
  if (!(await deps.confirmer.confirm({ message: `${planned.force ? 'Force the rollback of' : 'Roll back'} ${environment.name} to ${to}?`, detail, action: title }))) return cancelled;
  const body = {
    to_release_candidate_version: to,
    expected_current: planned.expectedCurrent,
    ...(planned.force ? { force: true } : {}),
  };
  let deployment: Deployment;
  try {
    deployment = await session.backend.rollback(project.name, environment.name, body);
  } catch (error) {
    // Frozen without the view knowing (frozen since it last looked, or an Aviator backend, which cannot
    // say): the plan's answer for a frozen environment is a forced rollback, asked, never assumed.
    if (body.force || !isFrozenRefusal(error)) throw error;
    const forced = await deps.confirmer.confirm({
      message: `${environment.name} is frozen. Force the rollback to ${to}?`,
      detail: `${project.name} / ${environment.name}: the server refused the rollback because the environment is frozen. `
        + 'A forced rollback goes through a freeze; deploys and promotes stay refused.',
      action: 'Force Rollback',
    });
    if (!forced) return refused(`${environment.name} is frozen, and the forced rollback was not confirmed.`);
    deployment = await session.backend.rollback(project.name, environment.name, { ...body, force: true });
  }
  deps.log.info(`Rolled back ${project.name}/${environment.name}: ${from} → ${to} (deployment ${deployment.id})`);
  started(deps, deployment, 'Rolling back');
  return { kind: 'done', value: deployment };
}

function isFrozenRefusal(error: unknown): boolean {
  return error instanceof BackendError && error.status === 400 && /\bfrozen\b/i.test(error.message);
}

async function deployCandidate(deps: ActionDeps, arg: unknown): Promise<CommandOutcome<Deployment>> {
  const chosen = choices(arg);
  let target: EnvironmentTarget | undefined;
  if (isEnvironmentArgs(arg) || (typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'environment')) {
    target = await resolveEnvironment(deps.model, arg, 'Flightdeck: Deploy Release Candidate');
  } else {
    await deps.model.refresh();
    const project = await pickProject(deps.model, 'Flightdeck: Deploy Release Candidate', '1/3');
    if (!project) return cancelled;
    target = await pickEnvironmentIn(project, 'Flightdeck: Deploy Release Candidate', '2/3');
  }
  if (!target) return cancelled;
  const { project, environment } = target;
  const { plan, session } = await planFor(deps, target);
  const planned = plan.deploy;
  refuseUnless(planned);
  let candidate = chosen.release_candidate_version;
  if (!candidate) {
    const releases = await session.backend.listReleases(project.name, 1, 20);
    const items = releases.flatMap((r) => r.candidates.map((c) => ({
      label: c.release_candidate_version,
      description: `${shortSha(c.commit)}${c.release_candidate_version === environment.current?.release_candidate_version ? ' · live here' : ''}`,
      detail: `created ${new Date(c.created_at).toLocaleString()}`,
    })));
    if (items.length === 0) throw new PlanRefusal(`${project.name} has no release candidates yet.`);
    const picked = await vscode.window.showQuickPick(items, { title: 'Flightdeck: Deploy Release Candidate (3/3)', placeHolder: `Candidate to deploy to ${environment.name}`, ignoreFocusOut: true });
    candidate = picked?.label;
  }
  if (!candidate) return cancelled;
  const from = environment.current?.release_candidate_version ?? 'nothing';
  if (!(await deps.confirmer.confirm({ message: `Deploy ${candidate} to ${environment.name}?`, detail: `${project.name} / ${environment.name}: ${from} → ${candidate}.`, action: actionTitle('deploy') }))) return cancelled;
  const deployment = await session.backend.deploy(project.name, environment.name, {
    release_candidate_version: candidate,
    expected_current: planned.expectedCurrent,
  });
  deps.log.info(`Deployed ${project.name}/${environment.name}: ${from} → ${candidate} (deployment ${deployment.id})`);
  started(deps, deployment, 'Deploying');
  return { kind: 'done', value: deployment };
}

async function setFrozen(deps: ActionDeps, arg: unknown, frozen: boolean): Promise<CommandOutcome<Environment>> {
  const target = await resolveEnvironment(deps.model, arg, frozen ? 'Flightdeck: Freeze Environment' : 'Flightdeck: Unfreeze Environment');
  if (!target) return cancelled;
  const { plan, session } = await planFor(deps, target);
  refuseUnless(frozen ? plan.freeze : plan.unfreeze);
  const updated = await session.backend.patchEnvironment(target.project.name, target.environment.name, { frozen });
  deps.log.info(`${frozen ? 'Froze' : 'Unfroze'} ${target.project.name}/${target.environment.name}`);
  void vscode.window.showInformationMessage(`${target.project.name}/${target.environment.name} is ${frozen ? 'frozen: deploys and promotes are refused until it is unfrozen (a rollback is forced through it)' : 'unfrozen'}.`);
  await deps.refresh.afterAction();
  return { kind: 'done', value: updated };
}

async function rolloutControl(deps: ActionDeps, arg: unknown, action: 'pause' | 'resume' | 'abort'): Promise<CommandOutcome<Deployment>> {
  let projectName: string | undefined;
  let deploymentId: string | undefined;
  const a = typeof arg === 'object' && arg !== null ? (arg as { project?: unknown; deploymentId?: unknown }) : {};
  if (typeof a.project === 'string' && typeof a.deploymentId === 'string') {
    projectName = a.project;
    deploymentId = a.deploymentId;
  } else {
    const target = await resolveEnvironment(deps.model, arg, `Flightdeck: ${actionTitle(action)} Rollout`);
    if (!target) return cancelled;
    const { plan } = await planFor(deps, target);
    const planned = plan[action];
    refuseUnless(planned);
    projectName = target.project.name;
    deploymentId = planned.deploymentId;
  }
  if (action === 'abort' && !(await deps.confirmer.confirm({ message: 'Abort the rollout and roll back?', detail: `Deployment ${deploymentId} in ${projectName} stops, and the environment returns to its previous candidate.`, action: actionTitle('abort') }))) return cancelled;
  const session = await deps.sessions.get();
  const deployment = await session.backend[action](projectName, deploymentId);
  deps.log.info(`${action[0]!.toUpperCase()}${action.slice(1)} ${projectName}/${deployment.environment_name}: deployment ${deploymentId} of ${deployment.release_candidate_version}`);
  await deps.refresh.afterAction();
  return { kind: 'done', value: deployment };
}

/** A deployment the user started: announced at its end, refreshed now, followed in a progress notification. */
export function started(deps: ActionDeps, deployment: Deployment, verb: string): void {
  deps.notifier?.started(deployment);
  void deps.refresh.afterAction();
  void followDeployment(deps, deployment, verb);
}

/** Says why in a notification, and returns the outcome: the plan's or the server's refusal, or a failure. */
export async function reportFailure(deps: ActionDeps, title: string, error: unknown): Promise<CommandOutcome<never>> {
  if (error instanceof PlanRefusal) {
    void vscode.window.showInformationMessage(`${title}: ${error.message}`);
    return refused(error.message);
  }
  deps.log.warn(`${title} failed: ${describeError(error)}`);
  const outcome = outcomeOfError(error);
  if (error instanceof BackendError && error.kind === 'conflict') {
    await deps.refresh.afterAction();
    const now = error.current === undefined ? '' : ` It now runs ${error.current ?? 'nothing'}.`;
    void vscode.window.showWarningMessage(`${title} refused: ${error.message}.${now} The view is refreshed; nothing was changed.`);
    return outcome;
  }
  if (error instanceof BackendError && error.kind === 'unauthorized') {
    void vscode.window.showErrorMessage(`${title} failed: ${error.message}.`, 'Sign In').then((choice) => {
      if (choice) void vscode.commands.executeCommand('flightdeck.signIn');
    });
    return outcome;
  }
  void vscode.window.showErrorMessage(`${title} failed: ${describeError(error).replace(/\.$/, '')}.`, 'Show Logs').then((choice) => {
    if (choice) deps.log.show();
  });
  return outcome;
}
