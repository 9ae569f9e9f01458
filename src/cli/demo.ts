// `flightdeck demo`: prepares a demo that `npm start` opens — a git repository with a believable
// history and a release server data dir whose `payments` project has walked that history through
// dogfood → canary → rollout → production, as a pipeline would have reported it.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProjectSpecInput } from '../api/schemas';
import { VERSION } from '../api/version';
import { FlightdeckHttpBackend } from '../client/http';
import { createDemoRepository } from '../git/demoRepository';
import { startServer } from '../server';
import { optionString, parseArgs } from './args';
import type { CliIo } from './remote';

export const DEMO_PROJECT = 'payments';

export const DEMO_LADDER: ProjectSpecInput = {
  repo: 'acme/payments',
  description: 'Charges, refunds and webhooks (Flightdeck demo)',
  environments: [
    { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
    { name: 'canary', tier: 'production', position: 1, strategy: 'canary' },
    { name: 'rollout', tier: 'production', position: 2, strategy: 'rollout', steps: [
      { percent: 1, soak_seconds: 60 }, { percent: 10, soak_seconds: 120 }, { percent: 50, soak_seconds: 300 }, { percent: 100, soak_seconds: 0 },
    ] },
    { name: 'production', tier: 'production', position: 3, strategy: 'standard', protected: false },
  ],
};

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: ['data-dir', 'repo-dir'], flags: ['reset'] });
  const base = path.join(os.homedir(), '.flightdeck', 'demo');
  const dataDir = path.resolve(optionString(args, 'data-dir') ?? path.join(base, 'data'));
  const repoDir = path.resolve(optionString(args, 'repo-dir') ?? path.join(base, 'payments'));
  if (args.options.has('reset')) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(repoDir, { recursive: true, force: true });
  }
  if (fs.existsSync(path.join(repoDir, '.git')) && fs.existsSync(dataDir)) {
    io.stdout(`The demo is ready: repository ${repoDir}, data ${dataDir} (--reset starts it again)\n`);
    return 0;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(repoDir, { recursive: true, force: true });
  const weeksAgo = Math.floor(Date.now() / 1000) - 21 * 24 * 3600;
  const candidates = createDemoRepository(repoDir, weeksAgo);
  const adminToken = randomBytes(24).toString('base64url');
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, adminToken, version: VERSION, logLevel: 'warn' });
  try {
    const api = new FlightdeckHttpBackend({ baseUrl: server.url, token: adminToken });
    await api.putProject(DEMO_PROJECT, DEMO_LADDER);
    for (const c of candidates) await createCandidate(server.url, adminToken, c.release_candidate_version, c.commit);
    await seedHistory(api, server.url, adminToken);
  } finally {
    await server.close();
  }
  io.stdout(`Demo repository: ${repoDir}\nDemo data:       ${dataDir}\n`);
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

/** Reports statuses the way a pipeline does (endpoint 3), so the demo needs no deploy scripts. */
async function seedHistory(api: FlightdeckHttpBackend, url: string, token: string): Promise<void> {
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
  const promote = async (environment: string): Promise<void> => {
    const d = await api.promote(DEMO_PROJECT, environment, {});
    await report(environment, d.release_candidate_version, 'in_progress');
    await report(environment, d.release_candidate_version, 'success');
  };
  await ship('dogfood', '1.0.0-rc1');
  await promote('canary');
  await promote('rollout');
  await promote('production');
  await ship('dogfood', '1.1.0-rc1');
  await promote('canary');
  await report('rollout', '1.1.0-rc1', 'in_progress');
  await report('rollout', '1.1.0-rc1', 'failure', 'error rate 4.2% above the 1% threshold at 10% traffic');
  await ship('dogfood', '1.1.0-rc2');
  await promote('canary');
  await promote('rollout');
  await promote('production');
  await ship('dogfood', '1.2.0-rc1');
  await promote('canary');
  await promote('rollout');
  await ship('dogfood', '1.3.0-rc1');
  await promote('canary');
  // A rollout in progress when the user first looks.
  const rolling = await api.promote(DEMO_PROJECT, 'rollout', {});
  await report('rollout', rolling.release_candidate_version, 'in_progress');
}
