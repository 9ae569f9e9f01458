// The `flightdeck` command as npm ships it: `npm run pack:cli` (scripts/package.mjs --cli) makes the
// tarball from a production build; installed on a "clean machine" (an empty project, an empty npm cache,
// --offline, and no network at all where `unshare -rn` can take it away), `npx flightdeck --version`
// prints package.json's version and `npx flightdeck serve` answers /healthz with it.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const SHIPPED = ['CHANGELOG.md', 'LICENSE', 'README.md', 'dist/cli.js', 'dist/initdb.wasm', 'dist/pglite.data', 'dist/pglite.wasm', 'dist/server.js', 'package.json'];

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-npm-pack-'));
const app = path.join(temp, 'app');
const cache = path.join(temp, 'empty-npm-cache');
const home = path.join(temp, 'home');
after(() => fs.rmSync(temp, { recursive: true, force: true }));

/** No network for the command when this machine can take it away (a fresh, empty network namespace). */
const isolated = spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore' }).status === 0;
function offline(command: string, args: string[]): [string, string[]] {
  return isolated ? ['unshare', ['-rn', command, ...args]] : [command, args];
}
/** npm as on a machine that has never installed anything: its own HOME and an empty cache, offline. */
const npmEnv = (): NodeJS.ProcessEnv => ({
  ...process.env, HOME: home, npm_config_cache: cache, npm_config_offline: 'true', npm_config_audit: 'false',
  npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_yes: 'true', FORCE_COLOR: '0',
});

let tarball = '';

void describe('the flightdeck npm package', () => {
  before(() => {
    for (const dir of [app, cache, home]) fs.mkdirSync(dir, { recursive: true });
    const out = execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package.mjs'), '--cli', '--out', temp],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    tarball = path.join(temp, `flightdeck-${version}.tgz`);
    assert.ok(fs.existsSync(tarball), `no ${path.basename(tarball)}; pack:cli said:\n${out}`);
  });

  void it('holds exactly dist/cli.js, the server half it loads (dist/server.js), its PGlite assets, README, CHANGELOG, LICENSE and a manifest with no dependencies', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n')
      .map((line) => line.replace(/^package\//, '')).sort();
    assert.deepEqual(files, SHIPPED);
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as Record<string, unknown>;
    assert.equal(manifest.version, version);
    assert.deepEqual(manifest.bin, { flightdeck: 'dist/cli.js' });
    // Everything is bundled: nothing for `npm install` to fetch.
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'scripts', 'private']) {
      assert.equal(manifest[field], undefined, `the npm manifest has "${field}"`);
    }
    assert.ok(fs.statSync(tarball).size < 15 * 1024 * 1024, `${fs.statSync(tarball).size} bytes`);
  });

  void it('installs offline from an empty cache, and `npx flightdeck --version` prints package.json\'s version', () => {
    fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "clean-machine", "private": true }\n');
    const [command, args] = offline('npm', ['install', tarball, '--no-package-lock', '--offline', '--cache', cache]);
    const install = spawnSync(command, args, { cwd: app, env: npmEnv(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(install.status, 0, `npm install failed (network isolated: ${isolated}):\n${install.stdout}${install.stderr}`);
    assert.deepEqual(fs.readdirSync(path.join(app, 'node_modules')).filter((name) => !name.startsWith('.')), ['flightdeck'],
      'the install brought packages besides flightdeck');
    const [npx, npxArgs] = offline('npx', ['--offline', '--cache', cache, 'flightdeck', '--version']);
    const printed = execFileSync(npx, npxArgs, { cwd: app, env: npmEnv(), encoding: 'utf8', timeout: 30_000 }).trim();
    assert.equal(printed, version);
  });

  void it('`npx flightdeck serve --port 0 --data-dir <tmp>` answers /healthz with that version', async () => {
    assert.ok(fs.existsSync(path.join(app, 'node_modules', '.bin', 'flightdeck')), 'the install test did not run first');
    const dataDir = path.join(temp, 'data');
    // Not in the empty network namespace: the test talks to it over the machine's loopback.
    const child = spawn('npx', ['--offline', '--cache', cache, 'flightdeck', 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: app, env: { ...npmEnv(), FLIGHTDECK_ADMIN_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: npx, its shell and the server stop together
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => { output += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { output += text; });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // The line comes once a fresh PGlite data dir is made (initdb in WASM: slow on a loaded machine);
      // it is awaited as it arrives, with a generous limit for a server that never says it.
      let timer: NodeJS.Timeout | undefined;
      const url = await new Promise<string | undefined>((resolve) => {
        const listening = (): void => {
          const found = /^listening on (http:\/\/\S+)$/m.exec(output)?.[1];
          if (found) resolve(found);
        };
        child.stdout.on('data', listening);
        listening();
        void exited.then(() => resolve(undefined));
        timer = setTimeout(() => resolve(undefined), 120_000);
      }).finally(() => clearTimeout(timer));
      assert.ok(url, `no "listening on" line${child.exitCode !== null ? ` (npx exited with ${child.exitCode})` : ' in 120 s'}:\n${output}`);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${url}/healthz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true, version });
      assert.ok(fs.existsSync(dataDir), 'serve did not create its data dir');
    } finally {
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  });
});
