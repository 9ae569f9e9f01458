// The extension on GitHub Deployments (`flightdeck.server.kind: github`) against the GitHub emulator
// (test/shared/githubEmulator: a real HTTP server on loopback whose every answer is checked against
// GitHub's OpenAPI description), serving the workspace folder's own git repository as
// flightdeck-test/payments under an Enterprise base path (/api/v3). The token comes from GITHUB_TOKEN in
// the extension host's environment. The suite commits and tags on top of the harness's commit and resets
// the repository when done, so later suites see what they expect (as the hover suite does).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Deployment } from '../../../src/api/schemas';
import { escapeMarkdown } from '../../../src/core/markdown';
import { PROJECT_CONFIG_FILE } from '../../../src/core/projectConfig';
import type { FlightdeckApi } from '../../../src/extension/main';
import type { CommandOutcome } from '../../../src/extension/outcome';
import type { EnvironmentNode } from '../../../src/extension/tree/model';
import { DEFAULT_TOKEN, startGitHubEmulator, type GitHubEmulator } from '../../shared/githubEmulator';
import { waitFor } from './realServer';

const REPO = 'flightdeck-test/payments';

async function flightdeck(): Promise<FlightdeckApi> {
  const extension = vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck');
  assert.ok(extension, 'the extension is installed');
  return extension.activate();
}

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('flightdeck');
}

function description(item: vscode.TreeItem | undefined): string {
  return typeof item?.description === 'string' ? item.description : '';
}

/** The Flightdeck section of the hovers at a position (other providers add theirs). */
async function flightdeckHover(uri: vscode.Uri, position: vscode.Position): Promise<string | undefined> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  for (const hover of hovers ?? []) {
    for (const content of hover.contents) {
      const value = (content as vscode.MarkdownString).value;
      if (typeof value === 'string' && value.includes('**Flightdeck**')) return value;
    }
  }
  return undefined;
}

/** The environment's line in a hover: `✓ [staging](command:…) — …`. */
function hoverRow(value: string, environment: string): string {
  const line = value.split('\n').find((l) => l.includes(`[${escapeMarkdown(environment)}](command:flightdeck.openStage`));
  assert.ok(line, `the hover has a line for ${environment}:\n${value}`);
  return line;
}

