// The extension with `flightdeck.server.kind: aviator`: projects come from a `.flightdeck.json` in the
// workspace (the temp git repo the harness opens), the tree shows them with what each environment runs,
// promote and rollback go through the commands, and a recording proxy in front of the real server (whose
// endpoints 1–5 are Aviator's API) shows that nothing but Aviator's five calls was sent. The proxy
// records and forwards; it answers nothing itself.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Deployment } from '../../../src/api/schemas';
import { PROJECT_CONFIG_FILE, defaultProjectConfig, projectConfigText } from '../../../src/core/projectConfig';
import type { FlightdeckApi } from '../../../src/extension/main';
import type { CommandOutcome } from '../../../src/extension/outcome';
import type { EnvironmentNode } from '../../../src/extension/tree/model';
import { aviatorEndpointIndex, startRecordingProxy } from '../../shared/aviatorProxy';
import { seedPayments, startRealServer, waitFor, type RealServer } from './realServer';

async function flightdeck(): Promise<FlightdeckApi> {
  const extension = vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck');
  assert.ok(extension, 'the extension is installed');
  return extension.activate();
}

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('flightdeck');
}

async function environmentItems(api: FlightdeckApi, project: string): Promise<Map<string, { node: EnvironmentNode; item: vscode.TreeItem }>> {
  const roots = await api.provider.getChildren();
  const projectNode = roots.find((n) => n.kind === 'project' && n.project.name === project);
  if (!projectNode) return new Map();
  const envs = (await api.provider.getChildren(projectNode)) as EnvironmentNode[];
  return new Map(envs.map((node) => [node.environment.name, { node, item: api.provider.getTreeItem(node) }]));
}

function description(item: vscode.TreeItem | undefined): string {
  return typeof item?.description === 'string' ? item.description : '';
}

/** Polling is the only freshness Aviator has: ask for a refresh on each try instead of waiting 30 s. */
async function refreshUntil<T>(api: FlightdeckApi, what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  return waitFor(what, async () => {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await api.refresh.now();
    return undefined;
  }, timeoutMs);
}

