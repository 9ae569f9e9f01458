import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Approval, Deployment } from '../../../src/api/schemas';
import {
  APPROVAL_EXPIRED, APPROVAL_TTL_MS, approvalCheck, approvalRefusal, approvalsStillNeeded, approvalSummary, awaitsApproval,
  blockedCandidateMessage, isApprovalExpired, needsApproval, newApproval, rejectionCheck, rejectionMessage, rejectionRefusal,
  withApproval,
} from '../../../src/core/approvals';

const NOW = Date.parse('2026-12-01T08:00:00.000Z');

function awaiting(required = 2, extra: Partial<Approval> = {}, deployment: Partial<Deployment> = {}): Deployment {
  return {
    id: '42', project: 'p', environment_name: 'production', release_version: '1.4.0', release_candidate_version: '1.4.0-rc2',
    commit: 'a'.repeat(40), from_release_version: null, from_release_candidate_version: null, status: 'pending', kind: 'promote',
    actor: 'ana', deploy_start_at: '2026-12-01T08:00:00.000Z', deploy_end_at: null, updated_at: '2026-12-01T08:00:00.000Z',
    error_message: null, rollout: null, approval: { ...newApproval(required, NOW), ...extra }, candidate_blocked: null, ...deployment,
  };
}
const bob = { name: 'bob', role: 'deployer' as const };
const open = { protected: false };

describe('approvals', () => {
  it('only deploys and promotes into an environment that asks for approvals wait', () => {
    assert.equal(needsApproval('deploy', 1), true);
    assert.equal(needsApproval('promote', 2), true);
    assert.equal(needsApproval('rollback', 2), false);
    assert.equal(needsApproval('auto_rollback', 2), false);
    assert.equal(needsApproval('deploy', 0), false);
  });

  it('a request waits until it has as many approvals as required, and expires after 24 hours', () => {
    const d = awaiting(2);
    assert.equal(awaitsApproval(d), true);
    assert.equal(approvalsStillNeeded(d.approval!), 2);
    const once = withApproval(d.approval!, { actor: 'bob', at: new Date(NOW).toISOString(), comment: null });
    assert.equal(once.complete, false);
    assert.equal(approvalsStillNeeded(once.approval), 1);
    const twice = withApproval(once.approval, { actor: 'carol', at: new Date(NOW).toISOString(), comment: 'ok' });
    assert.equal(twice.complete, true);
    assert.equal(awaitsApproval({ ...d, approval: twice.approval }), false, 'complete, though still pending for the pipeline');
    assert.equal(awaitsApproval({ ...d, approval: null }), false);
    assert.equal(awaitsApproval({ ...d, status: 'canceled' }), false);
    assert.equal(awaitsApproval(awaiting(1, { rejection: { actor: 'bob', at: d.deploy_start_at, comment: null } })), false);
    assert.equal(isApprovalExpired(d.approval!, NOW + APPROVAL_TTL_MS - 1), false);
    assert.equal(isApprovalExpired(d.approval!, NOW + APPROVAL_TTL_MS), true);
  });

  it('refuses self-approval, double approval, viewers, non-admins in a protected environment and what is not waiting', () => {
    const d = awaiting(2, { approvals: [{ actor: 'carol', at: '2026-12-01T08:01:00.000Z', comment: null }] });
    assert.equal(approvalRefusal(d, bob, open), undefined);
    assert.deepEqual(approvalCheck(d, { name: 'ana', role: 'admin' }, open),
      { status: 409, reason: 'Nobody approves their own change: deployment 42 was requested by ana' });
    assert.deepEqual(approvalCheck(d, { name: 'carol', role: 'deployer' }, open),
      { status: 409, reason: 'carol has already approved deployment 42' });
    assert.deepEqual(approvalCheck(d, { name: 'vic', role: 'viewer' }, open),
      { status: 403, reason: 'Only a deployer or an admin may approve a deployment' });
    assert.deepEqual(approvalCheck(d, bob, { protected: true }),
      { status: 403, reason: 'Environment production is protected: only an admin may approve or reject its deployments' });
    assert.equal(approvalRefusal(d, { name: 'root', role: 'admin' }, { protected: true }), undefined);
    assert.deepEqual(approvalCheck({ ...d, status: 'in_progress' }, bob, open), { status: 409, reason: 'Deployment 42 is not awaiting approval' });
  });

  it('lets the requester withdraw, others reject with the approve rules of role', () => {
    const d = awaiting(1);
    assert.equal(rejectionRefusal(d, bob, open), undefined);
    assert.equal(rejectionRefusal(d, { name: 'ana', role: 'deployer' }, { protected: true }), undefined, 'withdraw');
    assert.equal(rejectionCheck(d, bob, { protected: true })?.status, 403);
    assert.equal(rejectionCheck(d, { name: 'vic', role: 'viewer' }, open)?.status, 403);
    assert.equal(rejectionRefusal(d, { name: 'vic', role: 'viewer' }, open), 'Only a deployer or an admin may reject a deployment');
    assert.equal(rejectionCheck({ ...d, status: 'canceled' }, bob, open)?.status, 409);
    assert.equal(rejectionMessage({ actor: 'bob', comment: 'not today' }), 'Rejected by bob: not today');
    assert.equal(rejectionMessage({ actor: 'bob', comment: null }), 'Rejected by bob');
  });

  it('summarises the state in one line', () => {
    assert.equal(approvalSummary(awaiting(2, { approvals: [{ actor: 'bob', at: '2026-12-01T08:01:00.000Z', comment: null }] })),
      'awaiting 1 of 2 approvals · requested by ana');
    assert.equal(approvalSummary(awaiting(1)), 'awaiting approval · requested by ana');
    assert.equal(approvalSummary(awaiting(1, { approvals: [{ actor: 'bob', at: '2026-12-01T08:01:00.000Z', comment: null }] }, { status: 'in_progress' })),
      'approved by bob');
    assert.equal(approvalSummary(awaiting(1, { rejection: { actor: 'bob', at: '2026-12-01T08:01:00.000Z', comment: null } }, { status: 'canceled' })),
      'rejected by bob');
    assert.equal(approvalSummary(awaiting(1, {}, { status: 'canceled', error_message: APPROVAL_EXPIRED })), 'approval expired');
    assert.equal(approvalSummary({ ...awaiting(1), approval: null }), '');
  });

  it('words a blocked candidate', () => {
    assert.equal(blockedCandidateMessage('1.4.0-rc2', { actor: 'bob', at: '2026-12-01T08:00:00.000Z', reason: 'corrupts the cache' }),
      'Release candidate 1.4.0-rc2 is blocked: corrupts the cache');
  });
});
