// `flightdeck serve` (src/cli/serve.ts) and `flightdeck token` (src/cli/token.ts), and --config.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Project } from '../../../src/api/schemas';
import { UsageError } from '../../../src/cli/args';
import { runServe, type ServeIo } from '../../../src/cli/serve';
import { runToken, type TokenIo } from '../../../src/cli/token';
import { startServer } from '../../../src/server';
import { freshPgliteDataDir, startTestServer } from '../helpers/server';
import { spawnServe } from './child-server';
import { SseReader } from './sse-client';

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

function tokenIo(env: NodeJS.ProcessEnv = {}): TokenIo & { out: string; err: string } {
  const io = { out: '', err: '', env, stdout: (text: string) => { io.out += text; }, stderr: (text: string) => { io.err += text; } };
  return io;
}

async function tempDataDir(): Promise<string> {
  const dir = await freshPgliteDataDir();
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

void describe('flightdeck serve', () => {
  void it('prints exactly "listening on http://HOST:PORT" first, logs JSON to stderr without tokens, and stops on SIGTERM', async () => {
    const dataDir = await tempDataDir();
    const adminToken = 'serve-test-admin-token-123456';
    const child = await spawnServe(['--port', '0', '--data-dir', dataDir], { FLIGHTDECK_ADMIN_TOKEN: adminToken });
    try {
      assert.match(child.firstLine, /^listening on http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
      const headers = { authorization: `Bearer ${adminToken}` };
      assert.equal((await fetch(`${child.url}/api/releases`, { headers })).status, 200);
      assert.equal((await fetch(`${child.url}/api/releases`, { headers: { authorization: 'Bearer wrong-token-abcdef' } })).status, 401);
      // An in-flight request and an open event stream when SIGTERM arrives:
      const stream = await fetch(`${child.url}/api/events`, { headers });
      const inFlight = fetch(`${child.url}/api/releases`, { headers });
      child.process.kill('SIGTERM');
      assert.equal((await inFlight).status, 200);
      await stream.body?.cancel().catch(() => undefined);
      const exit = await child.exited;
      assert.equal(exit.code, 0, child.stderr());
      assert.equal(child.stdout(), `${child.firstLine}\n`, 'nothing else on stdout');
      const logLines = child.stderr().trim().split('\n').filter((line) => line !== '');
      assert.ok(logLines.length > 0);
      for (const line of logLines) JSON.parse(line);
      assert.ok(!child.stderr().includes(adminToken) && !child.stderr().includes('wrong-token-abcdef'), 'tokens never reach the log');
    } finally {
      child.process.kill('SIGKILL');
    }
  });

  void it('rejects bad arguments', async () => {
    const io: ServeIo = { stdout: () => undefined, env: {}, onShutdownSignal: () => undefined };
    for (const argv of [['--port', 'abc'], ['--port', '70000'], ['--nope'], ['extra'], ['--data-dir', 'a', '--database-url', 'b'], ['--log-level', 'loud'], ['--max-streams', '0'], ['--max-streams-per-token', 'many']]) {
      await assert.rejects(runServe(argv, io), UsageError, argv.join(' '));
    }
  });

  void it('caps event streams per token from --max-streams-per-token, and in total from FLIGHTDECK_MAX_STREAMS', async () => {
    const adminToken = 'serve-caps-admin-token-123456';
    const io: ServeIo = { stdout: () => undefined, env: { FLIGHTDECK_ADMIN_TOKEN: adminToken, FLIGHTDECK_MAX_STREAMS: '2' }, onShutdownSignal: () => undefined };
    const server = await runServe(['--port', '0', '--data-dir', await tempDataDir(), '--log-level', 'silent', '--max-streams-per-token', '1'], io);
    cleanup.push(() => server.close());
    const open = (token: string): Promise<Response> => fetch(`${server.url}/api/events`, { headers: { authorization: `Bearer ${token}` } });
    const viewer = (await server.service.tokens.create('caps-viewer', 'viewer')).token;
    const streams = [await open(adminToken)];
    try {
      assert.equal(streams[0]?.status, 200);
      const overToken = await open(adminToken);
      assert.equal(overToken.status, 429, 'one stream per token');
      assert.equal(typeof ((await overToken.json()) as { error: unknown }).error, 'string');
      streams.push(await open(viewer));
      assert.equal(streams[1]?.status, 200);
      const overTotal = await open((await server.service.tokens.create('caps-other', 'viewer')).token);
      assert.equal(overTotal.status, 429, 'two streams in total');
      await overTotal.body?.cancel();
    } finally {
      for (const stream of streams) await stream.body?.cancel().catch(() => undefined);
    }
  });

  void it('refuses a data dir another live process holds', async () => {
    const dataDir = await tempDataDir();
    const server = await startTestServer({ backend: 'pglite', dataDir });
    cleanup.push(() => server.stop());
    const io: ServeIo = { stdout: () => undefined, env: {}, onShutdownSignal: () => undefined };
    await assert.rejects(runServe(['--port', '0', '--data-dir', dataDir, '--log-level', 'silent'], io), /in use by process/);
  });
});

void describe('--config', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-config-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));

  void it('applies a YAML file at start, idempotently, keeping flags an operator set', async () => {
    const file = path.join(dir, 'projects.yaml');
    fs.writeFileSync(file, [
      'checkout:',
      '  repo: acme/checkout',
      '  environments:',
      '    - { name: canary, tier: production, position: 0, strategy: canary }',
      '    - name: production',
      '      tier: production',
      '      position: 1',
      '      strategy: standard',
      '      protected: true',
      '      deploy: { type: command, command: ./deploy.sh, args: [production] }',
      'billing:',
      '  repo: acme/billing',
      '  environments: []',
      '',
    ].join('\n'));
    let server = await startTestServer({ configFile: file });
    try {
      const project = Project.parse((await server.request('GET', '/api/releases/checkout')).body);
      assert.deepEqual(project.environments.map((e) => [e.name, e.protected]), [['canary', false], ['production', true]]);
      assert.deepEqual(project.environments[1]?.deploy, { type: 'command', command: './deploy.sh', url: null, args: ['production'] });
      assert.equal((await server.request('GET', '/api/releases/billing')).status, 200);
      assert.equal((await server.request('PATCH', '/api/releases/checkout/environments/canary', { frozen: true })).status, 200);
      const stream = await SseReader.open(server, '?since=0');
      await stream.untilEvents(3);
      const eventsBefore = stream.lastId;
      stream.close();

      server = await server.restart();
      const again = Project.parse((await server.request('GET', '/api/releases/checkout')).body);
      assert.equal(again.environments[0]?.frozen, true, 'the file does not mention frozen: the operator’s freeze stays');
      // A change after the restart: its event follows any the re-applied file could have recorded.
      assert.equal((await server.request('PATCH', '/api/releases/checkout/environments/production', { frozen: true })).status, 200);
      const replay = await SseReader.open(server, '?since=0');
      await replay.until(() => replay.events.some((e) => e.event === 'environment.updated' && (e.data as { environment?: string }).environment === 'production'));
      replay.close();
      const after = replay.events.filter((e) => e.id > eventsBefore);
      assert.deepEqual(after.map((e) => e.event), ['environment.updated'], 're-applying an unchanged file records no event');
    } finally {
      await server.close();
    }
  });

  void it('applies JSON and refuses an invalid file with a message naming the problem', async () => {
    const good = path.join(dir, 'projects.json');
    fs.writeFileSync(good, JSON.stringify({ api: { repo: 'acme/api', environments: [{ name: 'prod', tier: 'production', position: 0, strategy: 'standard' }] } }));
    const server = await startTestServer({ configFile: good });
    try {
      assert.equal((await server.request('GET', '/api/releases/api')).status, 200);
    } finally {
      await server.close();
    }
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'api:\n  repo: acme/api\n  environments:\n    - { name: prod, tier: moon, position: 0, strategy: standard }\n');
    const dataDir = await tempDataDir();
    await assert.rejects(startServer({ port: 0, dataDir, configFile: bad, version: 't', logLevel: 'silent' }), /Invalid config file .*bad\.yaml: api\.environments\.0\.tier/);
    await assert.rejects(startServer({ port: 0, dataDir, configFile: path.join(dir, 'missing.yaml'), version: 't', logLevel: 'silent' }), /Cannot read config file/);
    assert.ok(!fs.existsSync(path.join(dataDir, 'flightdeck.lock')), 'a failed start releases the data dir');
  });
});

