// Durability: the engine's timers live in the database. `kill -9` of a `flightdeck serve` process in
// the middle of a rollout, then a new one on the same data dir: the rollout finishes, no step twice.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Deployment } from '../../../src/api/schemas';
import { freshPgliteDataDir } from '../helpers/server';
import { spawnServe, type ChildServer } from '../server/child-server';
import { commandDeploy, commandStarts, commitFor, readCalls, tempDir, waitFor, writeDeployScript } from './helpers';

const TOKEN = `admin-${randomBytes(8).toString('hex')}`;

async function api<T>(child: ChildServer, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${child.url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function deploymentOf(child: ChildServer, project: string, id: string): Promise<Deployment> {
  return Deployment.parse((await api(child, 'GET', `/api/releases/${project}/deployments/${id}`)).body);
}

function serve(dataDir: string): Promise<ChildServer> {
  return spawnServe(['--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { FLIGHTDECK_ADMIN_TOKEN: TOKEN });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function kill9(child: ChildServer): Promise<void> {
  child.process.kill('SIGKILL');
  await child.exited;
}

async function setUp(child: ChildServer, script: string, log: string): Promise<string> {
  const project = `crash-${randomBytes(3).toString('hex')}`;
  const put = await api(child, 'PUT', `/api/releases/${project}`, {
    repo: 'acme/engine',
    environments: [{
      name: 'rollout', tier: 'production', position: 0, strategy: 'rollout', deploy: commandDeploy(script, log),
      steps: [{ percent: 1, soak_seconds: 1 }, { percent: 10, soak_seconds: 2 }, { percent: 50, soak_seconds: 1 }, { percent: 100, soak_seconds: 0 }],
    }],
  });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  assert.equal((await api(child, 'POST', `/api/releases/${project}/releases/2.0.0-rc1`, { commit: commitFor(7) })).status, 201);
  return project;
}

/** Waits for the rollout to end on `child`, and asserts it succeeded. */
async function rolloutSucceeds(child: ChildServer, project: string, id: string): Promise<void> {
  const done = await waitFor('the rollout to finish', async () => {
    const d = await deploymentOf(child, project, id);
    return d.status === 'success' || d.status === 'failure' || d.status === 'error' ? d : undefined;
  }, 30_000);
  assert.equal(done.status, 'success', done.error_message ?? '');
}

void describe('a server killed mid-rollout', () => {
  let dir: string;
  let script: string;
  const children: ChildServer[] = [];
  before(() => {
    dir = tempDir();
    script = writeDeployScript(dir);
  });
  after(async () => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) await kill9(child);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh data dir and a first server on it, rolling out 2.0.0-rc1 with steps that log to `logName`. */
  async function startRollout(logName: string) {
    const dataDir = await freshPgliteDataDir();
    const log = path.join(dir, logName);
    const first = await serve(dataDir);
    children.push(first);
    const project = await setUp(first, script, log);
    const created = await api<Deployment>(first, 'POST', `/api/releases/${project}/environments/rollout/deployments`, { release_candidate_version: '2.0.0-rc1' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { dataDir, log, first, project, id: created.body.id };
  }

  void it('resumes the soak after kill -9 and a restart, applying every step exactly once', async () => {
    const { dataDir, log, first, project, id } = await startRollout('soak.log');
    await waitFor('10 % to be live', async () => ((await deploymentOf(first, project, id)).rollout?.percent === 10 ? true : undefined));
    await kill9(first);
    assert.deepEqual(readCalls(log).map((c) => c.percent), [1, 10]);

    const second = await serve(dataDir);
    children.push(second);
    await rolloutSucceeds(second, project, id);
    // A step's command logs its call before it exits, and the step succeeds after that: every command
    // that ran is logged by now. One still running would have left a start mark without a call.
    const calls = readCalls(log);
    assert.deepEqual(calls.map((c) => c.percent), [1, 10, 50, 100], 'each step exactly once, in order');
    assert.ok(calls.every((c) => c.attempt === 1));
    assert.deepEqual(commandStarts(log), ['1.1', '10.1', '50.1', '100.1'], 'no other command started');
    await kill9(second);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  void it('re-runs once (FLIGHTDECK_ATTEMPT=2) a step whose executor was running when the server died, after stopping it', async () => {
    const { dataDir, log, first, project, id } = await startRollout('exec.log');
    await waitFor('1 % to be live', async () => ((await deploymentOf(first, project, id)).rollout?.percent === 1 ? true : undefined));
    // Step 2's command hangs (a minute): the server dies while it runs, and the command lives on.
    fs.writeFileSync(`${log}.sleep`, '60000');
    await waitFor('step 2 to begin', async () => ((await deploymentOf(first, project, id)).rollout?.step === 1 ? true : undefined));
    const orphanPid = await waitFor('step 2\'s command to start', async () => {
      const text = fs.existsSync(`${log}.pid.10.1`) ? fs.readFileSync(`${log}.pid.10.1`, 'utf8') : '';
      return text ? Number(text) : undefined;
    });
    await kill9(first);
    assert.ok(isAlive(orphanPid), 'the first attempt outlived its server');
    fs.writeFileSync(`${log}.sleep`, '0');

    const second = await serve(dataDir);
    children.push(second);
    await rolloutSucceeds(second, project, id);
    // The new server stopped the first attempt before running the step again: it never finished.
    assert.equal(isAlive(orphanPid), false, 'the first attempt was stopped');
    const calls = readCalls(log);
    assert.deepEqual(calls.filter((c) => c.percent === 10).map((c) => c.attempt), [2], 'the interrupted step ran again once, as attempt 2, alone');
    assert.deepEqual(calls.filter((c) => c.percent !== 10).map((c) => c.percent), [1, 50, 100]);
    await kill9(second);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
