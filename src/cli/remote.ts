// `flightdeck status | promote | rollback | watch`: the same client code the extension uses, with
// terminal output for people and `--json` for scripts.
import { readFileSync } from 'node:fs';
import type { Deployment, Environment, Project } from '../api/schemas';
import { AVIATOR_SAAS_URL, AviatorBackend } from '../client/aviator';
import type { ReleaseBackend } from '../client/backend';
import { BackendError, isBackendError } from '../client/errors';
import { openEventStream } from '../client/events';
import { FlightdeckHttpBackend } from '../client/http';
import { availableActions, planInProject, type ActionCapabilities } from '../core/actionPlan';
import { approvalSummary, awaitsApproval } from '../core/approvals';
import { candidateTrouble, describeTrouble } from '../core/candidateHistory';
import { formatAge, shortSha } from '../core/format';
import { ladder, rungBelow } from '../core/ladder';
import { PROJECT_CONFIG_FILE, parseProjectConfigText } from '../core/projectConfig';
import { discreditedReason, ROLLBACK_HISTORY, rollbackTarget } from '../core/rollback';
import { describeError } from '../core/errors';
import { optionString, parseArgs, UsageError, type ParsedArgs } from './args';
import { confirmChange, confirmOnTerminal, needsConfirmation, type Confirm } from './confirm';
import { chooseServer, connectionHint, type ServerChoice } from './connection';
import { githubBackend } from './github';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Asks y/N before a change to a protected or production environment; default: the terminal. */
  confirm?: Confirm;
  /** The clock, for "4m ago" (tests pin it). */
  now?: () => number;
}

/** `--server URL --kind flightdeck|aviator --projects FILE`, shared by status, promote and rollback. */
export const BACKEND_OPTIONS = ['server', 'kind', 'projects'] as const;

export interface Connected {
  backend: ReleaseBackend;
  /** For Flightdeck servers: how the server was chosen (Aviator: undefined). */
  choice: ServerChoice | undefined;
}

/**
 * `--kind aviator` (or FLIGHTDECK_SERVER_KIND=aviator): Aviator Releases at `--server` (default FLIGHTDECK_SERVER,
 * then Aviator's SaaS URL), with the projects it cannot list read from `--projects FILE` (default
 * `.flightdeck.json` in the current directory). `--kind github`: GitHub Deployments (./github.ts) for the
 * repositories named (`repositories`, else the configured ones). Otherwise a Flightdeck server (see connection.ts).
 */
export function backendFor(args: ParsedArgs, env: NodeJS.ProcessEnv, repositories: readonly string[] = []): Connected {
  // Not FLIGHTDECK_KIND: a deploy command receives that as its deployment's kind (API.md).
  const kind = optionString(args, 'kind') ?? (env.FLIGHTDECK_SERVER_KIND || 'flightdeck');
  const explicitServer = optionString(args, 'server');
  if (kind === 'github') {
    const projectsFile = optionString(args, 'projects');
    return { backend: githubBackend({ server: explicitServer, env, repositories, ...(projectsFile !== undefined ? { projectsFile } : {}) }), choice: undefined };
  }
  if (kind === 'aviator') {
    const file = optionString(args, 'projects') ?? PROJECT_CONFIG_FILE;
    const backend = new AviatorBackend({
      baseUrl: explicitServer ?? (env.FLIGHTDECK_SERVER || AVIATOR_SAAS_URL),
      token: env.FLIGHTDECK_TOKEN || undefined,
      projects: () => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new UsageError(`Aviator cannot list projects: cannot read ${file} (${describeError(error)}); name them there or pass --projects FILE`);
        }
        const config = parseProjectConfigText(text, file);
        if (config.problems.length > 0) throw new UsageError(config.problems.join('\n'));
        return config;
      },
    });
    return { backend, choice: undefined };
  }
  if (kind !== 'flightdeck') throw new UsageError(`--kind must be flightdeck, aviator or github, not ${kind}`);
  const choice = chooseServer(explicitServer, env);
  return { backend: new FlightdeckHttpBackend({ baseUrl: choice.url, token: choice.token }), choice };
}

/** Runs a client command; a refusal or an unreachable server gets a sentence on how the server was chosen. */
export async function withHints<T>(connected: Connected, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isBackendError(error) && connected.choice && (error.kind === 'network' || error.kind === 'unauthorized' || error.kind === 'forbidden')) {
      throw new BackendError(error.kind, `${error.message}\n${connectionHint(connected.choice, error.kind)}`, error.status, error.current);
    }
    throw error;
  }
}

/** The project, or an error that names it and the projects there are. */
export async function requireProject(backend: ReleaseBackend, name: string): Promise<Project> {
  try {
    return await backend.getProject(name);
  } catch (error) {
    if (!isBackendError(error) || error.kind !== 'not_found') throw error;
    const names = await backend.listProjects().then((projects) => projects.map((p) => p.name), () => []);
    throw new BackendError('not_found', `No project "${name}" on ${backend.baseUrl}`
      + (names.length > 0 ? ` (its projects: ${names.join(', ')})` : ' (it has no projects yet)'), 404);
  }
}

