// Engine benchmark: `npm run bench:engine` (tsx bench/engine.bench.ts).
//   500 concurrent rollouts (10 projects × 50 rollout environments, executor `none`) of 4 steps with
//   1 s soaks, on a fresh PGlite data dir, engine and server in this process. For every step it measures
//   the lag between the step's due time (the deployment's creation for the first step, the previous
//   step's `soak_ends_at` for the others) and its application (the commit announcing it), and samples
//   this process's CPU (process.cpuUsage) and memory while the rollouts run.
// Goal (one, stated here and held to): step lag p99 < 100 ms, with this process (server and engine,
// including the 500 deploy requests) under 50 % of one core over the whole run.
// Every rollout must finish within 120 s (BENCH_FINISH_WITHIN_SECONDS): otherwise the bench fails (steps never applied would be missing
// from the lag figures), as it does when a step is seen applied twice or out of order.
// env: BENCH_ROLLOUTS (default 500), BENCH_SOAK_SECONDS (default 1), BENCH_FINISH_WITHIN_SECONDS (default 120).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProjectSpec, type Deployment, type ProjectSpecInput } from '../src/api/schemas';
import { SERVER_PRINCIPAL, startServer } from '../src/server';
import { machine, percentile, reportResult } from './report';

const ROLLOUTS = Number(process.env.BENCH_ROLLOUTS ?? 500);
const SOAK = Number(process.env.BENCH_SOAK_SECONDS ?? 1);
const PER_PROJECT = 50;
const STEPS = [{ percent: 1, soak_seconds: SOAK }, { percent: 10, soak_seconds: SOAK }, { percent: 50, soak_seconds: SOAK }, { percent: 100, soak_seconds: 0 }];

