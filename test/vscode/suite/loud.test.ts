// Automatic actions are loud, inside a real VS Code against a real server: the health check of a real
// URL starts failing, the engine rolls canary back, and a notification says so (once) while the status
// bar warns; ages in the tree re-render without a fetch; Promote… offers only what can be promoted.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import type { Deployment } from '../../../src/api/schemas';
import type { FlightdeckApi } from '../../../src/extension/main';
import type { CommandOutcome } from '../../../src/extension/outcome';
import type { EnvironmentNode } from '../../../src/extension/tree/model';
import { startRealServer, waitFor, type RealServer } from './realServer';

const PROJECT = 'vigil';

async function flightdeck(): Promise<FlightdeckApi> {
  const extension = vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck');
  assert.ok(extension, 'the extension is installed');
  return extension.activate();
}

/** A service whose /health answers `status`: the test breaks and mends it. */
async function startHealthService(): Promise<{ url: string; status: number; close(): Promise<void> }> {
  const service = { url: '', status: 200, close: () => Promise.resolve() };
  const server = http.createServer((_req, res) => {
    res.writeHead(service.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ healthy: service.status === 200 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  service.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return service;
}

describe('Loud automatic actions against a real server', function () {
  this.timeout(90_000);
  let server: RealServer;
  let api: FlightdeckApi;
  let health: Awaited<ReturnType<typeof startHealthService>>;

  const check = (r: { status: number; body: unknown }, what: string): void => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  const newest = async (environment: string): Promise<Deployment | undefined> =>
    (await server.api<Deployment[]>('GET', `/api/releases/${PROJECT}/environments/${environment}/deployments`)).body[0];
  const environmentNode = (name: string): EnvironmentNode | undefined => {
    const node = api.model.nodeById(`environment/${PROJECT}/${name}`);
    return node?.kind === 'environment' ? node : undefined;
  };

  before(async () => {
    api = await flightdeck();
    health = await startHealthService();
    server = await startRealServer();
    check(await server.api('PUT', `/api/releases/${PROJECT}`, {
      repo: 'flightdeck-test/payments',
      environments: [
        { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
        { name: 'canary', tier: 'production', position: 1, strategy: 'canary',
          health_check: { url: health.url, interval_seconds: 1, failure_threshold: 3 },
          // A deploy the engine runs itself (a process that succeeds), so it also runs the automatic rollback.
          deploy: { type: 'command', command: process.execPath, url: null, args: ['-e', 'process.exit(0)'] } },
        { name: 'production', tier: 'production', position: 2, strategy: 'standard' },
      ],
    }), 'create project');
    for (const [n, version] of ['1.0.0-rc1', '1.1.0-rc1', '1.2.0-rc1'].entries()) {
      check(await server.api('POST', `/api/releases/${PROJECT}/releases/${version}`, { commit: String(n + 1).repeat(40) }), `create ${version}`);
    }
    check(await server.api('PATCH', `/api/releases/${PROJECT}/environments/dogfood/deployments`, { release_candidate_version: '1.2.0-rc1', status: 'success' }), 'dogfood');
    // The engine deploys canary itself and watches its health.
    for (const version of ['1.0.0-rc1', '1.1.0-rc1']) {
      check(await server.api('POST', `/api/releases/${PROJECT}/environments/canary/deployments`, { release_candidate_version: version }), `canary ${version}`);
      await waitFor(`canary ${version} live and healthy`, async () => {
        const d = await newest('canary');
        return d?.release_candidate_version === version && d.status === 'success' && d.health?.healthy === true ? d : undefined;
      }, 20_000);
    }
    await vscode.workspace.getConfiguration('flightdeck').update('server.url', server.url, vscode.ConfigurationTarget.Global);
    await waitFor('the tree to show vigil/canary', () => environmentNode('canary')?.environment.current?.release_candidate_version === '1.1.0-rc1' || undefined, 20_000);
  });

  after(async () => {
    api.ages.setInterval(30_000);
    // Leave the workbench as the next suite expects it: the Explorer in the sidebar, focus in the editors.
    await vscode.commands.executeCommand('workbench.view.explorer');
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    await vscode.workspace.getConfiguration('flightdeck').update('server.url', '', vscode.ConfigurationTarget.Global);
    await server?.stop();
    await health?.close();
  });

  it('re-renders the ages in the tree while it is visible, without fetching', async () => {
    await vscode.commands.executeCommand('flightdeck.releases.focus');
    const renders = api.provider.ageRenders;
    const rerendered: string[] = [];
    const subscription = api.provider.onDidChangeTreeData((rows) => {
      for (const row of Array.isArray(rows) ? rows : []) rerendered.push(row.id);
    });
    try {
      api.ages.setInterval(200);
      await waitFor('two renders of the ages', () => api.provider.ageRenders >= renders + 2 || undefined, 10_000);
    } finally {
      subscription.dispose();
    }
    assert.ok(rerendered.includes(`environment/${PROJECT}/canary`), `the canary row was re-rendered: ${rerendered.join(', ')}`);
    const item = api.provider.getTreeItem(environmentNode('canary')!);
    assert.match(String(item.description), /^1\.1\.0-rc1 · (just now|\d+m ago)/);
    api.ages.setInterval(30_000);
  });

  it('Promote… lists only the environments a promote can go into, with from → to', async () => {
    api.promotePick.rows = [];
    const picking = vscode.commands.executeCommand('flightdeck.promote');
    try {
      const rows = await waitFor('the Promote… pick', () => (api.promotePick.rows.length > 0 ? api.promotePick.rows : undefined), 15_000);
      // dogfood is the bottom rung; canary takes dogfood's 1.2.0-rc1, production canary's 1.1.0-rc1.
      assert.deepEqual(rows, ['canary  1.1.0-rc1 → 1.2.0-rc1', 'production  nothing → 1.1.0-rc1']);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    }
    assert.deepEqual(await picking, { kind: 'cancelled' } satisfies CommandOutcome, 'closing the pick promotes nothing');
  });

  it('notifies once when the engine rolls back after failing health checks, and the status bar warns meanwhile', async () => {
    const shownBefore = api.notifier.shown.length;
    health.status = 500;
    // Three failed checks, one a second: the tree and the status bar show the failing health first.
    await waitFor('the status bar to warn about failing health', () => api.statusBar.alarm === 'failing' || undefined, 15_000);
    const tooltip = api.provider.getTreeItem(environmentNode('canary')!).tooltip;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.match(tooltip.value, /health check failing [12]\/3 · last check \d+ s ago/);

    const seen: string[] = [];
    const listening = api.sessions.onDidReceiveEvent((e) => seen.push(`${e.id} ${e.type} ${e.data.deployment?.kind ?? ''} ${e.data.deployment?.status ?? ''}`));
    const notice = await waitFor('the rollback notification', () => api.notifier.shown.slice(shownBefore).find((n) => n.kind === 'rolled_back'), 20_000)
      .catch((error: unknown) => {
        throw new Error(`${String(error)}; events seen: ${seen.join(' | ')}; shown: ${JSON.stringify(api.notifier.shown)}`);
      })
      .finally(() => listening.dispose());
    health.status = 200;
    assert.equal(notice.project, PROJECT);
    assert.equal(notice.environment, 'canary');
    assert.equal(notice.severity, 'warning');
    assert.match(notice.message, /^Flightdeck rolled vigil\/canary back to 1\.0\.0-rc1 after 1\.1\.0-rc1 failed: Health check failed 3 times in a row: GET http:\/\/127\.0\.0\.1:\d+\/health answered 500/);

    const rollback = await waitFor('the automatic rollback to finish', async () => {
      const d = await newest('canary');
      return d?.kind === 'auto_rollback' && d.status === 'success' ? d : undefined;
    }, 20_000);
    assert.equal(rollback.id, notice.deploymentId);
    await waitFor('the status bar to calm down', () => (api.statusBar.alarm === undefined && environmentNode('canary')?.environment.current?.id === rollback.id) || undefined, 15_000);
    const about = api.notifier.shown.slice(shownBefore).filter((n) => n.project === PROJECT && n.environment === 'canary');
    assert.deepEqual(about.map((n) => n.kind), ['rolled_back'], 'one notification for the failure and its rollback');
  });

  it('says why the server cannot be reached, with what to do, instead of an empty view', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      await vscode.workspace.getConfiguration('flightdeck').update('server.url', `http://127.0.0.1:${port}`, vscode.ConfigurationTarget.Global);
      await waitFor('the view to go offline', () => (api.model.state === 'offline' && api.model.allProjects.length === 0) || undefined, 20_000);
      const rows = await api.provider.getChildren();
      const items = rows.map((row) => api.provider.getTreeItem(row));
      assert.equal(items[0]?.label, 'The release server cannot be reached');
      assert.equal(items[0]?.description, api.model.lastError);
      assert.match(String(items[0]?.description), /127\.0\.0\.1|refused|ECONNREFUSED/i);
      assert.deepEqual(items.slice(1).map((i) => i.command?.command), ['flightdeck.refresh', 'flightdeck.connect', 'flightdeck.useEmbedded', 'flightdeck.showLogs']);
    } finally {
      await vscode.workspace.getConfiguration('flightdeck').update('server.url', server.url, vscode.ConfigurationTarget.Global);
    }
  });
});
