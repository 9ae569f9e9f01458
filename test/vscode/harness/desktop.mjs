// `npm run test:desktop`: the same mocha suites as the VS Code tier, in desktop VS Code through
// @vscode/test-electron, for machines that can download VS Code (it fetches the build from
// update.code.visualstudio.com into .vscode-test/). Offline, use `npm run test:vscode` (code-server).
//
//   node test/vscode/harness/desktop.mjs [--version 1.100.3|stable|insiders]
//
// Default version: 1.100.3, the minimum engines.vscode accepts (and what the code-server tier runs);
// `--version stable` checks the newest release as well. Needs the bundles (`node esbuild.mjs --tests`)
// and, on Linux without a display, xvfb (`xvfb-run -a npm run test:desktop`).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runTests } from '@vscode/test-electron';
import { REPO_ROOT } from './code-server.mjs';
import { TEST_GIT_ENV, makeGitWorkspace } from './workspace.mjs';

const { values: args } = parseArgs({ options: { version: { type: 'string', default: '1.100.3' } } });
const extensionTestsPath = join(REPO_ROOT, 'out/test/vscode/suite/index.js');

if (!existsSync(extensionTestsPath)) {
  console.error(`${extensionTestsPath} does not exist: build the suites first with \`node esbuild.mjs --tests\``);
  process.exit(1);
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.error('warning: no DISPLAY; desktop VS Code needs one on Linux (run under `xvfb-run -a`)');
}

const profile = mkdtempSync(join(tmpdir(), 'flightdeck-desktop-'));
const { dir: workspace } = makeGitWorkspace();
let exitCode = 1;
try {
  exitCode = await runTests({
    version: args.version,
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath,
    // Same contract as run-suites.mjs: see the comment at its top.
    extensionTestsEnv: { FLIGHTDECK_TOKEN: randomBytes(24).toString('hex'), FLIGHTDECK_REPO_ROOT: REPO_ROOT, ...TEST_GIT_ENV },
    launchArgs: [
      workspace,
      '--disable-extensions', // other installed extensions; the one under development still loads
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--user-data-dir', join(profile, 'user-data'),
      '--extensions-dir', join(profile, 'extensions'),
    ],
  });
} catch (error) {
  const message = String(error?.message ?? error);
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|fetch failed|getaddrinfo|socket hang up|network/i.test(message)) {
    console.error(`test:desktop: could not download VS Code ${args.version} (${message.split('\n')[0]}).\n`
      + 'This machine cannot reach update.code.visualstudio.com, which is expected offline. '
      + 'Run the same suites in code-server instead: npm run test:vscode');
  } else {
    console.error(`test:desktop: VS Code could not run the suites: ${error?.stack ?? message}`);
  }
  exitCode = 1;
} finally {
  rmSync(profile, { recursive: true, force: true });
  rmSync(workspace, { recursive: true, force: true });
}
process.exit(exitCode);
