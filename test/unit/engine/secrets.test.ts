// The server's secrets stay out of its commands: deploy and health commands run without the admin token,
// client tokens or the database password in their environment, and whatever their output says reaches
// `error_message` (read by every viewer) with every token redacted.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Deployment } from '../../../src/api/schemas';
import { ServerSecrets } from '../../../src/server/secrets';
import { generateToken } from '../../../src/server/service/tokens';
import { startTestServer, type TestServer } from '../helpers/server';
import { createProject, deploy, getDeployment, tempDir, waitFor, waitForStatus } from './helpers';

/** Saves the environment it was given, then prints the secrets file to stderr (a careless script) and fails. */
function writeLeakyScript(dir: string): string {
  const file = path.join(dir, 'leaky.js');
  fs.writeFileSync(file, `
const fs = require('node:fs');
const [envFile, secretsFile] = process.argv.slice(2);
fs.writeFileSync(envFile, JSON.stringify(process.env));
process.stderr.write('debug: ' + fs.readFileSync(secretsFile, 'utf8') + '\\n');
process.exit(1);
`);
  return file;
}

void describe('ServerSecrets', () => {
  void it('redacts the admin token, the database URL and password, and every token-shaped string', () => {
    const secrets = new ServerSecrets({ adminToken: 'bootstrap-admin-secret', databaseUrl: 'postgres://fd:s3cr%40t-pw@db:5432/fd' });
    const stranger = generateToken();
    const text = `a bootstrap-admin-secret b postgres://fd:s3cr%40t-pw@db:5432/fd c s3cr@t-pw d ${stranger} e`;
    assert.equal(secrets.redact(text), 'a [redacted] b [redacted] c [redacted] d [redacted] e');
    const env = secrets.scrubEnvironment({
      FLIGHTDECK_ADMIN_TOKEN: 'x', FLIGHTDECK_TOKEN: 'y', PGPASSWORD: 'z', OTHER: `Bearer ${stranger}`,
      DATABASE_URL: 'postgres://fd:s3cr%40t-pw@db:5432/fd', PATH: '/usr/bin',
    });
    assert.deepEqual(env, { PATH: '/usr/bin' });
  });
});

void describe('commands run without the server secrets', () => {
  let server: TestServer;
  let dir: string;
  let script: string;
  let clientToken: string;
  let ciSecret: string;
  const saved = { ...process.env };
  before(async () => {
    server = await startTestServer({ backend: 'pglite' });
    dir = tempDir();
    script = writeLeakyScript(dir);
    clientToken = await server.createToken('deployer');
    ciSecret = await server.createToken('viewer');
    // What `flightdeck serve` started from a CI job would have in its environment.
    process.env.FLIGHTDECK_ADMIN_TOKEN = server.adminToken;
    process.env.FLIGHTDECK_TOKEN = clientToken;
    process.env.CI_RELEASE_TOKEN = ciSecret;
    process.env.HARMLESS_SETTING = 'kept';
    fs.writeFileSync(path.join(dir, 'secrets.txt'), `admin=${server.adminToken} client=${clientToken} ci=${ciSecret}`);
  });
  after(async () => {
    process.env = saved;
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const assertNoSecret = (text: string): void => {
    for (const secret of [server.adminToken, clientToken, ciSecret]) assert.ok(!text.includes(secret), `a secret leaked into: ${text}`);
  };

  void it('7: a deploy command sees no token, and its failure output is redacted for viewers', async () => {
    const envFile = path.join(dir, 'deploy-env.json');
    const project = await createProject(server, [{
      name: 'canary', tier: 'production', position: 0, strategy: 'canary',
      deploy: { type: 'command', command: process.execPath, url: null, args: [script, envFile, path.join(dir, 'secrets.txt')] },
    }]);
    const created = await deploy(server, project, 'canary', '1.0.0-rc1');
    const failed = await waitForStatus(server, project, created.id, ['failure', 'error', 'success']);
    assert.equal(failed.status, 'failure');
    const seen = JSON.parse(fs.readFileSync(envFile, 'utf8')) as Record<string, string>;
    for (const name of ['FLIGHTDECK_ADMIN_TOKEN', 'FLIGHTDECK_TOKEN', 'CI_RELEASE_TOKEN']) assert.equal(seen[name], undefined, name);
    assert.equal(seen.HARMLESS_SETTING, 'kept');
    assert.equal(seen.FLIGHTDECK_VERSION, '1.0.0-rc1');
    const viewer = await server.createToken('viewer');
    const read = await server.request('GET', `/api/releases/${project}/deployments/${created.id}`, undefined, { token: viewer });
    const message = Deployment.parse(read.body).error_message ?? '';
    assert.match(message, /debug: admin=\[redacted\] client=\[redacted\] ci=\[redacted\]/);
    assertNoSecret(JSON.stringify(read.body));
  });

  void it('7: a health command sees no token, and its failure output is redacted', async () => {
    const envFile = path.join(dir, 'health-env.json');
    const project = await createProject(server, [{
      name: 'canary', tier: 'production', position: 0, strategy: 'canary',
      deploy: { type: 'command', command: process.execPath, url: null, args: ['-e', ''] },
      health_check: { command: process.execPath, args: [script, envFile, path.join(dir, 'secrets.txt')], interval_seconds: 1, failure_threshold: 1 },
    }]);
    const created = await deploy(server, project, 'canary', '1.0.0-rc1');
    const failed = await waitFor('the health check to fail the deployment', async () => {
      const d = await getDeployment(server, project, created.id);
      return d.status === 'failure' ? d : undefined;
    });
    const seen = JSON.parse(fs.readFileSync(envFile, 'utf8')) as Record<string, string>;
    for (const name of ['FLIGHTDECK_ADMIN_TOKEN', 'FLIGHTDECK_TOKEN', 'CI_RELEASE_TOKEN']) assert.equal(seen[name], undefined, name);
    assert.match(failed.error_message ?? '', /\[redacted\]/);
    assertNoSecret(JSON.stringify(failed));
  });
});
