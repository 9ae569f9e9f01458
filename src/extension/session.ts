// The backend session: which server, which token, and the live event stream. Everything a session holds
// dies with it when the URL changes, the user signs in or out, or the embedded server restarts.
import * as vscode from 'vscode';
import type { ReleaseEvent } from '../api/schemas';
import type { ReleaseBackend } from '../client/backend';
import type { StreamStatus } from '../api/protocol';
import { openEventStream, type EventStream } from '../client/events';
import { FlightdeckHttpBackend } from '../client/http';
import { envTokenAppliesTo, envTokenOrigins, originOf, type EnvTokenScope } from '../core/origin';
import { createAviatorBackend, type ProjectConfigSource } from './aviator';
import { readConfig } from './config';
import { createGitHubBackend, type GitHubBackendDeps } from './github';
import type { EmbeddedServer } from './embeddedServer';
import type { Logger } from './log';

const TOKEN_KEY_PREFIX = 'flightdeck.token:';
const TOKEN_ORIGINS_KEY = 'flightdeck.tokenOrigins';

export interface ActiveSession {
  backend: ReleaseBackend;
  embedded: boolean;
  /** Kept for the event stream, which does not go through axios. */
  token: string | undefined;
  /** Where the token came from, for the sign-in prompts (`vscode`: VS Code's GitHub sign-in). */
  tokenSource: 'secret' | 'env' | 'embedded' | 'vscode' | 'none';
}

export class SessionManager implements vscode.Disposable {
  private current: ActiveSession | undefined;
  private connecting: Promise<ActiveSession> | undefined;
  private stream: EventStream | undefined;
  private generation = 0;
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly eventEmitter = new vscode.EventEmitter<ReleaseEvent>();
  private readonly streamStateEmitter = new vscode.EventEmitter<StreamStatus>();
  private readonly streamResetEmitter = new vscode.EventEmitter<void>();
  /** A new session replaced the old one: drop cached data, refetch. */
  readonly onDidChangeSession = this.changeEmitter.event;
  readonly onDidReceiveEvent = this.eventEmitter.event;
  readonly onDidChangeStreamState = this.streamStateEmitter.event;
  /** The stream could not resume where it was (the server's log restarted or was pruned): refetch. */
  readonly onDidResetStream = this.streamResetEmitter.event;
  streamState: StreamStatus = 'closed';

  constructor(
    private readonly secrets: vscode.SecretStorage,
    /** Which server origins have a token in SecretStorage: read synchronously, so that a server with
     * none (the env token or no token) is asked at once, without a secret-storage round trip. */
    private readonly state: vscode.Memento,
    private readonly embedded: EmbeddedServer,
    private readonly log: Logger,
    /** The projects an Aviator backend cannot list: `.flightdeck.json` and the setting. */
    private readonly projectConfig: ProjectConfigSource,
    /** The GitHub backend's token and repositories (`flightdeck.server.kind: github`). */
    private readonly github: Omit<GitHubBackendDeps, 'projectConfig'>,
  ) {}

