// `flightdeck approvals | approve | reject | block | unblock` (API.md endpoints 19–22): the inbox of
// deployments awaiting approval, the votes on them, and blocking a release candidate. Client-only, like
// the other client commands: the rules and sentences are core/approvals', the refusals the server's.
import type { Deployment, Release } from '../api/schemas';
import { BackendError, isBackendError } from '../client/errors';
import { approvalsStillNeeded, approvalSummary } from '../core/approvals';
import { formatAge, formatDuration } from '../core/format';
import { optionString, parseArgs, UsageError } from './args';
import { BACKEND_OPTIONS, backendFor, requireProject, withHints, type CliIo, type Connected } from './remote';

export async function runApprovals(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS, 'project'], flags: ['json'] });
  if (args.positionals.length > 0) throw new UsageError('usage: flightdeck approvals [--project PROJECT] [--json]');
  const project = optionString(args, 'project');
  // With --kind github the project is a repository: the one named is the one read.
  const connected = backendFor(args, io.env, project === undefined ? [] : [project]);
  const waiting = await withHints(connected, async () => {
    if (project !== undefined) await requireProject(connected.backend, project);
    return connected.backend.listApprovals(project);
  });
  if (args.options.has('json')) {
    io.stdout(JSON.stringify(waiting, null, 2) + '\n');
    return 0;
  }
  if (waiting.length === 0) {
    io.stdout(`Nothing awaits approval${project === undefined ? '' : ` in ${project}`}.\n`);
    return 0;
  }
  const now = io.now?.() ?? Date.now();
  const rows = waiting.map((d) => [
    `#${d.id}`, `${d.project}/${d.environment_name}`, `${d.from_release_candidate_version ?? 'nothing'} → ${d.release_candidate_version}`,
    approvalSummary(d), `asked ${formatAge(d.deploy_start_at, now)}`,
    d.approval ? `expires in ${formatDuration((Date.parse(d.approval.expires_at) - now) / 1000)}` : '',
  ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const row of rows) io.stdout(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd() + '\n');
  io.stdout('Approve with: flightdeck approve PROJECT ID [--comment …]; reject with: flightdeck reject PROJECT ID [--comment …]\n');
  return 0;
}

export function runApprove(argv: string[], io: CliIo): Promise<number> {
  return vote('approve', argv, io);
}

export function runReject(argv: string[], io: CliIo): Promise<number> {
  return vote('reject', argv, io);
}

async function vote(verb: 'approve' | 'reject', argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS, 'comment'], flags: ['json'] });
  const [projectName, id, extra] = args.positionals;
  if (!projectName || !id || extra !== undefined) throw new UsageError(`usage: flightdeck ${verb} PROJECT DEPLOYMENT_ID [--comment …] [--json]`);
  const comment = optionString(args, 'comment');
  const connected = backendFor(args, io.env, [projectName]);
  const { backend } = connected;
  const deployment = await withHints(connected, async () => {
    const project = await requireProject(backend, projectName);
    const body = comment === undefined ? {} : { comment };
    try {
      return await (verb === 'approve' ? backend.approve(project.name, id, body) : backend.reject(project.name, id, body));
    } catch (error) {
      throw await withWaitingIds(connected, project.name, id, error);
    }
  });
  if (args.options.has('json')) {
    io.stdout(JSON.stringify(deployment, null, 2) + '\n');
    return 0;
  }
  io.stdout(describeVote(verb, deployment));
  return 0;
}

/** A 404 for the deployment: say which ones do await approval there. */
async function withWaitingIds(connected: Connected, project: string, id: string, error: unknown): Promise<unknown> {
  if (!isBackendError(error) || error.kind !== 'not_found') return error;
  const waiting = await connected.backend.listApprovals(project).catch(() => [] as Deployment[]);
  const list = waiting.length > 0
    ? `awaiting approval there: ${waiting.map((d) => `#${d.id} (${d.environment_name}, ${d.release_candidate_version})`).join(', ')}`
    : 'nothing awaits approval there';
  return new BackendError('not_found', `Project ${project} has no deployment ${id} (${list})`, 404);
}

function describeVote(verb: 'approve' | 'reject', d: Deployment): string {
  const where = `${d.project}/${d.environment_name} ${d.from_release_candidate_version ?? 'nothing'} → ${d.release_candidate_version} (deployment ${d.id})`;
  if (verb === 'reject') return `Rejected ${where}: ${d.status}${d.error_message ? ` — ${d.error_message}` : ''}\n`;
  const started = d.approval !== null && approvalsStillNeeded(d.approval) === 0;
  return `Approved ${where}: ${approvalSummary(d)}${started ? ` — it starts now (${d.status})` : ''}\n`;
}

export async function runBlock(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS, 'reason'], flags: ['json'] });
  const [projectName, candidate, extra] = args.positionals;
  const reason = optionString(args, 'reason');
  if (!projectName || !candidate || extra !== undefined || reason === undefined) {
    throw new UsageError('usage: flightdeck block PROJECT RC --reason "…" [--json]');
  }
  return changeBlock(args, io, projectName, candidate, reason);
}

export async function runUnblock(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: [...BACKEND_OPTIONS], flags: ['json'] });
  const [projectName, candidate, extra] = args.positionals;
  if (!projectName || !candidate || extra !== undefined) throw new UsageError('usage: flightdeck unblock PROJECT RC [--json]');
  return changeBlock(args, io, projectName, candidate, undefined);
}

async function changeBlock(
  args: ReturnType<typeof parseArgs>, io: CliIo, projectName: string, candidate: string, reason: string | undefined,
): Promise<number> {
  const connected = backendFor(args, io.env, [projectName]);
  const { backend } = connected;
  const release = await withHints(connected, async () => {
    const project = await requireProject(backend, projectName);
    try {
      return await (reason === undefined ? backend.unblockCandidate(project.name, candidate) : backend.blockCandidate(project.name, candidate, { reason }));
    } catch (error) {
      throw await withCandidates(connected, project.name, candidate, error);
    }
  });
  if (args.options.has('json')) {
    io.stdout(JSON.stringify(release, null, 2) + '\n');
    return 0;
  }
  const block = release.candidates.find((c) => c.release_candidate_version === candidate)?.blocked ?? null;
  io.stdout(block
    ? `Blocked ${release.project} ${candidate} (by ${block.actor}): ${block.reason}. Nothing deploys, promotes or rolls back to it until: flightdeck unblock ${release.project} ${candidate}\n`
    : `Unblocked ${release.project} ${candidate}.\n`);
  return 0;
}

/** A 404 for the candidate (not an invalid version): name the project's newest candidates. */
async function withCandidates(connected: Connected, project: string, candidate: string, error: unknown): Promise<unknown> {
  if (!isBackendError(error) || error.kind !== 'not_found') return error;
  const releases = await connected.backend.listReleases(project, 1, 5).catch(() => [] as Release[]);
  const names = releases.flatMap((r) => r.candidates.map((c) => c.release_candidate_version)).slice(0, 10);
  return new BackendError('not_found', `Project ${project} has no release candidate ${candidate}`
    + (names.length > 0 ? ` (its newest: ${names.join(', ')})` : ' (it has no candidates yet)'), 404);
}
