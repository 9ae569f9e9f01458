// Aviator support in the extension: the project configuration source, the "Create .flightdeck.json"
// command, the offer to create one when Aviator is in use and nothing names a project, and the backend
// factory the session uses. The composition root (main.ts) calls registerAviator once; SessionManager
// calls createAviatorBackend when `flightdeck.server.kind` is `aviator`.
import * as vscode from 'vscode';
import { AviatorBackend } from '../../client/aviator';
import { PROJECT_CONFIG_FILE } from '../../core/projectConfig';
import type { Logger } from '../log';
import type { WorkspaceRepositories } from '../workspace';
import { PROJECTS_SETTING, ProjectConfigSource } from './configSource';
import { CREATE_PROJECT_CONFIG_COMMAND, registerCreateProjectConfig } from './createConfig';
import { describeError } from '../../core/errors';

export { AVIATOR_SAAS_URL } from '../../client/aviator';
export { ProjectConfigSource, PROJECTS_SETTING } from './configSource';
export { CREATE_PROJECT_CONFIG_COMMAND, type CreateProjectConfigArgs } from './createConfig';

export function createAviatorBackend(options: { baseUrl: string; token: string | undefined; source: ProjectConfigSource }): AviatorBackend {
  return new AviatorBackend({ baseUrl: options.baseUrl, token: options.token, projects: () => options.source.load() });
}

export interface AviatorDeps {
  source: ProjectConfigSource;
  workspace: WorkspaceRepositories;
  log: Logger;
  /** Whether the session talks to Aviator now (`flightdeck.server.kind` is `aviator`). */
  isActive: () => boolean;
  /** The configuration changed: refetch (RefreshController.now). */
  onDidChange: () => void;
}

export function registerAviator(deps: AviatorDeps): vscode.Disposable[] {
  let offered = false;
  let shownProblems = '';
  const check = async (): Promise<void> => {
    if (!deps.isActive()) return;
    const config = await deps.source.load();
    const problems = config.problems.join('\n');
    if (problems && problems !== shownProblems) {
      shownProblems = problems;
      const first = config.problems[0] ?? '';
      const inSetting = first.startsWith('the setting');
      const open = inSetting ? 'Open Settings' : `Open ${PROJECT_CONFIG_FILE}`;
      const more = config.problems.length > 1 ? ` (and ${config.problems.length - 1} more in the log)` : '';
      void vscode.window.showWarningMessage(`Flightdeck: ${first}${more}`, open, 'Show Logs').then((choice) => {
        if (choice === open) {
          void (inSetting
            ? vscode.commands.executeCommand('workbench.action.openSettings', `flightdeck.${PROJECTS_SETTING}`)
            : vscode.commands.executeCommand(CREATE_PROJECT_CONFIG_COMMAND));
        }
        if (choice === 'Show Logs') deps.log.show();
      });
    }
    if (!problems) shownProblems = '';
    if (config.projects.length === 0 && !problems && !offered && vscode.workspace.workspaceFolders?.length) {
      offered = true;
      const create = `Create ${PROJECT_CONFIG_FILE}`;
      const choice = await vscode.window.showInformationMessage(
        `Aviator cannot list release projects: name this repository's project and its environments in ${PROJECT_CONFIG_FILE} (or the setting flightdeck.aviator.projects).`,
        create,
      );
      if (choice === create) await vscode.commands.executeCommand(CREATE_PROJECT_CONFIG_COMMAND);
    }
  };
  const safeCheck = (): void => {
    check().catch((error: unknown) => deps.log.warn(`Aviator project configuration: ${describeError(error)}`));
  };
  safeCheck();
  return [
    registerCreateProjectConfig({ source: deps.source, workspace: deps.workspace }),
    deps.source.onDidChange(() => {
      deps.onDidChange();
      safeCheck();
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('flightdeck.server')) safeCheck();
    }),
  ];
}
