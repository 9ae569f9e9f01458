import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, Environment, Project } from '../../../src/api/schemas';
import { actionPlan, actionTitle, approvalPlans, availableActions, candidatePlans, planInProject, type ActionCapabilities, type PlanInput } from '../../../src/core/actionPlan';
import { AVIATOR_UNSUPPORTED } from '../../../src/client/aviator';
import { isRollbackKind, isTerminal } from '../../../src/core/deploymentStatus';
import { expectedCurrentConflict } from '../../../src/core/expectedCurrent';
import * as contract from '../../shared/contractFixtures';

let nextId = 1;
function deployment(rc: string, status: Deployment['status'], extra: Partial<Deployment> = {}): Deployment {
  const id = String(nextId++);
  return contract.deployment({ id, release_candidate_version: rc, commit: id.padStart(40, 'a'), status, ...extra });
}
function environment(name: string, position: number, extra: Partial<Environment> = {}): Environment {
  return contract.environment({ name, position, ...extra });
}

const FLIGHTDECK: ActionCapabilities = { promote: true, pauseResumeAbort: true, freeze: true, approvals: true, block: true };
const AVIATOR: ActionCapabilities = { promote: true, pauseResumeAbort: false, freeze: false };

function plan(environmentExtra: Partial<Environment>, rest: Partial<PlanInput> = {}) {
  return actionPlan({
    project: 'payments',
    environment: environment('canary', 1, environmentExtra),
    source: { name: 'dogfood', current: { candidate: '1.1.0-rc1', commit: 'b'.repeat(40) } },
    capabilities: FLIGHTDECK,
    role: 'unknown',
    ...rest,
  });
}