/** The environment, or an error that names the project's environments. */
function requireEnvironment(project: Project, name: string): Environment {
  const environment = project.environments.find((env) => env.name === name);
  if (environment) return environment;
  throw new BackendError('not_found', `Project ${project.name} has no environment "${name}" (its environments: ${ladder(project).map((env) => env.name).join(', ')})`, 404);
}

export async function runStatus(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS], flags: ['json'] });
  const name = args.positionals[0];
  const connected = backendFor(args, io.env, name === undefined ? [] : [name]);
  const projects = await withHints(connected, async () => name ? [await requireProject(connected.backend, name)] : connected.backend.listProjects());
  // A backend that could not read a project (GitHub: unknown repository, refused token) says so on it.
  const unreadable = projects.filter((project) => project.error !== undefined);
  for (const project of unreadable) io.stderr(`flightdeck: ${project.error ?? ''}\n`);
  const code = unreadable.length > 0 ? 1 : 0;
  if (args.options.has('json')) {
    io.stdout(JSON.stringify(name ? projects[0] : { projects }, null, 2) + '\n');
    return code;
  }
  if (projects.length === 0) io.stdout('No projects yet. Create one with PUT /api/releases/{project} or the extension.\n');
  for (const project of projects) io.stdout(formatProject(project, io.now?.() ?? Date.now(), connected.backend.capabilities));
  return code;
}

/**
 * One line per rung; the last column says what can be done there now, by the action plan the extension
 * follows too (core/actionPlan; the token's role is the server's to check).
 */
export function formatProject(project: Project, now: number, capabilities: ActionCapabilities): string {
  const rows = ladder(project).map((env) => environmentRow(project, env, now, capabilities));
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const lines = rows.map((r) => '  ' + r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  return `${project.name}  (${project.repo})\n${lines.join('\n')}\n`;
}

function environmentRow(project: Project, env: Environment, now: number, capabilities: ActionCapabilities): string[] {
  const current = env.current;
  const flags = [env.frozen ? 'frozen' : '', env.protected ? 'protected' : ''].filter(Boolean).join(',');
  const active = env.active
    ? `→ ${env.active.release_candidate_version} ${env.active.status}${env.active.rollout ? ` ${env.active.rollout.percent}%` : ''}`
      + (awaitsApproval(env.active) ? ` (${approvalSummary(env.active)})` : '')
    : '';
  const plan = planInProject(project, env, { capabilities, role: 'unknown' });
  const promote = plan.promote.available ? `promote ${plan.promote.candidate} from ${plan.promote.from}` : '';
  const others = availableActions(plan).filter((action) => action === 'rollback' || action === 'pause' || action === 'resume')
    .map((action) => (action === 'rollback' && plan.rollback.available && plan.rollback.force ? 'rollback --force' : action));
  const can = [promote, ...others].filter(Boolean).join(', ');
  return [
    env.name,
    current ? current.release_candidate_version : '—',
    current ? shortSha(current.commit) : '',
    current ? formatAge(current.deploy_end_at ?? current.deploy_start_at, now) : '',
    current ? current.actor : '',
    [flags, active].filter(Boolean).join(' '),
    can ? `can: ${can}` : '',
  ];
}

function describeDeployment(verb: string, d: Deployment): string {
  const from = d.from_release_candidate_version ?? 'nothing';
  const waiting = awaitsApproval(d) ? `: ${approvalSummary(d)} (flightdeck approvals)` : '';
  return `${verb} ${d.project}/${d.environment_name}: ${from} → ${d.release_candidate_version} (deployment ${d.id}, ${d.status}${waiting})\n`;
}

/** Recent deployments of every environment of the project: what the 24-hour warning reads. */
async function recentDeployments(backend: ReleaseBackend, project: Project): Promise<Deployment[]> {
  const lists = await Promise.all(project.environments.map((env) =>
    backend.listDeployments(project.name, env.name, 1, 20).catch(() => [] as Deployment[])));
  return lists.flat();
}

export async function runPromote(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS, 'from', 'expect'], flags: ['json', 'yes'] });
  const [projectName, environmentName] = args.positionals;
  if (!projectName || !environmentName) throw new UsageError('usage: flightdeck promote PROJECT ENV [--from ENV] [--expect RC] [--yes]');
  const from = optionString(args, 'from');
  const expect = optionString(args, 'expect');
  const connected = backendFor(args, io.env, [projectName]);
  const { backend } = connected;
  const deployment = await withHints(connected, async () => {
    const project = await requireProject(backend, projectName);
    const target = requireEnvironment(project, environmentName);
    const source = from !== undefined ? requireEnvironment(project, from) : rungBelow(project, target.name);
    const candidate = source?.current?.release_candidate_version;
    if (candidate !== undefined) {
      const now = io.now?.() ?? Date.now();
      for (const trouble of candidateTrouble(await recentDeployments(backend, project), candidate, now)) {
        io.stderr(`Warning: ${describeTrouble(candidate, trouble, formatAge(trouble.at, now))}\n`);
      }
    }
    const current = target.current?.release_candidate_version ?? null;
    const question = `Promote ${project.name}/${target.name} from ${current ?? 'nothing'} to ${candidate ?? '(what ' + (source?.name ?? 'the rung below') + ' runs)'}?`;
    await confirmChange(target, question, args.options.has('yes'), io.confirm ?? confirmOnTerminal, 'a promote');
    // What was confirmed is what happens: pinned to that candidate and to what the target runs now.
    const confirmed = needsConfirmation(target) !== undefined && candidate !== undefined;
    return backend.promote(project.name, target.name, {
      ...(from !== undefined ? { from_environment: from } : {}),
      ...(confirmed ? { release_candidate_version: candidate, expected_current: current } : {}),
      ...(expect !== undefined ? { expected_current: expect === 'none' ? null : expect } : {}),
    });
  });
  io.stdout(args.options.has('json') ? JSON.stringify(deployment, null, 2) + '\n' : describeDeployment('Promoting', deployment));
  return 0;
}

