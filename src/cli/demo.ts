// `flightdeck demo`: prepares a demo that `npm start` opens — a git repository with a believable history
// and a release server data dir whose `payments` project walks that history through dogfood → canary →
// rollout → production. The environments deploy through the demo agent (demoAgent.ts: this executable
// run as `flightdeck demo deploy ENV PORT`): each makes the live version known to a tiny HTTP service per
// environment on loopback, whose /health the server's health checks hit. The data is prepared while no
// other server runs, seeded through the typed client (src/client). It ends either with a rollout in
// flight, which the engine of the server that opens the data dir next resumes, or (`--defer-showcase`)
// ready for `flightdeck demo showcase`, which starts that rollout on the running server: npm start runs
// it once VS Code is up, so the story starts when someone watches.
//
// Beside the data dir it leaves `<data dir>.cli-token`, a deployer token the CLI uses for the embedded
// server it finds serving this data dir (see src/client/embeddedState.ts).
//
// Production requires one approval (`required_approvals: 1`): a promote there waits until another
// token approves it, e.g. `flightdeck approve payments ID` with the demo's CLI token.
//
// To show an automatic rollback: `touch <demo dir>/break-canary` makes the canary service unhealthy;
// while a canary deployment is watched (deploying, or up to 10 minutes after it went live) three failed
// checks in a row fail it and roll canary back. The rollback's deploy clears the file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Deployment, EnvironmentSpecInput, ProjectSpecInput } from '../api/schemas';
import { VERSION } from '../api/version';
import { embeddedTokenFile } from '../client/embeddedState';
import { FlightdeckHttpBackend } from '../client/http';
import { createDemoRepository } from '../git/demoRepository';
import { startServer } from '../server';
import { optionString, parseArgs, UsageError } from './args';
import { chooseServer } from './connection';
import { answers, freePort, runDemoDeploy, runDemoService, selfCommand, startService, stopServices } from './demoAgent';
import type { CliIo } from './remote';

export const DEMO_PROJECT = 'payments';
export const DEMO_ENVIRONMENTS = ['dogfood', 'canary', 'rollout', 'production'] as const;
type DemoEnvironment = (typeof DEMO_ENVIRONMENTS)[number];

/** The rollout's steps in the demo: short soaks, so it moves while you watch. */
export const DEMO_ROLLOUT_STEPS = [
  { percent: 1, soak_seconds: 30 }, { percent: 10, soak_seconds: 40 }, { percent: 50, soak_seconds: 40 }, { percent: 100, soak_seconds: 0 },
];
/** The canary promotes itself to rollout this long after it went live (and was seen healthy). */
export const DEMO_CANARY_AUTO_PROMOTE_SECONDS = 120;

/** Where the demo keeps its scripts, the services' state and the break files: beside the data dir. */
export function demoDirectories(dataDir: string): { base: string; runtime: string } {
  const base = path.dirname(dataDir);
  return { base, runtime: path.join(base, 'deploy') };
}

/** The ladder: `final` is what the user sees; otherwise the quick one used to replay the history. */
export function demoLadder(runtime: string, ports: Readonly<Record<DemoEnvironment, number>>, final: boolean): ProjectSpecInput {
  const self = selfCommand();
  const env = (name: DemoEnvironment, position: number, rest: Partial<EnvironmentSpecInput>): EnvironmentSpecInput => ({
    name, position, tier: name === 'dogfood' ? 'development' : 'production', strategy: 'standard',
    deploy: {
      type: 'command', command: self.command, url: null, cwd: runtime, timeout_seconds: 60,
      args: [...self.args, 'demo', 'deploy', name, String(ports[name])],
    },
    ...(final ? { health_check: { url: `http://127.0.0.1:${ports[name]}/health`, command: null, interval_seconds: 3, failure_threshold: 3, timeout_seconds: 2 } } : {}),
    ...rest,
  });
  return {
    repo: 'acme/payments',
    description: 'Charges, refunds and webhooks (Flightdeck demo: real deploy scripts and health checks on 127.0.0.1)',
    environments: [
      env('dogfood', 0, { strategy: 'dogfood' }),
      env('canary', 1, { strategy: 'canary', ...(final ? { auto_promote: { to: 'rollout', after_seconds: DEMO_CANARY_AUTO_PROMOTE_SECONDS } } : {}) }),
      env('rollout', 2, { strategy: 'rollout', steps: final ? DEMO_ROLLOUT_STEPS : DEMO_ROLLOUT_STEPS.map((s) => ({ ...s, soak_seconds: 0 })) }),
      // A second person approves what goes to production: the extension signs in to the embedded server as
      // its admin, the CLI as the demo's deployer token (demo-cli), so either approves what the other asked.
      env('production', 3, final ? { required_approvals: 1 } : {}),
    ],
  };
}