describe('action plan', () => {
  it('offers a promote from the rung below with its candidate and the expected current', () => {
    const p = plan({ current: deployment('1.0.0-rc1', 'success') });
    assert.deepEqual(p.promote, { available: true, from: 'dogfood', candidate: '1.1.0-rc1', commit: 'b'.repeat(40), expectedCurrent: '1.0.0-rc1' });
  });

  it('says why a promote is not available, most telling reason first', () => {
    const reason = (p: ReturnType<typeof plan>) => (p.promote.available ? 'available' : p.promote.reason);
    assert.match(reason(plan({}, { source: null })), /first rung of payments: there is nothing below/);
    assert.match(reason(plan({}, { source: { name: 'dogfood', current: null } })), /Nothing is live in dogfood yet/);
    assert.match(reason(plan({ current: deployment('1.1.0-rc1', 'success') })), /already runs 1\.1\.0-rc1/);
    assert.match(reason(plan({ frozen: true, active: deployment('0.9.0-rc1', 'in_progress') })), /frozen: unfreeze it to promote/);
    assert.match(reason(plan({ active: deployment('0.9.0-rc1', 'in_progress') })), /already active \(0\.9\.0-rc1, in progress\)/);
    assert.match(reason(plan({ protected: true }, { role: 'not_admin' })), /protected: only an admin/);
    assert.equal(reason(plan({ protected: true }, { role: 'admin' })), 'available');
    assert.equal(reason(plan({ protected: true }, { role: 'unknown' })), 'available', 'an unknown role leaves the decision to the server');
    assert.match(reason(plan({}, { capabilities: { ...FLIGHTDECK, promote: false } })), /does not support promote/);
  });

  it('forces the rollback of a frozen environment instead of refusing it, and titles it so', () => {
    const target = { release_candidate_version: '0.9.0-rc1', commit: 'c'.repeat(40) };
    const frozen = plan({ frozen: true, current: deployment('1.0.0-rc1', 'success') }, { rollbackTarget: target });
    assert.deepEqual(frozen.rollback, { available: true, to: target, force: true, expectedCurrent: '1.0.0-rc1', cancels: null });
    assert.equal(actionTitle('rollback', frozen), 'Force Rollback');
    const thawed = plan({ current: deployment('1.0.0-rc1', 'success') }, { rollbackTarget: target });
    assert.equal(thawed.rollback.available && thawed.rollback.force, false);
    assert.equal(actionTitle('rollback', thawed), 'Rollback');
    assert.equal(frozen.promote.available || frozen.deploy.available, false, 'a freeze still stops change going forward');
  });

  it('rolls back only with something to return to; an unread history leaves the target to run time', () => {
    assert.match(plan({ current: deployment('1.0.0-rc1', 'success') }, { rollbackTarget: null }).rollback.available ? '' : 'Nothing earlier', /Nothing earlier/);
    const unread = plan({ current: deployment('1.0.0-rc1', 'success') });
    assert.equal(unread.rollback.available && unread.rollback.to, undefined);
    assert.equal(plan({}).rollback.available, false, 'nothing deployed, nothing to roll back');
    const active = deployment('1.1.0-rc1', 'in_progress');
    const cancelling = plan({ current: deployment('1.0.0-rc1', 'success'), active });
    assert.equal(cancelling.rollback.available && cancelling.rollback.cancels?.id, active.id, 'a rollback cancels the active deployment first');
  });

  it('controls a rollout by its deployment, and only on a backend that can', () => {
    const rollout = { step: 0, percent: 10, paused: false, steps: [] } as unknown as NonNullable<Deployment['rollout']>;
    const running = deployment('1.1.0-rc1', 'in_progress', { rollout });
    const p = plan({ active: running });
    assert.deepEqual(p.pause, { available: true, deploymentId: running.id, candidate: '1.1.0-rc1' });
    assert.equal(p.resume.available, false);
    assert.equal(p.abort.available, true);
    const paused = plan({ active: { ...running, rollout: { ...rollout, paused: true } } });
    assert.equal(paused.pause.available, false);
    assert.equal(paused.resume.available, true);
    const guarded = plan({ active: running, protected: true }, { role: 'not_admin' });
    assert.match(guarded.pause.available ? '' : guarded.pause.reason, /protected: only an admin may pause or resume/, 'the server\'s rule (core/permissions)');
    assert.match(guarded.abort.available ? '' : guarded.abort.reason, /only an admin may abort/);
    const aviator = plan({ active: running }, { capabilities: AVIATOR });
    assert.match(aviator.pause.available ? '' : aviator.pause.reason, /does not support pausing/);
    assert.match(aviator.freeze.available ? '' : aviator.freeze.reason, /does not support freezing/);
    assert.match(aviator.approve.available ? '' : aviator.approve.reason, /does not ask for approvals/);
    const said = plan({ active: running }, { capabilities: { ...AVIATOR, reasons: { freeze: 'Aviator has no call to freeze.' } } });
    assert.equal(said.freeze.available ? '' : said.freeze.reason, 'Aviator has no call to freeze.', 'the backend\'s own words win');
  });

  it('offers neither deploy nor rollback nor promote on a backend whose deployments are made elsewhere (GitHub without a workflow), in its words', () => {
    const github: ActionCapabilities = {
      promote: false, pauseResumeAbort: false, freeze: false, deploy: false,
      reasons: { deploy: 'GitHub deployments are made by workflows.', promote: 'Promote and rollback need a workflow_dispatch workflow.' },
    };
    const target = { release_candidate_version: '0.9.0-rc1', commit: 'c'.repeat(40) };
    const p = plan({ current: deployment('1.0.0-rc1', 'success') }, { capabilities: github, rollbackTarget: target });
    assert.deepEqual(availableActions(p), []);
    assert.equal(p.deploy.available ? '' : p.deploy.reason, 'GitHub deployments are made by workflows.');
    assert.equal(p.rollback.available ? '' : p.rollback.reason, 'Promote and rollback need a workflow_dispatch workflow.');
    assert.equal(p.promote.available ? '' : p.promote.reason, 'Promote and rollback need a workflow_dispatch workflow.');
    // Absent means available: Flightdeck's and Aviator's capabilities do not name deploy.
    assert.equal(plan({ current: deployment('1.0.0-rc1', 'success') }).deploy.available, true);
  });

  it('lets only admins freeze, and offers exactly one of freeze and unfreeze', () => {
    assert.deepEqual(availableActions(plan({})).filter((a) => a.endsWith('freeze')), ['freeze']);
    assert.deepEqual(availableActions(plan({ frozen: true })).filter((a) => a.endsWith('freeze')), ['unfreeze']);
    const viewer = plan({}, { role: 'not_admin' });
    assert.match(viewer.freeze.available ? '' : viewer.freeze.reason, /Only an admin/);
  });

  it('offers nothing on an environment the backend could not answer for', () => {
    const p = actionPlan({ project: 'payments', environment: { ...environment('canary', 1), error: 'Release environment not found' }, source: null, capabilities: AVIATOR, role: 'unknown' });
    assert.deepEqual(availableActions(p), []);
    assert.equal(p.rollback.available ? '' : p.rollback.reason, 'Release environment not found');
  });

  it('takes the promotion source from the project ladder, or the one named', () => {
    const project: Pick<Project, 'name' | 'environments'> = {
      name: 'payments',
      environments: [
        environment('production', 2), environment('dogfood', 0, { current: deployment('1.2.0-rc1', 'success') }),
        environment('canary', 1, { current: deployment('1.1.0-rc1', 'success') }),
      ],
    };
    const production = project.environments[0]!;
    const byLadder = planInProject(project, production, { capabilities: FLIGHTDECK, role: 'unknown' });
    assert.equal(byLadder.promote.available && `${byLadder.promote.from} ${byLadder.promote.candidate}`, 'canary 1.1.0-rc1');
    const named = planInProject(project, production, { capabilities: FLIGHTDECK, role: 'unknown', from: 'dogfood' });
    assert.equal(named.promote.available && named.promote.candidate, '1.2.0-rc1');
    const missing = planInProject(project, production, { capabilities: FLIGHTDECK, role: 'unknown', from: 'staging' });
    assert.match(missing.promote.available ? '' : missing.promote.reason, /Nothing is live in staging/);
  });
});

