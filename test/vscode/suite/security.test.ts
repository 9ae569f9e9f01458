// What a release server, a workspace or a file may not make the extension do, against a real server:
// render their text as markdown (headings, links), forge a command link in a trusted hover, store a token
// through Sign In, receive FLIGHTDECK_TOKEN for a server only a workspace names, or receive the embedded
// admin token by naming a non-loopback URL in the embedded server's state file.
//
// A "rogue server" here is a proxy in front of the real one that rewrites or records what passes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { escapeMarkdown, escapeMarkdownLines, markdownCode } from '../../../src/core/markdown';
import type { FlightdeckApi } from '../../../src/extension/main';
import { HOVER_COMMANDS } from '../../../src/extension/hover/present';
import { statusTooltip } from '../../../src/extension/statusBar';
import type { EnvironmentNode, ProjectNode } from '../../../src/extension/tree/model';
import { startRealServer, waitFor, type RealServer } from './realServer';

const PROJECT = 'Crafted _beta_';
const LEDGER = 'ledger';
const VERSION = '1.4.0-rc2';
const CRAFTED_VERSION = '1.5.0_beta+x-rc1';
const CRAFTED_ERROR = 'Deploy failed\n===\n# Owned\n[Sign in again](command:flightdeck.signIn?%22fd_attacker%22) https://evil.example/login <img src=x>';
const MISSING = 'e'.repeat(40); // deployed, in no local repository
/** What the rogue server says staging of `ledger` runs: the same prefix, then an attempt at a link of its own. */
const FORGED_COMMIT = `${MISSING}"\n\n[Sign in](command:flightdeck.signIn?%22fd_attacker%22 "x")`;

interface Recorded {
  url: string;
  authorization: string | undefined;
}

