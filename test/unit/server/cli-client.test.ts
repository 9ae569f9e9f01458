// The client commands against a real server: finding the embedded server without --server (its state
// file, with the demo's token beside its data dir), --help on every command, the y/N confirmation of
// changes to protected or production environments, errors that name what was not found, the promote
// warning about a candidate that just failed, and `token create --data-dir` on a data dir in use.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Deployment } from '../../../src/api/schemas';
import { UsageError } from '../../../src/cli/args';
import { NotConfirmed } from '../../../src/cli/confirm';
import { chooseServer } from '../../../src/cli/connection';
import { runPromote, runRollback, runStatus, type CliIo } from '../../../src/cli/remote';
import { runToken } from '../../../src/cli/token';
import { COMMAND_USAGE, helpFor } from '../../../src/cli/usage';
import { embeddedTokenFile, writeEmbeddedState } from '../../../src/client/embeddedState';
import { startTestServer, type TestServer } from '../helpers/server';
import { createProject, deploySuccessfully, report } from './contract/fixtures';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

interface TestIo extends CliIo {
  out: string;
  err: string;
  questions: string[];
}

function cliIo(env: NodeJS.ProcessEnv, answer?: boolean): TestIo {
  const io: TestIo = {
    out: '', err: '', questions: [], env,
    stdout: (text) => { io.out += text; },
    stderr: (text) => { io.err += text; },
    confirm: (question) => {
      io.questions.push(question);
      return Promise.resolve(answer);
    },
  };
  return io;
}