describe('Aviator backend (flightdeck.server.kind = aviator) against a real server', function () {
  this.timeout(90_000);
  let api: FlightdeckApi;
  let server: RealServer;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let configUri: vscode.Uri;
  let aviatorSession = false;

  const report = async (environment: string, version: string, status: string): Promise<void> => {
    const r = await server.api('PATCH', `/api/releases/payments/environments/${environment}/deployments`, { release_candidate_version: version, status });
    assert.equal(r.status, 200, `report ${environment} ${version} ${status}: ${JSON.stringify(r.body)}`);
  };

  /** `.flightdeck.json` naming payments' four rungs, plus these (unknown to the server). */
  const writeProjectConfig = async (...extraEnvironments: string[]): Promise<void> => {
    const config = defaultProjectConfig('payments', 'flightdeck-test/payments');
    for (const name of extraEnvironments) config.projects[0]?.environments.push({ name, tier: 'staging' });
    await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(projectConfigText(config)));
    // A read the file watcher began while the file was being written may still be in flight (and saw it
    // half-written, or gone); a reload that starts after it reads what was written.
    await api.projectConfig.reload();
    const read = await api.projectConfig.reload();
    assert.deepEqual(read.projects.map((p) => p.name), ['payments'], 'the extension reads the configuration just written');
  };

  /**
   * Each test sets up the canary it needs: unfrozen, running these candidates one after the other (the
   * last one live, the one before it what a rollback returns to), and the tree showing it.
   */
  const canaryRuns = async (...versions: string[]): Promise<void> => {
    const unfrozen = await server.api('PATCH', '/api/releases/payments/environments/canary', { frozen: false });
    assert.equal(unfrozen.status, 200, JSON.stringify(unfrozen.body));
    for (const version of versions) {
      await report('canary', version, 'in_progress');
      await report('canary', version, 'success');
    }
    const live = versions.at(-1) ?? '';
    await api.refresh.now();
    await refreshUntil(api, `canary to show ${live}`, async () => description((await environmentItems(api, 'payments')).get('canary')?.item).startsWith(`${live} `));
  };

  /** The tree once it shows the staging-eu rung of a `.flightdeck.json` that names it. */
  const withStagingEu = async (): Promise<Map<string, { node: EnvironmentNode; item: vscode.TreeItem }>> => {
    await writeProjectConfig('staging-eu');
    // The watcher re-reads the file; the next poll (or this refresh) shows the new rung.
    return refreshUntil(api, 'the staging-eu rung', async () => {
      const map = await environmentItems(api, 'payments');
      return map.has('staging-eu') ? map : undefined;
    });
  };

  /** Every confirmation asked, and how this tier answers it (it cannot click a modal; the UI tier does). */
  const asked: string[] = [];
  let answer = (_action: string) => true;

  before(async () => {
    api = await flightdeck();
    api.setConfirmer({ confirm: async ({ action }) => { asked.push(action); return answer(action); } });
    server = await startRealServer();
    await seedPayments(server);
    proxy = await startRecordingProxy(server.url);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the harness opens a workspace folder');
    configUri = vscode.Uri.joinPath(folder.uri, PROJECT_CONFIG_FILE);
    await vscode.workspace.fs.delete(configUri).then(undefined, () => undefined);

    // Never a Flightdeck session on the proxy, so that everything it records was sent by Aviator sessions:
    // first the server itself (not recorded), then the kind, and only then the proxy. (Kind first, with no
    // URL, would send the session to Aviator's own service.)
    await settings().update('server.url', server.url, vscode.ConfigurationTarget.Global);
    await settings().update('server.kind', 'aviator', vscode.ConfigurationTarget.Global);
    await settings().update('server.url', proxy.url, vscode.ConfigurationTarget.Global);
    const session = await waitFor('a session on the proxy', async () => {
      const s = await api.sessions.get().catch(() => undefined);
      return s && s.backend.baseUrl === proxy.url ? s : undefined;
    });
    aviatorSession = session.backend.kind === 'aviator';
  });

  // Every test starts with the confirmations answered yes (one that declines sets that up itself).
  beforeEach(() => {
    answer = () => true;
    asked.length = 0;
  });

  after(async () => {
    api.setConfirmer(undefined);
    await settings().update('server.kind', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('server.url', '', vscode.ConfigurationTarget.Global);
    if (configUri) await vscode.workspace.fs.delete(configUri).then(undefined, () => undefined);
    await proxy?.close();
    await server?.stop();
  });

  it('uses an AviatorBackend when flightdeck.server.kind is aviator', () => {
    assert.ok(aviatorSession, 'with server.kind = aviator the session\'s backend is not the Aviator one');
  });

  it('registers flightdeck.createProjectConfig, which writes .flightdeck.json from the git remote', async function () {
    await vscode.workspace.fs.delete(configUri).then(undefined, () => undefined);
    assert.ok((await vscode.commands.getCommands(true)).includes('flightdeck.createProjectConfig'), 'flightdeck.createProjectConfig is registered');
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('flightdeck.createProjectConfig', { name: 'payments', open: false });
    assert.ok(uri, 'the command returned the file it wrote');
    assert.equal(uri.toString(), configUri.toString());
    const written = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(configUri))) as { projects: { name: string; repo: string; environments: { name: string }[] }[] };
    assert.equal(written.projects[0]?.name, 'payments');
    assert.equal(written.projects[0]?.repo, 'flightdeck-test/payments', 'from the workspace\'s origin remote');
    assert.deepEqual(written.projects[0]?.environments.map((e) => e.name), ['dogfood', 'canary', 'rollout', 'production']);
  });

  it('shows the configured project with what each environment runs (from Aviator\'s deployment lists)', async function () {
    await writeProjectConfig();
    await canaryRuns('1.0.0-rc1');
    const items = await refreshUntil(api, 'the payments project in the tree', async () => {
      const map = await environmentItems(api, 'payments');
      return map.size === 4 ? map : undefined;
    });
    assert.deepEqual([...items.keys()], ['dogfood', 'canary', 'rollout', 'production']);
    assert.match(description(items.get('dogfood')?.item), /^1\.1\.0-rc1 · /);
    assert.match(description(items.get('canary')?.item), /^1\.0\.0-rc1 · /);
    assert.equal(description(items.get('production')?.item), 'nothing deployed');
    assert.match(String(items.get('canary')?.item.contextValue), /can-promote/);
    const tooltip = items.get('canary')?.item.tooltip;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.match(tooltip.value, /aaaaaaaaaaaa/);
  });

  it('promotes through the command: a create-deployment of the candidate live below', async function () {
    await writeProjectConfig();
    await canaryRuns('1.0.0-rc1');
    const before = proxy.log.length;
    const outcome = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.promote', { project: 'payments', environment: 'canary' });
    const deployment = outcome.kind === 'done' ? outcome.value : undefined;
    assert.ok(deployment, `the promote returned the new deployment: ${JSON.stringify(outcome)}`);
    assert.equal(deployment.release_candidate_version, '1.1.0-rc1');
    assert.equal(deployment.from_release_candidate_version, '1.0.0-rc1');
    assert.equal(deployment.kind, 'deploy', 'Aviator records a promote as a deploy');
    const posted = proxy.log.slice(before).filter((r) => r.method === 'POST');
    assert.deepEqual(posted.map((r) => r.path), ['/api/releases/payments/environments/canary/deployments']);
    assert.deepEqual(posted[0]?.body, { release_candidate_version: '1.1.0-rc1' });
    await report('canary', '1.1.0-rc1', 'in_progress');
    await report('canary', '1.1.0-rc1', 'success');
    await refreshUntil(api, 'canary to show 1.1.0-rc1', async () => /^1\.1\.0-rc1/.test(description((await environmentItems(api, 'payments')).get('canary')?.item)));
  });

  it('rolls back through the command with Aviator\'s rollback call', async function () {
    await writeProjectConfig();
    await canaryRuns('1.0.0-rc1', '1.1.0-rc1');
    const before = proxy.log.length;
    const outcome = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.rollback', { project: 'payments', environment: 'canary' });
    const deployment = outcome.kind === 'done' ? outcome.value : undefined;
    assert.ok(deployment, JSON.stringify(outcome));
    assert.equal(deployment.kind, 'rollback');
    assert.equal(deployment.release_candidate_version, '1.0.0-rc1');
    const posted = proxy.log.slice(before).filter((r) => r.method === 'POST');
    assert.deepEqual(posted.map((r) => r.path), ['/api/releases/payments/environments/canary/rollback']);
    const listed = await server.api<Deployment[]>('GET', '/api/releases/payments/environments/canary/deployments');
    assert.equal(listed.body[0]?.id, deployment.id);
    // Finish it as the pipeline would, so the progress notification that follows it ends.
    await report('canary', '1.0.0-rc1', 'in_progress');
    await report('canary', '1.0.0-rc1', 'success');
    await refreshUntil(api, 'canary back on 1.0.0-rc1', async () => /^1\.0\.0-rc1/.test(description((await environmentItems(api, 'payments')).get('canary')?.item)));
  });

  it('a frozen environment (Aviator cannot say so) refuses a plain rollback; a forced one goes through', async function () {
    await writeProjectConfig();
    await canaryRuns('1.0.0-rc1', '1.1.0-rc1');
    const frozen = await server.api('PATCH', '/api/releases/payments/environments/canary', { frozen: true });
    assert.equal(frozen.status, 200, JSON.stringify(frozen.body));
    try {
      const before = proxy.log.length;
      // Declining the Force Rollback question leaves the refusal standing: forcing is asked, never assumed.
      answer = (action) => action !== 'Force Rollback';
      asked.length = 0;
      const declined = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.rollback', { project: 'payments', environment: 'canary' });
      assert.equal(declined.kind, 'refused', JSON.stringify(declined));
      assert.deepEqual(asked, ['Rollback', 'Force Rollback']);
      answer = () => true;
      const outcome = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.rollback', { project: 'payments', environment: 'canary' });
      const forced = outcome.kind === 'done' ? outcome.value : undefined;
      assert.ok(forced, `the forced rollback was created: ${JSON.stringify(outcome)}`);
      assert.equal(forced.kind, 'rollback');
      const posted = proxy.log.slice(before).filter((r) => r.method === 'POST');
      assert.deepEqual(posted.map((r) => (r.body as { force?: boolean }).force), [undefined, undefined, true], 'a plain attempt declined, then a plain attempt and a forced one');
      assert.equal(forced.release_candidate_version, '1.0.0-rc1');
      // The pipeline finishes the deployment under way: a frozen environment takes that report.
      await report('canary', forced.release_candidate_version, 'in_progress');
      await report('canary', forced.release_candidate_version, 'success');
    } finally {
      await server.api('PATCH', '/api/releases/payments/environments/canary', { frozen: false });
    }
  });

  it('follows edits to .flightdeck.json, and shows an environment Aviator does not know with its 404 message', async function () {
    await writeProjectConfig();
    await canaryRuns('1.0.0-rc1');
    const items = await withStagingEu();
    const unknown = items.get('staging-eu');
    assert.ok(unknown);
    assert.equal(unknown.node.environment.current, null);
    assert.match(unknown.node.environment.error ?? '', /not found/, 'the server\'s 404 message is on the environment');
    assert.match(description(items.get('canary')?.item), /^1\.0\.0-rc1/, 'the other rungs are unaffected');
  });

  it('shows that message on the tree item', async function () {
    const items = await withStagingEu();
    const item = items.get('staging-eu')?.item;
    assert.ok(item);
    const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
    assert.match(`${description(item)} ${tooltip}`, /not found/, 'the tree item names the error (ReleaseTreeProvider.environmentItem)');
    assert.doesNotMatch(String(item.contextValue), /can-promote|can-rollback/, 'no actions on an environment Aviator does not know');
  });

  it('sent nothing but Aviator\'s five endpoints', async function () {
    // A refresh of its own, so that this test has requests to look at; the log holds the others' too.
    await writeProjectConfig();
    const before = proxy.log.length;
    await api.refresh.now();
    await waitFor('the refresh\'s requests', () => proxy.log.length > before);
    const sent = proxy.log;
    const others = sent.filter((r) => aviatorEndpointIndex(r) < 0);
    assert.deepEqual(others.map((r) => `${r.method} ${r.path}`), [], 'no /api/releases overview, no /api/events stream, no promote endpoint');
  });
});