  /** The session, connecting first if needed. Throws with a readable message when it cannot. */
  get(): Promise<ActiveSession> {
    if (this.current) return Promise.resolve(this.current);
    const generation = this.generation;
    this.connecting ??= this.connect().then((session) => {
      if (generation === this.generation) {
        this.current = session;
        this.openStream(session);
      }
      return session;
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  peek(): ActiveSession | undefined {
    return this.current;
  }

  /** Tear down and start again (settings changed, signed in or out, server restarted). */
  reset(reason: string): void {
    this.log.info(`Reconnecting: ${reason}`);
    this.generation += 1;
    this.stream?.close();
    this.stream = undefined;
    this.current = undefined;
    this.connecting = undefined;
    this.embedded.forget();
    this.changeEmitter.fire();
  }

  private async connect(): Promise<ActiveSession> {
    const config = readConfig();
    if (config.serverKind === 'github' && config.serverUrl) {
      // GitHub Deployments: no embedded server, no event stream; the token comes from VS Code's GitHub
      // sign-in or the environment, asked at each request (a sign-in resets the session anyway).
      this.github.auth.forget();
      const found = await this.github.auth.current();
      // The welcome view says how to sign in when no token is available.
      void vscode.commands.executeCommand('setContext', 'flightdeck.githubToken', found.source);
      this.log.info(`Connecting to GitHub Deployments at ${config.serverUrl}`);
      return {
        backend: createGitHubBackend(config.serverUrl, { ...this.github, projectConfig: this.projectConfig }),
        embedded: false,
        token: undefined,
        tokenSource: found.source,
      };
    }
    if (config.serverUrl) {
      const origin = originOf(config.serverUrl);
      const stored = this.tokenOrigins().includes(origin) ? await this.secrets.get(TOKEN_KEY_PREFIX + origin) : undefined;
      const fromEnv = this.envTokenFor(config.serverUrl, config.envTokenScope);
      const token = stored ?? fromEnv;
      this.log.info(`Connecting to ${config.serverUrl} (${config.serverKind})`);
      return {
        backend: config.serverKind === 'aviator'
          ? createAviatorBackend({ baseUrl: config.serverUrl, token, source: this.projectConfig })
          : new FlightdeckHttpBackend({ baseUrl: config.serverUrl, token }),
        embedded: false,
        token,
        tokenSource: stored ? 'secret' : fromEnv ? 'env' : 'none',
      };
    }
    const endpoint = await this.embedded.ensure();
    return {
      backend: new FlightdeckHttpBackend({ baseUrl: endpoint.url, token: endpoint.token }),
      embedded: true,
      token: endpoint.token,
      tokenSource: 'embedded',
    };
  }

  /** FLIGHTDECK_TOKEN, when it may go to this server's origin (core/origin.ts says which). */
  private envTokenFor(serverUrl: string, scope: EnvTokenScope): string | undefined {
    const token = process.env.FLIGHTDECK_TOKEN || undefined;
    if (!token || envTokenAppliesTo(serverUrl, scope)) return token;
    const origins = envTokenOrigins(scope);
    this.log.warn(`FLIGHTDECK_TOKEN is not sent to ${originOf(serverUrl)}: it goes only to ${origins.length > 0 ? origins.join(', ') : 'no server'} `
      + '(FLIGHTDECK_TOKEN_ORIGIN, else FLIGHTDECK_SERVER and flightdeck.server.url in your user settings). Sign in to use this server.');
    return undefined;
  }

  private openStream(session: ActiveSession): void {
    if (!session.backend.capabilities.events) return;
    this.stream = openEventStream({
      baseUrl: session.backend.baseUrl,
      token: session.token,
      onEvent: (event) => this.eventEmitter.fire(event),
      onReset: (head, reason) => {
        this.log.info(`Event stream: the server could not resume (${reason}); refetching from event ${head}`);
        this.streamResetEmitter.fire();
      },
      onState: (state, detail) => {
        this.streamState = state;
        if (state === 'reconnecting' && detail) this.log.info(`Event stream: ${detail}; reconnecting`);
        this.streamStateEmitter.fire(state);
      },
    });
  }

  private tokenOrigins(): string[] {
    return this.state.get<string[]>(TOKEN_ORIGINS_KEY, []);
  }

  async signIn(serverUrl: string, token: string): Promise<void> {
    const origin = originOf(serverUrl);
    await this.secrets.store(TOKEN_KEY_PREFIX + origin, token);
    await this.state.update(TOKEN_ORIGINS_KEY, [...new Set([...this.tokenOrigins(), origin])]);
    this.reset('signed in');
  }

  async signOut(serverUrl: string): Promise<void> {
    const origin = originOf(serverUrl);
    await this.secrets.delete(TOKEN_KEY_PREFIX + origin);
    await this.state.update(TOKEN_ORIGINS_KEY, this.tokenOrigins().filter((o) => o !== origin));
    this.reset('signed out');
  }

  dispose(): void {
    this.stream?.close();
    this.changeEmitter.dispose();
    this.eventEmitter.dispose();
    this.streamStateEmitter.dispose();
    this.streamResetEmitter.dispose();
  }
}

/** Stored tokens are kept per origin; re-exported for the commands that name it to the user. */
export { originOf };
