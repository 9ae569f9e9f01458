// Approvals and blocked candidates: API.md endpoints 19 (approve), 20 (reject), 21 (the inbox) and 22
// (block / unblock a candidate). The rules are core/approvals'; the service applies them.
import { z } from 'zod';
import { ApprovalBody, BlockBody, Deployment, ErrorBody, ProjectName, Release } from '../../api/schemas';
import type { RouteRegistry } from '../http/route';
import type { ReleaseService } from '../service/release-service';
import { CandidateParams, DeploymentParams } from './params';

const DEPLOYMENT = '/api/releases/:project/deployments/:id';
const CANDIDATE_BLOCK = '/api/releases/:project/releases/:version/block';

export function registerApprovalRoutes(routes: RouteRegistry, service: ReleaseService): void {
  const errors = { 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
  routes.add({
    method: 'POST', url: `${DEPLOYMENT}/approve`, role: 'deployer',
    summary: 'Approve a deployment awaiting approval (never your own; admin for a protected environment); the last approval needed starts it',
    params: DeploymentParams, body: ApprovalBody, responses: { 200: Deployment, ...errors },
    handler: ({ params, body, principal }) => service.approve(principal, params.project, params.id, body),
  });
  routes.add({
    method: 'POST', url: `${DEPLOYMENT}/reject`, role: 'deployer',
    summary: 'Reject a deployment awaiting approval (its requester may withdraw it): it ends canceled',
    params: DeploymentParams, body: ApprovalBody, responses: { 200: Deployment, ...errors },
    handler: ({ params, body, principal }) => service.reject(principal, params.project, params.id, body),
  });
  routes.add({
    method: 'GET', url: '/api/approvals', role: 'viewer',
    summary: 'Deployments awaiting approval, oldest first (of one project with ?project=)',
    query: z.object({ project: ProjectName.optional() }), responses: { 200: z.array(Deployment), 400: ErrorBody, 404: ErrorBody },
    handler: ({ query }) => service.awaitingApproval(query.project),
  });
  routes.add({
    method: 'POST', url: CANDIDATE_BLOCK, role: 'deployer',
    summary: 'Block a release candidate: nothing deploys, promotes or rolls back to it until it is unblocked',
    params: CandidateParams, body: BlockBody, responses: { 200: Release, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    handler: ({ params, body, principal }) => service.blockCandidate(principal, params.project, params.version, body),
  });
  routes.add({
    method: 'DELETE', url: CANDIDATE_BLOCK, role: 'deployer',
    summary: 'Unblock a release candidate',
    params: CandidateParams, responses: { 200: Release, 403: ErrorBody, 404: ErrorBody },
    handler: ({ params }) => service.unblockCandidate(params.project, params.version),
  });
}
