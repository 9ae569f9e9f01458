// Executor URLs (webhook deploys, health checks): http(s) only, never link-local or cloud metadata; and
// their credentials (user, password, query) reach admins only — in the overview, in a project, and in
// the error messages that quote them.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Deployment, Overview, Project, type EnvironmentSpecInput } from '../../../src/api/schemas';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertError, commitFor, uniqueName } from './contract/fixtures';

function environment(overrides: Partial<EnvironmentSpecInput>): EnvironmentSpecInput {
  return { name: 'canary', tier: 'production', position: 0, strategy: 'canary', ...overrides };
}

void describe('executor URLs', () => {
  let server: TestServer;
  let viewer: string;
  let deployer: string;
  before(async () => {
    server = await startTestServer();
    viewer = await server.createToken('viewer');
    deployer = await server.createToken('deployer');
  });
  after(async () => { await server.close(); });

  void it('8: only http(s), and no link-local or metadata address, for webhooks and health checks', async () => {
    const refused: Array<[string, RegExp]> = [
      ['file:///etc/passwd', /only http:\/\/ and https:\/\/ URLs are accepted \(got file:\)/],
      ['javascript:alert(1)', /only http:\/\/ and https:\/\/ URLs are accepted/],
      ['gopher://127.0.0.1:6379/_INFO', /only http:\/\/ and https:\/\/ URLs are accepted/],
      ['http://169.254.169.254/latest/meta-data/', /link-local and cloud metadata addresses/],
      ['http://2852039166/latest/meta-data/', /link-local and cloud metadata addresses/],
      ['http://[fd00:ec2::254]/latest/meta-data/', /link-local and cloud metadata addresses/],
      ['http://[::ffff:169.254.169.254]/', /link-local and cloud metadata addresses/],
      ['http://metadata.google.internal/computeMetadata/v1/', /link-local and cloud metadata addresses/],
      ['not a url', /expected an absolute http:\/\/ or https:\/\/ URL/],
    ];
    for (const [url, message] of refused) {
      const asWebhook = await server.request('PUT', `/api/releases/${uniqueName('urls')}`, {
        repo: 'acme/urls', environments: [environment({ deploy: { type: 'webhook', url } })],
      });
      assertError(asWebhook, 400, message);
      const asHealthCheck = await server.request('PUT', `/api/releases/${uniqueName('urls')}`, {
        repo: 'acme/urls', environments: [environment({ health_check: { url } })],
      });
      assertError(asHealthCheck, 400, message);
    }
    const accepted = await server.request('PUT', `/api/releases/${uniqueName('urls')}`, {
      repo: 'acme/urls',
      environments: [environment({ deploy: { type: 'webhook', url: 'https://hooks.example.com/deploy' }, health_check: { url: 'http://127.0.0.1:9/health' } })],
    });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
  });

  void it('8: viewers and deployers read URLs without credentials; admins read them whole; the cache keeps them apart', async () => {
    const name = uniqueName('urls');
    const webhook = 'https://ci:hunter2@hooks.example.com/deploy?token=s3cret&env=prod#part';
    const health = 'https://status.example.com/health?key=abc123';
    const put = await server.request('PUT', `/api/releases/${name}`, {
      repo: 'acme/urls', environments: [environment({ deploy: { type: 'webhook', url: webhook, args: ['--region', 'eu'] }, health_check: { url: health } })],
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const specOf = (project: Project) => project.environments[0];
    const overviewAs = async (token: string) => {
      const response = await server.request('GET', '/api/releases', undefined, { token });
      const project = Overview.parse(response.body).projects.find((p) => p.name === name);
      assert.ok(project);
      return specOf(project);
    };
    const projectAs = async (token: string) => specOf(Project.parse((await server.request('GET', `/api/releases/${name}`, undefined, { token })).body));
    // Interleaved, so that a cache shared between audiences would hand one the other's bytes.
    for (const read of [overviewAs, projectAs]) {
      for (const token of [viewer, server.adminToken, deployer, server.adminToken, viewer]) {
        const env = await read(token);
        if (token === server.adminToken) {
          assert.equal(env?.deploy.url, webhook);
          assert.equal(env?.health_check?.url, health);
        } else {
          assert.equal(env?.deploy.url, 'https://hooks.example.com/deploy?redacted');
          assert.equal(env?.health_check?.url, 'https://status.example.com/health?redacted');
          assert.deepEqual(env?.deploy.args, ['--region', 'eu'], 'arguments carry no secrets by contract');
        }
      }
    }
  });

  void it('8: a failing webhook is reported without the credentials of its URL', async () => {
    const authorizations: Array<string | undefined> = [];
    const receiver = http.createServer((request, response) => {
      authorizations.push(request.headers.authorization);
      response.writeHead(400, { connection: 'close' });
      response.end('no');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as { port: number }).port;
      const name = uniqueName('urls');
      const put = await server.request('PUT', `/api/releases/${name}`, {
        repo: 'acme/urls', environments: [environment({ deploy: { type: 'webhook', url: `http://ci:hunter2@127.0.0.1:${port}/hook?token=s3cret` } })],
      });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      assert.equal((await server.request('POST', `/api/releases/${name}/releases/1.0.0-rc1`, { commit: commitFor(1) })).status, 201);
      const created = Deployment.parse((await server.request('POST', `/api/releases/${name}/environments/canary/deployments`, { release_candidate_version: '1.0.0-rc1' })).body);
      let failed: Deployment | undefined;
      while (!failed) {
        const now = Deployment.parse((await server.request('GET', `/api/releases/${name}/deployments/${created.id}`, undefined, { token: viewer })).body);
        if (now.status === 'failure') failed = now;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(failed.error_message, `POST http://127.0.0.1:${port}/hook?redacted answered 400 Bad Request`);
      // The URL's user and password reach the receiver as Basic credentials (fetch refuses them in the URL).
      assert.deepEqual(authorizations, [`Basic ${Buffer.from('ci:hunter2').toString('base64')}`]);
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