const DEMO_USAGE = 'usage: flightdeck demo [--data-dir DIR] [--repo-dir DIR] [--reset] [--defer-showcase] | demo showcase [--server URL] | demo stop [--data-dir DIR]';

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case 'deploy':
    case 'service': {
      const [environment, portText] = rest;
      const port = Number(portText);
      if (!environment || !Number.isInteger(port) || port <= 0) throw new UsageError(`usage: flightdeck demo ${first} ENV PORT`);
      return first === 'deploy' ? runDemoDeploy(process.cwd(), environment, port, io.env) : runDemoService(process.cwd(), environment, port);
    }
    case 'showcase':
      return runShowcase(rest, io);
    case 'stop': {
      const { runtime } = demoDirectories(demoDataDir(parseArgs(rest, { values: ['data-dir'] })));
      const stopped = stopServices(runtime);
      io.stdout(stopped.length > 0 ? `Stopped the demo services: ${stopped.join(', ')}\n` : 'No demo service was running.\n');
      return 0;
    }
    default:
      return prepare(argv, io);
  }
}

function demoDataDir(args: ReturnType<typeof parseArgs>): string {
  return path.resolve(optionString(args, 'data-dir') ?? path.join(os.homedir(), '.flightdeck', 'demo', 'data'));
}

async function prepare(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: ['data-dir', 'repo-dir'], flags: ['reset', 'defer-showcase'] });
  if (args.positionals.length > 0) throw new UsageError(DEMO_USAGE);
  const dataDir = demoDataDir(args);
  const repoDir = path.resolve(optionString(args, 'repo-dir') ?? path.join(path.dirname(dataDir), 'payments'));
  const { runtime } = demoDirectories(dataDir);
  const tokenFile = embeddedTokenFile(dataDir);
  if (args.options.has('reset')) stopServices(runtime);
  const ready = fs.existsSync(path.join(repoDir, '.git')) && fs.existsSync(dataDir) && fs.existsSync(path.join(runtime, 'ports.json'))
    && fs.existsSync(tokenFile);
  if (ready && !args.options.has('reset')) {
    // The services do not outlive a reboot: start again those that are not answering.
    await ensureServices(runtime);
    io.stdout(`The demo is ready: repository ${repoDir}, data ${dataDir} (--reset starts it again)\n`);
    return 0;
  }
  stopServices(runtime);
  for (const dir of [dataDir, repoDir, runtime, tokenFile]) fs.rmSync(dir, { recursive: true, force: true });
  const weeksAgo = Math.floor(Date.now() / 1000) - 21 * 24 * 3600;
  const candidates = createDemoRepository(repoDir, weeksAgo);
  const ports = await writeRuntime(runtime);
  const adminToken = randomBytes(24).toString('base64url');

  // 1. The old history, as a pipeline reported it (endpoint 3): no engine, nothing runs.
  let server = await startServer({ host: '127.0.0.1', port: 0, dataDir, adminToken, version: VERSION, logLevel: 'warn', engine: false });
  try {
    const api = new FlightdeckHttpBackend({ baseUrl: server.url, token: adminToken });
    const quiet = demoLadder(runtime, ports, false);
    await api.putProject(DEMO_PROJECT, { ...quiet, environments: quiet.environments.map((e) => ({ ...e, deploy: { type: 'none', command: null, url: null } })) });
    for (const c of candidates) await api.createCandidate(DEMO_PROJECT, c.release_candidate_version, { commit: c.commit, repo: 'acme/payments' });
    await reportHistory(api);
    // The CLI's token for this demo (deployer: it may promote and roll back, not administer).
    const cli = await api.createToken({ role: 'deployer', name: 'demo-cli' });
    fs.writeFileSync(tokenFile, `${cli.token}\n`, { mode: 0o600 });
  } finally {
    await server.close();
  }

  // 2. The recent history through the engine and the demo agent, then (unless deferred) a rollout left in flight.
  server = await startServer({ host: '127.0.0.1', port: 0, dataDir, adminToken, version: VERSION, logLevel: 'warn', engine: { pollMs: 50 } });
  try {
    const api = new FlightdeckHttpBackend({ baseUrl: server.url, token: adminToken });
    await api.putProject(DEMO_PROJECT, demoLadder(runtime, ports, false));
    const run = new Runner(api);
    await run.deploy('dogfood', '1.2.0-rc1');
    for (const env of ['canary', 'rollout', 'production'] as const) await run.promote(env);
    await run.deploy('dogfood', '1.3.0-rc1');
    await run.promote('canary');
    await run.deploy('dogfood', '1.3.1-rc1');
    await api.putProject(DEMO_PROJECT, demoLadder(runtime, ports, true));
    if (!args.options.has('defer-showcase')) {
      // From canary (1.3.0-rc1): the first step goes live, then the server stops mid-soak.
      const rolling = await api.promote(DEMO_PROJECT, 'rollout', { from_environment: 'canary' });
      await run.until(rolling.id, (d) => d.rollout?.percent === DEMO_ROLLOUT_STEPS[0]?.percent);
    }
  } finally {
    await server.close();
  }
  io.stdout(`Demo repository: ${repoDir}\nDemo data:       ${dataDir}\nDemo services:   ${runtime} (break the canary: touch ${path.join(path.dirname(dataDir), 'break-canary')})\nCLI token:       ${tokenFile}\n`);
  return 0;
}

