// The pure rules behind loud automatic actions: which live events become notifications, health in words,
// event names for people, a candidate's recent trouble, the promote choices with from → to, the
// auto-promotion countdown, and the embedded server's log lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, Environment, ReleaseEvent } from '../../../src/api/schemas';
import { candidateTrouble, describeTrouble } from '../../../src/core/candidateHistory';
import { eventLogLine, eventTitle } from '../../../src/core/eventText';
import { environmentAlarm, healthLine, summarizeHealth } from '../../../src/core/health';
import { emptyLoudMemory, loudMessage, loudNotices, trackStarted } from '../../../src/core/loudEvents';
import { autoPromoteStatus, promoteChoices } from '../../../src/core/promotion';
import { exitReason, parseServerLine } from '../../../src/core/serverLog';
import { deployment, environment, T0, iso } from '../webview/fixtures';

let nextId = 1;
function event(d: Deployment, type: ReleaseEvent['type'] = 'deployment.updated'): ReleaseEvent {
  return { id: nextId++, type, data: { project: d.project, environment: d.environment_name, deployment: d, at: d.updated_at } };
}

const failed = deployment({ id: '20', kind: 'promote', release_candidate_version: '1.3.1-rc1', status: 'failure', error_message: 'Health check failed 3 times in a row: GET /health answered 500' });
const rollback = deployment({ id: '21', kind: 'auto_rollback', actor: 'flightdeck', release_candidate_version: '1.3.0-rc1', from_release_candidate_version: '1.3.1-rc1', status: 'pending', deploy_end_at: null });
const everywhere = (): boolean => true;

describe('loudNotices: what live events are announced', () => {
  it('a failure and the automatic rollback it caused make one notice, naming both and why', () => {
    const memory = emptyLoudMemory();
    const notices = loudNotices([event(failed), event(rollback, 'deployment.created')], memory, everywhere);
    assert.equal(notices.length, 1);
    const [notice] = notices;
    assert.equal(notice?.kind, 'rolled_back');
    assert.equal(loudMessage(notice!), 'Flightdeck rolled payments/canary back to 1.3.0-rc1 after 1.3.1-rc1 failed: Health check failed 3 times in a row: GET /health answered 500.');
  });

  it('announces each deployment once, whatever arrives again (a replay after a reconnect)', () => {
    const memory = emptyLoudMemory();
    assert.equal(loudNotices([event(failed), event(rollback, 'deployment.created')], memory, everywhere).length, 1);
    assert.equal(loudNotices([event(failed), event(rollback, 'deployment.created')], memory, everywhere).length, 0);
  });

  it('a failure alone is announced as a failure; the rollback in a later batch still names it', () => {
    const memory = emptyLoudMemory();
    const first = loudNotices([event(failed)], memory, everywhere);
    assert.deepEqual(first.map((n) => n.kind), ['failed']);
    assert.match(loudMessage(first[0]!), /^Deployment of 1\.3\.1-rc1 to payments\/canary failed: Health check/);
    const second = loudNotices([event(rollback, 'deployment.created')], memory, everywhere);
    assert.equal(second[0]?.kind === 'rolled_back' ? second[0].failed?.id : undefined, '20');
  });

  it('says nothing about projects outside the workspace, nor about successes nobody started here', () => {
    const memory = emptyLoudMemory();
    assert.deepEqual(loudNotices([event(failed), event(rollback, 'deployment.created')], memory, () => false), []);
    assert.deepEqual(loudNotices([event(deployment({ id: '30', status: 'success' }))], memory, everywhere), []);
  });

  it('announces the end of what the user started, and of the auto-promotion that carried it on', () => {
    const memory = emptyLoudMemory();
    const mine = deployment({ id: '40', kind: 'promote', actor: 'alice', release_candidate_version: '1.5.0-rc1', status: 'pending', deploy_end_at: null });
    trackStarted(memory, mine);
    memory.followed.add('40');
    // A progress notification follows it: its end is left to that.
    assert.deepEqual(loudNotices([event({ ...mine, status: 'success' })], memory, everywhere), []);
    const auto = deployment({ id: '41', kind: 'promote', actor: 'flightdeck', environment_name: 'rollout', release_candidate_version: '1.5.0-rc1', status: 'pending', deploy_end_at: null });
    assert.deepEqual(loudNotices([event(auto, 'deployment.created')], memory, () => false), []);
    const done = loudNotices([event({ ...auto, status: 'success' })], memory, () => false);
    assert.equal(done[0]?.kind, 'finished');
    assert.equal(loudMessage(done[0]!), 'The auto-promotion of 1.5.0-rc1 to payments/rollout finished: payments/rollout now runs 1.5.0-rc1.');
  });
});

