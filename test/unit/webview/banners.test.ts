// The stage's banners say what is true now (one at a time; a failure is never a green ✓), and its event
// log opens with the environment's recent history under human names.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostToWebview } from '../../../src/api/protocol';
import { initialState, logClock, logEntries, reduce, type StageInput, type StageState } from '../../../webview/state';
import { deployment, event, iso, live, T0, view } from './fixtures';

const identity = { project: 'payments', environment: 'canary' };

function run(state: StageState, ...inputs: StageInput[]): StageState {
  return inputs.reduce((s, input) => reduce(s, input.type === 'actionRequested' ? input : HostToWebview.parse(input)), state);
}

const started = deployment({ id: '11', kind: 'promote', release_candidate_version: '1.5.0-rc1', status: 'pending', deploy_end_at: null });

function promoted(): StageState {
  return run(initialState(identity, T0), { type: 'snapshot', view: view(), freshness: live },
    { type: 'actionRequested', requestId: 'r1', action: 'promote' },
    { type: 'actionResult', requestId: 'r1', action: 'promote', outcome: 'done', message: 'Promote started: 1.5.0-rc1 (deployment 11).', deployment: started });
}

describe('stage banners', () => {
  it('"Promote started" becomes the failure and the automatic rollback, in error styling', () => {
    const failed = { ...started, status: 'failure' as const, deploy_end_at: iso(T0), error_message: 'Health check failed 3 times in a row' };
    const rollback = deployment({ id: '12', kind: 'auto_rollback', actor: 'flightdeck', release_candidate_version: '1.4.0-rc1', status: 'pending', deploy_end_at: null });
    const state = run(promoted(), { type: 'events', events: [event(30, failed), event(31, rollback, 'deployment.created')], freshness: live });
    assert.equal(state.notices.length, 1);
    assert.equal(state.notices[0]?.kind, 'error');
    assert.equal(state.notices[0]?.text, 'Promote of 1.5.0-rc1 failed: Health check failed 3 times in a row. Flightdeck rolled back to 1.4.0-rc1.');
  });

  it('"Promote started" becomes "is live" on success', () => {
    const state = run(promoted(), { type: 'events', events: [event(30, { ...started, status: 'success', deploy_end_at: iso(T0) })], freshness: live });
    assert.equal(state.notices[0]?.text, '1.5.0-rc1 is live in canary.');
    assert.equal(state.notices[0]?.kind, 'info');
  });

  it('shows one banner at a time, and a refusal is a warning, not a ✓', () => {
    const state = run(promoted(), { type: 'actionRequested', requestId: 'r2', action: 'rollback' },
      { type: 'actionResult', requestId: 'r2', action: 'rollback', outcome: 'cancelled', message: 'Rollback not done: the confirmation was dismissed.', deployment: null });
    assert.deepEqual(state.notices.map((n) => [n.id, n.kind]), [['r2', 'warning']]);
  });
});

describe('stage event log', () => {
  it('starts with the recent deployments when no event was seen yet, under human names', () => {
    const failed = deployment({ id: '9', kind: 'promote', release_candidate_version: '1.3.1-rc1', status: 'failure', error_message: 'boom', deploy_end_at: iso(T0 - 7200_000) });
    const entries = logEntries([], [deployment({ id: '10' }), failed], 10);
    assert.deepEqual(entries.map((e) => e.title), ['Succeeded', 'Failed']);
    assert.equal(entries[1]?.text, 'promote of 1.3.1-rc1 by ci-pipeline — boom');
    assert.equal(entries[1]?.tone, 'bad');
  });
  it('lists live events first and a deployment once', () => {
    const d = deployment({ id: '10' });
    const entries = logEntries([event(5, d)], [d, deployment({ id: '8', deploy_end_at: iso(T0 - 86_400_000 * 2) })], 10);
    assert.deepEqual(entries.map((e) => e.key), ['e5', 'd8']);
    assert.match(logClock(entries[1]!.at, T0), /^\d\d-\d\d \d\d:\d\d$/, 'an older entry shows its date');
  });
  it('calls a health check\'s verdict by its name, with the count against the threshold', () => {
    const live = deployment({ id: '10', health: { healthy: true, consecutive_failures: 0, last_checked_at: iso(T0), last_error: null } });
    const failing = { ...live, health: { healthy: false, consecutive_failures: 2, last_checked_at: iso(T0), last_error: 'GET /health answered 500' } };
    const entries = logEntries([event(6, failing), event(5, live)], [], 10, 3);
    assert.deepEqual(entries.map((e) => e.title), ['Health check failing', 'Succeeded']);
    assert.equal(entries[0]?.text, '1.4.0-rc1 in canary: failing 2/3 — GET /health answered 500');
  });
});
