// `npm run bench:where`: how fast "where is this commit deployed?" is answered on a big history.
//
// Builds (with one `git fast-import`) a repository of 20,000 commits with feature branches, merges, late
// merges, unmerged branches and out-of-order dates; deploys 5 projects × 6 environments at different
// commits; then asks where 1,000 random commits are, with
//   - the chosen method (src/git AncestryIndex: one rev-list walk into an in-memory graph, bitset per tip),
//     cold (a new GitRepository for every question: nothing cached) and warm (one long-lived GitRepository);
//   - the naive baseline (one `git merge-base --is-ancestor` per environment, 4 at a time);
//   - for comparison, per-tip `git rev-list <tip>` Sets (the other in-memory design), cold only;
// checks all answers are identical, and reports the memory the caches hold and that it stays bounded.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Deployment, Environment, Project } from '../src/api/schemas';
import { whereIsCommit, type AncestryOracle, type Containment, type ProjectPresence } from '../src/core/containment';
import { GitRepository } from '../src/git';
import { runGit } from '../src/git/exec';

const COMMITS = Number(process.env.BENCH_COMMITS ?? 20_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1_000);
const NAIVE_QUERIES = Number(process.env.BENCH_NAIVE_QUERIES ?? QUERIES);
const PROJECTS = 5;
const ENVIRONMENTS = ['dogfood', 'canary', 'staging', 'rollout', 'production', 'archive'];
const GOALS = { warmP95Ms: 5, coldP95Ms: 100, speedup: 10 };

// ── a deterministic history ──────────────────────────────────────────────────────────────────────

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Feature {
  name: string;
  head: number;
  commits: number;
  abandoned: boolean;
}

interface GeneratedHistory {
  dir: string;
  shaByMark: string[];
  mainMarks: number[];
  unmergedHeads: number[];
  merges: number;
}

function generateRepository(commitCount: number, random: () => number): GeneratedHistory {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-where-bench-'));
  git(dir, ['init', '-q', '-b', 'main']);
  const chunks: string[] = [];
  const mainMarks: number[] = [];
  const features: Feature[] = [];
  let mainHead = 0;
  let merges = 0;
  const baseTime = 1_700_000_000;
  const data = (text: string): string => `data ${Buffer.byteLength(text)}\n${text}\n`;

  for (let mark = 1; mark <= commitCount; mark++) {
    // 3% of commits carry a clock that is a month off either way: dates must not decide anything.
    const skew = random() < 0.03 ? Math.round((random() - 0.5) * 60 * 86_400) : 0;
    const time = baseTime + mark * 120 + skew;
    const open = features.filter((f) => !f.abandoned);
    const roll = random();
    let ref = 'refs/heads/main';
    let parents: number[];
    if (mark === 1) {
      parents = [];
    } else if (roll < 0.05 && open.length < 12) {
      // A new branch, sometimes from far back on main so that it merges late.
      const back = random() < 0.3 ? Math.floor(random() * Math.min(mainMarks.length, 400)) : 0;
      const base = mainMarks[mainMarks.length - 1 - back] ?? mainHead;
      const feature: Feature = { name: `feature-${mark}`, head: base, commits: 0, abandoned: false };
      features.push(feature);
      ref = `refs/heads/${feature.name}`;
      parents = [base];
      feature.head = mark;
      feature.commits = 1;
    } else if (roll < 0.4 && open.length > 0) {
      const feature = open[Math.floor(random() * open.length)] as Feature;
      ref = `refs/heads/${feature.name}`;
      parents = [feature.head];
      feature.head = mark;
      feature.commits++;
      if (random() < 0.02) feature.abandoned = true; // never merged
    } else if (roll < 0.5 && open.some((f) => f.commits >= 2)) {
      const ready = open.filter((f) => f.commits >= 2);
      const feature = ready[Math.floor(random() * ready.length)] as Feature;
      parents = [mainHead, feature.head];
      feature.abandoned = true; // merged: no more work on it
      features.splice(features.indexOf(feature), 1);
      merges++;
    } else {
      parents = [mainHead];
    }
    const author = `Dev ${mark % 17} <dev${mark % 17}@example.com> ${time} +0000`;
    const lines = [`commit ${ref}`, `mark :${mark}`, `author ${author}`, `committer ${author}`, data(`change ${mark}`).trimEnd()];
    if (parents[0] !== undefined) lines.push(`from :${parents[0]}`);
    if (parents[1] !== undefined) lines.push(`merge :${parents[1]}`);
    lines.push(`M 100644 inline src/file${mark % 200}.txt`, data(`content ${mark}`));
    chunks.push(lines.join('\n') + '\n');
    if (ref === 'refs/heads/main') {
      mainHead = mark;
      mainMarks.push(mark);
    }
  }
  const marksFile = path.join(dir, '..', `${path.basename(dir)}.marks`);
  execFileSync('git', ['-C', dir, 'fast-import', '--quiet', `--export-marks=${marksFile}`], {
    input: chunks.join(''),
    env: benchGitEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  const shaByMark: string[] = [];
  for (const line of fs.readFileSync(marksFile, 'utf8').split('\n')) {
    const [mark, sha] = line.split(' ');
    if (mark && sha) shaByMark[Number(mark.slice(1))] = sha;
  }
  fs.rmSync(marksFile, { force: true });
  const unmergedHeads = features.map((f) => f.head);
  return { dir, shaByMark, mainMarks, unmergedHeads, merges };
}

function benchGitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull };
}