interface Proxy {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** A proxy to `target` that records every request and lets `rewrite` change a JSON answer. */
async function startProxy(target: string, rewrite?: (route: string, body: unknown) => unknown): Promise<Proxy> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '/', authorization: req.headers.authorization });
    const upstream = http.request(target + (req.url ?? '/'), { method: req.method, headers: { ...req.headers, 'accept-encoding': 'identity' } }, (up) => {
      if (!rewrite || up.statusCode !== 200 || !String(up.headers['content-type']).includes('json')) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = JSON.stringify(rewrite(req.url ?? '/', JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
        delete headers.etag;
        res.writeHead(200, headers);
        res.end(body);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A server on `host` that records every request and answers each with an empty project list. */
async function startImpostor(host: string): Promise<Proxy> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '/', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ projects: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The overview as the rogue server tells it: staging of `ledger` runs a forged "commit". */
function forgeLedgerCommit(route: string, body: unknown): unknown {
  if (route.split('?')[0] !== '/api/releases') return body;
  const overview = body as { projects: { name: string; environments: { name: string; current: { commit: string } | null }[] }[] };
  for (const project of overview.projects) {
    const staging = project.name === LEDGER ? project.environments.find((e) => e.name === 'staging') : undefined;
    if (staging?.current) staging.current.commit = FORGED_COMMIT;
  }
  return overview;
}

function flightdeckConfig(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('flightdeck');
}

/** Every command link target in markdown (escaped text holds `command\:`, which is none). */
function commandLinks(md: string): { command: string; args: unknown }[] {
  return [...md.matchAll(/command:([A-Za-z0-9_.-]+)\?([^\s)]*)/g)].map((m) => {
    try {
      return { command: m[1]!, args: JSON.parse(decodeURIComponent(m[2]!)) as unknown };
    } catch {
      return { command: m[1]!, args: `unparseable: ${m[2]!}` };
    }
  });
}

/** An address of this machine other than loopback, for a server the state file may not name. */
function nonLoopbackAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    const address = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (address) return address.address;
  }
  // No other interface: 127.0.0.2 is still not an address the embedded server listens on.
  return '127.0.0.2';
}

describe('What a server, a workspace or a file cannot make the extension do', function () {
  this.timeout(120_000);
  let api: FlightdeckApi;
  let server: RealServer;
  let rogue: Proxy;

  const check = async (method: string, route: string, body?: unknown): Promise<void> => {
    const r = await server.api(method, route, body);
    if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(r.body)}`);
  };

  before(async () => {
    api = await vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck')!.activate();
    server = await startRealServer();
    const project = `/api/releases/${encodeURIComponent(PROJECT)}`;
    const ladder = [
      { name: 'staging', tier: 'staging', position: 0, strategy: 'standard' },
      { name: 'production', tier: 'production', position: 1, strategy: 'standard' },
    ];
    await check('PUT', project, { repo: 'acme/crafted', description: 'Crafted', environments: ladder });
    await check('POST', `${project}/releases/${VERSION}`, { commit: 'c'.repeat(40) });
    await check('POST', `${project}/releases/${encodeURIComponent(CRAFTED_VERSION)}`, { commit: 'd'.repeat(40) });
    await check('PATCH', `${project}/environments/staging/deployments`, { release_candidate_version: VERSION, status: 'success' });
    await check('PATCH', `${project}/environments/production/deployments`, { release_candidate_version: CRAFTED_VERSION, status: 'failure', error_message: CRAFTED_ERROR });
    await check('PUT', `/api/releases/${LEDGER}`, { repo: 'acme/ledger', environments: ladder });
    await check('POST', `/api/releases/${LEDGER}/releases/0.9.0-rc1`, { commit: MISSING });
    for (const env of ['staging', 'production']) {
      await check('PATCH', `/api/releases/${LEDGER}/environments/${env}/deployments`, { release_candidate_version: '0.9.0-rc1', status: 'success' });
    }
    rogue = await startProxy(server.url, forgeLedgerCommit);
    await flightdeckConfig().update('server.url', rogue.url, vscode.ConfigurationTarget.Global);
    await waitFor('both projects in the model, through the rogue server', () =>
      api.model.findProject(PROJECT)?.environments.find((e) => e.name === 'staging')?.current
        && api.model.findProject(LEDGER)?.environments.find((e) => e.name === 'staging')?.current?.commit === FORGED_COMMIT ? true : undefined, 30_000);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await flightdeckConfig().update('server.url', '', vscode.ConfigurationTarget.Global);
    await rogue?.close();
    await server?.stop();
  });

  it('shows a candidate and an error message from the server literally in the tree tooltips', async () => {
    const projectNode = (await api.provider.getChildren()).find((n): n is ProjectNode => n.kind === 'project' && n.project.name === PROJECT);
    assert.ok(projectNode);
    const environments = await api.provider.getChildren(projectNode) as EnvironmentNode[];
    const staging = environments.find((n) => n.environment.name === 'staging');
    const production = environments.find((n) => n.environment.name === 'production');
    assert.ok(staging && production);

    const stagingTooltip = api.provider.getTreeItem(staging).tooltip;
    assert.ok(stagingTooltip instanceof vscode.MarkdownString);
    assert.ok(stagingTooltip.value.includes(`\`${VERSION}\``), `the version in a code span, no backslashes:\n${stagingTooltip.value}`);
    assert.ok(stagingTooltip.value.includes(`**${escapeMarkdown(PROJECT)} / staging**`), stagingTooltip.value);

    const failed = (await api.provider.getChildren(production)).find((n) => n.kind === 'deployment' && n.deployment.status === 'failure');
    assert.ok(failed, 'the failed deployment is listed under production');
    const tooltip = api.provider.getTreeItem(failed).tooltip;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.ok(tooltip.value.includes(markdownCode(CRAFTED_VERSION)), tooltip.value);
    assert.ok(!tooltip.value.includes('1\\.5'), `nothing escaped inside a code span:\n${tooltip.value}`);
    assert.ok(tooltip.value.includes(escapeMarkdownLines(CRAFTED_ERROR)), tooltip.value);
    // What would render as a heading, a link or an autolink:
    assert.doesNotMatch(tooltip.value, /^=+\s*$/m, 'no setext heading underline');
    assert.doesNotMatch(tooltip.value, /^#/m, 'no ATX heading');
    assert.doesNotMatch(tooltip.value, /\]\(|https:\/\/|(?<!\\)<img/, 'no link, autolink or html');
    assert.notEqual(tooltip.isTrusted, true);
  });

  it('escapes the status bar tooltip', () => {
    const project = api.model.findProject(PROJECT);
    assert.ok(project);
    const value = statusTooltip(project).value;
    assert.ok(value.startsWith(`**${escapeMarkdown(PROJECT)}**`), value);
    assert.ok(value.includes(`\`${VERSION}\``), value);
  });

  it('links a forged commit nowhere: the hover has only its own command links, to commit ids', async () => {
    const doc = await vscode.workspace.openTextDocument({ content: `deployed as ${MISSING.slice(0, 7)} yesterday\n` });
    const answer = await api.commits.hoverProvider.provideHover(doc, new vscode.Position(0, 14), new vscode.CancellationTokenSource().token);
    const hover = answer?.contents.find((c): c is vscode.MarkdownString => c instanceof vscode.MarkdownString && c.value.includes('**Flightdeck**'));
    assert.ok(hover, 'a hover for the deployed commit this clone lacks');
    assert.ok(hover.value.includes('ledger/production runs'), hover.value);
    const links = commandLinks(hover.value);
    assert.ok(links.length > 0, hover.value);
    for (const { command, args } of links) {
      assert.ok((HOVER_COMMANDS as readonly string[]).includes(command), `${command} is allow-listed`);
      assert.ok(typeof args === 'object' && args !== null, `${command} gets what the hover built, not ${JSON.stringify(args)}:\n${hover.value}`);
      const { sha } = args as { sha?: unknown };
      if (sha !== undefined) assert.match(String(sha), /^[0-9a-f]{7,64}$/, `a commit id, not ${JSON.stringify(sha)}`);
    }
    assert.ok(!hover.value.includes('fd_attacker'), hover.value);
    const trust = hover.isTrusted;
    assert.ok(typeof trust === 'object' && trust !== null, 'trusted by an allow-list, never `true`');
    assert.deepEqual([...trust.enabledCommands].sort(), [...HOVER_COMMANDS].sort());
  });

  it('Sign In ignores a token passed as an argument: it asks, and stores nothing when not answered', async () => {
    const created = await server.api<{ token: string }>('POST', '/api/tokens', { role: 'deployer', name: 'forged-link' });
    assert.equal(created.status, 201);
    let outcome: { value: unknown } | { error: unknown } | undefined;
    // As a forged `command:flightdeck.signIn?"<token>"` link would call it. Never rejects: settled here.
    void vscode.commands.executeCommand<unknown>('flightdeck.signIn', created.body.token).then(
      (value) => { outcome = { value }; },
      (error: unknown) => { outcome = { error }; },
    );
    try {
      // It waits for the input box; dismissing it (as the user would) ends the command.
      await waitFor('Sign In to end', async () => {
        if (outcome) return outcome;
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        return outcome;
      }, 15_000);
      assert.deepEqual(outcome, { value: undefined });
      const session = await api.sessions.get();
      assert.equal(session.tokenSource, 'env', 'nothing was stored');
      assert.notEqual(session.token, created.body.token);
    } finally {
      await vscode.commands.executeCommand('flightdeck.signOut');
    }
  });

  it('does not send FLIGHTDECK_TOKEN to a server only the workspace names', async () => {
    const envToken = process.env.FLIGHTDECK_TOKEN;
    assert.ok(envToken);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const settingsDir = path.join(folder.uri.fsPath, '.vscode');
    const hadSettingsDir = fs.existsSync(settingsDir);
    // Another origin (another port) than the user's setting names.
    const named = await startProxy(server.url);
    try {
      await flightdeckConfig().update('server.url', named.url, vscode.ConfigurationTarget.Workspace);
      const session = await waitFor('a session with the workspace\'s server', async () => {
        const s = await api.sessions.get();
        return s.backend.baseUrl.startsWith(named.url) ? s : undefined;
      }, 15_000);
      void api.refresh.now();
      await waitFor('the extension to ask the workspace\'s server', () => (named.requests.length > 0 ? true : undefined), 15_000);
      assert.equal(session.tokenSource, 'none');
      assert.equal(session.token, undefined);
      assert.deepEqual(named.requests.filter((r) => r.authorization?.includes(envToken)), [], 'no request carried FLIGHTDECK_TOKEN');
    } finally {
      await flightdeckConfig().update('server.url', undefined, vscode.ConfigurationTarget.Workspace);
      if (!hadSettingsDir) fs.rmSync(settingsDir, { recursive: true, force: true });
      await named.close();
    }
    // The user's own setting still gets it.
    const back = await waitFor('the session with the user\'s server again', async () => {
      const s = await api.sessions.get();
      return s.backend.baseUrl.startsWith(rogue.url) ? s : undefined;
    }, 15_000);
    assert.equal(back.tokenSource, 'env');
  });

  it('ignores an embedded-server state file that names a non-loopback URL, and starts its own', async () => {
    // The user setting points at the real server, so nothing but this test starts the embedded one.
    await api.embedded.stop();
    const adminToken = await api.embedded.adminToken();
    const elsewhere = await startImpostor(nonLoopbackAddress());
    const stateFile = path.join(api.embedded.dataDir, '..', `${path.basename(api.embedded.dataDir)}.server.json`);
    fs.mkdirSync(path.dirname(stateFile), { recursive: true });
    // A live pid (this extension host) and a server that would accept the token: all the old check asked.
    fs.writeFileSync(stateFile, JSON.stringify({ url: elsewhere.url, pid: process.pid }));
    try {
      const endpoint = await api.embedded.ensure();
      assert.notEqual(endpoint.url, elsewhere.url);
      assert.match(endpoint.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(endpoint.owned, true, 'a new embedded server of its own');
      assert.deepEqual(elsewhere.requests.filter((r) => r.authorization?.includes(adminToken)), [], 'the admin token never left for it');
      assert.equal((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { url: string }).url, endpoint.url, 'the state file names the new one');
    } finally {
      await api.embedded.stop();
      await elsewhere.close();
    }
  });
});