void describe('flightdeck client commands', () => {
  let server: TestServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    server = await startTestServer({ backend: 'pglite' });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-cli-home-'));
    env = { FLIGHTDECK_SERVER: server.url, FLIGHTDECK_TOKEN: server.adminToken, FLIGHTDECK_HOME: home };
  });
  after(async () => {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  void it('without --server, finds the running embedded server from its state file, with the demo token beside its data', async () => {
    const project = await createProject(server);
    await deploySuccessfully(server, project, 'canary', '1.0.0-rc1');
    const dataDir = path.join(home, 'demo', 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    // What the extension writes when it starts the embedded server (this process stands in for its pid).
    writeEmbeddedState(dataDir, server.url, process.pid, { FLIGHTDECK_HOME: home });
    fs.writeFileSync(embeddedTokenFile(dataDir), `${await server.createToken('viewer', 'demo-cli')}\n`);
    const io = cliIo({ FLIGHTDECK_HOME: home });
    assert.equal(await runStatus([project], io), 0, io.err);
    assert.match(io.out, new RegExp(`^${project}  \\(acme/payments\\)\\n`));
    assert.match(io.out, /canary\s+1\.0\.0-rc1/);
    // The state file wins over the 7700 default, never over FLIGHTDECK_SERVER; a dead pid or a URL off
    // this machine is not trusted.
    assert.equal(chooseServer(undefined, { FLIGHTDECK_HOME: home }).source, 'embedded');
    assert.equal(chooseServer(undefined, { FLIGHTDECK_HOME: home, FLIGHTDECK_SERVER: 'http://10.0.0.9:7700' }).url, 'http://10.0.0.9:7700');
    writeEmbeddedState(dataDir, 'http://203.0.113.7:7700', process.pid, { FLIGHTDECK_HOME: home });
    assert.deepEqual(chooseServer(undefined, { FLIGHTDECK_HOME: home }), { url: 'http://127.0.0.1:7700', token: undefined, source: 'default' });
    writeEmbeddedState(dataDir, server.url, 2 ** 22 + 12345, { FLIGHTDECK_HOME: home });
    assert.equal(chooseServer(undefined, { FLIGHTDECK_HOME: home }).source, 'default');
  });

  void it('--help works on every command, before its options are parsed', () => {
    for (const command of ['serve', 'demo', 'token', 'status', 'promote', 'rollback', 'watch', 'where']) {
      assert.match(helpFor(command, ['--help']) ?? '', new RegExp(`^usage: flightdeck ${command}\\b`), command);
      assert.equal(helpFor(command, ['-h', '--bogus']), `${COMMAND_USAGE[command]}\n`);
    }
    assert.equal(helpFor('status', ['payments']), undefined);
    assert.equal(helpFor('where', ['--', '--help']), undefined, 'after --, --help is an argument');
    // The real executable: exit 0, usage on stdout (it said "unknown option --help" before).
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), 'status', '--help'], {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^usage: flightdeck status \[PROJECT\]/);
  });

  void it('rollback and promote into a production or protected environment ask first, unless --yes; without a terminal they refuse', async () => {
    const project = await createProject(server);
    for (const rc of ['1.0.0-rc1', '1.0.0-rc2']) await deploySuccessfully(server, project, 'production', rc);
    await deploySuccessfully(server, project, 'rollout', '1.0.0-rc3');
    const count = async (environment: string): Promise<number> =>
      ((await server.request<unknown[]>('GET', `/api/releases/${project}/environments/${environment}/deployments?per_page=100`)).body).length;
    const before = await count('production');

    const noTerminal = cliIo(env, undefined);
    await assert.rejects(runRollback([project, 'production'], noTerminal), (error: unknown) => error instanceof NotConfirmed
      && error.message === 'production is a production environment: there is no terminal to confirm on, so a rollback needs --yes.');
    const declined = cliIo(env, false);
    await assert.rejects(runRollback([project, 'production'], declined), /^NotConfirmed: Nothing was changed\.$|Nothing was changed\./);
    assert.deepEqual(declined.questions, [`Roll back ${project}/production from 1.0.0-rc2 to 1.0.0-rc1?`]);
    assert.equal(await count('production'), before, 'nothing was sent');

    const accepted = cliIo(env, true);
    assert.equal(await runRollback([project, 'production', '--json'], accepted), 0);
    const rollback = Deployment.parse(JSON.parse(accepted.out));
    assert.deepEqual([rollback.kind, rollback.release_candidate_version, rollback.from_release_candidate_version], ['rollback', '1.0.0-rc1', '1.0.0-rc2']);
    await report(server, project, 'production', '1.0.0-rc1', 'in_progress');
    await report(server, project, 'production', '1.0.0-rc1', 'success');

    const promoteAsked = cliIo(env, undefined);
    await assert.rejects(runPromote([project, 'production'], promoteAsked), /production is a production environment: .* a promote needs --yes\./);
    const yes = cliIo(env, undefined);
    assert.equal(await runPromote([project, 'production', '--yes'], yes), 0, yes.err);
    assert.deepEqual(yes.questions, [], '--yes asks nothing');
    assert.match(yes.out, new RegExp(`^Promoting ${project}/production: 1\\.0\\.0-rc1 → 1\\.0\\.0-rc3`));

    // A development-tier environment that is not protected is not asked about.
    const dogfood = cliIo(env, undefined);
    await report(server, project, 'dogfood', '1.0.0-rc1', 'in_progress');
    await report(server, project, 'dogfood', '1.0.0-rc1', 'success');
    await report(server, project, 'dogfood', '1.0.0-rc2', 'in_progress');
    await report(server, project, 'dogfood', '1.0.0-rc2', 'success');
    assert.equal(await runRollback([project, 'dogfood'], dogfood), 0, dogfood.err);
    assert.deepEqual(dogfood.questions, []);
  });

  void it('promote says when the candidate failed or was rolled back in the last 24 hours, and where', async () => {
    const project = await createProject(server);
    await deploySuccessfully(server, project, 'dogfood', '1.0.0-rc2');
    await report(server, project, 'canary', '1.0.0-rc2', 'in_progress');
    await report(server, project, 'canary', '1.0.0-rc2', 'failure', 'error rate 4.2% above 1%');
    const io = cliIo(env, true);
    assert.equal(await runPromote([project, 'canary'], io), 0, io.err);
    assert.match(io.err, /^Warning: 1\.0\.0-rc2 failed in canary (just now|\d+s ago): error rate 4\.2% above 1%\.\n$/);
    assert.match(io.questions[0] ?? '', new RegExp(`^Promote ${project}/canary from nothing to 1\\.0\\.0-rc2\\?$`));
  });

  void it('errors name the project or environment they could not find', async () => {
    const project = await createProject(server);
    const missing = cliIo(env);
    await assert.rejects(runStatus(['nosuch'], missing), (error: unknown) =>
      error instanceof Error && error.message.startsWith(`No project "nosuch" on ${server.url} (its projects: `) && error.message.includes(project));
    await assert.rejects(runPromote([project, 'moon', '--yes'], cliIo(env)),
      new RegExp(`Project ${project} has no environment "moon" \\(its environments: dogfood, canary, rollout, production\\)`));
    await assert.rejects(runRollback([project, 'moon', '--yes'], cliIo(env)), /has no environment "moon"/);
  });

  void it('token create --data-dir on a data dir a server holds says so and names --server', async () => {
    assert.ok(server.dataDir);
    const io = { stdout: () => undefined, stderr: () => undefined, env: {} };
    await assert.rejects(runToken(['create', '--role', 'viewer', '--name', 'x', '--data-dir', server.dataDir], io), (error: unknown) =>
      error instanceof UsageError && error.message.includes('is in use by a running server')
      && error.message.includes('flightdeck token create --role R --name N --server URL'));
  });
});