export async function runRollback(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS, 'to', 'expect'], flags: ['json', 'force', 'yes'] });
  const [projectName, environmentName] = args.positionals;
  if (!projectName || !environmentName) throw new UsageError('usage: flightdeck rollback PROJECT ENV [--to RC] [--force] [--expect RC] [--yes]');
  const to = optionString(args, 'to');
  const expect = optionString(args, 'expect');
  const connected = backendFor(args, io.env, [projectName]);
  const { backend } = connected;
  const deployment = await withHints(connected, async () => {
    const project = await requireProject(backend, projectName);
    const target = requireEnvironment(project, environmentName);
    const history = await backend.listDeployments(project.name, target.name, 1, ROLLBACK_HISTORY);
    const candidate = to ?? rollbackTarget(history)?.release_candidate_version;
    if (to !== undefined) {
      const reason = discreditedReason(history, to);
      if (reason) io.stderr(`Warning: ${reason}.\n`);
    }
    const current = target.current?.release_candidate_version ?? null;
    if (candidate !== undefined) {
      const question = `Roll back ${project.name}/${target.name} from ${current ?? 'nothing'} to ${candidate}?`;
      await confirmChange(target, question, args.options.has('yes'), io.confirm ?? confirmOnTerminal, 'a rollback');
    }
    const confirmed = needsConfirmation(target) !== undefined && candidate !== undefined;
    return backend.rollback(project.name, target.name, {
      ...(to !== undefined || confirmed ? { to_release_candidate_version: candidate } : {}),
      ...(confirmed ? { expected_current: current } : {}),
      ...(args.options.has('force') ? { force: true } : {}),
      ...(expect !== undefined ? { expected_current: expect === 'none' ? null : expect } : {}),
    });
  });
  io.stdout(args.options.has('json') ? JSON.stringify(deployment, null, 2) + '\n' : describeDeployment('Rolling back', deployment));
  return 0;
}

/** Streams events until interrupted; resumes across drops without losing any. */
export async function runWatch(argv: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const args = parseArgs(argv, { values: ['server', 'since'], flags: ['json'] });
  const [project, environment] = args.positionals;
  if (!project) throw new UsageError('usage: flightdeck watch PROJECT [ENV] [--since ID] [--json]');
  const since = optionString(args, 'since');
  const json = args.options.has('json');
  const choice = chooseServer(optionString(args, 'server'), io.env);
  const stream = openEventStream({
    baseUrl: choice.url,
    token: choice.token,
    project,
    ...(since !== undefined ? { lastEventId: Number(since) } : {}),
    onEvent: (event) => {
      if (environment && event.data.environment !== environment) return;
      if (json) {
        io.stdout(JSON.stringify(event) + '\n');
        return;
      }
      const d = event.data.deployment;
      const what = d
        ? `${d.release_candidate_version} ${d.kind} ${d.status}${d.rollout ? ` ${d.rollout.percent}%` : ''}${d.error_message ? ` — ${d.error_message}` : ''}`
        : '';
      io.stdout(`${event.data.at}  #${event.id}  ${event.type.padEnd(19)}  ${event.data.project}/${event.data.environment ?? '-'}  ${what}\n`);
    },
    onReset: (head, reason) => {
      io.stderr(`[reset: the server could not resume (${reason}); events may have been missed; continuing after #${head}]\n`);
    },
    onState: (state, detail) => {
      if (!json && state !== 'closed') io.stderr(`[${state}${detail ? `: ${detail}` : ''}]\n`);
    },
  });
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      stream.close();
      resolve();
    };
    signal?.addEventListener('abort', stop, { once: true });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
