// The extension with `flightdeck.server.kind: aviator`: projects come from a `.flightdeck.json` in the
// workspace (the temp git repo the harness opens), the tree shows them with what each environment runs,
// promote and rollback go through the commands, and a recording proxy in front of the real server (whose
// endpoints 1–5 are Aviator's API) shows that nothing but Aviator's five calls was sent. The proxy
// records and forwards; it answers nothing itself.
//
// This suite needs the Aviator wiring in SessionManager (an AviatorBackend when the kind is `aviator`)
// and registerAviator in main.ts; without them its first tests fail saying so and the rest are skipped.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import type { Deployment } from '../../../src/api/schemas';
import { environmentError } from '../../../src/client/aviator';
import { PROJECT_CONFIG_FILE, defaultProjectConfig, projectConfigText } from '../../../src/core/projectConfig';
import type { FlightdeckApi } from '../../../src/extension/main';
import type { EnvironmentNode } from '../../../src/extension/tree/model';
import { seedPayments, startRealServer, waitFor, type RealServer } from './realServer';

const WIRING_MISSING = 'The Aviator backend is not wired in yet: with flightdeck.server.kind = "aviator", SessionManager.connect() '
  + 'must create an AviatorBackend (createAviatorBackend from src/extension/aviator) and main.ts must call registerAviator. '
  + 'Apply the session.ts / main.ts / package.json changes from the Aviator backend report.';

interface Recorded { method: string; path: string; body: unknown }

