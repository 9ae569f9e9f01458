// `npm run bench:stream-resume`: clients resuming GET /api/events from the oldest retained event of a
// full log (10,000 events of 10 KB, PGlite), against a server in a child process.
//   1. One client resumes: it must receive every event, in order, once.
//   2. 200 clients (each with its own viewer token) resume at once, from a second child process so that
//      their parsing does not slow this one; meanwhile this process samples the server's RSS
//      (/proc/<pid>/status) and times GET /healthz back to back.
// Goals: every event delivered to every client, /healthz p99 < 100 ms, server RSS growth < 200 MiB.
// Exits 1 when an event is missing, duplicated or out of order, or a run does not finish.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startServer } from '../src/server';
import { Store } from '../src/server/store';
import { appendEvents } from '../test/unit/helpers/event-log';
import { runBench, startServerChild } from './serverChild';
import { machine, percentile, reportResult } from './report';

const EVENTS = 10_000;
const EVENT_BYTES = 10_000;
const RESUMES = Number(process.env.BENCH_RESUMES ?? 200);
/** A run that takes longer than this is unfinished. */
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MS ?? 15 * 60_000);
const HEALTHZ_P99_GOAL_MS = 100;
const RSS_GROWTH_GOAL_MIB = 200;

interface ResumeResult {
  received: number;
  errors: string[];
}

/**
 * Checks a resume as its bytes arrive, without decoding them: every frame starts with `\nid: N\n` (event
 * data is one JSON line), and the ids must be first, first + 1, … last: none missing, none twice.
 */
class ResumeCheck {
  private static readonly MARK = Buffer.from('\nid: ');
  private carry = Buffer.alloc(0);
  private expected: number;
  received = 0;
  readonly errors: string[] = [];

  constructor(first: number, private readonly last: number) {
    this.expected = first;
  }

  get done(): boolean {
    return this.expected > this.last || this.errors.length > 0;
  }

  push(chunk: Buffer): void {
    // A chunk too short to finish a mark begun in the carry (the HTTP parser hands over a few bytes when
    // a read ends just after the start of the server's next write, which is where a block's first mark
    // is): kept with the carry, or that mark would be lost and its event counted missing.
    if (chunk.length < 32) {
      this.carry = Buffer.concat([this.carry, chunk]);
      return;
    }
    // Frames whose mark began in the previous chunk's tail.
    if (this.carry.length > 0) this.scan(Buffer.concat([this.carry, chunk.subarray(0, 32)]), this.carry.length);
    const end = this.scan(chunk, chunk.length);
    this.carry = Buffer.from(chunk.subarray(Math.max(end, chunk.length - 24)));
  }

  /** Reads the ids of complete marks starting before `before`; returns where the last one ended. */
  private scan(buffer: Buffer, before: number): number {
    let end = 0;
    let at = buffer.indexOf(ResumeCheck.MARK);
    while (at >= 0 && at < before) {
      const newline = buffer.indexOf(10, at + ResumeCheck.MARK.length);
      if (newline < 0) break;
      this.see(Number(buffer.toString('latin1', at + ResumeCheck.MARK.length, newline)));
      end = newline;
      at = buffer.indexOf(ResumeCheck.MARK, newline);
    }
    return end;
  }

  private see(id: number): void {
    if (id !== this.expected && this.errors.length < 5) {
      this.errors.push(id < this.expected ? `event ${id} again or out of order (expected ${this.expected})` : `events ${this.expected}–${id - 1} missing`);
    }
    this.received++;
    this.expected = id + 1;
  }
}

