// Keeps the tree fresh by the one policy in core/freshness: events from the stream trigger a coalesced
// refetch; while there is no live stream, polling (with jitter, slower when unfocused, quicker right after
// an action) takes its place; the view's message line says how fresh the data is.
import * as vscode from 'vscode';
import { defaultPollPolicy, describeFreshness, PollSchedule } from '../core/freshness';
import { describeRateLimit } from '../core/rateLimit';
import { backendPollFacts, backendRateLimit } from './pollFacts';
import type { Logger } from './log';
import type { ReleaseTreeModel } from './tree/model';
import type { SessionManager } from './session';
import { nodeTimers, wallClock } from './timers';

/** Events arrive in bursts (a promote emits several): refetch once per burst. */
const EVENT_COALESCE_MS = 150;

export class RefreshController implements vscode.Disposable {
  private readonly polls: PollSchedule;
  private eventTimer: NodeJS.Timeout | undefined;
  private messageTimer: NodeJS.Timeout | undefined;
  /** The last fetch error written to the log: a poll that fails the same way again adds no line. */
  private loggedError: string | undefined;
  /** A 401 prompts to sign in once per session, not at every poll. */
  private promptedSignIn = false;
  private readonly disposables: vscode.Disposable[] = [];
  /** What the view's message line says now (the VS Code tier reads it). */
  messageLine = '';

  constructor(
    private readonly model: ReleaseTreeModel,
    private readonly sessions: SessionManager,
    private readonly view: vscode.TreeView<unknown>,
    basePollSeconds: () => number,
    private readonly log?: Logger,
  ) {
    this.polls = new PollSchedule({
      poll: () => void this.now(),
      // Visible or not, the model also feeds the status bar and the hovers: it keeps polling without a stream.
      context: () => ({
        focused: vscode.window.state.focused,
        streaming: sessions.streamState === 'live',
        failures: model.failures,
        ...backendPollFacts(sessions.peek()?.backend, Date.now()),
      }),
      clock: wallClock,
      timers: nodeTimers,
      policy: () => ({ ...defaultPollPolicy, baseSeconds: basePollSeconds() }),
    });
    this.disposables.push(
      sessions.onDidReceiveEvent(() => this.onEvent()),
      // Events were missed and cannot be replayed: what the tree shows may be stale, fetch it all now.
      sessions.onDidResetStream(() => void this.now()),
      sessions.onDidChangeStreamState((state) => {
        // A stream that (re)connects may have missed nothing (it resumes), but a first connect after an
        // outage should show fresh data at once.
        // A stream that drops hands the refreshing back to polling.
        if (state === 'live') this.onEvent();
        else this.polls.reschedule();
        this.updateMessage();
      }),
      sessions.onDidChangeSession(() => {
        this.promptedSignIn = false;
        model.clear();
        void this.now();
      }),
      model.onDidChangeState(() => {
        this.updateMessage();
        if (model.lastError !== this.loggedError) {
          if (model.lastError) this.log?.warn(`The release server cannot be reached: ${model.lastError}`);
          else if (this.loggedError) this.log?.info('The release server answers again');
          this.loggedError = model.lastError;
        }
        if (model.state === 'signin' && !this.promptedSignIn) {
          this.promptedSignIn = true;
          void vscode.window.showWarningMessage(`The release server refused Flightdeck's token: ${model.lastError ?? 'sign-in needed'}.`, 'Sign In').then((choice) => {
            if (choice) void vscode.commands.executeCommand('flightdeck.signIn');
          });
        }
        void vscode.commands.executeCommand('setContext', 'flightdeck.state', model.state === 'ready' && model.allProjects.length === 0 ? 'empty' : model.state);
      }),
      vscode.window.onDidChangeWindowState((state) => {
        if (state.focused) void this.now();
        else this.polls.reschedule();
      }),
    );
    this.messageTimer = setInterval(() => this.updateMessage(), 5000);
  }

  /** Fetch now and resume the schedule. */
  now(): Promise<void> {
    this.polls.cancel();
    return this.model.refresh().finally(() => this.polls.reschedule());
  }

  /** The user acted: refresh quickly for a while. */
  afterAction(): Promise<void> {
    this.polls.markAction();
    return this.now();
  }

  private onEvent(): void {
    if (this.eventTimer) return;
    this.eventTimer = setTimeout(() => {
      this.eventTimer = undefined;
      void this.now();
    }, EVENT_COALESCE_MS);
  }

  /** Writes the view's message line (also every 5 s, so that its ages and the retry time stay true). */
  updateMessage(): void {
    const freshness = this.model.freshness;
    const live = freshness.kind === 'fresh' && this.sessions.streamState === 'live';
    const now = Date.now();
    const text = describeFreshness(freshness.kind === 'fresh' ? { ...freshness, live } : freshness, now);
    // A rate limit that is low or spent is news (GitHub): said beside the freshness, the data kept.
    const session = this.sessions.peek();
    const limit = describeRateLimit(backendRateLimit(session?.backend), now)
      // Without a token GitHub shows public repositories only, at 60 requests an hour: say how to do better.
      ?? (session?.backend.kind === 'github' && session.tokenSource === 'none' ? 'not signed in to GitHub (Flightdeck: Sign In)' : undefined);
    // The message line is for data that is showing: an empty tree has its welcome view, and an
    // unreachable server its own rows with the reason (tree/provider.ts). A message would hide both.
    this.messageLine = this.model.allProjects.length > 0 ? (limit ? `${text} · ${limit}` : text) : (limit ?? '');
    this.view.message = this.messageLine;
  }

  dispose(): void {
    this.polls.cancel();
    if (this.eventTimer) clearTimeout(this.eventTimer);
    if (this.messageTimer) clearInterval(this.messageTimer);
    for (const d of this.disposables) d.dispose();
  }
}
