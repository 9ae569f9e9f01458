// "Create .flightdeck.json": Aviator cannot list projects, so the repository names its own. Writes a file
// with one project named after the repository (matched to it by its git remote) and the default ladder
// dogfood → canary → rollout → production into the first workspace folder, and opens it.
import * as vscode from 'vscode';
import { PROJECT_NAME_PATTERN } from '../../api/schemas';
import { PROJECT_CONFIG_FILE, defaultProjectConfig, projectConfigText, repoFromRemoteUrl } from '../../core/projectConfig';
import type { WorkspaceRepositories } from '../workspace';
import type { ProjectConfigSource } from './configSource';

export const CREATE_PROJECT_CONFIG_COMMAND = 'flightdeck.createProjectConfig';

/** What code (tests, the offer) may pass: skip the prompt, or keep the editor closed. */
export interface CreateProjectConfigArgs {
  name?: string;
  repo?: string;
  open?: boolean;
}

export function registerCreateProjectConfig(deps: { source: ProjectConfigSource; workspace: WorkspaceRepositories }): vscode.Disposable {
  return vscode.commands.registerCommand(CREATE_PROJECT_CONFIG_COMMAND, async (arg?: unknown): Promise<vscode.Uri | undefined> => {
    const args: CreateProjectConfigArgs = typeof arg === 'object' && arg !== null ? (arg as CreateProjectConfigArgs) : {};
    const folder = vscode.workspace.workspaceFolders?.[0];
    const uri = deps.source.fileUri(folder);
    if (!folder || !uri) {
      void vscode.window.showErrorMessage(`Open a folder first: ${PROJECT_CONFIG_FILE} goes at the root of the repository.`);
      return undefined;
    }
    if (await exists(uri)) {
      if (args.open !== false) await vscode.window.showTextDocument(uri);
      void vscode.window.showInformationMessage(`${PROJECT_CONFIG_FILE} already exists in ${folder.name}: edit it to add projects or environments.`);
      return uri;
    }
    const repo = args.repo ?? await remoteRepo(deps.workspace, folder) ?? folder.name;
    const suggested = (repo.split('/').pop() ?? '').replace(/[^A-Za-z0-9 _-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100);
    const name = args.name ?? await vscode.window.showInputBox({
      title: `Flightdeck: Create ${PROJECT_CONFIG_FILE}`,
      prompt: `The project's name in Aviator (repository ${repo}; ladder dogfood → canary → rollout → production, edit it to match Aviator)`,
      value: suggested,
      ignoreFocusOut: true,
      validateInput: (v) => (PROJECT_NAME_PATTERN.test(v) ? undefined : 'Letters, digits, spaces, _ and -; starting with a letter or digit.'),
    });
    if (!name) return undefined;
    if (!PROJECT_NAME_PATTERN.test(name)) throw new Error(`Invalid project name: ${name}`);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(projectConfigText(defaultProjectConfig(name, repo))));
    await deps.source.reload();
    if (args.open !== false) await vscode.window.showTextDocument(uri);
    void vscode.window.showInformationMessage(`Created ${PROJECT_CONFIG_FILE} for ${name}. Name the project and its environments exactly as in Aviator; the ladder is the order of "environments".`);
    return uri;
  });
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** `owner/name` of the folder's first git remote, if it has one. */
async function remoteRepo(workspace: WorkspaceRepositories, folder: vscode.WorkspaceFolder): Promise<string | undefined> {
  const repo = await workspace.repositoryFor(folder.uri);
  if (!repo) return undefined;
  for (const url of await workspace.remoteUrls(repo)) {
    const found = repoFromRemoteUrl(url);
    if (found) return found;
  }
  return undefined;
}
