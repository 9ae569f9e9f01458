// Resolves what a command acts on: a tree node, a programmatic `{ project, environment }`, or, from the
// palette, a multi-step quick pick whose items show each environment's current state.
import * as vscode from 'vscode';
import type { Environment, Project } from '../api/schemas';
import { formatAge } from '../core/format';
import { ladder } from '../core/ladder';
import type { ReleaseTreeModel } from './tree/model';

export interface EnvironmentTarget {
  project: Project;
  environment: Environment;
}

/** Arguments a command accepts from code (tests, the stage panel, hover links). */
export interface EnvironmentArgs {
  project: string;
  environment: string;
}

export function isEnvironmentArgs(value: unknown): value is EnvironmentArgs {
  return typeof value === 'object' && value !== null
    && typeof (value as { project?: unknown }).project === 'string'
    && typeof (value as { environment?: unknown }).environment === 'string';
}

function isEnvironmentNode(value: unknown): value is { kind: 'environment'; project: Project; environment: Environment } {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'environment';
}

/** The freshest data the model has for that environment, after a refresh. */
export async function resolveEnvironment(model: ReleaseTreeModel, arg: unknown, title: string): Promise<EnvironmentTarget | undefined> {
  await model.refresh();
  if (isEnvironmentNode(arg)) return lookup(model, arg.project.name, arg.environment.name);
  if (isEnvironmentArgs(arg)) {
    const found = lookup(model, arg.project, arg.environment);
    if (!found) throw new Error(`There is no environment ${arg.environment} in project ${arg.project} on this server.`);
    return found;
  }
  return pickEnvironment(model, title);
}

function lookup(model: ReleaseTreeModel, projectName: string, environmentName: string): EnvironmentTarget | undefined {
  const project = model.findProject(projectName);
  const environment = project?.environments.find((e) => e.name === environmentName);
  return project && environment ? { project, environment } : undefined;
}

export async function pickProject(model: ReleaseTreeModel, title: string, step?: string): Promise<Project | undefined> {
  const projects = model.allProjects;
  if (projects.length === 0) {
    void vscode.window.showInformationMessage('The release server has no projects yet.');
    return undefined;
  }
  if (projects.length === 1) return projects[0];
  const picked = await vscode.window.showQuickPick(
    projects.map((p) => ({ label: p.name, description: p.repo, detail: ladder(p).map((e) => `${e.name} ${e.current?.release_candidate_version ?? '—'}`).join(' · '), project: p })),
    { title: step ? `${title} (${step})` : title, placeHolder: 'Project', matchOnDescription: true, ignoreFocusOut: true },
  );
  return picked?.project;
}

export async function pickEnvironment(model: ReleaseTreeModel, title: string): Promise<EnvironmentTarget | undefined> {
  const project = await pickProject(model, title, '1/2');
  return project ? pickEnvironmentIn(project, title, '2/2') : undefined;
}

/** The environment step of a multi-step pick: the ladder, each rung with what runs there now. */
export async function pickEnvironmentIn(project: Project, title: string, step: string): Promise<EnvironmentTarget | undefined> {
  const now = Date.now();
  const picked = await vscode.window.showQuickPick(
    ladder(project).map((e) => ({
      label: e.name,
      description: e.current ? `${e.current.release_candidate_version} · ${formatAge(e.current.deploy_start_at, now)}` : 'nothing deployed',
      detail: [e.strategy, e.tier, e.frozen ? 'frozen' : '', e.protected ? 'protected' : '', e.active ? `deploying ${e.active.release_candidate_version}` : ''].filter(Boolean).join(' · '),
      environment: e,
    })),
    { title: `${title} (${step})`, placeHolder: `Environment in ${project.name}`, ignoreFocusOut: true },
  );
  return picked ? { project, environment: picked.environment } : undefined;
}
