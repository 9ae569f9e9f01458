// The palette side of the commit hover (every hover action is also a command): Where Is Commit
// Deployed…, Copy SHA, and Fetch, which runs only when the user asks, through VS Code's Git extension.
import * as vscode from 'vscode';
import type { ReleaseTreeModel } from '../tree/model';
import type { Logger } from '../log';
import { shortSha } from '../../core/format';
import type { CommitIdentity, CommitInsights } from './insights';
import { describeError } from '../../core/errors';
import { findShaAt, rowSummary, type DeploymentState } from './present';

export interface CommitCommandDeps {
  insights: CommitInsights;
  model: ReleaseTreeModel;
  log: Logger;
}

/** What `flightdeck.whereIsCommit` returns to code (the tests): the commit and the answer shown. */
export interface WhereAnswer {
  sha: string;
  subject: string | undefined;
  repoDir: string;
  deployments: DeploymentState;
}

/** How long the palette command waits for the release server and git before saying what it has. */
const COMMAND_WAIT_MS = 10_000;

export function registerCommitCommands(deps: CommitCommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('flightdeck.whereIsCommit', (arg?: unknown) => guarded(deps, 'Where Is Commit Deployed', () => whereIsCommit(deps, arg))),
    vscode.commands.registerCommand('flightdeck.copySha', (arg?: unknown) => guarded(deps, 'Copy SHA', () => copySha(deps, arg))),
    vscode.commands.registerCommand('flightdeck.fetchCommit', (arg?: unknown) => guarded(deps, 'Fetch', () => fetchCommit(deps, arg))),
  ];
}

async function guarded<T>(deps: CommitCommandDeps, title: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    deps.log.error(`${title}: ${describeError(error)}`);
    void vscode.window.showErrorMessage(`${title}: ${describeError(error)}`);
    return undefined;
  }
}

/** `"a1b2c3d"`, `{ sha }` or `{ revision }` from code and hover links. */
export function revisionArgument(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg.trim() !== '') return arg.trim();
  if (typeof arg === 'object' && arg !== null) {
    const { sha, revision } = arg as { sha?: unknown; revision?: unknown };
    if (typeof sha === 'string' && sha.trim() !== '') return sha.trim();
    if (typeof revision === 'string' && revision.trim() !== '') return revision.trim();
  }
  return undefined;
}

/** The SHA-like word under the active editor's cursor, if any. */
export function shaAtCursor(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const position = editor.selection.active;
  const line = editor.document.lineAt(position.line).text;
  // The cursor may sit just after the token (after a double-click or typing it).
  return (findShaAt(line, position.character) ?? findShaAt(line, Math.max(0, position.character - 1)))?.text;
}

/**
 * The commit a command works on: from its argument, else asked for (short SHA, tag, `HEAD~3`…), the
 * word under the cursor offered when it looks like a SHA. Resolved in the workspace's repositories.
 */
export async function commitFromArgument(insights: CommitInsights, arg: unknown, title: string): Promise<CommitIdentity | undefined> {
  const uri = vscode.window.activeTextEditor?.document.uri;
  let revision = revisionArgument(arg);
  if (!revision) {
    const suggested = shaAtCursor();
    revision = await vscode.window.showInputBox({
      title,
      prompt: 'A commit: a SHA (short is fine), a tag, a branch, HEAD~3…',
      placeHolder: 'HEAD',
      value: suggested ?? '',
      ignoreFocusOut: true,
      validateInput: (value) => (/^\s*-/.test(value) ? 'A revision cannot start with "-".' : undefined),
    });
    if (revision === undefined) return undefined;
    revision = revision.trim() || 'HEAD';
  }
  const identity = await insights.resolveRevision(uri, revision);
  if (!identity) {
    const missing = /^[0-9a-f]{7,64}$/i.test(revision) ? insights.missingDeployedCommit(revision) : undefined;
    if (missing) {
      const choice = await vscode.window.showWarningMessage(
        `${shortSha(revision)} is deployed (${missing.deployedIn.map((d) => `${d.project}/${d.environment}`).join(', ')}) but not in your local clone.`,
        'Fetch',
      );
      if (choice === 'Fetch') await vscode.commands.executeCommand('flightdeck.fetchCommit', { sha: revision });
      return undefined;
    }
    throw new Error(`git cannot resolve "${revision}" to a commit in ${workspaceRepositoryNames()}.`);
  }
  return identity;
}

function workspaceRepositoryNames(): string {
  const folders = vscode.workspace.workspaceFolders ?? [];
  return folders.length === 0 ? 'this window (no folder is open)' : folders.map((f) => f.name).join(', ');
}

async function whereIsCommit(deps: CommitCommandDeps, arg: unknown): Promise<WhereAnswer | undefined> {
  const identity = await commitFromArgument(deps.insights, arg, 'Flightdeck: Where Is Commit Deployed?');
  if (!identity) return undefined;
  // The palette may be the first thing the user does: wait for the release server's first answer.
  if (deps.model.allProjects.length === 0) await deps.model.refresh();
  const uri = vscode.window.activeTextEditor?.document.uri;
  const deployments = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `Where is ${shortSha(identity.sha)} deployed?` },
    () => deps.insights.deployments(identity.repo, identity.sha, uri, COMMAND_WAIT_MS),
  );
  const answer: WhereAnswer = { sha: identity.sha, subject: identity.info?.subject, repoDir: identity.repo.repoDir, deployments };
  showAnswer(identity, deployments);
  return answer;
}

interface AnswerItem extends vscode.QuickPickItem {
  run?: () => unknown;
}

