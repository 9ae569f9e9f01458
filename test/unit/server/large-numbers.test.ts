// Every value the contract accepts stores and reads back, and every number it cannot take is a 400 with
// a sentence, never a 500: candidate numbers beyond 2^31 (the column was an integer), huge ids, pages
// and event ids. On PGlite and on PostgreSQL (the column type is the store's).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Deployment, Release } from '../../../src/api/schemas';
import { postgresSkipReason, startTestServer, type Backend, type TestServer } from '../helpers/server';
import { assertError, commitFor, createProject, deploymentsPath } from './contract/fixtures';

function defineSuite(backend: Backend): void {
  void describe(`large numbers on ${backend}`, async () => {
    const skip = backend === 'postgres' ? await postgresSkipReason() : undefined;
    if (skip) {
      void it.skip(`PostgreSQL: ${skip}`);
      return;
    }
    let server: TestServer;
    before(async () => { server = await startTestServer({ backend }); });
    after(async () => { await server.close(); });

    void it('11: candidate numbers of any size store, read back and deploy', async () => {
      const project = await createProject(server, { candidates: 0 });
      const versions = ['1.0.0-rc2147483647', '1.0.0-rc2147483648', '1.0.0-rc9007199254740993', `1.0.0-rc${'9'.repeat(300)}`];
      for (const [index, version] of versions.entries()) {
        const created = await server.request('POST', `/api/releases/${project}/releases/${version}`, { commit: commitFor(index + 1) });
        assert.equal(created.status, 201, `${version.length} characters: ${JSON.stringify(created.body)}`);
        const again = await server.request('POST', `/api/releases/${project}/releases/${version}`, { commit: commitFor(index + 1) });
        assert.equal(again.status, 200, 'the same candidate again is idempotent');
      }
      const releases = (await server.request<unknown[]>('GET', `/api/releases/${project}/releases`)).body.map((r) => Release.parse(r));
      assert.deepEqual(releases.flatMap((r) => r.candidates.map((c) => c.release_candidate_version)).sort(), [...versions].sort());
      const reported = await server.request('PATCH', deploymentsPath(project, 'canary'), { release_candidate_version: versions[3], status: 'success' });
      assert.equal(reported.status, 200, JSON.stringify(reported.body));
      assert.equal(Deployment.parse(reported.body).release_candidate_version, versions[3]);
    });

    void it('11: numbers the contract cannot take are 400s with a sentence', async () => {
      const project = await createProject(server, { candidates: 0 });
      for (const path of [
        `/api/releases/${project}/deployments/99999999999999999999`,
        `/api/releases/${project}/releases?page=99999999999999999999`,
        `/api/releases/${project}/releases?per_page=1000`,
        '/api/events?since=99999999999999999999',
      ]) {
        const response = await server.request('GET', path);
        assertError(response, 400);
        assert.match((response.body as { error: string }).error, /^[A-Z].+/, path);
      }
      assertError(await server.request('POST', `/api/releases/${project}/releases/1.0.0-rc0`, { commit: commitFor(1) }), 400, 'Invalid release candidate version');
    });
  });
}

defineSuite('pglite');
defineSuite('postgres');
