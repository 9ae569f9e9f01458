// Hundreds of malformed requests (bad JSON, wrong types, huge strings, path traversal, SQL-looking
// text, absurd pages, odd methods, raw protocol garbage): every one gets a 4xx (JSON where there is a
// body), never a 5xx, and the server stays up with its data intact.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Overview, Project } from '../../../src/api/schemas';
import { startTestServer, type TestServer } from '../helpers/server';
import { createProject, deploySuccessfully } from './contract/fixtures';

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY_SEGMENTS = [
  '..%2F..%2Fetc%2Fpasswd', '..', '%2e%2e', '%00', 'a%00b', "x'%3B DROP TABLE projects%3B--", "' OR 1=1 --", '%E0%A4%A', '%', '%25',
  'a'.repeat(300), '%F0%9F%98%80', '1e309', '-1', '0', '99999999999999999999999999', 'null', 'undefined', '__proto__', 'constructor',
  '%20leading', 'trailing%20', 'a%2Fb', '1.0.0-rc1', '1.0.0-rc0', 'ab%0D%0AX-Injected: 1',
];
const ROUTES = [
  'POST /api/releases/{p}/releases/{v}', 'POST /api/releases/{p}/environments/{e}/deployments',
  'PATCH /api/releases/{p}/environments/{e}/deployments', 'GET /api/releases/{p}/environments/{e}/deployments',
  'POST /api/releases/{p}/environments/{e}/rollback', 'GET /api/releases', 'PUT /api/releases/{p}', 'GET /api/releases/{p}',
  'GET /api/releases/{p}/releases', 'POST /api/releases/{p}/environments/{e}/promote', 'PATCH /api/releases/{p}/environments/{e}',
  'GET /api/releases/{p}/deployments/{i}', 'POST /api/tokens', 'DELETE /api/tokens/{n}', 'GET /api/events',
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'SEARCH'];
const QUERIES = [
  '', '?page=-1', '?page=0', '?per_page=1000', '?page=1e400', '?page=abc', '?page=1&page=2', '?page[]=1', '?per_page=%00',
  `?page=${'9'.repeat(400)}`, '?force=1', '?force=true&force=false', '?since=-5', '?project=%27%3B--', '?__proto__[x]=1',
];
const JUNK_VALUES: unknown[] = [
  null, true, 0, -1, 1.5, 1e308, '', ' ', 'x'.repeat(100_000), "'; DROP TABLE deployments; --", '\u0000', 'a\u0000b',
  '\ud800', '😀'.repeat(1000), [], [1, 2], {}, { $gt: '' }, { __proto__: { admin: true } }, '1.0.0-rc1', 'A'.repeat(40),
  'success', 'admin', '../../etc/passwd', Array.from({ length: 2000 }, () => 'x'),
];
const FIELDS = [
  'commit', 'repo', 'release_candidate_version', 'expected_current', 'status', 'error_message', 'force', 'to_release_candidate_version',
  'from_environment', 'frozen', 'protected', 'role', 'name', 'environments', 'description', 'healthy',
];

