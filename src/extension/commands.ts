// Palette and tree commands that do not change releases: refresh, logs, connection and sign-in.
import * as vscode from 'vscode';
import type { Caller } from '../api/schemas';
import { BackendError, describeError } from '../client/errors';
import { FlightdeckHttpBackend } from '../client/http';
import { clearGitHubKind, readConfig, setServerUrl } from './config';
import type { GitHubAuth } from './github';
import type { Logger } from './log';
import type { RefreshController } from './refresh';
import { originOf, type SessionManager } from './session';

export interface CommandContext {
  log: Logger;
  sessions: SessionManager;
  refresh: RefreshController;
  githubAuth: GitHubAuth;
}

export function registerConnectionCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('flightdeck.refresh', () => ctx.refresh.now()),
    vscode.commands.registerCommand('flightdeck.showLogs', () => ctx.log.show()),
    // A URL given as an argument (a link, another extension) is only offered: the user confirms it,
    // because the URL in the user's settings is one FLIGHTDECK_TOKEN may be sent to.
    vscode.commands.registerCommand('flightdeck.connect', async (url?: unknown) => {
      const target = await vscode.window.showInputBox({
        title: 'Flightdeck: Connect to Server',
        prompt: 'URL of a Flightdeck release server',
        placeHolder: 'http://127.0.0.1:7700',
        value: typeof url === 'string' ? url : readConfig().serverUrl ?? '',
        ignoreFocusOut: true,
        validateInput: validateServerUrl,
      });
      if (!target) return;
      await clearGitHubKind();
      await setServerUrl(target.trim());
    }),
    vscode.commands.registerCommand('flightdeck.useEmbedded', async () => {
      await clearGitHubKind();
      await setServerUrl('');
      if (process.env.FLIGHTDECK_SERVER) {
        void vscode.window.showWarningMessage('FLIGHTDECK_SERVER is set in this window\'s environment, so Flightdeck keeps using it. Unset it to use the embedded server.');
      }
    }),
    // Never takes the token as an argument: a `command:` link in trusted markdown, or another extension,
    // could otherwise store a token of its choosing. The user types it, always.
    vscode.commands.registerCommand('flightdeck.signIn', async () => {
      if (readConfig().serverKind === 'github') return signInToGitHub(ctx);
      const url = readConfig().serverUrl;
      if (!url) {
        void vscode.window.showInformationMessage('The embedded server needs no sign-in. Connect to a server first.', 'Connect to Server…').then((choice) => {
          if (choice) void vscode.commands.executeCommand('flightdeck.connect');
        });
        return;
      }
      const value = await vscode.window.showInputBox({
        title: `Flightdeck: Sign In to ${originOf(url)}`,
        prompt: 'An API token for this server (create one with `flightdeck token create`). It is kept in VS Code\'s secret storage.',
        password: true,
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim().length < 8 ? 'That is too short to be a token.' : undefined),
      });
      if (!value) return undefined;
      return signInWithToken(ctx.sessions, url, value.trim());
    }),
    vscode.commands.registerCommand('flightdeck.signOut', async () => {
      if (readConfig().serverKind === 'github') {
        // The session is VS Code's (or the environment's): signing out of it is the Accounts menu's job.
        void vscode.window.showInformationMessage('Flightdeck uses the GitHub account VS Code is signed in to (or GITHUB_TOKEN): sign out of it from the Accounts menu.');
        return;
      }
      const url = readConfig().serverUrl;
      if (!url) return;
      await ctx.sessions.signOut(url);
      void vscode.window.showInformationMessage(`Signed out of ${originOf(url)}.`);
    }),
  ];
}

