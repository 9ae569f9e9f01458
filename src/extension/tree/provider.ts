// Turns model nodes into tree items: labels, descriptions, themed status icons, markdown tooltips and
// the contextValue that decides which actions the menus offer on each node.
import * as vscode from 'vscode';
import type { Caller, Deployment, Environment } from '../../api/schemas';
import { approvalSummary, awaitsApproval } from '../../core/approvals';
import { formatAge, humanize, shortSha } from '../../core/format';
import { availableActions, candidatePlans, planInProject, type ActionCapabilities, type ActionPlan } from '../../core/actionPlan';
import { isRollbackKind } from '../../core/deploymentStatus';
import { healthLine, summarizeHealth } from '../../core/health';
import { activeRolloutPercent, environmentState, rungAbove, type EnvironmentState } from '../../core/ladder';
import { escapeMarkdown, escapeMarkdownLines, markdownCode } from '../../core/markdown';
import type { CommitCounter } from '../commitCounter';
import { treeAge } from './ages';
import type { DeploymentNode, EnvironmentNode, ProjectNode, ReleaseNode, ReleaseTreeModel } from './model';

/** A row of the view while the server cannot be reached and nothing is cached: the reason, then what to do. */
export interface OfflineRow {
  readonly kind: 'offline';
  readonly id: string;
  readonly label: string;
  readonly icon: string;
  readonly command?: string;
}

const OFFLINE_ACTIONS: readonly OfflineRow[] = [
  { kind: 'offline', id: 'offline/retry', label: 'Retry', icon: 'refresh', command: 'flightdeck.refresh' },
  { kind: 'offline', id: 'offline/connect', label: 'Connect to Server…', icon: 'plug', command: 'flightdeck.connect' },
  { kind: 'offline', id: 'offline/embedded', label: 'Use Embedded Server', icon: 'server-process', command: 'flightdeck.useEmbedded' },
  { kind: 'offline', id: 'offline/logs', label: 'Show Logs', icon: 'output', command: 'flightdeck.showLogs' },
];

/** GitHub cannot be "connected to" elsewhere: the reason is the token, the repository or the rate limit. */
const GITHUB_OFFLINE_ACTIONS: readonly OfflineRow[] = [
  { kind: 'offline', id: 'offline/retry', label: 'Retry', icon: 'refresh', command: 'flightdeck.refresh' },
  { kind: 'offline', id: 'offline/signin', label: 'Sign In with GitHub', icon: 'github', command: 'flightdeck.signIn' },
  { kind: 'offline', id: 'offline/embedded', label: 'Use Embedded Server', icon: 'server-process', command: 'flightdeck.useEmbedded' },
  { kind: 'offline', id: 'offline/logs', label: 'Show Logs', icon: 'output', command: 'flightdeck.showLogs' },
];

export type TreeRow = ReleaseNode | OfflineRow;

export class ReleaseTreeProvider implements vscode.TreeDataProvider<TreeRow>, vscode.Disposable {
  readonly onDidChangeTreeData: vscode.Event<TreeRow | TreeRow[] | undefined>;
  private readonly changeEmitter = new vscode.EventEmitter<TreeRow | TreeRow[] | undefined>();
  private readonly modelSubscription: vscode.Disposable;
  /** Re-renders of the age labels by the ticker (AgeTicker), for the tests. */
  ageRenders = 0;

  /** `from..to` → commits `to` has that `from` lacks; undefined while counting, null when unknown. */
  private readonly ahead = new Map<string, number | null | undefined>();

  constructor(
    private readonly model: ReleaseTreeModel,
    private readonly commits?: CommitCounter,
    private readonly now: () => number = Date.now,
    /** The signed-in caller when known (CallerIdentity.peek): the own request's reject is a withdrawal. */
    private readonly caller: () => Caller | undefined = () => undefined,
  ) {
    this.onDidChangeTreeData = this.changeEmitter.event;
    this.modelSubscription = model.onDidChange((nodes) => this.changeEmitter.fire(nodes));
  }

