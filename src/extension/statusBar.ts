// The status bar item for the workspace's project: `$(rocket) production 1.4.0-rc2 · canary 1.5.0-rc1`,
// spinning while a deployment is active; clicking it lists the project's environments.
import * as vscode from 'vscode';
import type { Project } from '../api/schemas';
import { formatAge } from '../core/format';
import { environmentAlarm, healthLine, summarizeHealth } from '../core/health';
import { ladder } from '../core/ladder';
import type { ReleaseTreeModel } from './tree/model';
import type { WorkspaceRepositories } from './workspace';

export class ReleaseStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('flightdeck.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private project: Project | undefined;
  /** What the item warns about now (read by the tests); undefined when all is well. */
  alarm: 'rolling_back' | 'failing' | undefined;

  constructor(private readonly model: ReleaseTreeModel, private readonly workspace: WorkspaceRepositories) {
    this.item.name = 'Flightdeck';
    this.item.command = 'flightdeck.statusBarPick';
    this.disposables.push(
      this.item,
      model.onDidChange(() => void this.update()),
      model.onDidChangeState(() => void this.update()),
      vscode.window.onDidChangeActiveTextEditor(() => void this.update()),
      vscode.commands.registerCommand('flightdeck.statusBarPick', () => this.pick()),
    );
  }

  async update(): Promise<void> {
    const projects = this.model.allProjects;
    if (projects.length === 0) {
      this.item.hide();
      return;
    }
    const matched = await this.workspace.projectsFor(projects, vscode.window.activeTextEditor?.document.uri);
    const project = matched[0];
    this.project = project;
    if (!project) {
      this.item.hide();
      return;
    }
    const alarm = projectAlarm(project);
    this.alarm = alarm?.alarm;
    this.item.text = alarm ? `$(warning) ${alarm.environment} ${alarm.alarm === 'rolling_back' ? 'rolling back' : 'failing'} · ${statusText(project).replace(/^\$\([^)]*\) /, '')}` : statusText(project);
    // Theme colours, so every theme (and high contrast) picks a readable pair.
    this.item.backgroundColor = alarm ? new vscode.ThemeColor(alarm.alarm === 'rolling_back' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground') : undefined;
    this.item.color = alarm ? new vscode.ThemeColor(alarm.alarm === 'rolling_back' ? 'statusBarItem.errorForeground' : 'statusBarItem.warningForeground') : undefined;
    const md = new vscode.MarkdownString(`**${project.name}**\n\n`, true);
    const now = Date.now();
    for (const env of ladder(project)) {
      md.appendMarkdown(`- ${env.name}: ${env.current ? `\`${env.current.release_candidate_version}\` ${formatAge(env.current.deploy_start_at)}` : 'nothing deployed'}${env.active ? ` → \`${env.active.release_candidate_version}\` ${env.active.rollout ? `${env.active.rollout.percent}%` : env.active.status}` : ''}`);
      const health = summarizeHealth(env, now);
      const envAlarm = environmentAlarm(env);
      if (envAlarm === 'rolling_back') md.appendMarkdown(' · $(warning) rolling back');
      else if (health.tone === 'failing') md.appendMarkdown(` · $(warning) ${healthLine(health)}`);
      md.appendMarkdown('\n');
    }
    this.item.tooltip = md;
    this.item.show();
  }

  private async pick(): Promise<void> {
    const project = this.project;
    if (!project) return;
    const picked = await vscode.window.showQuickPick(
      ladder(project).map((e) => ({
        label: e.name,
        description: e.current?.release_candidate_version ?? 'nothing deployed',
        detail: e.active ? `deploying ${e.active.release_candidate_version}${e.active.rollout ? ` at ${e.active.rollout.percent}%` : ''}` : '',
        environment: e.name,
      })),
      { title: `Flightdeck: ${project.name}`, placeHolder: 'Open the stage of an environment' },
    );
    if (picked) await vscode.commands.executeCommand('flightdeck.openStage', { project: project.name, environment: picked.environment });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The most alarming environment of the project: a rollback under way beats failing health checks. */
export function projectAlarm(project: Project): { environment: string; alarm: 'rolling_back' | 'failing' } | undefined {
  let found: { environment: string; alarm: 'rolling_back' | 'failing' } | undefined;
  for (const env of [...ladder(project)].reverse()) {
    const alarm = environmentAlarm(env);
    if (alarm === 'rolling_back') return { environment: env.name, alarm };
    if (alarm && !found) found = { environment: env.name, alarm };
  }
  return found;
}

/** The top rung, and the highest rung running something else (what comes next). */
export function statusText(project: Project): string {
  const rungs = ladder(project);
  const top = rungs[rungs.length - 1];
  const spinning = rungs.some((e) => e.active);
  const parts: string[] = [];
  if (top) parts.push(`${top.name} ${top.current?.release_candidate_version ?? '—'}`);
  const next = [...rungs].reverse().find((e) => e !== top && e.current && e.current.release_candidate_version !== top?.current?.release_candidate_version);
  if (next?.current) parts.push(`${next.name} ${next.current.release_candidate_version}`);
  return `${spinning ? '$(sync~spin)' : '$(rocket)'} ${parts.join(' · ')}`;
}
