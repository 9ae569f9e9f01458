// `npm run bench:scale`: a team's release server at scale. Three server processes on one PostgreSQL
// database, 10,000 SSE watchers spread across them (held by a few client processes), then 200 status
// changes sent through randomly chosen replicas. With `--rolling` (`npm run bench:rolling`), the replicas
// are restarted one after another with SIGTERM while the changes are sent: their watchers reconnect to
// any replica with Last-Event-ID.
//
// Checked for every watcher: it received every event of the run exactly once, in id order (compared with
// the event log read back at the end). Reported: write 2xx → arrival latency p50/p99 per replica and
// overall, each replica's peak RSS and CPU, writes retried (a replica that was shutting down or gone),
// and what each replica says of itself (/metrics: event loop delay, streams' catch-up time).
// Goal (2-core machine): nothing lost or duplicated, p99 ≤ 250 ms on the streams open when the event was
// written, each replica < 300 MiB RSS. The events a watcher catches up on after its replica restarted
// (it was disconnected when they were written) are reported apart: their wait is the reconnect's.
//
// The replicas are the built server (`node dist/cli.js serve`), as operators run it. The changes are
// sent open loop, at a fixed rate (5 a second: a status change every 200 ms, far busier than a team's
// pipelines), so a slow server cannot slow its own load down. The watchers read their streams over bare
// sockets (bench/rawEventStream.ts): they share the two cores with the servers they measure.
// Needs FLIGHTDECK_TEST_DATABASE_URL (a PostgreSQL server it may create and drop a database on).
// Scale: BENCH_SCALE_WATCHERS (10000), BENCH_SCALE_WRITES (200), BENCH_SCALE_RATE (5 a second),
// BENCH_SCALE_CLIENTS (4). Profiling: BENCH_SERVER_NODE_ARGS, BENCH_CLIENT_NODE_ARGS (e.g. `--cpu-prof`).
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createTestDatabase, postgresSkipReason } from '../test/unit/helpers/server';
import { now, type FromClient, type ToClient } from './scaleWatchers';
import { reportResult } from './report';
import { startCliServer, type ServerChild } from './serverChild';
import { percentile } from './sseLatency';

const WATCHERS = Number(process.env.BENCH_SCALE_WATCHERS ?? 10_000);
const WRITES = Number(process.env.BENCH_SCALE_WRITES ?? 200);
const CLIENTS = Number(process.env.BENCH_SCALE_CLIENTS ?? 4);
/** Status changes sent per second: a few hundred pipelines' worth (see the goal). */
const RATE = Number(process.env.BENCH_SCALE_RATE ?? 5);
const REPLICAS = 3;
const ROLLING = process.argv.includes('--rolling');
const PROJECT = 'scale';
const ENVIRONMENTS = ['east', 'west', 'north', 'south'];
/** Watchers per token: a team's developers each hold one or a few streams. */
const STREAMS_PER_TOKEN = 10;
const GOAL = { p99Ms: 250, rssMiB: 300 };
/** How long every watcher may take to hear the last event once the writes are done. */
const DRAIN_TIMEOUT_MS = 120_000;


// ── a replica: the built server, as operators run it ─────────────────────────────────────────────

const CLI = path.join(__dirname, '..', 'dist', 'cli.js');

function startReplica(databaseUrl: string, adminToken: string): Promise<ServerChild> {
  return startCliServer(CLI, ['--port', '0', '--database-url', databaseUrl, '--log-level', 'warn'], { FLIGHTDECK_ADMIN_TOKEN: adminToken });
}

// ── the coordinator ──────────────────────────────────────────────────────────────────────────────

interface Replica {
  child: ServerChild;
  url: string;
  peakRssMiB: number;
  /** The bench's phase when the peak was sampled. */
  peakPhase?: string;
  cpuSeconds: number;
}

