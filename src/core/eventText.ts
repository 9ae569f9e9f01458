// Event names as people say them ("Health check failing", "Automatic rollback"), not the wire's
// `deployment.updated`: for the stage's event log and the output channel. Pure and platform-free.
import type { Deployment, ReleaseEvent } from '../api/schemas';
import { approvalSummary, awaitsApproval } from './approvals';
import { humanize } from './format';

const STARTED: Record<Deployment['kind'], string> = {
  deploy: 'Deploy started',
  promote: 'Promote started',
  rollback: 'Rollback started',
  auto_rollback: 'Automatic rollback',
};

export function eventTitle(event: Pick<ReleaseEvent, 'type' | 'data'>): string {
  const d = event.data.deployment;
  switch (event.type) {
    case 'deployment.created':
      // A request that waits for people has not started anything yet.
      return d ? (d.approval ? 'Approval requested' : STARTED[d.kind]) : 'Deployment started';
    case 'deployment.updated':
      return d ? deploymentTitle(d) : 'Deployment changed';
    case 'environment.updated':
      return 'Environment changed';
    case 'project.updated':
      return 'Project changed';
    case 'release.created':
      return 'New candidate';
    case 'release.updated':
      return 'Candidate blocked or unblocked';
  }
}

function deploymentTitle(d: Deployment): string {
  if (d.approval && d.status === 'pending') return awaitsApproval(d) ? `Approval: ${approvalSummary(d).split(' · ')[0]}` : 'Approved';
  if (d.approval?.rejection && d.status === 'canceled') return d.approval.rejection.actor === d.actor ? 'Withdrawn' : 'Rejected';
  const rollback = d.kind === 'rollback' || d.kind === 'auto_rollback';
  switch (d.status) {
    case 'success':
      if (d.health?.healthy === false) return 'Health check failing';
      return rollback ? 'Rolled back' : 'Succeeded';
    case 'failure':
    case 'error':
      return rollback ? 'Rollback failed' : 'Failed';
    case 'canceled':
      return 'Canceled';
    case 'canceling':
      return 'Canceling';
    default:
      if (d.health?.healthy === false) return 'Health check failing';
      if (d.rollout?.paused) return 'Paused';
      if (d.rollout) return 'Rolling out';
      return humanize(d.status).replace(/^./, (c) => c.toUpperCase());
  }
}

/** One line for the output channel: "payments/canary · Failed · 1.3.1-rc1 — Health check failed 3 times…". */
export function eventLogLine(event: ReleaseEvent): string {
  const d = event.data.deployment;
  const where = `${event.data.project}${event.data.environment ? `/${event.data.environment}` : ''}`;
  const parts = [where, eventTitle(event)];
  if (d) {
    parts.push(`${d.release_candidate_version} (${humanize(d.kind)} by ${d.actor}, deployment ${d.id})`);
    if (d.rollout && d.status !== 'success') parts.push(`${d.rollout.percent}%`);
  }
  const error = d?.error_message ?? (d?.health?.healthy === false ? d.health.last_error : null);
  return `Event: ${parts.join(' · ')}${error ? ` — ${error}` : ''}`;
}
