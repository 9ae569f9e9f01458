// `flightdeck`: the release server and its command-line client in one executable.
// Each command loads only what it runs (a script calls `flightdeck` many times a day): the client
// commands' modules are imported in their own case, and the server's (./serverCommands) are a bundle of
// their own that no client command loads (see esbuild.mjs). Keep this file's static imports tiny.
import { VERSION } from '../api/version';
import { isBackendError } from '../client/errors';
import { UsageError } from './args';
import type { CliIo } from './remote';
import { describeError } from '../core/errors';
import { helpFor } from './usage';

const HELP = `flightdeck ${VERSION} — release visibility for dogfood → canary → rollout → production

Usage:
  flightdeck serve [--host 127.0.0.1] [--port 7700] [--data-dir DIR | --database-url URL] [--config FILE]
                   [--max-streams-per-token 20] [--max-streams 10000]
  flightdeck demo [--data-dir DIR] [--repo-dir DIR]      prepare a demo project (used by npm start)
  flightdeck token create --role viewer|deployer|admin --name NAME [--server URL | --data-dir DIR | --database-url URL]
  flightdeck status [PROJECT] [--json] [--kind aviator|github [--projects FILE]]
  flightdeck promote PROJECT ENV [--from ENV] [--expect RC] [--yes] [--json] [--kind aviator|github [--projects FILE]]
  flightdeck rollback PROJECT ENV [--to RC] [--force] [--expect RC] [--yes] [--json] [--kind aviator|github [--projects FILE]]
  flightdeck watch PROJECT [ENV] [--since ID] [--json]
  flightdeck where COMMIT [--repo DIR] [--server URL] [--json] [--kind github [--project OWNER/NAME]]
  flightdeck approvals [--project PROJECT] [--json]              deployments awaiting approval, oldest first
  flightdeck approve PROJECT DEPLOYMENT_ID [--comment TEXT] [--json]
  flightdeck reject PROJECT DEPLOYMENT_ID [--comment TEXT] [--json]
  flightdeck block PROJECT RC --reason TEXT [--json]             nothing carries RC further until unblocked
  flightdeck unblock PROJECT RC [--json]

Client commands talk to --server URL (default $FLIGHTDECK_SERVER, then a running embedded server,
then http://127.0.0.1:7700) with the token in $FLIGHTDECK_TOKEN (or the demo's); COMMAND --help says more.
--kind aviator (or FLIGHTDECK_SERVER_KIND=aviator) talks to Aviator Releases instead (default URL
https://api.aviator.co), whose projects are named in --projects FILE (default .flightdeck.json); watch
needs Flightdeck's event stream. --kind github reads GitHub Deployments (--server: the REST API root,
default https://api.github.com) with $GITHUB_TOKEN or $GH_TOKEN; a project is a repository owner/name.
`;

async function main(argv: string[]): Promise<number> {
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  };
  const [command, ...rest] = argv;
  const help = helpFor(command, rest);
  if (help !== undefined) {
    io.stdout(help);
    return 0;
  }
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(HELP);
      return command === undefined ? 2 : 0;
    case '--version':
    case 'version':
      io.stdout(`${VERSION}\n`);
      return 0;
    case 'serve': {
      const { runServe } = await import('./serverCommands');
      await runServe(rest);
      return 0;
    }
    case 'token': {
      const { runToken } = await import('./token');
      return (await runToken(rest)) ?? 0;
    }
    case 'demo': {
      const { runDemo } = await import('./serverCommands');
      return runDemo(rest, io);
    }
    case 'status':
      return (await import('./remote')).runStatus(rest, io);
    case 'promote':
      return (await import('./remote')).runPromote(rest, io);
    case 'rollback':
      return (await import('./remote')).runRollback(rest, io);
    case 'watch':
      return (await import('./remote')).runWatch(rest, io);
    case 'approvals':
      return (await import('./approvals')).runApprovals(rest, io);
    case 'approve':
      return (await import('./approvals')).runApprove(rest, io);
    case 'reject':
      return (await import('./approvals')).runReject(rest, io);
    case 'block':
      return (await import('./approvals')).runBlock(rest, io);
    case 'unblock':
      return (await import('./approvals')).runUnblock(rest, io);
    case 'where': {
      const { runWhere } = await import('./where');
      // The HTTP client loads while where's first git processes run; awaited only when the server is asked.
      const http = Promise.all([import('../client/http'), import('../client/nodeHttpAdapter')]);
      http.catch(() => undefined);
      return runWhere(rest, {
        ...io,
        fetchProjects: async (url, token) => {
          const [{ FlightdeckHttpBackend }, { nodeHttpAdapter }] = await http;
          return new FlightdeckHttpBackend({ baseUrl: url, token }, { adapter: nodeHttpAdapter }).listProjects();
        },
        fetchGitHubProjects: async (apiUrl, repositories) => {
          const { githubBackend } = await import('./github');
          return githubBackend({ server: apiUrl, env: io.env, repositories }).listProjects();
        },
      });
    }
    default:
      throw new UsageError(`unknown command "${command}" (see flightdeck --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve keeps running on its own handles; other commands end here.
    if (process.argv[2] !== 'serve') process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`flightdeck: ${error.message}\n`);
      process.exitCode = 2;
    } else if (isBackendError(error)) {
      process.stderr.write(`flightdeck: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`flightdeck: ${describeError(error)}\n`);
      process.exitCode = 1;
    }
  },
);
