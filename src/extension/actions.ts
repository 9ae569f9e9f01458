// Commands that change releases: promote, rollback, deploy a candidate, freeze, pause/resume/abort.
// Each confirms with a modal that names project, environment, from → to and the commits in between,
// sends `expected_current` so a stale screen cannot act on a changed environment, explains a 409 by
// refreshing and saying what changed, and follows the deployment it started.
import * as vscode from 'vscode';
import type { Deployment, Environment } from '../api/schemas';
import { BackendError, describeError } from '../client/errors';
import { plural } from '../core/format';
import { rungBelow } from '../core/ladder';
import { rollbackTarget } from '../core/rollback';
import type { Logger } from './log';
import type { LoudNotifier } from './notifications';
import type { RefreshController } from './refresh';
import type { SessionManager } from './session';
import { isEnvironmentArgs, pickEnvironmentIn, pickProject, resolveEnvironment, type EnvironmentTarget } from './targets';
import type { ReleaseTreeModel } from './tree/model';
import { followDeployment } from './follow';
import { candidateWarnings } from './candidateWarning';
import { pickPromoteTarget } from './promotePicker';

/** Counts commits a change adds (positive) or removes, from the local repository when it has both. */
export interface CommitCounter {
  count(fromCommit: string, toCommit: string): Promise<{ added: number; removed: number } | undefined>;
}

export interface ActionDeps {
  sessions: SessionManager;
  model: ReleaseTreeModel;
  refresh: RefreshController;
  log: Logger;
  commits?: CommitCounter;
  /** Announces how what the user started ends, including the auto-promotions that carry it on. */
  notifier?: LoudNotifier;
}

/** Options code may pass (tests, the stage panel): skip the modal, choose a source or target. */
interface ActionOptions {
  skipConfirm?: boolean;
  /** Rollback of a frozen environment: force it without asking (with skipConfirm, a refusal is final otherwise). */
  force?: boolean;
  from?: string;
  to?: string;
  release_candidate_version?: string;
}

function options(arg: unknown): ActionOptions {
  return typeof arg === 'object' && arg !== null ? (arg as ActionOptions) : {};
}

export function registerActionCommands(deps: ActionDeps): vscode.Disposable[] {
  const run = (title: string, fn: (arg: unknown) => Promise<Deployment | Environment | undefined>) => async (arg: unknown) => {
    try {
      return await fn(arg);
    } catch (error) {
      await reportFailure(deps, title, error);
      return undefined;
    }
  };
  return [
    vscode.commands.registerCommand('flightdeck.promote', run('Promote', (arg) => promote(deps, arg))),
    vscode.commands.registerCommand('flightdeck.rollback', run('Rollback', (arg) => rollback(deps, arg))),
    vscode.commands.registerCommand('flightdeck.deploy', run('Deploy', (arg) => deployCandidate(deps, arg))),
    vscode.commands.registerCommand('flightdeck.freeze', run('Freeze', (arg) => setFrozen(deps, arg, true))),
    vscode.commands.registerCommand('flightdeck.unfreeze', run('Unfreeze', (arg) => setFrozen(deps, arg, false))),
    vscode.commands.registerCommand('flightdeck.pause', run('Pause', (arg) => rolloutControl(deps, arg, 'pause'))),
    vscode.commands.registerCommand('flightdeck.resume', run('Resume', (arg) => rolloutControl(deps, arg, 'resume'))),
    vscode.commands.registerCommand('flightdeck.abort', run('Abort', (arg) => rolloutControl(deps, arg, 'abort'))),
  ];
}

async function confirm(message: string, detail: string, action: string, skip: boolean | undefined): Promise<boolean> {
  if (skip) return true;
  const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, action);
  return choice === action;
}

async function commitSentence(deps: ActionDeps, from: string | undefined, to: string): Promise<string> {
  if (!from || !deps.commits) return '';
  try {
    const counted = await deps.commits.count(from, to);
    if (!counted) return 'The local repository does not have both commits, so the change is not counted.';
    const parts = [];
    if (counted.added > 0) parts.push(`adds ${plural(counted.added, 'commit')}`);
    if (counted.removed > 0) parts.push(`removes ${plural(counted.removed, 'commit')}`);
    return parts.length ? `This ${parts.join(' and ')}.` : 'Both versions are built from the same commit.';
  } catch {
    return '';
  }
}

