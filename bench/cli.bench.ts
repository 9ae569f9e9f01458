// `npm run bench:cli`: the `flightdeck` command as a script or a developer runs it, every sample a NEW
// process (spawned, timed from spawn to exit), against `node -e 0` measured in the same rounds:
//   - `flightdeck --version`: goal p50 ≤ 1.5 × `node -e 0`;
//   - `flightdeck where COMMIT --json` on bench/whereRepo.ts's 20,000-commit repository, 5 projects × 6
//     environments deployed on a real server (a child process, bench/serverChild.ts), the ancestry disk
//     cache present (a first run fills it): goal p50 ≤ 2.5 × `node -e 0`, and ≥ 3 × faster at p50 than
//     the naive answer, one `git merge-base --is-ancestor` process per environment, 4 at a time (what a
//     script would do without Flightdeck), on the repository as a clone or fast-import leaves it (no
//     commit-graph file). Then the same after `git commit-graph write` (as git gc leaves it), where the
//     naive processes are much faster: reported beside, with no goal.
// Each round runs them in turn, so load from elsewhere on the machine falls on all alike. Every `where`
// answer is compared with the naive one for its commit; one difference fails the bench, as does a wrong
// --version or a run that exits non-zero. Builds and runs the production build in dist/.
// BENCH_CLI_ROUNDS (40; half as many with the commit-graph file), BENCH_COMMITS (20,000).
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Project } from '../src/api/schemas';
import { startServer } from '../src/server';
import { machine, percentile, reportResult } from './report';
import { runBench, startServerChild } from './serverChild';
import { deployedProjects, generateRepository, git, mulberry32, WHERE_ENVIRONMENTS, WHERE_PROJECTS } from './whereRepo';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const COMMITS = Number(process.env.BENCH_COMMITS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 40);
const REPO = 'acme/monorepo';
const GOALS = { versionRatio: 1.5, whereRatio: 2.5, whereSpeedup: 3 };

interface Timed {
  ms: number;
  stdout: string;
}

/** Spawns a process (no shell) and times it from spawn to exit; a non-zero exit fails the bench. */
function timedProcess(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(file, args, { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve({ ms, stdout });
    });
  });
}

/** The naive answer for one commit: one merge-base process per deployed environment, 4 at a time. */
async function naiveAnswer(dir: string, commit: string, projects: readonly Project[]): Promise<{ ms: number; answer: Map<string, boolean> }> {
  const work = projects.flatMap((p) => p.environments.map((e) => ({ key: `${p.name}/${e.name}`, tip: e.current?.commit })));
  const answer = new Map<string, boolean>();
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < work.length) {
      const { key, tip } = work[next++] as { key: string; tip: string | undefined };
      if (tip === undefined) continue;
      if (tip === commit) {
        answer.set(key, true);
        continue;
      }
      answer.set(key, await new Promise<boolean>((resolve, reject) => {
        execFile('git', ['-C', dir, 'merge-base', '--is-ancestor', commit, tip], (error) => {
          if (!error) resolve(true);
          else if (error.code === 1) resolve(false);
          else reject(error);
        });
      }));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { ms: performance.now() - t0, answer };
}

/** `where --json` as a map project/environment → contains; anything but true/false fails. */
function whereAnswer(stdout: string, commit: string): Map<string, boolean> {
  const parsed = JSON.parse(stdout) as { commit: string; projects: { project: string; environments: { name: string; contains: unknown }[] }[] };
  if (parsed.commit !== commit) throw new Error(`where answered for ${parsed.commit}, asked ${commit}`);
  const answer = new Map<string, boolean>();
  for (const p of parsed.projects) {
    for (const e of p.environments) {
      if (typeof e.contains !== 'boolean') throw new Error(`${p.project}/${e.name}: contains ${String(e.contains)}`);
      answer.set(`${p.project}/${e.name}`, e.contains);
    }
  }
  return answer;
}

function sameAnswer(a: Map<string, boolean>, b: Map<string, boolean>): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}

/** Puts the projects on the server as a pipeline would: candidates, then each deployment reported done. */
async function deployOnServer(url: string, token: string, projects: readonly Project[]): Promise<void> {
  const call = async (method: string, pathname: string, body: unknown): Promise<void> => {
    const response = await fetch(`${url}${pathname}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${await response.text()}`);
  };
  for (const project of projects) {
    await call('PUT', `/api/releases/${project.name}`, {
      repo: REPO,
      environments: project.environments.map((e) => ({ name: e.name, tier: 'production', position: e.position, strategy: 'standard' })),
    });
    for (const environment of project.environments) {
      const current = environment.current;
      if (!current) continue;
      await call('POST', `/api/releases/${project.name}/releases/${current.release_candidate_version}`, { commit: current.commit, repo: REPO });
      for (const status of ['in_progress', 'success']) {
        await call('PATCH', `/api/releases/${project.name}/environments/${environment.name}/deployments`, { release_candidate_version: current.release_candidate_version, status });
      }
    }
  }
}

