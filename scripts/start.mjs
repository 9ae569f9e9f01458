// `npm start`: builds Flightdeck, prepares the demo (a git repository and a release server data dir
// with the `payments` project), and opens VS Code with the extension loaded against its embedded server:
// desktop `code` when it is on PATH, else the offline code-server on 127.0.0.1, whose URL it prints.
// Once the extension has started the embedded server (its state file appears beside the demo data: the
// workbench is up), it prints that server's URL and the demo's CLI token, and starts the showcase rollout,
// so the story begins when someone is watching. Ctrl+C stops the demo's services (and code-server).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, watch } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const demoDir = join(root, '.flightdeck-demo');
const dataDir = join(demoDir, 'data');
const repoDir = join(demoDir, 'payments');
// Written by the extension (src/client/embeddedState.ts) and by `flightdeck demo`.
const stateFile = join(demoDir, 'data.server.json');
const tokenFile = join(demoDir, 'data.cli-token');
const reset = process.argv.includes('--reset');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`npm start: ${command} ${args.join(' ')} failed`);
    process.exit(result.status ?? 1);
  }
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The embedded server the extension started for the demo data, once its process is up. */
function runningEmbeddedServer() {
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    return typeof state.url === 'string' && Number.isInteger(state.pid) && isAlive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves when the extension has written the state file of a live embedded server (no polling). */
function embeddedServerUp() {
  return new Promise((resolvePromise) => {
    const found = runningEmbeddedServer();
    if (found) return resolvePromise(found);
    const watcher = watch(demoDir, () => {
      const state = runningEmbeddedServer();
      if (!state) return;
      watcher.close();
      resolvePromise(state);
    });
  });
}

/** The CLI against the demo's embedded server, which it finds (with the demo token) through the data dir. */
function cli(args) {
  const cliEnv = { ...process.env, FLIGHTDECK_EMBEDDED_DATA_DIR: dataDir };
  delete cliEnv.FLIGHTDECK_SERVER;
  delete cliEnv.FLIGHTDECK_TOKEN;
  return spawnSync(process.execPath, [join(root, 'dist/cli.js'), ...args], { cwd: root, stdio: 'inherit', env: cliEnv });
}

if (!existsSync(join(root, 'node_modules', 'esbuild'))) run('npm', ['ci', '--no-audit', '--no-fund']);
console.log('Building…');
run(process.execPath, ['esbuild.mjs']);
mkdirSync(demoDir, { recursive: true });
run(process.execPath, ['dist/cli.js', 'demo', '--data-dir', dataDir, '--repo-dir', repoDir, '--defer-showcase', ...(reset ? ['--reset'] : [])]);

const env = { ...process.env, FLIGHTDECK_EMBEDDED_DATA_DIR: dataDir };
delete env.FLIGHTDECK_SERVER;

let stopVsCode = async () => undefined;
if (onPath('code') && !process.env.FLIGHTDECK_USE_CODE_SERVER) {
  // A user-data dir of its own makes `code` start a new instance, which is the one that gets `env`.
  const userData = join(demoDir, 'vscode-user');
  spawn('code', ['--new-window', '--user-data-dir', userData, `--extensionDevelopmentPath=${root}`, repoDir], { env, stdio: 'inherit', detached: true }).unref();
  console.log(`Opened VS Code on ${repoDir} with Flightdeck loaded (see the Flightdeck icon in the activity bar).`);
} else {
  if (!existsSync(join(root, '.vscode-test/code-server/installed-version'))) {
    console.log('No `code` on PATH: installing the offline VS Code (code-server) once…');
    run('bash', [join(root, 'scripts/install-system-packages.sh'), 'code-server']);
    run('bash', [join(root, 'test/vscode/harness/install-vscode.sh')]);
  }
  const { startCodeServer } = await import('../test/vscode/harness/code-server.mjs');
  const server = await startCodeServer({
    extensionDevelopmentPath: root,
    env,
    userSettings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
  stopVsCode = () => server.stop();
  const url = server.workbenchUrl({ folder: repoDir });
  console.log(`\nFlightdeck is running in VS Code (code-server ${execFileSync(process.execPath, ['-p', "require('./.vscode-test/code-server/node_modules/code-server/package.json').version"], { cwd: root, encoding: 'utf8' }).trim()}).`);
  console.log(`Open this URL in a browser on this machine:\n\n  ${url}\n`);
}
console.log('The demo project is "payments"; its repository is .flightdeck-demo/payments. Press Ctrl+C to stop the demo.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  // The four demo services run in process groups of their own: stop them, whatever VS Code does.
  cli(['demo', 'stop', '--data-dir', dataDir]);
  await stopVsCode();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

console.log('Waiting for VS Code to start Flightdeck\'s embedded server…');
const embedded = await embeddedServerUp();
const token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '(none: run npm start -- --reset)';
console.log(`
Release server (embedded, started by VS Code): ${embedded.url}
Demo token (deployer, also in .flightdeck-demo/data.cli-token): ${token}

The CLI finds both by itself while VS Code runs:
  node dist/cli.js status payments
From another machine or tool: FLIGHTDECK_SERVER=${embedded.url} FLIGHTDECK_TOKEN=${token} …
`);
// The showcase rollout starts now that the workbench is up (once: a second npm start says it already ran).
cli(['demo', 'showcase']);