  /**
   * Relative times ("2m ago") age without new data: re-render the rows that show one (environments and
   * the deployments under them), from the cached data, without fetching.
   */
  renderAges(): void {
    const rows = this.model.nodesShowingAges();
    if (rows.length === 0) return;
    this.ageRenders += 1;
    this.changeEmitter.fire(rows);
  }

  dispose(): void {
    this.modelSubscription.dispose();
    this.changeEmitter.dispose();
  }

  /**
   * How many commits this environment runs that the next rung up does not, from the local repository.
   * Counted in the background the first time it is asked; the node is re-rendered when the count arrives.
   */
  private commitsAhead(node: EnvironmentNode): number | undefined {
    const above = rungAbove(node.project, node.environment.name);
    const from = above?.current?.commit;
    const to = node.environment.current?.commit;
    if (!this.commits || !from || !to || from === to) return undefined;
    const key = `${from}..${to}`;
    if (this.ahead.has(key)) return this.ahead.get(key) ?? undefined;
    this.ahead.set(key, undefined);
    void this.commits.count(from, to).then(
      (counted) => {
        this.ahead.set(key, counted ? counted.added : null);
        if (counted?.added) this.model.touch(node);
      },
      () => this.ahead.set(key, null),
    );
    return undefined;
  }

  getChildren(node?: TreeRow): Promise<TreeRow[]> {
    if (node?.kind === 'offline') return Promise.resolve([]);
    // Nothing to show and the server cannot be reached: say why, and offer what the user can do. (The
    // view's message would hide the welcome view, which cannot show a reason of its own.)
    if (!node && this.model.state === 'offline' && this.model.allProjects.length === 0) {
      if (this.model.backendKind === 'github') {
        const reason: OfflineRow = { kind: 'offline', id: 'offline/reason', label: 'GitHub Deployments cannot be read', icon: 'error' };
        return Promise.resolve([reason, ...GITHUB_OFFLINE_ACTIONS]);
      }
      const reason: OfflineRow = { kind: 'offline', id: 'offline/reason', label: 'The release server cannot be reached', icon: 'error' };
      return Promise.resolve([reason, ...OFFLINE_ACTIONS]);
    }
    return this.model.children(node);
  }

  getParent(node: TreeRow): ReleaseNode | undefined {
    if (node.kind === 'project' || node.kind === 'offline') return undefined;
    const parentId = node.kind === 'environment' ? `project/${node.project.name}` : `environment/${node.project.name}/${node.environment.name}`;
    return this.model.nodeById(parentId);
  }

  getTreeItem(node: TreeRow): vscode.TreeItem {
    switch (node.kind) {
      case 'offline':
        return this.offlineItem(node);
      case 'project':
        return this.projectItem(node);
      case 'environment':
        return this.environmentItem(node);
      case 'deployment':
        return this.deploymentItem(node);
    }
  }

