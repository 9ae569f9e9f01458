// The embedded default: with no server URL configured, Flightdeck runs `flightdeck serve` itself on
// 127.0.0.1 with PGlite in the extension's global storage. One VS Code window owns the process; other
// windows find it through a small state file and share it (PGlite allows one process per data dir).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as vscode from 'vscode';
import { clearEmbeddedState, embeddedStateFile, isAlive, readStateFile, writeEmbeddedState } from '../client/embeddedState';
import { isLoopbackHttpUrl } from '../core/origin';
import { exitReason, parseServerLine } from '../core/serverLog';
import type { Logger } from './log';
import { describeError } from '../core/errors';

const ADMIN_TOKEN_KEY = 'flightdeck.embedded.adminToken';
const LISTENING = /^listening on (http:\/\/\S+)$/;

export interface EmbeddedEndpoint {
  url: string;
  token: string;
  /** This window started the process (and stops it on deactivate). */
  owned: boolean;
}

export class EmbeddedServer implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private endpoint: EmbeddedEndpoint | undefined;
  private starting: Promise<EmbeddedEndpoint> | undefined;
  private restarts = 0;
  private disposed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly onDidRestartEmitter = new vscode.EventEmitter<EmbeddedEndpoint>();
  /** Fires when the process died and a new one is up (its port differs). */
  readonly onDidRestart = this.onDidRestartEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Logger,
  ) {}

  get dataDir(): string {
    // FLIGHTDECK_EMBEDDED_DATA_DIR lets `npm start` point the embedded server at a prepared demo.
    return process.env.FLIGHTDECK_EMBEDDED_DATA_DIR || path.join(this.context.globalStorageUri.fsPath, 'data');
  }

  /** `<data dir>.server.json`, and a per-user pointer the CLI reads (src/client/embeddedState). */
  private get stateFile(): string {
    return embeddedStateFile(this.dataDir);
  }

  async adminToken(): Promise<string> {
    let token = await this.context.secrets.get(ADMIN_TOKEN_KEY);
    if (!token) {
      token = `fd_embedded_${randomBytes(24).toString('base64url')}`;
      await this.context.secrets.store(ADMIN_TOKEN_KEY, token);
    }
    return token;
  }

  /** The running embedded server, started (or joined) on first use. */
  ensure(): Promise<EmbeddedEndpoint> {
    if (this.endpoint) return Promise.resolve(this.endpoint);
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<EmbeddedEndpoint> {
    const token = await this.adminToken();
    const shared = await this.findShared(token);
    if (shared) {
      this.log.info(`Using the embedded server another window started at ${shared.url}`);
      this.endpoint = shared;
      return shared;
    }
    fs.mkdirSync(this.dataDir, { recursive: true });
    const cli = this.context.asAbsolutePath(path.join('dist', 'cli.js'));
    this.log.info(`Starting the embedded server (data in ${this.dataDir})`);
    const child = spawn(process.execPath, [cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', this.dataDir], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', FLIGHTDECK_ADMIN_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    // The last lines it printed: when it exits before listening, they say why (a locked data dir …).
    const tail: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the embedded server did not start within 60 s')), 60_000);
      const lines = readline.createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        const match = LISTENING.exec(line.trim());
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        } else {
          this.logServerLine(line, tail);
        }
      });
      readline.createInterface({ input: child.stderr! }).on('line', (line) => this.logServerLine(line, tail));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const reason = exitReason(tail);
        reject(new Error(reason
          ? `the embedded server could not start: ${reason.replace(/\.$/, '')}`
          : `the embedded server exited (${signal ?? `code ${code}`}) before listening`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    this.writeState(url, child.pid ?? 0);
    this.log.info(`Embedded server listening on ${url}`);
    this.restarts = 0;
    this.endpoint = { url, token, owned: true };
    return this.endpoint;
  }

  /** One line of the server's output, at its own level; request logs only at `flightdeck.log.level: debug`. */
  private logServerLine(raw: string, tail: string[]): void {
    if (!raw.trim()) return;
    tail.push(raw);
    if (tail.length > 20) tail.shift();
    const line = parseServerLine(raw);
    this.log[line.level](`[server] ${line.text}`);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.endpoint = undefined;
    if (this.disposed) return;
    const delay = Math.min(30_000, 1000 * 2 ** this.restarts);
    this.restarts += 1;
    this.log.warn(`The embedded server stopped (${signal ?? `code ${code}`}); restarting in ${Math.round(delay / 1000)} s`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.ensure().then(
        (endpoint) => this.onDidRestartEmitter.fire(endpoint),
        (error: unknown) => this.log.error(`Restarting the embedded server failed: ${describeError(error)}`),
      );
    }, delay);
  }

  /** A server started by another window with the same data dir, alive and accepting our token. */
  private async findShared(token: string): Promise<EmbeddedEndpoint | undefined> {
    const state = readStateFile(this.stateFile);
    if (!state || !isAlive(state.pid)) return undefined;
    // Anyone who can write the file could name their own server and be sent the admin token: only the
    // loopback addresses an embedded server listens on are believed.
    if (!isLoopbackHttpUrl(state.url)) {
      this.log.warn(`Ignoring the embedded server state file: ${JSON.stringify(state.url)} is not a loopback http URL`);
      return undefined;
    }
    try {
      const response = await fetch(new URL('/api/releases', state.url), {
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(2000),
      });
      return response.ok ? { url: state.url, token, owned: false } : undefined;
    } catch {
      return undefined;
    }
  }

  private writeState(url: string, pid: number): void {
    try {
      writeEmbeddedState(this.dataDir, url, pid);
    } catch (error) {
      this.log.warn(`Could not record the embedded server's address: ${describeError(error)}`);
    }
  }

  /** Forget a shared server that stopped answering so the next ensure() starts our own. */
  forget(): void {
    if (this.endpoint && !this.endpoint.owned) this.endpoint = undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.endpoint = undefined;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (!child || child.exitCode !== null) return;
    if (child.pid !== undefined) clearEmbeddedState(this.dataDir, child.pid);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  dispose(): void {
    this.disposed = true;
    this.onDidRestartEmitter.dispose();
    void this.stop();
  }
}
