// The stage panel's reducer and selectors: host messages and local inputs in, view model out.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostToWebview, type StageView } from '../../../src/api/protocol';
import {
  actionLabel, availability, deploymentTimeline, describeEvent, freshnessText, initialState, reduce, rolloutSegments, soakStatus,
  type StageInput, type StageState,
} from '../../../webview/state';
import { eventTitle } from '../../../src/core/eventText';
import { deployment, environment, event, iso, live, rollout, T0, view } from './fixtures';

const identity = { project: 'payments', environment: 'canary' };

/** Host messages go through the protocol parser first, as in the webview. */
function run(state: StageState, ...inputs: StageInput[]): StageState {
  return inputs.reduce((s, input) => {
    const checked = input.type === 'tick' || input.type === 'toggleSection' || input.type === 'actionRequested' || input.type === 'dismissNotice'
      ? input
      : HostToWebview.parse(input);
    return reduce(s, checked);
  }, state);
}

function withView(v: StageView = view()): StageState {
  return run(initialState(identity, T0), { type: 'snapshot', view: v, freshness: live });
}

describe('reduce: snapshots', () => {
  it('starts empty and connecting, then shows the snapshot', () => {
    const start = initialState(identity, T0);
    assert.equal(start.view, null);
    assert.equal(start.freshness.stream, 'connecting');
    const state = run(start, { type: 'snapshot', view: view({ log: [event(3, deployment())] }), freshness: live });
    assert.equal(state.view?.environment.current?.release_candidate_version, '1.4.0-rc1');
    assert.equal(state.stale, false);
    assert.deepEqual(state.log.map((e) => e.id), [3]);
    assert.equal(state.freshness.stream, 'live');
  });

  it('ignores saved state of another environment', () => {
    const saved = { v: 1 as const, identity: { project: 'payments', environment: 'production' }, collapsed: ['log'], view: view() };
    const state = initialState(identity, T0, saved);
    assert.equal(state.view, null);
    assert.deepEqual(state.collapsed, []);
  });

  it('re-applies events newer than the snapshot\'s cursor, and never moves a deployment backwards', () => {
    const rolling = (step: number, percent: number, at: number) => deployment({
      id: '11', environment_name: 'canary', release_candidate_version: '1.5.0-rc1', status: 'in_progress',
      rollout: rollout(step, percent), deploy_end_at: null, updated_at: iso(at),
    });
    let state = withView();
    state = run(state, { type: 'events', events: [event(20, rolling(1, 50, T0 + 2000), 'deployment.updated')], freshness: live });
    // A snapshot built before event 20 arrived (cursor 19) shows the older step: event 20 wins.
    const older = view({ eventCursor: 19, environment: environment({ current: deployment({ id: '10' }), active: rolling(0, 10, T0 + 1000) }) });
    state = run(state, { type: 'snapshot', view: older, freshness: live });
    assert.equal(state.view?.environment.active?.rollout?.percent, 50);
    // A late duplicate of an older update changes nothing.
    state = run(state, { type: 'events', events: [event(18, rolling(0, 10, T0 + 1000))], freshness: live });
    assert.equal(state.view?.environment.active?.rollout?.percent, 50);
  });
});