  private offlineItem(row: OfflineRow): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = row.id;
    if (row.command) {
      item.iconPath = new vscode.ThemeIcon(row.icon);
      item.command = { command: row.command, title: row.label };
      return item;
    }
    const reason = this.model.lastError ?? 'no answer';
    item.iconPath = new vscode.ThemeIcon(row.icon, new vscode.ThemeColor('problemsErrorIcon.foreground'));
    item.description = reason;
    item.tooltip = new vscode.MarkdownString(`**${escapeMarkdown(row.label)}**\n\n${escapeMarkdownLines(reason)}`);
    item.accessibilityInformation = { label: `${row.label}: ${reason}` };
    return item;
  }

  private projectItem(node: ProjectNode): vscode.TreeItem {
    const { project } = node;
    const unreadable = project.error !== undefined && project.environments.length === 0;
    const item = new vscode.TreeItem(project.name, unreadable ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    // A client-side backend could not read it (GitHub: unknown repository, no access): say why on the row.
    item.iconPath = project.error !== undefined ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')) : new vscode.ThemeIcon('package');
    // GitHub's projects are their repositories: the name says it already.
    const repoShown = project.repo.toLowerCase() !== project.name.toLowerCase() ? project.repo : '';
    item.description = project.error ?? repoShown;
    item.contextValue = 'flightdeck.project';
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${escapeMarkdown(project.name)}**  \n`);
    tooltip.appendMarkdown(`Repository: ${markdownCode(project.repo)}  \n`);
    if (project.description) tooltip.appendMarkdown(`${escapeMarkdown(project.description)}  \n`);
    if (project.error !== undefined) tooltip.appendMarkdown(`${escapeMarkdownLines(project.error)}  \n`);
    tooltip.appendMarkdown(`${project.environments.length} environments`);
    item.tooltip = tooltip;
    return item;
  }

  private environmentItem(node: EnvironmentNode): vscode.TreeItem {
    const env = node.environment;
    if (env.error) return unavailableEnvironmentItem(node, env.error);
    const item = new vscode.TreeItem(env.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    const state = environmentState(env);
    item.iconPath = env.active && awaitsApproval(env.active) ? AWAITING_ICON : env.current?.candidate_blocked && !env.active ? BLOCKED_ICON : stateIcon(state, env);
    const ahead = this.commitsAhead(node);
    const health = summarizeHealth(env, this.now());
    // Failing checks show before the rollback they lead to: a warning icon and the count in the row.
    if (health.tone === 'failing' && state !== 'failed') item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    // `+N`: commits this rung runs that the next rung up does not yet (the tooltip says so in words).
    const description = environmentDescription(env, this.now()) + (ahead ? ` · +${ahead}` : '');
    // The failing count right after the candidate: the narrow sidebar cuts the end of a description.
    item.description = health.tone === 'failing'
      ? description.replace(/^([^·]+?)( · |$)/, `$1 · failing ${health.failures}/${health.threshold}$2`)
      : description;
    item.tooltip = environmentTooltip(node, state, this.now());
    const above = rungAbove(node.project, env.name);
    if (ahead && above) item.tooltip.appendMarkdown(`$(git-commit) ${ahead === 1 ? '1 commit' : `${ahead} commits`} ahead of ${escapeMarkdown(above.name)}\n\n`);
    item.contextValue = environmentContext(node, this.model.capabilities, this.caller());
    item.command = { command: 'flightdeck.openStage', title: 'Open Stage', arguments: [{ project: node.project.name, environment: env.name }] };
    item.accessibilityInformation = { label: `${env.name}: ${item.description || 'nothing deployed'}` };
    return item;
  }

  private deploymentItem(node: DeploymentNode): vscode.TreeItem {
    const d = node.deployment;
    const item = new vscode.TreeItem(d.release_candidate_version, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    // The time first: the narrow default sidebar cuts the end of a description. The icon shows the status,
    // so a success is not spelled out.
    const status = d.status === 'success' ? '' : ` · ${d.status.replace('_', ' ')}`;
    item.description = `${treeAge(d.deploy_start_at, this.now())} · ${d.kind.replace('_', ' ')}${status} · ${d.actor}`;
    item.iconPath = d.candidate_blocked ? BLOCKED_ICON : deploymentIcon(d);
    item.tooltip = deploymentTooltip(d, this.now());
    const candidate = candidatePlans({ candidate: d.release_candidate_version, blocked: d.candidate_blocked }, this.model.capabilities);
    item.contextValue = ['flightdeck.deployment', ...(['block', 'unblock'] as const).filter((a) => candidate[a].available).map((a) => `can-${a}`)].join(' ');
    return item;
  }
}

/** An environment the backend could not answer for (Aviator: unknown project or environment): its message, no actions. */
function unavailableEnvironmentItem(node: EnvironmentNode, error: string): vscode.TreeItem {
  const env = node.environment;
  const item = new vscode.TreeItem(env.name, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  item.description = error;
  const md = new vscode.MarkdownString('', true);
  md.appendMarkdown(`**${escapeMarkdown(node.project.name)} / ${escapeMarkdown(env.name)}** — ${escapeMarkdown(env.strategy)}, ${escapeMarkdown(env.tier)}\n\n$(warning) ${escapeMarkdownLines(error)}`);
  item.tooltip = md;
  item.contextValue = 'flightdeck.unavailable';
  item.accessibilityInformation = { label: `${env.name}: ${error}` };
  return item;
}

/** `1.4.0-rc2 · 2h ago`; while deploying, what moves where comes first (the sidebar is narrow). */
function environmentDescription(env: Environment, now: number): string {
  const current = env.current?.release_candidate_version;
  // What waits first, then for what: the narrow sidebar cuts the end of a description.
  if (env.active && awaitsApproval(env.active)) return `${approvalSummary(env.active)} · ${current ?? 'nothing'} → ${env.active.release_candidate_version}`;
  if (env.active) {
    const percent = activeRolloutPercent(env);
    const progress = percent !== undefined ? `${percent}%` : env.active.status.replace('_', ' ');
    return `${current ?? 'nothing'} → ${env.active.release_candidate_version} · ${progress}${env.active.rollout?.paused ? ' · paused' : ''}`;
  }
  if (!env.current) return env.frozen ? 'nothing deployed · frozen' : 'nothing deployed';
  const age = treeAge(env.current.deploy_end_at ?? env.current.deploy_start_at, now);
  return `${current} · ${age}${env.current.candidate_blocked ? ' · blocked' : ''}${env.frozen ? ' · frozen' : ''}`;
}

/** A deployment waiting for people, not for the machine: its own icon, apart from a pending report's clock. */
const AWAITING_ICON = new vscode.ThemeIcon('watch', new vscode.ThemeColor('charts.yellow'));
/** A blocked candidate (nothing may carry it further): the same icon wherever it is shown. */
const BLOCKED_ICON = new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('problemsErrorIcon.foreground'));

/**
 * The flags package.json's menus match: one `can-<action>` per action the plan allows (core/actionPlan,
 * the rule the palette and the stage panel follow too), then state words (frozen, deployed, rolling). The
 * tree does not know the token's role: the server decides, and the command says why when it refuses.
 */
function environmentContext(node: EnvironmentNode, capabilities: ActionCapabilities, caller: Caller | undefined): string {
  const env = node.environment;
  const plan = planInProject(node.project, env, { capabilities, role: 'unknown', caller });
  const flags = ['flightdeck.environment', ...availableActions(plan).map((action) => `can-${contextAction(action, plan)}`)];
  flags.push(env.frozen ? 'frozen' : 'unfrozen');
  if (env.current) flags.push('deployed');
  if (env.active?.rollout) flags.push(env.active.rollout.paused ? 'paused' : 'rolling');
  return flags.join(' ');
}

/** A reject of the caller's own request is offered as Withdraw (its own menu entry). */
function contextAction(action: ReturnType<typeof availableActions>[number], plan: ActionPlan): string {
  return action === 'reject' && plan.reject.available && plan.reject.withdraw ? 'withdraw' : action;
}

function stateIcon(state: EnvironmentState, env: Environment): vscode.ThemeIcon {
  if (env.frozen && state !== 'deploying') return new vscode.ThemeIcon('lock', new vscode.ThemeColor('charts.blue'));
  switch (state) {
    case 'deploying':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
    case 'paused':
      return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.yellow'));
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'rolled_back':
      return new vscode.ThemeIcon('discard', new vscode.ThemeColor('charts.orange'));
    case 'live':
      return env.protected ? new vscode.ThemeIcon('shield', new vscode.ThemeColor('testing.iconPassed')) : new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'empty':
      return new vscode.ThemeIcon('circle-large-outline', new vscode.ThemeColor('disabledForeground'));
  }
}

function deploymentIcon(d: Deployment): vscode.ThemeIcon {
  switch (d.status) {
    case 'success':
      return new vscode.ThemeIcon(isRollbackKind(d) ? 'discard' : 'pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'failure':
    case 'error':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'canceled':
    case 'canceling':
      return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
    case 'pending':
      return new vscode.ThemeIcon('clock');
    case 'in_progress':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
    case 'unknown':
      return new vscode.ThemeIcon('question');
  }
}

function environmentTooltip(node: EnvironmentNode, state: EnvironmentState, now: number): vscode.MarkdownString {
  const env = node.environment;
  const md = new vscode.MarkdownString('', true);
  md.appendMarkdown(`**${escapeMarkdown(node.project.name)} / ${escapeMarkdown(env.name)}** — ${escapeMarkdown(env.strategy)}, ${escapeMarkdown(env.tier)}`);
  if (env.frozen) md.appendMarkdown(' · $(lock) frozen');
  if (env.protected) md.appendMarkdown(' · $(shield) protected');
  md.appendMarkdown('\n\n');
  if (env.current) md.appendMarkdown(deploymentLines(env.current, now, 'Live'));
  else md.appendMarkdown('Nothing deployed yet.\n\n');
  if (env.active) md.appendMarkdown(deploymentLines(env.active, now, awaitsApproval(env.active) ? 'Awaiting approval' : 'Deploying'));
  const health = summarizeHealth(env, now);
  if (health.tone !== 'none') {
    const icon = health.tone === 'failing' ? '$(error)' : health.tone === 'healthy' ? '$(pass)' : '$(pulse)';
    // healthLine is our own wording (counts and an age); the check's error is the server's text.
    md.appendMarkdown(`${icon} ${healthLine(health)}${health.error ? `  \n${escapeMarkdownLines(health.error)}` : ''}\n\n`);
  }
  if (state === 'failed') md.appendMarkdown('The newest deployment failed.\n\n');
  return md;
}

function deploymentTooltip(d: Deployment, now: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', true);
  md.appendMarkdown(deploymentLines(d, now, `${escapeMarkdown(humanize(d.kind))} #${escapeMarkdown(d.id)}`));
  return md;
}

function deploymentLines(d: Deployment, now: number, title: string): string {
  const lines = [
    `**${title}:** ${markdownCode(d.release_candidate_version)} (${escapeMarkdown(humanize(d.status))})`,
    `Commit: ${markdownCode(shortSha(d.commit, 12))}`,
    `From: ${d.from_release_candidate_version ? markdownCode(d.from_release_candidate_version) : 'nothing'} → ${markdownCode(d.release_candidate_version)}`,
    `By ${escapeMarkdown(d.actor)}, ${formatAge(d.deploy_start_at, now)} (${escapeMarkdown(new Date(d.deploy_start_at).toLocaleString())})`,
  ];
  if (d.rollout) lines.push(`Rollout: step ${d.rollout.step + 1} of ${d.rollout.steps.length}, ${d.rollout.percent}%${d.rollout.paused ? ', paused' : ''}`);
  if (d.error_message) lines.push(`$(error) ${escapeMarkdownLines(d.error_message)}`);
  if (d.approval && awaitsApproval(d)) {
    lines.push(`$(watch) ${escapeMarkdown(approvalSummary(d))} · expires ${escapeMarkdown(new Date(d.approval.expires_at).toLocaleString())}`);
    for (const vote of d.approval.approvals) lines.push(`$(check) approved by ${escapeMarkdown(vote.actor)}${vote.comment ? `: ${escapeMarkdown(vote.comment)}` : ''}`);
  }
  if (d.candidate_blocked) {
    lines.push(`$(circle-slash) ${markdownCode(d.release_candidate_version)} is blocked by ${escapeMarkdown(d.candidate_blocked.actor)}: ${escapeMarkdownLines(d.candidate_blocked.reason)}`);
  }
  return lines.join('  \n') + '\n\n';
}