/** RSS (MiB) and user+system CPU seconds of a process, from /proc. */
function usage(pid: number): { rssMiB: number; cpuSeconds: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    return { rssMiB: rss, cpuSeconds: ticks / 100 };
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process (sockets included), from /proc. */
function openFiles(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/** Each replica's RSS and open files: what the limits in docs/operating.md are measured from. */
function footprint(replicas: Array<Replica | undefined>): Array<{ rssMiB: number; files: number }> {
  return replicas.map((replica) => {
    const pid = replica?.child.pid;
    return pid === undefined ? { rssMiB: Number.NaN, files: Number.NaN } : { rssMiB: usage(pid)?.rssMiB ?? Number.NaN, files: openFiles(pid) };
  });
}

/** A few of a replica's own metrics (GET /metrics): why its watchers waited, when they did. */
interface ServerFigures {
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  fannedOut: number;
  replayed: number;
  /** Streams that went live since the start, and the histogram bucket (seconds) that holds the 99th of them. */
  caughtUp: number;
  catchUpP99: string;
}

function describeFigures(figures: ServerFigures): string {
  return `event loop delay max ${figures.loopDelayMaxMs.toFixed(0)} ms (p99 ${figures.loopDelayP99Ms.toFixed(0)} ms); `
    + `events sent ${figures.fannedOut}, of them read back from the log ${figures.replayed}; `
    + `streams gone live ${figures.caughtUp}, 99% of them within ${figures.catchUpP99} s of their request`;
}

async function serverFigures(url: string, token: string): Promise<ServerFigures> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
  const text = await response.text();
  const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    loopDelayMaxMs: value('nodejs_eventloop_lag_max_seconds') * 1000,
    loopDelayP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    fannedOut: value('flightdeck_events_fanned_out_total'),
    replayed: value('flightdeck_events_replayed_total'),
    caughtUp: value('flightdeck_event_stream_catch_up_seconds_count'),
    catchUpP99: histogramQuantile(text, 'flightdeck_event_stream_catch_up_seconds', 0.99),
  };
}

/** The upper bound (`le`) of the bucket holding quantile `q` of a Prometheus histogram, as printed. */
function histogramQuantile(text: string, name: string, q: number): string {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => ({ le: m[1] as string, count: Number(m[2]) }));
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total === 0) return '-';
  return buckets.find((bucket) => bucket.count >= q * total)?.le ?? '-';
}

