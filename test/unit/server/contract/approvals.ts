// Endpoints 19–22: approvals (required_approvals, approve, reject, the inbox, expiry) and blocked
// candidates (block / unblock; refused by deploy, promote and an explicit rollback, skipped by the
// default rollback and by auto-promotion).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { z } from 'zod';
import { Deployment, Overview, Release, type EnvironmentSpecInput, type Role } from '../../../../src/api/schemas';
import { APPROVAL_EXPIRED, APPROVAL_TTL_MS } from '../../../../src/core/approvals';
import { commandDeploy, engineTask, quietLook, readCalls, tempDir, waitFor, waitForStatus, writeDeployScript } from '../../engine/helpers';
import { createTestDatabase, freshPgliteDataDir, startTestServer, type Backend, type TestServer } from '../../helpers/server';
import { spawnServe, type ChildServer } from '../child-server';
import { assertError, createProject, deploySuccessfully, deploymentsPath, environmentOf, report, uniqueName } from './fixtures';

const Deployments = z.array(Deployment);

interface Person {
  name: string;
  token: string;
}

async function person(server: TestServer, role: Role, prefix: string): Promise<Person> {
  const name = uniqueName(prefix);
  return { name, token: await server.createToken(role, name) };
}

function deployPath(project: string, environment: string): string {
  return deploymentsPath(project, environment);
}

function approvalPath(project: string, id: string, verb: 'approve' | 'reject'): string {
  return `/api/releases/${project}/deployments/${id}/${verb}`;
}

function blockPath(project: string, rc: string): string {
  return `/api/releases/${project}/releases/${rc}/block`;
}

/** A ladder whose production asks for `required` approvals (deploy type none unless given). */
function gatedEnvironments(required: number, production: Partial<EnvironmentSpecInput> = {}): EnvironmentSpecInput[] {
  return [
    { name: 'staging', tier: 'staging', position: 0, strategy: 'standard' },
    { name: 'production', tier: 'production', position: 1, strategy: 'standard', required_approvals: required, ...production },
  ];
}

async function gatedProject(server: TestServer, required: number, production: Partial<EnvironmentSpecInput> = {}): Promise<string> {
  return createProject(server, { prefix: 'gate', spec: { repo: 'acme/gate', environments: gatedEnvironments(required, production) } });
}

async function requestDeploy(server: TestServer, project: string, who: Person, rc = '1.0.0-rc1'): Promise<Deployment> {
  const response = await server.request('POST', deployPath(project, 'production'), { release_candidate_version: rc }, { token: who.token });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return Deployment.parse(response.body);
}

async function vote(
  server: TestServer, project: string, id: string, verb: 'approve' | 'reject', who: Person | null, comment?: string,
): Promise<{ status: number; body: unknown }> {
  return server.request('POST', approvalPath(project, id, verb), comment === undefined ? {} : { comment }, who === null ? {} : { token: who.token });
}