const GOAL = { p99LagMs: 100, cpuPercentOfOneCore: 50 };
const FINISH_WITHIN_MS = Number(process.env.BENCH_FINISH_WITHIN_SECONDS ?? 120) * 1000;

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-engine-bench-'));
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, version: 'bench', logLevel: 'silent' });
  const service = server.service;
  try {
    const projects: string[] = [];
    for (let p = 0; p * PER_PROJECT < ROLLOUTS; p++) {
      const name = `bench-${p}`;
      const count = Math.min(PER_PROJECT, ROLLOUTS - p * PER_PROJECT);
      const spec: ProjectSpecInput = {
        repo: 'acme/bench',
        environments: Array.from({ length: count }, (_, i) => ({
          name: `region-${i}`, tier: 'production' as const, position: i, strategy: 'rollout' as const, steps: STEPS,
          deploy: { type: 'none' as const, command: null, url: null },
        })),
      };
      await service.putProject(name, ProjectSpec.parse(spec));
      await service.createCandidate(name, '1.0.0-rc1', { commit: 'b'.repeat(40) });
      projects.push(name);
    }

    // Due time of each deployment's next step, and the lags measured.
    const due = new Map<string, number>();
    const lags: number[] = [];
    const lagsByStep: number[][] = [];
    const finished = new Set<string>();
    let allDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => { allDone = resolve; });
    const problems: string[] = [];
    const seenStep = new Map<string, number>();
    service.onDeploymentChanged((change) => {
      const now = Date.now();
      const d: Deployment = change.deployment;
      if (!d.rollout || change.type !== 'updated') return;
      // One event per applied step (executor `none`): the step's percent is live.
      const applied = d.status === 'success' ? d.rollout.steps.length - 1 : d.rollout.step;
      if ((seenStep.get(d.id) ?? -1) >= applied) return;
      if (applied !== (seenStep.get(d.id) ?? -1) + 1) problems.push(`${d.id}: step ${applied + 1} applied before step ${(seenStep.get(d.id) ?? -1) + 2}`);
      seenStep.set(d.id, applied);
      // The first step is due at the deployment's creation, even when it is applied before createDeployment returns.
      const dueAt = due.get(d.id) ?? (applied === 0 ? Date.parse(d.deploy_start_at) : undefined);
      if (dueAt !== undefined) {
        lags.push(now - dueAt);
        (lagsByStep[applied] ??= []).push(now - dueAt);
      }
      if (d.rollout.soak_ends_at) due.set(d.id, Date.parse(d.rollout.soak_ends_at));
      if (d.status === 'success') {
        finished.add(d.id);
        if (finished.size === ROLLOUTS) allDone();
      }
    });

    const cpuBefore = process.cpuUsage();
    const wallBefore = Date.now();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
    let createdCount = 0;
    for (const project of projects) {
      for (let i = 0; i < PER_PROJECT && createdCount < ROLLOUTS; i++, createdCount++) {
        const created = await service.createDeployment(SERVER_PRINCIPAL, project, `region-${i}`, { release_candidate_version: '1.0.0-rc1' });
        // The first step is due when the deployment is created.
        if (!seenStep.has(created.id)) due.set(created.id, Date.parse(created.deploy_start_at));
        // Requests arrive as separate turns of the event loop (as HTTP requests do), not one promise chain.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const createdIn = Date.now() - wallBefore;
    const cpuAfterCreation = process.cpuUsage();
    // Unfinished rollouts fail the bench: their missing steps would flatter the lag figures.
    let timedOut = false;
    const timeout = setTimeout(() => { timedOut = true; allDone(); }, FINISH_WITHIN_MS);
    await done;
    clearTimeout(timeout);
    clearInterval(sampler);
    const wall = Date.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const sorted = [...lags].sort((a, b) => a - b);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / wall) * 100;
    const engineCpu = process.cpuUsage(cpuAfterCreation);
    const engineCpuPercent = ((engineCpu.user + engineCpu.system) / 1000 / (wall - createdIn)) * 100;
    const p99 = percentile(sorted, 99);
    const expectedSteps = ROLLOUTS * STEPS.length;
    console.log(`engine bench: ${ROLLOUTS} rollouts × ${STEPS.length} steps, ${SOAK} s soaks, executor none, PGlite; ${machine()}`);
    console.log(`  goal: step lag p99 < ${GOAL.p99LagMs} ms at < ${GOAL.cpuPercentOfOneCore} % of one core (the whole process, deploy requests included)`);
    console.log(`  created all in ${createdIn} ms; ${finished.size}/${ROLLOUTS} finished in ${(wall / 1000).toFixed(1)} s; ${sorted.length}/${expectedSteps} steps applied`);
    console.log(`  step lag (due → applied), ${sorted.length} steps: p50 ${percentile(sorted, 50)} ms, p95 ${percentile(sorted, 95)} ms, p99 ${p99} ms, max ${sorted.at(-1)} ms`);
    console.log(`  by step: ${lagsByStep.map((l, i) => { const s = [...l].sort((a, b) => a - b); return `${i + 1}: p50 ${percentile(s, 50)} / p99 ${percentile(s, 99)} ms`; }).join('; ')}`);
    console.log(`  CPU ${cpuPercent.toFixed(1)} % of one core (user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms over ${wall} ms); peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
    console.log(`  after the last deployment was created (the engine alone): CPU ${engineCpuPercent.toFixed(1)} % of one core over ${wall - createdIn} ms (reported, not the goal)`);
    if (timedOut || finished.size < ROLLOUTS) problems.push(`${ROLLOUTS - finished.size} of ${ROLLOUTS} rollouts did not finish within ${FINISH_WITHIN_MS / 1000} s`);
    if (sorted.length !== expectedSteps) problems.push(`${sorted.length} of ${expectedSteps} steps were measured`);
    const met = p99 < GOAL.p99LagMs && cpuPercent < GOAL.cpuPercentOfOneCore;
    console.log(`  goal ${met ? 'met' : 'NOT met'}`);
    if (problems.length === 0) {
      reportResult({ bench: 'engine', what: `${ROLLOUTS} concurrent rollouts × ${STEPS.length} steps (${SOAK} s soaks), PGlite: step lag p99, CPU of one core`, figure: `p99 ${p99} ms (p50 ${percentile(sorted, 50)} ms), ${cpuPercent.toFixed(0)} % CPU`, goal: `p99 < ${GOAL.p99LagMs} ms at < ${GOAL.cpuPercentOfOneCore} % CPU`, met });
    }
    if (problems.length > 0) throw new Error(`engine bench FAILED: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
  } finally {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
