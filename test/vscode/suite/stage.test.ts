// The stage panel inside a real VS Code, against a real server: it opens by command, completes the
// ready handshake, receives a snapshot, relays live events, drops invalid messages, and relays a promote
// request to the host, which performs it (the same palette command) against the server.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Deployment } from '../../../src/api/schemas';
import { signInWithToken } from '../../../src/extension/commands';
import type { FlightdeckApi } from '../../../src/extension/main';
import type { StagePanelManager } from '../../../src/extension/stage';
import { seedPayments, startRealServer, waitFor, type RealServer } from './realServer';

type ApiWithStage = FlightdeckApi & { stage?: StagePanelManager };

async function flightdeck(): Promise<ApiWithStage> {
  const extension = vscode.extensions.getExtension<ApiWithStage>('flightdeck.flightdeck');
  assert.ok(extension, 'the extension is installed');
  return extension.activate();
}

async function stageManager(): Promise<StagePanelManager> {
  const api = await flightdeck();
  assert.ok(api.stage, 'the extension API has no `stage` (main.ts must expose registerStage(...).manager as api.stage)');
  return api.stage;
}

describe('Stage panel against a real server', function () {
  this.timeout(60_000);
  let server: RealServer;
  let stage: StagePanelManager;

  before(async () => {
    stage = await stageManager();
    server = await startRealServer();
    await seedPayments(server);
    await vscode.workspace.getConfiguration('flightdeck').update('server.url', server.url, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    (await flightdeck()).setConfirmer(undefined);
    stage.close('payments', 'canary');
    await vscode.workspace.getConfiguration('flightdeck').update('server.url', '', vscode.ConfigurationTarget.Global);
    await server?.stop();
  });

  it('registers flightdeck.openStage', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('flightdeck.openStage'));
  });

  it('opens by command, completes the ready handshake and receives a snapshot', async () => {
    const opened = await vscode.commands.executeCommand('flightdeck.openStage', { project: 'payments', environment: 'canary' });
    assert.deepEqual(opened, { project: 'payments', environment: 'canary' });
    const probe = stage.probe('payments', 'canary');
    assert.ok(probe, 'a panel is open for payments/canary');
    const view = await waitFor('the first snapshot', () => (probe.ready && probe.snapshotsPosted > 0 && probe.lastSnapshot?.environment.current ? probe.lastSnapshot : undefined), 30_000);
    assert.equal(probe.received[0]?.type, 'ready', 'the webview spoke first');
    assert.equal(probe.posted[0]?.type, 'snapshot', 'the host posted nothing before ready, then a snapshot');
    assert.equal(view.environment.name, 'canary');
    assert.equal(view.environment.current?.release_candidate_version, '1.0.0-rc1');
    assert.deepEqual(view.ladder.map((r) => r.name), ['dogfood', 'canary', 'rollout', 'production']);
    assert.equal(view.below?.current?.candidate, '1.1.0-rc1');
    // The seeded commits are not in the workspace repository: the panel says so instead of listing.
    assert.equal(view.promoteCommits.state, 'unavailable');
    assert.equal(view.role, 'admin');
  });

  it('knows what the signed-in token may do: a deployer is not an admin', async () => {
    const probe = stage.probe('payments', 'canary');
    assert.ok(probe);
    const created = await server.api<{ token: string }>('POST', '/api/tokens', { role: 'deployer', name: 'stage-deployer' });
    assert.equal(created.status, 201);
    try {
      // Sign In asks the user for the token (an argument is ignored): the part after the question.
      const api = await vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck')!.activate();
      await signInWithToken(api.sessions, server.url, created.body.token);
      await waitFor('a snapshot for the deployer', () => (probe.lastSnapshot?.role === 'not_admin' ? true : undefined), 15_000);
    } finally {
      await vscode.commands.executeCommand('flightdeck.signOut');
    }
    await waitFor('the admin again', () => (probe.lastSnapshot?.role === 'admin' ? true : undefined), 15_000);
  });

  it('reveals the same panel when opened again', async () => {
    await vscode.commands.executeCommand('flightdeck.openStage', { project: 'payments', environment: 'canary' });
    assert.deepEqual(stage.openStages.filter((key) => key === 'payments/canary'), ['payments/canary']);
  });

  it('drops and logs messages that do not match the protocol', async () => {
    const probe = stage.probe('payments', 'canary');
    assert.ok(probe);
    const before = probe.dropped;
    await stage.simulateMessage('payments', 'canary', { type: 'promote' });
    await stage.simulateMessage('payments', 'canary', { type: 'executeCommand', command: 'workbench.action.terminal.new' });
    assert.equal(probe.dropped, before + 2);
  });

  it('relays a promote request to the host, which performs it against the real server', async () => {
    const probe = stage.probe('payments', 'canary');
    assert.ok(probe);
    // This tier cannot click a modal, so it answers the confirmation; the UI tier clicks the real one.
    (await flightdeck()).setConfirmer({ confirm: async () => true });
    await stage.simulateMessage('payments', 'canary', { type: 'promote', requestId: 'test-promote-1' });
    const result = probe.actionResults.find((r) => r.requestId === 'test-promote-1');
    assert.ok(result, 'an action result was posted back');
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.deployment?.kind, 'promote');
    assert.equal(result.deployment?.release_candidate_version, '1.1.0-rc1');

    const { body: deployments } = await server.api<Deployment[]>('GET', '/api/releases/payments/environments/canary/deployments');
    assert.equal(deployments[0]?.id, result.deployment?.id, 'the server has the deployment the panel asked for');
    assert.equal(deployments[0]?.kind, 'promote');
  });

  it('reports a refusal as refused with its reason, not as cancelled', async () => {
    const probe = stage.probe('payments', 'canary');
    assert.ok(probe);
    // The promote above is still active: a second one is refused by the action plan before anything is asked.
    await stage.simulateMessage('payments', 'canary', { type: 'promote', requestId: 'test-promote-2' });
    const result = probe.actionResults.find((r) => r.requestId === 'test-promote-2');
    assert.ok(result, 'an action result was posted back');
    assert.equal(result.outcome, 'refused', result.message);
    assert.match(result.message, /already active \(1\.1\.0-rc1/);
  });

  it('relays the deployment\'s live events to the webview and refreshes its snapshot', async () => {
    const probe = stage.probe('payments', 'canary');
    assert.ok(probe);
    const postedBefore = probe.posted.length;
    // The pipeline reports the promote running, then done (endpoint 3; pending → in_progress → success).
    for (const status of ['in_progress', 'success']) {
      const patched = await server.api('PATCH', '/api/releases/payments/environments/canary/deployments', { release_candidate_version: '1.1.0-rc1', status });
      assert.ok(patched.status < 300, JSON.stringify(patched.body));
    }
    await waitFor('an events batch posted to the webview', () => probe.posted.slice(postedBefore).some((p) => p.type === 'events'), 15_000);
    const view = await waitFor('a snapshot with the new candidate live', () => (probe.lastSnapshot?.environment.current?.release_candidate_version === '1.1.0-rc1' ? probe.lastSnapshot : undefined), 15_000);
    assert.equal(view.environment.active, null);
    assert.ok(view.log.some((e) => e.data.deployment?.release_candidate_version === '1.1.0-rc1'), 'the event log has the deployment');
    assert.equal(view.rollbackTarget?.candidate, '1.0.0-rc1', 'a rollback would return to the previous candidate');
  });

  it('relays nothing while hidden, and catches up from a fresh snapshot when shown again', async () => {
    const probe = stage.probe('payments', 'canary');
    assert.ok(probe);
    const document = await vscode.workspace.openTextDocument({ content: 'hides the stage panel' });
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Active, preview: false });
    await waitFor('the panel to be hidden', () => !probe.visible && !probe.ready, 10_000);
    const postedWhileHidden = probe.posted.length;
    const readies = probe.received.filter((m) => m.type === 'ready').length;

    // The panel hears the deployment's event (the manager's listener runs before this one) and rebuilds
    // its snapshot for it (debounced, later than an events batch would be flushed): once both happened,
    // anything they would have posted has been posted.
    const api = await vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck')!.activate();
    let heard = false;
    const listening = api.sessions.onDidReceiveEvent((event) => {
      if (event.data.environment === 'canary' && event.data.deployment?.release_candidate_version === '1.0.0-rc1') heard = true;
    });
    try {
      const patched = await server.api('PATCH', '/api/releases/payments/environments/canary/deployments', { release_candidate_version: '1.0.0-rc1', status: 'in_progress' });
      assert.ok(patched.status < 300, JSON.stringify(patched.body));
      await waitFor('the panel to hear the deployment', () => heard, 15_000);
      await waitFor('the hidden panel to rebuild its snapshot', () => probe.lastSnapshot?.environment.active?.release_candidate_version === '1.0.0-rc1', 15_000);
    } finally {
      listening.dispose();
    }
    assert.equal(probe.posted.length, postedWhileHidden, 'nothing is posted to a hidden panel');

    await vscode.commands.executeCommand('flightdeck.openStage', { project: 'payments', environment: 'canary' });
    await waitFor('a new ready from the reloaded webview', () => probe.received.filter((m) => m.type === 'ready').length > readies, 15_000);
    await waitFor('a snapshot posted to the shown panel', () => probe.posted.slice(postedWhileHidden).some((p) => p.type === 'snapshot'), 15_000);
    const view = probe.lastSnapshot;
    assert.equal(view?.environment.active?.release_candidate_version, '1.0.0-rc1', 'the snapshot shows the deployment that started while hidden');
    assert.ok(view?.log.some((e) => e.data.deployment?.status === 'in_progress' && e.data.deployment.release_candidate_version === '1.0.0-rc1'),
      'the event log kept what happened while hidden');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('restores a panel from the state the webview saved (the serializer\'s path)', async () => {
    const restored = vscode.window.createWebviewPanel('flightdeck.stage', 'restored', vscode.ViewColumn.Active, { enableScripts: true });
    stage.restore(restored, { v: 1, identity: { project: 'payments', environment: 'dogfood' }, collapsed: [], view: null });
    const probe = stage.probe('payments', 'dogfood');
    assert.ok(probe, 'the restored panel is managed');
    const view = await waitFor('a snapshot in the restored panel', () => (probe.ready ? probe.lastSnapshot : undefined), 30_000);
    assert.equal(view.environment.name, 'dogfood');
    assert.equal(view.below, null, 'dogfood is the first rung');

    const broken = vscode.window.createWebviewPanel('flightdeck.stage', 'broken', vscode.ViewColumn.Active, {});
    let disposed = false;
    broken.onDidDispose(() => { disposed = true; });
    stage.restore(broken, { something: 'else' });
    assert.equal(disposed, true, 'a panel whose saved state names no environment is closed');
    stage.close('payments', 'dogfood');
  });
});
