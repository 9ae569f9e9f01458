// Keeps the tree fresh by the one policy in core/freshness: events from the stream trigger a coalesced
// refetch; polling (with jitter, slower when unfocused or streaming, quicker right after an action) is
// the safety net; the view's message line says how fresh the data is.
import * as vscode from 'vscode';
import { defaultPollPolicy, describeFreshness, nextPollDelay } from '../core/freshness';
import type { ReleaseTreeModel } from './tree/model';
import type { SessionManager } from './session';

/** Events arrive in bursts (a promote emits several): refetch once per burst. */
const EVENT_COALESCE_MS = 150;

export class RefreshController implements vscode.Disposable {
  private pollTimer: NodeJS.Timeout | undefined;
  private eventTimer: NodeJS.Timeout | undefined;
  private messageTimer: NodeJS.Timeout | undefined;
  private lastActionAt: number | undefined;
  /** A 401 prompts to sign in once per session, not at every poll. */
  private promptedSignIn = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly model: ReleaseTreeModel,
    private readonly sessions: SessionManager,
    private readonly view: vscode.TreeView<unknown>,
    private readonly basePollSeconds: () => number,
  ) {
    this.disposables.push(
      sessions.onDidReceiveEvent(() => this.onEvent()),
      // Events were missed and cannot be replayed: what the tree shows may be stale, fetch it all now.
      sessions.onDidResetStream(() => void this.now()),
      sessions.onDidChangeStreamState((state) => {
        // A stream that (re)connects may have missed nothing (it resumes), but a first connect after an
        // outage should show fresh data at once.
        if (state === 'live') this.onEvent();
        this.updateMessage();
      }),
      sessions.onDidChangeSession(() => {
        this.promptedSignIn = false;
        model.clear();
        void this.now();
      }),
      model.onDidChangeState(() => {
        this.updateMessage();
        if (model.state === 'signin' && !this.promptedSignIn) {
          this.promptedSignIn = true;
          void vscode.window.showWarningMessage(`The release server refused Flightdeck's token: ${model.lastError ?? 'sign-in needed'}.`, 'Sign In').then((choice) => {
            if (choice) void vscode.commands.executeCommand('flightdeck.signIn');
          });
        }
        void vscode.commands.executeCommand('setContext', 'flightdeck.state', model.state === 'ready' && model.allProjects.length === 0 ? 'empty' : model.state);
      }),
      vscode.window.onDidChangeWindowState((state) => {
        if (state.focused) this.schedule(0);
      }),
    );
    this.messageTimer = setInterval(() => this.updateMessage(), 5000);
  }

  /** Fetch now and resume the schedule. */
  now(): Promise<void> {
    this.clearPoll();
    return this.model.refresh().finally(() => this.schedule());
  }

  /** The user acted: refresh quickly for a while. */
  afterAction(): Promise<void> {
    this.lastActionAt = Date.now();
    return this.now();
  }

  private onEvent(): void {
    if (this.eventTimer) return;
    this.eventTimer = setTimeout(() => {
      this.eventTimer = undefined;
      void this.now();
    }, EVENT_COALESCE_MS);
  }

  private schedule(delay?: number): void {
    this.clearPoll();
    // Polling is for a focused window only; the event stream (when there is one) keeps an unfocused
    // window current, and regaining focus refreshes at once (onDidChangeWindowState above).
    const inBurst = this.lastActionAt !== undefined && Date.now() - this.lastActionAt < defaultPollPolicy.burstWindowSeconds * 1000;
    if (delay === undefined && !vscode.window.state.focused && !inBurst) return;
    const ms = delay ?? nextPollDelay({
      focused: vscode.window.state.focused,
      streaming: this.sessions.streamState === 'live',
      failures: this.model.failures,
      lastActionAt: this.lastActionAt,
    }, Date.now(), { ...defaultPollPolicy, baseSeconds: this.basePollSeconds() });
    this.pollTimer = setTimeout(() => void this.now(), ms);
  }

  private clearPoll(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private updateMessage(): void {
    const freshness = this.model.freshness;
    const live = freshness.kind === 'fresh' && this.sessions.streamState === 'live';
    const text = describeFreshness(freshness.kind === 'fresh' ? { ...freshness, live } : freshness, Date.now());
    // The welcome view already explains an empty tree; the message line is for data that is showing.
    this.view.message = this.model.allProjects.length > 0 ? text : '';
  }

  dispose(): void {
    this.clearPoll();
    if (this.eventTimer) clearTimeout(this.eventTimer);
    if (this.messageTimer) clearInterval(this.messageTimer);
    for (const d of this.disposables) d.dispose();
  }
}
