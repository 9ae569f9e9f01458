// GitHub Deployments as the release backend in the extension (`flightdeck.server.kind: github`): the
// backend factory the session uses, the token (./auth), the repositories (./repositories), and the
// "Use GitHub Deployments" command of the walkthrough and the welcome view. No server is started for it.
import * as vscode from 'vscode';
import { GitHubBackend } from '../../client/github';
import { readConfig, readGitHubApiUrl, setServerKind } from '../config';
import type { ProjectConfigSource } from '../aviator';
import type { Logger } from '../log';
import type { WorkspaceRepositories } from '../workspace';
import type { GitHubAuth } from './auth';
import { githubRepositories } from './repositories';

export { GitHubAuth, authProviderFor, environmentToken, type GitHubToken, type GitHubTokenSource } from './auth';
export { githubRepositories } from './repositories';

export const USE_GITHUB_COMMAND = 'flightdeck.useGitHub';

export interface GitHubBackendDeps {
  auth: GitHubAuth;
  workspace: WorkspaceRepositories;
  /** `.flightdeck.json` and the setting, as the Aviator backend reads them: ladders and workflows. */
  projectConfig: ProjectConfigSource;
}

export function createGitHubBackend(apiUrl: string, deps: GitHubBackendDeps): GitHubBackend {
  return new GitHubBackend({
    apiUrl,
    token: async () => (await deps.auth.current()).token,
    repositories: () => githubRepositories(deps.workspace, apiUrl),
    projects: () => deps.projectConfig.load(),
  });
}

/** Where "Use GitHub Deployments" writes the kind, when code (a test) says so instead of the user. */
export interface UseGitHubArgs {
  target?: 'workspace' | 'user';
  /** Offer to sign in afterwards (default: when no token is available). */
  offerSignIn?: boolean;
}

export function registerUseGitHub(deps: { auth: GitHubAuth; log: Logger }): vscode.Disposable {
  return vscode.commands.registerCommand(USE_GITHUB_COMMAND, async (arg?: unknown): Promise<boolean> => {
    const args: UseGitHubArgs = typeof arg === 'object' && arg !== null ? (arg as UseGitHubArgs) : {};
    const target = args.target ?? await pickTarget();
    if (!target) return false;
    await setServerKind('github', target === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
    deps.log.info(`Using GitHub Deployments (${readGitHubApiUrl()}), set in the ${target} settings`);
    const found = await deps.auth.current();
    if (args.offerSignIn === false || found.token) return true;
    const signIn = 'Sign In with GitHub';
    const choice = await vscode.window.showInformationMessage(
      'Flightdeck now reads releases from GitHub Deployments. Sign in with GitHub to see private repositories and approve deployments (or set GITHUB_TOKEN).',
      signIn,
    );
    if (choice === signIn) await vscode.commands.executeCommand('flightdeck.signIn');
    return true;
  });
}

async function pickTarget(): Promise<'workspace' | 'user' | undefined> {
  const items: Array<vscode.QuickPickItem & { target: 'workspace' | 'user' }> = [];
  if (vscode.workspace.workspaceFolders?.length) {
    items.push({ label: 'This Workspace', description: 'workspace settings', detail: 'Only this repository uses GitHub Deployments.', target: 'workspace' });
  }
  items.push({ label: 'All Windows', description: 'user settings', detail: 'Every workspace uses GitHub Deployments unless it says otherwise.', target: 'user' });
  const pick = await vscode.window.showQuickPick(items, { title: 'Flightdeck: Use GitHub Deployments', placeHolder: 'Where to save flightdeck.server.kind: github' });
  return pick?.target;
}

/** Whether the session talks to GitHub now. */
export function isGitHubActive(): boolean {
  return readConfig().serverKind === 'github';
}