describe('reduce: events', () => {
  const started = deployment({
    id: '11', release_candidate_version: '1.5.0-rc1', commit: 'b'.repeat(40), status: 'in_progress', kind: 'promote',
    from_release_candidate_version: '1.4.0-rc1', deploy_end_at: null, updated_at: iso(T0), rollout: rollout(0, 10),
  });

  it('shows a new deployment as active, in the history, the ladder and the log', () => {
    const state = run(withView(), { type: 'events', events: [event(21, started, 'deployment.created')], freshness: live });
    assert.equal(state.view?.environment.active?.id, '11');
    assert.equal(state.view?.history[0]?.id, '11');
    assert.equal(state.view?.ladder.find((r) => r.name === 'canary')?.activeCandidate, '1.5.0-rc1');
    assert.deepEqual(state.log.map((e) => e.id), [21]);
  });

  it('moves a finished deployment to live and clears active', () => {
    const done = { ...started, status: 'success' as const, rollout: rollout(2, 100), deploy_end_at: iso(T0 + 5000), updated_at: iso(T0 + 5000) };
    const state = run(withView(),
      { type: 'events', events: [event(21, started, 'deployment.created')], freshness: live },
      { type: 'events', events: [event(22, done)], freshness: live });
    assert.equal(state.view?.environment.active, null);
    assert.equal(state.view?.environment.current?.id, '11');
    assert.equal(state.view?.history.filter((d) => d.id === '11').length, 1);
    const rung = state.view?.ladder.find((r) => r.name === 'canary');
    assert.equal(rung?.candidate, '1.5.0-rc1');
    assert.equal(rung?.activeCandidate, null);
  });

  it('applies events in id order within a batch and ignores repeats', () => {
    const step1 = { ...started, rollout: rollout(1, 50), updated_at: iso(T0 + 1000) };
    let state = run(withView(), { type: 'events', events: [event(22, step1), event(21, started, 'deployment.created')], freshness: live });
    assert.equal(state.view?.environment.active?.rollout?.percent, 50);
    const before = state.log;
    state = run(state, { type: 'events', events: [event(22, step1)], freshness: live });
    assert.equal(state.log, before);
  });

  it('updates the rung below (what promote takes) without logging its events here', () => {
    const below = deployment({ id: '12', environment_name: 'dogfood', release_candidate_version: '1.6.0-rc1', commit: 'e'.repeat(40) });
    const state = run(withView(), { type: 'events', events: [event(23, below)], freshness: live });
    assert.equal(state.view?.below?.current?.candidate, '1.6.0-rc1');
    assert.equal(state.view?.ladder[0]?.candidate, '1.6.0-rc1');
    assert.equal(state.view?.environment.current?.id, '10');
    assert.deepEqual(state.log, []);
  });

  it('ignores events of other projects', () => {
    const other = deployment({ id: '99', project: 'ledger', status: 'in_progress', deploy_end_at: null });
    const base = withView();
    const state = run(base, { type: 'events', events: [event(24, other)], freshness: live });
    assert.equal(state.view, base.view);
  });
});

describe('reduce: actions and local inputs', () => {
  it('tracks a pending action until its result arrives, then shows a notice', () => {
    let state = run(withView(), { type: 'actionRequested', requestId: 'r1', action: 'promote' });
    assert.equal(availability(state).promote.enabled, false);
    assert.equal(availability(state).promote.reason, 'Waiting for confirmation…');
    const created = deployment({ id: '11', release_candidate_version: '1.5.0-rc1', status: 'pending', deploy_end_at: null, kind: 'promote' });
    state = run(state, { type: 'actionResult', requestId: 'r1', action: 'promote', outcome: 'done', message: 'Promote started: 1.5.0-rc1 (deployment 11).', deployment: created });
    assert.deepEqual(state.pending, []);
    assert.equal(state.notices[0]?.kind, 'info');
    assert.match(state.notices[0]?.text ?? '', /Promote started/);
    assert.equal(state.view?.environment.active?.id, '11');
    state = run(state, { type: 'dismissNotice', id: 'r1' });
    assert.deepEqual(state.notices, []);
  });

  it('says why an action failed', () => {
    const state = run(withView(), { type: 'actionRequested', requestId: 'r2', action: 'rollback' },
      { type: 'actionResult', requestId: 'r2', action: 'rollback', outcome: 'failed', message: 'Environment is frozen', deployment: null });
    assert.equal(state.notices[0]?.kind, 'error');
    assert.equal(state.notices[0]?.text, 'Rollback failed: Environment is frozen');
  });

  it('shows a refusal as the host worded it, not as a cancellation', () => {
    const state = run(withView(), { type: 'actionRequested', requestId: 'r3', action: 'promote' },
      { type: 'actionResult', requestId: 'r3', action: 'promote', outcome: 'refused', message: 'Promote refused: A deployment is already active.', deployment: null });
    assert.equal(state.notices[0]?.kind, 'error');
    assert.equal(state.notices[0]?.text, 'Promote refused: A deployment is already active.');
    assert.deepEqual(state.pending, [], 'the button is free again');
  });

  it('keeps the state object when a tick changes nothing, and toggles sections', () => {
    const state = withView();
    assert.equal(reduce(state, { type: 'tick', now: state.now }), state);
    const collapsed = reduce(state, { type: 'toggleSection', section: 'history' });
    assert.deepEqual(collapsed.collapsed, ['history']);
    assert.deepEqual(reduce(collapsed, { type: 'toggleSection', section: 'history' }).collapsed, []);
  });

  it('shows unavailable and keeps the data it had', () => {
    const state = run(withView(), { type: 'unavailable', message: 'Project payments has no environment canary (any more).' });
    assert.notEqual(state.view, null);
    assert.equal(availability(state).promote.enabled, false);
    assert.match(availability(state).rollback.reason ?? '', /no environment canary/);
  });
});

