// Which candidate a rollback returns to (API.md endpoint 5), shared by the server, which performs it,
// and the clients, which name it in the confirmation before anything is sent.
import type { Deployment } from '../api/schemas';

export interface RollbackTarget {
  release_candidate_version: string;
  commit: string;
}

/**
 * How many of an environment's newest deployments the rule reads. The server and the clients read the
 * same window (endpoint 4's largest page), so they name the same target.
 */
export const ROLLBACK_HISTORY = 100;

const ROLLBACK_KINDS: ReadonlySet<Deployment['kind']> = new Set(['rollback', 'auto_rollback']);

/**
 * `deployments` newest first (one environment's history). If the newest succeeded: the newest earlier
 * successful deployment whose candidate differs from it. Otherwise (it failed, errored, was canceled or
 * is still running): the environment's current candidate, i.e. the newest success. Either way, a
 * candidate that was discredited there (see discreditedCandidates) is passed over and the search goes on
 * to the next earlier success: a rollback never returns to what just failed. Blocked candidates are passed over too. Undefined: nothing to roll
 * back to.
 */
export function rollbackTarget(deployments: readonly Deployment[]): RollbackTarget | undefined {
  const newest = deployments[0];
  if (!newest) return undefined;
  const discredited = discreditedCandidates(deployments);
  // A blocked candidate (candidate_blocked is its block as it stands now) is never returned to by default.
  const eligible = (d: Deployment): boolean =>
    d.status === 'success' && !discredited.has(d.release_candidate_version) && (d.candidate_blocked ?? null) === null;
  const found = newest.status === 'success'
    ? deployments.find((d) => d !== newest && d.release_candidate_version !== newest.release_candidate_version && eligible(d))
    : deployments.find(eligible);
  return found ? { release_candidate_version: found.release_candidate_version, commit: found.commit } : undefined;
}

/**
 * The candidates of this history (newest first) that failed or were rolled back after their last
 * success there: a deployment of the candidate ended `failure` or `error` after it, or a rollback
 * (by a person or automatic) replaced it (`from_*` names it, and the rollback went to another
 * candidate). A candidate that never succeeded there counts from the start of the history.
 */
export function discreditedCandidates(deployments: readonly Deployment[]): Set<string> {
  const discredited = new Set<string>();
  const settled = new Set<string>(); // candidates whose last success we have passed (walking back in time)
  for (const d of deployments) {
    const candidate = d.release_candidate_version;
    if (!settled.has(candidate)) {
      if (d.status === 'success') settled.add(candidate);
      else if (d.status === 'failure' || d.status === 'error') discredited.add(candidate);
    }
    const replaced = d.from_release_candidate_version;
    if (ROLLBACK_KINDS.has(d.kind) && replaced !== null && replaced !== candidate && !settled.has(replaced)) {
      discredited.add(replaced);
    }
  }
  return discredited;
}

/** Why a rollback to this (explicitly named) candidate deserves a second look; undefined when none. */
export function discreditedReason(deployments: readonly Deployment[], candidate: string): string | undefined {
  if (!discreditedCandidates(deployments).has(candidate)) return undefined;
  const environment = deployments[0]?.environment_name ?? 'this environment';
  return `${candidate} failed or was rolled back in ${environment} after its last success there`;
}
