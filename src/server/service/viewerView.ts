// What a non-admin reads of a project: the deploy and health-check specs with their URLs' credentials
// redacted (user, password, query, fragment). Commands and their arguments are shown as they are: by
// contract they carry no secrets (a command reads its secrets from its own environment).
import type { Environment, Project } from '../../api/schemas';
import { redactUrl } from '../../api/urls';
import type { Principal } from './principal';

/** Whether the caller reads projects whole (admins, who write the specs) or redacted. */
export function seesFullSpecs(principal: Principal): boolean {
  return principal.role === 'admin';
}

export function projectForViewer(project: Project): Project {
  return { ...project, environments: project.environments.map(environmentForViewer) };
}

function environmentForViewer(env: Environment): Environment {
  return {
    ...env,
    deploy: { ...env.deploy, url: env.deploy.url === null ? null : redactUrl(env.deploy.url) },
    health_check: env.health_check === null
      ? null
      : { ...env.health_check, url: env.health_check.url === null ? null : redactUrl(env.health_check.url) },
  };
}
