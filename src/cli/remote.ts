// `flightdeck status | promote | rollback | watch`: the same client code the extension uses, with
// terminal output for people and `--json` for scripts.
import { readFileSync } from 'node:fs';
import type { Deployment, Environment, Project } from '../api/schemas';
import { AVIATOR_SAAS_URL, AviatorBackend } from '../client/aviator';
import type { ReleaseBackend } from '../client/backend';
import { openEventStream } from '../client/events';
import { FlightdeckHttpBackend } from '../client/http';
import { availableActions, planInProject, type ActionCapabilities } from '../core/actionPlan';
import { formatAge, shortSha } from '../core/format';
import { ladder } from '../core/ladder';
import { PROJECT_CONFIG_FILE, parseProjectConfigText } from '../core/projectConfig';
import { optionString, parseArgs, UsageError, type ParsedArgs } from './args';
import { DEFAULT_SERVER, serverUrl } from './serverUrl';
import { describeError } from '../core/errors';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export { DEFAULT_SERVER, serverUrl };

/** `--server URL --kind flightdeck|aviator --projects FILE`, shared by status, promote and rollback. */
const BACKEND_OPTIONS = ['server', 'kind', 'projects'] as const;

/**
 * `--kind aviator` (or FLIGHTDECK_KIND=aviator): Aviator Releases at `--server` (default FLIGHTDECK_SERVER,
 * then Aviator's SaaS URL), with the projects it cannot list read from `--projects FILE` (default
 * `.flightdeck.json` in the current directory).
 */
function backendFor(args: ParsedArgs, env: NodeJS.ProcessEnv): ReleaseBackend {
  const kind = optionString(args, 'kind') ?? (env.FLIGHTDECK_KIND || 'flightdeck');
  const explicitServer = optionString(args, 'server');
  const token = env.FLIGHTDECK_TOKEN || undefined;
  if (kind === 'aviator') {
    const file = optionString(args, 'projects') ?? PROJECT_CONFIG_FILE;
    return new AviatorBackend({
      baseUrl: explicitServer ?? (env.FLIGHTDECK_SERVER || AVIATOR_SAAS_URL),
      token,
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
  }
  if (kind !== 'flightdeck') throw new UsageError(`--kind must be flightdeck or aviator, not ${kind}`);
  return new FlightdeckHttpBackend({ baseUrl: serverUrl(explicitServer, env), token });
}

export async function runStatus(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS], flags: ['json'] });
  const backend = backendFor(args, io.env);
  const name = args.positionals[0];
  const projects = name ? [await backend.getProject(name)] : await backend.listProjects();
  if (args.options.has('json')) {
    io.stdout(JSON.stringify(name ? projects[0] : { projects }, null, 2) + '\n');
    return 0;
  }
  if (projects.length === 0) io.stdout('No projects yet. Create one with PUT /api/releases/{project} or the extension.\n');
  for (const project of projects) io.stdout(formatProject(project, Date.now(), backend.capabilities));
  return 0;
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
  return `${verb} ${d.project}/${d.environment_name}: ${from} → ${d.release_candidate_version} (deployment ${d.id}, ${d.status})\n`;
}

export async function runPromote(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS, 'from', 'expect'], flags: ['json'] });
  const [project, environment] = args.positionals;
  if (!project || !environment) throw new UsageError('usage: flightdeck promote PROJECT ENV [--from ENV] [--expect RC]');
  const from = optionString(args, 'from');
  const expect = optionString(args, 'expect');
  const deployment = await backendFor(args, io.env).promote(project, environment, {
    ...(from !== undefined ? { from_environment: from } : {}),
    ...(expect !== undefined ? { expected_current: expect === 'none' ? null : expect } : {}),
  });
  io.stdout(args.options.has('json') ? JSON.stringify(deployment, null, 2) + '\n' : describeDeployment('Promoting', deployment));
  return 0;
}

export async function runRollback(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS, 'to', 'expect'], flags: ['json', 'force'] });
  const [project, environment] = args.positionals;
  if (!project || !environment) throw new UsageError('usage: flightdeck rollback PROJECT ENV [--to RC] [--force] [--expect RC]');
  const to = optionString(args, 'to');
  const expect = optionString(args, 'expect');
  const deployment = await backendFor(args, io.env).rollback(project, environment, {
    ...(to !== undefined ? { to_release_candidate_version: to } : {}),
    ...(args.options.has('force') ? { force: true } : {}),
    ...(expect !== undefined ? { expected_current: expect === 'none' ? null : expect } : {}),
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
  const stream = openEventStream({
    baseUrl: serverUrl(optionString(args, 'server'), io.env),
    token: io.env.FLIGHTDECK_TOKEN || undefined,
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
