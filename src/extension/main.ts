// The composition root: builds every part once, wires them together and hands every disposable to
// VS Code. Activation does no network I/O itself; the first refresh is started and not awaited.
import * as vscode from 'vscode';
import { registerActionCommands } from './actions';
import { registerApprovalCommands } from './approvals/commands';
import { ApprovalNotifier } from './approvals/notify';
import { ApprovalsView } from './approvals/view';
import { CallerIdentity } from './caller';
import { ProjectConfigSource, registerAviator } from './aviator';
import { registerConnectionCommands, registerCopyCommands } from './commands';
import { affectsConnection, readConfig, readGitHubApiUrl, readLogLevel } from './config';
import { ConfirmerSlot, type Confirmer } from './confirm';
import { EmbeddedServer } from './embeddedServer';
import { GitHubAuth, isGitHubActive, registerUseGitHub } from './github';
import { createLogger } from './log';
import { aboutLine, registerAbout } from './about';
import { registerCreateProject } from './createProject';
import { registerCommitInsights, type CommitInsightsApi } from './hover';
import { registerStage, type StagePanelManager } from './stage';
import { RefreshController } from './refresh';
import { ReleaseStatusBar } from './statusBar';
import { WorkspaceRepositories } from './workspace';
import { SessionManager } from './session';
import { LoudNotifier } from './notifications';
import { lastPromotePick } from './promotePicker';
import { AgeTicker } from './tree/ages';
import { ReleaseTreeModel } from './tree/model';
import { ReleaseTreeProvider } from './tree/provider';

/** What activate() returns: used by the VS Code tests to look at the real tree, and by nothing else. */
export interface FlightdeckApi {
  model: ReleaseTreeModel;
  provider: ReleaseTreeProvider;
  sessions: SessionManager;
  embedded: EmbeddedServer;
  refresh: RefreshController;
  workspace: WorkspaceRepositories;
  statusBar: ReleaseStatusBar;
  notifier: LoudNotifier;
  ages: AgeTicker;
  /** The rows of the last Promote… pick. */
  promotePick: { rows: string[] };
  stage: StagePanelManager;
  /** The Approvals view: the inbox, its badge and the caller it counts for. */
  approvals: ApprovalsView;
  approvalNotifier: ApprovalNotifier;
  commits: CommitInsightsApi;
  /** `.flightdeck.json` and `flightdeck.aviator.projects`, as the Aviator and GitHub backends read them. */
  projectConfig: ProjectConfigSource;
  /** The GitHub backend's token source (VS Code's GitHub sign-in, else GITHUB_TOKEN / GH_TOKEN). */
  githubAuth: GitHubAuth;
  activatedAt: number;
  firstRequestAt: number | undefined;
  /** The VS Code tier cannot click a modal: it answers the confirmations here (undefined: the modal again). */
  setConfirmer(confirmer: Confirmer | undefined): void;
}

export function activate(context: vscode.ExtensionContext): FlightdeckApi {
  const activatedAt = performance.now();
  const channel = vscode.window.createOutputChannel('Flightdeck', { log: true });
  const knownSecrets: string[] = [];
  const log = createLogger(channel, () => knownSecrets, readLogLevel);
  log.info(aboutLine());
  const embedded = new EmbeddedServer(context, log);
  const projectConfig = new ProjectConfigSource(log);
  const workspace = new WorkspaceRepositories(log, context.globalStorageUri);
  const githubAuth = new GitHubAuth(readGitHubApiUrl, log, (secret) => {
    if (!knownSecrets.includes(secret)) knownSecrets.push(secret);
  });
  const sessions = new SessionManager(context.secrets, context.globalState, embedded, log, projectConfig, { auth: githubAuth, workspace });
  const model = new ReleaseTreeModel(sessions);
  const identity = new CallerIdentity(sessions);
  const provider = new ReleaseTreeProvider(model, workspace.commitCounter(), Date.now, () => identity.peek());
  const view = vscode.window.createTreeView('flightdeck.releases', { treeDataProvider: provider, showCollapseAll: true });
  const refresh = new RefreshController(model, sessions, view as vscode.TreeView<unknown>, () => readConfig().pollSeconds, log);
  const ages = new AgeTicker(view as vscode.TreeView<unknown>, provider);
  context.subscriptions.push(channel, embedded, projectConfig, githubAuth, sessions, model, provider, view, refresh, ages);
  const statusBar = new ReleaseStatusBar(model, workspace);
  const notifier = new LoudNotifier(sessions, model, workspace, log);
  context.subscriptions.push(notifier);
  const confirmer = new ConfirmerSlot();
  const approvals = new ApprovalsView(sessions, model, identity);
  const approvalNotifier = new ApprovalNotifier(sessions, model, identity, log);
  context.subscriptions.push(approvals, approvalNotifier);
  context.subscriptions.push(
    workspace,
    statusBar,
    ...registerConnectionCommands({ log, sessions, refresh, githubAuth }),
    registerUseGitHub({ auth: githubAuth, log }),
    githubAuth.onDidChange(() => {
      if (isGitHubActive()) sessions.reset('the GitHub sign-in changed');
    }),
    ...registerCopyCommands(),
    ...registerActionCommands({ sessions, model, refresh, log, confirmer, commits: workspace.commitCounter(), notifier }),
    ...registerApprovalCommands({ sessions, model, refresh, log, confirmer, commits: workspace.commitCounter(), notifier, identity, approvals }),
    registerCreateProject({ sessions, workspace, refresh }),
    registerAbout({ context, sessions }),
    ...registerAviator({
      source: projectConfig, workspace, log,
      isActive: () => readConfig().serverKind === 'aviator',
      // GitHub reads the same file for its ladders and workflows.
      onDidChange: () => void refresh.now(),
    }),
  );
  const stage = registerStage({ context, sessions, model, log, repositories: workspace });
  const { disposables: insightDisposables, ...commits } = registerCommitInsights({ context, model, workspace, log });
  context.subscriptions.push(...stage, ...insightDisposables);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (affectsConnection(event)) sessions.reset('the server settings changed');
    }),
    embedded.onDidRestart(() => sessions.reset('the embedded server restarted')),
  );
  // Tokens are redacted from the log; the embedded one is known only once SecretStorage answers.
  void embedded.adminToken().then((t) => knownSecrets.push(t), () => undefined);
  for (const name of ['FLIGHTDECK_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN']) {
    const value = process.env[name];
    if (value) knownSecrets.push(value);
  }

  void vscode.commands.executeCommand('setContext', 'flightdeck.state', 'connecting');
  const api: FlightdeckApi = {
    model, provider, sessions, embedded, refresh, workspace, statusBar, notifier, ages, promotePick: lastPromotePick, stage: stage.manager, approvals, approvalNotifier, commits, projectConfig, githubAuth, activatedAt, firstRequestAt: undefined,
    setConfirmer: (replacement) => confirmer.use(replacement),
  };
  api.firstRequestAt = performance.now();
  void refresh.now();
  log.info(`Flightdeck activated in ${(api.firstRequestAt - activatedAt).toFixed(1)} ms`);
  return api;
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions; the embedded server stops with it.
}
