// The stage panel's text helpers, above all the pull request numbers parsed from commit subjects.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAge, formatDuration, humanize, shortSha } from '../../../src/core/format';
import { splitSubject } from '../../../webview/subjects';

describe('splitSubject', () => {
  it('splits around the PR number so it can be a link', () => {
    assert.deepEqual(splitSubject('Charge cards (#123)'), { before: 'Charge cards (', pr: 123, after: ')' });
    assert.deepEqual(splitSubject('Merge pull request #45 from acme/retry'), { before: 'Merge pull request ', pr: 45, after: ' from acme/retry' });
    assert.equal(splitSubject('No reference here'), undefined);
    assert.equal(splitSubject('Fix (#7)  ')?.pr, 7);
  });

  it('finds nothing where there is no PR reference at the end or in a merge line', () => {
    assert.equal(splitSubject('Fix issue #12 in the parser'), undefined);
    assert.equal(splitSubject('Revert "Add retries (#3)" for now'), undefined);
    assert.equal(splitSubject('Initial commit'), undefined);
    assert.equal(splitSubject('Bump (#0)'), undefined);
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
