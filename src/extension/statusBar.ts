// The status bar item for the workspace's project: `$(rocket) production 1.4.0-rc2 · canary 1.5.0-rc1`,
// spinning while a deployment is active; clicking it lists the project's environments.
import * as vscode from 'vscode';
import type { Project } from '../api/schemas';
import { formatAge, humanize } from '../core/format';
import { environmentAlarm, healthLine, summarizeHealth } from '../core/health';
import { ladder } from '../core/ladder';
import { escapeMarkdown, markdownCode, withoutThemeIcons } from '../core/markdown';
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
    this.item.text = alarm
      ? `$(warning) ${withoutThemeIcons(alarm.environment)} ${alarm.alarm === 'rolling_back' ? 'rolling back' : 'failing'} · ${statusText(project).replace(/^\$\([^)]*\) /, '')}`
      : statusText(project);
    // Theme colours, so every theme (and high contrast) picks a readable pair.
    this.item.backgroundColor = alarm ? new vscode.ThemeColor(alarm.alarm === 'rolling_back' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground') : undefined;
    this.item.color = alarm ? new vscode.ThemeColor(alarm.alarm === 'rolling_back' ? 'statusBarItem.errorForeground' : 'statusBarItem.warningForeground') : undefined;
    this.item.tooltip = statusTooltip(project);
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

/** The project's rungs, one line each: what runs there, what is on its way, and an alarm. */
export function statusTooltip(project: Project, now: number = Date.now()): vscode.MarkdownString {
  const md = new vscode.MarkdownString(`**${escapeMarkdown(project.name)}**\n\n`, true);
  for (const env of ladder(project)) {
    const current = env.current ? `${markdownCode(env.current.release_candidate_version)} ${formatAge(env.current.deploy_start_at, now)}` : 'nothing deployed';
    const progress = env.active?.rollout ? `${env.active.rollout.percent}%` : escapeMarkdown(humanize(env.active?.status ?? ''));
    const active = env.active ? ` → ${markdownCode(env.active.release_candidate_version)} ${progress}` : '';
    const health = summarizeHealth(env, now);
    const alarm = environmentAlarm(env) === 'rolling_back' ? ' · $(warning) rolling back'
      : health.tone === 'failing' ? ` · $(warning) ${healthLine(health)}` : ''; // our own wording
    md.appendMarkdown(`- ${escapeMarkdown(env.name)}: ${current}${active}${alarm}\n`);
  }
  return md;
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
  return `${spinning ? '$(sync~spin)' : '$(rocket)'} ${withoutThemeIcons(parts.join(' · '))}`;
}
