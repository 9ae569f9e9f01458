// Server benchmark: `npx tsx bench/server.bench.ts`.
//   1. Seeds 100 projects × 8 environments × 50 deployments in bulk through the store (PGlite).
//   2. Serves it from a child process, next to a bare fastify route that returns a static JSON body of
//      the same size, and loads each for ~10 s at concurrency 32 (requests/s, p50, p99), in alternating
//      one-second slices so that other load on the machine falls on both alike.
//   3. The overview's build cost: a PATCH before every GET (a write invalidates the overview cache), one
//      client, so every read is a cache miss; each answer must show the write just made (p50, p99).
//   4. With 100 SSE watchers connected, measures PATCH status call → event arrival (p50, p99), each
//      arrival matched to its round and watcher (bench/sseLatency.ts).
// Every response body is checked: parsed, with the expected number of projects and environments (the
// bare route's: its length). A wrong body, an error status or a missing event fails the bench.
// Goals: overview (cache hits) ≥ half the bare route's throughput; event p99 ≤ 20 ms; the cache-miss
// read is reported.
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
import { environmentSpec } from '../test/shared/contractFixtures';
import { runBench, startServerChild } from './serverChild';
import { machine, percentile, reportResult } from './report';
import { measureEventLatency } from './sseLatency';

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
    environments: ENVIRONMENTS.map((name, position) => environmentSpec({
      name, position, tier: position < 2 ? 'development' : 'production',
      strategy: name === 'rollout' ? 'rollout' : 'standard',
      steps: name === 'rollout' ? [{ percent: 5, soak_seconds: 60 }, { percent: 50, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }] : null,
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
  // The watchers all use the admin token: lift the per-token cap on event streams (20 by default).
  const server = await startServer({ port: 0, dataDir, adminToken, version: 'bench', logLevel: 'warn', maxStreamsPerToken: 10 * WATCHERS });
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
  /** Answers that were not 200 with the expected body, and why (the first few). */
  wrong: number;
  why: string[];
}

/** Whether a body is what its target must answer; a sentence saying why not, or undefined. */
type BodyCheck = (body: string) => string | undefined;

/** The overview: every project, each with all its environments. */
const overviewBody: BodyCheck = (body) => {
  const parsed = JSON.parse(body) as { projects?: { environments?: unknown[] }[] };
  if (parsed.projects?.length !== PROJECTS) return `${parsed.projects?.length} projects, expected ${PROJECTS}`;
  const short = parsed.projects.find((p) => p.environments?.length !== ENVIRONMENTS.length);
  return short ? `a project with ${short.environments?.length} environments, expected ${ENVIRONMENTS.length}` : undefined;
};

/** `CONCURRENCY` clients request `url` back to back for `seconds`; every answer is checked. */
async function loadSlice(url: string, headers: Record<string, string>, check: BodyCheck, seconds: number, into: LoadResult): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const response = await fetch(url, { headers });
      const body = await response.text();
      into.latencies.push(performance.now() - t0);
      let why: string | undefined;
      try {
        why = response.status !== 200 ? `status ${response.status}` : check(body);
      } catch (error) {
        why = `not JSON: ${(error as Error).message}`;
      }
      if (why !== undefined) {
        into.wrong++;
        if (into.why.length < 3) into.why.push(why);
      }
    }
  }));
  into.seconds += (performance.now() - started) / 1000;
}

/**
 * Loads both targets for LOAD_SECONDS each, in alternating one-second slices, so that load from
 * elsewhere on the machine falls on both alike.
 */
interface Target {
  url: string;
  headers: Record<string, string>;
  check: BodyCheck;
}

async function loadBoth(a: Target, b: Target): Promise<Array<{ rps: number; p50: number; p99: number; wrong: number; why: string[] }>> {
  const results: LoadResult[] = [{ latencies: [], seconds: 0, wrong: 0, why: [] }, { latencies: [], seconds: 0, wrong: 0, why: [] }];
  for (let slice = 0; slice < LOAD_SECONDS; slice++) {
    await loadSlice(a.url, a.headers, a.check, 1, results[0] as LoadResult);
    await loadSlice(b.url, b.headers, b.check, 1, results[1] as LoadResult);
  }
  return results.map((result) => {
    result.latencies.sort((x, y) => x - y);
    return { rps: result.latencies.length / result.seconds, p50: percentile(result.latencies, 50), p99: percentile(result.latencies, 99), wrong: result.wrong, why: result.why };
  });
}

/**
 * The overview right after a write: one client alternates a PATCH (in_progress, then success, of one
 * candidate) with a GET of the overview for LOAD_SECONDS, so every GET finds the cache invalidated. Each
 * overview must show the deployment the PATCH just made or moved, with its new status.
 */
