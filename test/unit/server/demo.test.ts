// The demo's agent (src/cli/demoAgent.ts): a service started as `flightdeck demo service` in a process group
// of its own answers the live version and its health, a deploy makes a version live, a rollback mends the
// broken health, and stopping the demo ends the service's whole process group (what Ctrl+C on npm start does).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { answers, breakFile, freePort, runDemoDeploy, stopServices } from '../../../src/cli/demoAgent';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');


async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

void describe('the demo agent', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-demo-agent-'));
  const runtime = path.join(base, 'deploy');
  fs.mkdirSync(runtime);
  after(() => {
    stopServices(runtime);
    fs.rmSync(base, { recursive: true, force: true });
  });

  void it('serves the live version and its health; a rollback mends it; stop ends the process group', async () => {
    const port = await freePort();
    const service = spawn(process.execPath, ['--import', pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, path.join(REPO_ROOT, 'src/cli/main.ts'), 'demo', 'service', 'canary', String(port)], {
      cwd: runtime, detached: true, stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => service.once('exit', (code, signal) => resolve(signal ?? code)));
    await until('the canary service to answer', async () => (await answers(port)) ? true : undefined);
    const deployEnv = (kind: string): NodeJS.ProcessEnv => ({
      FLIGHTDECK_VERSION: '1.3.1-rc1', FLIGHTDECK_COMMIT: 'ab'.repeat(20), FLIGHTDECK_PERCENT: '10', FLIGHTDECK_DEPLOYMENT_ID: '7',
      FLIGHTDECK_KIND: kind, FLIGHTDECK_ATTEMPT: '1',
    });
    assert.equal(await runDemoDeploy(runtime, 'canary', port, deployEnv('promote')), 0);
    const live = await (await fetch(`http://127.0.0.1:${port}/`)).json() as Record<string, unknown>;
    assert.deepEqual([live.environment, live.version, live.percent], ['canary', '1.3.1-rc1', 10]);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);

    fs.writeFileSync(breakFile(runtime, 'canary'), '');
    const broken = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(broken.status, 500);
    assert.match(String((await broken.json() as Record<string, unknown>).error), /37% of charges failing/);
    assert.equal(await runDemoDeploy(runtime, 'canary', port, deployEnv('auto_rollback')), 0);
    assert.equal(fs.existsSync(breakFile(runtime, 'canary')), false, 'the rollback removed the break file');
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    assert.match(fs.readFileSync(path.join(runtime, 'canary.log'), 'utf8'), /rollback: removed /);

    assert.equal(fs.readFileSync(path.join(runtime, 'canary.pid'), 'utf8'), String(service.pid));
    assert.deepEqual(stopServices(runtime), ['canary']);
    assert.equal(await exited, 0, 'the service stopped on SIGTERM to its group');
    assert.equal(await answers(port), false);
  });
});