/** The database's sessions by application_name (pool, LISTEN, engine lock), all replicas together. */
async function databaseSessions(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-observer' });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; count: string }>(
      "SELECT application_name AS name, count(*) AS count FROM pg_stat_activity WHERE datname = current_database() AND application_name <> 'bench-observer' GROUP BY 1 ORDER BY 1",
    );
    return rows.map((r) => `${r.name || '(unnamed)'} ${r.count}`).join(', ');
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const skip = await postgresSkipReason();
  if (skip) throw new Error(`bench:scale needs PostgreSQL: ${skip}`);
  console.log(`bench:scale${ROLLING ? ' --rolling' : ''}: ${REPLICAS} replicas on one PostgreSQL database, ${WATCHERS} watchers in ${CLIENTS} client processes, ${WRITES} status changes through random replicas`);
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`goal: every watcher gets every event once, in order; write → arrival p99 ≤ ${GOAL.p99Ms} ms on the streams open at the write `
    + `(what a watcher catches up on after reconnecting is reported beside it); each replica < ${GOAL.rssMiB} MiB RSS`);

  // The replicas are `node dist/cli.js serve`: build it as shipped.
  execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: path.join(__dirname, '..'), stdio: 'inherit' });
  const database = await createTestDatabase();
  const adminToken = randomBytes(16).toString('hex');
  const replicas: Array<Replica | undefined> = [];
  const clients: ChildProcess[] = [];
  const retired: Replica[] = [];
  try {
    for (let i = 0; i < REPLICAS; i++) {
      const child = await startReplica(database.url, adminToken);
      replicas.push({ child, url: child.announced, peakRssMiB: 0, cpuSeconds: 0 });
    }
    let phase = 'start';
    const sampler = setInterval(() => {
      for (const replica of replicas) {
        if (!replica) continue;
        const used = usage(replica.child.pid);
        if (used) {
          if (used.rssMiB > replica.peakRssMiB) {
            replica.peakRssMiB = used.rssMiB;
            replica.peakPhase = phase;
          }
          replica.cpuSeconds = used.cpuSeconds;
        }
      }
    }, 250);

    const first = replicas[0] as Replica;
    const api = async (method: string, url: string, body: unknown): Promise<{ status: number; text: string }> => {
      const response = await fetch(url, { method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, text: await response.text() };
    };
    const must = async (method: string, url: string, body: unknown): Promise<string> => {
      const answer = await api(method, url, body);
      if (answer.status >= 300) throw new Error(`${method} ${url}: ${answer.status} ${answer.text}`);
      return answer.text;
    };
    await must('PUT', `${first.url}/api/releases/${PROJECT}`, {
      repo: 'acme/scale',
      environments: ENVIRONMENTS.map((name, position) => ({ name, tier: 'production', position, strategy: 'standard' })),
    });
    const candidates = Math.ceil(WRITES / 2 / ENVIRONMENTS.length) + 1;
    for (let rc = 1; rc <= candidates; rc++) await must('POST', `${first.url}/api/releases/${PROJECT}/releases/1.0.0-rc${rc}`, { commit: randomBytes(20).toString('hex') });
    const tokens: string[] = [];
    for (let i = 0; i < Math.ceil(WATCHERS / STREAMS_PER_TOKEN); i++) {
      tokens.push((JSON.parse(await must('POST', `${first.url}/api/tokens`, { role: 'viewer', name: `dev-${i}` })) as { token: string }).token);
    }
    const since = await latestEventId(first.url, adminToken);
    const idle = footprint(replicas);

    // Watchers, spread over the replicas and the client processes.
    phase = 'connecting';
    const started = performance.now();
    const connected = Array.from({ length: CLIENTS }, (_, c) => {
      const child = fork(path.join(__dirname, 'scaleWatchers.ts'), ['--watch-client'], { execArgv: [...(process.env.BENCH_CLIENT_NODE_ARGS?.split(' ').filter((arg) => arg !== '') ?? []), '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      clients.push(child);
      // A client that dies fails the bench through its exit below; a send to it must not throw meanwhile.
      child.on('error', () => undefined);
      const mine = Array.from({ length: WATCHERS }, (_, w) => w).filter((w) => w % CLIENTS === c)
        .map((w) => ({ token: tokens[Math.floor(w / STREAMS_PER_TOKEN)] as string, replica: w % REPLICAS }));
      return new Promise<void>((resolve, reject) => {
        child.on('message', (message: FromClient) => { if (message.type === 'connected') resolve(); });
        child.once('exit', (code) => reject(new Error(`watcher client ${c} exited (${code})`)));
        child.send({ type: 'start', watchers: mine, urls: replicas.map((r) => r?.url), since, project: PROJECT, replicas: REPLICAS, lateMs: GOAL.p99Ms } satisfies ToClient);
      });
    });
    await withTimeout(Promise.all(connected), 120_000, 'watchers to connect');
    console.log(`${WATCHERS} watchers connected in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    // Every stream open, before the writes: memory and descriptors per stream (load average beside them).
    footprint(replicas).forEach((held, index) => {
      const before = idle[index] ?? { rssMiB: Number.NaN, files: Number.NaN };
      const streams = Math.ceil((WATCHERS - index) / REPLICAS);
      console.log(`footprint, replica ${index + 1}: ${streams} streams, RSS ${before.rssMiB.toFixed(0)} → ${held.rssMiB.toFixed(0)} MiB `
        + `(${(((held.rssMiB - before.rssMiB) * 1024) / streams).toFixed(1)} KiB per stream), open files ${before.files} → ${held.files}; `
        + `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    });
    const broadcast = (message: ToClient): void => {
      for (const client of clients) if (client.connected) client.send(message);
    };

    // The writes: in_progress then success of a candidate, environment after environment; each through a
    // random replica. A replica shutting down (503) or gone (connection refused) did nothing: retried
    // on another one. Any other failure fails the bench.
    const writes: Array<{ deployment: string; status: string; at: number }> = [];
    const writesStarted = performance.now();
    // Every replica process's CPU, the ones restarted away included (their last sample; a successor counts
    // from its start).
    const replicaCpu = (): number => [...replicas, ...retired].reduce((sum, r) => sum + (r ? usage(r.child.pid)?.cpuSeconds ?? r.cpuSeconds : 0), 0);
    const replicaCpuBefore = replicaCpu();
    const clientCpuBefore = clients.reduce((sum, c) => sum + (usage(c.pid ?? 0)?.cpuSeconds ?? 0), 0);
    let retries = 0;
    let retried503 = 0;
    let restarting: Promise<void> | undefined;
    const draining: Replica[] = [];
    const restartAt = new Set(ROLLING ? [1, 2, 3].map((k) => Math.floor((WRITES * k) / 4)) : []);
    let nextRestart = 0;
    // Read (and so reset) each replica's event-loop delay figures; read again after the writes.
    await Promise.all(replicas.map((r) => (r ? serverFigures(r.url, adminToken) : undefined)));
    let latestStartMs = 0;
    phase = 'writing';
    for (let i = 0; i < WRITES; i++) {
      // Open loop: write i is due at i / RATE seconds, whatever the answers' pace (a slow server must not
      // slow its own load down); a write still waiting for its answer makes the next one start late.
      const due = writesStarted + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else latestStartMs = Math.max(latestStartMs, -wait);
      if (restartAt.has(i)) {
        await restarting;
        const index = nextRestart++ % REPLICAS;
        restarting = (async () => {
          const old = replicas[index] as Replica;
          replicas[index] = undefined;
          // Watchers reconnect elsewhere; writes may still reach it until it has exited, as they would
          // through a load balancer whose health check has not noticed yet (503 or refused: retried).
          draining.push(old);
          broadcast({ type: 'urls', urls: replicas.map((r) => r?.url) });
          console.log(`replica ${index + 1} before its restart: ${describeFigures(await serverFigures(old.url, adminToken))}`);
          const stopping = performance.now();
          await old.child.stop();
          const stoppedMs = performance.now() - stopping;
          draining.splice(draining.indexOf(old), 1);
          retired.push(old);
          const child = await startReplica(database.url, adminToken);
          console.log(`restart at write ${i}: replica ${index + 1} exited ${(stoppedMs / 1000).toFixed(1)} s after SIGTERM${old.child.exitSignal ? ` (${old.child.exitSignal})` : ''}, `
            + `its successor listened ${((performance.now() - stopping - stoppedMs) / 1000).toFixed(1)} s later`);
          replicas[index] = { child, url: child.announced, peakRssMiB: 0, cpuSeconds: 0 };
          broadcast({ type: 'urls', urls: replicas.map((r) => r?.url) });
        })();
      }
      const environment = ENVIRONMENTS[Math.floor(i / 2) % ENVIRONMENTS.length] as string;
      const candidate = `1.0.0-rc${Math.floor(i / 2 / ENVIRONMENTS.length) + 1}`;
      const status = i % 2 === 0 ? 'in_progress' : 'success';
      for (;;) {
        const targets = [...replicas.filter((r): r is Replica => r !== undefined), ...draining];
        const pick = targets[Math.floor(Math.random() * targets.length)] as Replica;
        let answer: { status: number; text: string };
        try {
          answer = await api('PATCH', `${pick.url}/api/releases/${PROJECT}/environments/${environment}/deployments`, { release_candidate_version: candidate, status });
        } catch {
          retries++;
          continue;
        }
        if (answer.status === 503) {
          retries++;
          retried503++;
          continue;
        }
        if (answer.status !== 200) throw new Error(`write ${i}: ${answer.status} ${answer.text}`);
        const deployment = JSON.parse(answer.text) as { id: string; status: string };
        if (deployment.status !== status) throw new Error(`write ${i}: answered ${deployment.status}, sent ${status}`);
        writes.push({ deployment: deployment.id, status, at: now() });
        break;
      }
    }
    await restarting;
    const writeSeconds = (performance.now() - writesStarted) / 1000;
    console.log(`${writes.length} writes in ${writeSeconds.toFixed(1)} s (${RATE}/s due; the latest started ${latestStartMs.toFixed(0)} ms late); CPU meanwhile: `
      + `replicas ${(replicaCpu() - replicaCpuBefore).toFixed(1)} s, `
      + `watcher clients ${(clients.reduce((sum, c) => sum + (usage(c.pid ?? 0)?.cpuSeconds ?? 0), 0) - clientCpuBefore).toFixed(1)} s`);
    for (const [index, replica] of replicas.entries()) {
      if (!replica) continue;
      const figures = await serverFigures(replica.url, adminToken);
      console.log(`replica ${index + 1} during the writes: ${describeFigures(figures)}`);
    }
    console.log(`database sessions after the writes (${REPLICAS} replicas): ${await databaseSessions(database.url)}`);

    // The reference: the event log after `since`, read back through a replay; each write's event found in it.
    const live = replicas.find((r): r is Replica => r !== undefined) as Replica;
    const log = await readEventLog(live.url, adminToken, since, writes.length);
    const writtenAt: Record<number, number> = {};
    for (const write of writes) {
      const event = log.find((e) => e.deployment === write.deployment && e.status === write.status);
      if (!event) throw new Error(`no event in the log for deployment ${write.deployment} → ${write.status}`);
      writtenAt[event.id] = write.at;
    }
    const lastId = Math.max(...log.map((e) => e.id));
    phase = 'draining';
    const drained = performance.now();
    const done = Promise.all(clients.map((client) => new Promise<number>((resolve) => {
      client.on('message', (message: FromClient) => { if (message.type === 'done') resolve(message.reconnects); });
    })));
    broadcast({ type: 'final', lastId });
    const reconnectCounts = await withTimeout(done, DRAIN_TIMEOUT_MS, 'every watcher to receive the last event');
    const drainMs = performance.now() - drained;

    const results = await withTimeout(Promise.all(clients.map((client) => new Promise<Extract<FromClient, { type: 'result' }>>((resolve) => {
      client.on('message', (message: FromClient) => { if (message.type === 'result') resolve(message); });
      client.send({ type: 'report', writtenAt } satisfies ToClient);
    }))), 60_000, 'the watcher clients\' results');
    clearInterval(sampler);
    const failures = results.flatMap((r) => r.failures);
    const byReplica = Array.from({ length: REPLICAS }, (_, index) => results.flatMap((r) => r.latencyByReplica[index] ?? []).sort((a, b) => a - b));
    const overall = byReplica.flat().sort((a, b) => a - b);
    const resumed = results.flatMap((r) => r.resumed).sort((a, b) => a - b);
    const arrivals = [...overall, ...resumed].sort((a, b) => a - b);
    const expectedArrivals = WATCHERS * Object.keys(writtenAt).length;
    // Where the late arrivals were: which writes (in order) most watchers heard late, and beside them the
    // writes at which replicas were restarted.
    const late = new Map<number, { late: number; maxMs: number }>();
    for (const result of results) {
      for (const [id, entry] of Object.entries(result.lateByEvent)) {
        const sum = late.get(Number(id)) ?? { late: 0, maxMs: 0 };
        late.set(Number(id), { late: sum.late + entry.late, maxMs: Math.max(sum.maxMs, entry.maxMs) });
      }
    }
    const writeIndexOf = new Map(Object.keys(writtenAt).map(Number).sort((a, b) => a - b).map((id, index) => [id, index]));
    const worst = [...late].sort((a, b) => b[1].late - a[1].late).slice(0, 6)
      .map(([id, entry]) => `write ${writeIndexOf.get(id)}: ${entry.late} late, max ${entry.maxMs.toFixed(0)} ms`);
    console.log(`arrivals over ${GOAL.p99Ms} ms: ${[...late.values()].reduce((sum, e) => sum + e.late, 0)} in ${late.size} of ${writeIndexOf.size} writes`
      + `${worst.length > 0 ? `; most: ${worst.join('; ')}` : ''}${ROLLING ? `; replicas restarted at writes ${[...restartAt].join(', ')}` : ''}`);

    const row = (name: string, value: string, goal: string): string => `| ${name.padEnd(48)} | ${value.padEnd(40)} | ${goal.padEnd(22)} |`;
    const lines = ['', row('measure', 'result', 'goal'), row('-'.repeat(48), '-'.repeat(40), '-'.repeat(22))];
    byReplica.forEach((latencies, index) => {
      lines.push(row(`write → arrival, watchers on replica ${index + 1} (${latencies.length})`, `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`, 'reported'));
    });
    const p99 = percentile(overall, 99);
    const spread = (sorted: readonly number[]): string => `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${(sorted[sorted.length - 1] ?? Number.NaN).toFixed(0)} ms`;
    lines.push(row(`write → arrival, streams open at the write (${overall.length})`, `p50 ${percentile(overall, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`, `p99 ≤ ${GOAL.p99Ms} ms ${p99 <= GOAL.p99Ms ? 'met' : 'MISSED'}`));
    lines.push(row(`write → arrival, caught up on reconnecting (${resumed.length})`, resumed.length > 0 ? spread(resumed) : 'none', 'reported'));
    lines.push(row(`write → arrival, all (${arrivals.length} of ${expectedArrivals})`, spread(arrivals), 'reported'));
    const all = [...replicas.filter((r): r is Replica => r !== undefined), ...retired];
    all.forEach((replica, index) => {
      lines.push(row(`replica process ${index + 1}${retired.includes(replica) ? ' (restarted away)' : ''}`, `peak RSS ${replica.peakRssMiB.toFixed(0)} MiB (${replica.peakPhase}), CPU ${replica.cpuSeconds.toFixed(1)} s`, `< ${GOAL.rssMiB} MiB ${replica.peakRssMiB < GOAL.rssMiB ? 'met' : 'MISSED'}`));
    });
    lines.push(row(`watcher client processes (${CLIENTS})`, `CPU ${results.reduce((sum, r) => sum + r.cpuSeconds, 0).toFixed(1)} s`, 'reported'));
    lines.push(row('writes retried on another replica', `${retries} (${retried503} answered 503 while closing, ${retries - retried503} refused)`, ROLLING ? 'reported' : '0'));
    lines.push(row('watcher reconnects', String(reconnectCounts.reduce((a, b) => a + b, 0)), ROLLING ? 'reported' : '0'));
    const gaps = results.flatMap((r) => r.reconnectGaps).sort((a, b) => a - b);
    if (gaps.length > 0) lines.push(row(`stream end → next stream's 200 (${gaps.length})`, spread(gaps), 'reported'));
    const failed = new Map<string, number>();
    for (const result of results) for (const [why, count] of Object.entries(result.failedAttempts)) failed.set(why, (failed.get(why) ?? 0) + count);
    if (failed.size > 0) lines.push(row('reconnect attempts that failed', [...failed].map(([why, count]) => `${count} ${why}`).join(', '), 'reported'));
    lines.push(row('last event reached every watcher after', `${drainMs.toFixed(0)} ms`, 'reported'));
    lines.push(row('events lost, duplicated or out of order', String(failures.length), '0'));
    console.log(lines.join('\n'));
    for (const failure of failures) console.error(`FAILED: ${failure}`);
    const missedGoal = p99 > GOAL.p99Ms || all.some((r) => r.peakRssMiB >= GOAL.rssMiB);
    if (failures.length > 0 || arrivals.length !== expectedArrivals) {
      process.exitCode = 1;
      console.error('bench:scale FAILED: an event was lost, duplicated or out of order');
    } else {
      const name = ROLLING ? 'rolling' : 'scale';
      const peakRss = Math.max(...all.map((r) => r.peakRssMiB));
      reportResult({ bench: name, what: `write → SSE arrival on the streams open at the write, ${REPLICAS} replicas on one PostgreSQL, ${WATCHERS} watchers, ${Object.keys(writtenAt).length} writes at ${RATE}/s${ROLLING ? ', replicas restarted one by one (SIGTERM)' : ''}; every event once and in order`, figure: `p50 ${percentile(overall, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`, goal: `p99 ≤ ${GOAL.p99Ms} ms`, met: p99 <= GOAL.p99Ms });
      if (ROLLING) reportResult({ bench: name, what: `write → SSE arrival for the ${reconnectCounts.reduce((a, b) => a + b, 0)} reconnects: events a watcher caught up on after its replica was restarted (Last-Event-ID)`, figure: spread(resumed), goal: '', met: null });
      reportResult({ bench: name, what: `peak RSS of the largest replica${ROLLING ? ' (rolling restarts)' : ''}`, figure: `${peakRss.toFixed(0)} MiB`, goal: `< ${GOAL.rssMiB} MiB`, met: peakRss < GOAL.rssMiB });
      console.log(missedGoal
        ? 'bench:scale: every event reached every watcher once, in order; a latency or memory goal was missed (see the table)'
        : 'bench:scale: every event reached every watcher once, in order; goals met');
    }
  } finally {
    for (const client of clients) client.kill('SIGKILL');
    for (const replica of replicas) await replica?.child.stop();
    await database.drop();
  }
}

/** The newest event id of the project so far: the last one a replay of its whole (short) log returns. */
async function latestEventId(url: string, token: string): Promise<number> {
  const log = await readEventLog(url, token, 0, 0);
  return log.reduce((max, e) => Math.max(max, e.id), 0);
}

/** The project's events after `since`, read back from the log (a replay), until `atLeast` were read and the replay paused. */
async function readEventLog(url: string, token: string, since: number, atLeast: number): Promise<Array<{ id: number; deployment: string | undefined; status: string | undefined }>> {
  const controller = new AbortController();
  const response = await fetch(`${url}/api/events?project=${PROJECT}&since=${since}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  if (response.status !== 200) throw new Error(`reading the event log: ${response.status} ${await response.text()}`);
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no event stream');
  const events: Array<{ id: number; deployment: string | undefined; status: string | undefined }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const deadline = Date.now() + 60_000;
  // One read in flight, kept across idle moments: a read abandoned by the race would take the next chunk
  // with it (under load, the whole replay came in that one chunk and the log read as empty).
  const nextRead = (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    const read = reader.read();
    read.catch(() => undefined); // rejected by the abort below, once we stop reading
    return read;
  };
  let reading = nextRead();
  try {
    for (;;) {
      // The replay is done when nothing more arrives for a moment and we have what we wait for.
      const next = await Promise.race([reading, new Promise<'idle'>((resolve) => setTimeout(() => resolve('idle'), 500))]);
      if (next === 'idle') {
        if (events.length >= atLeast) return events;
        if (Date.now() > deadline) throw new Error(`the event log held ${events.length} events after ${since}, expected at least ${atLeast}`);
        continue;
      }
      if (next.done) return events;
      reading = nextRead();
      buffer += decoder.decode(next.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(block);
        const data = /^data: (.*)$/m.exec(block);
        if (!id || !data) continue;
        const parsed = JSON.parse(data[1] as string) as { deployment?: { id: string; status: string } };
        events.push({ id: Number(id[1]), deployment: parsed.deployment?.id, status: parsed.deployment?.status });
      }
    }
  } finally {
    controller.abort();
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
