// The Approvals view: every deployment waiting for approval, across projects, oldest first, from the
// connected backend's listApprovals (a Flightdeck server's inbox, or another backend's own). Its badge
// counts the ones the signed-in caller may approve (core/approvals: not their own request, and an admin
// for a protected environment). It refetches whenever the tree's overview does, so events and polling
// reach it by the one refresh policy (core/freshness through RefreshController).
import * as vscode from 'vscode';
import type { Caller, Deployment, Environment } from '../../api/schemas';
import { describeError } from '../../client/errors';
import { approvalPlans, type ActionPlan } from '../../core/actionPlan';
import { approvalSummary } from '../../core/approvals';
import { formatAge } from '../../core/format';
import { escapeMarkdown, markdownCode } from '../../core/markdown';
import type { CallerIdentity } from '../caller';
import type { SessionManager } from '../session';
import type { ReleaseTreeModel } from '../tree/model';
import { coalesced } from '../coalesce';

export const APPROVALS_VIEW_ID = 'flightdeck.approvals';

/** One row of the view: a deployment awaiting approval, with what the caller may do about it. */
export interface ApprovalNode {
  readonly kind: 'approval';
  readonly id: string;
  deployment: Deployment;
  /** Whether the environment is protected, as the tree's overview last said (false when unknown). */
  protectedEnvironment: boolean;
  plan: Pick<ActionPlan, 'approve' | 'reject'>;
}

/** A row that says why the list is empty or cannot be shown. */
interface MessageRow {
  readonly kind: 'message';
  readonly id: string;
  readonly label: string;
}

type ApprovalRow = ApprovalNode | MessageRow;