async function inbox(server: TestServer, project?: string): Promise<Deployment[]> {
  const response = await server.request('GET', `/api/approvals${project === undefined ? '' : `?project=${project}`}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return Deployments.parse(response.body);
}

async function eventTypes(server: TestServer, project: string): Promise<string[]> {
  const events = await server.service.store.read((reader) => reader.eventsAfter(0, project, 1000));
  return events.map((event) => event.type);
}

export function approvalContract(server: () => TestServer): void {
  let dir: string;
  let script: string;
  before(() => {
    dir = tempDir('flightdeck-approvals-');
    script = writeDeployScript(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  void it('7/8: required_approvals round-trips through PUT and GET (absent reads as 0)', async () => {
    const project = await gatedProject(server(), 3);
    assert.equal((await environmentOf(server(), project, 'production')).required_approvals, 3);
    assert.equal((await environmentOf(server(), project, 'staging')).required_approvals, 0);
    const bad = await server().request('PUT', `/api/releases/${project}`, { repo: 'acme/gate', environments: gatedEnvironments(6) });
    assert.equal(bad.status, 400);
  });

  void it('2/21: a deploy into a gated environment waits (pending, approval set, nothing runs), is the active one, and is in the inbox', async () => {
    const log = path.join(dir, `wait-${randomBytes(3).toString('hex')}.log`);
    const project = await gatedProject(server(), 2, { deploy: commandDeploy(script, log) });
    const ana = await person(server(), 'deployer', 'ana');
    const before = Date.now();
    const d = await requestDeploy(server(), project, ana);
    assert.equal(d.status, 'pending');
    assert.equal(d.actor, ana.name);
    assert.ok(d.approval);
    assert.deepEqual({ ...d.approval, expires_at: undefined }, { required: 2, approvals: [], rejection: null, expires_at: undefined });
    const expires = Date.parse(d.approval.expires_at);
    assert.ok(expires >= before + APPROVAL_TTL_MS - 1000 && expires <= Date.now() + APPROVAL_TTL_MS, d.approval.expires_at);
    assert.equal((await environmentOf(server(), project, 'production')).active?.id, d.id);
    const second = await server().request('POST', deployPath(project, 'production'), { release_candidate_version: '1.0.0-rc2' });
    assertError(second, 409, /already active in production/);
    assert.deepEqual((await inbox(server(), project)).map((x) => x.id), [d.id]);
    assert.ok((await inbox(server())).some((x) => x.id === d.id));
    assertError(await server().request('GET', '/api/approvals?project=no-such-project'), 404);
    // Nothing runs: no deploy task, no command.
    await quietLook(server());
    assert.equal(await engineTask(server(), d.id, 'deploy'), undefined);
    assert.deepEqual(readCalls(log), []);
    // The staging deploy (no approvals) is not gated.
    const staging = await server().request('POST', deployPath(project, 'staging'), { release_candidate_version: '1.0.0-rc1' });
    assert.equal(Deployment.parse(staging.body).approval, null);
  });

  void it('19: nobody approves their own change, nobody twice; a viewer gets 403; the Nth approval starts the command executor', async () => {
    const log = path.join(dir, `start-${randomBytes(3).toString('hex')}.log`);
    const project = await gatedProject(server(), 2, { deploy: commandDeploy(script, log) });
    const [ana, bob, carol, vic] = [
      await person(server(), 'deployer', 'ana'), await person(server(), 'deployer', 'bob'),
      await person(server(), 'admin', 'carol'), await person(server(), 'viewer', 'vic'),
    ];
    const d = await requestDeploy(server(), project, ana);
    assertError(await vote(server(), project, d.id, 'approve', ana), 409, `Nobody approves their own change: deployment ${d.id} was requested by ${ana.name}`);
    assertError(await vote(server(), project, d.id, 'approve', vic), 403);
    const first = await vote(server(), project, d.id, 'approve', bob, 'looks good');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const once = Deployment.parse(first.body);
    assert.equal(once.status, 'pending');
    assert.deepEqual(once.approval?.approvals.map((v) => [v.actor, v.comment]), [[bob.name, 'looks good']]);
    assertError(await vote(server(), project, d.id, 'approve', bob), 409, `${bob.name} has already approved deployment ${d.id}`);
    await quietLook(server());
    assert.deepEqual(readCalls(log), [], 'one approval of two starts nothing');

    const second = await vote(server(), project, d.id, 'approve', carol);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(Deployment.parse(second.body).approval?.approvals.map((v) => v.actor), [bob.name, carol.name]);
    const done = await waitForStatus(server(), project, d.id, ['success', 'failure', 'error']);
    assert.equal(done.status, 'success', done.error_message ?? '');
    assert.deepEqual(readCalls(log).map((c) => [c.version, c.id]), [['1.0.0-rc1', d.id]], 'the executor ran once, for it');
    assertError(await vote(server(), project, d.id, 'approve', ana), 409, `Deployment ${d.id} is not awaiting approval`);
    assert.ok(!(await inbox(server(), project)).some((x) => x.id === d.id));
    const updates = (await eventTypes(server(), project)).filter((type) => type === 'deployment.updated');
    assert.ok(updates.length >= 3, `each approval and the run are announced: ${updates.length}`);
  });

  void it('19: a protected environment takes approvals from admins only', async () => {
    const project = await gatedProject(server(), 1, { protected: true });
    const [bob, root] = [await person(server(), 'deployer', 'bob'), await person(server(), 'admin', 'root')];
    const d = await requestDeploy(server(), project, { name: 'admin', token: server().adminToken });
    assertError(await vote(server(), project, d.id, 'approve', bob), 403,
      'Environment production is protected: only an admin may approve or reject its deployments');
    assertError(await vote(server(), project, d.id, 'reject', bob), 403);
    const approved = await vote(server(), project, d.id, 'approve', root);
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
  });

  void it('19: with deploy type none, the last approval leaves it pending for the pipeline, which then reports', async () => {
    const project = await gatedProject(server(), 1);
    const [ana, bob] = [await person(server(), 'deployer', 'ana'), await person(server(), 'deployer', 'bob')];
    const d = await requestDeploy(server(), project, ana);
    const approved = Deployment.parse((await vote(server(), project, d.id, 'approve', bob)).body);
    assert.equal(approved.status, 'pending');
    assert.equal(approved.approval?.approvals.length, 1);
    assert.ok(!(await inbox(server(), project)).some((x) => x.id === d.id), 'approved: out of the inbox');
    assert.equal((await report(server(), project, 'production', '1.0.0-rc1', 'in_progress')).id, d.id);
    const reported = await report(server(), project, 'production', '1.0.0-rc1', 'success');
    assert.equal(reported.id, d.id);
    assert.equal(reported.status, 'success');
  });

  void it('20: a rejection cancels with the reason; the requester may withdraw; neither twice', async () => {
    const project = await gatedProject(server(), 2);
    const [ana, bob, vic] = [await person(server(), 'deployer', 'ana'), await person(server(), 'deployer', 'bob'), await person(server(), 'viewer', 'vic')];
    const d = await requestDeploy(server(), project, ana);
    assertError(await vote(server(), project, d.id, 'reject', vic), 403);
    const rejected = await vote(server(), project, d.id, 'reject', bob, 'not during the sale');
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    const r = Deployment.parse(rejected.body);
    assert.equal(r.status, 'canceled');
    assert.equal(r.error_message, `Rejected by ${bob.name}: not during the sale`);
    assert.equal(r.approval?.rejection?.actor, bob.name);
    assert.ok(r.deploy_end_at);
    assertError(await vote(server(), project, d.id, 'reject', bob), 409);
    assertError(await vote(server(), project, d.id, 'approve', bob), 409);
    assert.equal((await environmentOf(server(), project, 'production')).active, null);

    const again = await requestDeploy(server(), project, ana, '1.0.0-rc2');
    const withdrawn = Deployment.parse((await vote(server(), project, again.id, 'reject', ana)).body);
    assert.equal(withdrawn.status, 'canceled');
    assert.equal(withdrawn.error_message, `Rejected by ${ana.name}`);
    assert.deepEqual(await inbox(server(), project), []);
    assert.deepEqual(await engineTask(server(), again.id, 'deploy'), undefined, 'nothing was ever scheduled to run');
  });

  void it('5/3/13: rollbacks and pipeline reports never wait; abort refuses what awaits approval', async () => {
    const project = await gatedProject(server(), 1);
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc1');
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc2');
    assert.equal((await report(server(), project, 'production', '1.0.0-rc3', 'in_progress')).approval, null);
    const rollback = await server().request('POST', `/api/releases/${project}/environments/production/rollback`, {});
    assert.equal(rollback.status, 201, JSON.stringify(rollback.body));
    assert.equal(Deployment.parse(rollback.body).approval, null);
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc2');
    const ana = await person(server(), 'deployer', 'ana');
    const d = await requestDeploy(server(), project, ana, '1.0.0-rc3');
    assertError(await server().request('POST', `/api/releases/${project}/deployments/${d.id}/abort`, {}), 409, /awaiting approval/);
    // A rollback cancels what awaits approval, as it cancels anything active.
    const over = await server().request('POST', `/api/releases/${project}/environments/production/rollback`, {});
    assert.equal(over.status, 201, JSON.stringify(over.body));
    const canceled = Deployment.parse((await server().request('GET', `/api/releases/${project}/deployments/${d.id}`)).body);
    assert.equal(canceled.status, 'canceled');
  });

  void it('22: a blocked candidate is refused by deploy, promote and an explicit rollback, skipped by the default rollback, shown everywhere', async () => {
    const project = await createProject(server(), { prefix: 'block', candidates: 4 });
    for (const rc of ['1.0.0-rc1', '1.0.0-rc2', '1.0.0-rc3']) await deploySuccessfully(server(), project, 'production', rc);
    await deploySuccessfully(server(), project, 'canary', '1.0.0-rc4');
    const bob = await person(server(), 'deployer', 'bob');
    const vic = await person(server(), 'viewer', 'vic');
    assertError(await server().request('POST', blockPath(project, '1.0.0-rc2'), { reason: 'x' }, { token: vic.token }), 403);
    assertError(await server().request('POST', blockPath(project, '1.0.0-rc2'), { reason: '  ' }), 400);
    assertError(await server().request('POST', blockPath(project, '9.9.9-rc1'), { reason: 'x' }), 404);
    const blocked = await server().request('POST', blockPath(project, '1.0.0-rc2'), { reason: 'corrupts the cache' }, { token: bob.token });
    assert.equal(blocked.status, 200, JSON.stringify(blocked.body));
    const release = Release.parse(blocked.body);
    const rc2 = release.candidates.find((c) => c.release_candidate_version === '1.0.0-rc2');
    assert.equal(rc2?.blocked?.reason, 'corrupts the cache');
    assert.equal(rc2?.blocked?.actor, bob.name);
    assert.equal(release.candidates.find((c) => c.release_candidate_version === '1.0.0-rc1')?.blocked, null);
    await server().request('POST', blockPath(project, '1.0.0-rc4'), { reason: 'leaks memory' });
    assert.equal((await eventTypes(server(), project)).filter((type) => type === 'release.updated').length, 2);

    const message = 'Release candidate 1.0.0-rc2 is blocked: corrupts the cache';
    const deploy = await server().request('POST', deployPath(project, 'dogfood'), { release_candidate_version: '1.0.0-rc2' });
    assertError(deploy, 409, message);
    assert.equal((deploy.body as { blocked?: { reason?: string } }).blocked?.reason, 'corrupts the cache');
    assertError(await server().request('POST', `/api/releases/${project}/environments/rollout/promote`, {}), 409,
      'Release candidate 1.0.0-rc4 is blocked: leaks memory');
    assertError(await server().request('POST', `/api/releases/${project}/environments/production/rollback`, { to_release_candidate_version: '1.0.0-rc2' }), 409, message);
    // The default target passes over rc2 to rc1.
    const rollback = await server().request('POST', `/api/releases/${project}/environments/production/rollback`, {});
    assert.equal(Deployment.parse(rollback.body).release_candidate_version, '1.0.0-rc1');

    // Every deployment of a blocked candidate carries the block, in the overview too.
    const overview = Overview.parse((await server().request('GET', '/api/releases')).body);
    const environments = overview.projects.find((p) => p.name === project)?.environments ?? [];
    const canary = environments.find((e) => e.name === 'canary');
    assert.equal(canary?.current?.candidate_blocked?.reason, 'leaks memory');
    const history = Deployments.parse((await server().request('GET', `${deployPath(project, 'production')}?per_page=100`)).body);
    for (const d of history) assert.equal(d.candidate_blocked?.reason ?? null, d.release_candidate_version === '1.0.0-rc2' ? 'corrupts the cache' : null);

    const unblocked = await server().request('DELETE', blockPath(project, '1.0.0-rc2'));
    assert.equal(unblocked.status, 200, JSON.stringify(unblocked.body));
    assert.equal(Release.parse(unblocked.body).candidates.find((c) => c.release_candidate_version === '1.0.0-rc2')?.blocked, null);
    assert.equal((await eventTypes(server(), project)).filter((type) => type === 'release.updated').length, 3);
    const now = await server().request('POST', deployPath(project, 'dogfood'), { release_candidate_version: '1.0.0-rc2' });
    assert.equal(now.status, 201, JSON.stringify(now.body));
  });

  void it('22/19: the last approval of a candidate blocked since it was requested is refused; a rejection still works', async () => {
    const project = await gatedProject(server(), 1);
    const [ana, bob] = [await person(server(), 'deployer', 'ana'), await person(server(), 'deployer', 'bob')];
    const d = await requestDeploy(server(), project, ana);
    await server().request('POST', blockPath(project, '1.0.0-rc1'), { reason: 'bad build' });
    assertError(await vote(server(), project, d.id, 'approve', bob), 409, 'Release candidate 1.0.0-rc1 is blocked: bad build');
    assert.equal(Deployment.parse((await vote(server(), project, d.id, 'reject', bob)).body).status, 'canceled');
  });

  void it('auto_promote never promotes a blocked candidate (the skip is the task\'s note)', async () => {
    const project = await createProject(server(), {
      prefix: 'autoblock',
      spec: {
        repo: 'acme/gate',
        environments: [
          { name: 'canary', tier: 'production', position: 0, strategy: 'canary', auto_promote: { to: 'production', after_seconds: 0 } },
          { name: 'production', tier: 'production', position: 1, strategy: 'standard' },
        ],
      },
    });
    await server().request('POST', blockPath(project, '1.0.0-rc1'), { reason: 'flaky' });
    const d = await deploySuccessfully(server(), project, 'canary', '1.0.0-rc1');
    const task = await waitFor('the auto-promotion to be decided', async () => {
      const found = await engineTask(server(), d.id, 'promote');
      return found?.state === 'done' ? found : undefined;
    });
    assert.equal(task.note, 'skipped (blocked): Release candidate 1.0.0-rc1 is blocked: flaky');
    assert.equal((await environmentOf(server(), project, 'production')).active, null);
  });
}

/**
 * Expiry and the stuck rule, on a server whose service clock the test sets back: a request made "25
 * hours ago" is overdue now, one made "2 hours ago" is neither expired nor stuck.
 */
export function approvalClockContract(server: () => TestServer, setClockOffset: (ms: number) => void): void {
  void it('an approval request expires after 24 hours (canceled, "Approval expired"); the stuck rule leaves it alone before that', async () => {
    const project = await createProject(server(), {
      prefix: 'expiry',
      spec: {
        repo: 'acme/gate',
        environments: [
          { name: 'staging', tier: 'staging', position: 0, strategy: 'standard', required_approvals: 1 },
          { name: 'production', tier: 'production', position: 1, strategy: 'standard', required_approvals: 1 },
        ],
      },
    });
    setClockOffset(-2 * 3600_000);
    const waiting = Deployment.parse((await server().request('POST', deployPath(project, 'staging'), { release_candidate_version: '1.0.0-rc1' })).body);
    setClockOffset(-25 * 3600_000);
    const overdue = Deployment.parse((await server().request('POST', deployPath(project, 'production'), { release_candidate_version: '1.0.0-rc1' })).body);
    setClockOffset(0);
    const expired = await waitForStatus(server(), project, overdue.id, ['canceled']);
    assert.equal(expired.error_message, APPROVAL_EXPIRED);
    assert.equal(expired.approval?.rejection, null);

    // Two hours without progress, but awaiting approval: not stuck.
    const engine = server().engine;
    assert.ok(engine);
    assert.deepEqual(await engine.sweepStuck(new Date()), []);
    const still = Deployment.parse((await server().request('GET', `/api/releases/${project}/deployments/${waiting.id}`)).body);
    assert.equal(still.status, 'pending');
    assert.ok((await inbox(server(), project)).some((x) => x.id === waiting.id));
  });
}

/**
 * Durability: an approval recorded is never lost, and a restart never starts an unapproved deployment.
 * A `flightdeck serve` process is killed (-9) with one approval of two recorded; a new server on the
 * same storage shows it, runs nothing until the second approval, then runs the command once.
 */
export function approvalCrashContract(backend: Backend): void {
  void it('an approval survives kill -9; the restarted server starts nothing until the last approval', async () => {
    const dir = tempDir('flightdeck-approvals-crash-');
    const script = writeDeployScript(dir);
    const log = path.join(dir, 'deploy.log');
    const database = backend === 'postgres' ? await createTestDatabase() : undefined;
    const dataDir = backend === 'pglite' ? await freshPgliteDataDir() : undefined;
    const storage = database ? ['--database-url', database.url] : ['--data-dir', dataDir ?? ''];
    const admin = `admin-${randomBytes(8).toString('hex')}`;
    let child: ChildServer | undefined;
    let restarted: TestServer | undefined;
    try {
      child = await spawnServe(['--port', '0', ...storage, '--log-level', 'warn'], { FLIGHTDECK_ADMIN_TOKEN: admin });
      const first = child;
      const call = async (method: string, pathname: string, body: unknown, token = admin): Promise<{ status: number; body: unknown }> => {
        const response = await fetch(`${first.url}${pathname}`, {
          method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
        });
        return { status: response.status, body: await response.json() as unknown };
      };
      const project = uniqueName('crash');
      assert.equal((await call('PUT', `/api/releases/${project}`, {
        repo: 'acme/gate', environments: gatedEnvironments(2, { deploy: commandDeploy(script, log) }),
      })).status, 201);
      assert.equal((await call('POST', `/api/releases/${project}/releases/1.0.0-rc1`, { commit: 'a'.repeat(40) })).status, 201);
      const tokens: Record<string, string> = {};
      for (const name of ['ana', 'bob']) tokens[name] = ((await call('POST', '/api/tokens', { role: 'deployer', name })).body as { token: string }).token;
      const requested = await call('POST', deployPath(project, 'production'), { release_candidate_version: '1.0.0-rc1' }, tokens.ana);
      assert.equal(requested.status, 201, JSON.stringify(requested.body));
      const id = Deployment.parse(requested.body).id;
      const approved = await call('POST', approvalPath(project, id, 'approve'), { comment: 'first' }, tokens.bob);
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      child.process.kill('SIGKILL');
      await child.exited;

      restarted = await startTestServer({ backend, ...(database ? { databaseUrl: database.url } : { dataDir: dataDir ?? '' }) });
      const survived = Deployment.parse((await restarted.request('GET', `/api/releases/${project}/deployments/${id}`)).body);
      assert.equal(survived.status, 'pending');
      assert.deepEqual(survived.approval?.approvals.map((v) => [v.actor, v.comment]), [['bob', 'first']]);
      await quietLook(restarted);
      assert.deepEqual(readCalls(log), [], 'the restart started nothing');
      assert.equal(await engineTask(restarted, id, 'deploy'), undefined);

      const last = await restarted.request('POST', approvalPath(project, id, 'approve'), {});
      assert.equal(last.status, 200, JSON.stringify(last.body));
      const done = await waitForStatus(restarted, project, id, ['success', 'failure', 'error']);
      assert.equal(done.status, 'success', done.error_message ?? '');
      assert.deepEqual(readCalls(log).map((c) => c.id), [id], 'the command ran once');
    } finally {
      if (child && child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill('SIGKILL');
        await child.exited;
      }
      if (restarted) await restarted.stop();
      await database?.drop();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