/** Records method, path and body of each request, then forwards it unchanged to `target`. */
async function startRecordingProxy(target: string): Promise<{ url: string; log: Recorded[]; close(): Promise<void> }> {
  const log: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        body = raw.toString('utf8');
      }
      log.push({ method: req.method ?? '?', path: new URL(req.url ?? '/', 'http://proxy').pathname, body });
      const upstream = http.request(target + (req.url ?? '/'), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      upstream.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const AVIATOR_ENDPOINTS: ReadonlyArray<readonly [string, RegExp]> = [
  ['POST', /^\/api\/releases\/[^/]+\/releases\/[^/]+$/],
  ['POST', /^\/api\/releases\/[^/]+\/environments\/[^/]+\/deployments$/],
  ['PATCH', /^\/api\/releases\/[^/]+\/environments\/[^/]+\/deployments$/],
  ['GET', /^\/api\/releases\/[^/]+\/environments\/[^/]+\/deployments$/],
  ['POST', /^\/api\/releases\/[^/]+\/environments\/[^/]+\/rollback$/],
];

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
  let commandRegistered = false;
  let wired = false;
  /** Requests before this index were made while the settings were switching (possibly not by Aviator). */
  let mark = 0;

  const report = async (environment: string, version: string, status: string): Promise<void> => {
    const r = await server.api('PATCH', `/api/releases/payments/environments/${environment}/deployments`, { release_candidate_version: version, status });
    assert.equal(r.status, 200, `report ${environment} ${version} ${status}: ${JSON.stringify(r.body)}`);
  };

  before(async () => {
    api = await flightdeck();
    server = await startRealServer();
    await seedPayments(server);
    proxy = await startRecordingProxy(server.url);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the harness opens a workspace folder');
    configUri = vscode.Uri.joinPath(folder.uri, PROJECT_CONFIG_FILE);
    await vscode.workspace.fs.delete(configUri).then(undefined, () => undefined);
    commandRegistered = (await vscode.commands.getCommands(true)).includes('flightdeck.createProjectConfig');

    // URL first, then kind: in between, a Flightdeck session may talk to the proxy; `mark` skips that.
    await settings().update('server.url', proxy.url, vscode.ConfigurationTarget.Global);
    await settings().update('server.kind', 'aviator', vscode.ConfigurationTarget.Global);
    const onProxy = async () => {
      const s = await api.sessions.get().catch(() => undefined);
      return s && s.backend.baseUrl === proxy.url ? s : undefined;
    };
    await waitFor('a session on the proxy', onProxy);
    wired = await waitFor('an Aviator session', async () => (await onProxy())?.backend.kind === 'aviator', 3000).catch(() => false);
    // Give a replaced session's requests time to land before counting.
    await new Promise((r) => setTimeout(r, 300));
    mark = proxy.log.length;
  });

  after(async () => {
    await settings().update('server.kind', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('server.url', '', vscode.ConfigurationTarget.Global);
    if (configUri) await vscode.workspace.fs.delete(configUri).then(undefined, () => undefined);
    await proxy?.close();
    await server?.stop();
  });

  it('uses an AviatorBackend when flightdeck.server.kind is aviator', () => {
    assert.ok(wired, WIRING_MISSING);
  });

  it('registers flightdeck.createProjectConfig, which writes .flightdeck.json from the git remote', async function () {
    assert.ok(commandRegistered, WIRING_MISSING);
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('flightdeck.createProjectConfig', { name: 'payments', open: false });
    assert.ok(uri, 'the command returned the file it wrote');
    assert.equal(uri.toString(), configUri.toString());
    const written = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(configUri))) as { projects: { name: string; repo: string; environments: { name: string }[] }[] };
    assert.equal(written.projects[0]?.name, 'payments');
    assert.equal(written.projects[0]?.repo, 'flightdeck-test/payments', 'from the workspace\'s origin remote');
    assert.deepEqual(written.projects[0]?.environments.map((e) => e.name), ['dogfood', 'canary', 'rollout', 'production']);
  });

  it('shows the configured project with what each environment runs (from Aviator\'s deployment lists)', async function () {
    assert.ok(wired, WIRING_MISSING);
    // Without the command (not wired), write the same file by hand so the rest can still be diagnosed.
    await vscode.workspace.fs.stat(configUri).then(undefined, () =>
      vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(projectConfigText(defaultProjectConfig('payments', 'flightdeck-test/payments')))));
    const items = await refreshUntil(api, 'the payments project in the tree', async () => {
      const map = await environmentItems(api, 'payments');
      return map.size === 4 ? map : undefined;
    });
    assert.deepEqual([...items.keys()], ['dogfood', 'canary', 'rollout', 'production']);
    assert.match(description(items.get('dogfood')?.item), /^1\.1\.0-rc1 · /);
    assert.match(description(items.get('canary')?.item), /^1\.0\.0-rc1 · /);
    assert.equal(description(items.get('production')?.item), 'nothing deployed');
    assert.match(String(items.get('canary')?.item.contextValue), /promotable/);
    const tooltip = items.get('canary')?.item.tooltip;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.match(tooltip.value, /aaaaaaaaaaaa/);
  });

  it('promotes through the command: a create-deployment of the candidate live below', async function () {
    assert.ok(wired, WIRING_MISSING);
    const deployment = await vscode.commands.executeCommand<Deployment | undefined>('flightdeck.promote', { project: 'payments', environment: 'canary', skipConfirm: true });
    assert.ok(deployment, 'the promote returned the new deployment');
    assert.equal(deployment.release_candidate_version, '1.1.0-rc1');
    assert.equal(deployment.from_release_candidate_version, '1.0.0-rc1');
    assert.equal(deployment.kind, 'deploy', 'Aviator records a promote as a deploy');
    const posted = proxy.log.slice(mark).filter((r) => r.method === 'POST');
    assert.deepEqual(posted.map((r) => r.path), ['/api/releases/payments/environments/canary/deployments']);
    assert.deepEqual(posted[0]?.body, { release_candidate_version: '1.1.0-rc1' });
    await report('canary', '1.1.0-rc1', 'in_progress');
    await report('canary', '1.1.0-rc1', 'success');
    await refreshUntil(api, 'canary to show 1.1.0-rc1', async () => /^1\.1\.0-rc1/.test(description((await environmentItems(api, 'payments')).get('canary')?.item)));
  });

  it('rolls back through the command with Aviator\'s rollback call', async function () {
    assert.ok(wired, WIRING_MISSING);
    const before = proxy.log.length;
    const deployment = await vscode.commands.executeCommand<Deployment | undefined>('flightdeck.rollback', { project: 'payments', environment: 'canary', skipConfirm: true });
    assert.ok(deployment);
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

  it('follows edits to .flightdeck.json, and shows an environment Aviator does not know with its 404 message', async function () {
    assert.ok(wired, WIRING_MISSING);
    const config = defaultProjectConfig('payments', 'flightdeck-test/payments');
    config.projects[0]?.environments.push({ name: 'staging-eu', tier: 'staging' });
    await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(projectConfigText(config)));
    // The watcher re-reads the file; the next poll (or this refresh) shows the new rung.
    const items = await refreshUntil(api, 'the staging-eu rung', async () => {
      const map = await environmentItems(api, 'payments');
      return map.has('staging-eu') ? map : undefined;
    });
    const unknown = items.get('staging-eu');
    assert.ok(unknown);
    assert.equal(unknown.node.environment.current, null);
    assert.match(environmentError(unknown.node.environment) ?? '', /not found/, 'the server\'s 404 message is on the environment');
    assert.match(description(items.get('canary')?.item), /^1\.0\.0-rc1/, 'the other rungs are unaffected');
  });

  it('shows that message on the tree item (needs the provider change from the Aviator report)', async function () {
    assert.ok(wired, WIRING_MISSING);
    const items = await environmentItems(api, 'payments');
    const item = items.get('staging-eu')?.item;
    assert.ok(item);
    const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
    assert.match(`${description(item)} ${tooltip}`, /not found/, 'the tree item names the error (ReleaseTreeProvider.environmentItem)');
    assert.doesNotMatch(String(item.contextValue), /promotable|rollbackable/, 'no actions on an environment Aviator does not know');
  });

  it('sent nothing but Aviator\'s five endpoints', function () {
    assert.ok(wired, WIRING_MISSING);
    const sent = proxy.log.slice(mark);
    assert.ok(sent.length > 0);
    const others = sent.filter((r) => !AVIATOR_ENDPOINTS.some(([m, p]) => r.method === m && p.test(r.path)));
    assert.deepEqual(others.map((r) => `${r.method} ${r.path}`), [], 'no /api/releases overview, no /api/events stream, no promote endpoint');
  });
});
