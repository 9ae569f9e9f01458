// Starts the real `flightdeck serve` (the built dist/cli.js) on loopback with a fresh PGlite data dir,
// for suites that run inside VS Code. The harness passes FLIGHTDECK_TOKEN (the admin token the server
// accepts) and FLIGHTDECK_REPO_ROOT (where dist/ is) through the extension host's environment.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

export interface RealServer {
  url: string;
  token: string;
  process: ChildProcess;
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export function repoRoot(): string {
  const root = process.env.FLIGHTDECK_REPO_ROOT;
  if (!root) throw new Error('FLIGHTDECK_REPO_ROOT is not set: run the suites through test/vscode/harness/run-suites.mjs');
  return root;
}

export function adminToken(): string {
  const token = process.env.FLIGHTDECK_TOKEN;
  if (!token) throw new Error('FLIGHTDECK_TOKEN is not set: run the suites through test/vscode/harness/run-suites.mjs');
  return token;
}

/** `dataDir`: serve that (prepared) data dir, which stays; default a fresh one, removed on stop. */
export async function startRealServer(options: { dataDir?: string } = {}): Promise<RealServer> {
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-vscode-'));
  const token = adminToken();
  const child = spawn(process.execPath, [path.join(repoRoot(), 'dist', 'cli.js'), 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', FLIGHTDECK_ADMIN_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 60_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line.trim());
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${stderr}`));
    });
  });
  const api = async <T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(url + route, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  return {
    url, token, process: child, api,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => {
        if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
        resolve();
      });
      child.kill('SIGTERM');
    }),
  };
}

export const LADDER = [
  { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
  { name: 'canary', tier: 'production', position: 1, strategy: 'canary' },
  { name: 'rollout', tier: 'production', position: 2, strategy: 'rollout', steps: [{ percent: 10, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }] },
  { name: 'production', tier: 'production', position: 3, strategy: 'standard' },
];

/** A project whose dogfood runs 1.1.0-rc1 and canary 1.0.0-rc1, reported as the pipeline would. */
export async function seedPayments(server: RealServer, name = 'payments'): Promise<void> {
  const check = (r: { status: number; body: unknown }, what: string): void => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  check(await server.api('PUT', `/api/releases/${name}`, { repo: 'acme/payments', description: 'Payments API', environments: LADDER }), 'create project');
  check(await server.api('POST', `/api/releases/${name}/releases/1.0.0-rc1`, { commit: 'a'.repeat(40) }), 'create 1.0.0-rc1');
  check(await server.api('POST', `/api/releases/${name}/releases/1.1.0-rc1`, { commit: 'b'.repeat(40) }), 'create 1.1.0-rc1');
  for (const [env, rc] of [['dogfood', '1.0.0-rc1'], ['canary', '1.0.0-rc1'], ['dogfood', '1.1.0-rc1']] as const) {
    check(await server.api('PATCH', `/api/releases/${name}/environments/${env}/deployments`, { release_candidate_version: rc, status: 'success' }), `report ${env} ${rc}`);
  }
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
