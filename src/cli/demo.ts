// `flightdeck demo`: prepares a demo that `npm start` opens — a git repository with a believable history
// and a release server data dir whose `payments` project walks that history through dogfood → canary →
// rollout → production. The environments deploy through REAL scripts generated into the demo dir (run
// with this Node, no shell): each writes the live version to a file and keeps a tiny HTTP service on
// loopback running, whose /health the server's health checks hit. The data is prepared while no other
// server runs and left with a rollout in flight, which the engine of the server that opens the data dir
// next (the extension's embedded one) resumes.
//
// To show an automatic rollback: `touch <demo dir>/break-canary` makes the canary service unhealthy;
// while a canary deployment is watched (deploying, or up to 10 minutes after it went live) three failed
// checks in a row fail it and roll canary back. The rollback's deploy clears the file.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment, EnvironmentSpecInput, ProjectSpecInput } from '../api/schemas';
import { VERSION } from '../api/version';
import { FlightdeckHttpBackend } from '../client/http';
import { createDemoRepository } from '../git/demoRepository';
import { startServer } from '../server';
import { optionString, parseArgs } from './args';
import type { CliIo } from './remote';

export const DEMO_PROJECT = 'payments';
export const DEMO_ENVIRONMENTS = ['dogfood', 'canary', 'rollout', 'production'] as const;
type DemoEnvironment = (typeof DEMO_ENVIRONMENTS)[number];

/** The rollout's steps in the demo: short soaks, so it moves while you watch. */
export const DEMO_ROLLOUT_STEPS = [
  { percent: 1, soak_seconds: 30 }, { percent: 10, soak_seconds: 40 }, { percent: 50, soak_seconds: 40 }, { percent: 100, soak_seconds: 0 },
];
/** The canary promotes itself to rollout this long after it went live (and was seen healthy). */
export const DEMO_CANARY_AUTO_PROMOTE_SECONDS = 120;

/** Where the demo keeps its scripts, the services' state and the break files: beside the data dir. */
export function demoDirectories(dataDir: string): { base: string; runtime: string } {
  const base = path.dirname(dataDir);
  return { base, runtime: path.join(base, 'deploy') };
}

