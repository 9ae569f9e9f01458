// `npm run bench:where`: how fast "where is this commit deployed?" is answered on a big history.
//
// Builds (with one `git fast-import`) a repository of 20,000 commits with feature branches, merges, late
// merges, unmerged branches and out-of-order dates; deploys 5 projects × 6 environments at different
// commits; then asks where 1,000 random commits are:
//   - warm: one long-lived GitRepository (as the extension holds), prepared when deployments arrive;
//   - cold, first ever: a new GitRepository for every question with no disk cache (the first run of the
//     CLI on a repository, or the first hover before prepare() in a fresh VS Code profile);
//   - cold, disk cache present: a new GitRepository for every question whose `cacheDir` holds the graph an
//     earlier run saved (every later CLI run, a reloaded window): the case the cold goal is for;
//   - naive: one `git merge-base --is-ancestor` process per environment (about a second per question
//     without a commit-graph, so on a sample);
//   - reference: per-tip `git rev-list <tip>` Sets (the other in-memory design), used to check all answers;
// first without, then with a commit-graph file; checks the answers are identical, reports the memory the
// caches hold, the size of the disk cache file, and that tight bounds hold. Sizes: BENCH_COMMITS, BENCH_QUERIES, BENCH_FRESH_QUERIES,
// BENCH_NAIVE_QUERIES, BENCH_NAIVE_QUERIES_WITH_GRAPH.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Project } from '../src/api/schemas';
import { whereIsCommit, type AncestryOracle, type Containment, type ProjectPresence } from '../src/core/containment';
import { GitRepository } from '../src/git';
import { runGit } from '../src/git/exec';
import { deployedProjects, generateRepository, git, mulberry32, WHERE_ENVIRONMENTS as ENVIRONMENTS, WHERE_PROJECTS as PROJECTS } from './whereRepo';

const COMMITS = Number(process.env.BENCH_COMMITS ?? 20_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1_000);
// A naive answer takes about a second without a commit-graph: a sample keeps the bench under 3 minutes.
const NAIVE_QUERIES = Number(process.env.BENCH_NAIVE_QUERIES ?? 15);
const NAIVE_QUERIES_WITH_GRAPH = Number(process.env.BENCH_NAIVE_QUERIES_WITH_GRAPH ?? 100);
const FRESH_QUERIES = Number(process.env.BENCH_FRESH_QUERIES ?? 100);
const GOALS = { warmP95Ms: 5, coldP95Ms: 100, speedup: 10 };

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
  const samples: number[] = [];
  const answers: ProjectPresence[][] = [];
  for (const commit of commits) {
    const t0 = performance.now();
    const oracle = await oracleFor();
    answers.push(await whereIsCommit(commit, projects, oracle));
    samples.push(performance.now() - t0);
  }
  return { timing: timing(samples), answers };
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
  `  ${label.padEnd(46)} n=${String(n).padEnd(5)} p50 ${fmt(t.p50).padStart(9)}  p95 ${fmt(t.p95).padStart(9)}  max ${fmt(t.max).padStart(9)}`;

interface Config {
  label: string;
  freshQueries: number;
  naiveQueries: number;
}

