// No token in any log of a test run: the runner (scripts/test.mjs) has test servers log into one
// directory and searches it afterwards (scripts/test-logs.mjs). Here, a server's session with tokens in
// every place a request can carry them logs at debug into such a directory, the search finds nothing,
// and finds a token planted afterwards (of the `fdt_` shape, or an admin token listed as a secret).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findTokensInLogs } from '../../../scripts/test-logs.mjs';
import { startTestServer } from '../helpers/server';

void describe('no token in the logs of a test run', () => {
  const previous = process.env.FLIGHTDECK_TEST_LOG_DIR;
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-test-logs-check-'));
    process.env.FLIGHTDECK_TEST_LOG_DIR = dir;
  });
  after(() => {
    if (previous === undefined) delete process.env.FLIGHTDECK_TEST_LOG_DIR;
    else process.env.FLIGHTDECK_TEST_LOG_DIR = previous;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  void it('a server session logs at debug to the run directory without a token; a planted one is found', async () => {
    const server = await startTestServer({ backend: 'pglite' });
    const viewer = await server.createToken('viewer', 'logs-viewer');
    const deployer = await server.createToken('deployer', 'logs-deployer');
    assert.equal((await server.request('GET', '/api/releases', undefined, { token: viewer })).status, 200);
    // Where a careless client puts a token: the query string, a malformed header, an unknown bearer.
    assert.equal((await server.fetch(`/api/releases?token=${deployer}`, { token: null })).status, 401);
    assert.equal((await server.fetch('/api/releases', { token: null, headers: { authorization: `Token ${deployer}` } })).status, 401);
    assert.equal((await server.fetch(`/api/releases/${deployer}`, { token: viewer })).status, 404);
    const stream = await server.fetch('/api/events', { token: viewer });
    assert.equal(stream.status, 200);
    await stream.body?.cancel();
    assert.equal((await server.request('DELETE', '/api/tokens/logs-deployer')).status, 204);
    assert.equal((await server.request('GET', '/api/releases', undefined, { token: deployer })).status, 401);
    await server.close();

    const logs = fs.readdirSync(dir).filter((name) => name.endsWith('.log'));
    assert.equal(logs.length, 1, 'the server logged into the run directory');
    const log = path.join(dir, logs[0] ?? '');
    assert.match(fs.readFileSync(log, 'utf8'), /"msg":"incoming request"/, 'request lines, at debug');
    assert.ok(fs.readFileSync(path.join(dir, `secrets-${process.pid}.txt`), 'utf8').includes(server.adminToken), 'the admin token is listed');
    assert.deepEqual(findTokensInLogs(dir), [], fs.readFileSync(log, 'utf8').split('\n').filter((l) => /fdt_/.test(l)).map((l) => l.replace(/fdt_[\w-]{43}/g, 'fdt_…')).join('\n'));

    fs.appendFileSync(log, `{"msg":"oops","token":"${viewer}"}\n`);
    fs.appendFileSync(log, `{"msg":"oops","admin":"${server.adminToken}"}\n`);
    const findings = findTokensInLogs(dir, { 'unit tier output': `clean\nBearer ${deployer}\n` });
    assert.equal(findings.length, 3, findings.join('\n'));
    assert.ok(findings.every((finding) => !finding.includes(viewer) && !finding.includes(server.adminToken) && !finding.includes(deployer)),
      'a finding does not repeat the token');
  });
});
