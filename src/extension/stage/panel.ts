// One stage panel: a webview on one environment. It owns the conversation with its webview (ready
// handshake, snapshots, relayed events, action results) and the data behind it. The webview never
// touches the network: this side fetches, listens to the session's event stream and relays.
//
// Visibility: the panel does not use retainContextWhenHidden, so a hidden panel's document is discarded.
// While hidden nothing is relayed (events are still kept for the event log); when shown, the webview
// reloads, says `ready` again, and catches up from a fresh snapshot.
import * as vscode from 'vscode';
import {
  HostToWebview, STAGE_PROTOCOL_VERSION, WebviewToHost, isActionRequest,
  type ActionName, type ActionOutcome, type ActionRequest, type ActionResultMessage, type CommitRange, type Freshness,
  type StageIdentity, type StageView, type StreamStatus,
} from '../../api/protocol';
import { Deployment, type Caller, type ReleaseEvent } from '../../api/schemas';
import { describeError, isBackendError } from '../../client/errors';
import { actionTitle } from '../../core/actionPlan';
import { awaitsApproval } from '../../core/approvals';
import { isTerminal } from '../../core/deploymentStatus';
import { PollSchedule } from '../../core/freshness';
import type { Logger } from '../log';
import { isCommandOutcome, type CommandOutcome } from '../outcome';
import type { ActiveSession, SessionManager } from '../session';
import { nodeTimers, wallClock } from '../timers';
import { localResourceRoots, stageHtml } from './html';
import { commitUrl, pullRequestUrl } from './links';
import { buildStageView, StageUnavailableError, type RepositoryProvider } from './snapshot';
import { backendPollFacts } from '../pollFacts';

/** Events are relayed at most this often (the first of a quiet spell goes at once). */
export const BATCH_MS = 250;
/** Events that change derived data (commit lists, rollback target) are followed by a snapshot this soon. */
const SNAPSHOT_DEBOUNCE_MS = 300;
/** After `ready` from a reloaded document; if none comes after a show, the document survived. */
const READY_GRACE_MS = 1500;
const MAX_LOG = 200;
const MAX_RECORDED = 200;

export interface StagePanelDeps {
  extensionUri: vscode.Uri;
  sessions: SessionManager;
  log: Logger;
  repositories: RepositoryProvider | undefined;
  identityOf(session: ActiveSession): Promise<{ role: 'admin' | 'not_admin' | 'unknown'; caller: Caller | undefined }>;
}

/** What the VS Code tests read to see the panel work (through the extension's exported API). */
export interface StagePanelProbe {
  readonly identity: StageIdentity;
  readonly ready: boolean;
  readonly visible: boolean;
  /** The last view posted in a snapshot. */
  readonly lastSnapshot: StageView | undefined;
  readonly snapshotsPosted: number;
  /** Every valid message the webview sent, oldest first (bounded). */
  readonly received: readonly WebviewToHost[];
  /** Messages that failed validation and were dropped. */
  readonly dropped: number;
  readonly actionResults: readonly ActionResultMessage[];
  /** Every host→webview message type with the time it was posted (bounded). */
  readonly posted: ReadonlyArray<{ type: HostToWebview['type']; at: number; events?: number }>;
}

export class StagePanel implements vscode.Disposable, StagePanelProbe {
  readonly key: string;
  ready = false;
  lastSnapshot: StageView | undefined;
  snapshotsPosted = 0;
  readonly received: WebviewToHost[] = [];
  dropped = 0;
  readonly actionResults: ActionResultMessage[] = [];
  readonly posted: Array<{ type: HostToWebview['type']; at: number; events?: number }> = [];

