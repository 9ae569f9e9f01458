// `npm run bench:where`: how fast "where is this commit deployed?" is answered on a big history.
//
// Builds (bench/whereRepo.ts, one `git fast-import`) a repository of 20,000 commits with feature branches,
// merges, late merges, unmerged branches and out-of-order dates; deploys 5 projects × 6 environments at
// different commits; then asks where 1,000 random commits are:
//   - warm, ancestry only: `whereIsCommit` on a full SHA against one long-lived GitRepository (as the
//     extension holds), prepared when deployments arrive; and the whole hover on it (rev-parse + show +
//     ancestry), reported;
//   - first hover, new process: a process of its own (bench/whereHoverChild.ts, bundled, plain node) that
//     opens the repository with the disk cache an earlier run saved, `git rev-parse`s a 12-character SHA,
//     `git show`s it and answers: what a new `flightdeck where` run or a new extension host pays, timed
//     from spawn to exit, beside `node -e 0` in the same rounds;
//   - first hover, new GitRepository in a warm process (disk cache present / no disk cache): the same
//     path (open, rev-parse, show, ancestry) inside this process, so without node's start or module
//     loading: what the first hover of a reloaded window costs once the extension runs;
//   - naive: one `git merge-base --is-ancestor` process per environment, 4 at a time (≥ 200 questions);
//   - reference: per-tip `git rev-list <tip>` Sets (the other in-memory design), used to check all answers;
// first without, then with a commit-graph file. Every answer of every method is compared with the
// reference's (a difference fails the bench); reports the memory the caches hold, the size of the disk
// cache file, and that tight bounds hold. Sizes: BENCH_COMMITS, BENCH_QUERIES, BENCH_FRESH_QUERIES,
// BENCH_NAIVE_QUERIES, BENCH_PROCESS_QUERIES.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as esbuild from 'esbuild';
import * as vm from 'node:vm';
import type { Project } from '../src/api/schemas';
import { whereIsCommit, type AncestryOracle, type Containment, type ProjectPresence } from '../src/core/containment';
import { GitRepository } from '../src/git';
import { runGit } from '../src/git/exec';
import { machine, reportResult } from './report';
import { deployedProjects, generateRepository, git, mulberry32, WHERE_ENVIRONMENTS as ENVIRONMENTS, WHERE_PROJECTS as PROJECTS } from './whereRepo';

const COMMITS = Number(process.env.BENCH_COMMITS ?? 20_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1_000);
// A naive answer takes about a second without a commit-graph: a sample keeps the bench under 3 minutes.
const NAIVE_QUERIES = Number(process.env.BENCH_NAIVE_QUERIES ?? 200);
const FRESH_QUERIES = Number(process.env.BENCH_FRESH_QUERIES ?? 100);
const PROCESS_QUERIES = Number(process.env.BENCH_PROCESS_QUERIES ?? 40);
/** warm: ancestry answer p95; firstHoverP95Ms: first hover in a running process, disk cache present. */
const GOALS = { warmP95Ms: 5, firstHoverP95Ms: 100, speedup: 10 };

// ── the methods ──────────────────────────────────────────────────────────────────────────────────

/** The baseline: one merge-base process per (commit, environment), a few at a time. */
function naiveOracle(dir: string): AncestryOracle {
  const isAncestor = async (a: string, b: string): Promise<Containment> => {
    if (a === b) return true;
    const { exitCode } = await runGit(dir, ['merge-base', '--is-ancestor', a, b], { okExitCodes: [1] });
    return exitCode === 0;
  };
  return {
    isAncestor,
    containsAll: async (commit, tips) => {
      const answers: Containment[] = new Array<Containment>(tips.length).fill(false);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < tips.length) {
          const i = next++;
          answers[i] = await isAncestor(commit, tips[i] as string);
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      return answers;
    },
  };
}

/** The other in-memory design: `git rev-list <tip>` per tip into a Set of shas. */
function perTipSetOracle(dir: string): AncestryOracle & { heldShas(): number } {
  const sets = new Map<string, Set<string>>();
  const ancestorsOf = async (tip: string): Promise<Set<string>> => {
    let set = sets.get(tip);
    if (!set) {
      const { stdout } = await runGit(dir, ['rev-list', tip], { maxStdoutBytes: 512 * 1024 * 1024 });
      set = new Set(stdout.split('\n').filter(Boolean));
      sets.set(tip, set);
    }
    return set;
  };
  return {
    isAncestor: async (a, b) => (await ancestorsOf(b)).has(a),
    containsAll: async (commit, tips) => Promise.all(tips.map(async (tip) => (await ancestorsOf(tip)).has(commit))),
    heldShas: () => [...sets.values()].reduce((sum, set) => sum + set.size, 0),
  };
}