/** One client: GET /api/events with Last-Event-ID, checked until the last event arrives. */
function resume(url: string, token: string, after: number, last: number): Promise<ResumeResult> {
  return new Promise((resolve) => {
    const check = new ResumeCheck(after + 1, last);
    const finish = (error?: string): void => {
      if (error && check.errors.length === 0) check.errors.push(error);
      request.destroy();
      resolve({ received: check.received, errors: check.errors });
    };
    const request = http.get(`${url}/api/events`, {
      agent: false, headers: { authorization: `Bearer ${token}`, 'last-event-id': String(after) },
    }, (response) => {
      if (response.statusCode !== 200 || !/^text\/event-stream/.test(response.headers['content-type'] ?? '')) {
        finish(`answered ${response.statusCode} ${response.headers['content-type']}`);
        return;
      }
      response.on('data', (chunk: Buffer) => {
        check.push(chunk);
        if (check.done) finish();
      });
      response.on('end', () => finish(check.done ? undefined : `the stream ended after ${check.received} events`));
    });
    request.on('error', (error) => finish(error.message));
  });
}

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kib('VmRSS') * 1024, hwm: kib('VmHWM') * 1024 };
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function createViewers(url: string, adminToken: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/api/tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'viewer', name: `bench-viewer-${i}` }),
    });
    if (response.status !== 201) throw new Error(`token creation: ${response.status} ${await response.text()}`);
    tokens.push(((await response.json()) as { token: string }).token);
  }
  return tokens;
}

/** The concurrent resumes, in a child process of their own; prints one JSON line of results. */
async function readersChild(url: string, tokensFile: string, last: number): Promise<void> {
  const tokens = JSON.parse(fs.readFileSync(tokensFile, 'utf8')) as string[];
  const started = performance.now();
  const results = await Promise.all(tokens.map((token) => resume(url, token, 0, last)));
  process.stdout.write(`${JSON.stringify({ results, seconds: (performance.now() - started) / 1000 })}\n`);
}

function runReaders(url: string, tokensFile: string, last: number): Promise<{ results: ResumeResult[]; seconds: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve-child', 'readers', url, tokensFile, String(last)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => { out += text; });
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('exit', (code) => {
      clearTimeout(deadline);
      try {
        resolve(JSON.parse(out) as { results: ResumeResult[]; seconds: number });
      } catch {
        reject(new Error(`the readers did not finish (exit ${code})`));
      }
    });
  });
}