describe('availability', () => {
  const active = deployment({ id: '11', status: 'in_progress', deploy_end_at: null, rollout: rollout(0, 10) });

  it('allows promote and rollback on a quiet environment, and says what they would do', () => {
    const can = availability(withView());
    assert.equal(can.promote.enabled, true);
    assert.equal(can.rollback.enabled, true);
    assert.equal(can.freeze.enabled, true);
    assert.equal(can.unfreeze.enabled, false);
    assert.equal(can.pause.reason, 'No deployment in progress.');
  });

  const cases: Array<[string, Partial<StageView>, 'promote' | 'rollback', RegExp]> = [
    ['frozen', { environment: environment({ frozen: true, current: deployment({ id: '10' }) }) }, 'promote', /is frozen: unfreeze it to promote/],
    ['a deployment already active', { environment: environment({ current: deployment({ id: '10' }), active }) }, 'promote', /already active \(1\.4\.0-rc1, in progress\)/],
    ['bottom of the ladder', { below: null }, 'promote', /first rung of .*: there is nothing below it/],
    ['nothing live below', { below: { name: 'dogfood', current: null } }, 'promote', /Nothing is live in dogfood/],
    ['nothing to promote', { below: { name: 'dogfood', current: { environment: 'dogfood', candidate: '1.4.0-rc1', commit: 'a'.repeat(40) } } }, 'promote', /already runs 1\.4\.0-rc1/],
    ['protected and not admin', { role: 'not_admin', environment: environment({ protected: true, current: deployment({ id: '10' }) }) }, 'promote', /is protected: only an admin/],
    ['protected and not admin (rollback)', { role: 'not_admin', environment: environment({ protected: true, current: deployment({ id: '10' }) }) }, 'rollback', /is protected: only an admin/],
    ['no rollback target', { rollbackTarget: null }, 'rollback', /Nothing earlier/],
    ['no promote support', { capabilities: { events: false, promote: false, pauseResumeAbort: false, freeze: false } }, 'promote', /does not support promote/],
    ['no promote support (rollback)', { capabilities: { events: false, promote: false, pauseResumeAbort: false, freeze: false } }, 'rollback', /does not support rollback/],
    ['GitHub without a workflow, in its words', {
      capabilities: { events: false, promote: false, pauseResumeAbort: false, freeze: false, reasons: { promote: 'Promote and rollback need a workflow_dispatch workflow.' } },
    }, 'rollback', /^Promote and rollback need a workflow_dispatch workflow\.$/],
  ];
  for (const [name, overrides, action, reason] of cases) {
    it(`disables ${action} with a reason: ${name}`, () => {
      const can = availability(withView(view(overrides)))[action];
      assert.equal(can.enabled, false);
      assert.match(can.reason ?? '', reason);
    });
  }

  it('lets an admin deploy to a protected environment', () => {
    assert.equal(availability(withView(view({ role: 'admin', environment: environment({ protected: true, current: deployment({ id: '10' }) }) }))).promote.enabled, true);
  });

  it('does not block rollback while a deployment is active (rollback cancels it)', () => {
    assert.equal(availability(withView(view({ environment: environment({ current: deployment({ id: '10' }), active }) }))).rollback.enabled, true);
  });

  it('offers pause and abort on a running rollout, resume on a paused one', () => {
    const running = availability(withView(view({ environment: environment({ current: deployment({ id: '10' }), active }) })));
    assert.equal(running.pause.enabled, true);
    assert.equal(running.abort.enabled, true);
    assert.equal(running.resume.enabled, false);
    const paused = availability(withView(view({ environment: environment({ current: deployment({ id: '10' }), active: { ...active, rollout: rollout(0, 10, true) } }) })));
    assert.equal(paused.pause.enabled, false);
    assert.equal(paused.resume.enabled, true);
    const plain = availability(withView(view({ environment: environment({ current: deployment({ id: '10' }), active: { ...active, rollout: null } }) })));
    assert.equal(plain.pause.reason, 'Only rollouts can be paused, resumed or aborted.');
  });

  it('forces the rollback of a frozen environment (one rule with the tree and the palette: core/actionPlan)', () => {
    const state = withView(view({ environment: environment({ frozen: true, current: deployment({ id: '10' }) }) }));
    assert.equal(availability(state).rollback.enabled, true);
    assert.equal(actionLabel(state, 'rollback'), 'Force Rollback');
    assert.equal(actionLabel(withView(), 'rollback'), 'Rollback');
  });

  it('offers unfreeze on a frozen environment and refuses both to non-admins', () => {
    const frozen = availability(withView(view({ environment: environment({ frozen: true, current: deployment({ id: '10' }) }) })));
    assert.equal(frozen.unfreeze.enabled, true);
    assert.equal(frozen.freeze.enabled, false);
    const viewer = availability(withView(view({ role: 'not_admin' })));
    assert.match(viewer.freeze.reason ?? '', /admin/);
  });

  it('disables everything while loading', () => {
    const can = availability(initialState(identity, T0));
    assert.equal(Object.values(can).every((a) => !a.enabled && a.reason === 'Loading…'), true);
  });
});