void describe('fuzzing the API', () => {
  let server: TestServer;
  let project: string;
  let projectBefore: Project;

  before(async () => {
    server = await startTestServer();
    project = await createProject(server);
    await deploySuccessfully(server, project, 'dogfood', '1.0.0-rc1');
    projectBefore = Project.parse((await server.request('GET', `/api/releases/${project}`)).body);
  });
  after(async () => { await server.close(); });

  type Init = { headers?: Record<string, string>; body?: string };

  /** Never a 5xx, never a stack trace; an error is `{"error": …}` JSON. Returns the status. */
  async function expectNoServerError(method: string, path: string, init: Init, label: string): Promise<number> {
    const response = await server.fetch(path, { ...init, method });
    const text = await response.text();
    assert.ok(response.status < 500, `${label} → ${response.status} ${text.slice(0, 200)}`);
    assert.doesNotMatch(text, /<html|at .+\.ts:\d+|stack/i, `${label}: no HTML, no stack trace`);
    if (response.status >= 400 && method !== 'HEAD') {
      assert.match(response.headers.get('content-type') ?? '', /application\/json/, `${label}: JSON error`);
      assert.equal(typeof (JSON.parse(text) as { error?: unknown }).error, 'string', `${label}: {"error": …}`);
    }
    return response.status;
  }

  /** A request that is wrong whatever the data: a 4xx with a JSON error. */
  async function expectClientError(method: string, path: string, init: Init, label: string): Promise<void> {
    const status = await expectNoServerError(method, path, init, label);
    assert.ok(status >= 400 && status < 500, `${label} → ${status}, not a client error`);
  }

  void it('random routes, parameters, queries and bodies', async () => {
    const next = random(20261123);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    for (let i = 0; i < 400; i++) {
      const [templateMethod, template] = pick(ROUTES).split(' ') as [string, string];
      const method = next() < 0.8 ? templateMethod : pick(METHODS);
      const path = template
        .replace('{p}', next() < 0.5 ? project : pick(NASTY_SEGMENTS))
        .replace('{e}', next() < 0.5 ? 'dogfood' : pick(NASTY_SEGMENTS))
        .replace('{v}', pick(NASTY_SEGMENTS))
        .replace('{i}', pick(NASTY_SEGMENTS))
        .replace('{n}', pick(NASTY_SEGMENTS)) + pick(QUERIES);
      const body: Record<string, unknown> = {};
      for (let f = Math.floor(next() * 4); f > 0; f--) body[pick(FIELDS)] = pick(JUNK_VALUES);
      const kind = next();
      const withoutBody = method === 'GET' || method === 'DELETE' || method === 'OPTIONS';
      const brokenJson = pick(['{', '[1,', '{"a":}', 'nul', '"', '{"a":1}}', '\u0000']);
      const init: Init = withoutBody
        ? {}
        : kind < 0.6 ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
          : kind < 0.75 ? { headers: { 'content-type': 'application/json' }, body: next() < 0.1 ? '{"__proto__":{"x":1}}' : brokenJson }
            : kind < 0.85 ? { headers: { 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data; boundary=x']) }, body: 'a=1' }
              : { body: JSON.stringify(body) };
      if (path.startsWith('/api/events') && method === 'GET') continue; // a valid stream never ends; covered in events.test.ts
      const label = `#${i} ${method} ${path.slice(0, 120)}`;
      // Some requests are valid by chance (a GET with a query it ignores, a promote whose junk fields are
      // dropped); these are wrong whatever the path: a method no route has, JSON that does not parse, a body
      // that is not JSON.
      const surelyWrong = !['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)
        || (!withoutBody && (init.body === brokenJson || kind >= 0.75));
      if (surelyWrong) await expectClientError(method, path, init, label);
      else await expectNoServerError(method, path, init, label);
    }
  });

  void it('wrong types for every field of every body (a 4xx each)', async () => {
    // Each body with the fields it has (a field a body does not have is dropped: the request may be valid).
    const paths: Array<[string, string, string[]]> = [
      ['POST', `/api/releases/${project}/releases/2.0.0-rc1`, ['commit', 'repo']],
      ['POST', `/api/releases/${project}/environments/canary/deployments`, ['release_candidate_version', 'expected_current']],
      ['PATCH', `/api/releases/${project}/environments/canary/deployments`, ['release_candidate_version', 'status', 'error_message']],
      ['POST', `/api/releases/${project}/environments/canary/rollback`, ['force', 'to_release_candidate_version', 'expected_current']],
      ['POST', `/api/releases/${project}/environments/canary/promote`, ['from_environment', 'release_candidate_version', 'expected_current']],
      ['PATCH', `/api/releases/${project}/environments/canary`, ['frozen', 'protected']],
      ['POST', '/api/tokens', ['role', 'name']],
    ];
    for (const [method, path, fields] of paths) {
      for (const field of fields) {
        for (const value of [42, [], { nested: true }, 'x'.repeat(20_000), '\u0000']) {
          await expectClientError(method, path, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ [field]: value }) }, `${method} ${path} ${field}=${JSON.stringify(value).slice(0, 20)}`);
        }
      }
    }
  });

  void it('deeply nested and oversized bodies', async () => {
    const path = `/api/releases/${project}/environments/canary/deployments`;
    for (const body of ['['.repeat(200_000), `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`, JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) })]) {
      await expectClientError('POST', path, { headers: { 'content-type': 'application/json' }, body }, `body of ${body.length} bytes`);
    }
  });

  void it('raw protocol garbage on the socket gets a 4xx and the server stays up', async () => {
    const url = new URL(server.url);
    const raw = [
      'BREW /api/releases HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /api/releases HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /%%%% HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /api/releases/%E0%A4%A HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n\r\n',
      'POST /api/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
      'POST /api/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n',
      `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      'garbage\r\n\r\n',
    ];
    for (const request of raw) {
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(Number(url.port), url.hostname);
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => { data += chunk; });
        socket.on('error', () => resolve(data));
        socket.on('close', () => resolve(data));
        socket.setTimeout(2000, () => socket.destroy());
        socket.end(request);
      });
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1]);
      assert.ok(status >= 400 && status < 500, `${JSON.stringify(request.slice(0, 60))} → ${answer.slice(0, 80)}`);
    }
  });

  void it('is still up, with its data readable and consistent', async () => {
    assert.equal((await server.request('GET', '/healthz')).status, 200);
    const overview = Overview.parse((await server.request('GET', '/api/releases')).body);
    const after = Project.parse((await server.request('GET', `/api/releases/${project}`)).body);
    assert.ok(overview.projects.some((p) => p.name === project));
    // Some fuzzed requests are valid by chance (a promote with junk fields stripped); nothing else moved.
    assert.deepEqual(after.environments.map((e) => e.name), ['dogfood', 'canary', 'rollout', 'production']);
    assert.equal(after.repo, projectBefore.repo);
    assert.equal(after.environments[0]?.current?.release_candidate_version, '1.0.0-rc1');
  });
});
