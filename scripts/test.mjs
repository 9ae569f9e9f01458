// `npm test`: every test tier in order, each tier's output live, then one summary.
//
//   node scripts/test.mjs                    all tiers
//   node scripts/test.mjs unit vscode        only these (in the canonical order)
//   node scripts/test.mjs --no-build vscode  skip the build that vscode/ui otherwise get first
//
// Tiers: typecheck, lint, unit, build, vscode, ui, package (see TIERS). A tier counts checks: typecheck,
// lint and build are one check each (the exit codes of their commands); unit, vscode, ui and package report their own counts. A tier that crashes
// or prints no count counts as 1 failed. The last line is exactly `N passed, M failed, K skipped` (skipped:
// node:test's skipped and todo tests, mocha's pending ones, so a machine that runs fewer tests, say without
// PostgreSQL, says so); exit code 1 if anything failed. Every tier runs even after a failure, so the summary
// is complete.
//
// After the tiers that run servers, one more check, `logs`: no token in any of their logs or output
// (scripts/test-logs.mjs; the tiers' servers log to FLIGHTDECK_TEST_LOG_DIR, a temp dir kept only if it
// finds one).
//
// env: FLIGHTDECK_TIER_TIMEOUT_MS (per tier, default 1200000), FLIGHTDECK_UNIT_CONCURRENCY (test files
//      run in parallel by the unit tier; default: the number of cores).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTokensInLogs } from './test-logs.mjs';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const bin = (name) => join(REPO_ROOT, 'node_modules', '.bin', name);
const TIER_TIMEOUT_MS = Number(process.env.FLIGHTDECK_TIER_TIMEOUT_MS || 20 * 60_000);

/** Counts from an output: the last `<PREFIX> N passed, M failed[, K skipped]` line. */
const summaryLine = (prefix) => (output) => {
  const matches = [...output.matchAll(new RegExp(`^${prefix} (\\d+) passed, (\\d+) failed(?:, (\\d+) skipped)?\\s*$`, 'gm'))];
  const last = matches.at(-1);
  return last ? { passed: Number(last[1]), failed: Number(last[2]), skipped: Number(last[3] ?? 0) } : undefined;
};

/** Counts from node:test's spec reporter, whose totals block ends the run (`ℹ pass N`, `ℹ fail N`). */
function nodeTestCounts(output) {
  const last = (name) => {
    const found = [...output.matchAll(new RegExp(`^\\S*\\s*${name} (\\d+)\\s*$`, 'gm'))].at(-1);
    return found ? Number(found[1]) : undefined;
  };
  const passed = last('pass');
  const failed = last('fail');
  if (passed === undefined || failed === undefined) return undefined;
  // A cancelled test (its file crashed or timed out) did not pass either.
  return { passed, failed: failed + (last('cancelled') ?? 0), skipped: (last('skipped') ?? 0) + (last('todo') ?? 0) };
}

function unitTestFiles(dir = join(REPO_ROOT, 'test', 'unit')) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return unitTestFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(REPO_ROOT, path)] : [];
  }).sort();
}

const TIERS = [
  {
    // src/ without the DOM, webview/ without Node, then everything with tests and benches.
    name: 'typecheck',
    command: () => [bin('tsc'), '-p', 'src', '--noEmit'],
    then: [[bin('tsc'), '-p', 'webview', '--noEmit'], [bin('tsc'), '-p', '.', '--noEmit']],
  },
  // ESLint enforces each room's "may import" column; check-cycles refuses import cycles (type-only too).
  { name: 'lint', command: () => [bin('eslint'), '.'], then: [[process.execPath, 'scripts/check-cycles.mjs']] },
  {
    name: 'unit',
    command: () => {
      const files = unitTestFiles();
      if (files.length === 0) return { error: 'no test files under test/unit/ (**/*.test.ts)' };
      const concurrency = Number(process.env.FLIGHTDECK_UNIT_CONCURRENCY || availableParallelism());
      return [process.execPath, '--import', 'tsx', '--test', '--test-reporter=spec',
        `--test-concurrency=${concurrency}`, ...files];
    },
    counts: nodeTestCounts,
  },
  { name: 'build', command: () => [process.execPath, 'esbuild.mjs', '--tests'] },
  {
    name: 'vscode',
    command: () => [process.execPath, 'test/vscode/harness/run-suites.mjs'],
    counts: summaryLine('VSCODE-TIER:'),
    needsBuild: true,
  },
  {
    name: 'ui',
    command: () => [process.execPath, 'test/vscode/ui/run-ui.mjs'],
    counts: summaryLine('UI-TIER:'),
    needsBuild: true,
  },
  {
    // The shipped VSIX: built from its own clean production stage (so it needs no `build` first), its
    // contents and manifest checked, then installed into a fresh code-server where the extension runs
    // its embedded server from the packaged files (scripts/package.mjs --test).
    name: 'package',
    command: () => [process.execPath, 'scripts/package.mjs', '--test'],
    counts: summaryLine('PACKAGE-TIER:'),
  },
];

