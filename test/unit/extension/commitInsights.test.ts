// The pure halves of the commit hover and the commit watches (no vscode): SHA detection, the compact
// annotation, markdown escaping, and what one look at the deployments says about a watched commit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProjectPresence } from '../../../src/core/containment';
import { annotationText, compactRows, escapeMarkdown, findShaAt, type EnvironmentRow } from '../../../src/extension/hover/present';
import { parseWatches, stepWatch, type CommitWatch } from '../../../src/extension/watch/evaluate';

const sha = '1a2b3c4d5e6f708192a3b4c5d6e7f80912345678';

describe('finding a SHA under the cursor', () => {
  it('finds 7–40 hex tokens with word boundaries, and after -g in git describe output', () => {
    const line = `fixed in ${sha.slice(0, 7)} (see ${sha})`;
    assert.equal(findShaAt(line, 10)?.text, sha.slice(0, 7));
    assert.equal(findShaAt(line, line.indexOf(sha) + 20)?.text, sha);
    assert.equal(findShaAt('v1.2.0-3-g1a2b3c4', 12)?.text, '1a2b3c4');
  });
  it('ignores short tokens, words that merely contain hex, and positions off the token', () => {
    assert.equal(findShaAt('abc1234', 2)?.text, 'abc1234');
    assert.equal(findShaAt('cafe12', 2), undefined, 'six characters');
    assert.equal(findShaAt('xcafe1234', 3), undefined, 'part of a longer word');
    assert.equal(findShaAt('deadbeef1 x', 10), undefined);
  });
});

describe('the current-line annotation', () => {
  const row = (environment: string, state: EnvironmentRow['state'], extra: Partial<EnvironmentRow> = {}): EnvironmentRow => ({
    environment, state, version: '1.0.0-rc1', commit: sha, since: null, incoming: null, ...extra,
  });
  it('names the highest rung that runs the commit and the top rung', () => {
    const rows = [row('dogfood', 'live'), row('canary', 'live'), row('rollout', 'not_yet'), row('production', 'not_yet')];
    assert.deepEqual(compactRows(rows), ['✓ canary', '✗ production']);
    assert.equal(annotationText(sha, [{ project: 'payments', rows, target: 'production' }]), `${sha.slice(0, 7)}  ✓ canary · ✗ production`);
  });
  it('shows a rollout on its way with its percent, and says when it is live nowhere', () => {
    const rolling = [row('canary', 'live'), row('rollout', 'rolling', { incoming: { version: '1.1.0-rc1', percent: 10, paused: false } }), row('production', 'not_yet')];
    assert.match(compactRows(rolling).join(' · '), /rollout.*10%/);
    assert.deepEqual(compactRows([row('canary', 'not_yet'), row('production', 'not_yet')]), ['✗ not live anywhere yet']);
    assert.equal(annotationText(sha, [{ project: 'p', rows: [row('canary', 'empty')], target: undefined }]), undefined);
  });
  it('escapes markdown in user text', () => {
    assert.equal(escapeMarkdown('[x](command:evil) *b*'), '\\[x\\]\\(command:evil\\) \\*b\\*');
  });
});

describe('commit watches', () => {
  const watch: CommitWatch = { id: 'w1', sha, subject: 'Fix', project: 'payments', environment: 'production', repoDir: null, createdAt: 0, liveIn: [] };
  const presence = (contains: Record<string, boolean | 'unknown'>): ProjectPresence => ({
    project: 'payments',
    environments: Object.entries(contains).map(([name, c], position) => ({ name, position, release_candidate_version: '1.0.0-rc1', commit: sha, contains: c, rollout: null })),
  });
  const project = (kind: 'promote' | 'rollback') => ({ environments: [{ name: 'canary', current: { kind } }] }) as never;

  it('is done when the commit is live in the watched environment', () => {
    const first = stepWatch(watch, presence({ canary: true, production: false }), project('promote'));
    assert.equal(first.done, false);
    assert.deepEqual(first.watch.liveIn, ['canary']);
    const second = stepWatch(first.watch, presence({ canary: true, production: true }), project('promote'));
    assert.equal(second.done, true);
    assert.deepEqual(second.events.map((e) => e.kind), ['live']);
  });
  it('reports a rollback past the commit, and never acts on unknown', () => {
    const live = { ...watch, liveIn: ['canary'] };
    const rolledBack = stepWatch(live, presence({ canary: false, production: false }), project('rollback'));
    assert.deepEqual(rolledBack.events, [{ kind: 'left', environment: 'canary', version: '1.0.0-rc1', rollback: true }]);
    const unknown = stepWatch(live, presence({ canary: 'unknown', production: 'unknown' }), project('promote'));
    assert.equal(unknown.events.length, 0);
    assert.equal(unknown.changed, false);
  });
  it('drops stored watches that do not parse', () => {
    assert.deepEqual(parseWatches([watch, { id: 'x' }, 'junk']).map((w) => w.id), ['w1']);
    assert.deepEqual(parseWatches(undefined), []);
  });
});