async function serverChild(dataDir: string, adminToken: string): Promise<void> {
  const server = await startServer({ port: 0, dataDir, adminToken, version: 'bench', logLevel: 'warn' });
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
  process.once('SIGTERM', () => {
    if (process.env.BENCH_VERBOSE) console.error(`server event loop delay: p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`);
    void server.close().then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  console.log(`stream resume: ${EVENTS} events of ${EVENT_BYTES / 1000} KB, 1 then ${RESUMES} concurrent resumes from the oldest event`);
  console.log(`goals: every event to every client in order once, /healthz p99 < ${HEALTHZ_P99_GOAL_MS} ms, server RSS growth < ${RSS_GROWTH_GOAL_MIB} MiB`);
  console.log(`machine: ${machine()}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-bench-resume-'));
  const adminToken = randomBytes(16).toString('hex');
  let failed = false;
  try {
    const seeding = performance.now();
    const store = await Store.open({ dataDir });
    await appendEvents(store, 'bench', EVENTS, EVENT_BYTES);
    await store.close();
    console.log(`seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

    const child = await startServerChild(__filename, ['server', dataDir, adminToken]);
    try {
      const { url, pid } = JSON.parse(child.announced) as { url: string; pid: number };
      const tokens = await createViewers(url, adminToken, RESUMES);
      const tokensFile = path.join(dataDir, 'tokens.json');
      fs.writeFileSync(tokensFile, JSON.stringify(tokens));

      const single = performance.now();
      const one = await resume(url, tokens[0] ?? adminToken, 0, EVENTS);
      const singleSeconds = (performance.now() - single) / 1000;
      console.log(`1 resume: ${one.received} events in ${singleSeconds.toFixed(1)} s${one.errors.length ? `; ${one.errors.join('; ')}` : ''}`);

      const before = memoryOf(pid);
      let peakRss = before.rss;
      const sampler = setInterval(() => { peakRss = Math.max(peakRss, memoryOf(pid).rss); }, 50);
      const readers = runReaders(url, tokensFile, EVENTS);
      let running = true;
      void readers.finally(() => { running = false; });
      const healthz: number[] = [];
      const phaseStart = performance.now();
      const probing = (async () => {
        while (running) {
          const t0 = performance.now();
          const response = await fetch(`${url}/healthz`);
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
          healthz.push(performance.now() - t0);
          if (process.env.BENCH_VERBOSE && performance.now() - t0 > 100) console.log(`slow /healthz at +${((t0 - phaseStart) / 1000).toFixed(1)} s: ${(performance.now() - t0).toFixed(0)} ms`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const many = await readers;
      await probing;
      clearInterval(sampler);
      const after = memoryOf(pid);

      const complete = many.results.filter((r) => r.received === EVENTS && r.errors.length === 0).length;
      const errors = many.results.flatMap((r) => r.errors);
      healthz.sort((a, b) => a - b);
      const p99 = percentile(healthz, 99);
      const growth = peakRss - before.rss;
      failed = one.received !== EVENTS || one.errors.length > 0 || complete !== RESUMES;
      const row = (name: string, value: string, goal: string): string => `| ${name.padEnd(52)} | ${value.padEnd(44)} | ${goal.padEnd(22)} |`;
      console.log([
        '',
        row('measure', 'result', 'goal'),
        row('-'.repeat(52), '-'.repeat(44), '-'.repeat(22)),
        row('1 resume of the whole log', `${one.received}/${EVENTS} events in ${singleSeconds.toFixed(1)} s`, `all ${one.received === EVENTS && one.errors.length === 0 ? 'ok' : 'MISSED'}`),
        row(`${RESUMES} concurrent resumes`, `${complete}/${RESUMES} complete in ${many.seconds.toFixed(1)} s`, `all ${complete === RESUMES ? 'ok' : 'MISSED'}`),
        row(`GET /healthz meanwhile (${healthz.length})`, `p50 ${percentile(healthz, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(healthz[healthz.length - 1] ?? 0).toFixed(0)} ms`, `p99 < ${HEALTHZ_P99_GOAL_MS} ms ${p99 < HEALTHZ_P99_GOAL_MS ? 'ok' : 'MISSED'}`),
        row('server RSS: before → peak (growth), after', `${mib(before.rss)} → ${mib(peakRss)} (+${mib(growth)}), ${mib(after.rss)}`, `< ${RSS_GROWTH_GOAL_MIB} MiB ${growth < RSS_GROWTH_GOAL_MIB * 1024 * 1024 ? 'ok' : 'MISSED'}`),
        row('server VmHWM (peak since start)', mib(after.hwm), ''),
        '',
        `load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
      ].join('\n'));
      if (errors.length > 0) console.log(`errors (first 10): ${errors.slice(0, 10).join('; ')}`);
      const size = `${EVENTS} events of ${EVENT_BYTES / 1000} KB`;
      reportResult({
        bench: 'stream-resume', what: `${RESUMES} concurrent resumes of \`GET /api/events\` from the oldest event (${size}, PGlite): complete, each event once and in order`,
        figure: `${complete}/${RESUMES} in ${many.seconds.toFixed(0)} s (one alone: ${singleSeconds.toFixed(0)} s)`, goal: 'all', met: complete === RESUMES && one.errors.length === 0,
      });
      reportResult({
        bench: 'stream-resume', what: `\`GET /healthz\` during the ${RESUMES} resumes: p99`,
        figure: `${p99.toFixed(1)} ms (p50 ${percentile(healthz, 50).toFixed(1)} ms)`, goal: `< ${HEALTHZ_P99_GOAL_MS} ms`, met: p99 < HEALTHZ_P99_GOAL_MS,
      });
      reportResult({
        bench: 'stream-resume', what: `server RSS growth during the ${RESUMES} resumes (peak VmRSS − before)`,
        figure: `+${mib(growth)} (${mib(before.rss)} → ${mib(peakRss)}; ${mib(after.rss)} after)`, goal: `< ${RSS_GROWTH_GOAL_MIB} MiB`, met: growth < RSS_GROWTH_GOAL_MIB * 1024 * 1024,
      });
    } finally {
      await child.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  if (failed) {
    console.error('FAILED: an event was missing, duplicated or out of order, or a resume did not finish');
    process.exit(1);
  }
}

runBench(main, ([role, ...args]) => role === 'readers'
  ? readersChild(args[0] ?? '', args[1] ?? '', Number(args[2]))
  : serverChild(args[0] ?? '', args[1] ?? ''));
