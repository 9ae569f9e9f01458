// `flightdeck serve`: runs the release server until SIGTERM / SIGINT. The first line on stdout is
// exactly `listening on http://HOST:PORT` (the extension's embedded-server launcher parses it); logs
// are JSON lines on stderr.
import { VERSION } from '../api/version';
import { startServer, type LogLevel, type RunningServer } from '../server';
import { UsageError, optionString, parseArgs } from './args';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** After this long a shutdown stops waiting for in-flight requests. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface ServeIo {
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Installs the shutdown handler; tests pass their own to trigger it. */
  onShutdownSignal: (handler: (signal: string) => void) => void;
}

const processIo: ServeIo = {
  stdout: (text) => process.stdout.write(text),
  env: process.env,
  onShutdownSignal: (handler) => {
    process.once('SIGTERM', () => handler('SIGTERM'));
    process.once('SIGINT', () => handler('SIGINT'));
  },
};

function portNumber(flag: string, text: string): number {
  const port = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || port > 65535) throw new UsageError(`${flag} must be 0..65535 (got "${text}")`);
  return port;
}

export async function runServe(argv: string[], io: ServeIo = processIo): Promise<RunningServer> {
  const args = parseArgs(argv, { values: ['host', 'port', 'data-dir', 'database-url', 'config', 'log-level', 'metrics-port', 'max-streams-per-token', 'max-streams'] });
  if (args.positionals.length > 0) throw new UsageError(`serve takes no arguments (got "${args.positionals[0]}")`);
  const portText = optionString(args, 'port') ?? '7700';
  const port = portNumber('--port', portText);
  const metricsPortText = optionString(args, 'metrics-port');
  const metricsPort = metricsPortText === undefined ? undefined : portNumber('--metrics-port', metricsPortText);
  const logLevel = optionString(args, 'log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const dataDir = optionString(args, 'data-dir');
  const databaseUrlOption = optionString(args, 'database-url');
  if (dataDir !== undefined && databaseUrlOption !== undefined) throw new UsageError('give --data-dir or --database-url, not both');
  // From the environment, a password stays out of the process list (the command line is public).
  const databaseUrl = databaseUrlOption ?? (dataDir === undefined ? io.env.FLIGHTDECK_DATABASE_URL || undefined : undefined);
  const maxStreamsPerToken = streamLimit(optionString(args, 'max-streams-per-token') ?? io.env.FLIGHTDECK_MAX_STREAMS_PER_TOKEN, '--max-streams-per-token');
  const maxStreams = streamLimit(optionString(args, 'max-streams') ?? io.env.FLIGHTDECK_MAX_STREAMS, '--max-streams');

  const server = await startServer({
    host: optionString(args, 'host') ?? '127.0.0.1',
    port,
    dataDir,
    databaseUrl,
    configFile: optionString(args, 'config'),
    adminToken: io.env.FLIGHTDECK_ADMIN_TOKEN || undefined,
    version: VERSION,
    logLevel: logLevel as LogLevel,
    metricsPort,
    ...(maxStreamsPerToken !== undefined ? { maxStreamsPerToken } : {}),
    ...(maxStreams !== undefined ? { maxStreams } : {}),
  });
  io.stdout(`listening on ${server.url}\n`);
  if (server.metricsUrl) io.stdout(`metrics on ${server.metricsUrl}/metrics\n`);
  io.onShutdownSignal(() => {
    // Should a request hang, leave anyway: the database is consistent at every commit.
    const deadline = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    deadline.unref();
    server.close().then(
      () => { process.exitCode = 0; },
      () => { process.exitCode = 1; },
    );
  });
  return server;
}

/** A cap on concurrent event streams (the flag, else its FLIGHTDECK_* variable): a positive integer. */
function streamLimit(text: string | undefined, flag: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^[0-9]{1,7}$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} must be a positive integer (got "${text}")`);
  return Number(text);
}