describe('health in words', () => {
  const check = { url: 'http://127.0.0.1:1/health', command: null, interval_seconds: 3, failure_threshold: 3 };
  it('counts failures against the threshold and says when the last check ran', () => {
    const env = environment({
      health_check: check,
      current: deployment({ health: { healthy: false, consecutive_failures: 2, last_checked_at: iso(T0 - 12_000), last_error: 'GET /health answered 500' } }),
    });
    const summary = summarizeHealth(env, T0);
    assert.equal(healthLine(summary), 'health check failing 2/3 · last check 12 s ago');
    assert.equal(summary.error, 'GET /health answered 500');
    assert.equal(environmentAlarm(env), 'failing');
  });
  it('prefers the active deployment, and a rollback under way is the loudest alarm', () => {
    const env = environment({
      health_check: check,
      current: deployment({ health: { healthy: false, consecutive_failures: 1, last_checked_at: iso(T0), last_error: 'x' } }),
      active: deployment({ id: '2', kind: 'auto_rollback', status: 'in_progress', deploy_end_at: null, health: { healthy: true, consecutive_failures: 0, last_checked_at: iso(T0), last_error: null } }),
    });
    assert.equal(summarizeHealth(env, T0).tone, 'healthy');
    assert.equal(environmentAlarm(env), 'rolling_back');
  });
  it('says nothing without a health check, and "not checked yet" before the first', () => {
    assert.equal(summarizeHealth(environment({ current: deployment() }), T0).tone, 'none');
    assert.equal(summarizeHealth(environment({ health_check: check, current: deployment() }), T0).text, 'health not checked yet');
    assert.equal(environmentAlarm(environment({ current: deployment() })), undefined);
  });
});

describe('event names for people', () => {
  it('never shows the wire name', () => {
    assert.equal(eventTitle(event(rollback, 'deployment.created')), 'Automatic rollback');
    assert.equal(eventTitle(event(failed)), 'Failed');
    assert.equal(eventTitle(event(deployment({ status: 'in_progress', deploy_end_at: null, health: { healthy: false, consecutive_failures: 1, last_checked_at: null, last_error: 'x' } }))), 'Health check failing');
    assert.equal(eventTitle(event(deployment({ kind: 'auto_rollback' }))), 'Rolled back');
    assert.equal(eventTitle({ type: 'release.created', data: { project: 'payments', environment: null, at: iso(T0) } }), 'New candidate');
  });
  it('writes one output line per event, with the reason', () => {
    assert.equal(eventLogLine(event(failed)), 'Event: payments/canary · Failed · 1.3.1-rc1 (promote by ci-pipeline, deployment 20) — Health check failed 3 times in a row: GET /health answered 500');
  });
});

describe('candidateTrouble: failed or rolled back anywhere in the last 24 h', () => {
  const now = T0;
  it('names where and why, newest first, once per incident', () => {
    const canaryFailure = deployment({ ...failed, deploy_end_at: iso(now - 3600_000) });
    const canaryRollback = deployment({ ...rollback, deploy_start_at: iso(now - 3599_000), status: 'success' });
    const manual = deployment({ id: '50', environment_name: 'rollout', kind: 'rollback', actor: 'bob', release_candidate_version: '1.3.0-rc1', from_release_candidate_version: '1.3.1-rc1', deploy_start_at: iso(now - 600_000) });
    const trouble = candidateTrouble([canaryFailure, canaryRollback, manual], '1.3.1-rc1', now);
    assert.deepEqual(trouble.map((t) => `${t.environment}:${t.what}`), ['rollout:rolled_back', 'canary:failed']);
    assert.equal(describeTrouble('1.3.1-rc1', trouble[1]!, '1h ago'), '1.3.1-rc1 failed in canary 1h ago: Health check failed 3 times in a row: GET /health answered 500.');
    assert.equal(describeTrouble('1.3.1-rc1', trouble[0]!, '10m ago'), '1.3.1-rc1 was rolled back by bob in rollout 10m ago.');
  });
  it('ignores older trouble, other candidates and successes', () => {
    const old = deployment({ ...failed, deploy_end_at: iso(now - 25 * 3600_000) });
    assert.deepEqual(candidateTrouble([old, deployment({ status: 'success' })], '1.3.1-rc1', now), []);
    assert.deepEqual(candidateTrouble([failed], '9.9.9-rc1', now), []);
  });
});

