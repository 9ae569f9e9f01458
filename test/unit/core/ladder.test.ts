import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, Environment, Project } from '../../../src/api/schemas';
import { formatAge, formatDuration, shortSha } from '../../../src/core/format';
import { defaultPollPolicy, describeFreshness, nextPollDelay, PollSchedule } from '../../../src/core/freshness';
import { environmentState, ladder, rungAbove, rungBelow } from '../../../src/core/ladder';
import { rollbackTarget } from '../../../src/core/rollback';
import * as contract from '../../shared/contractFixtures';

let nextId = 1;
function deployment(rc: string, status: Deployment['status'], kind: Deployment['kind'] = 'deploy'): Deployment {
  const id = String(nextId++);
  return contract.deployment({ id, project: 'p', environment_name: 'e', release_candidate_version: rc, commit: id.padStart(40, '0'), status, kind });
}
function environment(name: string, position: number, extra: Partial<Environment> = {}): Environment {
  return contract.environment({ name, position, ...extra });
}

describe('ladder', () => {
  const project: Pick<Project, 'environments'> = {
    environments: [environment('production', 3), environment('dogfood', 0), environment('rollout', 2), environment('canary', 1)],
  };
  it('orders by position and finds neighbours', () => {
    assert.deepEqual(ladder(project).map((e) => e.name), ['dogfood', 'canary', 'rollout', 'production']);
    assert.equal(rungBelow(project, 'canary')?.name, 'dogfood');
    assert.equal(rungBelow(project, 'dogfood'), undefined);
    assert.equal(rungAbove(project, 'rollout')?.name, 'production');
    assert.equal(rungAbove(project, 'production'), undefined);
  });

  it('names the state that matters most', () => {
    const live = deployment('1.0.0-rc1', 'success');
    assert.equal(environmentState(environment('x', 0)), 'empty');
    assert.equal(environmentState(environment('x', 0, { current: live })), 'live');
    assert.equal(environmentState(environment('x', 0, { current: live, active: deployment('1.1.0-rc1', 'in_progress') })), 'deploying');
    assert.equal(environmentState(environment('x', 0, { current: deployment('1.0.0-rc1', 'success', 'auto_rollback') })), 'rolled_back');
    assert.equal(environmentState(environment('x', 0, { current: live }), deployment('1.1.0-rc1', 'failure')), 'failed');
  });
});

describe('rollback target', () => {
  it('after a success, returns to the newest earlier success with another candidate', () => {
    const history = [deployment('1.2.0-rc1', 'success'), deployment('1.2.0-rc1', 'success'), deployment('1.1.0-rc1', 'failure'), deployment('1.0.0-rc1', 'success')];
    assert.equal(rollbackTarget(history)?.release_candidate_version, '1.0.0-rc1');
  });
  it('after a failure, returns to the current candidate', () => {
    const history = [deployment('1.2.0-rc1', 'failure'), deployment('1.1.0-rc1', 'success'), deployment('1.0.0-rc1', 'success')];
    assert.equal(rollbackTarget(history)?.release_candidate_version, '1.1.0-rc1');
  });
  it('has nothing to return to with one success or none', () => {
    assert.equal(rollbackTarget([deployment('1.0.0-rc1', 'success')]), undefined);
    assert.equal(rollbackTarget([]), undefined);
    assert.equal(rollbackTarget([deployment('1.0.0-rc1', 'canceled')]), undefined);
  });
});

describe('format', () => {
  const now = Date.parse('2026-11-23T10:00:00.000Z');
  it('says how long ago', () => {
    assert.equal(formatAge('2026-11-23T09:59:58.000Z', now), 'just now');
    assert.equal(formatAge('2026-11-23T09:59:30.000Z', now), '30s ago');
    assert.equal(formatAge('2026-11-23T09:55:00.000Z', now), '5m ago');
    assert.equal(formatAge('2026-11-23T08:00:00.000Z', now), '2h ago');
    assert.equal(formatAge('2026-11-20T10:00:00.000Z', now), '3d ago');
    assert.equal(formatAge('not a date', now), '');
  });
  it('formats durations and short SHAs', () => {
    assert.equal(formatDuration(42), '42 s');
    assert.equal(formatDuration(245), '4 min 05 s');
    assert.equal(formatDuration(3720), '1 h 02 min');
    assert.equal(formatDuration(47 * 3600 + 59 * 60), '47 h 59 min');
    assert.equal(formatDuration(30 * 86400 - 60), '29 d 23 h', 'past two days: days and hours, not "719 h"');
    assert.equal(shortSha('0123456789abcdef'), '0123456');
    assert.equal(shortSha(null), '');
  });
});

