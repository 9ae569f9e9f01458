// Endpoints 1 (create a candidate, Aviator-compatible) and 9 (list releases).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { z } from 'zod';
import { Release } from '../../../../src/api/schemas';
import type { TestServer } from '../../helpers/server';
import { assertError, commitFor, createProject } from './fixtures';

export function releaseContract(server: () => TestServer): void {
  void it('1: creates the release and its candidate (201), commit stored lower-case', async () => {
    const project = await createProject(server(), { candidates: 0 });
    const commit = 'ABCDEF'.padEnd(40, 'A');
    const response = await server().request('POST', `/api/releases/${project}/releases/2.1.0-rc1`, { commit, repo: 'acme/payments', trigger_build_workflow: false });
    assert.equal(response.status, 201);
    const release = Release.parse(response.body);
    assert.equal(release.project, project);
    assert.equal(release.release_version, '2.1.0');
    assert.deepEqual(release.candidates.map((c) => [c.release_candidate_version, c.commit, c.build_status]), [['2.1.0-rc1', commit.toLowerCase(), 'ready']]);
  });

  void it('1: the same candidate with the same commit is idempotent (200); another commit is 409', async () => {
    const project = await createProject(server(), { candidates: 1 });
    const again = await server().request('POST', `/api/releases/${project}/releases/1.0.0-rc1`, { commit: commitFor(1).toUpperCase() });
    assert.equal(again.status, 200);
    assert.equal(Release.parse(again.body).candidates.length, 1);
    assertError(await server().request('POST', `/api/releases/${project}/releases/1.0.0-rc1`, { commit: commitFor(9) }), 409);
  });

  void it('1: a second candidate joins its release, newest first; SHA-256 commits are accepted', async () => {
    const project = await createProject(server(), { candidates: 1 });
    const sha256 = 'e'.repeat(64);
    const response = await server().request('POST', `/api/releases/${project}/releases/1.0.0-rc2`, { commit: sha256 });
    assert.equal(response.status, 201);
    const release = Release.parse(response.body);
    assert.deepEqual(release.candidates.map((c) => c.release_candidate_version), ['1.0.0-rc2', '1.0.0-rc1']);
    assert.equal(release.candidates[0]?.commit, sha256);
  });

  void it('1: rejects bad versions, bad commits, unknown projects and missing bodies', async () => {
    const project = await createProject(server(), { candidates: 0 });
    for (const version of ['1.0.0', '1.0.0-rc0', '1.0.0-rc', '-rc1', '1.0.0-RC1', '1.0.0-rc1x', `${'9'.repeat(101)}-rc1`]) {
      assertError(await server().request('POST', `/api/releases/${project}/releases/${encodeURIComponent(version)}`, { commit: commitFor(1) }),
        400, 'Invalid release candidate version');
    }
    for (const commit of ['abc', 'g'.repeat(40), 'a'.repeat(41), 'a'.repeat(63), '', 42]) {
      assertError(await server().request('POST', `/api/releases/${project}/releases/1.0.0-rc1`, { commit }), 400, typeof commit === 'string' ? 'Invalid commit hash' : undefined);
    }
    assertError(await server().request('POST', `/api/releases/${project}/releases/1.0.0-rc1`), 400);
    assertError(await server().request('POST', '/api/releases/no-such-project/releases/1.0.0-rc1', { commit: commitFor(1) }), 404, 'Release project not found');
  });

  void it('9: lists releases newest first, with their candidates, paged', async () => {
    const project = await createProject(server(), { candidates: 2 });
    for (const version of ['1.1.0-rc1', '1.2.0-rc1', '1.2.0-rc2']) {
      assert.equal((await server().request('POST', `/api/releases/${project}/releases/${version}`, { commit: commitFor(7) })).status, 201);
    }
    const all = await server().request('GET', `/api/releases/${project}/releases`);
    assert.equal(all.status, 200);
    const releases = z.array(Release).parse(all.body);
    assert.deepEqual(releases.map((r) => r.release_version), ['1.2.0', '1.1.0', '1.0.0']);
    assert.deepEqual(releases[0]?.candidates.map((c) => c.release_candidate_version), ['1.2.0-rc2', '1.2.0-rc1']);
    const page2 = z.array(Release).parse((await server().request('GET', `/api/releases/${project}/releases?page=2&per_page=2`)).body);
    assert.deepEqual(page2.map((r) => r.release_version), ['1.0.0']);
    assert.deepEqual((await server().request('GET', `/api/releases/${project}/releases?page=9`)).body, []);
    assertError(await server().request('GET', `/api/releases/${project}/releases?per_page=101`), 400);
    assertError(await server().request('GET', '/api/releases/nobody/releases'), 404, 'Release project not found');
  });
}
