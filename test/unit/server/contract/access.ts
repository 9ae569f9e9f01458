// Endpoints 16 (health, OpenAPI) and 17 (tokens), roles and protected environments, and the error
// conventions every endpoint shares (401, 403, 404, 413, 415, malformed JSON).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { z } from 'zod';
import { Caller, Deployment, Healthz, TokenCreated, TokenInfo } from '../../../../src/api/schemas';
import type { TestServer } from '../../helpers/server';
import { assertError, createProject, deploySuccessfully, deploymentsPath, uniqueName } from './fixtures';

export function accessContract(server: () => TestServer): void {
  void it('16: /healthz needs no token; /api/openapi.json is an OpenAPI 3.1 document of every endpoint', async () => {
    const health = await server().request('GET', '/healthz', undefined, { token: null });
    assert.equal(health.status, 200);
    assert.deepEqual(Healthz.parse(health.body), { ok: true, version: '0.0.0-test' });
    assertError(await server().request('GET', '/api/openapi.json', undefined, { token: null }), 401);
    const document = (await server().request('GET', '/api/openapi.json')).body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(document.openapi, '3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    for (const expected of [
      'POST /api/releases/{project}/releases/{version}', 'POST /api/releases/{project}/environments/{environment}/deployments',
      'PATCH /api/releases/{project}/environments/{environment}/deployments', 'GET /api/releases/{project}/environments/{environment}/deployments',
      'POST /api/releases/{project}/environments/{environment}/rollback', 'GET /api/releases', 'PUT /api/releases/{project}',
      'GET /api/releases/{project}', 'GET /api/releases/{project}/releases', 'POST /api/releases/{project}/environments/{environment}/promote',
      'PATCH /api/releases/{project}/environments/{environment}', 'GET /api/releases/{project}/deployments/{id}', 'GET /api/events',
      'GET /healthz', 'POST /api/tokens', 'GET /api/tokens', 'DELETE /api/tokens/{name}', 'GET /api/whoami',
      'POST /api/releases/{project}/deployments/{id}/approve', 'POST /api/releases/{project}/deployments/{id}/reject',
      'GET /api/approvals', 'POST /api/releases/{project}/releases/{version}/block', 'DELETE /api/releases/{project}/releases/{version}/block',
    ]) assert.ok(operations.includes(expected), `${expected} is documented`);
  });

  void it('17: tokens are created once, listed without secrets, unique, and revoked at once', async () => {
    const name = uniqueName('ci');
    const created = await server().request('POST', '/api/tokens', { name, role: 'deployer' });
    assert.equal(created.status, 201);
    const token = TokenCreated.parse(created.body);
    assert.equal(token.role, 'deployer');
    assert.ok(token.token.length >= 32);
    const listed = z.array(TokenInfo).parse((await server().request('GET', '/api/tokens')).body);
    assert.ok(listed.some((t) => t.name === name && t.role === 'deployer'));
    assert.ok(!JSON.stringify(listed).includes(token.token), 'the list never shows secrets');
    assertError(await server().request('POST', '/api/tokens', { name, role: 'viewer' }), 409);
    assertError(await server().request('POST', '/api/tokens', { name: 'x', role: 'root' }), 400);
    assertError(await server().request('POST', '/api/tokens', { name: ' leading space', role: 'viewer' }), 400, 'Invalid token name');

    assert.equal((await server().request('GET', '/api/releases', undefined, { token: token.token })).status, 200);
    const deleted = await server().fetch(`/api/tokens/${name}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal(await deleted.text(), '');
    assertError(await server().request('GET', '/api/releases', undefined, { token: token.token }), 401, 'Unknown token');
    assertError(await server().request('DELETE', `/api/tokens/${name}`), 404);
  });

  void it('whoami: any token learns its own name and role; an unknown one is 401', async () => {
    const name = uniqueName('who');
    const created = TokenCreated.parse((await server().request('POST', '/api/tokens', { role: 'viewer', name })).body);
    const asViewer = await server().request('GET', '/api/whoami', undefined, { token: created.token });
    assert.equal(asViewer.status, 200);
    assert.deepEqual(Caller.parse(asViewer.body), { name, role: 'viewer' });
    assert.equal(Caller.parse((await server().request('GET', '/api/whoami')).body).role, 'admin');
    assertError(await server().request('GET', '/api/whoami', undefined, { token: 'not-a-token' }), 401);
    assertError(await server().request('GET', '/api/whoami', undefined, { token: null }), 401);
  });

  void it('401 without a known token, 403 when the role is too low', async () => {
    const project = await createProject(server());
    assertError(await server().request('GET', '/api/releases', undefined, { token: null }), 401);
    assertError(await server().request('GET', '/api/releases', undefined, { token: 'nope' }), 401, 'Unknown token');
    assertError(await server().request('GET', '/api/releases', undefined, { token: null, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }), 401);
    assertError(await server().request('GET', '/api/no-such-route', undefined, { token: null }), 401);
    // Auth follows the route that matched, not the spelling of the URL.
    for (const disguised of ['/%61pi/releases', '/%61%70%69/tokens', '/api/releases/', `/%61pi/releases/${project}`]) {
      assertError(await server().request('GET', disguised, undefined, { token: null }), 401);
    }
    const viewerToken = await server().createToken('viewer');
    assertError(await server().request('GET', '/%61pi/tokens', undefined, { token: viewerToken }), 403);

    const viewer = await server().createToken('viewer');
    const deployer = await server().createToken('deployer');
    assert.equal((await server().request('GET', `/api/releases/${project}`, undefined, { token: viewer })).status, 200);
    assertError(await server().request('POST', deploymentsPath(project, 'dogfood'), { release_candidate_version: '1.0.0-rc1' }, { token: viewer }), 403);
    assertError(await server().request('PATCH', deploymentsPath(project, 'dogfood'), { release_candidate_version: '1.0.0-rc1', status: 'success' }, { token: viewer }), 403);
    assertError(await server().request('POST', `/api/releases/${project}/releases/3.0.0-rc1`, { commit: 'a'.repeat(40) }, { token: viewer }), 403);
    assertError(await server().request('PUT', `/api/releases/${project}`, { repo: 'x', environments: [] }, { token: deployer }), 403);
    assertError(await server().request('PATCH', `/api/releases/${project}/environments/dogfood`, { frozen: true }, { token: deployer }), 403);
    assertError(await server().request('GET', '/api/tokens', undefined, { token: deployer }), 403);
    assertError(await server().request('POST', '/api/tokens', { name: 'x', role: 'admin' }, { token: deployer }), 403);

    const deployed = await server().request('POST', deploymentsPath(project, 'dogfood'), { release_candidate_version: '1.0.0-rc1' }, { token: deployer });
    assert.equal(deployed.status, 201);
    assert.match(Deployment.parse(deployed.body).actor, /^deployer-/, "the actor is the token's name");
  });

  void it('a protected environment takes deploy, promote and rollback only from an admin', async () => {
    const project = await createProject(server());
    const deployer = await server().createToken('deployer');
    await deploySuccessfully(server(), project, 'canary', '1.0.0-rc1');
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc1');
    await deploySuccessfully(server(), project, 'production', '1.0.0-rc2');
    assert.equal((await server().request('PATCH', `/api/releases/${project}/environments/production`, { protected: true })).status, 200);
    const base = `/api/releases/${project}/environments/production`;
    assertError(await server().request('POST', `${base}/deployments`, { release_candidate_version: '1.0.0-rc3' }, { token: deployer }), 403, /protected/);
    assertError(await server().request('POST', `${base}/promote`, { from_environment: 'canary' }, { token: deployer }), 403, /protected/);
    assertError(await server().request('POST', `${base}/rollback`, {}, { token: deployer }), 403, /protected/);
    // A report that records a new deployment would make its candidate current: an admin's; a pipeline
    // may report on the deployment already under way.
    assertError(await server().request('PATCH', `${base}/deployments`, { release_candidate_version: '1.0.0-rc3', status: 'in_progress' }, { token: deployer }), 403, /protected/);
    assert.equal((await server().request('PATCH', `${base}/deployments`, { release_candidate_version: '1.0.0-rc3', status: 'pending' })).status, 200);
    assert.equal((await server().request('PATCH', `${base}/deployments`, { release_candidate_version: '1.0.0-rc3', status: 'in_progress' }, { token: deployer })).status, 200);
    assert.equal((await server().request('POST', `${base}/rollback`, {})).status, 201, 'an admin may');
  });

  void it('errors are JSON: unknown routes 404, non-JSON 415, huge bodies 413, malformed JSON 400', async () => {
    const project = await createProject(server());
    const notFound = await server().fetch('/api/nothing/here');
    assert.equal(notFound.status, 404);
    assert.match(notFound.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await notFound.json(), { error: 'Route not found' });
    assertError(await server().request('GET', '/favicon.ico', undefined, { token: null }), 404);

    const path = deploymentsPath(project, 'dogfood');
    const asText = await server().fetch(path, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"release_candidate_version":"1.0.0-rc1"}' });
    assert.equal(asText.status, 415);
    assert.equal(typeof ((await asText.json()) as { error: unknown }).error, 'string');
    const huge = await server().fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ release_candidate_version: 'x'.repeat(1024 * 1024 + 10) }) });
    assert.equal(huge.status, 413);
    assert.deepEqual(await huge.json(), { error: 'Request body is larger than 1 MiB' });
    const malformed = await server().fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"release_candidate_version":' });
    assert.equal(malformed.status, 400);
    assert.deepEqual(await malformed.json(), { error: 'Request body is not valid JSON' });
  });
}
