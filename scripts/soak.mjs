// `npm run test:soak`: runs the unit tier and the VS Code tier again and again, and names every test that
// failed even once (with its file and how many times): a flaky test shows up here before it fails CI.
//
//   node scripts/soak.mjs
//
// env: FLIGHTDECK_SOAK_UNIT_RUNS (default 10), FLIGHTDECK_SOAK_VSCODE_RUNS (default 3); 0 leaves that
//      tier out. Each run goes through scripts/test.mjs (so FLIGHTDECK_TIER_TIMEOUT_MS etc. apply), one at a
//      time; the VS Code bundles are built once first. Every run's full output is kept in
//      test-results/soak/<tier>-<n>.log.
//
// Failures are read per test: node:test's spec reporter lists them at the end of a unit run ("test at
// <file>:<line>:<col>" then "✖ <name>"); the VS Code suites print `VSCODE-TIER-FAILED: <file> › <title>`
// for each failure (test/vscode/suite/index.ts). A run that failed without naming a test (a crash, a
// timeout) is reported as such. The last line is `soak: N unit runs, M VS Code runs: K tests failed at
// least once` (or `… : no failures`); exit code 1 if anything failed.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const LOG_DIR = join(REPO_ROOT, 'test-results', 'soak');

function runCount(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 0) {
    console.error(`${name} must be a whole number ≥ 0 (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return count;
}

const UNIT_RUNS = runCount('FLIGHTDECK_SOAK_UNIT_RUNS', 10);
const VSCODE_RUNS = runCount('FLIGHTDECK_SOAK_VSCODE_RUNS', 3);

let running; // the current child, so Ctrl-C can stop it (it runs in its own process group)

/** Runs `node <args>` from the repo root; resolves with its exit code and its whole output (not echoed). */
function runNode(args) {
  return new Promise((resolveRun) => {
    let output = '';
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running = child;
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('error', (error) => { output += `\n${error.message}\n`; });
    child.on('close', (code, signal) => {
      running = undefined;
      resolveRun({ code: code ?? 1, signal, output });
    });
  });
}

process.once('SIGINT', () => {
  console.error('\n[soak] interrupted');
  if (!running) process.exit(130);
  const child = running;
  child.once('close', () => process.exit(130));
  try { process.kill(-child.pid, 'SIGINT'); } catch { /* gone */ }
  setTimeout(() => process.exit(130), 15_000);
});

/** The tests node:test's spec reporter lists under "✖ failing tests:" (file and name of each). */
function unitFailures(output) {
  const section = output.lastIndexOf('✖ failing tests:');
  if (section < 0) return [];
  const failures = [];
  let file;
  for (const line of output.slice(section).split('\n')) {
    const at = /^test at (.+?):\d+:\d+\s*$/.exec(line);
    if (at) {
      file = at[1];
      continue;
    }
    const failed = /^✖ (.+?)(?: \([\d.]+m?s\))?\s*$/.exec(line);
    if (failed && file !== undefined) {
      failures.push({ file: relative(REPO_ROOT, resolve(REPO_ROOT, file)), name: failed[1] });
      file = undefined;
    }
  }
  return failures;
}

/** The failures the VS Code suites name, one `VSCODE-TIER-FAILED: <file> › <title>` line each. */
function vscodeFailures(output) {
  return [...output.matchAll(/^VSCODE-TIER-FAILED: (.+?) › (.+?)\s*$/gm)].map((match) => ({ file: `test/vscode/suite/${match[1]}`, name: match[2] }));
}

/** The counts of scripts/test.mjs's last line. */
function summaryOf(output) {
  const match = [...output.matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped\s*$/gm)].at(-1);
  return match ? { passed: Number(match[1]), failed: Number(match[2]), skipped: Number(match[3]) } : undefined;
}

/** key → { tier, file, name, runs: [run numbers] } */
const failedTests = new Map();

function record(tier, run, failure) {
  const key = `${tier}\u0000${failure.file}\u0000${failure.name}`;
  const entry = failedTests.get(key) ?? { tier, file: failure.file, name: failure.name, runs: [] };
  if (!entry.runs.includes(run)) entry.runs.push(run);
  failedTests.set(key, entry);
}

async function soak(tier, runs, args, failuresOf) {
  for (let run = 1; run <= runs; run++) {
    const started = Date.now();
    const { code, signal, output } = await runNode(args);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const log = join(LOG_DIR, `${tier}-${run}.log`);
    writeFileSync(log, output);
    const counts = summaryOf(output);
    const failures = failuresOf(output);
    for (const failure of failures) record(tier, run, failure);
    // A failure no test accounts for: the tier crashed, timed out, or printed no count.
    if ((code !== 0 || !counts || counts.failed > 0) && failures.length === 0) {
      record(tier, run, { file: '(whole run)', name: `${tier} run failed without naming a test (${signal ? `killed by ${signal}` : `exit code ${code}`})` });
    }
    const countText = counts ? `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : 'no count';
    const failedNames = failures.length > 0 ? `: ${failures.map((f) => f.name).join('; ')}` : '';
    console.log(`[soak] ${tier} run ${run}/${runs}: ${countText} (${seconds} s)${failedNames}${code !== 0 ? `  log: ${relative(REPO_ROOT, log)}` : ''}`);
  }
}

mkdirSync(LOG_DIR, { recursive: true });
console.log(`[soak] unit tier ${UNIT_RUNS}×, VS Code tier ${VSCODE_RUNS}×; full output of each run in ${relative(REPO_ROOT, LOG_DIR)}/`);
await soak('unit', UNIT_RUNS, ['scripts/test.mjs', 'unit'], unitFailures);
if (VSCODE_RUNS > 0) {
  const build = await runNode(['esbuild.mjs', '--tests']);
  if (build.code !== 0) {
    console.log(build.output);
    record('vscode', 0, { file: '(build)', name: 'node esbuild.mjs --tests failed' });
  } else {
    await soak('vscode', VSCODE_RUNS, ['scripts/test.mjs', '--no-build', 'vscode'], vscodeFailures);
  }
}

const failed = [...failedTests.values()].sort((a, b) => b.runs.length - a.runs.length || a.file.localeCompare(b.file));
const runsOf = { unit: UNIT_RUNS, vscode: VSCODE_RUNS };
if (failed.length > 0) {
  console.log('\n[soak] failed at least once:');
  for (const entry of failed) {
    console.log(`  ${entry.runs.length}/${runsOf[entry.tier]}  ${entry.tier.padEnd(6)}  ${entry.file}  ›  ${entry.name}  (run ${entry.runs.join(', ')})`);
  }
}
const verdict = failed.length === 0 ? 'no failures' : `${failed.length} test${failed.length === 1 ? '' : 's'} failed at least once`;
console.log(`\nsoak: ${UNIT_RUNS} unit runs, ${VSCODE_RUNS} VS Code runs: ${verdict}`);
process.exitCode = failed.length > 0 ? 1 : 0;
