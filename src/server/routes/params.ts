// Path and query parameters shared by the routes. Path segments arrive URL-decoded.
import { z } from 'zod';
import { CandidateVersion, EnvironmentName, ProjectName, TOKEN_NAME_PATTERN } from '../../api/schemas';

export const ProjectParams = z.object({ project: ProjectName });
export const EnvironmentParams = z.object({ project: ProjectName, environment: EnvironmentName });
export const CandidateParams = z.object({ project: ProjectName, version: CandidateVersion });
/** Deployment ids are positive bigints; 18 digits always fit. */
export const DeploymentParams = z.object({
  project: ProjectName,
  id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'Invalid deployment id'),
});
export const TokenParams = z.object({ name: z.string().regex(TOKEN_NAME_PATTERN, 'Invalid token name') });

export const ForceQuery = z.object({ force: z.enum(['true', 'false']).optional() });

/** An event id to resume after (`?since=` or the `Last-Event-ID` header). */
export const EventId = z.string().regex(/^[0-9]{1,15}$/, 'Invalid event id').transform(Number);
export const EventsQuery = z.object({ project: ProjectName.optional(), since: EventId.optional() });