describe('rollout selectors', () => {
  const active = (step: number, percent: number, paused = false, updatedAt = T0) => deployment({
    id: '11', status: 'in_progress', deploy_end_at: null, rollout: rollout(step, percent, paused), updated_at: iso(updatedAt),
  });

  it('counts the soak down from when the step was applied', () => {
    assert.deepEqual(soakStatus(active(0, 10), T0 + 60_000), { kind: 'soaking', remainingSeconds: 540, totalSeconds: 600, nextPercent: 50 });
    assert.deepEqual(soakStatus(active(0, 10), T0 + 700_000), { kind: 'soaking', remainingSeconds: 0, totalSeconds: 600, nextPercent: 50 });
    assert.deepEqual(soakStatus(active(0, 10, true), T0), { kind: 'paused' });
    assert.deepEqual(soakStatus(active(1, 10), T0), { kind: 'applying', percent: 50 });
    assert.deepEqual(soakStatus(active(2, 100), T0), { kind: 'finishing' });
    assert.equal(soakStatus(null, T0), null);
    assert.equal(soakStatus(deployment(), T0), null);
  });

  it('prefers the soak end the engine reports over the estimate from the last update', () => {
    const d = active(0, 10);
    const exact = { ...d, rollout: { ...d.rollout!, soak_ends_at: iso(T0 + 120_000) } };
    assert.deepEqual(soakStatus(exact, T0 + 60_000), { kind: 'soaking', remainingSeconds: 60, totalSeconds: 600, nextPercent: 50 });
  });

  it('sizes segments by the traffic each step adds and marks done / current / todo', () => {
    assert.deepEqual(rolloutSegments(active(1, 50)).map((s) => [s.percent, s.width, s.state]), [[10, 10, 'done'], [50, 40, 'current'], [100, 50, 'todo']]);
    const finished = { ...active(2, 100), status: 'success' as const };
    assert.deepEqual(rolloutSegments(finished).map((s) => s.state), ['done', 'done', 'done']);
    assert.deepEqual(rolloutSegments(deployment()), []);
  });

  it('tells the deployment\'s story from its events, including the failure reason', () => {
    const d0 = active(0, 10, false, T0);
    const log = [
      event(31, d0, 'deployment.created', T0),
      event(32, { ...active(1, 50, false, T0 + 600_000) }, 'deployment.updated', T0 + 600_000),
      event(33, { ...active(1, 50, true, T0 + 610_000) }, 'deployment.updated', T0 + 610_000),
      event(34, { ...active(1, 50, false, T0 + 620_000) }, 'deployment.updated', T0 + 620_000),
      event(35, { ...active(1, 50, false, T0 + 630_000), status: 'failure', error_message: 'health check failed 3 times: HTTP 503' }, 'deployment.updated', T0 + 630_000),
      event(36, deployment({ id: '12' }), 'deployment.created', T0 + 640_000),
    ].reverse();
    const texts = deploymentTimeline(log, '11').map((e) => `${e.tone}: ${e.text}`);
    assert.deepEqual(texts, [
      'neutral: Started at step 1 of 3',
      'ok: Step 1 healthy through a 10 min 00 s soak; step 2: 50%',
      'neutral: Paused at 50%',
      'neutral: Resumed at 50%',
      'bad: failure: health check failed 3 times: HTTP 503',
    ]);
  });
});

describe('freshnessText', () => {
  it('says live, reconnecting, how old, or offline', () => {
    assert.equal(freshnessText(live, T0 + 5000).text, 'live');
    assert.equal(freshnessText({ stream: 'reconnecting', lastUpdateAt: T0, error: null }, T0).text, 'reconnecting…');
    assert.equal(freshnessText({ stream: 'closed', lastUpdateAt: T0, error: null }, T0 + 8000).text, 'updated 8 s ago');
    assert.equal(freshnessText({ stream: 'unsupported', lastUpdateAt: T0, error: null }, T0 + 180_000).text, 'updated 3 min ago');
    assert.equal(freshnessText({ stream: 'connecting', lastUpdateAt: null, error: null }, T0).text, 'connecting…');
    const offline = freshnessText({ stream: 'reconnecting', lastUpdateAt: T0, error: 'connection refused' }, T0);
    assert.equal(offline.tone, 'offline');
    assert.match(offline.text, /^offline — showing data from \d\d:\d\d$/);
    assert.equal(offline.detail, 'connection refused');
  });
});

