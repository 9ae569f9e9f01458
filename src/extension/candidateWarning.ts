// Before a promote: did the candidate fail or get rolled back anywhere in the last 24 h? The rule is
// core/candidateHistory's; this reads the project's recent deployments and words the answer for the modal.
import type { Project } from '../api/schemas';
import type { ReleaseBackend } from '../client/backend';
import { candidateTrouble, describeTrouble } from '../core/candidateHistory';
import { formatAge } from '../core/format';

/** Per environment: enough history for a day of a busy ladder. */
const PER_ENVIRONMENT = 50;

/** Sentences for the confirmation ("⚠ 1.3.1-rc1 failed in canary 2h ago: …"), empty when nothing happened. */
export async function candidateWarnings(backend: ReleaseBackend, project: Project, candidate: string, now = Date.now()): Promise<string[]> {
  const lists = await Promise.all(project.environments.map((e) =>
    backend.listDeployments(project.name, e.name, 1, PER_ENVIRONMENT).catch(() => [])));
  return candidateTrouble(lists.flat(), candidate, now).map((t) => `⚠ ${describeTrouble(candidate, t, formatAge(t.at, now))}`);
}
