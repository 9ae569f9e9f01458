// Approve…, Reject… (Withdraw for the caller's own request), Block Candidate… and Unblock Candidate…: from
// the palette (pickers), the Approvals view, the tree, the stage panel and hover links. Each asks the action
// plan (core/actionPlan, which asks core/approvals) and says its reason when the action is not available;
// an approval or a rejection is confirmed with the modal naming project, environment, from → to and the
// commits it brings, as every other release change is.
import * as vscode from 'vscode';
import type { CandidateBlock, Deployment, Release } from '../../api/schemas';
import { actionTitle, approvalPlans, candidatePlans, type ActionPlan } from '../../core/actionPlan';
import { approvalSummary, awaitsApproval } from '../../core/approvals';
import { formatAge, plural } from '../../core/format';
import { commandRunner, commitSentence, PlanRefusal, refuseUnless, started, type ActionDeps } from '../actions';
import type { CallerIdentity } from '../caller';
import { cancelled, type CommandOutcome } from '../outcome';
import { pickProject } from '../targets';
import type { ApprovalsView } from './view';

export interface ApprovalCommandDeps extends ActionDeps {
  identity: CallerIdentity;
  approvals: ApprovalsView;
}

/** What code may choose (the stage, hover links, tests): the comment or reason. Never whether to ask. */
function textArg(arg: unknown, key: 'comment' | 'reason'): string | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const value = (arg as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

function field(arg: unknown, key: string): unknown {
  return typeof arg === 'object' && arg !== null ? (arg as Record<string, unknown>)[key] : undefined;
}

export function registerApprovalCommands(deps: ApprovalCommandDeps): vscode.Disposable[] {
  const run = commandRunner(deps);
  return [
    vscode.commands.registerCommand('flightdeck.approve', run('approve', (arg) => decide(deps, arg, 'approve'))),
    vscode.commands.registerCommand('flightdeck.reject', run('reject', (arg) => decide(deps, arg, 'reject'))),
    // The menus' title for the caller's own request; the plan decides it is a withdrawal either way.
    vscode.commands.registerCommand('flightdeck.withdraw', run('reject', (arg) => decide(deps, arg, 'reject'))),
    vscode.commands.registerCommand('flightdeck.blockCandidate', run('block', (arg) => block(deps, arg))),
    vscode.commands.registerCommand('flightdeck.unblockCandidate', run('unblock', (arg) => unblock(deps, arg))),
  ];
}

// ── approve and reject ─────────────────────────────────────────────────────────────────────────────

/** The deployment awaiting approval that the argument names, or the one picked from the inbox. */
async function resolveWaiting(deps: ApprovalCommandDeps, arg: unknown, title: string): Promise<Deployment | undefined> {
  const node = field(arg, 'kind') === 'approval' ? field(arg, 'deployment') as Deployment : undefined;
  if (node) return node;
  const project = field(arg, 'project');
  const deploymentId = field(arg, 'deploymentId');
  const session = await deps.sessions.get();
  if (typeof project === 'string' && typeof deploymentId === 'string') return session.backend.getDeployment(project, deploymentId);
  // An environment (tree node or `{ project, environment }`): its active deployment, as the overview has it.
  const environmentNode = field(arg, 'kind') === 'environment' ? arg as { project: { name: string }; environment: { name: string } } : undefined;
  const environmentName = environmentNode?.environment.name ?? (typeof field(arg, 'environment') === 'string' ? field(arg, 'environment') as string : undefined);
  const projectName = environmentNode?.project.name ?? (typeof project === 'string' ? project : undefined);
  if (projectName && environmentName) {
    await deps.model.refresh();
    const active = deps.model.findProject(projectName)?.environments.find((e) => e.name === environmentName)?.active;
    if (!active) throw new PlanRefusal(`No deployment is waiting for approval in ${projectName}/${environmentName}.`);
    return active;
  }
  const waiting = await session.backend.listApprovals();
  if (waiting.length === 0) throw new PlanRefusal('No deployment is waiting for approval.');
  const picked = await vscode.window.showQuickPick(
    waiting.map((d) => ({
      label: `${d.project} / ${d.environment_name}`,
      description: `${d.from_release_candidate_version ?? 'nothing'} → ${d.release_candidate_version}`,
      detail: approvalSummary(d),
      deployment: d,
    })),
    { title, placeHolder: 'Deployment awaiting approval (oldest first)', matchOnDescription: true, ignoreFocusOut: true },
  );
  return picked?.deployment;
}

async function decide(deps: ApprovalCommandDeps, arg: unknown, action: 'approve' | 'reject'): Promise<CommandOutcome<Deployment>> {
  // A backend without approvals says why before anything is picked (the plan's reason, Aviator's words).
  const capabilities = (await deps.sessions.get()).backend.capabilities;
  if (!capabilities.approvals) refuseUnless(approvalPlans(null, { protected: false }, capabilities)[action]);
  const deployment = await resolveWaiting(deps, arg, action === 'approve' ? 'Flightdeck: Approve' : 'Flightdeck: Reject');
  if (!deployment) return cancelled;
  const session = await deps.sessions.get();
  const caller = await deps.identity.of(session);
  const environment = deps.model.findProject(deployment.project)?.environments.find((e) => e.name === deployment.environment_name);
  const plans = approvalPlans(deployment, { protected: environment?.protected ?? false }, session.backend.capabilities, caller);
  const planned = plans[action];
  refuseUnless(planned);
  const title = actionTitle(action, plans as ActionPlan);
  const withdraw = action === 'reject' && plans.reject.available && plans.reject.withdraw;
  const comment = textArg(arg, 'comment') ?? await vscode.window.showInputBox({
    title: `Flightdeck: ${title} ${deployment.release_candidate_version} in ${deployment.project}/${deployment.environment_name}`,
    prompt: action === 'approve' ? 'A comment for the approval (optional)' : withdraw ? 'Why you withdraw the request (optional)' : 'Why you reject it (optional; the requester sees it)',
    ignoreFocusOut: true,
    validateInput: (v) => (v.length > 2000 ? 'Keep the comment under 2000 characters.' : undefined),
  });
  if (comment === undefined) return cancelled;
  const from = deployment.from_release_candidate_version ?? 'nothing';
  const approvals = deployment.approval?.approvals.length ?? 0;
  const last = action === 'approve' && deployment.approval !== null && approvals + 1 >= deployment.approval.required;
  const detail = [
    `${deployment.project} / ${deployment.environment_name}: ${from} → ${deployment.release_candidate_version}, requested by ${deployment.actor}.`,
    await commitSentence(deps, environment?.current?.commit, deployment.commit),
    approvalSummary(deployment).replace(/^./, (c) => c.toUpperCase()) + '.',
    action === 'approve' ? (last ? 'This is the last approval needed: the deployment starts.' : `It still needs ${plural(deployment.approval!.required - approvals - 1, 'more approval')} after yours.`)
      : withdraw ? 'The request is canceled; nothing is deployed.' : 'The deployment is canceled; nothing is deployed.',
    deployment.candidate_blocked ? `${deployment.release_candidate_version} is blocked: ${deployment.candidate_blocked.reason}` : '',
  ].filter(Boolean).join('\n');
  const question = action === 'approve' ? `Approve ${deployment.release_candidate_version} to ${deployment.environment_name}?`
    : withdraw ? `Withdraw your request to deploy ${deployment.release_candidate_version} to ${deployment.environment_name}?`
      : `Reject ${deployment.release_candidate_version} to ${deployment.environment_name}?`;
  if (!(await deps.confirmer.confirm({ message: question, detail, action: title }))) return cancelled;
  const body = comment.trim() ? { comment: comment.trim() } : {};
  const updated = await session.backend[action](deployment.project, deployment.id, body);
  deps.log.info(`${title} ${deployment.project}/${deployment.environment_name}: deployment ${deployment.id} of ${deployment.release_candidate_version} (${updated.status})`);
  // The last approval starts it as an unapproved deployment would have started (it may still read pending).
  if (action === 'approve' && !awaitsApproval(updated)) {
    started(deps, updated, 'Deploying');
  } else {
    const said = action === 'approve' ? `Approved ${deployment.release_candidate_version} to ${deployment.project}/${deployment.environment_name}: ${approvalSummary(updated)}.`
      : `${withdraw ? 'Withdrawn' : 'Rejected'}: ${deployment.release_candidate_version} to ${deployment.project}/${deployment.environment_name} is canceled.`;
    void vscode.window.showInformationMessage(said);
    void deps.refresh.afterAction();
  }
  void deps.approvals.refresh();
  return { kind: 'done', value: updated };
}

// ── block and unblock ──────────────────────────────────────────────────────────────────────────────

interface CandidateTarget {
  project: string;
  candidate: string;
  blocked: CandidateBlock | null;
}

/** The candidate the argument names (an environment's live one, a deployment's, or `{ project, candidate }`), or a pick. */
async function resolveCandidate(deps: ApprovalCommandDeps, arg: unknown, title: string, wantBlocked: boolean): Promise<CandidateTarget | undefined> {
  const kind = field(arg, 'kind');
  if (kind === 'deployment') {
    const d = field(arg, 'deployment') as Deployment;
    return { project: d.project, candidate: d.release_candidate_version, blocked: d.candidate_blocked };
  }
  const environmentNode = kind === 'environment' ? arg as { project: { name: string }; environment: { name: string } } : undefined;
  const projectName = environmentNode?.project.name ?? (typeof field(arg, 'project') === 'string' ? field(arg, 'project') as string : undefined);
  const environmentName = environmentNode?.environment.name ?? (typeof field(arg, 'environment') === 'string' ? field(arg, 'environment') as string : undefined);
  const named = field(arg, 'candidate') ?? field(arg, 'release_candidate_version');
  const session = await deps.sessions.get();
  if (projectName && typeof named === 'string') {
    const found = (await session.backend.listReleases(projectName, 1, 50)).flatMap((r) => r.candidates).find((c) => c.release_candidate_version === named);
    return { project: projectName, candidate: named, blocked: found?.blocked ?? null };
  }
  if (projectName && environmentName) {
    await deps.model.refresh();
    const current = deps.model.findProject(projectName)?.environments.find((e) => e.name === environmentName)?.current;
    if (!current) throw new PlanRefusal(`Nothing is live in ${environmentName} to ${wantBlocked ? 'unblock' : 'block'}.`);
    return { project: projectName, candidate: current.release_candidate_version, blocked: current.candidate_blocked };
  }
  await deps.model.refresh();
  const project = await pickProject(deps.model, title, '1/2');
  if (!project) return undefined;
  const candidates = (await session.backend.listReleases(project.name, 1, 20)).flatMap((r) => r.candidates)
    .filter((c) => (c.blocked !== null) === wantBlocked);
  if (candidates.length === 0) throw new PlanRefusal(wantBlocked ? `No release candidate of ${project.name} is blocked.` : `${project.name} has no release candidate to block.`);
  const live = (candidate: string) => project.environments.filter((e) => e.current?.release_candidate_version === candidate).map((e) => e.name);
  const picked = await vscode.window.showQuickPick(
    candidates.map((c) => ({
      label: `${c.blocked ? '$(circle-slash) ' : ''}${c.release_candidate_version}`,
      description: live(c.release_candidate_version).length ? `live in ${live(c.release_candidate_version).join(', ')}` : '',
      detail: c.blocked ? `blocked by ${c.blocked.actor}: ${c.blocked.reason}` : `created ${new Date(c.created_at).toLocaleString()}`,
      candidate: c,
    })),
    { title: `${title} (2/2)`, placeHolder: `Release candidate of ${project.name}`, ignoreFocusOut: true },
  );
  return picked ? { project: project.name, candidate: picked.candidate.release_candidate_version, blocked: picked.candidate.blocked } : undefined;
}

async function block(deps: ApprovalCommandDeps, arg: unknown): Promise<CommandOutcome<Release>> {
  const capabilities = (await deps.sessions.get()).backend.capabilities;
  if (!capabilities.block) refuseUnless(candidatePlans(null, capabilities).block);
  const target = await resolveCandidate(deps, arg, 'Flightdeck: Block Candidate', false);
  if (!target) return cancelled;
  const session = await deps.sessions.get();
  const planned = candidatePlans({ candidate: target.candidate, blocked: target.blocked }, session.backend.capabilities).block;
  refuseUnless(planned);
  const reason = textArg(arg, 'reason') ?? await vscode.window.showInputBox({
    title: `Flightdeck: Block ${target.candidate} (${target.project})`,
    prompt: 'Why it must not move further (everyone who sees the candidate reads this)',
    placeHolder: 'e.g. breaks checkout for EU cards',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim().length === 0 ? 'Say why: the reason is shown wherever the candidate is.' : v.trim().length > 500 ? 'Keep the reason under 500 characters.' : undefined),
  });
  if (reason === undefined) return cancelled;
  const release = await session.backend.blockCandidate(target.project, target.candidate, { reason: reason.trim() });
  deps.log.info(`Blocked ${target.project} ${target.candidate}: ${reason.trim()}`);
  void vscode.window.showInformationMessage(`${target.candidate} is blocked: deploys and promotes of it are refused until it is unblocked. Nothing running was changed.`);
  await deps.refresh.afterAction();
  return { kind: 'done', value: release };
}

async function unblock(deps: ApprovalCommandDeps, arg: unknown): Promise<CommandOutcome<Release>> {
  const capabilities = (await deps.sessions.get()).backend.capabilities;
  if (!capabilities.block) refuseUnless(candidatePlans(null, capabilities).unblock);
  const target = await resolveCandidate(deps, arg, 'Flightdeck: Unblock Candidate', true);
  if (!target) return cancelled;
  const session = await deps.sessions.get();
  const planned = candidatePlans({ candidate: target.candidate, blocked: target.blocked }, session.backend.capabilities).unblock;
  refuseUnless(planned);
  const detail = `${target.project}: blocked by ${planned.block.actor} ${formatAge(planned.block.at, Date.now())}: ${planned.block.reason}\nUnblocked, it may be deployed and promoted again.`;
  if (!(await deps.confirmer.confirm({ message: `Unblock ${target.candidate}?`, detail, action: actionTitle('unblock') }))) return cancelled;
  const release = await session.backend.unblockCandidate(target.project, target.candidate);
  deps.log.info(`Unblocked ${target.project} ${target.candidate}`);
  await deps.refresh.afterAction();
  return { kind: 'done', value: release };
}
