// The backend session: which server, which token, and the live event stream. Everything a session holds
// dies with it when the URL changes, the user signs in or out, or the embedded server restarts.
import * as vscode from 'vscode';
import type { ReleaseEvent } from '../api/schemas';
import type { ReleaseBackend } from '../client/backend';
import { openEventStream, type EventStream, type StreamState } from '../client/events';
import { FlightdeckHttpBackend } from '../client/http';
import { readConfig } from './config';
import type { EmbeddedServer } from './embeddedServer';
import type { Logger } from './log';

const TOKEN_KEY_PREFIX = 'flightdeck.token:';

export interface ActiveSession {
  backend: ReleaseBackend;
  embedded: boolean;
  /** Kept for the event stream, which does not go through axios. */
  token: string | undefined;
  /** Where the token came from, for the sign-in prompts. */
  tokenSource: 'secret' | 'env' | 'embedded' | 'none';
}

export class SessionManager implements vscode.Disposable {
  private current: ActiveSession | undefined;
  private connecting: Promise<ActiveSession> | undefined;
  private stream: EventStream | undefined;
  private generation = 0;
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly eventEmitter = new vscode.EventEmitter<ReleaseEvent>();
  private readonly streamStateEmitter = new vscode.EventEmitter<StreamState>();
  /** A new session replaced the old one: drop cached data, refetch. */
  readonly onDidChangeSession = this.changeEmitter.event;
  readonly onDidReceiveEvent = this.eventEmitter.event;
  readonly onDidChangeStreamState = this.streamStateEmitter.event;
  streamState: StreamState = 'closed';

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly embedded: EmbeddedServer,
    private readonly log: Logger,
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
    if (config.serverUrl) {
      const stored = await this.secrets.get(TOKEN_KEY_PREFIX + originOf(config.serverUrl));
      const fromEnv = process.env.FLIGHTDECK_TOKEN || undefined;
      const token = stored ?? fromEnv;
      this.log.info(`Connecting to ${config.serverUrl} (${config.serverKind})`);
      return {
        backend: new FlightdeckHttpBackend({ baseUrl: config.serverUrl, token }),
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

  private openStream(session: ActiveSession): void {
    if (!session.backend.capabilities.events) return;
    this.stream = openEventStream({
      baseUrl: session.backend.baseUrl,
      token: session.token,
      onEvent: (event) => this.eventEmitter.fire(event),
      onState: (state, detail) => {
        this.streamState = state;
        if (state === 'reconnecting' && detail) this.log.info(`Event stream: ${detail}; reconnecting`);
        this.streamStateEmitter.fire(state);
      },
    });
  }

  async signIn(serverUrl: string, token: string): Promise<void> {
    await this.secrets.store(TOKEN_KEY_PREFIX + originOf(serverUrl), token);
    this.reset('signed in');
  }

  async signOut(serverUrl: string): Promise<void> {
    await this.secrets.delete(TOKEN_KEY_PREFIX + originOf(serverUrl));
    this.reset('signed out');
  }

  dispose(): void {
    this.stream?.close();
    this.changeEmitter.dispose();
    this.eventEmitter.dispose();
    this.streamStateEmitter.dispose();
  }
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
