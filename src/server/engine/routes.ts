// API.md endpoints 13 (pause / resume / abort a rollout) and 14 (an external health verdict). They
// change the database only; the engine (on whichever server holds it) sees the change on its next look.
import { Deployment, ErrorBody, HealthVerdictBody } from '../../api/schemas';
import type { RouteRegistry } from '../http/route';
import { DeploymentParams } from '../routes/params';
import type { ReleaseService } from '../service/release-service';
import { abort, pause, reportHealth, resume } from './operations';

const DEPLOYMENT = '/api/releases/:project/deployments/:id';

export function registerEngineRoutes(routes: RouteRegistry, service: ReleaseService): void {
  const errors = { 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
  routes.add({
    method: 'POST', url: `${DEPLOYMENT}/pause`, role: 'deployer',
    summary: 'Pause a rollout: it holds its percent and its soak clock stops',
    params: DeploymentParams, responses: { 200: Deployment, ...errors },
    handler: ({ params, principal }) => pause(service, principal, params.project, params.id),
  });
  routes.add({
    method: 'POST', url: `${DEPLOYMENT}/resume`, role: 'deployer',
    summary: 'Resume a paused rollout: its soak goes on for what was left of it',
    params: DeploymentParams, responses: { 200: Deployment, ...errors },
    handler: ({ params, principal }) => resume(service, principal, params.project, params.id),
  });
  routes.add({
    method: 'POST', url: `${DEPLOYMENT}/abort`, role: 'deployer',
    summary: 'Abort a deployment: it fails and the environment rolls back (kind auto_rollback) to its previous current candidate',
    params: DeploymentParams, responses: { 200: Deployment, ...errors },
    handler: ({ params, principal }) => abort(service, principal, params.project, params.id),
  });
  routes.add({
    method: 'POST', url: `${DEPLOYMENT}/health`, role: 'deployer',
    summary: "An external monitor's health verdict; unhealthy fails a watched deployment and rolls back automatically",
    params: DeploymentParams, body: HealthVerdictBody, responses: { 200: Deployment, 400: ErrorBody, ...errors },
    handler: ({ params, body, principal }) => reportHealth(service, principal, params.project, params.id, body),
  });
}