describe('action plan: approvals and blocked candidates', () => {
  const waiting = (extra: Partial<Deployment> = {}) => deployment('1.2.0-rc1', 'pending', {
    actor: 'ana', kind: 'promote', from_release_candidate_version: '1.1.0-rc1',
    approval: { required: 2, approvals: [{ actor: 'bob', at: '2026-11-23T08:01:00.000Z', comment: null }], rejection: null, expires_at: '2026-11-24T08:00:00.000Z' },
    ...extra,
  });
  const reason = (p: { available: boolean; reason?: string }) => (p.available ? 'available' : p.reason ?? '');

  it('offers approve and reject of the deployment awaiting approval, with its summary', () => {
    const active = waiting();
    const p = plan({ current: deployment('1.1.0-rc1', 'success'), active }, { caller: { name: 'carol', role: 'deployer' } });
    assert.deepEqual(p.approve, { available: true, deploymentId: active.id, candidate: '1.2.0-rc1', deployment: active, summary: 'awaiting 1 of 2 approvals · requested by ana' });
    assert.equal(p.reject.available && p.reject.withdraw, false);
    assert.equal(actionTitle('reject', p), 'Reject');
    assert.deepEqual(availableActions(p).filter((a) => a === 'approve' || a === 'reject'), ['approve', 'reject']);
    const behind = plan({ current: deployment('1.0.0-rc1', 'success'), active });
    assert.equal(reason(behind.promote), '1.2.0-rc1 is waiting for approval here (awaiting 1 of 2 approvals · requested by ana).', 'not "already active (pending)"');
  });

  it('refuses the request\'s own actor an approval and titles their reject Withdraw', () => {
    const p = plan({ active: waiting() }, { caller: { name: 'ana', role: 'deployer' } });
    assert.match(reason(p.approve), /Nobody approves their own change: deployment \d+ was requested by ana\.$/);
    assert.equal(p.reject.available && p.reject.withdraw, true);
    assert.equal(actionTitle('reject', p), 'Withdraw');
  });

  it('says core/approvals\' reasons: a second approval, a viewer, a protected environment', () => {
    assert.match(reason(plan({ active: waiting() }, { caller: { name: 'bob', role: 'deployer' } }).approve), /bob has already approved/);
    assert.match(reason(plan({ active: waiting() }, { caller: { name: 'carol', role: 'viewer' } }).approve), /Only a deployer or an admin/);
    const guarded = plan({ active: waiting(), protected: true }, { caller: { name: 'carol', role: 'deployer' } });
    assert.match(reason(guarded.approve), /protected: only an admin may approve/);
    assert.equal(plan({ active: waiting(), protected: true }, { caller: { name: 'carol', role: 'admin' } }).approve.available, true);
    assert.equal(guarded.reject.available, false, 'a deployer may not reject in a protected environment');
    assert.equal(plan({ active: waiting(), protected: true }, { caller: { name: 'ana', role: 'deployer' } }).reject.available, true, 'but may withdraw their own request');
    assert.equal(plan({ active: waiting() }).approve.available, true, 'an unknown caller leaves the decision to the server');
  });

  it('has nothing to approve without a deployment awaiting approval, and says the backend\'s reason when it has no approvals', () => {
    assert.match(reason(plan({}).approve), /No deployment is waiting for approval/);
    assert.match(reason(plan({ active: deployment('1.2.0-rc1', 'in_progress') }).reject), /No deployment is waiting for approval/);
    const rejected = waiting({ approval: { required: 1, approvals: [], rejection: { actor: 'bob', at: '2026-11-23T08:02:00.000Z', comment: null }, expires_at: '2026-11-24T08:00:00.000Z' } });
    assert.equal(plan({ active: rejected }).approve.available, false, 'a rejected request is not awaiting');
    const aviator = { ...AVIATOR, reasons: AVIATOR_UNSUPPORTED };
    assert.equal(reason(plan({ active: waiting() }, { capabilities: aviator }).approve), AVIATOR_UNSUPPORTED.approvals);
    assert.equal(reason(plan({ current: deployment('1.1.0-rc1', 'success') }, { capabilities: aviator }).block), AVIATOR_UNSUPPORTED.block);
    assert.match(reason(plan({ active: waiting() }, { capabilities: AVIATOR }).approve), /does not ask for approvals/);
    assert.match(reason(plan({ current: deployment('1.1.0-rc1', 'success') }, { capabilities: AVIATOR }).unblock), /cannot block release candidates/);
  });

  it('plans the Approvals view\'s rows by deployment, outside any environment plan', () => {
    const d = waiting();
    const rows = approvalPlans(d, { protected: false }, FLIGHTDECK, { name: 'carol', role: 'deployer' });
    assert.equal(rows.approve.available, true);
    assert.equal(approvalPlans(d, { protected: false }, FLIGHTDECK, { name: 'ana', role: 'deployer' }).approve.available, false);
    assert.equal(approvalPlans(null, { protected: false }, FLIGHTDECK).reject.available, false);
  });

  it('blocks the candidate live in the environment, unblocks it once blocked, and refuses to promote a blocked one', () => {
    const block = { actor: 'ana', at: '2026-11-23T08:00:00.000Z', reason: 'breaks EU cards' };
    const live = plan({ current: deployment('1.1.0-rc1', 'success') });
    assert.deepEqual(live.block, { available: true, candidate: '1.1.0-rc1' });
    assert.match(reason(live.unblock), /1\.1\.0-rc1 is not blocked/);
    const blocked = plan({ current: deployment('1.1.0-rc1', 'success', { candidate_blocked: block }) });
    assert.equal(reason(blocked.block), 'Release candidate 1.1.0-rc1 is blocked: breaks EU cards.');
    assert.deepEqual(blocked.unblock, { available: true, candidate: '1.1.0-rc1', block });
    assert.match(reason(plan({}).block), /Nothing is live in canary to block/);
    const fromBlocked = plan({}, { source: { name: 'dogfood', current: { candidate: '1.1.0-rc1', commit: 'b'.repeat(40), blocked: block } } });
    assert.equal(reason(fromBlocked.promote), 'Release candidate 1.1.0-rc1 is blocked: breaks EU cards');
    assert.deepEqual(candidatePlans({ candidate: '2.0.0-rc1', blocked: null }, FLIGHTDECK).block, { available: true, candidate: '2.0.0-rc1' });
    const project = { name: 'payments', environments: [environment('dogfood', 0, { current: deployment('1.1.0-rc1', 'success', { candidate_blocked: block }) }), environment('canary', 1)] };
    assert.match(reason(planInProject(project, project.environments[1]!, { capabilities: FLIGHTDECK, role: 'unknown' }).promote), /is blocked: breaks EU cards/, 'the ladder\'s source carries its block');
  });
});

describe('shared preconditions and statuses', () => {
  it('states an expected_current mismatch in one sentence, and accepts a match or no expectation', () => {
    assert.equal(expectedCurrentConflict('1.0.0-rc1', '1.1.0-rc1'), 'The environment runs 1.1.0-rc1, not 1.0.0-rc1');
    assert.equal(expectedCurrentConflict(null, '1.1.0-rc1'), 'The environment runs 1.1.0-rc1, not nothing');
    assert.equal(expectedCurrentConflict('1.0.0-rc1', null), 'The environment runs nothing, not 1.0.0-rc1');
    assert.equal(expectedCurrentConflict(undefined, '1.1.0-rc1'), undefined);
    assert.equal(expectedCurrentConflict(null, null), undefined);
  });

  it('knows which statuses are final and which kinds are rollbacks', () => {
    assert.deepEqual(['pending', 'in_progress', 'success', 'failure', 'canceling', 'canceled', 'error', 'unknown']
      .filter((status) => isTerminal({ status: status as Deployment['status'] })), ['success', 'failure', 'canceled', 'error']);
    assert.equal(isRollbackKind({ kind: 'auto_rollback' }), true);
    assert.equal(isRollbackKind({ kind: 'promote' }), false);
  });
});
