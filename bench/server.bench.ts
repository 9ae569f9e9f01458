// Server benchmark: `npx tsx bench/server.bench.ts`.
//   1. Seeds 100 projects × 8 environments × 50 deployments in bulk through the store (PGlite).
//   2. Serves it from a child process, next to a bare fastify route that returns a static JSON body of
//      the same size, and loads each for ~10 s at concurrency 32 (requests/s, p50, p99), in alternating
//      one-second slices so that other load on the machine falls on both alike.
//   3. With 100 SSE watchers connected, measures PATCH status call → event arrival (p50, p99).
// Goals: overview ≥ half the bare route's throughput; event p99 ≤ 20 ms.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import type { DeploymentStatus, ProjectSpec } from '../src/api/schemas';
import { SERVER_PRINCIPAL, startServer } from '../src/server';
import { ReleaseService } from '../src/server/service/release-service';
import { Store } from '../src/server/store';
import { runBench, startServerChild } from './serverChild';
import { measureEventLatency, percentile } from './sseLatency';

const PROJECTS = 100;
const ENVIRONMENTS = ['dogfood', 'canary', 'rollout', 'production', 'staging', 'qa', 'eu', 'us'];
const DEPLOYMENTS_PER_ENVIRONMENT = 50;
const CANDIDATES_PER_PROJECT = 10;
const LOAD_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = 32;
const WATCHERS = 100;
const EVENT_ROUNDS = 200;

function commit(n: number): string {
  return n.toString(16).padStart(40, '0');
}

function ladder(): ProjectSpec {
  return {
    repo: 'acme/service',
    description: 'benchmark project',
    environments: ENVIRONMENTS.map((name, position) => ({
      name, position, tier: position < 2 ? 'development' : 'production', protected: false, frozen: false,
      strategy: name === 'rollout' ? 'rollout' : 'standard',
      steps: name === 'rollout' ? [{ percent: 5, soak_seconds: 60 }, { percent: 50, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }] : null,
      auto_promote: null, health_check: null, deploy: { type: 'none', command: null, url: null },
    })),
  };
}

async function seed(dataDir: string): Promise<number> {
  const store = await Store.open({ dataDir });
  const service = new ReleaseService(store);
  let deployments = 0;
  const started = Date.now();
  for (let p = 0; p < PROJECTS; p++) {
    const name = `service-${String(p).padStart(3, '0')}`;
    await service.putProject(name, ladder());
    for (let rc = 1; rc <= CANDIDATES_PER_PROJECT; rc++) {
      await service.createCandidate(name, `1.${rc}.0-rc1`, { commit: commit(p * 100 + rc) });
    }
    deployments += await store.write(async (writer) => {
      const project = await writer.findProject(name);
      if (!project) throw new Error(`${name} vanished`);
      const candidates = [];
      for (let rc = 1; rc <= CANDIDATES_PER_PROJECT; rc++) {
        const candidate = await writer.findCandidate(project.id, `1.${rc}.0-rc1`);
        if (candidate) candidates.push(candidate);
      }
      const rows = [];
      const base = Date.now() - 30 * 24 * 3600 * 1000;
      for (const [e, env] of (await writer.environmentsOf(project.id)).entries()) {
        for (let d = 0; d < DEPLOYMENTS_PER_ENVIRONMENT; d++) {
          const candidate = candidates[(d + e) % candidates.length];
          if (!candidate) throw new Error('no candidate');
          const last = d === DEPLOYMENTS_PER_ENVIRONMENT - 1;
          const status: DeploymentStatus = last && e % 4 === 0 ? 'in_progress' : d % 7 === 6 ? 'failure' : 'success';
          const at = new Date(base + (d * ENVIRONMENTS.length + e) * 60_000);
          rows.push({
            projectId: project.id, environmentId: env.id, candidate, from: undefined, status, kind: 'deploy' as const,
            actor: 'ci-pipeline', at, endAt: status === 'in_progress' ? null : new Date(at.getTime() + 30_000),
            errorMessage: status === 'failure' ? 'smoke tests failed' : null,
            rollout: env.spec.steps ? { step: 2, percent: 100, steps: env.spec.steps, paused: false } : null,
          });
        }
      }
      const count = await writer.insertDeploymentsInBulk(rows);
      writer.recordEvent('project.updated', name, null, new Date());
      return count;
    });
  }
  service.dispose();
  await store.close();
  console.log(`seeded ${PROJECTS} projects × ${ENVIRONMENTS.length} environments, ${deployments} deployments in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return deployments;
}

// ── the child: the Flightdeck server and the bare route, away from the load generator's event loop ──

async function serveChild(dataDir: string, adminToken: string): Promise<void> {
  const server = await startServer({ port: 0, dataDir, adminToken, version: 'bench', logLevel: 'warn' });
  const overview = await server.service.overviewJson(SERVER_PRINCIPAL);
  // The strictest baseline: pre-serialized and pre-encoded, as the overview cache holds its JSON.
  const staticJson = Buffer.from(JSON.stringify({ projects: [], padding: 'x'.repeat(Math.max(0, overview.length - 30)) }), 'utf8');
  const bare = Fastify({ logger: false });
  bare.get('/static', (_request, reply) => reply.type('application/json; charset=utf-8').send(staticJson));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const address = bare.server.address();
  const barePort = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ server: server.url, bare: `http://127.0.0.1:${barePort}`, bytes: overview.length })}\n`);
  process.once('SIGTERM', () => {
    void Promise.all([server.close(), bare.close()]).then(() => process.exit(0));
  });
}

// ── measuring ────────────────────────────────────────────────────────────────────────────────────

interface LoadResult {
  latencies: number[];
  seconds: number;
  errors: number;
}

/** `CONCURRENCY` clients request `url` back to back for `seconds`. */
async function loadSlice(url: string, headers: Record<string, string>, seconds: number, into: LoadResult): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      if (response.status !== 200) into.errors++;
      into.latencies.push(performance.now() - t0);
    }
  }));
  into.seconds += (performance.now() - started) / 1000;
}

