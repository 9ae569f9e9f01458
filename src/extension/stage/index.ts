// The stage panel's entry point for the composition root: the `flightdeck.openStage` command and the
// serializer that brings panels back after a window reload.
import * as vscode from 'vscode';
import { STAGE_VIEW_TYPE, type StageIdentity } from '../../api/protocol';
import type { Logger } from '../log';
import type { SessionManager } from '../session';
import { isEnvironmentArgs, pickEnvironment } from '../targets';
import type { ReleaseTreeModel } from '../tree/model';
import { StagePanelManager } from './manager';
import type { RepositoryProvider } from './snapshot';

export { StagePanelManager } from './manager';
export type { StagePanelProbe } from './panel';
export type { CommitSource, RepositoryProvider } from './snapshot';

export interface StageDeps {
  context: vscode.ExtensionContext;
  sessions: SessionManager;
  model: ReleaseTreeModel;
  log: Logger;
  /** The workspace's git repositories; with none (no folder, or an untrusted one) the panel shows no commit lists. */
  repositories: RepositoryProvider;
}

export type StageRegistration = vscode.Disposable[] & { manager: StagePanelManager };

export function registerStage(deps: StageDeps): StageRegistration {
  const manager = new StagePanelManager({
    extensionUri: deps.context.extensionUri,
    sessions: deps.sessions,
    log: deps.log,
    repositories: deps.repositories,
  });
  const disposables: vscode.Disposable[] = [
    manager,
    vscode.commands.registerCommand('flightdeck.openStage', async (arg?: unknown) => {
      const identity = await resolveStage(deps.model, arg);
      if (!identity) return undefined;
      manager.open(identity);
      return identity;
    }),
    vscode.window.registerWebviewPanelSerializer(STAGE_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state: unknown) => {
        manager.restore(panel, state);
        return Promise.resolve();
      },
    }),
  ];
  return Object.assign(disposables, { manager });
}

/** `{project, environment}` (code, hover links), a tree node, or — from the palette — a quick pick. */
async function resolveStage(model: ReleaseTreeModel, arg: unknown): Promise<StageIdentity | undefined> {
  const first = Array.isArray(arg) ? (arg as unknown[])[0] : arg;
  if (isEnvironmentArgs(first)) return { project: first.project, environment: first.environment };
  if (isNodeWithEnvironment(first)) return { project: first.project.name, environment: first.environment.name };
  if (model.allProjects.length === 0) await model.refresh();
  const picked = await pickEnvironment(model, 'Flightdeck: Open Stage');
  return picked ? { project: picked.project.name, environment: picked.environment.name } : undefined;
}

/** A tree node of an environment, or of a deployment (its environment's stage). */
function isNodeWithEnvironment(value: unknown): value is { project: { name: string }; environment: { name: string } } {
  if (typeof value !== 'object' || value === null) return false;
  const node = value as { kind?: unknown; project?: { name?: unknown }; environment?: { name?: unknown } };
  return (node.kind === 'environment' || node.kind === 'deployment')
    && typeof node.project?.name === 'string' && typeof node.environment?.name === 'string';
}
