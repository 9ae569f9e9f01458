import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, Environment, Project } from '../../../src/api/schemas';
import { actionPlan, actionTitle, availableActions, planInProject, type ActionCapabilities, type PlanInput } from '../../../src/core/actionPlan';
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

const FLIGHTDECK: ActionCapabilities = { promote: true, pauseResumeAbort: true, freeze: true };
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