function git(dir: string, args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { env: benchGitEnv(), encoding: 'utf8' }).trim();
}

// ── projects deployed at different commits ───────────────────────────────────────────────────────

function deployment(project: string, environment: string, rc: string, commit: string): Deployment {
  const at = '2026-11-23T08:00:00.000Z';
  return {
    id: `${project}-${environment}`, project, environment_name: environment, release_version: rc.replace(/-rc\d+$/, ''),
    release_candidate_version: rc, commit, from_release_version: null, from_release_candidate_version: null,
    status: 'success', kind: 'deploy', actor: 'bench', deploy_start_at: at, deploy_end_at: at, updated_at: at,
    error_message: null, rollout: null,
  };
}

function deployedProjects(history: GeneratedHistory, random: () => number): Project[] {
  const { mainMarks, unmergedHeads, shaByMark } = history;
  return Array.from({ length: PROJECTS }, (_, p) => {
    const name = `service-${p}`;
    const environments: Environment[] = ENVIRONMENTS.map((envName, position) => {
      // Lower rungs run newer main commits; the first project's dogfood runs an unmerged branch.
      const back = position * 700 + p * 90 + Math.floor(random() * 60);
      let mark = mainMarks[Math.max(0, mainMarks.length - 1 - back)] as number;
      if (p === 0 && position === 0 && unmergedHeads[0] !== undefined) mark = unmergedHeads[0];
      const rc = `${p + 1}.${ENVIRONMENTS.length - position}.0-rc1`;
      return {
        name: envName, tier: 'production', position, strategy: 'standard', protected: false, frozen: false, steps: null,
        auto_promote: null, health_check: null, deploy: { type: 'none', command: null, url: null },
        current: deployment(name, envName, rc, shaByMark[mark] as string), active: null,
      };
    });
    return { name, repo: `acme/${name}`, description: null, created_at: '2026-11-23T08:00:00.000Z', environments };
  });
}

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
  mean: number;
}

function timing(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0, mean: samples.reduce((s, x) => s + x, 0) / Math.max(1, samples.length) };
}

