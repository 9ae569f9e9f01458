// Which candidate a rollback returns to (API.md endpoint 5), shared by the server, which performs it,
// and the clients, which name it in the confirmation before anything is sent.
import type { Deployment } from '../api/schemas';

export interface RollbackTarget {
  release_candidate_version: string;
  commit: string;
}

/**
 * `deployments` newest first. If the newest succeeded: the newest earlier successful deployment whose
 * candidate differs from it. Otherwise (it failed, errored, was canceled or is still running): the
 * environment's current candidate, i.e. the newest success. Undefined: nothing to roll back to.
 */
export function rollbackTarget(deployments: readonly Deployment[]): RollbackTarget | undefined {
  const newest = deployments[0];
  if (!newest) return undefined;
  const successes = deployments.filter((d) => d.status === 'success');
  if (newest.status === 'success') {
    const previous = successes.find((d) => d !== newest && d.release_candidate_version !== newest.release_candidate_version);
    return previous ? pick(previous) : undefined;
  }
  const current = successes[0];
  return current ? pick(current) : undefined;
}

function pick(d: Deployment): RollbackTarget {
  return { release_candidate_version: d.release_candidate_version, commit: d.commit };
}
