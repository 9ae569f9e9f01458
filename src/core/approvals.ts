// Approvals and blocked candidates (API.md endpoints 18–22): who may approve or reject a deployment
// awaiting approval, how its state reads, and the sentence a blocked candidate is refused with. Pure:
// the server decides with what it read inside its transaction, a client offers (or explains) the
// action with what its last overview said, and both word it the same.
import type { Approval, ApprovalVote, CandidateBlock, Deployment, DeploymentKind, Role } from '../api/schemas';

/** How long an approval request waits before it ends `canceled` with APPROVAL_EXPIRED. */
export const APPROVAL_TTL_MS = 24 * 60 * 60 * 1000;
export const APPROVAL_EXPIRED = 'Approval expired';

export interface ApprovalCaller {
  name: string;
  role: Role;
}

export interface ApprovalEnvironment {
  protected: boolean;
}

/** A refusal with the HTTP status the server answers it with: 403 the role, 409 the deployment's state. */
export interface ApprovalRefusal {
  status: 403 | 409;
  reason: string;
}

/** Only deploys and promotes wait: rollbacks must stay fast, and reports describe what already happened. */
export function needsApproval(kind: DeploymentKind, requiredApprovals: number): boolean {
  return requiredApprovals > 0 && (kind === 'deploy' || kind === 'promote');
}

/** A fresh approval request, as a deploy or promote into an environment with `required_approvals` > 0 gets. */
export function newApproval(required: number, now: number): Approval {
  return { required, approvals: [], rejection: null, expires_at: new Date(now + APPROVAL_TTL_MS).toISOString() };
}

/** Pending, with an approval request that is neither rejected nor complete. */
export function awaitsApproval(d: Deployment): boolean {
  return d.status === 'pending' && d.approval !== null && d.approval.rejection === null && approvalsStillNeeded(d.approval) > 0;
}

export function approvalsStillNeeded(a: Approval): number {
  return Math.max(0, a.required - a.approvals.length);
}

export function isApprovalExpired(a: Approval, now: number): boolean {
  return now >= Date.parse(a.expires_at);
}

/** The approval request with one more approval; `complete` when it was the last one needed. */
export function withApproval(a: Approval, vote: ApprovalVote): { approval: Approval; complete: boolean } {
  const approval = { ...a, approvals: [...a.approvals, vote] };
  return { approval, complete: approvalsStillNeeded(approval) === 0 };
}

/** `error_message` of a rejected (or withdrawn) deployment. */
export function rejectionMessage(vote: Pick<ApprovalVote, 'actor' | 'comment'>): string {
  return vote.comment === null || vote.comment.trim() === '' ? `Rejected by ${vote.actor}` : `Rejected by ${vote.actor}: ${vote.comment}`;
}

function roleRefusal(d: Deployment, caller: ApprovalCaller, environment: ApprovalEnvironment, what: string): ApprovalRefusal | undefined {
  if (caller.role === 'viewer') return { status: 403, reason: `Only a deployer or an admin may ${what} a deployment` };
  if (environment.protected && caller.role !== 'admin') {
    return { status: 403, reason: `Environment ${d.environment_name} is protected: only an admin may approve or reject its deployments` };
  }
  return undefined;
}

function notAwaiting(d: Deployment): ApprovalRefusal {
  return { status: 409, reason: `Deployment ${d.id} is not awaiting approval` };
}

/** approvalRefusal with its status; the server answers with this. */
export function approvalCheck(d: Deployment, caller: ApprovalCaller, environment: ApprovalEnvironment): ApprovalRefusal | undefined {
  const byRole = roleRefusal(d, caller, environment, 'approve');
  if (byRole) return byRole;
  if (!awaitsApproval(d) || d.approval === null) return notAwaiting(d);
  if (caller.name === d.actor) return { status: 409, reason: `Nobody approves their own change: deployment ${d.id} was requested by ${d.actor}` };
  if (d.approval.approvals.some((vote) => vote.actor === caller.name)) {
    return { status: 409, reason: `${caller.name} has already approved deployment ${d.id}` };
  }
  return undefined;
}

/** rejectionRefusal with its status; the server answers with this. */
export function rejectionCheck(d: Deployment, caller: ApprovalCaller, environment: ApprovalEnvironment): ApprovalRefusal | undefined {
  // The one who asked may always withdraw their own request (unless their token became a viewer's).
  const own = caller.name === d.actor;
  const byRole = roleRefusal(d, caller, own ? { protected: false } : environment, 'reject');
  if (byRole) return byRole;
  if (!awaitsApproval(d)) return notAwaiting(d);
  return undefined;
}

/**
 * Why `caller` may not approve `d` in `environment` now, or undefined when they may (self, already approved,
 * not awaiting, viewer role, protected env needs admin). The server's 409/403 use the same sentences.
 */
export function approvalRefusal(d: Deployment, caller: ApprovalCaller, environment: ApprovalEnvironment): string | undefined {
  return approvalCheck(d, caller, environment)?.reason;
}

/** Same for reject; the deployment's own actor may reject (withdraw) their own request. */
export function rejectionRefusal(d: Deployment, caller: ApprovalCaller, environment: ApprovalEnvironment): string | undefined {
  return rejectionCheck(d, caller, environment)?.reason;
}

/**
 * One line on a deployment's approval: "awaiting 1 of 2 approvals · requested by ana" (1 still needed of
 * 2), "approved by bob, carol", "rejected by bob", "approval expired"; '' when it needed none.
 */
export function approvalSummary(d: Deployment): string {
  const a = d.approval;
  if (a === null) return '';
  if (a.rejection !== null) return `rejected by ${a.rejection.actor}`;
  const needed = approvalsStillNeeded(a);
  if (needed > 0) {
    if (d.status === 'canceled' && d.error_message === APPROVAL_EXPIRED) return 'approval expired';
    if (d.status !== 'pending') return `not approved (${d.status})`;
    const awaiting = a.required === 1 ? 'awaiting approval' : `awaiting ${needed} of ${a.required} approvals`;
    return `${awaiting} · requested by ${d.actor}`;
  }
  return `approved by ${a.approvals.map((vote) => vote.actor).join(', ')}`;
}

/** Why a candidate may not be deployed/promoted: `Release candidate 1.4.0-rc2 is blocked: <reason>`. */
export function blockedCandidateMessage(candidate: string, block: CandidateBlock): string {
  return `Release candidate ${candidate} is blocked: ${block.reason}`;
}
