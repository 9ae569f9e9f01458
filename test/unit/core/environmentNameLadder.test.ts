import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderByNameLadder, strategyForEnvironmentName, tierForEnvironmentName } from '../../../src/core/environmentNameLadder';

describe('environment name ladder (API.md "Other backends")', () => {
  it('orders known names by the documented ladder', () => {
    assert.deepEqual(
      orderByNameLadder(['prod', 'production', 'preprod', 'rollout', 'canary', 'staging', 'qa', 'test', 'development', 'dev', 'dogfood']),
      ['dogfood', 'dev', 'development', 'test', 'qa', 'staging', 'canary', 'rollout', 'preprod', 'production', 'prod'],
    );
  });
  it('puts unknown names before production, alphabetically, ignoring case', () => {
    assert.deepEqual(orderByNameLadder(['production', 'Zulu', 'alpha', 'staging', 'beta', 'prod']), ['staging', 'alpha', 'beta', 'Zulu', 'production', 'prod']);
    assert.deepEqual(orderByNameLadder(['Production', 'QA', 'uat']), ['QA', 'uat', 'Production']);
    assert.deepEqual(orderByNameLadder([]), []);
  });
  it('suggests a tier and strategy from a name', () => {
    assert.equal(tierForEnvironmentName('Production'), 'production');
    assert.equal(tierForEnvironmentName('staging'), 'staging');
    assert.equal(tierForEnvironmentName('review-42'), 'development');
    assert.equal(strategyForEnvironmentName('canary'), 'canary');
    assert.equal(strategyForEnvironmentName('rollout'), 'standard', 'a rollout needs steps GitHub does not have');
  });
});
