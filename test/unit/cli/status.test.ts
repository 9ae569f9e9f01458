import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, Environment, Project } from '../../../src/api/schemas';
import { formatProject } from '../../../src/cli/remote';

function deployment(rc: string, id: string): Deployment {
  return {
    id, project: 'payments', environment_name: 'x', release_version: rc.split('-rc')[0] ?? rc, release_candidate_version: rc,
    commit: id.padStart(40, 'a'), from_release_version: null, from_release_candidate_version: null, status: 'success', kind: 'deploy',
    actor: 'ci', deploy_start_at: '2026-11-23T08:00:00.000Z', deploy_end_at: '2026-11-23T08:01:00.000Z', updated_at: '2026-11-23T08:01:00.000Z',
    error_message: null, rollout: null, approval: null, candidate_blocked: null,
  };
}
function environment(name: string, position: number, extra: Partial<Environment> = {}): Environment {
  return {
    name, position, tier: 'production', strategy: 'standard', protected: false, frozen: false, steps: null,
    auto_promote: null, health_check: null, deploy: { type: 'none', command: null, url: null }, required_approvals: 0, current: null, active: null, ...extra,
  };
}

describe('flightdeck status', () => {
  it('says, per rung, what the action plan allows there now', () => {
    const project = {
      name: 'payments', repo: 'acme/payments', description: null,
      environments: [
        environment('dogfood', 0, { current: deployment('1.1.0-rc1', '2') }),
        environment('canary', 1, { current: deployment('1.0.0-rc1', '1'), frozen: true }),
        environment('production', 2),
      ],
    } as unknown as Project;
    const lines = formatProject(project, Date.parse('2026-11-23T09:00:00.000Z'), { promote: true, pauseResumeAbort: true, freeze: true }).split('\n');
    assert.match(lines[1] ?? '', /^ {2}dogfood .* can: rollback$/);
    assert.match(lines[2] ?? '', /canary .* frozen .* can: rollback --force$/, 'a frozen rung is not promoted into, and its rollback is forced');
    assert.match(lines[3] ?? '', /production .*can: promote 1\.0\.0-rc1 from canary$/);
  });
});