async function overviewAfterWrites(server: string, auth: Record<string, string>): Promise<{ p50: number; p99: number; reads: number; writeP50: number }> {
  const [project, environment] = ['service-001', 'eu'];
  const reads: number[] = [];
  const writes: number[] = [];
  const deadline = performance.now() + LOAD_SECONDS * 1000;
  for (let round = 0; performance.now() < deadline || round % 2 === 1; round++) {
    const w0 = performance.now();
    const patched = await fetch(`${server}/api/releases/${project}/environments/${environment}/deployments`, {
      method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ release_candidate_version: '1.4.0-rc1', status: round % 2 === 0 ? 'in_progress' : 'success' }),
    });
    const written = JSON.parse(await patched.text()) as { id: string; status: string };
    if (patched.status !== 200) throw new Error(`PATCH: ${patched.status} ${JSON.stringify(written)}`);
    writes.push(performance.now() - w0);
    const r0 = performance.now();
    const response = await fetch(`${server}/api/releases`, { headers: auth });
    const body = await response.text();
    reads.push(performance.now() - r0);
    const wrong = response.status !== 200 ? `status ${response.status}` : overviewBody(body);
    if (wrong) throw new Error(`overview after a write: ${wrong}`);
    const env = (JSON.parse(body) as { projects: { name: string; environments: { name: string; current: { id: string; status: string } | null; active: { id: string; status: string } | null }[] }[] })
      .projects.find((p) => p.name === project)?.environments.find((e) => e.name === environment);
    const shown = [env?.current, env?.active].find((d) => d?.id === written.id);
    if (shown?.status !== written.status) throw new Error(`the overview read after the write does not show deployment ${written.id} ${written.status} (a stale cache?)`);
  }
  reads.sort((a, b) => a - b);
  writes.sort((a, b) => a - b);
  return { p50: percentile(reads, 50), p99: percentile(reads, 99), reads: reads.length, writeP50: percentile(writes, 50) };
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
      const bareBody: BodyCheck = (body) => ((JSON.parse(body) as { padding?: string }).padding?.length === endpoints.bytes - 30 ? undefined : 'not the static body');
      const [overview, bare] = await loadBoth(
        { url: `${endpoints.server}/api/releases`, headers: auth, check: overviewBody },
        { url: `${endpoints.bare}/static`, headers: {}, check: bareBody },
      );
      if (!overview || !bare) throw new Error('no load results');
      if (overview.wrong + bare.wrong > 0) {
        throw new Error(`wrong answers: overview ${overview.wrong} (${overview.why.join('; ')}), bare ${bare.wrong} (${bare.why.join('; ')})`);
      }
      const miss = await overviewAfterWrites(endpoints.server, auth);
      const events = await measureEventLatency({
        watchUrl: endpoints.server, patchUrl: `${endpoints.server}/api/releases/service-000/environments/qa/deployments`,
        candidate: '1.3.0-rc1', token: adminToken, watchers: WATCHERS, rounds: EVENT_ROUNDS,
      });
      const ratio = overview.rps / bare.rps;
      const kib = (endpoints.bytes / 1024).toFixed(0);
      const row = (name: string, value: string, goal: string): string => `| ${name.padEnd(52)} | ${value.padEnd(36)} | ${goal.padEnd(16)} |`;
      console.log([
        '',
        `server bench; ${machine()}`,
        row('measure', 'result', 'goal'),
        row('-'.repeat(52), '-'.repeat(36), '-'.repeat(16)),
        row(`GET /api/releases (${kib} KiB, c=${CONCURRENCY}, ${LOAD_SECONDS}s, cache hits)`, `${overview.rps.toFixed(0)} req/s, p50 ${overview.p50.toFixed(1)} ms, p99 ${overview.p99.toFixed(1)} ms`, ''),
        row(`bare fastify, static JSON bytes (${kib} KiB)`, `${bare.rps.toFixed(0)} req/s, p50 ${bare.p50.toFixed(1)} ms, p99 ${bare.p99.toFixed(1)} ms`, ''),
        row('overview / bare throughput', `${ratio.toFixed(2)}`, `≥ 0.50 ${ratio >= 0.5 ? 'ok' : 'MISSED'}`),
        row(`GET /api/releases after a PATCH (cache miss, ${miss.reads})`, `p50 ${miss.p50.toFixed(1)} ms, p99 ${miss.p99.toFixed(1)} ms`, 'reported'),
        row(`PATCH → SSE event, ${WATCHERS} watchers (${events.samples})`, `p50 ${events.p50.toFixed(1)} ms, p99 ${events.p99.toFixed(1)} ms`, `p99 ≤ 20 ms ${events.p99 <= 20 ? 'ok' : 'MISSED'}`),
        '',
      ].join('\n'));
      reportResult({ bench: 'server', what: `\`GET /api/releases\`, ${PROJECTS} projects × ${ENVIRONMENTS.length} environments × ${DEPLOYMENTS_PER_ENVIRONMENT} deployments (${kib} KiB), c=${CONCURRENCY}, cache hits: throughput / a bare fastify route with the same bytes`, figure: `${ratio.toFixed(2)} (${overview.rps.toFixed(0)} vs ${bare.rps.toFixed(0)} req/s; p99 ${overview.p99.toFixed(0)} ms)`, goal: '≥ 0.50', met: ratio >= 0.5 });
      reportResult({ bench: 'server', what: '`GET /api/releases` right after a `PATCH` (cache invalidated: the overview built), one client', figure: `p50 ${miss.p50.toFixed(1)} ms, p99 ${miss.p99.toFixed(1)} ms (${miss.reads} reads)`, goal: '', met: null });
      reportResult({ bench: 'server', what: `\`PATCH\` status → its SSE event at ${WATCHERS} watchers, PGlite (each arrival matched to its round and watcher)`, figure: `p50 ${events.p50.toFixed(1)} ms, p99 ${events.p99.toFixed(1)} ms`, goal: 'p99 ≤ 20 ms', met: events.p99 <= 20 });
    } finally {
      await child.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main, ([dataDir, adminToken]) => serveChild(dataDir ?? '', adminToken ?? ''));
