// `npm start`: builds Flightdeck, prepares the demo (a git repository and a release server data dir
// with the `payments` project), and opens VS Code with the extension loaded against its embedded server:
// desktop `code` when it is on PATH, else the offline code-server on 127.0.0.1, whose URL it prints.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const demoDir = join(root, '.flightdeck-demo');
const dataDir = join(demoDir, 'data');
const repoDir = join(demoDir, 'payments');
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

if (!existsSync(join(root, 'node_modules', 'esbuild'))) run('npm', ['ci', '--no-audit', '--no-fund']);
console.log('Building…');
run(process.execPath, ['esbuild.mjs']);
mkdirSync(demoDir, { recursive: true });
run(process.execPath, ['dist/cli.js', 'demo', '--data-dir', dataDir, '--repo-dir', repoDir, ...(reset ? ['--reset'] : [])]);

const env = { ...process.env, FLIGHTDECK_EMBEDDED_DATA_DIR: dataDir };
delete env.FLIGHTDECK_SERVER;

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
  const url = server.workbenchUrl({ folder: repoDir });
  console.log(`\nFlightdeck is running in VS Code (code-server ${execFileSync(process.execPath, ['-p', "require('./.vscode-test/code-server/node_modules/code-server/package.json').version"], { cwd: root, encoding: 'utf8' }).trim()}).`);
  console.log(`Open this URL in a browser on this machine:\n\n  ${url}\n`);
  console.log('The demo project is "payments"; its repository is .flightdeck-demo/payments. Press Ctrl+C to stop.');
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
