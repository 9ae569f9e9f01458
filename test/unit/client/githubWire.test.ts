// The GitHub mapping's pure parts (client/githubWire), as API.md "Other backends" states them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candidateOf, mapGitHubState, nextLink, parsePendingDeploymentId, pendingDeploymentId, releasesFromDeployments, type GitHubDeployment } from '../../../src/client/githubWire';

const sha = 'a'.repeat(40);
const deployment = (id: number, ref: string, at: string): GitHubDeployment => ({
  id, sha: id === 3 ? 'b'.repeat(40) : sha, ref, environment: 'production', creator: { login: 'ana' }, created_at: at, updated_at: at,
});

describe('GitHub mapping', () => {
  it('maps every GitHub state', () => {
    assert.deepEqual(['success', 'inactive', 'failure', 'error', 'queued', 'pending', 'waiting', 'in_progress'].map(mapGitHubState),
      ['success', 'success', 'failure', 'error', 'pending', 'pending', 'pending', 'in_progress']);
    assert.equal(mapGitHubState(undefined), 'pending', 'no status yet');
    assert.equal(mapGitHubState('exploded'), 'unknown');
  });
  it('names a candidate by the ref, or the sha\'s first 7 when the ref is the sha', () => {
    assert.equal(candidateOf('v1.2.0-rc1', sha), 'v1.2.0-rc1');
    assert.equal(candidateOf(sha, sha), 'aaaaaaa');
    assert.equal(candidateOf('AAAAAAAA', sha), 'aaaaaaa');
    assert.equal(candidateOf('main', sha), 'main');
  });
  it('follows Link rel="next" and round-trips pending ids', () => {
    assert.equal(nextLink('<https://x/p?page=1>; rel="prev", <https://x/p?page=3>; rel="next", <https://x/p?page=9>; rel="last"'), 'https://x/p?page=3');
    assert.equal(nextLink('<https://x/p?page=1>; rel="prev"'), undefined);
    assert.deepEqual(parsePendingDeploymentId(pendingDeploymentId(12, 34)), { runId: 12, environmentId: 34 });
    assert.equal(parsePendingDeploymentId('123'), undefined);
  });
  it('derives releases newest first, each candidate dated by its first deployment', () => {
    const releases = releasesFromDeployments('acme/shop', [
      deployment(4, 'v2.0.0-rc2', '2026-01-04T00:00:00Z'),
      deployment(3, 'v2.0.0-rc1', '2026-01-03T00:00:00Z'),
      deployment(2, 'v1.0.0-rc1', '2026-01-02T00:00:00Z'),
      deployment(1, 'v1.0.0-rc1', '2026-01-01T00:00:00Z'),
    ]);
    assert.deepEqual(releases.map((r) => [r.release_version, r.created_at, r.candidates.map((c) => c.release_candidate_version)]), [
      ['v2.0.0', '2026-01-03T00:00:00.000Z', ['v2.0.0-rc2', 'v2.0.0-rc1']],
      ['v1.0.0', '2026-01-01T00:00:00.000Z', ['v1.0.0-rc1']],
    ]);
    assert.equal(releases[0]?.candidates[1]?.commit, 'b'.repeat(40));
  });
});
