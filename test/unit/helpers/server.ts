// Starts a real release server for tests: on 127.0.0.1, port 0, with a real PGlite in a temp dir, or,
// when FLIGHTDECK_TEST_DATABASE_URL is set (or `backend: 'postgres'` is asked for), a fresh database
// created on that PostgreSQL server and dropped afterwards. Gives a fetch that carries a token.
//
// PGlite's initdb takes seconds; a migrated data dir is made once per schema and copied for each
// server (a copy opens in well under a second).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import type { Role } from '../../../src/api/schemas';
import { startServer, type Engine, type LogLevel, type ReleaseService, type RunningServer, type StartServerOptions } from '../../../src/server';
import { SCHEMA_FINGERPRINT, Store } from '../../../src/server/store';
import { recordSecret, testLogStream } from './test-logs';

export type Backend = 'pglite' | 'postgres';

export interface TestServerOptions {
  /** Default: postgres when FLIGHTDECK_TEST_DATABASE_URL is set, else pglite. */
  backend?: Backend;
  /** Reuse this PGlite data dir (restart tests); default: a fresh temp dir. */
  dataDir?: string;
  /** Reuse this database (restart tests); default: a fresh one. */
  databaseUrl?: string;
  configFile?: string;
  keepAliveMs?: number;
  requestTimeoutMs?: number;
  eventRetention?: number;
  maxStreamsPerToken?: number;
  maxStreams?: number;
  stalledStreamMs?: number;
  logLevel?: LogLevel;
  logStream?: NodeJS.WritableStream;
  /** The engine's tuning (e.g. how it resolves the host names it fetches). */
  engine?: StartServerOptions['engine'];
  /** The service's clock (see StartServerOptions.now). */
  now?: () => Date;
}

export interface RequestOptions {
  /** Bearer token; default the admin token; null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

export type FetchInit = Omit<RequestInit, 'headers'> & RequestOptions;

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestServer {
  url: string;
  port: number;
  backend: Backend;
  adminToken: string;
  dataDir: string | undefined;
  databaseUrl: string | undefined;
  service: ReleaseService;
  /** The server's progressive-delivery engine (its quiet looks show that nothing more happens). */
  engine: Engine | undefined;
  /** `fetch(url + path)` with the admin token unless `token` says otherwise. */
  fetch(pathname: string, init?: FetchInit): Promise<Response>;
  /** Sends `body` as JSON and parses the JSON answer (undefined for an empty one). */
  request<T = unknown>(method: string, pathname: string, body?: unknown, options?: RequestOptions): Promise<JsonResponse<T>>;
  /** Creates a token with that role through the API and returns its secret. */
  createToken(role: Role, name?: string): Promise<string>;
  /** Closes the server and reopens one on the same storage (same admin token). */
  restart(): Promise<TestServer>;
  /** Closes the server, keeping its storage (for a later `startTestServer({ dataDir | databaseUrl })`). */
  stop(): Promise<void>;
  /** Closes the server and deletes its storage. */
  close(): Promise<void>;
}

export function testDatabaseUrl(): string | undefined {
  return process.env.FLIGHTDECK_TEST_DATABASE_URL || undefined;
}

/** Why the server at FLIGHTDECK_TEST_DATABASE_URL did not answer, or undefined when it did (checked once per process). */
let unreachable: Promise<string | undefined> | undefined;

