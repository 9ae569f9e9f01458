// Approval notifications, from live events only (the stream starts after the newest event, so nothing
// from the history is announced): a deployment starts waiting for an approval the signed-in caller may
// give (core/approvals decides; once per request, with Approve / Open Stage), and a request of the
// caller's is approved (it starts) or rejected or expires. Each kind has its setting
// (flightdeck.notifications.approvalRequests / approvalDecisions, read through config.ts).
import * as vscode from 'vscode';
import type { Caller, Deployment, ReleaseEvent } from '../../api/schemas';
import { APPROVAL_EXPIRED, approvalRefusal, awaitsApproval } from '../../core/approvals';
import { isTerminal } from '../../core/deploymentStatus';
import { readApprovalNotificationSettings } from '../config';
import type { CallerIdentity } from '../caller';
import type { Logger } from '../log';
import type { SessionManager } from '../session';
import type { ReleaseTreeModel } from '../tree/model';

export type ApprovalNoticeKind = 'request' | 'approved' | 'rejected' | 'expired';

/** What the VS Code tests read: every approval notification shown, oldest first (bounded). */
export interface ShownApprovalNotice {
  kind: ApprovalNoticeKind;
  message: string;
  project: string;
  environment: string;
  deploymentId: string;
}

const MAX_SHOWN = 50;

export class ApprovalNotifier implements vscode.Disposable {
  /** `kind:project/id` of what was announced, so each request and each decision is said once. */
  private readonly announced = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  readonly shown: ShownApprovalNotice[] = [];

  constructor(
    private readonly sessions: SessionManager,
    private readonly model: ReleaseTreeModel,
    private readonly identity: CallerIdentity,
    private readonly log: Logger,
  ) {
    this.disposables.push(
      sessions.onDidReceiveEvent((event) => void this.onEvent(event)),
      sessions.onDidChangeSession(() => this.announced.clear()),
    );
  }

  private async onEvent(event: ReleaseEvent): Promise<void> {
    const deployment = event.data.deployment;
    if (!deployment?.approval) return;
    const session = this.sessions.peek();
    if (!session) return;
    const caller = await this.identity.of(session);
    if (!caller) return;
    const kind = noticeKind(deployment, caller, this.model);
    if (!kind) return;
    const key = `${kind}:${deployment.project}/${deployment.id}`;
    if (this.announced.has(key)) return;
    this.announced.add(key);
    const settings = readApprovalNotificationSettings();
    if (kind === 'request' ? !settings.requests : !settings.decisions) return;
    this.show(kind, deployment);
  }

  private show(kind: ApprovalNoticeKind, d: Deployment): void {
    const where = `${d.project}/${d.environment_name}`;
    const rejection = d.approval?.rejection;
    const message = kind === 'request' ? `${d.actor} asks to deploy ${d.release_candidate_version} to ${where}: it waits for your approval.`
      : kind === 'approved' ? `Your deployment of ${d.release_candidate_version} to ${where} is approved by ${d.approval?.approvals.map((v) => v.actor).join(', ')}: it starts.`
        : kind === 'rejected' ? `Your deployment of ${d.release_candidate_version} to ${where} was rejected by ${rejection?.actor ?? 'someone'}${rejection?.comment ? `: ${rejection.comment}` : '.'}`
          : `Your deployment of ${d.release_candidate_version} to ${where} was not approved in time: the request expired.`;
    this.shown.push({ kind, message, project: d.project, environment: d.environment_name, deploymentId: d.id });
    if (this.shown.length > MAX_SHOWN) this.shown.shift();
    this.log.info(message);
    const stage = { project: d.project, environment: d.environment_name };
    const buttons = kind === 'request' ? ['Approve', 'Open Stage'] : ['Open Stage'];
    const show = kind === 'rejected' || kind === 'expired' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(message, ...buttons).then((choice) => {
      if (choice === 'Approve') void vscode.commands.executeCommand('flightdeck.approve', { project: d.project, deploymentId: d.id });
      else if (choice === 'Open Stage') void vscode.commands.executeCommand('flightdeck.openStage', stage);
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Which notice a deployment's new state is for the caller, if any. */
function noticeKind(d: Deployment, caller: Caller, model: ReleaseTreeModel): ApprovalNoticeKind | undefined {
  if (awaitsApproval(d)) {
    const environment = model.findProject(d.project)?.environments.find((e) => e.name === d.environment_name);
    return approvalRefusal(d, caller, { protected: environment?.protected ?? false }) === undefined ? 'request' : undefined;
  }
  if (d.actor !== caller.name || !d.approval) return undefined;
  // The caller's own withdrawal is no news to them.
  if (d.approval.rejection) return d.approval.rejection.actor === caller.name ? undefined : 'rejected';
  // Approved: said while it runs (a later event of the finished deployment is not news any more).
  if (d.approval.approvals.length >= d.approval.required) return isTerminal(d) ? undefined : 'approved';
  if (d.status === 'canceled' && d.error_message === APPROVAL_EXPIRED) return 'expired';
  return undefined;
}