function selectTiers(argv) {
  const names = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !TIERS.some((tier) => tier.name === name));
  if (unknown.length > 0) {
    console.error(`unknown tier(s): ${unknown.join(', ')}; tiers: ${TIERS.map((tier) => tier.name).join(', ')}`);
    process.exit(2);
  }
  const wanted = new Set(names.length > 0 ? names : TIERS.map((tier) => tier.name));
  // vscode and ui run the bundles in dist/ and out/: without a build first they would test stale code.
  if (!argv.includes('--no-build') && TIERS.some((tier) => tier.needsBuild && wanted.has(tier.name))) {
    wanted.add('build');
  }
  return TIERS.filter((tier) => wanted.has(tier.name));
}

let running; // the current tier's child, so Ctrl-C can end it (it runs in its own process group)

/** Runs one command, echoing its output live and keeping it for counting. */
function runCommand(argv) {
  return new Promise((resolveRun) => {
    let output = '';
    const child = spawn(argv[0], argv.slice(1), {
      cwd: REPO_ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a timeout or Ctrl-C can end the tier and everything it started
      // (servers, code-server, Chromium) by the tier's PID.
      detached: true,
    });
    running = child;
    const timer = setTimeout(() => {
      output += `\n[test] tier timed out after ${TIER_TIMEOUT_MS / 1000} s (FLIGHTDECK_TIER_TIMEOUT_MS)\n`;
      console.error(`[test] tier timed out after ${TIER_TIMEOUT_MS / 1000} s; stopping it`);
      killGroup(child.pid);
    }, TIER_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => { output += chunk; process.stdout.write(chunk); });
    child.stderr.on('data', (chunk) => { output += chunk; process.stderr.write(chunk); });
    child.on('error', (error) => { output += `\n${error.message}\n`; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      resolveRun({ code: code ?? 1, signal, output });
    });
  });
}

/** SIGTERM to the tier's process group (runners then stop what they started), SIGKILL if it lingers. */
function killGroup(pid) {
  try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
  setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }, 10_000).unref();
}

// Ctrl-C reaches only our own process group; pass it on to the running tier and wait for it to clean up.
process.once('SIGINT', () => {
  console.error('\n[test] interrupted; stopping the running tier');
  if (!running) process.exit(130);
  const child = running;
  child.once('close', () => process.exit(130));
  killGroup(child.pid);
  setTimeout(() => process.exit(130), 12_000);
});