function postgresProblem(url: string): Promise<string | undefined> {
  unreachable ??= (async () => {
    // A loaded machine can take seconds to accept a connection: 15 s before calling it unreachable.
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return unreachable;
}

/** Whether FLIGHTDECK_TEST_DATABASE_URL is set and answers (checked once per process). */
export async function postgresAvailable(): Promise<boolean> {
  const url = testDatabaseUrl();
  return url !== undefined && (await postgresProblem(url)) === undefined;
}

/** Why the PostgreSQL variant of a suite is skipped, or undefined when it can run. */
export async function postgresSkipReason(): Promise<string | undefined> {
  const url = testDatabaseUrl();
  if (!url) return 'FLIGHTDECK_TEST_DATABASE_URL is not set';
  const problem = await postgresProblem(url);
  return problem === undefined ? undefined : `FLIGHTDECK_TEST_DATABASE_URL is unreachable (${problem})`;
}

/** Creates an empty database on the test PostgreSQL server. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = testDatabaseUrl();
  if (!adminUrl) throw new Error('FLIGHTDECK_TEST_DATABASE_URL is not set');
  const name = `flightdeck_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A migrated PGlite data dir to copy, made once per schema (and shared across test processes). */
async function pgliteTemplate(): Promise<string> {
  const template = path.join(os.tmpdir(), `flightdeck-pglite-template-${SCHEMA_FINGERPRINT}`);
  if (fs.existsSync(path.join(template, 'pg', 'PG_VERSION'))) return template;
  const building = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-pglite-building-'));
  const store = await Store.open({ dataDir: building });
  await store.close();
  try {
    fs.renameSync(building, template);
  } catch {
    // Another test process finished first; theirs is as good.
    fs.rmSync(building, { recursive: true, force: true });
  }
  return template;
}

/** A fresh PGlite data dir: a copy of the migrated template. */
export async function freshPgliteDataDir(): Promise<string> {
  const template = await pgliteTemplate();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-test-'));
  fs.cpSync(path.join(template, 'pg'), path.join(dataDir, 'pg'), { recursive: true });
  return dataDir;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const backend: Backend = options.backend ?? (options.databaseUrl || testDatabaseUrl() ? 'postgres' : 'pglite');
  const adminToken = `admin-${randomBytes(12).toString('hex')}`;
  let dataDir: string | undefined;
  let databaseUrl: string | undefined;
  let dispose: () => Promise<void>;
  if (backend === 'postgres') {
    if (options.databaseUrl) {
      databaseUrl = options.databaseUrl;
      dispose = async () => undefined;
    } else {
      const database = await createTestDatabase();
      databaseUrl = database.url;
      dispose = database.drop;
    }
  } else {
    dataDir = options.dataDir ?? await freshPgliteDataDir();
    const dir = dataDir;
    dispose = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  return launch(backend, adminToken, dataDir, databaseUrl, dispose, options);
}

async function launch(
  backend: Backend, adminToken: string, dataDir: string | undefined, databaseUrl: string | undefined,
  dispose: () => Promise<void>, options: TestServerOptions,
): Promise<TestServer> {
  // In a run of scripts/test.mjs, a server without a log of the test's own logs to the run's directory,
  // which is searched for tokens at the end (scripts/test-logs.mjs).
  recordSecret(adminToken);
  const runLog = options.logStream || options.logLevel ? undefined : testLogStream('server');
  const running: RunningServer = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    databaseUrl,
    adminToken,
    version: '0.0.0-test',
    logLevel: options.logLevel ?? (runLog ? 'debug' : 'silent'),
    ...(options.logStream ? { logStream: options.logStream } : runLog ? { logStream: runLog } : {}),
    ...(options.configFile ? { configFile: options.configFile } : {}),
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.eventRetention !== undefined ? { eventRetention: options.eventRetention } : {}),
    ...(options.maxStreamsPerToken !== undefined ? { maxStreamsPerToken: options.maxStreamsPerToken } : {}),
    ...(options.maxStreams !== undefined ? { maxStreams: options.maxStreams } : {}),
    ...(options.stalledStreamMs !== undefined ? { stalledStreamMs: options.stalledStreamMs } : {}),
    ...(options.engine !== undefined ? { engine: options.engine } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  let tokenCount = 0;
  const server: TestServer = {
    url: running.url,
    port: running.port,
    backend,
    adminToken,
    dataDir,
    databaseUrl,
    service: running.service,
    engine: running.engine,
    fetch(pathname, init = {}) {
      const { token, headers, ...rest } = init;
      const allHeaders: Record<string, string> = { ...headers };
      const bearer = token === undefined ? adminToken : token;
      if (bearer !== null) allHeaders.authorization = `Bearer ${bearer}`;
      return fetch(`${running.url}${pathname}`, { ...rest, headers: allHeaders });
    },
    async request<T>(method: string, pathname: string, body?: unknown, requestOptions: RequestOptions = {}) {
      const headers: Record<string, string> = { ...requestOptions.headers };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await server.fetch(pathname, {
        method,
        headers,
        ...(requestOptions.token !== undefined ? { token: requestOptions.token } : {}),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
    },
    async createToken(role, name) {
      const response = await server.request<{ token: string }>('POST', '/api/tokens', { role, name: name ?? `${role}-${++tokenCount}-${randomBytes(3).toString('hex')}` });
      if (response.status !== 201) throw new Error(`token creation failed: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body.token;
    },
    async restart() {
      await running.close();
      return launch(backend, adminToken, dataDir, databaseUrl, dispose, options);
    },
    stop: () => running.close(),
    async close() {
      await running.close();
      await dispose();
    },
  };
  return server;
}
