// The stage panel's message protocol: good messages parse both ways, bad ones are refused (each side
// drops what does not parse), and unknown fields never reach the receiver.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HostToWebview, STAGE_PROTOCOL_VERSION, StagePersistedState, WebviewToHost, isActionRequest,
} from '../../../src/api/protocol';
import { initialState, persistedState, reduce } from '../../../webview/state';
import { deployment, event, live, rollout, T0, view } from './fixtures';

describe('HostToWebview', () => {
  it('accepts a snapshot with a full view model', () => {
    const parsed = HostToWebview.parse({ type: 'snapshot', view: view(), freshness: live });
    assert.equal(parsed.type, 'snapshot');
  });

  it('accepts an events batch, a freshness change, an action result and unavailable', () => {
    const d = deployment({ status: 'in_progress', rollout: rollout(0, 10), deploy_end_at: null });
    for (const message of [
      { type: 'events', events: [event(1, d)], freshness: live },
      { type: 'freshness', freshness: { stream: 'reconnecting', lastUpdateAt: null, error: null } },
      { type: 'actionResult', requestId: 'r1', action: 'promote', outcome: 'done', message: 'Promote started.', deployment: d },
      { type: 'actionResult', requestId: 'r2', action: 'freeze', outcome: 'cancelled', message: '', deployment: null },
      { type: 'actionResult', requestId: 'r3', action: 'promote', outcome: 'refused', message: 'Promote refused: frozen.', deployment: null },
      { type: 'unavailable', message: 'Project payments has no environment canary.' },
    ]) {
      assert.equal(HostToWebview.safeParse(message).success, true, JSON.stringify(message).slice(0, 80));
    }
  });

  it('refuses malformed host messages', () => {
    const bad: unknown[] = [
      null,
      'snapshot',
      { type: 'snapshot' },
      { type: 'snapshot', view: { ...view(), environment: undefined }, freshness: live },
      { type: 'snapshot', view: view({ role: 'root' as never }), freshness: live },
      { type: 'events', events: [], freshness: live },
      { type: 'events', events: [{ id: 0, type: 'deployment.updated', data: {} }], freshness: live },
      { type: 'freshness', freshness: { stream: 'sleeping', lastUpdateAt: null, error: null } },
      { type: 'actionResult', requestId: 'r1', action: 'deploy', outcome: 'done', message: '', deployment: null },
      { type: 'actionResult', requestId: '', action: 'promote', outcome: 'done', message: '', deployment: null },
      { type: 'eval', code: 'alert(1)' },
    ];
    for (const message of bad) assert.equal(HostToWebview.safeParse(message).success, false, JSON.stringify(message)?.slice(0, 80));
  });
});

describe('WebviewToHost', () => {
  it('accepts the handshake, every action, links, refresh and error reports', () => {
    const good: unknown[] = [
      { type: 'ready', protocol: STAGE_PROTOCOL_VERSION },
      { type: 'promote', requestId: 'a-1' },
      { type: 'rollback', requestId: 'a-2' },
      { type: 'freeze', requestId: 'a-3' },
      { type: 'unfreeze', requestId: 'a-4' },
      { type: 'pause', requestId: 'a-5', deploymentId: '42' },
      { type: 'resume', requestId: 'a-6', deploymentId: '42' },
      { type: 'abort', requestId: 'a-7', deploymentId: '42' },
      { type: 'approve', requestId: 'a-8', deploymentId: '42' },
      { type: 'approve', requestId: 'a-9', deploymentId: '42', comment: 'looks good' },
      { type: 'reject', requestId: 'a-10', deploymentId: '42' },
      { type: 'block', requestId: 'a-11', candidate: '1.4.0-rc2' },
      { type: 'block', requestId: 'a-12', candidate: '1.4.0-rc2', reason: 'breaks EU cards' },
      { type: 'unblock', requestId: 'a-13', candidate: '1.4.0-rc2' },
      { type: 'openCommit', sha: 'abcdef1' },
      { type: 'openCommit', sha: 'A'.repeat(40) },
      { type: 'openPullRequest', number: 123 },
      { type: 'refresh' },
      { type: 'webviewError', message: 'TypeError: x is undefined' },
    ];
    for (const message of good) assert.equal(WebviewToHost.safeParse(message).success, true, JSON.stringify(message));
  });

  it('refuses what a compromised or buggy webview might send', () => {
    const bad: unknown[] = [
      undefined,
      42,
      { type: 'ready' },
      { type: 'promote' },
      { type: 'promote', requestId: 'x'.repeat(65) },
      { type: 'pause', requestId: 'a' },
      { type: 'abort', requestId: 'a', deploymentId: '' },
      { type: 'approve', requestId: 'a' },
      { type: 'approve', requestId: 'a', deploymentId: '42', comment: 'x'.repeat(2001) },
      { type: 'block', requestId: 'a' },
      { type: 'block', requestId: 'a', candidate: '' },
      { type: 'block', requestId: 'a', candidate: '1.4.0-rc2', reason: '' },
      { type: 'block', requestId: 'a', candidate: '1.4.0-rc2', reason: 'x'.repeat(501) },
      { type: 'openCommit', sha: 'HEAD~1' },
      { type: 'openCommit', sha: '--upload-pack=evil' },
      { type: 'openPullRequest', number: 0 },
      { type: 'openPullRequest', number: 1.5 },
      { type: 'deploy', requestId: 'a', candidate: '1.0.0-rc1' },
      { type: 'executeCommand', command: 'workbench.action.terminal.new' },
    ];
    for (const message of bad) assert.equal(WebviewToHost.safeParse(message).success, false, JSON.stringify(message));
  });

  it('drops fields the protocol does not name', () => {
    const parsed = WebviewToHost.parse({ type: 'promote', requestId: 'r', environment: 'production', skipConfirm: true });
    assert.deepEqual(parsed, { type: 'promote', requestId: 'r' });
  });

  it('tells action requests from the rest', () => {
    assert.equal(isActionRequest(WebviewToHost.parse({ type: 'abort', requestId: 'r', deploymentId: '7' })), true);
    assert.equal(isActionRequest(WebviewToHost.parse({ type: 'openPullRequest', number: 7 })), false);
    assert.equal(isActionRequest(WebviewToHost.parse({ type: 'ready', protocol: 1 })), false);
  });
});

describe('StagePersistedState', () => {
  it('round-trips what the webview saves, so the serializer can restore the panel', () => {
    let state = initialState({ project: 'payments', environment: 'canary' }, T0);
    state = reduce(state, { type: 'snapshot', view: view(), freshness: live });
    state = reduce(state, { type: 'toggleSection', section: 'log' });
    const saved = persistedState(state);
    const parsed = StagePersistedState.parse(JSON.parse(JSON.stringify(saved)));
    assert.deepEqual(parsed.identity, { project: 'payments', environment: 'canary' });
    assert.deepEqual(parsed.collapsed, ['log']);
    const restored = initialState(null, T0 + 1000, parsed);
    assert.equal(restored.view?.environment.name, 'canary');
    assert.equal(restored.stale, true);
  });

  it('refuses state without an identity', () => {
    assert.equal(StagePersistedState.safeParse({ v: 1, collapsed: [], view: null }).success, false);
    assert.equal(StagePersistedState.safeParse(undefined).success, false);
  });
});
