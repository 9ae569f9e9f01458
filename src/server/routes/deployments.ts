// Deployments: API.md endpoints 2, 3, 4, 5 (Aviator-compatible), 10 and 12.
import { z } from 'zod';
import {
  CreateDeploymentBody, Deployment, ErrorBody, PageQuery, PatchDeploymentBody, PromoteBody, RollbackBody,
} from '../../api/schemas';
import type { RouteInput, RouteRegistry } from '../http/route';
import type { ReleaseService } from '../service/release-service';
import { DeploymentParams, EnvironmentParams } from './params';

const ENVIRONMENT = '/api/releases/:project/environments/:environment';
const DEPLOYMENTS = `${ENVIRONMENT}/deployments`;

type EnvironmentInput<B extends z.ZodType> = RouteInput<typeof EnvironmentParams, undefined, B>;

/**
 * A deployer's request that starts a deployment in one environment (deploy, rollback, promote): the same
 * parameters, role and answers (the new deployment, or why not); only the path, the body and the service
 * call differ.
 */
function addDeploymentStart<B extends z.ZodType>(
  routes: RouteRegistry, url: string, summary: string, body: B,
  start: (principal: EnvironmentInput<B>['principal'], project: string, environment: string, body: EnvironmentInput<B>['body']) => Promise<Deployment>,
): void {
  routes.add({
    method: 'POST', url, role: 'deployer', summary, params: EnvironmentParams, body,
    responses: { 201: Deployment, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    handler: (input: EnvironmentInput<B>) => start(input.principal, input.params.project, input.params.environment, input.body),
  });
}

export function registerDeploymentRoutes(routes: RouteRegistry, service: ReleaseService): void {
  addDeploymentStart(routes, DEPLOYMENTS, 'Deploy a release candidate to an environment (Aviator-compatible)', CreateDeploymentBody,
    (principal, project, environment, body) => service.createDeployment(principal, project, environment, body));

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

  addDeploymentStart(routes, `${ENVIRONMENT}/rollback`, 'Roll an environment back (Aviator-compatible)', RollbackBody,
    (principal, project, environment, body) => service.rollback(principal, project, environment, body));

  addDeploymentStart(routes, `${ENVIRONMENT}/promote`,
    'Promote the candidate that is current in the environment below (or `from_environment`)', PromoteBody,
    (principal, project, environment, body) => service.promote(principal, project, environment, body));

  routes.add({
    method: 'GET', url: '/api/releases/:project/deployments/:id', role: 'viewer',
    summary: 'One deployment', params: DeploymentParams, responses: { 200: Deployment, 404: ErrorBody },
    handler: ({ params }) => service.deployment(params.project, params.id),
  });
}
