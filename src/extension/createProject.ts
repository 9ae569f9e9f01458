// "Create Project for This Repository": a project named after the repository, matched to it by its git
// remote, with the default ladder dogfood → canary → rollout → production.
import * as vscode from 'vscode';
import type { ProjectSpecInput } from '../api/schemas';
import { PROJECT_NAME_PATTERN } from '../api/schemas';
import { parseRepositoryLocation } from '../git';
import type { RefreshController } from './refresh';
import type { SessionManager } from './session';
import type { WorkspaceRepositories } from './workspace';
import { describeError } from '../core/errors';

export function defaultLadder(repo: string): ProjectSpecInput {
  return {
    repo,
    environments: [
      { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
      { name: 'canary', tier: 'production', position: 1, strategy: 'canary' },
      { name: 'rollout', tier: 'production', position: 2, strategy: 'rollout', steps: [
        { percent: 1, soak_seconds: 600 }, { percent: 10, soak_seconds: 600 }, { percent: 50, soak_seconds: 600 }, { percent: 100, soak_seconds: 0 },
      ] },
      { name: 'production', tier: 'production', position: 3, strategy: 'standard' },
    ],
  };
}

export function registerCreateProject(deps: { sessions: SessionManager; workspace: WorkspaceRepositories; refresh: RefreshController }): vscode.Disposable {
  return vscode.commands.registerCommand('flightdeck.createProject', async (arg?: { name?: string; repo?: string }) => {
    const repo = await deps.workspace.repositoryFor();
    const remote = repo ? (await deps.workspace.remoteUrls(repo))[0] : undefined;
    const location = remote ? parseRepositoryLocation(remote) : undefined;
    const repoName = arg?.repo ?? (location?.path || vscode.workspace.workspaceFolders?.[0]?.name || '');
    const suggested = (repoName.split('/').pop() ?? '').replace(/[^A-Za-z0-9 _-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
    const name = arg?.name ?? await vscode.window.showInputBox({
      title: 'Flightdeck: Create Project for This Repository',
      prompt: `Project name (its ladder: dogfood → canary → rollout → production; repository ${repoName || 'unknown'})`,
      value: suggested,
      validateInput: (v) => (PROJECT_NAME_PATTERN.test(v) ? undefined : 'Letters, digits, spaces, _ and -; starting with a letter or digit.'),
    });
    if (!name) return undefined;
    try {
      const session = await deps.sessions.get();
      const project = await session.backend.putProject(name, defaultLadder(repoName || name));
      await deps.refresh.afterAction();
      void vscode.window.showInformationMessage(`Created ${project.name} with ${project.environments.length} environments. CI reports deployments to it through the API.`);
      return project;
    } catch (error) {
      void vscode.window.showErrorMessage(`Creating the project failed: ${describeError(error)}`);
      return undefined;
    }
  });
}
