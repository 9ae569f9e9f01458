// `flightdeck COMMAND --help`: each command's usage, answered before its options are parsed (so `--help`
// is never an "unknown option"), on stdout with exit code 0.

const SERVER_NOTE = `Without --server: $FLIGHTDECK_SERVER, else a running embedded server (the one VS Code or
npm start runs, found through ~/.flightdeck/embedded-server.json or $FLIGHTDECK_EMBEDDED_DATA_DIR), else
http://127.0.0.1:7700. The token: $FLIGHTDECK_TOKEN, else the demo's token kept beside that embedded server's data.
--kind (or $FLIGHTDECK_SERVER_KIND) github: --server is GitHub's REST API root (default https://api.github.com;
Enterprise: https://HOST/api/v3), the token $GITHUB_TOKEN, else $GH_TOKEN, and a project a repository owner/name.`;

export const COMMAND_USAGE: Readonly<Record<string, string>> = {
  serve: `usage: flightdeck serve [--host 127.0.0.1] [--port 7700] [--data-dir DIR | --database-url URL] [--config FILE] [--log-level LEVEL]

Runs the release server. --port 0 picks a free port; the first line on stdout is "listening on URL".
$FLIGHTDECK_ADMIN_TOKEN, when set, is accepted as an admin token.`,
  demo: `usage: flightdeck demo [--data-dir DIR] [--repo-dir DIR] [--reset] [--defer-showcase]
       flightdeck demo showcase [--server URL]
       flightdeck demo stop [--data-dir DIR]

Prepares the demo that npm start opens: a git repository and a release server data dir whose "payments"
project walks dogfood -> canary -> rollout -> production, with a CLI token beside the data dir.
--defer-showcase leaves the rollout to "demo showcase", which starts it on the running server.
"demo stop" stops the demo's four services.`,
  token: `usage: flightdeck token create --role viewer|deployer|admin --name NAME [--server URL | --data-dir DIR | --database-url URL]

Prints a new token once: through a running server (with an admin token in $FLIGHTDECK_TOKEN), or straight
into a data dir or database that no running server holds.`,
  status: `usage: flightdeck status [PROJECT] [--json] [--server URL] [--kind flightdeck|aviator|github [--projects FILE]]

What every environment runs, in ladder order. --json prints { "projects": [Project…] }.
${SERVER_NOTE}`,
  promote: `usage: flightdeck promote PROJECT ENV [--from ENV] [--expect RC] [--yes] [--json] [--server URL] [--kind …]

Deploys the candidate live in the environment below ENV (or --from ENV) to ENV. Says first when that
candidate failed or was rolled back anywhere in the last 24 hours. A protected or production-tier ENV is
confirmed on the terminal (y/N) unless --yes; without a terminal it needs --yes.
${SERVER_NOTE}`,
  rollback: `usage: flightdeck rollback PROJECT ENV [--to RC] [--force] [--expect RC] [--yes] [--json] [--server URL] [--kind …]

Returns ENV to its previous good candidate (or --to RC). A protected or production-tier ENV is confirmed on
the terminal (y/N) unless --yes; without a terminal it needs --yes. --force rolls back a frozen environment.
${SERVER_NOTE}`,
  watch: `usage: flightdeck watch PROJECT [ENV] [--since ID] [--json] [--server URL]

Streams the project's events until interrupted, resuming across dropped connections.
${SERVER_NOTE}`,
  approvals: `usage: flightdeck approvals [--project PROJECT] [--json] [--server URL]

Every deployment awaiting approval (of PROJECT, with --project), oldest first: who asked, how many
approvals it still needs, when it expires. --json prints the Deployments.
${SERVER_NOTE}`,
  approve: `usage: flightdeck approve PROJECT DEPLOYMENT_ID [--comment TEXT] [--json] [--server URL]

Approves a deployment awaiting approval (see flightdeck approvals). Nobody approves their own request, and
each token name approves once; a protected environment takes approvals from admins only. The last
approval needed starts the deployment.
${SERVER_NOTE}`,
  reject: `usage: flightdeck reject PROJECT DEPLOYMENT_ID [--comment TEXT] [--json] [--server URL]

Rejects a deployment awaiting approval: it ends canceled, "Rejected by NAME: TEXT". The one who asked
may reject (withdraw) their own request.
${SERVER_NOTE}`,
  block: `usage: flightdeck block PROJECT RC --reason TEXT [--json] [--server URL]

Marks a release candidate bad: deploys, promotes and rollbacks to it are refused, the default rollback
and auto-promotion pass it over, until "flightdeck unblock". Running deployments are not touched.
${SERVER_NOTE}`,
  unblock: `usage: flightdeck unblock PROJECT RC [--json] [--server URL]

Lifts a candidate's block (see flightdeck block).
${SERVER_NOTE}`,
  where: `usage: flightdeck where COMMIT [--repo DIR] [--server URL] [--json] [--kind github [--project OWNER/NAME]]

Which environments run COMMIT (by git ancestry). COMMIT is any revision git resolves. With --kind github, the
repository is --project, else the owner/name path of --repo's origin remote.
${SERVER_NOTE}`,
};

/** The usage of `command` when its arguments ask for help (`--help` or `-h` before any `--`). */
export function helpFor(command: string | undefined, argv: readonly string[]): string | undefined {
  if (command === undefined) return undefined;
  const usage = COMMAND_USAGE[command];
  if (usage === undefined) return undefined;
  const end = argv.indexOf('--');
  const options = end >= 0 ? argv.slice(0, end) : argv;
  return options.includes('--help') || options.includes('-h') ? `${usage}\n` : undefined;
}