async function promote(deps: ActionDeps, arg: unknown): Promise<Deployment | undefined> {
  // From the palette: a pick of the environments a promote can go into, with from → to.
  const target = arg === undefined || arg === null
    ? await pickPromoteTarget(deps.model, 'Flightdeck: Promote')
    : await resolveEnvironment(deps.model, arg, 'Flightdeck: Promote');
  if (!target) return undefined;
  const { project, environment } = target;
  const opts = options(arg);
  const source = opts.from ? project.environments.find((e) => e.name === opts.from) : rungBelow(project, environment.name);
  if (!source) throw new Error(`${environment.name} is the first rung of ${project.name}: there is nothing below it to promote from.`);
  if (!source.current) throw new Error(`Nothing to promote: ${source.name} has nothing deployed.`);
  const candidate = source.current.release_candidate_version;
  if (environment.current?.release_candidate_version === candidate) {
    void vscode.window.showInformationMessage(`${project.name}/${environment.name} already runs ${candidate}.`);
    return undefined;
  }
  const from = environment.current?.release_candidate_version ?? 'nothing';
  const session = await deps.sessions.get();
  const warnings = await candidateWarnings(session.backend, project, candidate);
  if (warnings.length > 0) deps.log.info(`Promote ${project.name}/${environment.name}: ${warnings.join(' ')}`);
  const detail = [
    ...warnings,
    `${project.name} / ${environment.name}: ${from} → ${candidate} (from ${source.name}).`,
    await commitSentence(deps, environment.current?.commit, source.current.commit),
    environment.strategy === 'rollout' && environment.steps ? `It rolls out in steps: ${environment.steps.map((s) => `${s.percent}%`).join(' → ')}.` : '',
  ].filter(Boolean).join('\n');
  const question = warnings.length > 0 ? `Promote ${candidate} to ${environment.name}? It failed or was rolled back in the last 24 hours.` : `Promote ${candidate} to ${environment.name}?`;
  if (!(await confirm(question, detail, 'Promote', opts.skipConfirm))) return undefined;
  const deployment = await session.backend.promote(project.name, environment.name, {
    from_environment: source.name,
    release_candidate_version: candidate,
    expected_current: environment.current?.release_candidate_version ?? null,
  });
  deps.log.info(`Promoted ${project.name}/${environment.name}: ${from} → ${candidate} (deployment ${deployment.id})`);
  started(deps, deployment, 'Promoting');
  return deployment;
}

async function rollback(deps: ActionDeps, arg: unknown): Promise<Deployment | undefined> {
  const target = await resolveEnvironment(deps.model, arg, 'Flightdeck: Rollback');
  if (!target) return undefined;
  const { project, environment } = target;
  const opts = options(arg);
  const session = await deps.sessions.get();
  let to = opts.to;
  let toCommit: string | undefined;
  if (!to) {
    const history = await session.backend.listDeployments(project.name, environment.name, 1, 100);
    const computed = rollbackTarget(history);
    if (!computed) throw new Error(`No previous deployment to roll back from in ${project.name}/${environment.name}.`);
    to = computed.release_candidate_version;
    toCommit = computed.commit;
  }
  const from = environment.current?.release_candidate_version ?? 'nothing';
  const detail = [
    `${project.name} / ${environment.name}: ${from} → ${to}.`,
    toCommit ? await commitSentence(deps, environment.current?.commit, toCommit) : '',
    environment.active ? `The active deployment of ${environment.active.release_candidate_version} is canceled first.` : '',
    environment.frozen ? 'The environment is frozen: the rollback is forced.' : '',
  ].filter(Boolean).join('\n');
  if (!(await confirm(`Roll back ${environment.name} to ${to}?`, detail, 'Roll Back', opts.skipConfirm))) return undefined;
  const body = {
    to_release_candidate_version: to,
    expected_current: environment.current?.release_candidate_version ?? null,
    ...(environment.frozen || opts.force ? { force: true } : {}),
  };
  let deployment: Deployment;
  try {
    deployment = await session.backend.rollback(project.name, environment.name, body);
  } catch (error) {
    // Frozen without the view knowing (frozen since it last looked, or an Aviator backend, which cannot
    // say): rolling back is what a frozen environment still allows, when forced. Asked, never assumed.
    if (body.force || !isFrozenRefusal(error) || opts.skipConfirm) throw error;
    const forced = await confirm(`${environment.name} is frozen. Force the rollback to ${to}?`,
      `${project.name} / ${environment.name}: the server refused the rollback because the environment is frozen. `
        + 'A forced rollback goes through a freeze; deploys and promotes stay refused.', 'Force Rollback', false);
    if (!forced) return undefined;
    deployment = await session.backend.rollback(project.name, environment.name, { ...body, force: true });
  }
  deps.log.info(`Rolled back ${project.name}/${environment.name}: ${from} → ${to} (deployment ${deployment.id})`);
  started(deps, deployment, 'Rolling back');
  return deployment;
}

function isFrozenRefusal(error: unknown): boolean {
  return error instanceof BackendError && error.status === 400 && /\bfrozen\b/i.test(error.message);
}

