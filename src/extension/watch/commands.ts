// Watch Commit Until… (from a hover link with `{ sha, project, environment }`, or asking for each) and
// Show Watched Commits (list, open the stage, stop watching).
import * as vscode from 'vscode';
import { formatAge, shortSha } from '../../core/format';
import { ladder } from '../../core/ladder';
import type { Logger } from '../log';
import type { ReleaseTreeModel } from '../tree/model';
import { commitFromArgument } from '../hover/commands';
import { type CommitInsights } from '../hover/insights';
import { describeError } from '../../core/errors';
import { defaultWatchTarget, rowSummary, type ProjectRows } from '../hover/present';
import type { CommitWatch } from './evaluate';
import type { CommitWatches } from './watches';

export interface WatchCommandDeps {
  insights: CommitInsights;
  watches: CommitWatches;
  model: ReleaseTreeModel;
  log: Logger;
}

const TITLE = 'Flightdeck: Watch Commit Until…';

export function registerWatchCommands(deps: WatchCommandDeps): vscode.Disposable[] {
  const guarded = <T>(title: string, run: (arg: unknown) => Promise<T>) => async (arg?: unknown): Promise<T | undefined> => {
    try {
      return await run(arg);
    } catch (error) {
      deps.log.error(`${title}: ${describeError(error)}`);
      void vscode.window.showErrorMessage(`${title}: ${describeError(error)}`);
      return undefined;
    }
  };
  return [
    vscode.commands.registerCommand('flightdeck.watchCommit', guarded('Watch Commit', (arg) => watchCommit(deps, arg))),
    vscode.commands.registerCommand('flightdeck.listWatches', guarded('Watched Commits', () => listWatches(deps))),
  ];
}

function stringField(arg: unknown, name: string): string | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const value = (arg as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function watchCommit(deps: WatchCommandDeps, arg: unknown): Promise<CommitWatch | undefined> {
  const identity = await commitFromArgument(deps.insights, arg, TITLE);
  if (!identity) return undefined;
  if (deps.model.allProjects.length === 0) await deps.model.refresh();
  if (deps.model.allProjects.length === 0) throw new Error('the release server has no projects (or cannot be reached).');
  let projectName = stringField(arg, 'project');
  let environment = stringField(arg, 'environment');
  // Where it is now helps choose only when something is left to choose.
  let rows: ProjectRows[] = [];
  if (!projectName || !environment) {
    const state = await deps.insights.deployments(identity.repo, identity.sha, vscode.window.activeTextEditor?.document.uri, 10_000);
    if (state.kind === 'ready') rows = state.projects;
  }

  if (!projectName) {
    const names = rows.length > 0 ? rows.map((p) => p.project) : deps.model.allProjects.map((p) => p.name);
    projectName = names.length === 1 ? names[0] : (await vscode.window.showQuickPick(
      names.map((name) => ({ label: name, description: deps.model.findProject(name)?.repo ?? '' })),
      { title: `${TITLE} (project)`, placeHolder: `Which project should ${shortSha(identity.sha)} reach?`, ignoreFocusOut: true },
    ))?.label;
    if (!projectName) return undefined;
  }
  const project = deps.model.findProject(projectName);
  if (!project) throw new Error(`there is no project ${projectName} on this server.`);

  if (!environment) {
    environment = await pickEnvironment(project.name, ladder(project).map((e) => e.name), defaultWatchTarget(project), rows.find((p) => p.project === project.name), identity.sha);
    if (!environment) return undefined;
  }
  if (!project.environments.some((e) => e.name === environment)) throw new Error(`${project.name} has no environment ${environment}.`);

  const watch = await deps.watches.add({
    sha: identity.sha, subject: identity.info?.subject, project: project.name, environment, repoDir: identity.repo.repoDir,
  });
  if (watch) {
    void vscode.window.showInformationMessage(
      `Watching ${shortSha(watch.sha)} until it is live in ${watch.project}/${watch.environment}. You will be told when it is, or if an environment that runs it rolls back past it.`,
      'Show Watched Commits',
    ).then((choice) => {
      if (choice) void vscode.commands.executeCommand('flightdeck.listWatches');
    });
  }
  return watch;
}

async function pickEnvironment(
  project: string, names: string[], target: string | undefined, rows: ProjectRows | undefined, sha: string,
): Promise<string | undefined> {
  const ordered = target ? [target, ...names.filter((n) => n !== target)] : names;
  const picked = await vscode.window.showQuickPick(
    ordered.map((name) => {
      const row = rows?.rows.find((r) => r.environment === name);
      const summary = row ? rowSummary(row) : undefined;
      return {
        label: `${summary?.mark ?? ''} ${name}`.trim(),
        description: [name === target ? 'default' : '', summary?.description ?? ''].filter(Boolean).join(' · '),
        name,
      };
    }),
    { title: `${TITLE} (environment)`, placeHolder: `Tell me when ${shortSha(sha)} is live in… (${project})`, ignoreFocusOut: true },
  );
  return picked?.name;
}

interface WatchItem extends vscode.QuickPickItem {
  watch?: CommitWatch;
  stopAll?: boolean;
}

const OPEN_STAGE: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('pulse'), tooltip: 'Open Stage' };
const STOP: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Stop Watching' };

/** Shows the watches (not awaited: returns them to code at once). */
function listWatches(deps: WatchCommandDeps): Promise<CommitWatch[]> {
  const watches = deps.watches.list();
  if (watches.length === 0) {
    void vscode.window.showInformationMessage('No commits are watched. Hover a commit and choose “Watch Until Production”, or run “Flightdeck: Watch Commit Until…”.');
    return Promise.resolve([]);
  }
  const pick = vscode.window.createQuickPick<WatchItem>();
  pick.title = 'Flightdeck: Watched Commits';
  pick.placeholder = 'Choose one to open the stage it is waiting for';
  const render = (): void => {
    const now = Date.now();
    const current = deps.watches.list();
    const items: WatchItem[] = current.map((watch) => ({
      label: `$(eye) ${shortSha(watch.sha)} ${watch.subject ?? ''}`.trim(),
      description: `${watch.project} → ${watch.environment}`,
      detail: `${watch.liveIn.length > 0 ? `live in ${watch.liveIn.join(', ')}` : 'not live anywhere yet'} · watched since ${formatAge(new Date(watch.createdAt).toISOString(), now)}`,
      buttons: [OPEN_STAGE, STOP],
      watch,
    }));
    if (current.length > 1) items.push({ label: '$(clear-all) Stop watching all', stopAll: true });
    pick.items = items;
    if (current.length === 0) pick.hide();
  };
  render();
  const subscription = deps.watches.onDidChange(render);
  pick.onDidTriggerItemButton((event) => {
    const watch = event.item.watch;
    if (!watch) return;
    if (event.button === STOP) void deps.watches.cancel(watch.id);
    else void vscode.commands.executeCommand('flightdeck.openStage', { project: watch.project, environment: watch.environment });
  });
  pick.onDidAccept(() => {
    const chosen = pick.selectedItems[0];
    pick.hide();
    if (chosen?.stopAll) void deps.watches.cancelAll();
    else if (chosen?.watch) void vscode.commands.executeCommand('flightdeck.openStage', { project: chosen.watch.project, environment: chosen.watch.environment });
  });
  pick.onDidHide(() => {
    subscription.dispose();
    pick.dispose();
  });
  pick.show();
  return Promise.resolve(watches);
}