async function runTier(tier) {
  const banner = `━━━ ${tier.name} `;
  console.log(`\n${banner}${'━'.repeat(Math.max(4, 72 - banner.length))}`);
  const started = Date.now();
  const command = tier.command();
  if (!Array.isArray(command)) {
    console.log(`[test] ${tier.name}: ${command.error}`);
    return { name: tier.name, passed: 0, failed: 1, skipped: 0, seconds: 0, note: command.error };
  }
  if (!existsSync(command[0])) {
    const note = `${relative(REPO_ROOT, command[0])} is missing (run npm ci)`;
    console.log(`[test] ${tier.name}: ${note}`);
    return { name: tier.name, passed: 0, failed: 1, skipped: 0, seconds: 0, note };
  }
  const shown = command.map((part) => (part === process.execPath ? 'node' : part.startsWith(REPO_ROOT) ? relative(REPO_ROOT, part) : part));
  console.log(`$ ${shown.join(' ')}`);
  let { code, signal, output } = await runCommand(command);
  // A tier of several commands (`then`) runs them all, and fails if any fails.
  for (const next of tier.then ?? []) {
    console.log(`$ ${next.map((part) => (part === process.execPath ? 'node' : part.startsWith(REPO_ROOT) ? relative(REPO_ROOT, part) : part)).join(' ')}`);
    const result = await runCommand(next);
    output += result.output;
    if (code === 0) ({ code, signal } = result);
  }
  const seconds = (Date.now() - started) / 1000;
  const exitNote = signal ? `killed by ${signal}` : `exit code ${code}`;
  if (!tier.counts) {
    return { name: tier.name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, seconds, note: code === 0 ? '' : exitNote, output };
  }
  const counts = tier.counts(output);
  if (!counts) return { name: tier.name, passed: 0, failed: 1, skipped: 0, seconds, note: `no count printed (${exitNote})`, output };
  // Counted, but the process still failed (e.g. a crash after the count): that is one more failure.
  if (code !== 0 && counts.failed === 0) {
    return { name: tier.name, passed: counts.passed, failed: 1, skipped: counts.skipped, seconds, note: `${exitNote} after its count`, output };
  }
  return { name: tier.name, ...counts, seconds, note: '', output };
}

/** Tiers whose servers' logs and output are searched for tokens afterwards. */
const LOGGED_TIERS = new Set(['unit', 'vscode', 'ui', 'package']);
const logDir = mkdtempSync(join(tmpdir(), 'flightdeck-test-logs-'));
process.env.FLIGHTDECK_TEST_LOG_DIR = logDir;

/** The `logs` check: no token in the run's server logs nor in the logged tiers' output. */
function checkLogs(outputs) {
  const started = Date.now();
  console.log(`\n━━━ logs ${'━'.repeat(63)}`);
  const findings = findTokensInLogs(logDir, outputs);
  for (const finding of findings) console.error(`[test] ${finding}`);
  const seconds = (Date.now() - started) / 1000;
  if (findings.length > 0) {
    console.log(`[test] logs: a token appears in a log; the logs are kept in ${logDir}`);
    return { name: 'logs', passed: 0, failed: 1, skipped: 0, seconds, note: `${findings.length} token(s) in ${logDir}` };
  }
  console.log(`[test] logs: no token in ${readdirSync(logDir).length} log files nor in the tiers' output`);
  rmSync(logDir, { recursive: true, force: true });
  return { name: 'logs', passed: 1, failed: 0, skipped: 0, seconds, note: '' };
}

const results = [];
const outputs = {};
for (const tier of selectTiers(process.argv.slice(2))) {
  const result = await runTier(tier);
  if (LOGGED_TIERS.has(tier.name)) outputs[`${tier.name} tier output`] = result.output ?? '';
  delete result.output;
  results.push(result);
}
if (Object.keys(outputs).length > 0) results.push(checkLogs(outputs));
else rmSync(logDir, { recursive: true, force: true });

const passed = results.reduce((sum, result) => sum + result.passed, 0);
const failed = results.reduce((sum, result) => sum + result.failed, 0);
const skipped = results.reduce((sum, result) => sum + result.skipped, 0);
const pad = (value, width) => String(value).padStart(width);
console.log(`\n━━━ summary ${'━'.repeat(60)}`);
console.log(`${'tier'.padEnd(10)} ${pad('passed', 7)} ${pad('failed', 7)} ${pad('skipped', 8)} ${pad('time', 8)}`);
for (const result of results) {
  const mark = result.failed > 0 ? '  ✘' : '';
  console.log(`${result.name.padEnd(10)} ${pad(result.passed, 7)} ${pad(result.failed, 7)} ${pad(result.skipped, 8)} ${pad(`${result.seconds.toFixed(1)}s`, 8)}${mark}${result.note ? `  (${result.note})` : ''}`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