/** The ladder: `final` is what the user sees; otherwise the quick one used to replay the history. */
export function demoLadder(runtime: string, ports: Readonly<Record<DemoEnvironment, number>>, final: boolean): ProjectSpecInput {
  const deployJs = path.join(runtime, 'deploy.js');
  const env = (name: DemoEnvironment, position: number, rest: Partial<EnvironmentSpecInput>): EnvironmentSpecInput => ({
    name, position, tier: name === 'dogfood' ? 'development' : 'production', strategy: 'standard',
    deploy: { type: 'command', command: process.execPath, url: null, args: [deployJs, name, String(ports[name])], timeout_seconds: 60 },
    ...(final ? { health_check: { url: `http://127.0.0.1:${ports[name]}/health`, command: null, interval_seconds: 3, failure_threshold: 3, timeout_seconds: 2 } } : {}),
    ...rest,
  });
  return {
    repo: 'acme/payments',
    description: 'Charges, refunds and webhooks (Flightdeck demo: real deploy scripts and health checks on 127.0.0.1)',
    environments: [
      env('dogfood', 0, { strategy: 'dogfood' }),
      env('canary', 1, { strategy: 'canary', ...(final ? { auto_promote: { to: 'rollout', after_seconds: DEMO_CANARY_AUTO_PROMOTE_SECONDS } } : {}) }),
      env('rollout', 2, { strategy: 'rollout', steps: final ? DEMO_ROLLOUT_STEPS : DEMO_ROLLOUT_STEPS.map((s) => ({ ...s, soak_seconds: 0 })) }),
      env('production', 3, {}),
    ],
  };
}

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: ['data-dir', 'repo-dir'], flags: ['reset'] });
  const base = path.join(os.homedir(), '.flightdeck', 'demo');
  const dataDir = path.resolve(optionString(args, 'data-dir') ?? path.join(base, 'data'));
  const repoDir = path.resolve(optionString(args, 'repo-dir') ?? path.join(base, 'payments'));
  const { runtime } = demoDirectories(dataDir);
  if (args.options.has('reset')) {
    stopServices(runtime);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(repoDir, { recursive: true, force: true });
    fs.rmSync(runtime, { recursive: true, force: true });
  }
  if (fs.existsSync(path.join(repoDir, '.git')) && fs.existsSync(dataDir) && fs.existsSync(path.join(runtime, 'ports.json'))) {
    // The services do not outlive a reboot: start again those that are not answering.
    await ensureServices(runtime);
    io.stdout(`The demo is ready: repository ${repoDir}, data ${dataDir} (--reset starts it again)\n`);
    return 0;
  }
  stopServices(runtime);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(repoDir, { recursive: true, force: true });
  fs.rmSync(runtime, { recursive: true, force: true });
  const weeksAgo = Math.floor(Date.now() / 1000) - 21 * 24 * 3600;
  const candidates = createDemoRepository(repoDir, weeksAgo);
  const ports = await writeRuntime(runtime);
  const adminToken = randomBytes(24).toString('base64url');

  // 1. The old history, as a pipeline reported it (endpoint 3): no engine, nothing runs.
  let server = await startServer({ host: '127.0.0.1', port: 0, dataDir, adminToken, version: VERSION, logLevel: 'warn', engine: false });
  try {
    const api = new FlightdeckHttpBackend({ baseUrl: server.url, token: adminToken });
    const quiet = demoLadder(runtime, ports, false);
    await api.putProject(DEMO_PROJECT, { ...quiet, environments: quiet.environments.map((e) => ({ ...e, deploy: { type: 'none', command: null, url: null } })) });
    for (const c of candidates) await createCandidate(server.url, adminToken, c.release_candidate_version, c.commit);
    await reportHistory(server.url, adminToken);
  } finally {
    await server.close();
  }

  // 2. The recent history through the engine and the real scripts, then a rollout left in flight.
  server = await startServer({ host: '127.0.0.1', port: 0, dataDir, adminToken, version: VERSION, logLevel: 'warn', engine: { pollMs: 50 } });
  try {
    const api = new FlightdeckHttpBackend({ baseUrl: server.url, token: adminToken });
    await api.putProject(DEMO_PROJECT, demoLadder(runtime, ports, false));
    const run = new Runner(server.url, adminToken);
    await run.deploy('dogfood', '1.2.0-rc1');
    for (const env of ['canary', 'rollout', 'production'] as const) await run.promote(env);
    await run.deploy('dogfood', '1.3.0-rc1');
    await run.promote('canary');
    await run.deploy('dogfood', '1.3.1-rc1');
    await api.putProject(DEMO_PROJECT, demoLadder(runtime, ports, true));
    // From canary (1.3.0-rc1): the first step goes live, then the server stops mid-soak.
    const rolling = await run.start('rollout', { from_environment: 'canary' });
    await run.until(rolling.id, (d) => d.rollout?.percent === DEMO_ROLLOUT_STEPS[0]?.percent);
  } finally {
    await server.close();
  }
  io.stdout(`Demo repository: ${repoDir}\nDemo data:       ${dataDir}\nDemo services:   ${runtime} (break the canary: touch ${path.join(path.dirname(dataDir), 'break-canary')})\n`);
  return 0;
}

