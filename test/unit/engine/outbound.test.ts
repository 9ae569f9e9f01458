// What the engine fetches (webhook deploys, health checks) is checked where the spec check cannot see:
// the address a host name resolves to when the connection is made (a name resolving, or rebound, to a
// cloud metadata address is never connected to), and redirects (an answer, never followed). Host names
// resolve through a lookup the test gives the engine: no network, no hosts file.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  commandDeploy, createProject, deploy, engineTask, getDeployment, tempDir, waitFor, waitForStatus, writeDeployScript,
} from './helpers';

/** Host names the test's resolver knows, and what they resolve to now. */
const hosts = new Map<string, string>();
const resolved: string[] = [];
const testLookup: LookupFunction = (hostname, options, callback) => {
  resolved.push(hostname);
  const address = hosts.get(hostname);
  if (address === undefined) {
    callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
    return;
  }
  const family = address.includes(':') ? 6 : 4;
  if (options.all === true) callback(null, [{ address, family }]);
  else callback(null, address, family);
};

interface Receiver {
  port: number;
  /** Requests received, as "METHOD path host". */
  hits: string[];
  close(): Promise<void>;
}

/** A loopback HTTP server: /redirect answers 302 to /target, everything else 200. */
async function startReceiver(): Promise<Receiver> {
  const hits: string[] = [];
  const server = http.createServer((request, response) => {
    hits.push(`${request.method} ${request.url} ${request.headers.host}`);
    request.resume();
    if (request.url?.startsWith('/redirect')) {
      const to = new URL(request.url, 'http://x').searchParams.get('to') ?? '/target';
      response.writeHead(302, { location: to, connection: 'close' });
    } else {
      response.writeHead(200, { connection: 'close' });
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

void describe('outbound requests: resolved addresses and redirects', () => {
  let server: TestServer;
  let receiver: Receiver;
  let dir: string;
  let script: string;
  before(async () => {
    receiver = await startReceiver();
    server = await startTestServer({ backend: 'pglite', engine: { hostLookup: testLookup } });
    dir = tempDir();
    script = writeDeployScript(dir);
  });
  after(async () => {
    await server.close();
    await receiver.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  void it('a webhook whose host resolves to a metadata address is refused at connect time, at once; a loopback one is delivered', async () => {
    hosts.set('hooks.test', '127.0.0.1');
    hosts.set('metadata-alias.test', '169.254.169.254');
    const project = await createProject(server, [
      { name: 'fine', tier: 'development', position: 0, strategy: 'dogfood', deploy: { type: 'webhook', url: `http://hooks.test:${receiver.port}/hook` } },
      { name: 'aliased', tier: 'production', position: 1, strategy: 'canary', deploy: { type: 'webhook', url: `http://metadata-alias.test:${receiver.port}/hook` } },
    ]);
    const delivered = await deploy(server, project, 'fine', '1.0.0-rc1');
    // Delivered: the engine waits for the pipeline to report.
    await waitFor('the webhook delivered', async () => ((await engineTask(server, delivered.id, 'deploy'))?.state === 'waiting' ? true : undefined));
    assert.deepEqual(receiver.hits.splice(0), [`POST /hook hooks.test:${receiver.port}`], 'the name went through the test resolver to the loopback receiver');
    const refused = await waitForStatus(server, project, (await deploy(server, project, 'aliased', '1.0.0-rc1')).id, ['success', 'failure', 'error']);
    assert.equal(refused.status, 'failure');
    assert.equal(refused.error_message,
      `POST http://metadata-alias.test:${receiver.port}/hook failed: metadata-alias.test resolves to 169.254.169.254, a link-local or cloud metadata address: refused`);
    assert.ok(resolved.includes('metadata-alias.test'), 'resolved when connecting');
    assert.deepEqual(receiver.hits, [], 'nothing was sent');
  });

  void it('a webhook that redirects fails at once and the redirect is not followed', async () => {
    receiver.hits.length = 0;
    hosts.set('hooks.test', '127.0.0.1');
    const project = await createProject(server, [{
      name: 'canary', tier: 'production', position: 0, strategy: 'canary',
      deploy: { type: 'webhook', url: `http://hooks.test:${receiver.port}/redirect?to=http://169.254.169.254/latest/meta-data/` },
    }]);
    const failed = await waitForStatus(server, project, (await deploy(server, project, 'canary', '1.0.0-rc1')).id, ['success', 'failure', 'error']);
    assert.equal(failed.status, 'failure');
    assert.equal(failed.error_message, `POST http://hooks.test:${receiver.port}/redirect?redacted answered 302 Found (redirects are not followed)`);
    assert.equal(receiver.hits.length, 1, 'one delivery: a redirect is not retried');
  });

  void it('a health check is healthy on 2xx only: a redirect is unhealthy and not followed', async () => {
    receiver.hits.length = 0;
    const project = await createProject(server, [{
      name: 'canary', tier: 'production', position: 0, strategy: 'canary', deploy: commandDeploy(script, path.join(dir, 'redirect.log')),
      health_check: { url: `http://127.0.0.1:${receiver.port}/redirect?to=/target`, interval_seconds: 1, failure_threshold: 1 },
    }]);
    const failed = await waitForStatus(server, project, (await deploy(server, project, 'canary', '1.0.0-rc1')).id, ['failure', 'error']);
    assert.equal(failed.error_message,
      `Health check failed 1 times in a row: GET http://127.0.0.1:${receiver.port}/redirect?redacted answered 302 Found (redirects are not followed)`);
    assert.ok(receiver.hits.length >= 1);
    assert.deepEqual(receiver.hits.filter((hit) => hit.startsWith('GET /target')), [], 'the redirect was not followed');
  });

  void it('a health check whose host is rebound to a metadata address fails without connecting to it', async () => {
    receiver.hits.length = 0;
    hosts.set('app.test', '127.0.0.1');
    const project = await createProject(server, [{
      name: 'canary', tier: 'production', position: 0, strategy: 'canary', deploy: commandDeploy(script, path.join(dir, 'rebind.log')),
      health_check: { url: `http://app.test:${receiver.port}/health`, interval_seconds: 1, failure_threshold: 1 },
    }]);
    const watched = await deploy(server, project, 'canary', '1.0.0-rc1');
    await waitFor('a healthy check through the loopback address', async () => {
      const d = await getDeployment(server, project, watched.id);
      return d.health?.healthy === true ? d : undefined;
    });
    // The name now points at the metadata service: the spec (a host name) never changed.
    hosts.set('app.test', '169.254.169.254');
    const hitsBefore = receiver.hits.length;
    const failed = await waitForStatus(server, project, watched.id, ['failure', 'error']);
    assert.equal(failed.error_message,
      `Health check failed 1 times in a row: GET http://app.test:${receiver.port}/health failed: app.test resolves to 169.254.169.254, a link-local or cloud metadata address: refused`);
    assert.ok(receiver.hits.length - hitsBefore <= 1, 'at most a check already connected before the rebinding reached the receiver');
  });
});
