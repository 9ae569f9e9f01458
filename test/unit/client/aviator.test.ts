// The Aviator backend against our real server, whose endpoints 1–5 are Aviator's API. Every request the
// backend sends goes through a recording proxy (it records method, path, query and body, then forwards
// to the real server untouched), so the tests can show that the backend calls those five endpoints and
// nothing else. Setup data goes straight to the server, past the proxy.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Project as ProjectSchema } from '../../../src/api/schemas';
import { AVIATOR_UNSUPPORTED, AviatorBackend, type AviatorOptions } from '../../../src/client/aviator';
import { BackendError } from '../../../src/client/errors';
import { parseProjectConfigText, type ProjectConfig } from '../../../src/core/projectConfig';
import { aviatorEndpointIndex, startRecordingProxy, type RecordedRequest, type RecordingProxy } from '../../shared/aviatorProxy';
import { startTestServer, type TestServer } from '../helpers/server';

function isAviatorCall(r: RecordedRequest): boolean {
  return aviatorEndpointIndex(r) >= 0;
}

function calls(entries: readonly RecordedRequest[]): string[] {
  return entries.map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query.toString()}` : ''}`);
}

const LADDER = [
  { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
  { name: 'canary', tier: 'production', position: 1, strategy: 'canary' },
  { name: 'rollout', tier: 'production', position: 2, strategy: 'rollout', steps: [{ percent: 10, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }] },
  { name: 'production', tier: 'production', position: 3, strategy: 'standard' },
];

const CONFIG_TEXT = JSON.stringify({
  projects: [{
    name: 'payments',
    repo: 'acme/payments',
    environments: [
      { name: 'dogfood', tier: 'development', strategy: 'dogfood' },
      { name: 'canary', tier: 'production', strategy: 'canary' },
      { name: 'rollout', tier: 'production', strategy: 'rollout' },
      { name: 'production', tier: 'production' },
    ],
  }],
});

function config(text: string = CONFIG_TEXT): ProjectConfig {
  const parsed = parseProjectConfigText(text);
  assert.deepEqual(parsed.problems, []);
  return parsed;
}

/**
 * Calls `start` and expects it to reject with a BackendError of `kind`. It takes a function, not a promise:
 * a promise made before the call (say, while another argument is awaited) could reject with no handler.
 */
async function rejectsWith(start: () => Promise<unknown>, kind: BackendError['kind'], message?: RegExp | string): Promise<BackendError> {
  try {
    await start();
  } catch (error) {
    assert.ok(error instanceof BackendError, `expected a BackendError, got ${String(error)}`);
    assert.equal(error.kind, kind, `kind of "${error.message}"`);
    if (typeof message === 'string') assert.equal(error.message, message);
    else if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected a BackendError(${kind})`);
}

describe('Aviator backend against the real server (endpoints 1–5 only)', () => {
  let server: TestServer;
  let proxy: RecordingProxy;
  const backend = (options: Partial<AviatorOptions> = {}): AviatorBackend => new AviatorBackend({
    baseUrl: proxy.url, token: server.adminToken, projects: () => config(), ...options,
  });
  /** Straight to the server (setup, not under test). */
  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const r = await server.request(method, path, body);
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const report = (env: string, rc: string, status: string): Promise<unknown> =>
    api('PATCH', `/api/releases/payments/environments/${env}/deployments`, { release_candidate_version: rc, status });

  before(async () => {
    server = await startTestServer();
    proxy = await startRecordingProxy(server.url);
    await api('PUT', '/api/releases/payments', { repo: 'acme/payments', environments: LADDER });
    for (const [rc, c] of [['1.0.0-rc1', 'a'], ['1.1.0-rc1', 'b'], ['1.2.0-rc1', 'c']] as const) {
      await api('POST', `/api/releases/payments/releases/${rc}`, { commit: c.repeat(40) });
    }
    await report('dogfood', '1.0.0-rc1', 'success');
    await report('dogfood', '1.1.0-rc1', 'success');
    await report('dogfood', '1.2.0-rc1', 'in_progress');
    await report('canary', '1.0.0-rc1', 'success');
    // production: one success, then seven failures on top of it (for paging).
    await report('production', '1.0.0-rc1', 'success');
    for (let i = 0; i < 7; i++) await report('production', '1.1.0-rc1', 'failure');
  });

  after(async () => {
    await proxy?.close();
    await server?.close();
  });

  it('lists the configured projects with current and active from each environment\'s deployments', async () => {
    const mark = proxy.log.length;
    const projects = await backend().listProjects();
    assert.equal(projects.length, 1);
    const [payments] = projects;
    assert.ok(payments);
    ProjectSchema.parse(payments); // a complete contract Project
    assert.equal(payments.repo, 'acme/payments');
    assert.deepEqual(payments.environments.map((e) => [e.name, e.position, e.tier, e.strategy]), [
      ['dogfood', 0, 'development', 'dogfood'],
      ['canary', 1, 'production', 'canary'],
      ['rollout', 2, 'production', 'rollout'],
      ['production', 3, 'production', 'standard'],
    ]);
    const env = (name: string) => payments.environments.find((e) => e.name === name);
    assert.equal(env('dogfood')?.current?.release_candidate_version, '1.1.0-rc1');
    assert.equal(env('dogfood')?.current?.commit, 'b'.repeat(40));
    assert.equal(env('dogfood')?.active?.release_candidate_version, '1.2.0-rc1');
    assert.equal(env('dogfood')?.active?.status, 'in_progress');
    assert.equal(env('canary')?.current?.release_candidate_version, '1.0.0-rc1');
    assert.equal(env('canary')?.active, null);
    assert.equal(env('rollout')?.current, null);
    assert.equal(env('production')?.current?.release_candidate_version, '1.0.0-rc1', 'the newest success, under seven failures');
    assert.equal(env('production')?.active, null);
    for (const e of payments.environments) assert.equal(e.error, undefined);
    const starts = payments.environments.flatMap((e) => [e.current?.deploy_start_at, e.active?.deploy_start_at]).filter((t): t is string => !!t);
    assert.equal(payments.created_at, starts.sort()[0], 'created_at: the oldest deployment shown');
    const sent = proxy.since(mark);
    assert.deepEqual(calls(sent).sort(), [
      'GET /api/releases/payments/environments/canary/deployments?page=1&per_page=10',
      'GET /api/releases/payments/environments/dogfood/deployments?page=1&per_page=10',
      'GET /api/releases/payments/environments/production/deployments?page=1&per_page=10',
      'GET /api/releases/payments/environments/rollout/deployments?page=1&per_page=10',
    ]);
  });

  it('pages back to find the newest success, and stops at its bound', async () => {
    let mark = proxy.log.length;
    const paged = await backend({ firstPageSize: 2, pageSize: 3, maxPages: 5 }).getProject('payments');
    const production = paged.environments.find((e) => e.name === 'production');
    assert.equal(production?.current?.release_candidate_version, '1.0.0-rc1');
    assert.equal(production?.current?.status, 'success');
    assert.deepEqual(calls(proxy.since(mark).filter((r) => r.path.includes('/production/'))), [
      'GET /api/releases/payments/environments/production/deployments?page=1&per_page=2',
      'GET /api/releases/payments/environments/production/deployments?page=1&per_page=3',
      'GET /api/releases/payments/environments/production/deployments?page=2&per_page=3',
      'GET /api/releases/payments/environments/production/deployments?page=3&per_page=3',
    ]);

    mark = proxy.log.length;
    const bounded = await backend({ firstPageSize: 2, pageSize: 3, maxPages: 2 }).getProject('payments');
    assert.equal(bounded.environments.find((e) => e.name === 'production')?.current, null, 'no success within 2 + 2×3 deployments');
    assert.equal(proxy.since(mark).filter((r) => r.path.includes('/production/')).length, 3);
  });

  it('promotes by creating a deployment of the candidate live in the rung below, checking expected_current first', async () => {
    const b = backend();
    let mark = proxy.log.length;
    const stale = await rejectsWith(() => b.promote('payments', 'canary', { expected_current: null }), 'conflict', 'The environment runs 1.0.0-rc1, not nothing');
    assert.equal(stale.current, '1.0.0-rc1');
    assert.ok(proxy.since(mark).every((r) => r.method === 'GET'), 'a failed precondition sends nothing that changes anything');

    await rejectsWith(() => b.promote('payments', 'dogfood', {}), 'invalid', 'dogfood is the first rung of payments: there is nothing below it to promote from.');
    await rejectsWith(() => b.promote('payments', 'production', {}), 'invalid', 'Nothing is live in rollout yet.');
    await rejectsWith(() => b.promote('payments', 'canary', { release_candidate_version: '1.0.0-rc1' }), 'conflict', 'Environment dogfood runs 1.1.0-rc1, not 1.0.0-rc1');
    await rejectsWith(() => b.promote('payments', 'canary', { from_environment: 'canary' }), 'invalid', /cannot be promoted from itself/);

    mark = proxy.log.length;
    const deployment = await b.promote('payments', 'canary', { from_environment: 'dogfood', release_candidate_version: '1.1.0-rc1', expected_current: '1.0.0-rc1' });
    assert.equal(deployment.release_candidate_version, '1.1.0-rc1');
    assert.equal(deployment.environment_name, 'canary');
    assert.equal(deployment.from_release_candidate_version, '1.0.0-rc1');
    assert.equal(deployment.kind, 'deploy', 'Aviator records a promote as a deploy');
    assert.equal(deployment.status, 'pending');
    const posts = proxy.since(mark).filter((r) => r.method !== 'GET');
    assert.deepEqual(calls(posts), ['POST /api/releases/payments/environments/canary/deployments']);
    assert.deepEqual(posts[0]?.body, { release_candidate_version: '1.1.0-rc1' }, 'only what Aviator documents is sent');

    // The server's own refusal comes through word for word.
    await rejectsWith(() => b.promote('payments', 'canary', {}), 'conflict', 'A deployment is already active in canary');

    // getDeployment has no call of its own: found in the list, also by a backend that never saw it.
    assert.equal((await b.getDeployment('payments', deployment.id)).id, deployment.id);
    const fresh = await backend().getDeployment('payments', deployment.id);
    assert.equal(fresh.release_candidate_version, '1.1.0-rc1');
    await rejectsWith(() => b.getDeployment('payments', '999999'), 'not_found', 'Deployment not found');
  });

  it('rolls back with Aviator\'s rollback call, and forces it on a frozen environment', async () => {
    await report('canary', '1.1.0-rc1', 'in_progress');
    await report('canary', '1.1.0-rc1', 'success');
    const b = backend();
    await rejectsWith(() => b.rollback('payments', 'canary', { expected_current: '1.0.0-rc1' }), 'conflict', 'The environment runs 1.1.0-rc1, not 1.0.0-rc1');

    let mark = proxy.log.length;
    const rolled = await b.rollback('payments', 'canary', { expected_current: '1.1.0-rc1' });
    assert.equal(rolled.kind, 'rollback');
    assert.equal(rolled.release_candidate_version, '1.0.0-rc1');
    const posted = proxy.since(mark).filter((r) => r.method === 'POST');
    assert.deepEqual(calls(posted), ['POST /api/releases/payments/environments/canary/rollback']);
    assert.deepEqual(posted[0]?.body, {}, 'expected_current is checked here, not sent');

    // Freezing is not an Aviator call: set up on the server directly.
    await api('PATCH', '/api/releases/payments/environments/canary', { frozen: true });
    try {
      await rejectsWith(() => b.rollback('payments', 'canary', { to_release_candidate_version: '1.1.0-rc1' }), 'invalid', 'Environment is frozen');
      mark = proxy.log.length;
      const forced = await b.rollback('payments', 'canary', { force: true, to_release_candidate_version: '1.1.0-rc1' });
      assert.equal(forced.kind, 'rollback');
      assert.equal(forced.release_candidate_version, '1.1.0-rc1');
      assert.deepEqual(proxy.since(mark).map((r) => r.body), [{ force: true, to_release_candidate_version: '1.1.0-rc1' }]);
    } finally {
      await api('PATCH', '/api/releases/payments/environments/canary', { frozen: false });
    }
  });

  it('shows an unknown project or environment on the environment, with the server\'s 404 message', async () => {
    const text = JSON.stringify({
      projects: [
        { name: 'payments', repo: 'acme/payments', environments: [{ name: 'dogfood', tier: 'development' }, { name: 'staging-eu', tier: 'staging' }] },
        { name: 'ghost', repo: 'acme/ghost', environments: [{ name: 'production', tier: 'production' }] },
      ],
    });
    const b = backend({ projects: () => config(text) });
    const projects = await b.listProjects();
    const expected = async (path: string): Promise<string> => ((await server.request<{ error: string }>('GET', path)).body.error);
    const unknownEnv = projects[0]?.environments[1];
    assert.equal(unknownEnv?.name, 'staging-eu');
    assert.equal(unknownEnv?.current, null);
    assert.equal(unknownEnv!.error, await expected('/api/releases/payments/environments/staging-eu/deployments'));
    assert.match(unknownEnv!.error ?? '', /not found/);
    assert.equal(projects[0]!.environments[0]!.error, undefined, 'the known environment is unaffected');
    const ghost = projects[1]?.environments[0];
    assert.equal(ghost!.error, await expected('/api/releases/ghost/environments/production/deployments'));

    // What the server says first, then the call that must reject with it.
    const notFound = await expected('/api/releases/payments/environments/staging-eu/deployments');
    await rejectsWith(() => b.deploy('payments', 'staging-eu', { release_candidate_version: '1.0.0-rc1' }), 'not_found', notFound);
    await rejectsWith(() => b.getProject('nowhere'), 'not_found', /Project nowhere is not configured/);
    await rejectsWith(() => b.promote('payments', 'nowhere', {}), 'not_found', /Environment nowhere of payments is not configured/);
  });

  it('turns a 401 into BackendError(unauthorized) with the server\'s message', async () => {
    const mark = proxy.log.length;
    await rejectsWith(() => backend({ token: 'av_uat_not-a-real-token' }).listProjects(), 'unauthorized', 'Unknown token');
    await rejectsWith(() => backend({ token: undefined }).listDeployments('payments', 'canary'), 'unauthorized', /Missing bearer token/);
    assert.ok(proxy.since(mark).length >= 2);
  });

  it('refuses what Aviator cannot do, with the reason, without a request', async () => {
    const b = backend();
    const mark = proxy.log.length;
    assert.deepEqual(
      { events: b.capabilities.events, promote: b.capabilities.promote, pauseResumeAbort: b.capabilities.pauseResumeAbort, freeze: b.capabilities.freeze, createProject: b.capabilities.createProject },
      { events: false, promote: true, pauseResumeAbort: false, freeze: false, createProject: false },
    );
    assert.equal(b.kind, 'aviator');
    await rejectsWith(() => b.pause('payments', '1'), 'invalid', AVIATOR_UNSUPPORTED.pauseResumeAbort);
    await rejectsWith(() => b.resume('payments', '1'), 'invalid', AVIATOR_UNSUPPORTED.pauseResumeAbort);
    await rejectsWith(() => b.abort('payments', '1'), 'invalid', AVIATOR_UNSUPPORTED.pauseResumeAbort);
    await rejectsWith(() => b.patchEnvironment('payments', 'canary', { frozen: true }), 'invalid', AVIATOR_UNSUPPORTED.freeze);
    await rejectsWith(() => b.putProject('payments', { repo: 'x', environments: [] }), 'invalid', AVIATOR_UNSUPPORTED.createProject);
    assert.match(b.capabilities.reasons.freeze, /Aviator has no/);
    assert.equal(proxy.since(mark).length, 0);
  });

  it('creates candidates and reports statuses (endpoints 1 and 3), and derives releases from what it sees', async () => {
    const b = backend();
    await b.createCandidate('payments', '2.0.0-rc1', { commit: 'D'.repeat(40), repo: 'acme/payments' });
    const reported = await b.reportStatus('payments', 'rollout', { release_candidate_version: '1.0.0-rc1', status: 'success' });
    assert.equal(reported.status, 'success');
    assert.equal(reported.environment_name, 'rollout');
    const releases = await b.listReleases('payments', 1, 100);
    assert.deepEqual(releases.map((r) => r.release_version).sort(), ['1.0.0', '1.1.0', '1.2.0', '2.0.0']);
    assert.equal(releases.find((r) => r.release_version === '2.0.0')?.candidates[0]?.commit, 'd'.repeat(40));
    assert.equal(releases.find((r) => r.release_version === '1.1.0')?.candidates[0]?.commit, 'b'.repeat(40));
    assert.equal((await b.listReleases('payments', 2, 3)).length, 1, 'paged like the API');
    const health = await b.health();
    assert.equal(health.ok, true);
  });

  it('reports configuration problems instead of an empty tree, and a dead host as a network error', async () => {
    const broken = parseProjectConfigText('{"projects": [{"name": "payments"}]}');
    await rejectsWith(() => backend({ projects: () => broken }).listProjects(), 'invalid', /The project configuration has problems: \.flightdeck\.json: projects\[0\] \(payments\) needs a "repo"/);
    assert.deepEqual(await backend({ projects: () => ({ projects: [], problems: [] }) }).listProjects(), []);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await rejectsWith(() => new AviatorBackend({ baseUrl: `http://127.0.0.1:${port}`, token: 'x', projects: () => config() }).listProjects(), 'network', /Cannot reach Aviator at .*connection refused/);
  });

  it('called nothing but Aviator\'s five endpoints', () => {
    assert.ok(proxy.log.length > 20, 'the suite did go through the proxy');
    const others = proxy.log.filter((r) => !isAviatorCall(r));
    assert.deepEqual(calls(others), []);
    const used = new Set(proxy.log.map((r) => aviatorEndpointIndex(r)));
    assert.deepEqual([...used].sort(), [0, 1, 2, 3, 4], 'and exercised all five');
  });
});
