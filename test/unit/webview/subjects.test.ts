// The stage panel's text helpers, above all the pull request numbers parsed from commit subjects.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAge, formatDuration, humanize, shortSha } from '../../../src/core/format';
import { pullRequestOf, splitSubject } from '../../../webview/subjects';

describe('pullRequestOf', () => {
  it('reads squash-merge subjects and merge commits', () => {
    assert.equal(pullRequestOf('Charge cards through the gateway (#123)'), 123);
    assert.equal(pullRequestOf('Merge pull request #45 from acme/retry-charges'), 45);
    assert.equal(pullRequestOf('Fix (#7)  '), 7);
  });

  it('finds nothing where there is no PR reference at the end or in a merge line', () => {
    assert.equal(pullRequestOf('Fix issue #12 in the parser'), undefined);
    assert.equal(pullRequestOf('Revert "Add retries (#3)" for now'), undefined);
    assert.equal(pullRequestOf('Initial commit'), undefined);
    assert.equal(pullRequestOf('Bump (#0)'), undefined);
  });
});

describe('splitSubject', () => {
  it('splits around the PR number so it can be a link', () => {
    assert.deepEqual(splitSubject('Charge cards (#123)'), { before: 'Charge cards (', pr: 123, after: ')' });
    assert.deepEqual(splitSubject('Merge pull request #45 from acme/retry'), { before: 'Merge pull request ', pr: 45, after: ' from acme/retry' });
    assert.equal(splitSubject('No reference here'), undefined);
  });
});

describe('formatting', () => {
  const now = Date.parse('2026-11-23T10:00:00.000Z');
  it('matches src/core/format wording', () => {
    assert.equal(formatAge('2026-11-23T09:59:58.000Z', now), 'just now');
    assert.equal(formatAge('2026-11-23T09:59:18.000Z', now), '42s ago');
    assert.equal(formatAge('2026-11-23T07:00:00.000Z', now), '3h ago');
    assert.equal(formatAge('not a date', now), '');
    assert.equal(formatDuration(245), '4 min 05 s');
    assert.equal(formatDuration(3720), '1 h 02 min');
    assert.equal(shortSha('abcdef0123456789'), 'abcdef0');
    assert.equal(humanize('auto_rollback'), 'auto rollback');
  });
});
