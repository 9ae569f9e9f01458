// `flightdeck approvals | approve | reject | block | unblock` against a real server: the inbox as a table
// and as JSON, the server's refusals passed on, errors that name what exists, and --help on each.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { Deployment, Release } from '../../../src/api/schemas';
import { runApprovals, runApprove, runBlock, runReject, runUnblock } from '../../../src/cli/approvals';
import { UsageError } from '../../../src/cli/args';
import { runStatus, type CliIo } from '../../../src/cli/remote';
import { COMMAND_USAGE, helpFor } from '../../../src/cli/usage';
import { startTestServer, type TestServer } from '../helpers/server';
import { createProject, deploymentsPath, standardLadder, uniqueName } from './contract/fixtures';

interface TestIo extends CliIo {
  out: string;
  err: string;
}

void describe('flightdeck approvals, approve, reject, block, unblock', () => {
  let server: TestServer;
  let project: string;
  const people: Record<'ana' | 'bob', { name: string; token: string }> = { ana: { name: '', token: '' }, bob: { name: '', token: '' } };
  const io = (who: 'ana' | 'bob'): TestIo => {
    const result: TestIo = {
      out: '', err: '', env: { FLIGHTDECK_SERVER: server.url, FLIGHTDECK_TOKEN: people[who].token },
      stdout: (text) => { result.out += text; },
      stderr: (text) => { result.err += text; },
      now: () => Date.now(),
    };
    return result;
  };
  const request = async (who: 'ana' | 'bob', rc: string): Promise<Deployment> => {
    const response = await server.request('POST', deploymentsPath(project, 'production'), { release_candidate_version: rc }, { token: people[who].token });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return Deployment.parse(response.body);
  };

  before(async () => {
    server = await startTestServer({ backend: 'pglite' });
    for (const who of ['ana', 'bob'] as const) {
      const name = uniqueName(who);
      people[who] = { name, token: await server.createToken('deployer', name) };
    }
    const ladder = standardLadder();
    project = await createProject(server, {
      spec: { ...ladder, environments: ladder.environments.map((env) => env.name === 'production' ? { ...env, required_approvals: 1 } : env) },
    });
  });
  after(async () => { await server.close(); });

  void it('lists what awaits approval, approves it (never one\'s own), and names the deployments that wait when the id is wrong', async () => {
    const empty = io('bob');
    assert.equal(await runApprovals(['--project', project], empty), 0);
    assert.equal(empty.out, `Nothing awaits approval in ${project}.\n`);

    const d = await request('ana', '1.0.0-rc1');
    const table = io('bob');
    assert.equal(await runApprovals([], table), 0, table.err);
    assert.match(table.out, new RegExp(`^#${d.id}\\s+${project}/production\\s+nothing → 1\\.0\\.0-rc1\\s+awaiting approval · requested by ${people.ana.name}\\s+asked just now\\s+expires in 2[34] h`, 'm'));
    const status = io('bob');
    assert.equal(await runStatus([project], status), 0);
    assert.match(status.out, new RegExp(`production .*→ 1\\.0\\.0-rc1 pending \\(awaiting approval · requested by ${people.ana.name}\\)`));
    const json = io('bob');
    assert.equal(await runApprovals(['--project', project, '--json'], json), 0);
    assert.deepEqual(z.array(Deployment).parse(JSON.parse(json.out)).map((x) => x.id), [d.id]);
    await assert.rejects(runApprovals(['--project', 'nosuch'], io('bob')), /No project "nosuch" on .* \(its projects: /);

    await assert.rejects(runApprove([project, d.id], io('ana')), new RegExp(`Nobody approves their own change: deployment ${d.id} was requested by ${people.ana.name}`));
    await assert.rejects(runApprove([project, '999999'], io('bob')),
      new RegExp(`Project ${project} has no deployment 999999 \\(awaiting approval there: #${d.id} \\(production, 1\\.0\\.0-rc1\\)\\)`));
    await assert.rejects(runApprove([project], io('bob')), UsageError);

    const approved = io('bob');
    assert.equal(await runApprove([project, d.id, '--comment', 'ship it'], approved), 0, approved.err);
    assert.equal(approved.out, `Approved ${project}/production nothing → 1.0.0-rc1 (deployment ${d.id}): approved by ${people.bob.name} — it starts now (pending)\n`);
    const after = Deployment.parse((await server.request('GET', `/api/releases/${project}/deployments/${d.id}`)).body);
    assert.deepEqual(after.approval?.approvals.map((v) => v.comment), ['ship it']);
    // Deploy type none: the pipeline finishes it.
    for (const status of ['in_progress', 'success']) {
      await server.request('PATCH', deploymentsPath(project, 'production'), { release_candidate_version: '1.0.0-rc1', status });
    }
  });

  void it('rejects and withdraws, with the reason', async () => {
    const d = await request('ana', '1.0.0-rc2');
    const withdrawn = io('ana');
    assert.equal(await runReject([project, d.id, '--comment', 'wrong candidate', '--json'], withdrawn), 0, withdrawn.err);
    const parsed = Deployment.parse(JSON.parse(withdrawn.out));
    assert.equal(parsed.status, 'canceled');
    assert.equal(parsed.error_message, `Rejected by ${people.ana.name}: wrong candidate`);
    const again = await request('ana', '1.0.0-rc2');
    const rejected = io('bob');
    assert.equal(await runReject([project, again.id], rejected), 0);
    assert.equal(rejected.out, `Rejected ${project}/production 1.0.0-rc1 → 1.0.0-rc2 (deployment ${again.id}): canceled — Rejected by ${people.bob.name}\n`);
    await assert.rejects(runReject([project, again.id], io('bob')), new RegExp(`Deployment ${again.id} is not awaiting approval`));
  });

  void it('blocks and unblocks a candidate; a wrong candidate names the project\'s newest', async () => {
    const blocked = io('bob');
    assert.equal(await runBlock([project, '1.0.0-rc3', '--reason', 'corrupts the cache'], blocked), 0, blocked.err);
    assert.match(blocked.out, new RegExp(`^Blocked ${project} 1\\.0\\.0-rc3 \\(by ${people.bob.name}\\): corrupts the cache\\. Nothing deploys`));
    const refused = await server.request('POST', deploymentsPath(project, 'dogfood'), { release_candidate_version: '1.0.0-rc3' });
    assert.equal(refused.status, 409);
    assert.equal((refused.body as { error: string }).error, 'Release candidate 1.0.0-rc3 is blocked: corrupts the cache');
    await assert.rejects(runBlock([project, '1.0.0-rc3'], io('bob')), UsageError);
    await assert.rejects(runBlock([project, '9.9.9-rc1', '--reason', 'x'], io('bob')),
      new RegExp(`Project ${project} has no release candidate 9\\.9\\.9-rc1 \\(its newest: 1\\.0\\.0-rc3, 1\\.0\\.0-rc2, 1\\.0\\.0-rc1\\)`));
    const json = io('bob');
    assert.equal(await runUnblock([project, '1.0.0-rc3', '--json'], json), 0);
    assert.equal(Release.parse(JSON.parse(json.out)).candidates.find((c) => c.release_candidate_version === '1.0.0-rc3')?.blocked, null);
    const text = io('bob');
    assert.equal(await runUnblock([project, '1.0.0-rc3'], text), 0);
    assert.equal(text.out, `Unblocked ${project} 1.0.0-rc3.\n`);
  });

  void it('--help on each command', () => {
    for (const command of ['approvals', 'approve', 'reject', 'block', 'unblock']) {
      assert.match(helpFor(command, ['--help']) ?? '', new RegExp(`^usage: flightdeck ${command}\\b`), command);
      assert.equal(helpFor(command, ['-h', '--bogus']), `${COMMAND_USAGE[command]}\n`);
    }
  });
});
