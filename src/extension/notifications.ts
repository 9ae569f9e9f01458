// Makes what the engine does by itself loud: a notification (with Open Stage) when it fails a deployment
// or rolls an environment back in a project of the workspace, and when a rollout or auto-promotion the
// user started ends. Only transitions seen live on the event stream count (the stream starts after the
// newest event, so nothing from the history is announced). What to say is decided in core/loudEvents;
// every event also gets one line in Output → Flightdeck.
import * as vscode from 'vscode';
import type { Deployment, Project, ReleaseEvent } from '../api/schemas';
import { eventLogLine } from '../core/eventText';
import { emptyLoudMemory, loudMessage, loudNotices, trackStarted, type LoudNotice } from '../core/loudEvents';
import type { Logger } from './log';
import type { SessionManager } from './session';
import type { ReleaseTreeModel } from './tree/model';

/** Which projects belong to the workspace (WorkspaceRepositories fits). */
export interface WorkspaceProjects {
  projectsFor(projects: readonly Project[]): Promise<Project[]>;
}

/** A failure and the automatic rollback it causes arrive together: one notice for both. */
const BATCH_MS = 300;
const MAX_SHOWN = 50;

/** What the VS Code tests read: every notification shown, oldest first (bounded). */
export interface ShownNotification {
  kind: LoudNotice['kind'];
  severity: 'error' | 'warning' | 'info';
  message: string;
  project: string;
  environment: string;
  deploymentId: string;
}

export class LoudNotifier implements vscode.Disposable {
  private memory = emptyLoudMemory();
  private pending: ReleaseEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  readonly shown: ShownNotification[] = [];

  constructor(
    sessions: SessionManager,
    private readonly model: ReleaseTreeModel,
    private readonly workspace: WorkspaceProjects,
    private readonly log: Logger,
  ) {
    this.disposables.push(
      sessions.onDidReceiveEvent((event) => this.onEvent(event)),
      // Another server (or token): its deployment ids are not the ones remembered here, and its stream
      // starts after its newest event, so forgetting cannot announce anything twice.
      sessions.onDidChangeSession(() => {
        this.pending = [];
        this.memory = emptyLoudMemory();
      }),
    );
  }

  /** A deployment the user started: its end (and its auto-promotion's) is announced. */
  started(deployment: Deployment): void {
    trackStarted(this.memory, deployment);
  }

  /** A progress notification follows it and will say how it ended; no second notification for that. */
  following(deploymentId: string, yes: boolean): void {
    if (yes) this.memory.followed.add(deploymentId);
    else this.memory.followed.delete(deploymentId);
  }

  /** The progress notification said how it ended. */
  announced(deploymentId: string): void {
    this.memory.announced.add(deploymentId);
    this.memory.tracked.delete(deploymentId);
  }

  private onEvent(event: ReleaseEvent): void {
    this.log.info(eventLogLine(event));
    if (!event.data.deployment) return;
    this.pending.push(event);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, BATCH_MS);
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const projects = new Set((await this.workspace.projectsFor(this.model.allProjects).catch(() => [])).map((p) => p.name));
    // Before the first overview arrives, every project counts: a rollback is worth a notification.
    const inWorkspace = (name: string): boolean => projects.size === 0 || projects.has(name);
    for (const notice of loudNotices(batch, this.memory, inWorkspace)) this.show(notice);
  }

  private show(notice: LoudNotice): void {
    const message = loudMessage(notice);
    const deployment = notice.kind === 'rolled_back' ? notice.rollback : notice.deployment;
    const failedFinish = notice.kind === 'finished' && deployment.status !== 'success';
    const severity: ShownNotification['severity'] = notice.kind === 'failed' || failedFinish ? 'error' : notice.kind === 'rolled_back' ? 'warning' : 'info';
    this.shown.push({ kind: notice.kind, severity, message, project: notice.project, environment: notice.environment, deploymentId: deployment.id });
    if (this.shown.length > MAX_SHOWN) this.shown.shift();
    this.log[severity === 'info' ? 'info' : severity === 'warning' ? 'warn' : 'error'](message);
    const show = severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(message, 'Open Stage').then((choice) => {
      if (choice) void vscode.commands.executeCommand('flightdeck.openStage', { project: notice.project, environment: notice.environment });
    });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
