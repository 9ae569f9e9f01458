// The pure halves of the commit hover and the commit watches (no vscode): SHA detection, the compact
// annotation, markdown escaping, and what one look at the deployments says about a watched commit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProjectPresence } from '../../../src/core/containment';
import { escapeMarkdown } from '../../../src/core/markdown';
import { HOVER_COMMANDS, annotationText, commitHoverMarkdown, compactRows, findShaAt, missingCommitMarkdown, type CommitStanding } from '../../../src/extension/hover/present';
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
  const row = (environment: string, state: CommitStanding['state'], extra: Partial<CommitStanding> = {}): CommitStanding => ({
    environment, state, candidate: '1.0.0-rc1', commit: sha, since: null, incoming: null, ...extra,
  });
  it('names the highest rung that runs the commit and the top rung', () => {
    const rows = [row('dogfood', 'live'), row('canary', 'live'), row('rollout', 'not_yet'), row('production', 'not_yet')];
    assert.deepEqual(compactRows(rows), ['✓ canary', '✗ production']);
    assert.equal(annotationText(sha, [{ project: 'payments', rows, target: 'production' }]), `${sha.slice(0, 7)}  ✓ canary · ✗ production`);
  });
  it('shows a rollout on its way with its percent, and says when it is live nowhere', () => {
    const rolling = [row('canary', 'live'), row('rollout', 'rolling', { incoming: { candidate: '1.1.0-rc1', percent: 10, paused: false } }), row('production', 'not_yet')];
    assert.match(compactRows(rolling).join(' · '), /rollout.*10%/);
    assert.deepEqual(compactRows([row('canary', 'not_yet'), row('production', 'not_yet')]), ['✗ not live anywhere yet']);
    assert.equal(annotationText(sha, [{ project: 'p', rows: [row('canary', 'empty')], target: undefined }]), undefined);
  });
});

describe('hover markdown from a rogue server', () => {
  // What a server could call a project, an environment or a commit: it tries to end a link title and
  // start a link of its own, to Sign In with its token.
  const forged = 'x"\n\n[pwn](command:flightdeck.signIn?%22fd_attacker%22 "t")';
  const allowed: readonly string[] = HOVER_COMMANDS;

  /** Every command link target in the markdown (escaped text holds `command\:`, which is none). */
  function commandLinks(md: string): { command: string; args: unknown }[] {
    return [...md.matchAll(/command:([A-Za-z0-9_.-]+)\?([^\s)]*)/g)].map((m) => ({ command: m[1]!, args: JSON.parse(decodeURIComponent(m[2]!)) as unknown }));
  }
  function assertOnlyOwnLinks(md: string, expected: number): void {
    const links = commandLinks(md);
    assert.equal(links.length, expected, md);
    for (const { command, args } of links) {
      assert.ok(allowed.includes(command), command);
      assert.ok(typeof args === 'object' && args !== null, `${command} gets the object the hover built, not ${JSON.stringify(args)}`);
      const { sha: linkSha } = args as { sha?: unknown };
      if (linkSha !== undefined) assert.match(String(linkSha), /^[0-9a-f]{7,64}$/);
    }
  }

  it('links only to its own commands whatever the project and environment are called', () => {
    const rows: CommitStanding[] = [
      { environment: forged, state: 'live', candidate: forged, commit: sha, since: null, incoming: null },
      { environment: 'production', state: 'not_yet', candidate: '1.0.0-rc1', commit: sha, since: null, incoming: null },
    ];
    const md = commitHoverMarkdown({ kind: 'sha', sha }, { subject: forged, authorName: forged, authorDate: new Date().toISOString() } as never,
      { kind: 'ready', projects: [{ project: forged, rows, target: 'production' }], shallow: false, staleSince: undefined });
    assert.ok(md);
    // a link per environment, Open Stage, Watch Until Production, Copy SHA
    assertOnlyOwnLinks(md, 5);
    assert.doesNotMatch(md, /^#/m);
  });

  it('shows a blocked candidate\'s reason inert beside it, with an Unblock link to its own command', () => {
    const rows: CommitStanding[] = [
      { environment: 'canary', state: 'live', candidate: '1.4.0-rc2', commit: sha, since: null, incoming: null, blocked: { actor: 'ana', at: new Date().toISOString(), reason: forged } },
      { environment: 'production', state: 'not_yet', candidate: '1.0.0-rc1', commit: sha, since: null, incoming: null },
    ];
    const md = commitHoverMarkdown({ kind: 'sha', sha }, undefined,
      { kind: 'ready', projects: [{ project: 'payments', rows, target: 'production' }], shallow: false, staleSince: undefined });
    assert.ok(md);
    assert.match(md, /rc2 · \$\(circle-slash\) blocked: x/);
    // two environment links, Unblock, Open Stage, Watch Until Production, Copy SHA
    assertOnlyOwnLinks(md, 6);
    const unblock = commandLinks(md).find((l) => l.command === 'flightdeck.unblockCandidate');
    assert.deepEqual(unblock?.args, { project: 'payments', candidate: '1.4.0-rc2' });
  });

  it('puts only a commit id into the links of a deployed commit missing here', () => {
    const md = missingCommitMarkdown({
      token: sha.slice(0, 7),
      deployedIn: [{ project: forged, environment: forged, candidate: forged, commit: `${sha.slice(0, 7)}${forged}`, active: false }],
    });
    assert.ok(md);
    assertOnlyOwnLinks(md, 2);
    assert.match(md, new RegExp(`"sha":"${sha.slice(0, 7)}"`.replace(/[":]/g, (c) => encodeURIComponent(c))));
  });

  it('shows git\'s text and the server\'s names inert', () => {
    const md = commitHoverMarkdown({ kind: 'sha', sha }, undefined, { kind: 'failed', message: '# boom [x](command:flightdeck.signIn?%22t%22)' });
    assert.ok(md);
    assert.match(md, new RegExp(escapeMarkdown('# boom [x](command:flightdeck.signIn?%22t%22)').replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')));
    assertOnlyOwnLinks(md, 1);
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
    assert.deepEqual(rolledBack.events, [{ kind: 'left', environment: 'canary', candidate: '1.0.0-rc1', rollback: true }]);
    const unknown = stepWatch(live, presence({ canary: 'unknown', production: 'unknown' }), project('promote'));
    assert.equal(unknown.events.length, 0);
    assert.equal(unknown.changed, false);
  });
  it('drops stored watches that do not parse', () => {
    assert.deepEqual(parseWatches([watch, { id: 'x' }, 'junk']).map((w) => w.id), ['w1']);
    assert.deepEqual(parseWatches(undefined), []);
  });
});