// ── measuring ────────────────────────────────────────────────────────────────────────────────────

interface Timing {
  p50: number;
  p95: number;
  max: number;
}

function timing(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
}

interface Run {
  timing: Timing;
  answers: ProjectPresence[][];
}

/** Asks `whereIsCommit` for each commit in turn, timing each answer including getting the oracle. */
async function measure(
  commits: readonly string[],
  projects: readonly Project[],
  oracleFor: () => AncestryOracle | Promise<AncestryOracle>,
): Promise<Run> {
  return measureAsk(commits, async (commit) => whereIsCommit(commit, projects, await oracleFor()));
}

async function measureAsk(commits: readonly string[], ask: (commit: string) => Promise<ProjectPresence[]>): Promise<Run> {
  const samples: number[] = [];
  const answers: ProjectPresence[][] = [];
  for (const commit of commits) {
    const t0 = performance.now();
    answers.push(await ask(commit));
    samples.push(performance.now() - t0);
  }
  return { timing: timing(samples), answers };
}

/** What a hover runs on a SHA as written (12 characters): rev-parse, show, then the ancestry answer. */
async function hover(repository: GitRepository, commit: string, projects: readonly Project[]): Promise<ProjectPresence[]> {
  const full = await repository.resolve(commit.slice(0, 12));
  if (full !== commit) throw new Error(`rev-parse ${commit.slice(0, 12)} gave ${full}`);
  if ((await repository.commitInfo(full))?.sha !== commit) throw new Error(`git show ${commit} gave nothing`);
  return whereIsCommit(full, projects, repository);
}

/** The hover child bundled to plain JS (no tsx in the timed process). */
async function bundleHoverChild(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'hover-child.js');
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'whereHoverChild.ts')], outfile, bundle: true, platform: 'node', format: 'cjs',
    target: 'node20', minify: true, logLevel: 'warning',
  });
  return outfile;
}

