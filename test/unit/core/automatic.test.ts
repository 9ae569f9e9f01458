// The pure rules behind what the engine does by itself and what clients warn about: the rollback target
// that skips discredited candidates, auto-promotion forward only, candidate version order, and the
// "this candidate just failed somewhere" warning.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment } from '../../../src/api/schemas';
import { autoPromoteDecision, type AutoPromoteInput } from '../../../src/core/autoPromote';
import { discreditedCandidates, discreditedReason, rollbackTarget } from '../../../src/core/rollback';
import { compareCandidateVersions } from '../../../src/core/version';
import * as contract from '../../shared/contractFixtures';

let nextId = 1;
function d(rc: string, status: Deployment['status'], extra: Partial<Deployment> = {}): Deployment {
  const id = String(nextId++);
  return contract.deployment({
    id, project: 'p', release_candidate_version: rc, commit: id.padStart(40, '0'), status,
    deploy_end_at: '2026-11-23T08:01:00.000Z', updated_at: '2026-11-23T08:01:00.000Z', ...extra,
  });
}
const rolledBackFrom = (rc: string, from: string, kind: Deployment['kind'] = 'auto_rollback'): Deployment =>
  d(rc, 'success', { kind, from_release_candidate_version: from, actor: kind === 'auto_rollback' ? 'flightdeck' : 'ana' });

describe('rollback target skips discredited candidates', () => {
  it('after an automatic rollback, never the candidate that failed (even with an earlier success)', () => {
    const history = [
      rolledBackFrom('1.3.0-rc1', '1.3.1-rc1'), d('1.3.1-rc1', 'failure'), d('1.3.0-rc1', 'success'), d('1.3.1-rc1', 'success'), d('1.2.0-rc1', 'success'),
    ];
    assert.equal(rollbackTarget(history)?.release_candidate_version, '1.2.0-rc1');
    assert.deepEqual([...discreditedCandidates(history)], ['1.3.1-rc1']);
    assert.match(discreditedReason(history, '1.3.1-rc1') ?? '', /failed or was rolled back in canary/);
    assert.equal(discreditedReason(history, '1.2.0-rc1'), undefined);
  });

  it('after a person\'s rollback, never the candidate rolled back from', () => {
    const history = [rolledBackFrom('1.1.0-rc1', '1.2.0-rc1', 'rollback'), d('1.2.0-rc1', 'success'), d('1.1.0-rc1', 'success'), d('1.0.0-rc1', 'success')];
    assert.equal(rollbackTarget(history)?.release_candidate_version, '1.0.0-rc1');
  });

  it('a success after the trouble clears the candidate; a rollback to the same candidate discredits nothing', () => {
    const history = [d('1.1.0-rc1', 'success'), d('1.2.0-rc1', 'success'), d('1.2.0-rc1', 'failure'), d('1.0.0-rc1', 'success')];
    assert.equal(rollbackTarget(history)?.release_candidate_version, '1.2.0-rc1');
    const same = [rolledBackFrom('1.1.0-rc1', '1.1.0-rc1', 'rollback'), d('1.2.0-rc1', 'failure'), d('1.1.0-rc1', 'success'), d('1.0.0-rc1', 'success')];
    assert.equal(rollbackTarget(same)?.release_candidate_version, '1.0.0-rc1');
    assert.deepEqual([...discreditedCandidates(same)], ['1.2.0-rc1']);
  });

  it('after a failure: the current candidate, unless it failed itself after its last success', () => {
    assert.equal(rollbackTarget([d('1.2.0-rc1', 'failure'), d('1.1.0-rc1', 'success')])?.release_candidate_version, '1.1.0-rc1');
    assert.equal(rollbackTarget([d('1.1.0-rc1', 'error'), d('1.1.0-rc1', 'success'), d('1.0.0-rc1', 'success')])?.release_candidate_version, '1.0.0-rc1');
    assert.equal(rollbackTarget([rolledBackFrom('1.0.0-rc1', '1.1.0-rc1'), d('1.1.0-rc1', 'failure')]), undefined);
  });

  it('never a blocked candidate: the search goes on to the next earlier success', () => {
    const block = { actor: 'bob', at: '2026-11-23T09:00:00.000Z', reason: 'corrupts the cache' };
    const history = [d('1.2.0-rc1', 'success'), d('1.1.0-rc1', 'success', { candidate_blocked: block }), d('1.0.0-rc1', 'success')];
    assert.equal(rollbackTarget(history)?.release_candidate_version, '1.0.0-rc1');
    assert.equal(rollbackTarget([d('1.2.0-rc1', 'failure'), d('1.1.0-rc1', 'success', { candidate_blocked: block })]), undefined);
  });
});

