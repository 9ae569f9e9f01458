import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authProviderFor, environmentToken } from '../../../src/extension/github/tokenSource';

describe('the GitHub token', () => {
  it('comes from VS Code\'s github.com sign-in only for github.com, and from its Enterprise sign-in only for that server', () => {
    assert.equal(authProviderFor('https://api.github.com'), 'github');
    assert.equal(authProviderFor('https://api.github.com', 'https://ghe.acme.internal'), 'github');
    assert.equal(authProviderFor('https://ghe.acme.internal/api/v3', 'https://ghe.acme.internal'), 'github-enterprise');
    assert.equal(authProviderFor('https://ghe.acme.internal/api/v3', 'https://ghe.other.internal'), undefined, 'another server\'s session stays with it');
    assert.equal(authProviderFor('https://ghe.acme.internal/api/v3'), undefined, 'no Enterprise sign-in configured');
    assert.equal(authProviderFor('http://127.0.0.1:4567/api/v3'), undefined, 'a github.com session never goes to another host');
  });

  it('falls back to GITHUB_TOKEN, then GH_TOKEN (the GitHub CLI\'s)', () => {
    assert.equal(environmentToken({ GITHUB_TOKEN: 'ghp_a', GH_TOKEN: 'ghp_b' }), 'ghp_a');
    assert.equal(environmentToken({ GH_TOKEN: ' ghp_b ' }), 'ghp_b');
    assert.equal(environmentToken({ GITHUB_TOKEN: '  ', GH_TOKEN: 'ghp_b' }), 'ghp_b', 'a blank GITHUB_TOKEN is no token');
    assert.equal(environmentToken({}), undefined);
  });
});
