// The GitHub emulator's own check: an answer GitHub's OpenAPI description rejects is a violation, so a
// drift of the emulator from GitHub fails the tests that use it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contractViolations } from '../../shared/githubEmulator/openapi';

describe('GitHub emulator: answers checked against GitHub\'s OpenAPI description', () => {
  it('rejects what GitHub would never send, accepts what it would', () => {
    const template = '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses';
    const status = {
      url: 'https://api.github.com/x', id: 1, node_id: 'n', state: 'success', description: '', environment: 'production',
      target_url: 'https://github.com/x', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
      deployment_url: 'https://api.github.com/d', repository_url: 'https://api.github.com/r',
      creator: null,
    };
    assert.deepEqual(contractViolations('GET', template, 200, [status]), []);
    assert.match(contractViolations('GET', template, 200, [{ ...status, state: 'waiting' }]).join('\n'), /state must be equal to one of the allowed values/);
    const { id: _id, ...withoutId } = status;
    assert.match(contractViolations('GET', template, 200, [withoutId]).join('\n'), /must have required property 'id'/);
    assert.deepEqual(contractViolations('GET', template, 304, undefined), [], 'a conditional GET may be an empty 304');
    assert.match(contractViolations('GET', '/repos/{owner}/{repo}/nothing', 200, {}).join('\n'), /has no operation GET/);
    assert.deepEqual(contractViolations('GET', template, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com' }), []);
  });
});
