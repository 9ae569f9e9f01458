// The Promote… quick pick from the palette: only the environments a promote can go into now (core's
// promoteChoices, which asks the action plan), each with from → to and where the candidate comes from.
import * as vscode from 'vscode';
import { promoteChoices } from '../core/promotion';
import { pickProject, type EnvironmentTarget } from './targets';
import type { ReleaseTreeModel } from './tree/model';

/** The rows of the last Promote… pick, as shown ("canary  1.4.0-rc2 → 1.5.0-rc1"): read by the VS Code tests. */
export const lastPromotePick: { rows: string[] } = { rows: [] };

export async function pickPromoteTarget(model: ReleaseTreeModel, title: string): Promise<EnvironmentTarget | undefined> {
  await model.refresh();
  const project = await pickProject(model, title, '1/2');
  if (!project) return undefined;
  // The same plan as the tree's menus: the model's backend capabilities; the role is the server's to check.
  const choices = promoteChoices(project, { capabilities: model.capabilities, role: 'unknown' });
  if (choices.length === 0) {
    void vscode.window.showInformationMessage(`Nothing to promote in ${project.name}: every environment runs what the one below it runs, or is frozen or deploying.`);
    return undefined;
  }
  const items = choices.map((choice) => ({
    label: choice.environment.name,
    description: `${choice.from ?? 'nothing'} → ${choice.to}`,
    detail: [`from ${choice.source.name}`, choice.environment.strategy, choice.environment.tier, choice.environment.protected ? 'protected' : ''].filter(Boolean).join(' · '),
    choice,
  }));
  lastPromotePick.rows = items.map((i) => `${i.label}  ${i.description}`);
  const picked = await vscode.window.showQuickPick(items, {
    title: `${title} (2/2)`, placeHolder: `Environment of ${project.name} to promote into`, matchOnDescription: true, ignoreFocusOut: true,
  });
  return picked ? { project, environment: picked.choice.environment } : undefined;
}
