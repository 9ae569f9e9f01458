// The stage panels: one per environment (opening it again reveals it), restored after a window reload by
// the webview panel serializer, fed by the session's one event stream.
import * as vscode from 'vscode';
import * as z from 'zod';
import { STAGE_VIEW_TYPE, StageIdentity, type TokenRole } from '../../api/protocol';
import type { Caller } from '../../api/schemas';
import type { Logger } from '../log';
import type { ActiveSession, SessionManager } from '../session';
import { StagePanel, stageKey, type StagePanelProbe } from './panel';
import type { RepositoryProvider } from './snapshot';

/** Only the identity is needed to restore a panel; the rest of the saved state is the webview's. */
const RestorableState = z.object({ identity: StageIdentity }).passthrough();

export interface StageManagerDeps {
  extensionUri: vscode.Uri;
  sessions: SessionManager;
  log: Logger;
  repositories: RepositoryProvider | undefined;
}

export class StagePanelManager implements vscode.Disposable {
  private readonly panels = new Map<string, StagePanel>();
  private readonly roles = new WeakMap<ActiveSession, Promise<TokenIdentity>>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: StageManagerDeps) {
    this.disposables.push(
      deps.sessions.onDidReceiveEvent((event) => {
        for (const panel of this.panels.values()) if (panel.identity.project === event.data.project) panel.onEvent(event);
      }),
      deps.sessions.onDidChangeStreamState((state) => {
        for (const panel of this.panels.values()) panel.onStreamState(state);
      }),
      // A session change, or a stream that could not resume (events were missed): each panel starts over.
      deps.sessions.onDidChangeSession(() => {
        for (const panel of this.panels.values()) panel.onSessionChanged();
      }),
      deps.sessions.onDidResetStream(() => {
        for (const panel of this.panels.values()) panel.onSessionChanged();
      }),
    );
  }

  /** Opens the stage of an environment, or reveals it when it is open already. */
  open(identity: StageIdentity, column: vscode.ViewColumn = vscode.ViewColumn.Active): StagePanel {
    const existing = this.panels.get(stageKey(identity));
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(STAGE_VIEW_TYPE, `${identity.environment} · ${identity.project}`, { viewColumn: column, preserveFocus: false }, {
      enableScripts: true,
      enableFindWidget: true,
      // No retainContextWhenHidden: the webview keeps its UI state with setState and catches up on show.
    });
    return this.adopt(panel, identity);
  }

  /** The serializer's half: a panel VS Code kept across a window reload. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    const parsed = RestorableState.safeParse(state);
    if (!parsed.success) {
      this.deps.log.warn('A stage panel could not be restored: its saved state names no environment.');
      panel.dispose();
      return;
    }
    const identity = parsed.data.identity;
    const existing = this.panels.get(stageKey(identity));
    if (existing) {
      panel.dispose();
      existing.reveal();
      return;
    }
    this.adopt(panel, identity);
  }

  private adopt(webviewPanel: vscode.WebviewPanel, identity: StageIdentity): StagePanel {
    const panel = new StagePanel(webviewPanel, identity, {
      extensionUri: this.deps.extensionUri,
      sessions: this.deps.sessions,
      log: this.deps.log,
      repositories: this.deps.repositories,
      identityOf: (session) => this.identityOf(session),
    });
    this.panels.set(panel.key, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(panel.key) === panel) this.panels.delete(panel.key);
    });
    this.deps.log.info(`Stage ${panel.key} opened`);
    return panel;
  }

  // ── for the VS Code tests (through the extension's exported API) ──────────────────────────────

  /** Keys (`project/environment`) of the open panels. */
  get openStages(): string[] {
    return [...this.panels.keys()];
  }

  probe(project: string, environment: string): StagePanelProbe | undefined {
    return this.panels.get(stageKey({ project, environment }));
  }

  /** Feeds a message to a panel exactly as if its webview had posted it (same validation and handling). */
  async simulateMessage(project: string, environment: string, message: unknown): Promise<void> {
    const panel = this.panels.get(stageKey({ project, environment }));
    if (!panel) throw new Error(`No stage panel is open for ${project}/${environment}.`);
    await panel.receive(message);
  }

  close(project: string, environment: string): void {
    this.panels.get(stageKey({ project, environment }))?.dispose();
  }

  // ── what the token may do ───────────────────────────────────────────────────────────────────────

  /** Who the session's token is, and whether an admin (protected environments and freezing need one); once per session. */
  private identityOf(session: ActiveSession): Promise<TokenIdentity> {
    let role = this.roles.get(session);
    if (!role) {
      role = probeRole(session);
      this.roles.set(session, role);
    }
    return role;
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
    for (const d of this.disposables) d.dispose();
  }
}

export interface TokenIdentity {
  role: TokenRole;
  caller: Caller | undefined;
}

async function probeRole(session: ActiveSession): Promise<TokenIdentity> {
  let caller: Caller | undefined;
  try {
    caller = session.backend.whoami && (session.token || session.embedded) ? await session.backend.whoami() : undefined;
  } catch {
    // A server older than GET /api/whoami, or none: the buttons stay enabled and the server decides.
    caller = undefined;
  }
  if (session.embedded) return { role: 'admin', caller };
  return { role: caller ? (caller.role === 'admin' ? 'admin' : 'not_admin') : 'unknown', caller };
}
