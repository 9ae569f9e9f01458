// The repository the `where` benches ask about (bench/where.bench.ts in process, bench/cli.bench.ts as
// whole `flightdeck where` processes): a deterministic history of feature branches, merges, late merges,
// unmerged branches and out-of-order dates, built with one `git fast-import`, and 5 projects × 6
// environments deployed at different commits of it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment, Environment, Project } from '../src/api/schemas';
import * as contract from '../test/shared/contractFixtures';

export const WHERE_PROJECTS = 5;
export const WHERE_ENVIRONMENTS = ['dogfood', 'canary', 'staging', 'rollout', 'production', 'archive'];

// ── a deterministic history ──────────────────────────────────────────────────────────────────────

export function mulberry32(seed: number): () => number {
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

export interface GeneratedHistory {
  dir: string;
  shaByMark: string[];
  mainMarks: number[];
  unmergedHeads: number[];
  merges: number;
}

export function generateRepository(commitCount: number, random: () => number): GeneratedHistory {
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
    // Small nested trees keep fast-import quick: each commit rewrites three tiny trees.
    lines.push(`M 100644 inline src/d${mark % 20}/f${Math.floor(mark / 20) % 10}.txt`, data(`content ${mark}`));
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

export function benchGitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull };
}

export function git(dir: string, args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { env: benchGitEnv(), encoding: 'utf8' }).trim();
}

// ── projects deployed at different commits ───────────────────────────────────────────────────────

function deployment(project: string, environment: string, rc: string, commit: string): Deployment {
  return contract.deployment({
    id: `${project}-${environment}`, project, environment_name: environment, release_candidate_version: rc, commit,
    actor: 'bench', deploy_end_at: contract.FIXTURE_TIME,
  });
}

export function deployedProjects(history: GeneratedHistory, random: () => number): Project[] {
  const { mainMarks, unmergedHeads, shaByMark } = history;
  return Array.from({ length: WHERE_PROJECTS }, (_, p) => {
    const name = `service-${p}`;
    const environments: Environment[] = WHERE_ENVIRONMENTS.map((envName, position) => {
      // Lower rungs run newer main commits; the first project's dogfood runs an unmerged branch.
      const back = position * 700 + p * 90 + Math.floor(random() * 60);
      let mark = mainMarks[Math.max(0, mainMarks.length - 1 - back)] as number;
      if (p === 0 && position === 0 && unmergedHeads[0] !== undefined) mark = unmergedHeads[0];
      const rc = `${p + 1}.${WHERE_ENVIRONMENTS.length - position}.0-rc1`;
      return contract.environment({ name: envName, position, current: deployment(name, envName, rc, shaByMark[mark] as string) });
    });
    return contract.project({ name, environments });
  });
}