async function serveChild(dataDir: string, adminToken: string): Promise<void> {
  const server = await startServer({ port: 0, dataDir, adminToken, version: 'bench', logLevel: 'warn' });
  process.stdout.write(`${server.url}\n`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: ROOT, stdio: 'inherit' });
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-cli-bench-'));
  const random = mulberry32(20261123);
  const history = generateRepository(COMMITS, random);
  const child = { stop: async (): Promise<void> => undefined };
  try {
    git(history.dir, ['remote', 'add', 'origin', `https://github.com/${REPO}.git`]);
    const projects = deployedProjects(history, random);
    const token = randomBytes(16).toString('hex');
    const server = await startServerChild(__filename, [path.join(temp, 'data'), token]);
    child.stop = server.stop;
    await deployOnServer(server.announced, token, projects);
    const allShas = history.shaByMark.filter(Boolean);
    const env = { ...process.env, FLIGHTDECK_TOKEN: token, FLIGHTDECK_CACHE_DIR: path.join(temp, 'cache') };
    const where = (commit: string): Promise<Timed> =>
      timedProcess(process.execPath, [CLI, 'where', commit, '--json', '--repo', history.dir, '--server', server.announced], env);

    // The first run walks the history and saves the graph: every later run reads it.
    const first = await where(allShas[0] as string);
    const cacheFiles = fs.readdirSync(env.FLIGHTDECK_CACHE_DIR).length;
    if (cacheFiles === 0) throw new Error('the first `where` run left no disk cache');
    const environments = whereAnswer(first.stdout, allShas[0] as string).size;
    if (environments !== WHERE_PROJECTS * WHERE_ENVIRONMENTS.length) throw new Error(`where answered for ${environments} environments`);

    const rounds = async (count: number): Promise<{ node: number[]; version: number[]; where: number[]; naive: number[]; differing: number }> => {
      const samples = { node: [] as number[], version: [] as number[], where: [] as number[], naive: [] as number[], differing: 0 };
      for (let round = 0; round < count; round++) {
        samples.node.push((await timedProcess(process.execPath, ['-e', '0'])).ms);
        const printed = await timedProcess(process.execPath, [CLI, '--version']);
        if (printed.stdout.trim() !== version) throw new Error(`--version printed "${printed.stdout.trim()}", package.json says ${version}`);
        samples.version.push(printed.ms);
        const commit = allShas[Math.floor(random() * allShas.length)] as string;
        const answered = await where(commit);
        samples.where.push(answered.ms);
        const naive = await naiveAnswer(history.dir, commit, projects);
        samples.naive.push(naive.ms);
        if (!sameAnswer(whereAnswer(answered.stdout, commit), naive.answer)) samples.differing++;
      }
      for (const list of [samples.node, samples.version, samples.where, samples.naive]) list.sort((a, b) => a - b);
      return samples;
    };
    const p50 = (list: number[]): number => percentile(list, 50);
    const print = (label: string, samples: Awaited<ReturnType<typeof rounds>>, count: number): void => {
      const row = (name: string, list: number[]): string =>
        `  ${name.padEnd(62)} p50 ${ms(p50(list)).padStart(9)}  p95 ${ms(percentile(list, 95)).padStart(9)}  (${(p50(list) / p50(samples.node)).toFixed(2)}× node -e 0)`;
      console.log(`${label}: ${count} rounds; ${machine()}`);
      console.log(row('node -e 0', samples.node));
      console.log(row('flightdeck --version', samples.version));
      console.log(row(`flightdeck where COMMIT --json (${environments} environments)`, samples.where));
      console.log(row(`naive: ${environments} × git merge-base --is-ancestor, 4 at a time`, samples.naive));
      console.log(`  where vs naive at p50: ${(p50(samples.naive) / p50(samples.where)).toFixed(1)}× faster; answers differing from naive: ${samples.differing} of ${count}`);
    };
    console.log(`cli bench: each row a new process; ${allShas.length} commits, ${environments} environments on a server child, ancestry disk cache present`);
    const plain = await rounds(ROUNDS);
    print('without a commit-graph file (as a clone or fast-import leaves a repository)', plain, ROUNDS);
    git(history.dir, ['commit-graph', 'write', '--reachable']);
    const graphRounds = Math.max(1, Math.ceil(ROUNDS / 2));
    const withGraph = await rounds(graphRounds);
    print('with a commit-graph file (as git gc leaves one)', withGraph, graphRounds);

    const versionRatio = p50(plain.version) / p50(plain.node);
    const whereRatio = p50(plain.where) / p50(plain.node);
    const speedup = p50(plain.naive) / p50(plain.where);
    const speedupWithGraph = p50(withGraph.naive) / p50(withGraph.where);
    reportResult({ bench: 'cli', what: '`flightdeck --version`, new process: p50 / `node -e 0`', figure: `${versionRatio.toFixed(2)}× (${ms(p50(plain.version))})`, goal: `≤ ${GOALS.versionRatio}×`, met: versionRatio <= GOALS.versionRatio });
    reportResult({ bench: 'cli', what: `\`flightdeck where COMMIT --json\`, new process, ${allShas.length} commits, ${environments} environments, disk cache: p50 / \`node -e 0\``, figure: `${whereRatio.toFixed(2)}× (${ms(p50(plain.where))})`, goal: `≤ ${GOALS.whereRatio}×`, met: whereRatio <= GOALS.whereRatio });
    reportResult({ bench: 'cli', what: `\`flightdeck where\` vs ${environments} \`git merge-base --is-ancestor\` processes, no commit-graph (p50)`, figure: `${speedup.toFixed(1)}× faster (naive ${ms(p50(plain.naive))})`, goal: `≥ ${GOALS.whereSpeedup}×`, met: speedup >= GOALS.whereSpeedup });
    reportResult({ bench: 'cli', what: `the same with a commit-graph file (git gc) (p50)`, figure: `${speedupWithGraph.toFixed(1)}× (naive ${ms(p50(withGraph.naive))}, where ${ms(p50(withGraph.where))})`, goal: '', met: null });
    const differing = plain.differing + withGraph.differing;
    if (differing > 0) throw new Error(`${differing} of ${ROUNDS + graphRounds} \`where\` answers differ from the naive ones`);
  } finally {
    await child.stop();
    fs.rmSync(history.dir, { recursive: true, force: true });
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

runBench(main, ([dataDir, adminToken]) => serveChild(dataDir ?? '', adminToken ?? ''));