describe('freshness', () => {
  const now = Date.parse('2026-11-23T10:42:30.000Z');
  it('describes what the view shows', () => {
    assert.equal(describeFreshness({ kind: 'fresh', at: now - 12_000, live: false }, now), 'Updated 12 s ago');
    assert.equal(describeFreshness({ kind: 'fresh', at: now, live: true }, now), 'Live');
    const lastGood = new Date(2026, 10, 23, 10, 42).getTime();
    assert.equal(describeFreshness({ kind: 'offline', lastGoodAt: lastGood, reason: 'refused' }, now), 'Offline — showing data from 10:42');
    assert.equal(describeFreshness({ kind: 'offline', lastGoodAt: undefined, reason: 'connection refused' }, now), 'Offline — connection refused');
  });
  it('polls quickly after an action, slowly when hidden or streaming, with bounded jitter', () => {
    const mid = () => 0.5;
    const base = { focused: true, streaming: false, failures: 0, lastActionAt: undefined };
    assert.equal(nextPollDelay(base, now, defaultPollPolicy, mid), 30_000);
    assert.equal(nextPollDelay({ ...base, lastActionAt: now - 1000 }, now, defaultPollPolicy, mid), 2_000);
    assert.equal(nextPollDelay({ ...base, focused: false }, now, defaultPollPolicy, mid), 300_000);
    assert.equal(nextPollDelay({ ...base, streaming: true }, now, defaultPollPolicy, mid), undefined, 'nothing polls while the stream is live');
    assert.equal(nextPollDelay({ ...base, streaming: true, lastActionAt: now - 1000 }, now, defaultPollPolicy, mid), undefined, 'not even after an action: the events come');
    assert.equal(nextPollDelay({ ...base, visible: false }, now, defaultPollPolicy, mid), undefined, 'nobody sees it');
    assert.ok((nextPollDelay(base, now, defaultPollPolicy, () => 0) ?? 0) >= 24_000);
    assert.ok((nextPollDelay(base, now, defaultPollPolicy, () => 0.999) ?? Infinity) <= 36_000);
  });

  it('arms one timer at a time on an injected clock, and none while the stream is live', () => {
    let clock = 1_000_000;
    const armed = new Map<number, { at: number; callback: () => void }>();
    let nextHandle = 1;
    const timers = {
      setTimeout: (callback: () => void, ms: number) => { armed.set(nextHandle, { at: clock + ms, callback }); return nextHandle++; },
      clearTimeout: (handle: unknown) => { armed.delete(handle as number); },
    };
    let polls = 0;
    const context = { focused: true, visible: true, streaming: false, failures: 0 };
    const schedule = new PollSchedule({ poll: () => { polls += 1; }, context: () => context, clock: { now: () => clock }, timers, random: () => 0.5 });
    assert.equal(schedule.reschedule(), 30_000);
    assert.equal(schedule.reschedule(), 30_000);
    assert.equal(armed.size, 1, 'rescheduling replaces the timer');
    schedule.markAction();
    assert.equal(schedule.reschedule(), 2_000, 'a burst after the person acts');
    clock += 2_000;
    for (const [handle, timer] of [...armed]) if (timer.at <= clock) { armed.delete(handle); timer.callback(); }
    assert.equal(polls, 1);
    assert.equal(schedule.pending, false);
    context.streaming = true;
    assert.equal(schedule.reschedule(), undefined);
    assert.equal(armed.size, 0, 'nothing armed while live');
    context.streaming = false;
    context.focused = false;
    clock += 60_000;
    assert.equal(schedule.reschedule(), 300_000, 'slow when the window is not focused');
    schedule.cancel();
    assert.equal(armed.size, 0);
  });
});
