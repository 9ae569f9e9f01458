// Deployments: API.md endpoints 2, 3, 4, 5 (Aviator-compatible), 10 and 12.
import { z } from 'zod';
import {
  CreateDeploymentBody, Deployment, ErrorBody, PageQuery, PatchDeploymentBody, PromoteBody, RollbackBody,
} from '../../api/schemas';
import type { RouteRegistry } from '../http/route';
import type { ReleaseService } from '../service/release-service';
import { DeploymentParams, EnvironmentParams } from './params';

const DEPLOYMENTS = '/api/releases/:project/environments/:environment/deployments';

export function registerDeploymentRoutes(routes: RouteRegistry, service: ReleaseService): void {
  routes.add({
    method: 'POST', url: DEPLOYMENTS, role: 'deployer',
    summary: 'Deploy a release candidate to an environment (Aviator-compatible)',
    params: EnvironmentParams, body: CreateDeploymentBody,
    responses: { 201: Deployment, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    handler: ({ params, body, principal }) => service.createDeployment(principal, params.project, params.environment, body),
  });

  routes.add({
    method: 'PATCH', url: DEPLOYMENTS, role: 'deployer',
    summary: "Report a deployment's status from a pipeline (Aviator-compatible)",
    params: EnvironmentParams, body: PatchDeploymentBody,
    responses: { 200: Deployment, 404: ErrorBody, 409: ErrorBody },
    handler: ({ params, body, principal }) => service.reportStatus(principal, params.project, params.environment, body),
  });

  routes.add({
    method: 'GET', url: DEPLOYMENTS, role: 'viewer',
    summary: "An environment's deployments, newest first (Aviator-compatible)",
    params: EnvironmentParams, query: PageQuery, responses: { 200: z.array(Deployment), 404: ErrorBody },
    handler: ({ params, query }) => service.deployments(params.project, params.environment, query),
  });

  routes.add({
    method: 'POST', url: '/api/releases/:project/environments/:environment/rollback', role: 'deployer',
    summary: 'Roll an environment back (Aviator-compatible)',
    params: EnvironmentParams, body: RollbackBody,
    responses: { 201: Deployment, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    handler: ({ params, body, principal }) => service.rollback(principal, params.project, params.environment, body),
  });

  routes.add({
    method: 'POST', url: '/api/releases/:project/environments/:environment/promote', role: 'deployer',
    summary: 'Promote the candidate that is current in the environment below (or `from_environment`)',
    params: EnvironmentParams, body: PromoteBody,
    responses: { 201: Deployment, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    handler: ({ params, body, principal }) => service.promote(principal, params.project, params.environment, body),
  });

  routes.add({
    method: 'GET', url: '/api/releases/:project/deployments/:id', role: 'viewer',
    summary: 'One deployment', params: DeploymentParams, responses: { 200: Deployment, 404: ErrorBody },
    handler: ({ params }) => service.deployment(params.project, params.id),
  });
}
