import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, Environment, Project } from '../../../src/api/schemas';
import { formatProject } from '../../../src/cli/remote';
import * as contract from '../../shared/contractFixtures';

function deployment(rc: string, id: string): Deployment {
  return contract.deployment({
    id, environment_name: 'x', release_candidate_version: rc, commit: id.padStart(40, 'a'),
    deploy_end_at: '2026-11-23T08:01:00.000Z', updated_at: '2026-11-23T08:01:00.000Z',
  });
}
function environment(name: string, position: number, extra: Partial<Environment> = {}): Environment {
  return contract.environment({ name, position, ...extra });
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