/** A quick pick per environment (choosing one opens its stage) plus the actions. Not awaited: the command returns the answer. */
function showAnswer(identity: CommitIdentity, deployments: DeploymentState): void {
  const title = `${shortSha(identity.sha)} ${identity.info?.subject ?? ''}`.trim();
  if (deployments.kind !== 'ready') {
    const text = deployments.kind === 'unrelated'
      ? `No release project on this server tracks ${identity.repo.repoDir} (its remotes match no project's repo).`
      : deployments.kind === 'unavailable'
        ? deployments.reason === 'signin' ? 'Sign in to the release server to see where it is deployed.' : 'The release server cannot be reached, so where it is deployed is unknown.'
        : deployments.kind === 'failed' ? `Cannot tell where it is deployed: ${deployments.message}` : 'Still working it out; try again in a moment.';
    void vscode.window.showInformationMessage(`${title}: ${text}`);
    return;
  }
  const items: AnswerItem[] = [];
  const now = Date.now();
  for (const project of deployments.projects) {
    items.push({ label: project.project, kind: vscode.QuickPickItemKind.Separator });
    for (const row of project.rows) {
      const summary = rowSummary(row, now);
      items.push({
        label: `${summary.mark} ${row.environment}`,
        description: summary.description,
        ...(row.state === 'unknown'
          ? { detail: deployments.shallow ? 'This shallow clone lacks the history to tell.' : 'The commit it runs is not in this clone: fetch to know.' }
          : {}),
        run: () => vscode.commands.executeCommand('flightdeck.openStage', { project: project.project, environment: row.environment }),
      });
    }
  }
  const first = deployments.projects[0];
  items.push({ label: 'Actions', kind: vscode.QuickPickItemKind.Separator });
  if (first?.target) {
    const target = first.target;
    items.push({
      label: `$(eye) Watch until ${deployments.projects.length === 1 ? target : '…'}`,
      run: () => vscode.commands.executeCommand('flightdeck.watchCommit',
        deployments.projects.length === 1 ? { sha: identity.sha, project: first.project, environment: target } : { sha: identity.sha }),
    });
  }
  items.push({ label: '$(copy) Copy SHA', description: identity.sha, run: () => vscode.commands.executeCommand('flightdeck.copySha', { sha: identity.sha }) });
  const pick = vscode.window.createQuickPick<AnswerItem>();
  pick.title = `Where is ${title} deployed?`;
  pick.placeholder = 'Choose an environment to open its stage';
  pick.items = items;
  pick.matchOnDescription = true;
  pick.onDidAccept(() => {
    const chosen = pick.selectedItems[0];
    pick.hide();
    void chosen?.run?.();
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
}

async function copySha(deps: CommitCommandDeps, arg: unknown): Promise<string | undefined> {
  const given = revisionArgument(arg);
  // A full sha from a hover link is copied as is, even when this clone does not have it.
  const sha = given && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(given)
    ? given.toLowerCase()
    : (await commitFromArgument(deps.insights, arg, 'Flightdeck: Copy SHA'))?.sha;
  if (!sha) return undefined;
  await vscode.env.clipboard.writeText(sha);
  vscode.window.setStatusBarMessage(`$(copy) Copied ${sha}`, 3000);
  return sha;
}

// ── fetch, through VS Code's Git extension (Flightdeck itself never writes to the repository) ──────────

interface GitApiRepository {
  readonly rootUri: vscode.Uri;
  fetch(options?: { all?: boolean }): Promise<void>;
}
interface GitApi {
  readonly repositories: GitApiRepository[];
  getRepository(uri: vscode.Uri): GitApiRepository | null;
}
interface GitExtension {
  readonly enabled: boolean;
  getAPI(version: 1): GitApi;
}

async function gitApi(): Promise<GitApi | undefined> {
  const extension = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!extension) return undefined;
  const exports = extension.isActive ? extension.exports : await extension.activate();
  return exports?.enabled ? exports.getAPI(1) : undefined;
}

async function fetchCommit(deps: CommitCommandDeps, arg: unknown): Promise<boolean> {
  const sha = revisionArgument(arg);
  const uri = vscode.window.activeTextEditor?.document.uri;
  const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showInformationMessage('Open the repository\'s folder to fetch into it.');
    return false;
  }
  const api = await gitApi();
  const repository = api?.getRepository(folder.uri) ?? api?.repositories[0];
  if (!repository) {
    const choice = await vscode.window.showWarningMessage(
      `VS Code's Git extension is not available here. Run \`git fetch --all\` in ${folder.uri.fsPath} yourself.`,
      'Open Terminal',
    );
    if (choice === 'Open Terminal') {
      const terminal = vscode.window.createTerminal({ name: 'git fetch', cwd: folder.uri });
      terminal.show();
      terminal.sendText('git fetch --all', false);
    }
    return false;
  }
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Fetching ${folder.name} from its remotes…` },
    () => repository.fetch({ all: true }),
  );
  deps.log.info(`Fetched ${repository.rootUri.fsPath} (asked for ${sha ?? 'no particular commit'})`);
  deps.insights.forgetGit();
  if (sha) {
    const found = await deps.insights.resolveRevision(uri, sha);
    if (found) {
      void vscode.window.showInformationMessage(`${shortSha(found.sha)} is now in your clone; hover it again to see where it is deployed.`);
      return true;
    }
    void vscode.window.showWarningMessage(`Fetched, but ${shortSha(sha)} is still not in your clone: it may be on a branch or remote that is not fetched.`);
    return false;
  }
  return true;
}