async function deployCandidate(deps: ActionDeps, arg: unknown): Promise<Deployment | undefined> {
  const opts = options(arg);
  let target: EnvironmentTarget | undefined;
  if (isEnvironmentArgs(arg) || (typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'environment')) {
    target = await resolveEnvironment(deps.model, arg, 'Flightdeck: Deploy Release Candidate');
  } else {
    await deps.model.refresh();
    const project = await pickProject(deps.model, 'Flightdeck: Deploy Release Candidate', '1/3');
    if (!project) return undefined;
    target = await pickEnvironmentIn(project, 'Flightdeck: Deploy Release Candidate', '2/3');
  }
  if (!target) return undefined;
  const { project, environment } = target;
  const session = await deps.sessions.get();
  let candidate = opts.release_candidate_version;
  if (!candidate) {
    const releases = await session.backend.listReleases(project.name, 1, 20);
    const items = releases.flatMap((r) => r.candidates.map((c) => ({
      label: c.release_candidate_version,
      description: `${c.commit.slice(0, 7)}${c.release_candidate_version === environment.current?.release_candidate_version ? ' · live here' : ''}`,
      detail: `created ${new Date(c.created_at).toLocaleString()}`,
    })));
    if (items.length === 0) throw new Error(`${project.name} has no release candidates yet.`);
    const picked = await vscode.window.showQuickPick(items, { title: 'Flightdeck: Deploy Release Candidate (3/3)', placeHolder: `Candidate to deploy to ${environment.name}`, ignoreFocusOut: true });
    candidate = picked?.label;
  }
  if (!candidate) return undefined;
  const from = environment.current?.release_candidate_version ?? 'nothing';
  if (!(await confirm(`Deploy ${candidate} to ${environment.name}?`, `${project.name} / ${environment.name}: ${from} → ${candidate}.`, 'Deploy', opts.skipConfirm))) return undefined;
  const deployment = await session.backend.deploy(project.name, environment.name, {
    release_candidate_version: candidate,
    expected_current: environment.current?.release_candidate_version ?? null,
  });
  deps.log.info(`Deployed ${project.name}/${environment.name}: ${from} → ${candidate} (deployment ${deployment.id})`);
  started(deps, deployment, 'Deploying');
  return deployment;
}

async function setFrozen(deps: ActionDeps, arg: unknown, frozen: boolean): Promise<Environment | undefined> {
  const target = await resolveEnvironment(deps.model, arg, frozen ? 'Flightdeck: Freeze Environment' : 'Flightdeck: Unfreeze Environment');
  if (!target) return undefined;
  const session = await deps.sessions.get();
  const updated = await session.backend.patchEnvironment(target.project.name, target.environment.name, { frozen });
  deps.log.info(`${frozen ? 'Froze' : 'Unfroze'} ${target.project.name}/${target.environment.name}`);
  void vscode.window.showInformationMessage(`${target.project.name}/${target.environment.name} is ${frozen ? 'frozen: deploys and promotes are refused until it is unfrozen' : 'unfrozen'}.`);
  await deps.refresh.afterAction();
  return updated;
}

async function rolloutControl(deps: ActionDeps, arg: unknown, action: 'pause' | 'resume' | 'abort'): Promise<Deployment | undefined> {
  let projectName: string | undefined;
  let deploymentId: string | undefined;
  const a = typeof arg === 'object' && arg !== null ? (arg as { project?: unknown; deploymentId?: unknown }) : {};
  if (typeof a.project === 'string' && typeof a.deploymentId === 'string') {
    projectName = a.project;
    deploymentId = a.deploymentId;
  } else {
    const target = await resolveEnvironment(deps.model, arg, `Flightdeck: ${action[0]!.toUpperCase()}${action.slice(1)} Rollout`);
    if (!target) return undefined;
    if (!target.environment.active) throw new Error(`Nothing is deploying in ${target.project.name}/${target.environment.name}.`);
    projectName = target.project.name;
    deploymentId = target.environment.active.id;
  }
  if (action === 'abort' && !(await confirm('Abort the rollout and roll back?', `Deployment ${deploymentId} in ${projectName} stops, and the environment returns to its previous candidate.`, 'Abort', options(arg).skipConfirm))) return undefined;
  const session = await deps.sessions.get();
  const deployment = await session.backend[action](projectName, deploymentId);
  deps.log.info(`${action[0]!.toUpperCase()}${action.slice(1)} ${projectName}/${deployment.environment_name}: deployment ${deploymentId} of ${deployment.release_candidate_version}`);
  await deps.refresh.afterAction();
  return deployment;
}

function started(deps: ActionDeps, deployment: Deployment, verb: string): void {
  deps.notifier?.started(deployment);
  void deps.refresh.afterAction();
  void followDeployment(deps, deployment, verb);
}

async function reportFailure(deps: ActionDeps, title: string, error: unknown): Promise<void> {
  deps.log.warn(`${title} failed: ${describeError(error)}`);
  if (error instanceof BackendError && error.kind === 'conflict') {
    await deps.refresh.afterAction();
    const now = error.current === undefined ? '' : ` It now runs ${error.current ?? 'nothing'}.`;
    void vscode.window.showWarningMessage(`${title} refused: ${error.message}.${now} The view is refreshed; nothing was changed.`);
    return;
  }
  if (error instanceof BackendError && error.kind === 'unauthorized') {
    const choice = await vscode.window.showErrorMessage(`${title} failed: ${error.message}.`, 'Sign In');
    if (choice) void vscode.commands.executeCommand('flightdeck.signIn');
    return;
  }
  void vscode.window.showErrorMessage(`${title} failed: ${describeError(error).replace(/\.$/, '')}.`, 'Show Logs').then((choice) => {
    if (choice) deps.log.show();
  });
}
