// Starts code-server (VS Code 1.100.3's real workbench and Node extension host, installed by
// install-vscode.sh) for one test run, isolated from the machine and from other runs:
// its own user-data, extensions and XDG directories in a temp dir, bound to 127.0.0.1 on a free port.
//
//   const server = await startCodeServer({ extensionDevelopmentPath, userSettings, env });
//   await page.goto(server.workbenchUrl({ folder }));   // see workbench.mjs
//   await server.stop();
//
// Environment: `env` is merged into code-server's own environment, and VS Code's server forks every
// extension host with that environment as its base (adding VSCODE_* variables of its own), so it
// reaches the extension host's process.env, where both the suites and the extension under test run.
// Verified on 4.100.3 (VS Code 1.100.3): the first test of suite/activation.test.ts asserts that
// FLIGHTDECK_TOKEN and FLIGHTDECK_REPO_ROOT given by run-suites.mjs are there, and an extension read
// FLIGHTDECK_TOKEN in its activate(). The suites and the extension rely on this for their token.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const CODE_SERVER_BIN = process.env.CODE_SERVER_BIN
  || join(REPO_ROOT, '.vscode-test/code-server/node_modules/.bin/code-server');

/** Settings that keep runs quiet and screenshots clean; callers' userSettings win. */
const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
};

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/**
 * @param {object} [options]
 * @param {string} [options.extensionDevelopmentPath] folder of an unpacked extension, loaded as in F5
 *   debugging (through the workbench URL, see workbenchUrl()).
 * @param {string} [options.vsixPath] a .vsix to install into this run's extensions dir before starting.
 * @param {Record<string, unknown>} [options.userSettings] merged over BASE_SETTINGS into settings.json.
 * @param {Record<string, string>} [options.env] merged into code-server's (and so the extension host's) env.
 * @param {boolean} [options.keepTempDir] keep logs and profile after stop() (also FLIGHTDECK_KEEP_TMP=1).
 */
