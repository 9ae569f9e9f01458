// Mocha entry point loaded by VS Code's extension host (the workbench's `extensionTestsPath`): runs every
// `*.test.js` bundled beside this file (esbuild.mjs --tests) with the real `vscode` API.
// test/vscode/harness/run-suites.mjs (code-server) and desktop.mjs (@vscode/test-electron) both load it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

/** Printed once at the end; scripts/test.mjs and run-suites.mjs read the counts from it. */
const SUMMARY_PREFIX = 'VSCODE-TIER:';
/** Printed for each failure, with the test's file (scripts/soak.mjs reads it). */
const FAILED_PREFIX = 'VSCODE-TIER-FAILED:';

export async function run(): Promise<void> {
  console.log(`running inside VS Code ${vscode.version}`);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    // FLIGHTDECK_VSCODE_ONLY=loud,tree runs only those suites (while working on one; the tier runs all).
    const only = (process.env.FLIGHTDECK_VSCODE_ONLY ?? '').split(',').filter(Boolean);
    const files = fs.readdirSync(__dirname).filter((name) => name.endsWith('.test.js'))
      .filter((name) => only.length === 0 || only.some((prefix) => name.startsWith(prefix))).sort();
    if (files.length === 0) throw new Error(`no *.test.js files in ${__dirname} (build with: node esbuild.mjs --tests)`);

    // color off: the output is read as plain text through the browser (code-server) or a pipe (desktop).
    const mocha = new Mocha({ ui: 'bdd', timeout: 20_000, color: false, reporter: 'spec' });
    for (const file of files) mocha.addFile(path.join(__dirname, file));
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', () => { passed += 1; });
      // 'fail' also fires for failing hooks, which mocha counts as failures too.
      runner.on('fail', (test: Mocha.Runnable) => {
        failed += 1;
        // One line per failure that names its file: scripts/soak.mjs counts failures per test with it.
        console.log(`${FAILED_PREFIX} ${test.file ? path.basename(test.file).replace(/\.js$/, '.ts') : '(unknown file)'} › ${test.fullTitle()}`);
      });
      runner.on('pending', () => { skipped += 1; });
    });
  } catch (error) {
    console.error('VS Code test suite could not run:', error);
    failed += 1;
  }
  console.log(`${SUMMARY_PREFIX} ${passed} passed, ${failed} failed, ${skipped} skipped`);
  // Rejecting is how the extension host learns the run failed (exit code 1).
  if (failed > 0) throw new Error(`${failed} VS Code test(s) failed`);
}
