// `flightdeck token create --role R --name N`: makes an API token and prints it once. Through a running
// server (`--server URL`, authorised by FLIGHTDECK_TOKEN), or straight into a store no server holds
// (`--data-dir DIR` | `--database-url URL`), which is how the first admin token is made.
import { Role, TOKEN_NAME_PATTERN, TokenCreated, TokenInfo } from '../api/schemas';
import { UsageError, optionString, parseArgs, type ParsedArgs } from './args';

export interface TokenIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const processIo: TokenIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

const USAGE = 'usage: flightdeck token create --role viewer|deployer|admin --name NAME [--server URL | --data-dir DIR | --database-url URL]';
const TARGET_OPTIONS = ['server', 'data-dir', 'database-url'] as const;

export async function runToken(argv: string[], io: TokenIo = processIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'create') throw new UsageError(subcommand === undefined ? USAGE : `unknown token command "${subcommand}"; ${USAGE}`);
  const args = parseArgs(rest, { values: ['role', 'name', ...TARGET_OPTIONS] });
  if (args.positionals.length > 0) throw new UsageError(USAGE);
  const role = Role.safeParse(optionString(args, 'role'));
  if (!role.success) throw new UsageError(`--role must be viewer, deployer or admin; ${USAGE}`);
  const name = optionString(args, 'name');
  if (name === undefined || !TOKEN_NAME_PATTERN.test(name)) throw new UsageError(`--name must match ${TOKEN_NAME_PATTERN.source}; ${USAGE}`);
  if (TARGET_OPTIONS.filter((option) => args.options.has(option)).length > 1) {
    throw new UsageError('give one of --server, --data-dir and --database-url');
  }

  const created = args.options.has('data-dir') || args.options.has('database-url')
    ? await createInStore(args, name, role.data)
    : await createThroughServer(args, io, name, role.data);
  io.stdout(`${created.token}\n`);
  io.stderr(`Created token "${created.name}" (${created.role}). It is shown only this once.\n`);
  return 0;
}

async function createInStore(args: ParsedArgs, name: string, role: Role): Promise<TokenCreated> {
  // The store is server code: loaded only here, never for `token create --server`.
  const { createTokenInStore } = await import('./serverCommands');
  return createTokenInStore({ databaseUrl: optionString(args, 'database-url'), dataDir: optionString(args, 'data-dir') }, name, role);
}

async function createThroughServer(args: ParsedArgs, io: TokenIo, name: string, role: Role): Promise<TokenCreated> {
  const server = optionString(args, 'server') ?? (io.env.FLIGHTDECK_SERVER || 'http://127.0.0.1:7700');
  const token = io.env.FLIGHTDECK_TOKEN;
  if (!token) throw new UsageError('set FLIGHTDECK_TOKEN to an admin token (or use --data-dir / --database-url)');
  let response: Response;
  try {
    response = await fetch(new URL('/api/tokens', server), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, role }),
    });
  } catch (error) {
    throw new Error(`cannot reach ${server}: ${(error as Error).message}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : response.statusText;
    throw new Error(`the server refused (${response.status}): ${message}`);
  }
  const parsed = TokenCreated.safeParse(body);
  if (!parsed.success) throw new Error(`the server answered something that is not a token (${TokenInfo.safeParse(body).success ? 'no secret' : 'unexpected body'})`);
  return parsed.data;
}