  /** Events about this environment (and project-wide ones), newest first: the event log. */
  private readonly eventLog: ReleaseEvent[] = [];
  private lastEventId = 0;
  private outbox: ReleaseEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private readonly polls: PollSchedule;
  private readyTimer: NodeJS.Timeout | undefined;
  private building: Promise<void> | undefined;
  private buildAgain = false;
  private lastUpdateAt: number | null = null;
  private lastError: string | null = null;
  private failures = 0;
  private readonly rangeCache = new Map<string, CommitRange>();
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(readonly panel: vscode.WebviewPanel, readonly identity: StageIdentity, private readonly deps: StagePanelDeps) {
    this.key = stageKey(identity);
    // The one refresh policy (core/freshness): while the stream is live, events refresh this panel and
    // nothing polls; a hidden panel polls never (showing it again reloads it and catches up).
    this.polls = new PollSchedule({
      poll: () => void this.refreshNow(),
      context: () => ({
        focused: vscode.window.state.focused,
        visible: this.visible,
        streaming: deps.sessions.streamState === 'live',
        failures: this.failures,
        ...backendPollFacts(deps.sessions.peek()?.backend, Date.now()),
      }),
      clock: wallClock,
      timers: nodeTimers,
    });
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: localResourceRoots(deps.extensionUri) };
    panel.title = `${identity.environment} · ${identity.project}`;
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'flightdeck.svg');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => void this.receive(message)),
      panel.onDidChangeViewState(() => this.onVisibility()),
      panel.onDidDispose(() => this.dispose()),
      // A backend that polls only while focused (GitHub) stopped on blur: regaining focus refreshes at once.
      vscode.window.onDidChangeWindowState((state) => {
        if (state.focused && this.visible && !this.polls.pending && this.deps.sessions.streamState !== 'live') void this.refreshNow();
        else if (!state.focused) this.schedulePoll();
      }),
    );
    this.load();
  }

  get visible(): boolean {
    return !this.disposed && this.panel.visible;
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  /** (Re)loads the document; the webview answers with `ready`. */
  private load(): void {
    this.ready = false;
    this.panel.webview.html = stageHtml(this.panel.webview, this.deps.extensionUri, this.identity);
  }

  // ── from the webview ───────────────────────────────────────────────────────────────────────────

  /** Handles one message from the webview (also the tests' entry point: the same validation applies). */
  async receive(raw: unknown): Promise<void> {
    const parsed = WebviewToHost.safeParse(raw);
    if (!parsed.success) {
      this.dropped += 1;
      const issue = parsed.error.issues[0];
      const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String((raw as { type: unknown }).type).slice(0, 40) : typeof raw;
      this.deps.log.warn(`Stage ${this.key}: dropped an invalid message from the webview (type ${type}${issue ? `; ${issue.path.join('.') || 'message'}: ${issue.message}` : ''})`);
      return;
    }
    const message = parsed.data;
    record(this.received, message);
    if (isActionRequest(message)) return this.runAction(message);
    switch (message.type) {
      case 'ready':
        return this.onReady(message.protocol);
      case 'refresh':
        this.polls.markAction();
        return this.refreshNow();
      case 'openCommit':
        return this.openCommit(message.sha);
      case 'openPullRequest':
        return this.openPullRequest(message.number);
      case 'webviewError':
        this.deps.log.warn(`Stage ${this.key} webview: ${message.message}`);
        return;
    }
  }

  private async onReady(protocol: number): Promise<void> {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    if (protocol !== STAGE_PROTOCOL_VERSION) {
      this.deps.log.warn(`Stage ${this.key}: webview speaks protocol ${protocol}, the host ${STAGE_PROTOCOL_VERSION}; reloading it`);
      this.load();
      return;
    }
    this.ready = true;
    this.outbox = [];
    // Paint at once from what we have, then catch up.
    if (this.lastSnapshot) this.postSnapshot({ ...this.lastSnapshot, log: this.eventLog.slice() });
    await this.refreshNow();
  }

  private onVisibility(): void {
    if (!this.panel.visible) {
      // The document is about to be discarded; nothing more reaches it until it says `ready` again.
      this.ready = false;
      this.outbox = [];
      this.clearTimer('flushTimer');
      this.polls.cancel();
      return;
    }
    // Shown again: a reloaded document says `ready`; one that survived would wait forever, so check.
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = setTimeout(() => {
      this.readyTimer = undefined;
      if (!this.ready && this.visible) {
        this.ready = true;
        void this.refreshNow();
      }
    }, READY_GRACE_MS);
  }

  // ── actions: the same palette commands, with their modal confirmation and expected_current ─────

  private async runAction(message: ActionRequest): Promise<void> {
    const { project, environment } = this.identity;
    let args: Record<string, unknown>;
    if (message.type === 'pause' || message.type === 'resume' || message.type === 'abort') {
      const active = this.lastSnapshot?.environment.active;
      if (!active || active.id !== message.deploymentId) {
        this.postActionResult(message.requestId, message.type, 'refused', `Deployment ${message.deploymentId} is no longer active in ${environment}.`, null);
        void this.refreshNow();
        return;
      }
      args = { project, deploymentId: message.deploymentId };
    } else if (message.type === 'approve' || message.type === 'reject') {
      const active = this.lastSnapshot?.environment.active;
      if (!active || active.id !== message.deploymentId) {
        this.postActionResult(message.requestId, message.type, 'refused', `Deployment ${message.deploymentId} no longer waits for approval in ${environment}.`, null);
        void this.refreshNow();
        return;
      }
      args = { project, deploymentId: message.deploymentId, ...(message.comment !== undefined ? { comment: message.comment } : {}) };
    } else if (message.type === 'block' || message.type === 'unblock') {
      args = { project, candidate: message.candidate, ...(message.type === 'block' && message.reason !== undefined ? { reason: message.reason } : {}) };
    } else {
      args = { project, environment };
    }
    this.polls.markAction();
    const command = `flightdeck.${COMMANDS[message.type]}`;
    this.deps.log.info(`Stage ${this.key}: ${message.type} requested from the panel`);
    // The same palette command, with its confirmation; its typed outcome says what became of it.
    let outcome: CommandOutcome;
    try {
      const result = await vscode.commands.executeCommand<unknown>(command, args);
      outcome = isCommandOutcome(result) ? result : { kind: 'failed', error: `${command} returned no outcome.` };
    } catch (error) {
      outcome = { kind: 'failed', error: describeError(error) };
    }
    const title = actionTitle(message.type);
    switch (outcome.kind) {
      case 'done': {
        const parsed = Deployment.safeParse(outcome.value);
        const deployment = parsed.success ? parsed.data : null;
        this.postActionResult(message.requestId, message.type, 'done', doneText(message.type, environment, deployment), deployment);
        break;
      }
      case 'cancelled':
        this.postActionResult(message.requestId, message.type, 'cancelled', `${title} cancelled: the confirmation was dismissed.`, null);
        break;
      case 'refused':
        this.postActionResult(message.requestId, message.type, 'refused', `${title} refused: ${outcome.reason}`, null);
        break;
      case 'failed':
        this.deps.log.warn(`Stage ${this.key}: ${command} failed: ${outcome.error}`);
        this.postActionResult(message.requestId, message.type, 'failed', outcome.error, null);
        break;
    }
    await this.refreshNow();
  }

  private postActionResult(requestId: string, action: ActionName, outcome: ActionOutcome, message: string, deployment: Deployment | null): void {
    const result: ActionResultMessage = { type: 'actionResult', requestId, action, outcome, message, deployment };
    record(this.actionResults, result);
    this.post(result);
  }

  private async openCommit(sha: string): Promise<void> {
    const repo = this.lastSnapshot?.project.repo;
    const url = repo ? commitUrl(repo, sha) : undefined;
    if (url) {
      await vscode.env.openExternal(vscode.Uri.parse(url));
      return;
    }
    await vscode.env.clipboard.writeText(sha);
    void vscode.window.showInformationMessage(`Commit ${sha.slice(0, 12)} copied: the project's repository (${repo ?? 'unknown'}) has no web address to open it at.`);
  }

  private async openPullRequest(number: number): Promise<void> {
    const repo = this.lastSnapshot?.project.repo;
    const url = repo ? pullRequestUrl(repo, number) : undefined;
    if (url) await vscode.env.openExternal(vscode.Uri.parse(url));
    else void vscode.window.showInformationMessage(`Pull request #${number}: the project's repository (${repo ?? 'unknown'}) has no web address.`);
  }

  // ── live path ──────────────────────────────────────────────────────────────────────────────────

  /** An event from the session's stream about this panel's project. */
  onEvent(event: ReleaseEvent): void {
    if (this.disposed || event.data.project !== this.identity.project) return;
    this.lastEventId = Math.max(this.lastEventId, event.id);
    const env = event.data.environment;
    if (env === this.identity.environment || env === null) {
      this.eventLog.unshift(event);
      if (this.eventLog.length > MAX_LOG) this.eventLog.length = MAX_LOG;
    }
    if (this.changesDerivedData(event)) this.refreshSoon(SNAPSHOT_DEBOUNCE_MS);
    if (!this.ready || !this.visible) return;
    this.lastUpdateAt = Date.now();
    this.outbox.push(event);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), Math.max(0, this.lastFlushAt + BATCH_MS - Date.now()));
  }

  onStreamState(_state: StreamStatus): void {
    if (!this.ready || !this.visible) return;
    this.post({ type: 'freshness', freshness: this.freshness() });
    this.schedulePoll();
  }

  /** The session changed (other server, signed in or out): start over. */
  onSessionChanged(): void {
    this.rangeCache.clear();
    this.eventLog.length = 0;
    this.lastEventId = 0;
    void this.refreshNow();
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (!this.ready || !this.visible || this.outbox.length === 0) return;
    const events = this.outbox.splice(0, 500);
    this.lastFlushAt = Date.now();
    this.post({ type: 'events', events, freshness: this.freshness() });
    if (this.outbox.length > 0) this.flushTimer = setTimeout(() => this.flush(), BATCH_MS);
  }

  /** Commit lists, rollback target, frozen flags… come only with a snapshot. */
  private changesDerivedData(event: ReleaseEvent): boolean {
    const env = event.data.environment;
    const below = this.lastSnapshot?.below?.name;
    const mine = env === this.identity.environment || env === null || (below !== undefined && env === below);
    if (!mine) return false;
    switch (event.type) {
      case 'deployment.created':
      case 'environment.updated':
      case 'project.updated':
        return true;
      case 'deployment.updated':
        return event.data.deployment === undefined || isTerminal(event.data.deployment);
      case 'release.created':
        return false;
      case 'release.updated': // a candidate blocked or unblocked: the stage shows it
        return true;
    }
  }

  // ── snapshots ──────────────────────────────────────────────────────────────────────────────────

  refreshSoon(delayMs: number): void {
    if (this.snapshotTimer) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      void this.refreshNow();
    }, delayMs);
  }

  /** Builds and posts a snapshot; concurrent calls coalesce into at most one more build. */
  refreshNow(): Promise<void> {
    this.clearTimer('snapshotTimer');
    if (this.building) {
      this.buildAgain = true;
      return this.building;
    }
    this.building = this.build().finally(() => {
      this.building = undefined;
      if (this.buildAgain && !this.disposed) {
        this.buildAgain = false;
        void this.refreshNow();
      }
    });
    return this.building;
  }

  private async build(): Promise<void> {
    if (this.disposed) return;
    const cursor = this.lastEventId;
    try {
      const session = await this.deps.sessions.get();
      const { role, caller } = await this.deps.identityOf(session);
      const view = await buildStageView(this.identity, {
        backend: session.backend,
        repositories: this.deps.repositories,
        role,
        caller,
        log: this.eventLog,
        rangeCache: this.rangeCache,
        eventCursor: cursor,
      });
      this.failures = 0;
      this.lastError = null;
      this.lastUpdateAt = Date.now();
      this.lastSnapshot = view;
      if (this.ready && this.visible) this.postSnapshot(view);
    } catch (error) {
      this.failures += 1;
      const unavailable = error instanceof StageUnavailableError || (isBackendError(error) && error.kind === 'not_found');
      this.lastError = describeError(error);
      this.deps.log.warn(`Stage ${this.key}: refresh failed: ${this.lastError}`);
      if (this.ready && this.visible) {
        if (unavailable || !this.lastSnapshot) this.post({ type: 'unavailable', message: this.lastError });
        this.post({ type: 'freshness', freshness: this.freshness() });
      }
    } finally {
      this.schedulePoll();
    }
  }

  private postSnapshot(view: StageView): void {
    if (this.post({ type: 'snapshot', view, freshness: this.freshness() })) this.snapshotsPosted += 1;
  }

  /** Polling stands in for the stream while there is none (core/freshness PollSchedule). */
  private schedulePoll(): void {
    if (this.disposed) return;
    this.polls.reschedule();
  }

  private freshness(): Freshness {
    const session = this.deps.sessions.peek();
    const stream: StreamStatus = session && !session.backend.capabilities.events ? 'unsupported' : this.deps.sessions.streamState;
    return { stream, lastUpdateAt: this.lastUpdateAt, error: this.lastError };
  }

  /** Posts after validating against the protocol (a bug here must show in the log, not in the panel). */
  private post(message: HostToWebview): boolean {
    if (this.disposed || !this.ready) return false;
    const checked = HostToWebview.safeParse(message);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      this.deps.log.error(`Stage ${this.key}: not posting an invalid ${message.type} message (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`);
      return false;
    }
    record(this.posted, { type: message.type, at: Date.now(), ...(message.type === 'events' ? { events: message.events.length } : {}) });
    void this.panel.webview.postMessage(message);
    return true;
  }

  private clearTimer(name: 'flushTimer' | 'snapshotTimer'): void {
    const timer = this[name];
    if (timer) clearTimeout(timer);
    this[name] = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ready = false;
    this.clearTimer('flushTimer');
    this.clearTimer('snapshotTimer');
    this.polls.cancel();
    if (this.readyTimer) clearTimeout(this.readyTimer);
    for (const d of this.disposables) d.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    this.panel.dispose();
  }
}