describe('auto-promotion moves forward only', () => {
  const input = (source: Deployment, targetHistory: Deployment[], extra: Partial<AutoPromoteInput> = {}): AutoPromoteInput => ({
    source, provenance: 'engine', target: { name: 'prod', protected: false }, targetHistory, ...extra,
  });
  const prod = (rc: string, status: Deployment['status'] = 'success'): Deployment => d(rc, status, { environment_name: 'prod' });

  it('promotes a newer candidate', () => {
    assert.deepEqual(autoPromoteDecision(input(d('1.3.1-rc1', 'success'), [prod('1.3.0-rc1')])), { promote: true });
    assert.deepEqual(autoPromoteDecision(input(d('1.0.0-rc1', 'success'), [])), { promote: true });
  });

  it('skips, with the reason: a rollback, what the target runs or ran, a target ahead, an unverified success', () => {
    const skip = (i: AutoPromoteInput): string => {
      const decision = autoPromoteDecision(i);
      return decision.promote ? 'promote' : `${decision.skip}: ${decision.reason}`;
    };
    assert.match(skip(input(rolledBackFrom('1.3.0-rc1', '1.3.1-rc1'), [prod('1.3.1-rc1')])), /^rollback: 1\.3\.0-rc1 is live in canary through a rollback/);
    assert.match(skip(input(d('1.3.0-rc1', 'success'), [prod('1.3.0-rc1')])), /^already_current: prod already runs 1\.3\.0-rc1/);
    const block = { actor: 'bob', at: '2026-11-23T09:00:00.000Z', reason: 'corrupts the cache' };
    assert.equal(skip(input(d('1.4.0-rc1', 'success', { candidate_blocked: block }), [prod('1.3.0-rc1')])),
      'blocked: Release candidate 1.4.0-rc1 is blocked: corrupts the cache');
    assert.match(skip(input(d('1.3.0-rc1', 'success'), [prod('1.3.0-rc1', 'in_progress'), prod('1.2.0-rc1')])), /^already_active/);
    assert.match(skip(input(d('1.3.0-rc1', 'success'), [prod('1.3.1-rc1'), prod('1.3.0-rc1')])),
      /^ran_before: prod already ran 1\.3\.0-rc1 before its current 1\.3\.1-rc1 \(deploy success\): promoting it would move prod backwards/);
    assert.match(skip(input(d('1.2.5-rc1', 'success'), [prod('1.3.0-rc1')])), /^target_ahead: prod runs 1\.3\.0-rc1, ahead of 1\.2\.5-rc1/);
    const guarded = { target: { name: 'prod', protected: true } };
    assert.match(skip(input(d('1.4.0-rc1', 'success', { actor: 'ci' }), [prod('1.3.0-rc1')], { ...guarded, provenance: 'reported' })),
      /^unverified: prod is protected and 1\.4\.0-rc1's success in canary was reported by ci/);
    assert.equal(skip(input(d('1.4.0-rc1', 'success'), [prod('1.3.0-rc1')], { ...guarded, provenance: 'admin' })), 'promote');
    assert.equal(skip(input(d('1.4.0-rc1', 'success'), [prod('1.3.0-rc1')], { ...guarded, provenance: 'engine' })), 'promote');
    // Versions without an order: only the target's history decides.
    assert.equal(skip(input(d('blue-rc1', 'success'), [prod('green-rc4')])), 'promote');
  });
});

describe('candidate versions', () => {
  it('orders by release (numerically) then rc; undefined when the release is not numeric', () => {
    assert.equal(compareCandidateVersions('1.3.1-rc1', '1.3.0-rc4'), 1);
    assert.equal(compareCandidateVersions('1.10.0-rc1', '1.9.0-rc1'), 1);
    assert.equal(compareCandidateVersions('1.3.0-rc2', '1.3.0-rc10'), -1);
    assert.equal(compareCandidateVersions('1.3-rc1', '1.3.0-rc1'), 0);
    assert.equal(compareCandidateVersions('2026.11.23-rc2', '2026.11.23-rc1'), 1);
    assert.equal(compareCandidateVersions('1.4.0-beta-rc1', '1.3.0-rc1'), undefined);
    assert.equal(compareCandidateVersions('nope', '1.3.0-rc1'), undefined);
  });
});