/**
 * Loads both targets for LOAD_SECONDS each, in alternating one-second slices, so that load from
 * elsewhere on the machine falls on both alike.
 */
async function loadBoth(
  a: { url: string; headers: Record<string, string> }, b: { url: string; headers: Record<string, string> },
): Promise<Array<{ rps: number; p50: number; p99: number; errors: number }>> {
  const results: LoadResult[] = [{ latencies: [], seconds: 0, errors: 0 }, { latencies: [], seconds: 0, errors: 0 }];
  for (let slice = 0; slice < LOAD_SECONDS; slice++) {
    await loadSlice(a.url, a.headers, 1, results[0] as LoadResult);
    await loadSlice(b.url, b.headers, 1, results[1] as LoadResult);
  }
  return results.map((result) => {
    result.latencies.sort((x, y) => x - y);
    return { rps: result.latencies.length / result.seconds, p50: percentile(result.latencies, 50), p99: percentile(result.latencies, 99), errors: result.errors };
  });
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-bench-'));
  const adminToken = randomBytes(16).toString('hex');
  try {
    await seed(dataDir);
    const child = await startServerChild(__filename, [dataDir, adminToken]);
    const endpoints = JSON.parse(child.announced) as { server: string; bare: string; bytes: number };
    try {
      const auth = { authorization: `Bearer ${adminToken}` };
      // Warm both up (JIT, the overview cache, connections) before measuring.
      await Promise.all(Array.from({ length: 64 }, () => fetch(`${endpoints.server}/api/releases`, { headers: auth }).then((r) => r.arrayBuffer())));
      await Promise.all(Array.from({ length: 64 }, () => fetch(`${endpoints.bare}/static`).then((r) => r.arrayBuffer())));
      const [overview, bare] = await loadBoth({ url: `${endpoints.server}/api/releases`, headers: auth }, { url: `${endpoints.bare}/static`, headers: {} });
      if (!overview || !bare) throw new Error('no load results');
      const events = await measureEventLatency({
        watchUrl: endpoints.server, patchUrl: `${endpoints.server}/api/releases/service-000/environments/qa/deployments`,
        candidate: '1.3.0-rc1', token: adminToken, watchers: WATCHERS, rounds: EVENT_ROUNDS,
      });
      const ratio = overview.rps / bare.rps;
      const kib = (endpoints.bytes / 1024).toFixed(0);
      const row = (name: string, value: string, goal: string): string => `| ${name.padEnd(44)} | ${value.padEnd(34)} | ${goal.padEnd(16)} |`;
      console.log([
        '',
        row('measure', 'result', 'goal'),
        row('-'.repeat(44), '-'.repeat(34), '-'.repeat(16)),
        row(`GET /api/releases (${kib} KiB, c=${CONCURRENCY}, ${LOAD_SECONDS}s)`, `${overview.rps.toFixed(0)} req/s, p50 ${overview.p50.toFixed(1)} ms, p99 ${overview.p99.toFixed(1)} ms`, ''),
        row(`bare fastify, static JSON bytes (${kib} KiB)`, `${bare.rps.toFixed(0)} req/s, p50 ${bare.p50.toFixed(1)} ms, p99 ${bare.p99.toFixed(1)} ms`, ''),
        row('overview / bare throughput', `${ratio.toFixed(2)}`, `≥ 0.50 ${ratio >= 0.5 ? 'ok' : 'MISSED'}`),
        row(`PATCH → SSE event, ${WATCHERS} watchers (${events.samples})`, `p50 ${events.p50.toFixed(1)} ms, p99 ${events.p99.toFixed(1)} ms`, `p99 ≤ 20 ms ${events.p99 <= 20 ? 'ok' : 'MISSED'}`),
        '',
      ].join('\n'));
      if (overview.errors + bare.errors > 0) console.log(`errors: overview ${overview.errors}, bare ${bare.errors}`);
    } finally {
      await child.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main, ([dataDir, adminToken]) => serveChild(dataDir ?? '', adminToken ?? ''));