async function measure(
  commits: readonly string[],
  projects: readonly Project[],
  oracleFor: () => AncestryOracle | Promise<AncestryOracle>,
): Promise<{ timing: Timing; answers: ProjectPresence[][]; totalMs: number }> {
  const samples: number[] = [];
  const answers: ProjectPresence[][] = [];
  const start = performance.now();
  for (const commit of commits) {
    const t0 = performance.now();
    const oracle = await oracleFor();
    answers.push(await whereIsCommit(commit, projects, oracle));
    samples.push(performance.now() - t0);
  }
  return { timing: timing(samples), answers, totalMs: performance.now() - start };
}

function sameAnswers(a: readonly ProjectPresence[][], b: readonly ProjectPresence[][]): number {
  let differences = 0;
  const count = Math.min(a.length, b.length);
  for (let i = 0; i < count; i++) if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) differences++;
  return differences;
}

function collectGarbage(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

const fmt = (ms: number): string => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const line = (label: string, t: Timing): string =>
  `  ${label.padEnd(34)} p50 ${fmt(t.p50).padStart(9)}   p95 ${fmt(t.p95).padStart(9)}   max ${fmt(t.max).padStart(9)}`;

async function main(): Promise<void> {
  const benchStart = performance.now();
  const gc = collectGarbage();
  const random = mulberry32(20261123);
  const generateStart = performance.now();
  const history = generateRepository(COMMITS, random);
  const generatedMs = performance.now() - generateStart;
  try {
    const projects = deployedProjects(history, random);
    const tips = new Set(projects.flatMap((p) => p.environments.map((e) => e.current?.commit ?? '')));
    const allShas = history.shaByMark.filter(Boolean);
    const queries = Array.from({ length: QUERIES }, () => allShas[Math.floor(random() * allShas.length)] as string);
    const hasCommitGraph = fs.existsSync(path.join(history.dir, '.git', 'objects', 'info', 'commit-graph'));
    console.log(`where bench: ${allShas.length} commits (${history.merges} merges, ${history.unmergedHeads.length} unmerged branches), ` +
      `generated in ${fmt(generatedMs)}; ${PROJECTS} projects × ${ENVIRONMENTS.length} environments = ${tips.size} distinct deployed commits; ` +
      `${queries.length} questions; git ${git(history.dir, ['--version']).replace('git version ', '')}, commit-graph file: ${hasCommitGraph ? 'yes' : 'no'}, ${os.availableParallelism()} cores`);

    // Chosen method, warm: one GitRepository for the session (as the extension holds one).
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const session = await GitRepository.open(history.dir);
    const firstStart = performance.now();
    await whereIsCommit(queries[0] as string, projects, session);
    const firstMs = performance.now() - firstStart;
    const warm = await measure(queries, projects, () => session);
    gc();
    const heapHeld = process.memoryUsage().heapUsed - heapBefore;
    const stats = session.cacheStats();

    // Chosen method, cold: a new GitRepository (empty caches) for every question.
    const cold = await measure(queries, projects, () => GitRepository.open(history.dir));

    // Naive baseline.
    const naive = await measure(queries.slice(0, NAIVE_QUERIES), projects, () => naiveOracle(history.dir));

    // Per-tip Sets, cold, on a sample (each cold question walks every tip separately).
    const setSample = queries.slice(0, 20);
    const perTipCold = await measure(setSample, projects, () => perTipSetOracle(history.dir));
    gc();
    const setHeapBefore = process.memoryUsage().heapUsed;
    const perTipSession = perTipSetOracle(history.dir);
    await whereIsCommit(queries[0] as string, projects, perTipSession);
    gc();
    const setHeap = process.memoryUsage().heapUsed - setHeapBefore;

    // Bounded: tight limits still give the same answers, and the caches stay inside them.
    const boundedRepo = await GitRepository.open(history.dir, { maxGraphCommits: 5_000, maxTipSets: 8, maxCachedAnswers: 2_000 });
    const boundedSample = queries.slice(0, 100);
    const bounded = await measure(boundedSample, projects, () => boundedRepo);
    const boundedStats = boundedRepo.cacheStats();

    const coldVsNaive = sameAnswers(cold.answers, naive.answers);
    const warmVsNaive = sameAnswers(warm.answers, naive.answers);
    const warmVsCold = sameAnswers(warm.answers, cold.answers);
    const setsVsNaive = sameAnswers(perTipCold.answers, naive.answers);
    const boundedVsWarm = sameAnswers(bounded.answers, warm.answers);
    const unknowns = warm.answers.flat().flatMap((p) => p.environments).filter((e) => e.contains === 'unknown').length;
    const contained = warm.answers.flat().flatMap((p) => p.environments).filter((e) => e.contains === true).length;

    console.log('\nhover answer latency (whereIsCommit over all 30 environments):');
    console.log(line('graph+bitsets, warm', warm.timing));
    console.log(line('graph+bitsets, cold (new repo each)', cold.timing));
    console.log(line(`naive merge-base ×${tips.size} (4 at a time)`, naive.timing));
    console.log(line(`per-tip rev-list Sets, cold (${setSample.length})`, perTipCold.timing));
    console.log(`  first question of a session (loads the graph): ${fmt(firstMs)}`);
    console.log(`\nspeed-up over naive (p50): warm ${(naive.timing.p50 / warm.timing.p50).toFixed(0)}×, cold ${(naive.timing.p50 / cold.timing.p50).toFixed(1)}×; ` +
      `p95: warm ${(naive.timing.p95 / warm.timing.p95).toFixed(0)}×, cold ${(naive.timing.p95 / cold.timing.p95).toFixed(1)}×`);
    console.log(`answers: ${contained} contained / ${unknowns} unknown of ${warm.answers.length * tips.size}; differences vs naive: ` +
      `warm ${warmVsNaive}, cold ${coldVsNaive}, per-tip Sets ${setsVsNaive}; warm vs cold ${warmVsCold}; bounded vs warm ${boundedVsWarm}`);
    console.log(`\nmemory held by caches (warm session): ${mib(stats.approximateBytes)} estimated ` +
      `(graph ${stats.graphCommits} commits ${mib(stats.graphBytes)}, ${stats.tipSets} bitsets ${mib(stats.tipSetBytes)}, ${stats.cachedAnswers} cached answers); ` +
      `measured heap growth ${mib(heapHeld)}`);
    console.log(`  per-tip Sets for the same tips: ${perTipSession.heldShas()} sha strings, measured heap growth ${mib(setHeap)}`);
    console.log(`  bounded run (maxGraphCommits 5000, maxTipSets 8): graph ${boundedStats.graphCommits}, bitsets ${boundedStats.tipSets}, ` +
      `tips beyond bound ${boundedStats.tipsBeyondBound}, cached answers ${boundedStats.cachedAnswers}; p95 ${fmt(bounded.timing.p95)}`);

    const failures: string[] = [];
    if (warm.timing.p95 > GOALS.warmP95Ms) failures.push(`warm p95 ${fmt(warm.timing.p95)} > ${GOALS.warmP95Ms} ms`);
    if (cold.timing.p95 > GOALS.coldP95Ms) failures.push(`cold p95 ${fmt(cold.timing.p95)} > ${GOALS.coldP95Ms} ms`);
    if (naive.timing.p50 / warm.timing.p50 < GOALS.speedup) failures.push(`warm speed-up under ${GOALS.speedup}×`);
    if (warmVsNaive + coldVsNaive + setsVsNaive + warmVsCold + boundedVsWarm > 0) failures.push('answers differ');
    if (boundedStats.graphCommits > 5_000 || boundedStats.tipSets > 8) failures.push('bounds exceeded');
    console.log(`\n${failures.length === 0 ? 'all goals met' : `GOALS MISSED: ${failures.join('; ')}`} in ${fmt(performance.now() - benchStart)}`);
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    fs.rmSync(history.dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