void describe('flightdeck token', () => {
  void it('creates a token straight in a data dir that a server then accepts', async () => {
    const dataDir = await tempDataDir();
    const io = tokenIo();
    assert.equal(await runToken(['create', '--role', 'deployer', '--name', 'ci-pipeline', '--data-dir', dataDir], io), 0);
    const token = io.out.trim();
    assert.match(token, /^fdt_[A-Za-z0-9_-]{40,}$/);
    assert.equal(io.out, `${token}\n`, 'stdout holds the token only');
    const server = await startTestServer({ backend: 'pglite', dataDir });
    try {
      assert.equal((await server.request('GET', '/api/releases', undefined, { token })).status, 200);
      assert.equal((await server.request('PUT', '/api/releases/x', { repo: 'x', environments: [] }, { token })).status, 403);
    } finally {
      await server.stop();
    }
  });

  void it('creates a token through a server with FLIGHTDECK_TOKEN', async () => {
    const server = await startTestServer();
    try {
      const io = tokenIo({ FLIGHTDECK_TOKEN: server.adminToken });
      assert.equal(await runToken(['create', '--role', 'viewer', '--name', 'dashboard', '--server', server.url], io), 0);
      assert.equal((await server.request('GET', '/api/releases', undefined, { token: io.out.trim() })).status, 200);
      await assert.rejects(runToken(['create', '--role', 'viewer', '--name', 'dashboard', '--server', server.url], tokenIo({ FLIGHTDECK_TOKEN: server.adminToken })), /409/);
      await assert.rejects(runToken(['create', '--role', 'viewer', '--name', 'x', '--server', server.url], tokenIo({ FLIGHTDECK_TOKEN: 'bad' })), /401/);
      await assert.rejects(runToken(['create', '--role', 'viewer', '--name', 'x', '--server', server.url], tokenIo()), UsageError);
    } finally {
      await server.close();
    }
  });

  void it('rejects bad arguments', async () => {
    for (const argv of [[], ['list'], ['create', '--role', 'root', '--name', 'x'], ['create', '--role', 'viewer'], ['create', '--role', 'viewer', '--name', ' x'],
      ['create', '--role', 'viewer', '--name', 'x', '--server', 'http://a', '--data-dir', 'data-x']]) {
      await assert.rejects(runToken(argv, tokenIo()), UsageError, argv.join(' '));
    }
  });
});