describe('GitHub backend (flightdeck.server.kind = github) against the GitHub emulator', function () {
  this.timeout(120_000);
  let api: FlightdeckApi;
  let emulator: GitHubEmulator;
  let dir = '';
  let base = '';
  const sha = { charge: '', refunds: '', rounding: '' };
  let stagingDeploying = 0;
  let configUri: vscode.Uri | undefined;
  const tokenBefore = process.env.GITHUB_TOKEN;

  const git = (args: string[]): string => execFileSync('git', args, {
    cwd: dir, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
  const commit = (file: string, content: string, subject: string): string => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.appendFileSync(path.join(dir, file), content);
    git(['add', '--', file]);
    git(['commit', '--quiet', '-m', subject]);
    return git(['rev-parse', 'HEAD']);
  };

  /** The repository's environment rows as the tree shows them, by name, in the tree's order. */
  const environmentItems = async (): Promise<Map<string, { node: EnvironmentNode; item: vscode.TreeItem }>> => {
    const roots = await api.provider.getChildren();
    const projectNode = roots.find((n) => n.kind === 'project' && n.project.name.toLowerCase() === REPO);
    if (!projectNode) return new Map();
    const envs = (await api.provider.getChildren(projectNode)) as EnvironmentNode[];
    return new Map(envs.map((node) => [node.environment.name, { node, item: api.provider.getTreeItem(node) }]));
  };

  /** GitHub has no event stream: ask for a refresh on each try instead of waiting for the next poll. */
  const refreshUntil = <T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> => waitFor(what, async () => {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await api.refresh.now();
    return undefined;
  }, 20_000);

  before(async () => {
    api = await flightdeck();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the harness opens a workspace folder');
    dir = folder.uri.fsPath;
    base = git(['rev-parse', 'HEAD']);
    sha.charge = commit('src/charge.js', 'exports.charge = (card, cents) => gateway.charge(card, cents);\n', 'Charge cards through the gateway');
    sha.refunds = commit('src/refund.js', 'exports.refund = (id) => gateway.refund(id);\n', 'Refunds API');
    git(['tag', 'v1.0.0', sha.charge]);
    git(['tag', 'v1.1.0', sha.refunds]);

    // Environments created out of ladder order: the tree orders them by the documented name ladder.
    emulator = await startGitHubEmulator({ basePath: '/api/v3' });
    emulator.addRepository(REPO, dir);
    emulator.addEnvironment(REPO, 'production', { reviewers: true });
    emulator.addEnvironment(REPO, 'staging');
    emulator.addEnvironment(REPO, 'dev');
    emulator.createDeployment(REPO, 'production', 'v1.0.0', { states: ['in_progress', 'success'] });
    emulator.createDeployment(REPO, 'staging', 'v1.0.0', { states: ['success'] });
    stagingDeploying = emulator.createDeployment(REPO, 'staging', 'v1.1.0', { states: ['in_progress'] }).id;
    emulator.createDeployment(REPO, 'dev', 'v1.0.0', { states: ['success'] });
    emulator.createDeployment(REPO, 'dev', 'v1.1.0', { states: ['success'] });

    process.env.GITHUB_TOKEN = DEFAULT_TOKEN;
    // The workspace's remote is on github.com, the emulator on 127.0.0.1: the setting names the repository.
    await settings().update('github.apiUrl', emulator.url, vscode.ConfigurationTarget.Global);
    await settings().update('github.repositories', [REPO], vscode.ConfigurationTarget.Global);
    // The first-run choice of the walkthrough and the welcome view, told where to save it (it would ask).
    const chosen = await vscode.commands.executeCommand<boolean>('flightdeck.useGitHub', { target: 'user', offerSignIn: false });
    assert.equal(chosen, true);
  });

  after(async () => {
    api?.setConfirmer(undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (configUri) await vscode.workspace.fs.delete(configUri).then(undefined, () => undefined);
    await settings().update('server.kind', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('github.apiUrl', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('github.repositories', undefined, vscode.ConfigurationTarget.Global);
    if (tokenBefore === undefined) delete process.env.GITHUB_TOKEN;
    else process.env.GITHUB_TOKEN = tokenBefore;
    if (dir && base) {
      git(['tag', '-d', 'v1.0.0', 'v1.1.0', ...(sha.rounding ? ['v1.2.0'] : [])]);
      git(['reset', '--quiet', '--hard', base]);
      api?.commits.insights.forgetGit();
    }
    await emulator?.close();
  });

  it('Use GitHub Deployments saves the kind in the user settings; the session reads GitHub with GITHUB_TOKEN and starts no server', async () => {
    assert.equal(settings().inspect<string>('server.kind')?.globalValue, 'github');
    const session = await waitFor('a session on the emulator', async () => {
      const s = await api.sessions.get().catch(() => undefined);
      return s && s.backend.baseUrl === emulator.url ? s : undefined;
    }, 20_000);
    assert.equal(session.backend.kind, 'github');
    assert.equal(session.embedded, false, 'no embedded server for GitHub');
    assert.equal(session.tokenSource, 'env', 'no VS Code GitHub session here: the token is GITHUB_TOKEN');
    assert.equal(session.backend.capabilities.events, false, 'no event stream: the view polls');
  });

  it('shows the repository\'s environments in ladder order, each with the deployment it runs and what is deploying', async () => {
    const items = await refreshUntil('the repository in the tree', async () => {
      const map = await environmentItems();
      return map.size === 3 ? map : undefined;
    });
    assert.deepEqual([...items.keys()], ['dev', 'staging', 'production'], 'the documented name ladder, not GitHub\'s order');
    assert.match(description(items.get('dev')?.item), /^v1\.1\.0 · /);
    assert.match(description(items.get('staging')?.item), /^v1\.0\.0 → v1\.1\.0 · in progress/, 'current is the newest successful deployment; v1.1.0 is deploying');
    assert.equal(items.get('staging')?.node.environment.current?.commit, sha.charge);
    assert.match(description(items.get('production')?.item), /^v1\.0\.0 · /);
    // What GitHub cannot do is not offered on the rows (freeze, pause …), as for Aviator.
    const context = String(items.get('production')?.item.contextValue);
    assert.doesNotMatch(context, /can-freeze|can-pause|can-deploy/);
  });

  it('answers a hover over a commit with where it is live on GitHub', async () => {
    await refreshUntil('dev on v1.1.0', async () => /^v1\.1\.0/.test(description((await environmentItems()).get('dev')?.item)));
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: `Charging landed in ${sha.charge.slice(0, 7)}; refunds in ${sha.refunds.slice(0, 7)}.\n` });
    const charge = await waitFor('a Flightdeck hover on the charge commit', () => flightdeckHover(doc.uri, new vscode.Position(0, 22)), 20_000);
    assert.ok(charge.includes('**Charge cards through the gateway**'), charge);
    assert.ok(charge.includes(`**${escapeMarkdown(REPO)}**`), `the repository is the project:\n${charge}`);
    for (const environment of ['dev', 'staging', 'production']) assert.match(hoverRow(charge, environment), /^✓ /, `charge is live in ${environment}`);
    const refundsAt = doc.lineAt(0).text.indexOf(sha.refunds.slice(0, 7)) + 2;
    const refunds = await waitFor('a Flightdeck hover on the refunds commit', () => flightdeckHover(doc.uri, new vscode.Position(0, refundsAt)), 20_000);
    assert.match(hoverRow(refunds, 'dev'), /^✓ /);
    assert.match(hoverRow(refunds, 'production'), /^✗ /, `refunds is not in production:\n${refunds}`);
  });

  it('shows a deployment waiting for review as the environment\'s active one, and approves it from the Approvals view on GitHub', async () => {
    const run = emulator.waitForReview(REPO, 'production', 'v1.1.0');
    const production = await refreshUntil('production awaiting approval', async () => {
      const node = (await environmentItems()).get('production')?.node;
      return node?.environment.active?.status === 'pending' ? node : undefined;
    });
    const waiting = production.environment.active as Deployment;
    assert.equal(waiting.release_candidate_version, 'v1.1.0');
    assert.ok(waiting.approval, 'it carries its approval request, as the tree and the stage show it');
    assert.equal(production.environment.current?.release_candidate_version, 'v1.0.0', 'production still runs v1.0.0');
    assert.equal(production.environment.required_approvals, 1, 'the environment\'s required reviewers');
    const session = await api.sessions.get();
    assert.equal(session.backend.capabilities.approvals, true);
    const listed = await session.backend.listApprovals(REPO);
    assert.deepEqual(listed.map((d) => d.id), [waiting.id], 'the same request the Approvals view lists');

    // From the editor, as a user does it: the Approvals view's row, then Approve… (its modal answered here).
    const node = await waitFor('the request in the Approvals view', async () => {
      await api.approvals.refresh();
      return api.approvals.nodes?.find((n) => n.deployment.id === waiting.id);
    });
    const mark = emulator.requests.length;
    api.setConfirmer({ confirm: async () => true });
    let outcome: CommandOutcome<Deployment>;
    try {
      outcome = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.approve', { ...node, comment: 'ship it' });
    } finally {
      api.setConfirmer(undefined);
    }
    assert.equal(outcome.kind, 'done', JSON.stringify(outcome));
    const posted = emulator.requests.slice(mark).filter((r) => r.method === 'POST');
    assert.deepEqual(posted.map((r) => [r.path, r.status]), [[`/api/v3/repos/${REPO}/actions/runs/${run.id}/pending_deployments`, 200]]);
    // Approved, GitHub's job goes on and creates the deployment (queued): the request is gone.
    const deploying = await refreshUntil('production deploying the approved v1.1.0', async () => {
      const active = (await environmentItems()).get('production')?.node.environment.active;
      return active && active.id !== waiting.id ? active : undefined;
    });
    assert.equal(deploying.release_candidate_version, 'v1.1.0');
    assert.deepEqual(await session.backend.listApprovals(REPO), [], 'nothing waits for review any more');
  });

  it('promotes through the workflow_dispatch workflow .flightdeck.json names, from the command with its confirmation', async () => {
    // staging finishes v1.1.0; dev runs a new v1.2.0: the promote brings it to staging.
    emulator.addStatus(REPO, stagingDeploying, 'success');
    sha.rounding = commit('src/refund.js', '// amounts are integer cents\n', 'Round refunds down');
    git(['tag', 'v1.2.0', sha.rounding]);
    emulator.createDeployment(REPO, 'dev', 'v1.2.0', { states: ['success'] });
    const workflow = emulator.addWorkflow(REPO, 'deploy.yml');
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    configUri = vscode.Uri.joinPath(folder.uri, PROJECT_CONFIG_FILE);
    const config = {
      projects: [{
        name: 'payments', repo: REPO,
        environments: [{ name: 'dev', tier: 'development' }, { name: 'staging', tier: 'staging' }, { name: 'production', tier: 'production' }],
        github: { workflow: 'deploy.yml', ref: 'main', inputs: { environment: '{environment}', sha: '{commit}' } },
      }],
    };
    await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(JSON.stringify(config, null, 2)));
    // A read the watcher began mid-write may still be in flight: one that starts after it reads the file.
    await api.projectConfig.reload();
    assert.equal((await api.projectConfig.reload()).projects[0]?.github?.workflow, 'deploy.yml');
    const staging = await refreshUntil('staging promotable from dev', async () => {
      const item = (await environmentItems()).get('staging');
      return item && /can-promote/.test(String(item.item.contextValue)) && item.node.environment.current?.release_candidate_version === 'v1.1.0' ? item : undefined;
    });
    assert.equal(staging.node.environment.active, null);

    const asked: string[] = [];
    api.setConfirmer({ confirm: async ({ action }) => { asked.push(action); return true; } });
    const outcome = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.promote', { project: REPO, environment: 'staging' });
    assert.deepEqual(asked, ['Promote'], 'the same confirmation as everywhere');
    const deployment = outcome.kind === 'done' ? outcome.value : undefined;
    assert.ok(deployment, `the promote followed the deployment the workflow made: ${JSON.stringify(outcome)}`);
    assert.equal(deployment.commit, sha.rounding);
    assert.deepEqual(emulator.dispatches, [{ repository: REPO, workflow: workflow.path, ref: 'main', inputs: { environment: 'staging', sha: sha.rounding } }]);
    await refreshUntil('staging deploying the promoted commit', async () =>
      (await environmentItems()).get('staging')?.node.environment.active?.commit === sha.rounding || undefined);
  });

  // Last of the GitHub tests: the client then holds every request back until the limit resets.
  it('keeps the last data when GitHub\'s rate limit is spent, and says when it will retry', async () => {
    await refreshUntil('the repository in the tree', async () => (await environmentItems()).size === 3 || undefined);
    emulator.setRateLimit(0, 15 * 60);
    await api.refresh.now();
    assert.ok(api.model.lastError, 'the refresh failed');
    api.refresh.updateMessage();
    assert.match(api.refresh.messageLine, /GitHub rate limit reached — retrying at \d\d:\d\d/);
    assert.deepEqual([...(await environmentItems()).keys()], ['dev', 'staging', 'production'], 'the last data stays on screen');
    const mark = emulator.requests.length;
    await api.refresh.now();
    assert.equal(emulator.requests.length, mark, 'nothing is sent to GitHub before the reset');
  });

  it('sent GitHub nothing its OpenAPI description rejects, and got nothing it rejects', () => {
    assert.deepEqual(emulator.violations, []);
  });
});