export function stageKey(identity: StageIdentity): string {
  return `${identity.project}/${identity.environment}`;
}

function record<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_RECORDED) list.splice(0, list.length - MAX_RECORDED);
}

/** The command each panel action runs: the palette's own. */
const COMMANDS: Readonly<Record<ActionName, string>> = {
  promote: 'promote', rollback: 'rollback', pause: 'pause', resume: 'resume', abort: 'abort', freeze: 'freeze', unfreeze: 'unfreeze',
  approve: 'approve', reject: 'reject', block: 'blockCandidate', unblock: 'unblockCandidate',
};

function doneText(action: ActionName, environment: string, deployment: Deployment | null): string {
  switch (action) {
    case 'approve':
      return deployment && !awaitsApproval(deployment) ? `Approved: ${deployment.release_candidate_version} starts (deployment ${deployment.id}).` : 'Approved.';
    case 'reject':
      return 'The request is canceled.';
    case 'block':
      return 'The candidate is blocked.';
    case 'unblock':
      return 'The candidate is unblocked.';
    case 'freeze':
      return `${environment} is frozen.`;
    case 'unfreeze':
      return `${environment} is unfrozen.`;
    case 'pause':
      return 'Rollout paused.';
    case 'resume':
      return 'Rollout resumed.';
    default:
      return deployment
        ? `${actionTitle(action)} started: ${deployment.release_candidate_version} (deployment ${deployment.id}).`
        : `${actionTitle(action)} done.`;
  }
}
