// The VS Code tier: runs the mocha suites (out/test/vscode/suite/index.js, built by
// `node esbuild.mjs --tests`) inside code-server's real Node extension host, with the extension under
// test loaded from the repo root as in F5 debugging. Prints the suites' output and exits with their code.
//
//   node test/vscode/harness/run-suites.mjs [--extension <dir>] [--tests <compiled index.js>]
//
// env: FLIGHTDECK_VSCODE_TIMEOUT_MS (whole run, default 300000), FLIGHTDECK_KEEP_TMP=1 (keep temp dirs),
//      FLIGHTDECK_VSCODE_VERBOSE=1 (also print workbench page errors and the marketplace probe),
//      FLIGHTDECK_VSCODE_EXTENSION_PATH (same as --extension).
//
// What the suites get, in the extension host's process.env:
//   FLIGHTDECK_TOKEN      a random token for this run; suites start `dist/cli.js serve` with
//                         FLIGHTDECK_ADMIN_TOKEN set to it, and the extension reads it as its token.
//   FLIGHTDECK_REPO_ROOT  the repo root (dist/cli.js lives under it).
//   GIT_AUTHOR_* / GIT_COMMITTER_*  so suites can commit in test repos without global git config.
// The workspace folder is a fresh git repo with one commit on `main` and origin
// https://github.com/flightdeck-test/payments.git (workspace.mjs).
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format, parseArgs } from 'node:util';
import { REPO_ROOT, startCodeServer } from './code-server.mjs';
import { enableSmokeTestDriver, launchChromium } from './workbench.mjs';
import { TEST_GIT_ENV, makeGitWorkspace } from './workspace.mjs';

const { values: args } = parseArgs({
  options: {
    // Another extension folder: for checking the harness itself with a throwaway extension.
    extension: { type: 'string', default: process.env.FLIGHTDECK_VSCODE_EXTENSION_PATH || REPO_ROOT },
    tests: { type: 'string', default: join(REPO_ROOT, 'out/test/vscode/suite/index.js') },
  },
});
const extensionPath = resolve(args.extension);
const testsPath = resolve(args.tests);
const timeoutMs = Number(process.env.FLIGHTDECK_VSCODE_TIMEOUT_MS || 300_000);
const verbose = process.env.FLIGHTDECK_VSCODE_VERBOSE === '1';
const keepTemp = process.env.FLIGHTDECK_KEEP_TMP === '1';

const startedAt = Date.now();
const note = (message) => console.log(`[vscode-harness ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${message}`);

// code-server probes its extension marketplace (open-vsx.org), which is unreachable offline: harmless.
const MARKETPLACE_PROBE = /ENOTFOUND open-vsx\.org|^Canceled$/;
const workbenchLog = [];
let suitesStarted = false;
let server;
let browser;
let workspace;
let finishing = false;

async function finish(code, reason) {
  if (finishing) return;
  finishing = true;
  // Closing the browser while the page is still being set up makes Playwright throw from its message
  // loop ("Cannot find parent object"); we are shutting down anyway, so do not die of it half-way.
  process.on('uncaughtException', (error) => console.error(`[vscode-harness] during shutdown: ${error.message}`));
  clearTimeout(timer);
  if (reason) console.error(`[vscode-harness] ${reason}`);
  try { await browser?.close(); } catch { /* already closed */ }
  await server?.stop();
  removeWorkspace();
  note(`exit code ${code}`);
  process.exit(code);
}

function removeWorkspace() {
  if (workspace && !keepTemp) rmSync(workspace, { recursive: true, force: true });
}
process.once('exit', removeWorkspace); // also when we die of an error before finish()

const timer = setTimeout(() => {
  if (!suitesStarted && workbenchLog.length > 0) console.error(`workbench output:\n${workbenchLog.join('\n')}`);
  const tail = server ? `\n--- code-server output (last 40 lines) ---\n${server.log().split('\n').slice(-40).join('\n')}` : '';
  void finish(1, `TIMEOUT: the suites did not finish within ${timeoutMs / 1000} s (FLIGHTDECK_VSCODE_TIMEOUT_MS)${tail}`);
}, timeoutMs);

// Stopped from outside (Ctrl-C, or scripts/test.mjs's tier timeout): still stop code-server and Chromium.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void finish(1, `stopped by ${signal}`));

try {
  if (!existsSync(testsPath)) {
    throw new Error(`${testsPath} does not exist: build the suites first with \`node esbuild.mjs --tests\``);
  }
  if (!existsSync(join(extensionPath, 'package.json'))) {
    throw new Error(`${extensionPath} has no package.json: not an extension folder`);
  }
  workspace = makeGitWorkspace().dir;
  server = await startCodeServer({
    extensionDevelopmentPath: extensionPath,
    env: {
      FLIGHTDECK_TOKEN: randomBytes(24).toString('hex'),
      FLIGHTDECK_REPO_ROOT: REPO_ROOT,
      ...TEST_GIT_ENV,
    },
  });
  note(`code-server up at ${server.url}`);

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  if (verbose) page.on('pageerror', (error) => console.error('[workbench page error]', error.message));
  // The workbench sends its own console and the extension host's here while it runs extension tests...
  await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
    // Arguments as given to console.log in the page or extension host, format string first (mocha uses %s).
    const line = format(...(Array.isArray(logArgs) ? logArgs : [logArgs]));
    const isError = type === 'error' || type === 'warn';
    if (!suitesStarted) {
      // Workbench start-up chatter ("Creating a socket ...") is kept back and shown only if the run
      // fails before the suites start; index.ts's first line marks the start.
      if (!line.startsWith('running inside VS Code')) { workbenchLog.push(line); return; }
      suitesStarted = true;
    }
    if (MARKETPLACE_PROBE.test(line) && !verbose) return;
    (isError ? console.error : console.log)(line);
  });
  // ...and calls this with 0 (every test passed) or 1 (a failure, or the tests module would not load).
  await page.exposeFunction('codeAutomationExit', (code) => {
    const failed = Number(code) !== 0;
    const reason = failed && !suitesStarted
      ? `the suites never started; workbench output:\n${workbenchLog.join('\n')}` : undefined;
    void finish(failed ? 1 : 0, reason);
  });
  await enableSmokeTestDriver(page);
  await page.goto(server.workbenchUrl({ folder: workspace, extensionTestsPath: testsPath }));
  note('workbench loading; suites run in the extension host');
} catch (error) {
  await finish(1, `could not run the VS Code suites: ${error.stack || error}`);
}
