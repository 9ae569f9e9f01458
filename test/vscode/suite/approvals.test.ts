// Approvals and blocked candidates against a real server: a deployer's promote into an environment that
// needs one approval waits in the Approvals view (its badge counts it for the signed-in admin), is approved
// from the view and from the stage panel, and then runs; a blocked candidate shows its reason in the tree.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Deployment } from '../../../src/api/schemas';
import type { FlightdeckApi } from '../../../src/extension/main';
import type { CommandOutcome } from '../../../src/extension/outcome';
import type { EnvironmentNode } from '../../../src/extension/tree/model';
import { startRealServer, waitFor, type RealServer } from './realServer';

async function flightdeck(): Promise<FlightdeckApi> {
  const extension = vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck');
  assert.ok(extension, 'the extension is installed');
  return extension.activate();
}

async function setServerUrl(url: string): Promise<void> {
  await vscode.workspace.getConfiguration('flightdeck').update('server.url', url, vscode.ConfigurationTarget.Global);
}

/** A request with another person's token (the extension is signed in as the admin). */
async function as(server: RealServer, token: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(server.url + route, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) as unknown : undefined };
}

const PROJECT = 'gated';

describe('Approvals and blocked candidates against a real server', function () {
  this.timeout(60_000);
  let server: RealServer;
  let api: FlightdeckApi;
  let ana: string;
  /** The admin's own request, withdrawn: nothing about it is announced. */
  let withdrawnId = '';

  /** Ana (a deployer) promotes dogfood's candidate into production, which needs one approval. */
  async function anaPromotes(): Promise<Deployment> {
    const r = await as(server, ana, 'POST', `/api/releases/${PROJECT}/environments/production/promote`, { from_environment: 'dogfood' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const d = r.body as Deployment;
    assert.equal(d.status, 'pending');
    assert.equal(d.approval?.required, 1);
    return d;
  }

  async function statusOf(id: string): Promise<Deployment> {
    return (await server.api<Deployment>('GET', `/api/releases/${PROJECT}/deployments/${id}`)).body;
  }

  before(async () => {
    api = await flightdeck();
    api.setConfirmer({ confirm: async () => true });
    server = await startRealServer();
    const check = (r: { status: number; body: unknown }, what: string): void => {
      if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    // Production deploys with a command that succeeds at once, so an approved deployment visibly runs.
    const deploy = { type: 'command', command: process.execPath, args: ['-e', 'process.exit(0)'] };
    check(await server.api('PUT', `/api/releases/${PROJECT}`, {
      repo: 'acme/gated',
      environments: [
        { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
        { name: 'production', tier: 'production', position: 1, strategy: 'standard', required_approvals: 1, deploy },
      ],
    }), 'create project');
    for (const rc of ['1.0.0-rc1', '1.1.0-rc1', '1.2.0-rc1']) {
      check(await server.api('POST', `/api/releases/${PROJECT}/releases/${rc}`, { commit: rc.replace(/\D/g, '').padEnd(40, 'c') }), `create ${rc}`);
    }
    check(await server.api('PATCH', `/api/releases/${PROJECT}/environments/dogfood/deployments`, { release_candidate_version: '1.0.0-rc1', status: 'success' }), 'report dogfood');
    const token = await server.api<{ token: string }>('POST', '/api/tokens', { role: 'deployer', name: 'ana' });
    check(token, 'create ana\'s token');
    ana = token.body.token;
    await setServerUrl(server.url);
  });

  after(async () => {
    api.setConfirmer(undefined);
    await setServerUrl('');
    await server?.stop();
  });

  it('lists a deployment awaiting approval, counts it in the badge, and shows it waiting in the tree', async () => {
    const waiting = await anaPromotes();
    const node = await waitFor('the request in the Approvals view', () => api.approvals.find(PROJECT, waiting.id));
    assert.equal(api.approvals.caller?.name, 'admin', 'the badge counts for the signed-in admin');
    assert.equal(api.approvals.waitingForCaller, 1, 'the admin may approve ana\'s request');
    const item = api.approvals.getTreeItem(node);
    assert.match(String(item.contextValue), /can-approve/);
    assert.match(String(item.contextValue), /can-reject/);
    assert.match(String(item.description), /^1\.0\.0-rc1 · by ana · /);
    const production = await waitFor('production awaiting approval in the tree', async () => {
      const roots = await api.provider.getChildren();
      const project = roots.find((n) => n.kind === 'project' && n.project.name === PROJECT);
      if (!project) return undefined;
      const env = (await api.provider.getChildren(project)).find((n) => (n as EnvironmentNode).environment.name === 'production');
      const treeItem = env ? api.provider.getTreeItem(env) : undefined;
      return typeof treeItem?.description === 'string' && treeItem.description.includes('awaiting') ? treeItem : undefined;
    });
    assert.equal(production.description, 'awaiting approval · requested by ana · nothing → 1.0.0-rc1');
    const notice = await waitFor('the approval request notification', () => api.approvalNotifier.shown.find((n) => n.deploymentId === waiting.id));
    assert.equal(notice.kind, 'request');
    assert.equal(notice.message, 'ana asks to deploy 1.0.0-rc1 to gated/production: it waits for your approval.');
    assert.equal((production.iconPath as vscode.ThemeIcon).id, 'watch');
    assert.match(String(production.contextValue), /can-approve/);
  });

  it('approves from the Approvals view: the deployment then runs, and the badge clears', async () => {
    const node = api.approvals.nodes?.find((n) => n.deployment.project === PROJECT);
    assert.ok(node);
    const outcome = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.approve', { ...node, comment: 'ship it' });
    assert.equal(outcome.kind, 'done', JSON.stringify(outcome));
    const approved = outcome.kind === 'done' ? outcome.value : undefined;
    assert.deepEqual(approved?.approval?.approvals.map((v) => [v.actor, v.comment]), [['admin', 'ship it']]);
    assert.equal(approved?.approval?.approvals.length, approved?.approval?.required, 'the last approval needed');
    const done = await waitFor('the approved deployment to succeed', async () => {
      const d = await statusOf(node.deployment.id);
      return d.status === 'success' ? d : undefined;
    });
    assert.equal(done.release_candidate_version, '1.0.0-rc1');
    await waitFor('the inbox to empty', () => api.approvals.nodes?.length === 0 && api.approvals.waitingForCaller === 0);
  });

  it('approves from the stage panel: the deployment then runs', async () => {
    assert.equal((await server.api('PATCH', `/api/releases/${PROJECT}/environments/dogfood/deployments`, { release_candidate_version: '1.1.0-rc1', status: 'success' })).status, 200);
    const waiting = await anaPromotes();
    await vscode.commands.executeCommand('flightdeck.openStage', { project: PROJECT, environment: 'production' });
    const probe = api.stage.probe(PROJECT, 'production');
    assert.ok(probe);
    await waitFor('the stage to show the request', () => probe.lastSnapshot?.environment.active?.id === waiting.id);
    assert.equal(probe.lastSnapshot?.caller?.name, 'admin');
    await api.stage.simulateMessage(PROJECT, 'production', { type: 'approve', requestId: 'approve-1', deploymentId: waiting.id, comment: '' });
    const result = probe.actionResults.find((r) => r.requestId === 'approve-1');
    assert.equal(result?.outcome, 'done', result?.message);
    const ran = await waitFor('the approved deployment to succeed', async () => {
      const d = await statusOf(waiting.id);
      return d.status === 'success' ? d : undefined;
    });
    assert.equal(ran.release_candidate_version, '1.1.0-rc1');
    assert.equal(ran.approval?.approvals[0]?.actor, 'admin');
    api.stage.close(PROJECT, 'production');
  });

  it('refuses the requester an approval and offers Withdraw instead of Reject', async () => {
    // The admin asks this time: the admin's own request is not counted in the badge and cannot be approved by them.
    assert.equal((await server.api('PATCH', `/api/releases/${PROJECT}/environments/dogfood/deployments`, { release_candidate_version: '1.2.0-rc1', status: 'success' })).status, 200);
    const own = await server.api<Deployment>('POST', `/api/releases/${PROJECT}/environments/production/promote`, { from_environment: 'dogfood' });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const node = await waitFor('the admin\'s request in the view', () => api.approvals.find(PROJECT, own.body.id));
    assert.equal(api.approvals.waitingForCaller, 0, 'one\'s own request does not wait for oneself');
    assert.match(String(api.approvals.getTreeItem(node).contextValue), /can-withdraw/);
    const refused = await vscode.commands.executeCommand<CommandOutcome>('flightdeck.approve', { project: PROJECT, deploymentId: own.body.id, comment: '' });
    assert.equal(refused.kind, 'refused');
    assert.match(refused.kind === 'refused' ? refused.reason : '', /Nobody approves their own change/);
    const withdrawn = await vscode.commands.executeCommand<CommandOutcome<Deployment>>('flightdeck.withdraw', { ...node, comment: 'wrong candidate' });
    assert.equal(withdrawn.kind, 'done', JSON.stringify(withdrawn));
    assert.equal(withdrawn.kind === 'done' ? withdrawn.value.status : '', 'canceled');
    withdrawnId = own.body.id;
  });

  it('tells the requester that their request was rejected, with the reviewer\'s comment', async () => {
    const own = await server.api<Deployment>('POST', `/api/releases/${PROJECT}/environments/production/promote`, { from_environment: 'dogfood' });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const rejected = await as(server, ana, 'POST', `/api/releases/${PROJECT}/deployments/${own.body.id}/reject`, { comment: 'not on a Friday' });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    const notice = await waitFor('the rejection notification', () => api.approvalNotifier.shown.find((n) => n.deploymentId === own.body.id));
    assert.equal(notice.kind, 'rejected');
    assert.equal(notice.message, 'Your deployment of 1.2.0-rc1 to gated/production was rejected by ana: not on a Friday');
    // Events arrive in order: the withdrawal's came before this rejection's, and announced nothing.
    assert.equal(api.approvalNotifier.shown.some((n) => n.deploymentId === withdrawnId), false, 'neither one\'s own request nor its withdrawal is news');
  });

  it('shows a blocked candidate with its own icon and the reason in the tooltip', async () => {
    const outcome = await vscode.commands.executeCommand<CommandOutcome>('flightdeck.blockCandidate', { project: PROJECT, environment: 'dogfood', reason: 'breaks EU cards' });
    assert.equal(outcome.kind, 'done', JSON.stringify(outcome));
    const dogfood = await waitFor('dogfood\'s blocked candidate in the tree', async () => {
      const roots = await api.provider.getChildren();
      const project = roots.find((n) => n.kind === 'project' && n.project.name === PROJECT);
      if (!project) return undefined;
      const env = (await api.provider.getChildren(project)).find((n) => (n as EnvironmentNode).environment.name === 'dogfood');
      const item = env ? api.provider.getTreeItem(env) : undefined;
      return item?.tooltip instanceof vscode.MarkdownString && item.tooltip.value.includes('breaks EU cards') ? item : undefined;
    });
    assert.equal((dogfood.iconPath as vscode.ThemeIcon).id, 'circle-slash');
    assert.match(String(dogfood.description), /· blocked/);
    assert.match(String(dogfood.contextValue), /can-unblock/);
    assert.doesNotMatch(String(dogfood.contextValue), /can-block\b/);
    const promote = await vscode.commands.executeCommand<CommandOutcome>('flightdeck.promote', { project: PROJECT, environment: 'production' });
    assert.equal(promote.kind, 'refused');
    assert.match(promote.kind === 'refused' ? promote.reason : '', /1\.2\.0-rc1 is blocked: breaks EU cards/);
    const unblocked = await vscode.commands.executeCommand<CommandOutcome>('flightdeck.unblockCandidate', { project: PROJECT, environment: 'dogfood' });
    assert.equal(unblocked.kind, 'done', JSON.stringify(unblocked));
  });
});