describe('promote choices and the auto-promotion countdown', () => {
  const env = (name: string, position: number, candidate: string | null, extra: Partial<Environment> = {}): Environment =>
    environment({ name, position, current: candidate ? deployment({ environment_name: name, release_candidate_version: candidate }) : null, ...extra });
  const planContext = { capabilities: { promote: true, pauseResumeAbort: true, freeze: true }, role: 'unknown' } as const;
  it('lists only rungs a promote can go into, each with from → to', () => {
    const project = {
      name: 'web',
      environments: [
        env('production', 3, '1.3.0-rc1'), env('dogfood', 0, '1.5.0-rc1'), env('canary', 1, '1.4.0-rc2'),
        env('rollout', 2, '1.4.0-rc2'),
      ],
    };
    assert.deepEqual(promoteChoices(project, planContext).map((c) => `${c.environment.name} ${c.from ?? 'nothing'} → ${c.to} (from ${c.source.name})`),
      ['canary 1.4.0-rc2 → 1.5.0-rc1 (from dogfood)', 'production 1.3.0-rc1 → 1.4.0-rc2 (from rollout)']);
    const frozen = { name: 'web', environments: [env('dogfood', 0, '1.5.0-rc1'), env('canary', 1, null, { frozen: true })] };
    assert.deepEqual(promoteChoices(frozen, planContext), []);
    // The action plan's rule: a deploying rung, or a server without promote, offers none.
    const deploying = { name: 'web', environments: [env('dogfood', 0, '1.5.0-rc1'), env('canary', 1, null, { active: deployment({ environment_name: 'canary', status: 'in_progress' }) })] };
    assert.deepEqual(promoteChoices(deploying, planContext), []);
    assert.deepEqual(promoteChoices(project, { ...planContext, capabilities: { ...planContext.capabilities, promote: false } }), []);
  });
  it('counts down to the auto-promotion, and not after a rollback or once the target has it', () => {
    const live = deployment({ deploy_end_at: iso(T0 - 60_000) });
    const rule = { to: 'rollout', after_seconds: 300 };
    assert.deepEqual(autoPromoteStatus({ auto_promote: rule, current: live, active: null }, { candidate: '1.3.0-rc1', activeCandidate: null }, T0),
      { kind: 'counting', to: 'rollout', candidate: '1.4.0-rc1', dueAt: T0 + 240_000 });
    assert.equal(autoPromoteStatus({ auto_promote: rule, current: live, active: null }, { candidate: '1.3.0-rc1', activeCandidate: null }, T0 + 300_000)?.kind, 'due');
    assert.equal(autoPromoteStatus({ auto_promote: rule, current: { ...live, kind: 'auto_rollback' }, active: null }, undefined, T0), undefined);
    assert.equal(autoPromoteStatus({ auto_promote: rule, current: live, active: null }, { candidate: '1.4.0-rc1', activeCandidate: null }, T0), undefined);
  });
});

describe('the embedded server\'s output', () => {
  it('keeps request logs for debug, other messages at their level, and finds why it exited', () => {
    assert.deepEqual(parseServerLine('{"level":30,"reqId":"req-1","req":{"method":"GET","url":"/api/releases"},"msg":"incoming request"}'),
      { level: 'debug', text: '[req-1] incoming request GET /api/releases' });
    assert.deepEqual(parseServerLine('{"level":40,"msg":"engine: step took long"}'), { level: 'warn', text: 'engine: step took long' });
    assert.deepEqual(parseServerLine('plain text'), { level: 'info', text: 'plain text' });
    assert.equal(exitReason(['{"level":30,"msg":"starting"}', 'flightdeck: The data directory /d is in use by process 42']),
      'The data directory /d is in use by process 42');
  });
});