/** One pass over the methods for the repository as it is now (without, then with, a commit-graph file). */
async function runMethods(
  dir: string,
  projects: readonly Project[],
  tips: readonly string[],
  queries: readonly string[],
  config: Config,
  gc: () => void,
): Promise<{ failures: string[]; missedGoals: string[]; session: Run }> {
  console.log(`\n${config.label}:`);
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

  // The first CLI run on a repository, and the first hover before prepare(): nothing cached at all.
  const fresh = await measure(queries.slice(0, config.freshQueries), projects, () => GitRepository.open(dir));
  // Every later CLI run: the graph is read from the cache dir one earlier run filled.
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-where-bench-cache-'));
  let fromDisk: Run;
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
    fromDisk = await measure(queries.slice(0, config.freshQueries), projects, () => GitRepository.open(dir, { cacheDir }));
    const probe = await GitRepository.open(dir, { cacheDir });
    await probe.prepare(tips);
    diskGraphUsed = probe.cacheStats().graphLoadedFromDisk && probe.cacheStats().historyWalks === 0;
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
  const naive = await measure(queries.slice(0, config.naiveQueries), projects, () => naiveOracle(dir));

  console.log(`  session load (prepare: one rev-list walk of ${stats.graphCommits} commits): ${fmt(loadMs)}`);
  console.log(row('warm: live session, each commit asked first time', firstSight.timing, queries.length));
  console.log(row('warm: live session, same commits asked again', repeat.timing, queries.length));
  console.log(row('cold, first ever: new GitRepository, no disk cache', fresh.timing, config.freshQueries));
  console.log(row('cold: new process state, disk cache present', fromDisk.timing, config.freshQueries));
  console.log(row(`naive: ${tips.length} × merge-base --is-ancestor, 4 at a time`, naive.timing, config.naiveQueries));
  console.log(`  speed-up over naive at p50: warm ${(naive.timing.p50 / firstSight.timing.p50).toFixed(0)}×, cold with disk cache ${(naive.timing.p50 / fromDisk.timing.p50).toFixed(1)}×, ` +
    `cold first ever ${(naive.timing.p50 / fresh.timing.p50).toFixed(1)}×; at p95: warm ${(naive.timing.p95 / firstSight.timing.p95).toFixed(0)}×, ` +
    `cold with disk cache ${(naive.timing.p95 / fromDisk.timing.p95).toFixed(1)}×, cold first ever ${(naive.timing.p95 / fresh.timing.p95).toFixed(1)}×`);
  console.log(`  disk cache: ${stats.graphCommits} commits in a ${mib(cacheFileBytes)} file (${(cacheFileBytes / Math.max(1, stats.graphCommits)).toFixed(1)} bytes per commit), ` +
    `walked and written by the earlier run in ${fmt(cacheWriteMs)}; a new GitRepository ${diskGraphUsed ? 'reads it and runs no rev-list' : 'DID NOT use it'}`);
  console.log(`  caches: graph ${stats.graphCommits} commits in ${mib(stats.graphBytes)}, ${stats.tipSets} tip bitsets ${mib(stats.tipSetBytes)}, ` +
    `${stats.cachedAnswers} cached answers; heap+buffers held by the session ${mib(held.bytes)}`);

  const diffs = {
    'repeat vs first': differences(repeat.answers, firstSight.answers),
    'cold vs warm': differences(fresh.answers, firstSight.answers),
    'cold from disk vs warm': differences(fromDisk.answers, firstSight.answers),
    'naive vs warm': differences(naive.answers, firstSight.answers),
  };
  console.log(`  answers differing: ${Object.entries(diffs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (Object.values(diffs).some((d) => d > 0)) failures.push(`${config.label}: answers differ`);
  if (firstSight.timing.p95 > GOALS.warmP95Ms) missedGoals.push(`${config.label}: warm p95 ${fmt(firstSight.timing.p95)} > ${GOALS.warmP95Ms} ms`);
  if (naive.timing.p50 / firstSight.timing.p50 < GOALS.speedup) missedGoals.push(`${config.label}: warm under ${GOALS.speedup}× naive`);
  if (!diskGraphUsed) failures.push(`${config.label}: the disk cache was not used`);
  // The cold goal is for a question asked with the disk cache in place; the first-ever walk is reported above.
  if (fromDisk.timing.p95 > GOALS.coldP95Ms) missedGoals.push(`${config.label}: cold (disk cache) p95 ${fmt(fromDisk.timing.p95)} > ${GOALS.coldP95Ms} ms`);
  return { failures, missedGoals, session: firstSight };
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
      `${os.availableParallelism()} cores, load average ${os.loadavg()[0]?.toFixed(1)}`);

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

    // Wrong or unbounded answers fail the bench; missed timing goals are reported (timings vary by machine).
    const failures: string[] = [];
    const missedGoals: string[] = [];
    const plain = await runMethods(history.dir, projects, tips, queries, {
      label: 'without a commit-graph file (as fast-import or a fresh clone leaves a repository)',
      freshQueries: FRESH_QUERIES,
      naiveQueries: NAIVE_QUERIES,
    }, gc);
    failures.push(...plain.failures);
    missedGoals.push(...plain.missedGoals);
    const referenceDiffs = differences(plain.session.answers, reference.answers);
    console.log(`  all ${queries.length} answers vs the per-tip Sets reference: ${referenceDiffs} differ`);
    if (referenceDiffs > 0) failures.push('answers differ from the reference');

    // What `git gc` or `git maintenance` leave behind in most working clones: a commit-graph file.
    git(history.dir, ['commit-graph', 'write', '--reachable']);
    const withGraph = await runMethods(history.dir, projects, tips, queries, {
      label: 'with a commit-graph file (as git gc or git maintenance leave one)',
      freshQueries: FRESH_QUERIES,
      naiveQueries: NAIVE_QUERIES_WITH_GRAPH,
    }, gc);
    failures.push(...withGraph.failures);
    missedGoals.push(...withGraph.missedGoals);

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

    const contained = plain.session.answers.flat().flatMap((p) => p.environments).filter((e) => e.contains === true).length;
    console.log(`\n${contained} of ${queries.length * tips.length} (question, environment) answers are "contained"`);
    console.log(`timing goals (warm p95 ≤ ${GOALS.warmP95Ms} ms, cold p95 with the disk cache ≤ ${GOALS.coldP95Ms} ms, ≥ ${GOALS.speedup}× naive): ` +
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