async function createCandidate(url: string, token: string, version: string, commit: string): Promise<void> {
  const response = await fetch(`${url}/api/releases/${DEMO_PROJECT}/releases/${version}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ commit, repo: 'acme/payments' }),
  });
  if (!response.ok) throw new Error(`creating ${version} failed: ${response.status} ${await response.text()}`);
}

/** The oldest releases, reported the way a pipeline does (endpoint 3). */
async function reportHistory(url: string, token: string): Promise<void> {
  const report = async (environment: string, version: string, status: string, error?: string): Promise<void> => {
    const response = await fetch(`${url}/api/releases/${DEMO_PROJECT}/environments/${environment}/deployments`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ release_candidate_version: version, status, ...(error ? { error_message: error } : {}) }),
    });
    if (!response.ok) throw new Error(`reporting ${environment} ${version} ${status} failed: ${response.status} ${await response.text()}`);
  };
  const ship = async (environment: string, version: string): Promise<void> => {
    await report(environment, version, 'in_progress');
    await report(environment, version, 'success');
  };
  for (const env of DEMO_ENVIRONMENTS) await ship(env, '1.0.0-rc1');
  await ship('dogfood', '1.1.0-rc1');
  await ship('canary', '1.1.0-rc1');
  await report('rollout', '1.1.0-rc1', 'in_progress');
  await report('rollout', '1.1.0-rc1', 'failure', 'error rate 4.2% above the 1% threshold at 10% traffic');
  for (const env of DEMO_ENVIRONMENTS) await ship(env, '1.1.0-rc2');
}

/** Deploys and promotes through the API and waits for the engine to finish each. */
class Runner {
  constructor(private readonly url: string, private readonly token: string) {}

  private async post(pathname: string, body: unknown): Promise<Deployment> {
    const response = await fetch(`${this.url}${pathname}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${pathname} failed: ${response.status} ${await response.text()}`);
    return (await response.json()) as Deployment;
  }

  start(environment: DemoEnvironment, body: { from_environment?: string } = {}): Promise<Deployment> {
    return this.post(`/api/releases/${DEMO_PROJECT}/environments/${environment}/promote`, body);
  }

  async until(id: string, done: (d: Deployment) => boolean, timeoutMs = 60_000): Promise<Deployment> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await fetch(`${this.url}/api/releases/${DEMO_PROJECT}/deployments/${id}`, { headers: { Authorization: `Bearer ${this.token}` } });
      const d = (await response.json()) as Deployment;
      if (d.status === 'failure' || d.status === 'error') throw new Error(`demo deployment ${id} (${d.environment_name}) ended ${d.status}: ${d.error_message ?? ''}`);
      if (done(d)) return d;
      if (Date.now() > deadline) throw new Error(`demo deployment ${id} (${d.environment_name}) did not finish: ${d.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async deploy(environment: DemoEnvironment, version: string): Promise<void> {
    const d = await this.post(`/api/releases/${DEMO_PROJECT}/environments/${environment}/deployments`, { release_candidate_version: version });
    await this.until(d.id, (x) => x.status === 'success');
  }

  async promote(environment: DemoEnvironment): Promise<void> {
    const d = await this.start(environment);
    await this.until(d.id, (x) => x.status === 'success');
  }
}

// ── the demo's deploy script and services ────────────────────────────────────────────────────────

/** Writes deploy.js and service.js, picks a free loopback port per environment; returns the ports. */
async function writeRuntime(runtime: string): Promise<Record<DemoEnvironment, number>> {
  fs.mkdirSync(runtime, { recursive: true });
  fs.writeFileSync(path.join(runtime, 'deploy.js'), DEPLOY_JS);
  fs.writeFileSync(path.join(runtime, 'service.js'), SERVICE_JS);
  const ports = {} as Record<DemoEnvironment, number>;
  for (const env of DEMO_ENVIRONMENTS) ports[env] = await freePort();
  fs.writeFileSync(path.join(runtime, 'ports.json'), `${JSON.stringify(ports, null, 2)}\n`);
  return ports;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the service of every environment that has a live version but does not answer. */
async function ensureServices(runtime: string): Promise<void> {
  let ports: Record<string, number>;
  try {
    ports = JSON.parse(fs.readFileSync(path.join(runtime, 'ports.json'), 'utf8')) as Record<string, number>;
  } catch {
    return;
  }
  for (const [env, port] of Object.entries(ports)) {
    if (!fs.existsSync(path.join(runtime, `${env}.version`)) || await answers(port)) continue;
    const child = spawn(process.execPath, [path.join(runtime, 'service.js'), env, String(port)], { detached: true, stdio: 'ignore' });
    child.unref();
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

/** Stops the services a previous demo started (their pids are in <env>.pid). */
function stopServices(runtime: string): void {
  if (!fs.existsSync(runtime)) return;
  for (const name of fs.readdirSync(runtime)) {
    if (!name.endsWith('.pid')) continue;
    const pid = Number(fs.readFileSync(path.join(runtime, name), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) {
      try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
    }
  }
}

/** The deploy executor of every demo environment: `node deploy.js <env> <port>`, FLIGHTDECK_* in its environment. */
const DEPLOY_JS = `// Flightdeck demo deploy script (generated by \`flightdeck demo\`): makes FLIGHTDECK_VERSION live in one
// environment — writes it to <env>.version, which the environment's service reads on every request —
// and (re)starts that service on 127.0.0.1:<port> when it is not answering.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');

const [env, port] = process.argv.slice(2);
const e = process.env;
const here = __dirname;
const percent = Number(e.FLIGHTDECK_PERCENT || '100');
const line = (text) => fs.appendFileSync(path.join(here, env + '.log'), new Date().toISOString() + ' ' + text + '\\n');

line('deploying ' + e.FLIGHTDECK_VERSION + ' at ' + percent + '% (deployment ' + e.FLIGHTDECK_DEPLOYMENT_ID + ', ' + e.FLIGHTDECK_KIND + ', attempt ' + e.FLIGHTDECK_ATTEMPT + ')');
if (e.FLIGHTDECK_KIND === 'rollback' || e.FLIGHTDECK_KIND === 'auto_rollback') {
  // The version rolled back to never had the bug: the break file goes with the bad version.
  const breakFile = path.join(path.dirname(here), 'break-' + env);
  if (fs.existsSync(breakFile)) { fs.rmSync(breakFile); line('rollback: removed ' + breakFile); }
}
const live = { version: e.FLIGHTDECK_VERSION, commit: e.FLIGHTDECK_COMMIT, percent, deployment: e.FLIGHTDECK_DEPLOYMENT_ID, at: new Date().toISOString() };
fs.writeFileSync(path.join(here, env + '.version.tmp'), JSON.stringify(live) + '\\n');
fs.renameSync(path.join(here, env + '.version.tmp'), path.join(here, env + '.version'));

function probe() {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port: Number(port), path: '/', timeout: 500 }, (response) => { response.resume(); resolve(true); });
    request.on('error', () => resolve(false));
    request.on('timeout', () => { request.destroy(); resolve(false); });
  });
}

(async () => {
  if (!(await probe())) {
    const child = spawn(process.execPath, [path.join(here, 'service.js'), env, String(port)], { detached: true, stdio: 'ignore' });
    child.unref();
    line('started the ' + env + ' service on 127.0.0.1:' + port + ' (pid ' + child.pid + ')');
    for (let i = 0; i < 50 && !(await probe()); i++) await new Promise((r) => setTimeout(r, 100));
    if (!(await probe())) { process.stderr.write('the ' + env + ' service did not start on port ' + port + '\\n'); process.exit(1); }
  }
  line(e.FLIGHTDECK_VERSION + ' is live at ' + percent + '%');
})();
`;

/** One environment's service: GET / tells the live version; GET /health is 200, or 500 while break-<env> exists. */
const SERVICE_JS = `// Flightdeck demo service (generated by \`flightdeck demo\`): node service.js <env> <port>.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const [env, port] = process.argv.slice(2);
const here = __dirname;
const breakFile = path.join(path.dirname(here), 'break-' + env);
fs.writeFileSync(path.join(here, env + '.pid'), String(process.pid));

function live() {
  try { return JSON.parse(fs.readFileSync(path.join(here, env + '.version'), 'utf8')); } catch { return { version: null }; }
}

http.createServer((request, response) => {
  const state = live();
  if (request.url === '/health') {
    const broken = fs.existsSync(breakFile);
    response.writeHead(broken ? 500 : 200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ healthy: !broken, environment: env, version: state.version, ...(broken ? { error: 'payments: 37% of charges failing (' + breakFile + ')' } : {}) }) + '\\n');
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ service: 'payments', environment: env, ...state }) + '\\n');
}).listen(Number(port), '127.0.0.1');
`;
