// The release tree against a real server: it mirrors the server, follows its event stream, and the
// promote / rollback commands change the server's state.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import type { Deployment } from '../../../src/api/schemas';
import { signInWithToken } from '../../../src/extension/commands';
import type { FlightdeckApi } from '../../../src/extension/main';
import type { CommandOutcome } from '../../../src/extension/outcome';
import type { EnvironmentNode } from '../../../src/extension/tree/model';
import { seedPayments, startRealServer, waitFor, type RealServer } from './realServer';

async function flightdeck(): Promise<FlightdeckApi> {
  const extension = vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck');
  assert.ok(extension, 'the extension is installed');
  return extension.activate();
}

async function setServerUrl(url: string): Promise<void> {
  await vscode.workspace.getConfiguration('flightdeck').update('server.url', url, vscode.ConfigurationTarget.Global);
}

async function environmentItems(api: FlightdeckApi, project: string): Promise<Map<string, vscode.TreeItem>> {
  const roots = await api.provider.getChildren();
  const projectNode = roots.find((n) => n.kind === 'project' && n.project.name === project);
  if (!projectNode) return new Map();
  const envs = await api.provider.getChildren(projectNode);
  return new Map(envs.map((n) => [(n as EnvironmentNode).environment.name, api.provider.getTreeItem(n)]));
}

/** Reports a status as the pipeline would (endpoint 3); pending → in_progress → success. */
async function report(server: RealServer, environment: string, version: string, status: string): Promise<void> {
  const r = await server.api('PATCH', `/api/releases/payments/environments/${environment}/deployments`, { release_candidate_version: version, status });
  assert.equal(r.status, 200, `report ${environment} ${version} ${status}: ${JSON.stringify(r.body)}`);
}

function description(item: vscode.TreeItem | undefined): string {
  return typeof item?.description === 'string' ? item.description : '';
}