function timedNode(args: readonly string[]): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (error) reject(new Error(`node ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve({ ms, stdout });
    });
  });
}

/** A first hover in a new process each time, with `node -e 0` in the same rounds. */
async function measureNewProcess(
  child: string, dir: string, cacheDir: string, projectsFile: string, commits: readonly string[],
): Promise<Run & { node: Timing; fromDisk: boolean }> {
  const samples: number[] = [];
  const nodeSamples: number[] = [];
  const answers: ProjectPresence[][] = [];
  let fromDisk = true;
  for (const commit of commits) {
    nodeSamples.push((await timedNode(['-e', '0'])).ms);
    const { ms, stdout } = await timedNode([child, dir, cacheDir, projectsFile, commit.slice(0, 12)]);
    const answer = JSON.parse(stdout) as { commit: string; presence: ProjectPresence[]; graphLoadedFromDisk: boolean };
    if (answer.commit !== commit) throw new Error(`the hover process answered for ${answer.commit}, asked ${commit}`);
    fromDisk &&= answer.graphLoadedFromDisk;
    samples.push(ms);
    answers.push(answer.presence);
  }
  return { timing: timing(samples), answers, node: timing(nodeSamples), fromDisk };
}

/** How many questions got a different answer (compared over the shorter run). */
function differences(a: readonly ProjectPresence[][], b: readonly ProjectPresence[][]): number {
  let count = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) count++;
  return count;
}

function collectGarbage(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

async function heapGrowth<T>(gc: () => void, build: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  gc();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const value = await build();
  gc();
  return { value, bytes: process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before };
}

const fmt = (ms: number): string => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const row = (label: string, t: Timing, n: number): string =>
  `  ${label.padEnd(62)} n=${String(n).padEnd(5)} p50 ${fmt(t.p50).padStart(9)}  p95 ${fmt(t.p95).padStart(9)}  max ${fmt(t.max).padStart(9)}`;

interface Config {
  /** Short, for the result table. */
  name: string;
  label: string;
}

interface Shared {
  child: string;
  projectsFile: string;
  reference: ProjectPresence[][];
}

/** One pass over the methods for the repository as it is now (without, then with, a commit-graph file). */
async function runMethods(
  dir: string,
  projects: readonly Project[],
  tips: readonly string[],
  queries: readonly string[],
  config: Config,
  shared: Shared,
  gc: () => void,
): Promise<{ failures: string[]; missedGoals: string[] }> {
  console.log(`\n${config.label}; ${machine()}:`);
  const failures: string[] = [];
  const missedGoals: string[] = [];

  // The extension's case: one GitRepository per workspace, prepared when deployments arrive.
  let loadMs = 0;
  const held = await heapGrowth(gc, async () => {
    const repo = await GitRepository.open(dir);
    const t0 = performance.now();
    await repo.prepare(tips);
    loadMs = performance.now() - t0;
    return repo;
  });
  const session = held.value;
  const firstSight = await measure(queries, projects, () => session);
  const repeat = await measure(queries, projects, () => session);
  const stats = session.cacheStats();
  const warmHover = await measureAsk(queries.slice(0, FRESH_QUERIES), (commit) => hover(session, commit, projects));

  // A first hover in a running process with nothing cached: the first run ever on a repository.
  const fresh = await measureAsk(queries.slice(0, FRESH_QUERIES), async (commit) => hover(await GitRepository.open(dir), commit, projects));
  // Every later one: the graph is read from the cache dir one earlier run filled.
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-where-bench-cache-'));
  let fromDisk: Run;
  let newProcess: Awaited<ReturnType<typeof measureNewProcess>>;
  let cacheFileBytes = 0;
  let cacheWriteMs = 0;
  let diskGraphUsed = false;
  try {
    const earlierRun = await GitRepository.open(dir, { cacheDir });
    const t0 = performance.now();
    await earlierRun.prepare(tips);
    await earlierRun.cacheWritten();
    cacheWriteMs = performance.now() - t0;
    cacheFileBytes = fs.readdirSync(cacheDir).reduce((sum, name) => sum + fs.statSync(path.join(cacheDir, name)).size, 0);
    fromDisk = await measureAsk(queries.slice(0, FRESH_QUERIES), async (commit) => hover(await GitRepository.open(dir, { cacheDir }), commit, projects));
    const probe = await GitRepository.open(dir, { cacheDir });
    await probe.prepare(tips);
    diskGraphUsed = probe.cacheStats().graphLoadedFromDisk && probe.cacheStats().historyWalks === 0;
    newProcess = await measureNewProcess(shared.child, dir, cacheDir, shared.projectsFile, queries.slice(0, PROCESS_QUERIES));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
  const naive = await measure(queries.slice(0, NAIVE_QUERIES), projects, () => naiveOracle(dir));

  console.log(`  session load (prepare: one rev-list walk of ${stats.graphCommits} commits): ${fmt(loadMs)}`);
  console.log(row('warm, ancestry only: each commit asked first time', firstSight.timing, queries.length));
  console.log(row('warm, ancestry only: same commits asked again', repeat.timing, queries.length));
  console.log(row('warm, whole hover (rev-parse + show + ancestry)', warmHover.timing, FRESH_QUERIES));
  console.log(row('first hover, new process, disk cache present', newProcess.timing, PROCESS_QUERIES));
  console.log(row('  node -e 0, same rounds', newProcess.node, PROCESS_QUERIES));
  console.log(row('first hover, new GitRepository in a warm process, disk cache', fromDisk.timing, FRESH_QUERIES));
  console.log(row('first hover, new GitRepository in a warm process, no cache', fresh.timing, FRESH_QUERIES));
  console.log(row(`naive: ${tips.length} × merge-base --is-ancestor, 4 at a time`, naive.timing, NAIVE_QUERIES));
  const speedup = naive.timing.p50 / firstSight.timing.p50;
  console.log(`  speed-up over naive at p50: warm ${speedup.toFixed(0)}×, first hover in a warm process with the disk cache ${(naive.timing.p50 / fromDisk.timing.p50).toFixed(1)}×, ` +
    `first hover in a new process ${(naive.timing.p50 / newProcess.timing.p50).toFixed(1)}×`);
  console.log(`  disk cache: ${stats.graphCommits} commits in a ${mib(cacheFileBytes)} file (${(cacheFileBytes / Math.max(1, stats.graphCommits)).toFixed(1)} bytes per commit), ` +
    `walked and written by the earlier run in ${fmt(cacheWriteMs)}; a new GitRepository ${diskGraphUsed ? 'reads it and runs no rev-list' : 'DID NOT use it'}; ` +
    `the new processes ${newProcess.fromDisk ? 'read it' : 'DID NOT all read it'}`);
  console.log(`  caches: graph ${stats.graphCommits} commits in ${mib(stats.graphBytes)}, ${stats.tipSets} tip bitsets ${mib(stats.tipSetBytes)}, ` +
    `${stats.cachedAnswers} cached answers; heap+buffers held by the session ${mib(held.bytes)}`);

  const diffs = {
    'warm': differences(firstSight.answers, shared.reference),
    'warm repeat': differences(repeat.answers, shared.reference),
    'warm hover': differences(warmHover.answers, shared.reference),
    'new process': differences(newProcess.answers, shared.reference),
    'disk cache': differences(fromDisk.answers, shared.reference),
    'no cache': differences(fresh.answers, shared.reference),
    'naive': differences(naive.answers, shared.reference),
  };
  console.log(`  answers differing from the reference: ${Object.entries(diffs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (Object.values(diffs).some((d) => d > 0)) failures.push(`${config.label}: answers differ`);
  if (!diskGraphUsed || !newProcess.fromDisk) failures.push(`${config.label}: the disk cache was not used`);
  const warmMet = firstSight.timing.p95 <= GOALS.warmP95Ms;
  const hoverMet = fromDisk.timing.p95 <= GOALS.firstHoverP95Ms;
  const speedupMet = speedup >= GOALS.speedup;
  if (!warmMet) missedGoals.push(`${config.label}: warm p95 ${fmt(firstSight.timing.p95)} > ${GOALS.warmP95Ms} ms`);
  if (!speedupMet) missedGoals.push(`${config.label}: warm under ${GOALS.speedup}× naive`);
  if (!hoverMet) missedGoals.push(`${config.label}: first hover (disk cache, warm process) p95 ${fmt(fromDisk.timing.p95)} > ${GOALS.firstHoverP95Ms} ms`);

  const scope = `${COMMITS} commits, ${tips.length} environments, ${config.name}`;
  reportResult({ bench: 'where', what: `hover ancestry answer, warm session (${scope}): p95`, figure: `${fmt(firstSight.timing.p95)} (p50 ${fmt(firstSight.timing.p50)})`, goal: `≤ ${GOALS.warmP95Ms} ms`, met: warmMet });
  reportResult({ bench: 'where', what: `warm ancestry answer vs ${tips.length} \`merge-base\` processes, 4 at a time (${config.name}): p50`, figure: `${speedup.toFixed(0)}× faster (naive ${fmt(naive.timing.p50)}, n=${NAIVE_QUERIES})`, goal: `≥ ${GOALS.speedup}×`, met: speedupMet });
  reportResult({ bench: 'where', what: `first hover (rev-parse + show + ancestry), new GitRepository in a running process, disk cache (${scope}): p95`, figure: `${fmt(fromDisk.timing.p95)} (p50 ${fmt(fromDisk.timing.p50)}; no cache: p95 ${fmt(fresh.timing.p95)})`, goal: `≤ ${GOALS.firstHoverP95Ms} ms`, met: hoverMet });
  reportResult({ bench: 'where', what: `first hover in a new process (node start included), disk cache (${scope})`, figure: `p50 ${fmt(newProcess.timing.p50)}, p95 ${fmt(newProcess.timing.p95)} (\`node -e 0\` p50 ${fmt(newProcess.node.p50)})`, goal: '', met: null });
  return { failures, missedGoals };
}

async function main(): Promise<void> {
  const benchStart = performance.now();
  const gc = collectGarbage();
  const random = mulberry32(20261123);
  const generateStart = performance.now();
  const history = generateRepository(COMMITS, random);
  const generatedMs = performance.now() - generateStart;
  try {
    const projects = deployedProjects(history, random);
    const tips = [...new Set(projects.flatMap((p) => p.environments.map((e) => e.current?.commit ?? '')))];
    const allShas = history.shaByMark.filter(Boolean);
    const queries = Array.from({ length: QUERIES }, () => allShas[Math.floor(random() * allShas.length)] as string);
    console.log(`where bench: ${allShas.length} commits (${history.merges} merges, ${history.unmergedHeads.length} unmerged branches, ` +
      `3% with dates a month off) generated in ${fmt(generatedMs)}; ${PROJECTS} projects × ${ENVIRONMENTS.length} environments = ` +
      `${tips.length} distinct deployed commits; ${queries.length} random questions; git ${git(history.dir, ['--version']).replace('git version ', '')}, ` +
      `${machine()}`);

    // Reference: per-tip `git rev-list <tip>` Sets, an independent exact method, for all questions.
    const setsHeld = await heapGrowth(gc, async () => {
      const oracle = perTipSetOracle(history.dir);
      const t0 = performance.now();
      await oracle.containsAll(tips[0] as string, tips);
      return { oracle, loadMs: performance.now() - t0 };
    });
    const reference = await measure(queries, projects, () => setsHeld.value.oracle);
    console.log(`reference (per-tip rev-list Sets, the other in-memory design): load ${fmt(setsHeld.value.loadMs)} for ${tips.length} walks, ` +
      `${setsHeld.value.oracle.heldShas()} sha strings, heap held ${mib(setsHeld.bytes)}`);

    // The hover child, bundled once; the projects it answers for, in a file.
    const childDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-where-bench-child-'));
    const shared: Shared = { child: await bundleHoverChild(childDir), projectsFile: path.join(childDir, 'projects.json'), reference: reference.answers };
    fs.writeFileSync(shared.projectsFile, JSON.stringify(projects));

    // Wrong or unbounded answers fail the bench; missed timing goals are reported (timings vary by machine).
    const failures: string[] = [];
    const missedGoals: string[] = [];
    try {
      const plain = await runMethods(history.dir, projects, tips, queries, {
        name: 'no commit-graph', label: 'without a commit-graph file (as fast-import or a fresh clone leaves a repository)',
      }, shared, gc);
      failures.push(...plain.failures);
      missedGoals.push(...plain.missedGoals);

      // What `git gc` or `git maintenance` leave behind in most working clones: a commit-graph file.
      git(history.dir, ['commit-graph', 'write', '--reachable']);
      const withGraph = await runMethods(history.dir, projects, tips, queries, {
        name: 'commit-graph', label: 'with a commit-graph file (as git gc or git maintenance leave one)',
      }, shared, gc);
      failures.push(...withGraph.failures);
      missedGoals.push(...withGraph.missedGoals);
    } finally {
      fs.rmSync(childDir, { recursive: true, force: true });
    }

    // Bounded: tight limits still give the same answers and the caches stay inside them.
    const bounds = { maxGraphCommits: Math.floor(COMMITS * 0.9), maxTipSets: 8, maxCachedAnswers: 500 };
    const boundedRepo = await GitRepository.open(history.dir, bounds);
    const boundedQueries = queries.slice(0, 20);
    const bounded = await measure(boundedQueries, projects, () => boundedRepo);
    const boundedStats = boundedRepo.cacheStats();
    const boundedDiffs = differences(bounded.answers, reference.answers);
    console.log(`\nbounded (maxGraphCommits ${bounds.maxGraphCommits}, maxTipSets ${bounds.maxTipSets}, maxCachedAnswers ${bounds.maxCachedAnswers}): ` +
      `graph ${boundedStats.graphCommits}, bitsets ${boundedStats.tipSets}, tips answered by git ${boundedStats.tipsBeyondBound}, ` +
      `cached answers ${boundedStats.cachedAnswers}; p50 ${fmt(bounded.timing.p50)}; ${boundedDiffs} of ${boundedQueries.length} answers differ`);
    if (boundedDiffs > 0) failures.push('bounded answers differ');
    if (boundedStats.graphCommits > bounds.maxGraphCommits || boundedStats.tipSets > bounds.maxTipSets
      || boundedStats.cachedAnswers > bounds.maxCachedAnswers) failures.push('bounds exceeded');

    const contained = reference.answers.flat().flatMap((p) => p.environments).filter((e) => e.contains === true).length;
    console.log(`\n${contained} of ${queries.length * tips.length} (question, environment) answers are "contained"`);
    console.log(`timing goals (warm p95 ≤ ${GOALS.warmP95Ms} ms, first hover in a running process with the disk cache p95 ≤ ${GOALS.firstHoverP95Ms} ms, ≥ ${GOALS.speedup}× naive): ` +
      `${missedGoals.length === 0 ? 'all met' : `missed: ${missedGoals.join('; ')}`}`);
    console.log(`${failures.length === 0 ? 'answers identical, bounds kept' : `FAILED: ${failures.join('; ')}`} — bench took ${fmt(performance.now() - benchStart)}`);
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    fs.rmSync(history.dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