export class ApprovalsView implements vscode.TreeDataProvider<ApprovalRow>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly view: vscode.TreeView<ApprovalRow>;
  private readonly coalescedFetch = coalesced(() => this.fetch());
  /** The last list, oldest first; undefined before the first answer. */
  nodes: ApprovalNode[] | undefined;
  error: string | undefined;
  /** Why this backend has no approvals at all, when it has none. */
  unsupported: string | undefined;
  caller: Caller | undefined;
  /** How many the signed-in caller may approve (the badge); for the tests. */
  waitingForCaller = 0;
  /** Completed fetches, for the tests (wait for a positive marker, never by the clock). */
  fetches = 0;

  constructor(
    private readonly sessions: SessionManager,
    private readonly model: ReleaseTreeModel,
    private readonly identity: CallerIdentity,
  ) {
    this.view = vscode.window.createTreeView(APPROVALS_VIEW_ID, { treeDataProvider: this });
    this.disposables.push(
      this.view,
      this.changeEmitter,
      // Every overview fetch (an event, a poll, an action) is a moment the inbox may have changed.
      model.onDidChangeState(() => void this.refresh()),
      sessions.onDidChangeSession(() => {
        this.nodes = undefined;
        this.caller = undefined;
        this.render();
      }),
    );
  }

  /** Fetches the inbox; concurrent calls coalesce into at most one more fetch. */
  refresh(): Promise<void> {
    return this.coalescedFetch();
  }

  private async fetch(): Promise<void> {
    try {
      const session = await this.sessions.get();
      const [waiting, caller] = await Promise.all([session.backend.listApprovals(), this.identity.of(session)]);
      this.caller = caller;
      this.error = undefined;
      const capabilities = session.backend.capabilities;
      // A backend without approvals (Aviator) says so in its own words rather than "nothing waits".
      this.unsupported = capabilities.approvals ? undefined
        : ('reasons' in capabilities ? (capabilities.reasons as { approvals?: string }).approvals : undefined) ?? 'This server does not ask for approvals.';
      this.nodes = waiting.map((deployment) => {
        const protectedEnvironment = this.environmentOf(deployment)?.protected ?? false;
        return {
          kind: 'approval', id: `approval/${deployment.project}/${deployment.id}`, deployment, protectedEnvironment,
          plan: approvalPlans(deployment, { protected: protectedEnvironment }, capabilities, caller),
        };
      });
    } catch (error) {
      this.error = describeError(error);
    }
    this.fetches += 1;
    this.render();
  }

  private environmentOf(deployment: Deployment): Environment | undefined {
    return this.model.findProject(deployment.project)?.environments.find((e) => e.name === deployment.environment_name);
  }

  private render(): void {
    // Without a known caller nobody can say which are the caller's to approve: the badge stays off
    // rather than counting the caller's own requests.
    this.waitingForCaller = this.caller ? (this.nodes ?? []).filter((n) => n.plan.approve.available).length : 0;
    this.view.badge = this.waitingForCaller > 0
      ? { value: this.waitingForCaller, tooltip: `${this.waitingForCaller === 1 ? '1 deployment waits' : `${this.waitingForCaller} deployments wait`} for your approval` }
      : undefined;
    this.view.description = this.nodes && this.nodes.length > 0 ? `${this.nodes.length} waiting` : '';
    this.changeEmitter.fire(undefined);
  }

  /** The row of a deployment, for commands that receive only its id. */
  find(project: string, deploymentId: string): ApprovalNode | undefined {
    return this.nodes?.find((n) => n.deployment.project === project && n.deployment.id === deploymentId);
  }

  getChildren(row?: ApprovalRow): ApprovalRow[] {
    if (row) return [];
    if (this.error && !this.nodes) return [{ kind: 'message', id: 'approvals/error', label: `Cannot list approvals: ${this.error}` }];
    if (!this.nodes) return [];
    if (this.nodes.length === 0) return [{ kind: 'message', id: 'approvals/none', label: this.unsupported ?? 'No deployment is waiting for approval.' }];
    return this.nodes;
  }

  getTreeItem(row: ApprovalRow): vscode.TreeItem {
    if (row.kind === 'message') {
      const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
      item.id = row.id;
      item.iconPath = new vscode.ThemeIcon(row.id === 'approvals/error' ? 'error' : this.unsupported ? 'info' : 'check-all');
      item.tooltip = row.label;
      return item;
    }
    return approvalItem(row, this.caller, Date.now());
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function approvalItem(node: ApprovalNode, caller: Caller | undefined, now: number): vscode.TreeItem {
  const d = node.deployment;
  const item = new vscode.TreeItem(`${d.project} / ${d.environment_name}`, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  const mine = caller?.name === d.actor;
  item.iconPath = new vscode.ThemeIcon(mine ? 'account' : 'shield', new vscode.ThemeColor(node.plan.approve.available ? 'charts.yellow' : 'disabledForeground'));
  const from = d.from_release_candidate_version ?? 'nothing';
  // The candidate and who asks first (the sidebar is narrow); from → to and the approvals are in the tooltip.
  item.description = `${d.release_candidate_version} · by ${d.actor} · ${formatAge(d.deploy_start_at, now)}`;
  const md = new vscode.MarkdownString('', true);
  md.appendMarkdown(`**${escapeMarkdown(d.project)} / ${escapeMarkdown(d.environment_name)}**: ${from === 'nothing' ? 'nothing' : markdownCode(from)} → ${markdownCode(d.release_candidate_version)}\n\n`);
  md.appendMarkdown(`$(shield) ${escapeMarkdown(approvalSummary(d))}`);
  if (d.approval) md.appendMarkdown(` · expires ${escapeMarkdown(new Date(d.approval.expires_at).toLocaleString())}`);
  md.appendMarkdown('\n\n');
  for (const vote of d.approval?.approvals ?? []) {
    md.appendMarkdown(`$(check) approved by ${escapeMarkdown(vote.actor)}${vote.comment ? `: ${escapeMarkdown(vote.comment)}` : ''}  \n`);
  }
  if (!node.plan.approve.available) md.appendMarkdown(`\n$(info) ${escapeMarkdown(node.plan.approve.reason)}\n`);
  if (d.candidate_blocked) md.appendMarkdown(`\n$(circle-slash) ${markdownCode(d.release_candidate_version)} is blocked: ${escapeMarkdown(d.candidate_blocked.reason)}\n`);
  item.tooltip = md;
  // The menus' flags, as the tree's: one per action the plan allows (a withdrawal is the actor's reject).
  const flags = ['flightdeck.approval'];
  if (node.plan.approve.available) flags.push('can-approve');
  if (node.plan.reject.available) flags.push(node.plan.reject.withdraw ? 'can-withdraw' : 'can-reject');
  item.contextValue = flags.join(' ');
  item.command = { command: 'flightdeck.openStage', title: 'Open Stage', arguments: [{ project: d.project, environment: d.environment_name }] };
  item.accessibilityInformation = { label: `${d.project} ${d.environment_name}: ${from} to ${d.release_candidate_version}, ${approvalSummary(d)}` };
  return item;
}