describe('Release tree against a real server', function () {
  this.timeout(60_000);
  let server: RealServer;
  let api: FlightdeckApi;

  before(async () => {
    api = await flightdeck();
    // This tier cannot click a modal: confirmations are answered yes here (the UI tier clicks the real one).
    api.setConfirmer({ confirm: async () => true });
    server = await startRealServer();
    await seedPayments(server);
    await setServerUrl(server.url);
  });

  after(async () => {
    api.setConfirmer(undefined);
    await setServerUrl('');
    await server?.stop();
  });

  it('shows the project and its environments in ladder order with what is live', async () => {
    const items = await waitFor('the payments project in the tree', async () => {
      const map = await environmentItems(api, 'payments');
      return map.size === 4 ? map : undefined;
    });
    assert.deepEqual([...items.keys()], ['dogfood', 'canary', 'rollout', 'production']);
    assert.match(description(items.get('dogfood')), /^1\.1\.0-rc1 · /);
    assert.match(description(items.get('canary')), /^1\.0\.0-rc1 · /);
    assert.equal(description(items.get('production')), 'nothing deployed');
    assert.match(String(items.get('canary')?.contextValue), /can-promote/, 'canary can take dogfood\'s newer candidate');
    assert.doesNotMatch(String(items.get('dogfood')?.contextValue), /can-promote/, 'nothing is below dogfood');
    const tooltip = items.get('canary')?.tooltip;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.match(tooltip.value, /aaaaaaaaaaaa/);
  });

  it('copies an environment\'s candidate (Copy Candidate, and its former id flightdeck.copyVersion)', async () => {
    const roots = await api.provider.getChildren();
    const projectNode = roots.find((n) => n.kind === 'project' && n.project.name === 'payments');
    assert.ok(projectNode, 'the payments project is in the tree');
    const canary = (await api.provider.getChildren(projectNode)).find((n) => n.kind === 'environment' && n.environment.name === 'canary');
    assert.ok(canary, 'canary is in the tree');
    for (const command of ['flightdeck.copyCandidate', 'flightdeck.copyVersion']) {
      await vscode.env.clipboard.writeText('');
      await vscode.commands.executeCommand(command, canary);
      assert.equal(await vscode.env.clipboard.readText(), '1.0.0-rc1', command);
    }
  });

  it('updates within 2 s of a change made through the API (event stream)', async () => {
    const start = Date.now();
    const r = await server.api('PATCH', '/api/releases/payments/environments/production/deployments', { release_candidate_version: '1.0.0-rc1', status: 'success' });
    assert.equal(r.status, 200);
    await waitFor('production to show 1.0.0-rc1', async () => /^1\.0\.0-rc1/.test(description((await environmentItems(api, 'payments')).get('production'))) || undefined, 2000);
    console.log(`    tree updated ${Date.now() - start} ms after the PATCH`);
  });

  it('promotes through the command and the server records it', async () => {
    const outcome = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.promote', { project: 'payments', environment: 'canary' });
    assert.equal(outcome.kind, 'done', JSON.stringify(outcome));
    const deployment = outcome.kind === 'done' ? outcome.value : undefined;
    assert.ok(deployment, 'the promote returned the new deployment');
    assert.equal(deployment.kind, 'promote');
    assert.equal(deployment.release_candidate_version, '1.1.0-rc1');
    assert.equal(deployment.from_release_candidate_version, '1.0.0-rc1');
    await report(server, 'canary', '1.1.0-rc1', 'in_progress');
    await report(server, 'canary', '1.1.0-rc1', 'success');
    await waitFor('canary to show 1.1.0-rc1', async () => /^1\.1\.0-rc1/.test(description((await environmentItems(api, 'payments')).get('canary'))) || undefined, 3000);
  });

  it('rolls back through the command to the previous candidate', async () => {
    const outcome = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.rollback', { project: 'payments', environment: 'canary' });
    const deployment = outcome.kind === 'done' ? outcome.value : undefined;
    assert.ok(deployment, JSON.stringify(outcome));
    assert.equal(deployment.kind, 'rollback');
    assert.equal(deployment.release_candidate_version, '1.0.0-rc1');
    const listed = await server.api<Deployment[]>('GET', '/api/releases/payments/environments/canary/deployments');
    assert.equal(listed.body[0]?.id, deployment.id);
  });

  it('handles a race: of two promotes at once, one wins and the other is refused without harm', async () => {
    // Finish the rollback first so canary is idle again.
    await report(server, 'canary', '1.0.0-rc1', 'in_progress');
    await report(server, 'canary', '1.0.0-rc1', 'success');
    const outcomes = await Promise.all([
      vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.promote', { project: 'payments', environment: 'canary' }),
      vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.promote', { project: 'payments', environment: 'canary' }),
    ]);
    assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['done', 'refused'], 'exactly one promote went through; the other is a refusal, not a cancellation');
    const listed = await server.api<Deployment[]>('GET', '/api/releases/payments/environments/canary/deployments?per_page=100');
    assert.equal(listed.body.filter((d) => d.status === 'pending' || d.status === 'in_progress').length, 1);
  });

  it('survives a malformed response: shows the error and keeps the last good data', async () => {
    // A proxy in front of the real server that corrupts the overview once asked to.
    let corrupt = false;
    const proxy = http.createServer((req, res) => {
      const upstream = http.request(server.url + (req.url ?? '/'), { method: req.method, headers: req.headers }, (up) => {
        if (corrupt && req.url === '/api/releases') {
          up.resume();
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ projects: [{ name: 42 }] }));
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      await setServerUrl(proxyUrl);
      await waitFor('data through the proxy', () => (api.model.allProjects.length === 1 && api.model.freshness.kind === 'fresh') || undefined);
      corrupt = true;
      await api.refresh.now();
      assert.equal(api.model.freshness.kind, 'offline');
      assert.match(api.model.lastError ?? '', /malformed/);
      assert.equal(api.model.allProjects[0]?.name, 'payments', 'the last good data is still shown');
      const roots = await api.provider.getChildren();
      assert.equal(roots.length, 1);
      corrupt = false;
      await api.refresh.now();
      assert.equal(api.model.freshness.kind, 'fresh');
    } finally {
      proxy.close();
      await setServerUrl(server.url);
    }
  });

  it('signs in only with a token the server accepts, and says as whom', async () => {
    // Sign In asks the user (an input box this tier cannot type into); what follows the question:
    try {
      // A mistyped token is refused before it is kept: the session still uses the environment's token.
      const refused = await signInWithToken(api.sessions, server.url, 'not-a-token-of-this-server');
      assert.equal(refused, undefined);
      assert.equal((await api.sessions.get()).tokenSource, 'env', 'nothing was stored');
      const created = await server.api<{ token: string }>('POST', '/api/tokens', { role: 'deployer', name: 'vscode-sign-in' });
      assert.equal(created.status, 201);
      const caller = await signInWithToken(api.sessions, server.url, created.body.token);
      assert.deepEqual(caller, { name: 'vscode-sign-in', role: 'deployer' });
      const session = await api.sessions.get();
      assert.equal(session.tokenSource, 'secret');
      assert.equal(session.token, created.body.token);
    } finally {
      await vscode.commands.executeCommand('flightdeck.signOut');
    }
    assert.equal((await api.sessions.get()).tokenSource, 'env', 'signed out: back to the environment\'s token');
  });
});