/** Only when the user asks: VS Code's GitHub sign-in, which may open the browser. */
async function signInToGitHub(ctx: CommandContext): Promise<void> {
  try {
    const found = await ctx.githubAuth.signIn();
    ctx.sessions.reset('signed in to GitHub');
    if (found?.account) void vscode.window.showInformationMessage(`Flightdeck reads GitHub Deployments as ${found.account}.`);
  } catch (error) {
    ctx.log.warn(`GitHub sign-in: ${describeError(error)}`);
    void vscode.window.showWarningMessage(`Not signed in to GitHub: ${describeError(error)}. Flightdeck also uses GITHUB_TOKEN or GH_TOKEN from VS Code's environment.`);
  }
}

/**
 * Keeps a token the user typed for `url`, once the server has accepted it (a mistyped token must not
 * replace a good one, nor "sign in" silently), and says as whom. The caller is the one that asked the
 * user; the VS Code tier calls it directly, as it cannot type into an input box.
 */
export async function signInWithToken(sessions: SessionManager, url: string, token: string): Promise<Caller | undefined> {
  const check = readConfig().serverKind === 'flightdeck' ? await checkToken(url, token) : { kind: 'unchecked' as const };
  if (check.kind === 'refused') {
    void vscode.window.showErrorMessage(`${originOf(url)} refused this token (${check.reason}). Nothing was saved.`, 'Sign In Again').then((choice) => {
      if (choice) void vscode.commands.executeCommand('flightdeck.signIn');
    });
    return undefined;
  }
  await sessions.signIn(url, token);
  const as = check.kind === 'accepted' ? ` as ${check.caller.name} (${check.caller.role})` : '';
  const unchecked = check.kind === 'unreachable' ? ` The token could not be checked: ${check.reason}.` : '';
  void vscode.window.showInformationMessage(`Signed in to ${originOf(url)}${as}.${unchecked}`);
  return check.kind === 'accepted' ? check.caller : undefined;
}

function validateServerUrl(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'Use an http:// or https:// URL.';
  } catch {
    return 'That is not a URL.';
  }
}

/**
 * Copy Candidate / Copy Commit on an environment or deployment node (or `{ text }` from code).
 * `flightdeck.copyVersion` is the command's former id, kept registered for keybindings that name it.
 */
export function registerCopyCommands(): vscode.Disposable[] {
  const copy = (pick: (d: { release_candidate_version: string; commit: string }) => string, what: string) => async (node: unknown) => {
    const deployment = deploymentOf(node);
    if (!deployment) {
      void vscode.window.showInformationMessage(`Choose an environment or deployment in the Releases view to copy its ${what}.`);
      return;
    }
    const text = pick(deployment);
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(`Copied ${what} ${text.slice(0, 12)}`, 3000);
  };
  const copyCandidate = copy((d) => d.release_candidate_version, 'candidate');
  return [
    vscode.commands.registerCommand('flightdeck.copyCandidate', copyCandidate),
    vscode.commands.registerCommand('flightdeck.copyVersion', copyCandidate),
    vscode.commands.registerCommand('flightdeck.copyCommit', copy((d) => d.commit, 'commit')),
  ];
}

function deploymentOf(node: unknown): { release_candidate_version: string; commit: string } | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const n = node as { kind?: unknown; deployment?: { release_candidate_version: string; commit: string }; environment?: { current: { release_candidate_version: string; commit: string } | null } };
  if (n.kind === 'deployment') return n.deployment;
  if (n.kind === 'environment') return n.environment?.current ?? undefined;
  return undefined;
}

type TokenCheck =
  | { kind: 'accepted'; caller: Caller }
  | { kind: 'refused'; reason: string }
  /** The server could not be asked (offline, or older than `GET /api/whoami`): kept, and said so. */
  | { kind: 'unreachable'; reason: string }
  | { kind: 'unchecked' };

async function checkToken(url: string, token: string): Promise<TokenCheck> {
  try {
    return { kind: 'accepted', caller: await new FlightdeckHttpBackend({ baseUrl: url, token }).whoami() };
  } catch (error) {
    if (error instanceof BackendError && error.kind === 'unauthorized') return { kind: 'refused', reason: error.message };
    return { kind: 'unreachable', reason: describeError(error) };
  }
}
