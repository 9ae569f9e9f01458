// Approvals on GitHub: a workflow job waiting for review in a protected environment is a deployment
// awaiting approval (API.md "Other backends"). GitHub lists them per run (`actions/runs?status=waiting`,
// then each run's `pending_deployments`) and takes a review with one POST per run.
import type { ApprovalBody, Deployment } from '../api/schemas';
import { BackendError } from './errors';
import type { GitHubTransport } from './githubHttp';
import {
  GitHubDeployment, GitHubPendingDeployment, GitHubWorkflowRun, GitHubWorkflowRunList, parse, parsePendingDeploymentId, pool, repoPath, toDeployment,
  toPendingDeployment,
} from './githubWire';
import * as z from 'zod';

/** A job waiting for review as GitHub answered it: enough to act on it. */
export interface PendingReview {
  deployment: Deployment;
  runId: number;
  environmentId: number;
  canApprove: boolean;
}

const PAGE = 100;
const CONCURRENCY = 4;

/** Jobs waiting for review in this repository: one request, plus one per waiting run. */
export async function listPendingReviews(transport: GitHubTransport, repo: string): Promise<PendingReview[]> {
  const runs = parse(GitHubWorkflowRunList, await transport.request('GET', `${repoPath(repo)}/actions/runs?status=waiting&per_page=${PAGE}`), 'workflow runs').workflow_runs;
  const perRun = await pool(runs, CONCURRENCY, async (run) => {
    const answer = await transport.request('GET', `${repoPath(repo)}/actions/runs/${run.id}/pending_deployments`);
    return reviewsOf(repo, run, parse(z.array(GitHubPendingDeployment), answer, 'pending deployments'));
  });
  return perRun.flat();
}

function reviewsOf(repo: string, run: GitHubWorkflowRun, pending: readonly GitHubPendingDeployment[]): PendingReview[] {
  return pending.flatMap((p): PendingReview[] => {
    const environmentId = p.environment.id;
    const name = p.environment.name;
    if (environmentId === undefined || name === undefined) return [];
    return [{ deployment: toPendingDeployment(repo, run, p, environmentId, name), runId: run.id, environmentId, canApprove: p.current_user_can_approve }];
  });
}

/** One job waiting for review, by the id listPendingReviews gave it: the run and its pending deployments. */
export async function findPendingReview(transport: GitHubTransport, repo: string, id: string): Promise<PendingReview> {
  const ids = parsePendingDeploymentId(id);
  if (!ids) throw new BackendError('not_found', `No deployment ${id} awaits approval in ${repo}`, 404);
  const [runAnswer, pendingAnswer] = await Promise.all([
    transport.request('GET', `${repoPath(repo)}/actions/runs/${ids.runId}`),
    transport.request('GET', `${repoPath(repo)}/actions/runs/${ids.runId}/pending_deployments`),
  ]);
  const run = parse(GitHubWorkflowRun, runAnswer, 'workflow run');
  const found = reviewsOf(repo, run, parse(z.array(GitHubPendingDeployment), pendingAnswer, 'pending deployments')).find((r) => r.environmentId === ids.environmentId);
  if (!found) throw new BackendError('not_found', `No deployment ${id} awaits approval in ${repo}: it was approved, rejected or canceled`, 404);
  return found;
}

export async function submitReview(transport: GitHubTransport, now: () => number, repo: string, id: string, state: 'approved' | 'rejected', body: ApprovalBody): Promise<Deployment> {
  const review = await findPendingReview(transport, repo, id);
  if (!review.canApprove) {
    throw new BackendError('forbidden', `GitHub says this token may not review deployments to ${review.deployment.environment_name} of ${repo}: only the environment's required reviewers can`, 403);
  }
  const answer = await transport.request('POST', `${repoPath(repo)}/actions/runs/${review.runId}/pending_deployments`, {
    environment_ids: [review.environmentId], state, comment: body.comment ?? '',
  });
  const created = parse(z.array(GitHubDeployment), answer, 'deployments');
  // GitHub's answer does not name the reviewer (asking GET /user costs a request for a name the caller
  // already knows): the vote is the caller's own.
  const vote = { actor: 'you', at: new Date(now()).toISOString(), comment: body.comment ?? null };
  const approval = review.deployment.approval;
  if (state === 'approved' && created[0]) return toDeployment(repo, created[0], undefined);
  return {
    ...review.deployment,
    status: state === 'approved' ? 'pending' : 'canceled',
    deploy_end_at: state === 'rejected' ? vote.at : null,
    updated_at: vote.at,
    approval: approval && (state === 'approved' ? { ...approval, approvals: [vote] } : { ...approval, rejection: vote }),
  };
}
