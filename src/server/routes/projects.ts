// Projects, environments and releases: API.md endpoints 1, 6, 7, 8, 9 and 11.
import { z } from 'zod';
import {
  CreateCandidateBody, Environment, EnvironmentPatchBody, ErrorBody, Overview, PageQuery, Project, ProjectSpec, Release,
} from '../../api/schemas';
import type { RouteRegistry } from '../http/route';
import type { ReleaseService } from '../service/release-service';
import { CandidateParams, EnvironmentParams, ForceQuery, ProjectParams } from './params';

export function registerProjectRoutes(routes: RouteRegistry, service: ReleaseService): void {
  routes.add({
    method: 'GET', url: '/api/releases', role: 'viewer',
    summary: 'The overview: every project with its environments and their current and active deployments',
    responses: { 200: Overview },
    handler: async ({ reply, principal }) => {
      // Serialized and encoded once per change and per audience (see OverviewCache): sent as it is.
      return reply.type('application/json; charset=utf-8').send(await service.overviewBody(principal));
    },
  });

  routes.add({
    method: 'PUT', url: '/api/releases/:project', role: 'admin',
    summary: 'Create or replace a project and its environments',
    params: ProjectParams, query: ForceQuery, body: ProjectSpec,
    responses: { 201: Project, 200: Project, 409: ErrorBody },
    handler: async ({ params, query, body, reply }) => {
      const { project, created } = await service.putProject(params.project, body, { force: query.force === 'true' });
      reply.code(created ? 201 : 200);
      return project;
    },
  });

  routes.add({
    method: 'GET', url: '/api/releases/:project', role: 'viewer',
    summary: 'One project', params: ProjectParams, responses: { 200: Project, 404: ErrorBody },
    handler: ({ params, principal }) => service.project(params.project, principal),
  });

  routes.add({
    method: 'GET', url: '/api/releases/:project/releases', role: 'viewer',
    summary: 'Releases with their candidates, newest first',
    params: ProjectParams, query: PageQuery, responses: { 200: z.array(Release), 404: ErrorBody },
    handler: ({ params, query }) => service.releases(params.project, query),
  });

  routes.add({
    method: 'POST', url: '/api/releases/:project/releases/:version', role: 'deployer',
    summary: 'Create a release candidate (Aviator-compatible); the same commit again is idempotent (200)',
    params: CandidateParams, body: CreateCandidateBody,
    responses: { 201: Release, 200: Release, 404: ErrorBody, 409: ErrorBody },
    handler: async ({ params, body, reply }) => {
      const { release, created } = await service.createCandidate(params.project, params.version, body);
      reply.code(created ? 201 : 200);
      return release;
    },
  });

  routes.add({
    method: 'PATCH', url: '/api/releases/:project/environments/:environment', role: 'admin',
    summary: 'Freeze or protect an environment',
    params: EnvironmentParams, body: EnvironmentPatchBody, responses: { 200: Environment, 404: ErrorBody },
    handler: ({ params, body }) => service.patchEnvironment(params.project, params.environment, body),
  });
}
