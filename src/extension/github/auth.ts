// The token for the GitHub backend, the way VS Code users expect: the account VS Code is signed in to
// (its built-in GitHub authentication, asked silently, so Flightdeck never prompts by itself), else
// GITHUB_TOKEN / GH_TOKEN from the extension host's environment. Only the Sign In command asks VS Code to
// create a session. The token lives in VS Code's authentication store or the environment, never in
// settings, and the logger is told it so it is redacted from every line.
import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import { readGitHubEnterpriseUri } from '../config';
import type { Logger } from '../log';
import { authProviderFor, environmentToken } from './tokenSource';

/** The scope the Deployments, Environments and Actions (pending deployments) APIs need on private repositories. */
export const GITHUB_SCOPES: readonly string[] = ['repo'];
/** An unregistered provider (an Enterprise one nobody configured) may never answer a silent request. */
const SILENT_SESSION_TIMEOUT_MS = 5000;

export { authProviderFor, environmentToken } from './tokenSource';

export type GitHubTokenSource = 'vscode' | 'env' | 'none';

export interface GitHubToken {
  token: string | undefined;
  source: GitHubTokenSource;
  /** The signed-in account's label (VS Code sessions only), for messages. */
  account?: string;
}

export class GitHubAuth implements vscode.Disposable {
  private cached: Promise<GitHubToken> | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  /** Signed in or out of GitHub in VS Code: the session must start over with the new token. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    private readonly apiUrl: () => string,
    private readonly log: Logger,
    /** Each token found is handed here, so the logger redacts it. */
    private readonly remember: (secret: string) => void,
  ) {
    this.subscription = vscode.authentication.onDidChangeSessions((event) => {
      if (event.provider.id !== this.provider()) return;
      this.cached = undefined;
      this.changeEmitter.fire();
    });
  }

  /** The token to use now; never prompts. Cached until the sessions change or `forget()`. */
  current(): Promise<GitHubToken> {
    this.cached ??= this.find();
    return this.cached;
  }

  /** Settings changed (another API URL): look again on the next request. */
  forget(): void {
    this.cached = undefined;
  }

  /** What the Sign In command does for the GitHub backend: asks VS Code, which may show its sign-in flow. */
  async signIn(): Promise<GitHubToken | undefined> {
    const provider = this.provider();
    if (!provider) {
      throw new Error(`VS Code's GitHub Enterprise sign-in is not set up for ${this.apiUrl()} (the setting github-enterprise.uri names its server)`);
    }
    const session = await vscode.authentication.getSession(provider, GITHUB_SCOPES, { createIfNone: true });
    this.remember(session.accessToken);
    this.cached = Promise.resolve({ token: session.accessToken, source: 'vscode', account: session.account.label });
    return this.cached;
  }

  /** VS Code's provider whose session may go to the API URL, if any. */
  private provider(): 'github' | 'github-enterprise' | undefined {
    return authProviderFor(this.apiUrl(), readGitHubEnterpriseUri());
  }

  private async find(): Promise<GitHubToken> {
    const provider = this.provider();
    try {
      const session = provider && await withTimeout(vscode.authentication.getSession(provider, GITHUB_SCOPES, { silent: true }), SILENT_SESSION_TIMEOUT_MS);
      if (session) {
        this.remember(session.accessToken);
        this.log.info(`GitHub: using the account ${session.account.label} that VS Code is signed in to`);
        return { token: session.accessToken, source: 'vscode', account: session.account.label };
      }
    } catch (error) {
      this.log.info(`GitHub: no VS Code session from ${provider} (${describeError(error)})`);
    }
    const token = environmentToken();
    if (token) {
      this.remember(token);
      this.log.info('GitHub: using the token from GITHUB_TOKEN / GH_TOKEN');
      return { token, source: 'env' };
    }
    this.log.info('GitHub: no token (sign in with Flightdeck: Sign In, or set GITHUB_TOKEN); public repositories only');
    return { token: undefined, source: 'none' };
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}

function withTimeout<T>(promise: Thenable<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    }, (error: unknown) => {
      clearTimeout(timer);
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}
