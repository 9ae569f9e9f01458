// `npm run bench:events-pg`: PATCH → SSE event latency on PostgreSQL, with 100 watchers on the server that
// took the PATCH, then with 100 watchers on another server sharing the database (the event reaches it by
// LISTEN/NOTIFY and a read of the event log). Each server runs in a child process, away from the load
// generator. Needs FLIGHTDECK_TEST_DATABASE_URL: a PostgreSQL server it may create (and drops) a database on.
// Goal as on PGlite (`bench:server`): p99 ≤ 20 ms on the same server; across servers, reported.
import { randomBytes } from 'node:crypto';
import { startServer } from '../src/server';
import { createTestDatabase, postgresSkipReason } from '../test/unit/helpers/server';
import { machine, reportResult } from './report';
import { runBench, startServerChild, type ServerChild } from './serverChild';
import { measureEventLatency } from './sseLatency';

const WATCHERS = 100;
const ROUNDS = Number(process.env.BENCH_EVENT_ROUNDS ?? 200);

async function serveChild(databaseUrl: string, adminToken: string): Promise<void> {
  // The watchers all use the admin token: lift the per-token cap on event streams (20 by default).
  const server = await startServer({ port: 0, databaseUrl, adminToken, version: 'bench', logLevel: 'warn', maxStreamsPerToken: 10 * WATCHERS });
  process.stdout.write(`${server.url}\n`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

async function main(): Promise<void> {
  const skip = await postgresSkipReason();
  if (skip) throw new Error(`bench:events-pg needs PostgreSQL: ${skip}`);
  const database = await createTestDatabase();
  const token = randomBytes(16).toString('hex');
  const children: ServerChild[] = [];
  try {
    // The first one up migrates the database; the second joins it.
    const a = await startServerChild(__filename, [database.url, token]);
    children.push(a);
    const b = await startServerChild(__filename, [database.url, token]);
    children.push(b);
    // Each child announces its URL.
    const [urlA, urlB] = [a.announced, b.announced];
    const api = async (method: string, url: string, body: unknown): Promise<void> => {
      const response = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    };
    await api('PUT', `${urlA}/api/releases/bench`, {
      repo: 'acme/bench', environments: [{ name: 'qa', tier: 'staging', position: 0, strategy: 'standard' }],
    });
    await api('POST', `${urlA}/api/releases/bench/releases/1.0.0-rc1`, { commit: 'a'.repeat(40) });
    const patchUrl = `${urlA}/api/releases/bench/environments/qa/deployments`;
    const common = { patchUrl, candidate: '1.0.0-rc1', token, watchers: WATCHERS, rounds: ROUNDS };
    const same = await measureEventLatency({ ...common, watchUrl: urlA });
    const across = await measureEventLatency({ ...common, watchUrl: urlB });
    const row = (name: string, value: string, goal: string): string => `| ${name.padEnd(56)} | ${value.padEnd(26)} | ${goal.padEnd(16)} |`;
    console.log([
      '',
      `PostgreSQL, two servers on one database, ${WATCHERS} watchers, ${ROUNDS} PATCHes each; ${machine()}`,
      row('measure', 'result', 'goal'),
      row('-'.repeat(56), '-'.repeat(26), '-'.repeat(16)),
      row(`PATCH → SSE event, watchers on the same server (${same.samples})`, `p50 ${same.p50.toFixed(1)} ms, p99 ${same.p99.toFixed(1)} ms`, `p99 ≤ 20 ms ${same.p99 <= 20 ? 'ok' : 'MISSED'}`),
      row(`PATCH → SSE event, watchers on the other server (${across.samples})`, `p50 ${across.p50.toFixed(1)} ms, p99 ${across.p99.toFixed(1)} ms`, 'reported'),
      '',
    ].join('\n'));
    reportResult({ bench: 'events-pg', what: `\`PATCH\` → its SSE event on PostgreSQL, ${WATCHERS} watchers on the server that took it`, figure: `p50 ${same.p50.toFixed(1)} ms, p99 ${same.p99.toFixed(1)} ms`, goal: 'p99 ≤ 20 ms', met: same.p99 <= 20 });
    reportResult({ bench: 'events-pg', what: `the same, ${WATCHERS} watchers on another server sharing the database (LISTEN/NOTIFY)`, figure: `p50 ${across.p50.toFixed(1)} ms, p99 ${across.p99.toFixed(1)} ms`, goal: '', met: null });
  } finally {
    for (const child of children) await child.stop();
    await database.drop();
  }
}

runBench(main, ([databaseUrl, adminToken]) => serveChild(databaseUrl ?? '', adminToken ?? ''));
