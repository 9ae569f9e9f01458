// The shared contract fixtures (test/shared/contractFixtures.ts) are what the server would send: each
// factory's output parses with its schema and comes back unchanged, so no test passes on data the
// contract forbids, and a field the schema gains without a fixture default fails here first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deployment, Environment, EnvironmentSpec, Project } from '../../../src/api/schemas';
import { deployment, environment, environmentSpec, project, releaseOf } from '../../shared/contractFixtures';

describe('contract fixtures', () => {
  it('make a Deployment the schema accepts unchanged, with or without a rollout', () => {
    const plain = deployment();
    assert.deepEqual(Deployment.parse(plain), plain);
    const rolling = deployment({
      release_candidate_version: '2.3.0-rc4', status: 'in_progress', kind: 'promote',
      rollout: { step: 0, percent: 10, paused: false, steps: [{ percent: 10, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }] },
    });
    assert.deepEqual(Deployment.parse(rolling), rolling);
    assert.equal(rolling.release_version, '2.3.0', 'the release follows the candidate');
    assert.equal(releaseOf('1.4.0-rc12'), '1.4.0');
  });

  it('make an environment spec, an Environment and a Project the schemas accept unchanged', () => {
    const spec = environmentSpec({ name: 'rollout', strategy: 'rollout', steps: [{ percent: 50, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }] });
    assert.deepEqual(EnvironmentSpec.parse(spec), spec);
    const canary = environment({ position: 1, current: deployment(), active: deployment({ id: '2', status: 'in_progress' }) });
    assert.deepEqual(Environment.parse(canary), canary);
    const payments = project({ environments: [environment({ name: 'dogfood' }), canary] });
    assert.deepEqual(Project.parse(payments), payments);
    assert.equal(project({ name: 'billing' }).repo, 'acme/billing');
  });
});