export async function startCodeServer({
  extensionDevelopmentPath,
  vsixPath,
  userSettings = {},
  env = {},
  keepTempDir = process.env.FLIGHTDECK_KEEP_TMP === '1',
} = {}) {
  if (!existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server is not installed (${CODE_SERVER_BIN}); run: bash test/vscode/harness/install-vscode.sh`);
  }
  const tempDir = mkdtempSync(join(tmpdir(), 'flightdeck-code-server-'));
  const dirs = {
    userData: join(tempDir, 'user-data'),
    extensions: join(tempDir, 'extensions'),
    tmp: join(tempDir, 'tmp'),
    runtime: join(tempDir, 'runtime'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify({ ...BASE_SETTINGS, ...userSettings }, null, 2));
  // An empty config file: without --config, code-server writes ~/.config/code-server/config.yaml
  // (with a generated password). It must be truly empty: a lone newline parses as an invalid config.
  const configFile = join(tempDir, 'config.yaml');
  writeFileSync(configFile, '');

  const childEnv = {
    ...inheritedEnv(),
    // XDG_*: code-server keeps logs, heartbeat and config under them, ~/.local/share and ~/.config otherwise.
    XDG_DATA_HOME: join(tempDir, 'xdg-data'),
    XDG_CONFIG_HOME: join(tempDir, 'xdg-config'),
    XDG_CACHE_HOME: join(tempDir, 'xdg-cache'),
    // VS Code puts its IPC sockets in XDG_RUNTIME_DIR (else TMPDIR): keep them per run.
    XDG_RUNTIME_DIR: dirs.runtime,
    TMPDIR: dirs.tmp,
    ...env,
  };
  const commonArgs = ['--config', configFile, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];

  if (vsixPath) {
    // `--install-extension` without `--start-server` installs and exits: the server below then finds
    // the extension in its extensions dir like any user-installed one.
    try {
      const { stdout } = await promisify(execFile)(CODE_SERVER_BIN,
        [...commonArgs, '--install-extension', resolve(vsixPath), '--force'], { env: childEnv, timeout: 60_000 });
      if (!/successfully installed/i.test(stdout)) throw new Error(stdout.trim() || 'no output');
    } catch (error) {
      rmSync(tempDir, { recursive: true, force: true });
      throw new Error(`code-server could not install ${vsixPath}: ${error.stderr || error.message}`);
    }
  }

  // Port 0: code-server lets the kernel pick a free port and prints it, so parallel runs cannot collide.
  const child = spawn(CODE_SERVER_BIN, [
    ...commonArgs,
    '--bind-addr', '127.0.0.1:0',
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
  ], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: stop() can then end code-server *and* the extension host, pty host and file
    // watcher it forked, by code-server's own PID, without touching anything else on the machine.
    detached: true,
  });
  let log = '';
  const onOutput = (chunk) => { log += chunk; };
  child.stdout.setEncoding('utf8').on('data', onOutput);
  child.stderr.setEncoding('utf8').on('data', onOutput);
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  // If this Node process exits without calling stop() (or while stop() is still waiting), do not
  // leave code-server or its files behind. ('exit' handlers must be synchronous.)
  const killOnExit = () => {
    killGroup(child.pid, 'SIGKILL');
    if (!keepTempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child.pid, 'SIGTERM');
      const graceful = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
      if (!graceful) killGroup(child.pid, 'SIGKILL');
    }
    // Its children may outlive it by a moment after SIGTERM; make sure none keeps the temp dir busy.
    killGroup(child.pid, 'SIGKILL');
    if (keepTempDir) {
      writeFileSync(join(tempDir, 'code-server.log'), log);
      console.error(`code-server files kept in ${tempDir}`);
    } else {
      rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
    }
    process.removeListener('exit', killOnExit);
  };

  try {
    const url = await waitForListening(() => log, exited);
    const { host, port } = new URL(url);
    return {
      url,
      host,
      port: Number(port),
      tempDir,
      pid: child.pid,
      /** code-server's own output so far (for failure messages). */
      log: () => log,
      stop,
      /**
       * The workbench URL for `folder`. VS Code's CLI options for extension development and tests are
       * not accepted by code-server's CLI, but the web workbench reads the same options from the URL's
       * `payload` (how VS Code runs its own browser integration tests); paths are vscode-remote URIs.
       */
      workbenchUrl({ folder, extensionTestsPath } = {}) {
        const remote = (path) => `vscode-remote://${host}${resolve(path)}`;
        const payload = [['skipWelcome', 'true']];
        if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
        if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
        const query = new URLSearchParams();
        if (folder) query.set('folder', resolve(folder));
        query.set('payload', JSON.stringify(payload));
        return `${url}?${query}`;
      },
    };
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n--- code-server output ---\n${log}`);
  }
}

/**
 * The parent's environment minus what would make code-server misbehave when the tests themselves are
 * started from a VS Code terminal: VSCODE_IPC_HOOK_CLI turns `code-server` into a client of *that*
 * VS Code, and ELECTRON_RUN_AS_NODE / other VSCODE_* leak the outer editor's state into the extension host.
 */
function inheritedEnv() {
  return Object.fromEntries(Object.entries(process.env)
    .filter(([name]) => !name.startsWith('VSCODE_') && name !== 'ELECTRON_RUN_AS_NODE'));
}

async function waitForListening(getLog, exited) {
  let exit;
  exited.then((result) => { exit = result; });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit) throw new Error(`code-server exited during start-up (code ${exit.code}, signal ${exit.signal})`);
    const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\/?/.exec(getLog());
    if (match) {
      const url = `${match[1]}/`;
      try {
        if ((await fetch(`${url}healthz`)).ok) return url;
      } catch { /* not accepting connections yet */ }
    }
    await delay(100);
  }
  throw new Error(`code-server did not start within ${START_TIMEOUT_MS / 1000} s`);
}

function killGroup(pid, signal) {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

function delay(ms) {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}