/** `demo showcase`: on the running server, canary's candidate starts its rollout (once). */
async function runShowcase(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: ['server'] });
  const choice = chooseServer(optionString(args, 'server'), io.env);
  const api = new FlightdeckHttpBackend({ baseUrl: choice.url, token: choice.token });
  const project = await api.getProject(DEMO_PROJECT);
  const canary = project.environments.find((env) => env.name === 'canary')?.current;
  const rollout = project.environments.find((env) => env.name === 'rollout');
  if (!canary || !rollout) throw new Error(`${DEMO_PROJECT} on ${choice.url} is not the demo's project`);
  const reached = rollout.active ?? rollout.current;
  if (reached?.release_candidate_version === canary.release_candidate_version) {
    io.stdout(`The showcase already ran: rollout ${rollout.active ? 'is rolling out' : 'runs'} ${canary.release_candidate_version}.\n`);
    return 0;
  }
  const started = await api.promote(DEMO_PROJECT, 'rollout', {
    from_environment: 'canary', release_candidate_version: canary.release_candidate_version,
  });
  io.stdout(`The showcase started: rollout is rolling out ${started.release_candidate_version} (deployment ${started.id}, 1 % → 10 % → 50 % → 100 %).\n`);
  return 0;
}

/** The oldest releases, reported the way a pipeline does (endpoint 3). */
async function reportHistory(api: FlightdeckHttpBackend): Promise<void> {
  const report = async (environment: string, version: string, status: Deployment['status'], error?: string): Promise<void> => {
    await api.reportStatus(DEMO_PROJECT, environment, { release_candidate_version: version, status, ...(error ? { error_message: error } : {}) });
  };
  const ship = async (environment: string, version: string): Promise<void> => {
    await report(environment, version, 'in_progress');
    await report(environment, version, 'success');
  };
  for (const env of DEMO_ENVIRONMENTS) await ship(env, '1.0.0-rc1');
  await ship('dogfood', '1.1.0-rc1');
  await ship('canary', '1.1.0-rc1');
  await report('rollout', '1.1.0-rc1', 'in_progress');
  await report('rollout', '1.1.0-rc1', 'failure', 'error rate 4.2% above the 1% threshold at 10% traffic');
  for (const env of DEMO_ENVIRONMENTS) await ship(env, '1.1.0-rc2');
}

/** Deploys and promotes through the typed client and waits for the engine to finish each. */
class Runner {
  constructor(private readonly api: FlightdeckHttpBackend) {}

  async until(id: string, done: (d: Deployment) => boolean, timeoutMs = 60_000): Promise<Deployment> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = await this.api.getDeployment(DEMO_PROJECT, id);
      if (d.status === 'failure' || d.status === 'error') throw new Error(`demo deployment ${id} (${d.environment_name}) ended ${d.status}: ${d.error_message ?? ''}`);
      if (done(d)) return d;
      if (Date.now() > deadline) throw new Error(`demo deployment ${id} (${d.environment_name}) did not finish: ${d.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async deploy(environment: DemoEnvironment, version: string): Promise<void> {
    const d = await this.api.deploy(DEMO_PROJECT, environment, { release_candidate_version: version });
    await this.until(d.id, (x) => x.status === 'success');
  }

  async promote(environment: DemoEnvironment): Promise<void> {
    const d = await this.api.promote(DEMO_PROJECT, environment, {});
    await this.until(d.id, (x) => x.status === 'success');
  }
}

// ── the demo's services ──────────────────────────────────────────────────────────────────────────

/** Picks a free loopback port per environment; returns the ports (the agent runs the rest). */
async function writeRuntime(runtime: string): Promise<Record<DemoEnvironment, number>> {
  fs.mkdirSync(runtime, { recursive: true });
  const ports = {} as Record<DemoEnvironment, number>;
  for (const env of DEMO_ENVIRONMENTS) ports[env] = await freePort();
  fs.writeFileSync(path.join(runtime, 'ports.json'), `${JSON.stringify(ports, null, 2)}\n`);
  return ports;
}


/** Starts the service of every environment that has a live version but does not answer. */
async function ensureServices(runtime: string): Promise<void> {
  let ports: Record<string, number>;
  try {
    ports = JSON.parse(fs.readFileSync(path.join(runtime, 'ports.json'), 'utf8')) as Record<string, number>;
  } catch {
    return;
  }
  for (const [env, port] of Object.entries(ports)) {
    if (!fs.existsSync(path.join(runtime, `${env}.version`)) || await answers(port)) continue;
    startService(runtime, env, port);
  }
}