describe('describeEvent', () => {
  it('writes one line per event', () => {
    const d = deployment({ status: 'in_progress', rollout: rollout(1, 50, true), deploy_end_at: null });
    assert.equal(describeEvent(event(1, d)), '1.4.0-rc1 in canary: in progress · step 2/3 · 50% · paused');
    assert.equal(describeEvent(event(2, deployment({ kind: 'auto_rollback', actor: 'flightdeck' }), 'deployment.created')), 'auto rollback of 1.4.0-rc1 to canary by flightdeck (success)');
    assert.equal(describeEvent(event(3, undefined, 'environment.updated')), 'Environment canary changed');
  });
});

describe('the stage\'s approval and block buttons (core/actionPlan with the caller)', () => {
  const waiting = deployment({
    id: '77', status: 'pending', actor: 'ana', release_candidate_version: '1.2.0-rc1',
    approval: { required: 2, approvals: [{ actor: 'bob', at: iso(0), comment: null }], rejection: null, expires_at: iso(86_400) },
  });
  const capabilities = { events: true, promote: true, pauseResumeAbort: true, freeze: true, approvals: true, block: true };
  const stateOf = (v: StageView) => reduce(initialState({ project: 'payments', environment: 'canary' }, T0), { type: 'snapshot', view: v, freshness: { stream: 'live', lastUpdateAt: T0, error: null } });

  it('offers Approve to another person, and Withdraw instead of Reject to the requester', () => {
    const other = stateOf(view({ environment: environment({ active: waiting }), capabilities, caller: { name: 'carol', role: 'deployer' } }));
    assert.equal(availability(other).approve.enabled, true);
    assert.equal(actionLabel(other, 'reject'), 'Reject');
    const own = stateOf(view({ environment: environment({ active: waiting }), capabilities, caller: { name: 'ana', role: 'deployer' } }));
    assert.match(availability(own).approve.reason ?? '', /Nobody approves their own change/);
    assert.equal(actionLabel(own, 'reject'), 'Withdraw');
  });

  it('names approval events as people say them in the event log', () => {
    assert.equal(eventTitle({ type: 'deployment.created', data: { project: 'payments', environment: 'canary', deployment: waiting, at: iso(0) } }), 'Approval requested');
    assert.equal(eventTitle({ type: 'deployment.updated', data: { project: 'payments', environment: 'canary', deployment: waiting, at: iso(0) } }), 'Approval: awaiting 1 of 2 approvals');
    const rejected = { ...waiting, status: 'canceled' as const, approval: { ...waiting.approval!, rejection: { actor: 'bob', at: iso(0), comment: null } } };
    assert.equal(eventTitle({ type: 'deployment.updated', data: { project: 'payments', environment: 'canary', deployment: rejected, at: iso(0) } }), 'Rejected');
    const withdrawn = { ...rejected, approval: { ...rejected.approval, rejection: { actor: 'ana', at: iso(0), comment: null } } };
    assert.equal(eventTitle({ type: 'deployment.updated', data: { project: 'payments', environment: 'canary', deployment: withdrawn, at: iso(0) } }), 'Withdrawn');
  });

  it('offers Block for the live candidate and Unblock once it is blocked, and refuses to promote a blocked source', () => {
    const block = { actor: 'ana', at: iso(0), reason: 'breaks EU cards' };
    const plain = stateOf(view({ capabilities }));
    assert.equal(availability(plain).block.enabled, true);
    assert.equal(availability(plain).unblock.enabled, false);
    const blocked = stateOf(view({ capabilities, environment: environment({ current: deployment({ candidate_blocked: block }) }) }));
    assert.equal(availability(blocked).unblock.enabled, true);
    const fromBlocked = stateOf(view({ capabilities, below: { name: 'dogfood', current: { environment: 'dogfood', candidate: '9.9.9-rc1', commit: 'f'.repeat(40), blocked: block } } }));
    assert.match(availability(fromBlocked).promote.reason ?? '', /9\.9\.9-rc1 is blocked: breaks EU cards/);
  });
});
