// Shared setup for the engine suites: real servers (test/unit/helpers/server.ts), projects whose
// environments run small Node scripts written into a temp dir (run with process.execPath, no shell),
// and waiting for deployments to reach a state.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Deployment, Project, type EnvironmentSpecInput } from '../../../src/api/schemas';
import type { QuietLookWait } from '../../../src/server/engine/looks';
import type { EngineTask, EngineTaskKind } from '../../../src/server/store';
import { after, before } from 'node:test';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server';

export function commitFor(n: number): string {
  return n.toString(16).padStart(40, 'e');
}

export function tempDir(prefix = 'flightdeck-engine-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A deploy script: appends one JSON line per call to `log` (what it was asked to do), writes to stderr,
 * and exits with the code in the file `<log>.exit` when that file exists (0 otherwise). When
 * `<log>.sleep` holds a number, it sleeps that many ms first. As it starts it writes its pid to
 * `<log>.pid.<percent>.<attempt>`.
 */
export function writeDeployScript(dir: string): string {
  const file = path.join(dir, 'deploy.js');
  fs.writeFileSync(file, `
const fs = require('node:fs');
const log = process.argv[2];
const e = process.env;
const record = { version: e.FLIGHTDECK_VERSION, percent: Number(e.FLIGHTDECK_PERCENT), project: e.FLIGHTDECK_PROJECT,
  environment: e.FLIGHTDECK_ENVIRONMENT, commit: e.FLIGHTDECK_COMMIT, id: e.FLIGHTDECK_DEPLOYMENT_ID,
  attempt: Number(e.FLIGHTDECK_ATTEMPT), cwd: process.cwd(), at: Date.now() };
fs.writeFileSync(log + '.pid.' + record.percent + '.' + record.attempt, String(process.pid));
const sleep = fs.existsSync(log + '.sleep') ? Number(fs.readFileSync(log + '.sleep', 'utf8')) : 0;
setTimeout(() => {
  fs.appendFileSync(log, JSON.stringify(record) + '\\n');
  const code = fs.existsSync(log + '.exit') ? Number(fs.readFileSync(log + '.exit', 'utf8')) : 0;
  if (code !== 0) {
    for (let i = 1; i <= 30; i++) process.stderr.write('noise line ' + i + '\\n');
    process.stderr.write('deploy of ' + record.version + ' failed: database migration 42 did not apply\\n');
  }
  process.exit(code);
}, sleep);
`);
  return file;
}

/** `<percent>.<attempt>` of every start of the deploy script that logs to `log`, sorted by percent then attempt. */
export function commandStarts(log: string): string[] {
  const prefix = `${path.basename(log)}.pid.`;
  return fs.readdirSync(path.dirname(log)).filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Removes the start marks of the deploy script that logs to `log` (before a run whose start a test waits for). */
export function forgetCommandStarts(log: string): void {
  for (const start of commandStarts(log)) fs.rmSync(`${log}.pid.${start}`);
}

/** Waits until the deploy script (logging to `log`) has started for this percent and attempt; returns its pid. */
export function waitForCommandStart(log: string, percent: number, attempt = 1): Promise<number> {
  const mark = `${log}.pid.${percent}.${attempt}`;
  return waitFor(`the deploy command for ${percent}% (attempt ${attempt}) to start`, async () => {
    const text = fs.existsSync(mark) ? fs.readFileSync(mark, 'utf8') : '';
    return text ? Number(text) : undefined;
  });
}

export interface DeployCall {
  version: string;
  percent: number;
  project: string;
  environment: string;
  commit: string;
  id: string;
  attempt: number;
  cwd: string;
  at: number;
}

export function readCalls(log: string): DeployCall[] {
  if (!fs.existsSync(log)) return [];
  return fs.readFileSync(log, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as DeployCall);
}

export function commandDeploy(script: string, log: string, extra: Record<string, unknown> = {}): EnvironmentSpecInput['deploy'] {
  return { type: 'command', command: process.execPath, url: null, args: [script, log], ...extra };
}

/** Creates a project of the given environments and candidates 1.0.0-rc1 … rcN; returns its name. */
export async function createProject(server: TestServer, environments: EnvironmentSpecInput[], candidates = 3): Promise<string> {
  const name = `eng-${randomBytes(4).toString('hex')}`;
  const put = await server.request('PUT', `/api/releases/${name}`, { repo: 'acme/engine', environments });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  Project.parse(put.body);
  for (let rc = 1; rc <= candidates; rc++) {
    const created = await server.request('POST', `/api/releases/${name}/releases/1.0.0-rc${rc}`, { commit: commitFor(rc) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
  return name;
}

export async function deploy(server: TestServer, project: string, environment: string, rc: string): Promise<Deployment> {
  const response = await server.request('POST', `/api/releases/${project}/environments/${environment}/deployments`, { release_candidate_version: rc });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return Deployment.parse(response.body);
}

export async function getDeployment(server: TestServer, project: string, id: string): Promise<Deployment> {
  const response = await server.request('GET', `/api/releases/${project}/deployments/${id}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return Deployment.parse(response.body);
}

export async function deployments(server: TestServer, project: string, environment: string): Promise<Deployment[]> {
  const response = await server.request('GET', `/api/releases/${project}/environments/${environment}/deployments?per_page=100`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return (response.body as unknown[]).map((d) => Deployment.parse(d));
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function waitForStatus(server: TestServer, project: string, id: string, statuses: readonly string[], timeoutMs?: number): Promise<Deployment> {
  return waitFor(`deployment ${id} to be ${statuses.join(' or ')}`, async () => {
    const d = await getDeployment(server, project, id);
    return statuses.includes(d.status) ? d : undefined;
  }, timeoutMs);
}

/** Makes `rc` current in `environment` through the engine (deploy, then wait for success). */
export async function deploySuccessfully(server: TestServer, project: string, environment: string, rc: string): Promise<Deployment> {
  const d = await deploy(server, project, environment, rc);
  const done = await waitForStatus(server, project, d.id, ['success', 'failure', 'error']);
  assert.equal(done.status, 'success', done.error_message ?? '');
  return done;
}

/**
 * Resolves after the engine's next quiet look (src/server/engine/looks.ts): everything that was due when it
 * began has happened, so what has not happened by then will not. How a test shows "nothing more happens".
 */
export async function quietLook(server: TestServer, options: QuietLookWait = {}, timeoutMs = 20_000): Promise<void> {
  const engine = server.engine;
  assert.ok(engine, 'the server runs an engine');
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      engine.nextQuietLook(options),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the engine had no quiet look within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The engine's task of that kind for a deployment, as the database holds it. */
export function engineTask(server: TestServer, deploymentId: string, kind: EngineTaskKind): Promise<EngineTask | undefined> {
  return server.service.store.write((w) => w.engine.lockTask(deploymentId, kind));
}

/** A tiny HTTP health endpoint whose answer the test sets. */
export interface HealthServer {
  url: string;
  status: number;
  hits: number;
  close(): Promise<void>;
}

export async function startHealthServer(): Promise<HealthServer> {
  const state = { status: 200, hits: 0 };
  const server = http.createServer((_request, response) => {
    state.hits++;
    response.writeHead(state.status, { 'content-type': 'text/plain', connection: 'close' });
    response.end(state.status === 200 ? 'ok' : 'broken');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/health`,
    get status() { return state.status; },
    set status(value: number) { state.status = value; },
    get hits() { return state.hits; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  } as HealthServer;
}

/** What an engine suite runs against: a real server, a temp dir holding the deploy script, a health endpoint. */
export interface EngineRig {
  server: TestServer;
  dir: string;
  script: string;
  health: HealthServer;
}

/** An EngineRig started before the enclosing suite and closed after it; its fields are set once `before` ran. */
export function useEngineRig(options: TestServerOptions): EngineRig {
  const rig = {} as EngineRig;
  before(async () => {
    rig.server = await startTestServer(options);
    rig.dir = tempDir();
    rig.script = writeDeployScript(rig.dir);
    rig.health = await startHealthServer();
  });
  after(async () => {
    await rig.health.close();
    await rig.server.close();
    fs.rmSync(rig.dir, { recursive: true, force: true });
  });
  return rig;
}
