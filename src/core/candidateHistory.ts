// Whether a candidate failed or was rolled back anywhere recently: what a promote's confirmation must
// say before the user sends a build that just failed somewhere further down (or up) the ladder.
import type { Deployment } from '../api/schemas';
import { humanize } from './format';

export const CANDIDATE_TROUBLE_WINDOW_MS = 24 * 3600 * 1000;

export interface CandidateTrouble {
  environment: string;
  what: 'failed' | 'rolled_back';
  /** When it happened (ISO): the failure's end, or the rollback's start. */
  at: string;
  /** The failure's message, or who rolled it back. */
  reason: string;
}

/**
 * Every failure of `candidate` (status failure or error) and every rollback away from it
 * (`from_release_candidate_version` is the candidate) within `windowMs` before `now`, newest first,
 * across the deployments given (any environments, any order). A failure followed by the automatic
 * rollback it caused is one entry: the failure, whose message says why.
 */
export function candidateTrouble(
  deployments: readonly Deployment[], candidate: string, now: number, windowMs = CANDIDATE_TROUBLE_WINDOW_MS,
): CandidateTrouble[] {
  const recent = (iso: string): boolean => {
    const at = Date.parse(iso);
    return !Number.isNaN(at) && now - at <= windowMs && at <= now + 60_000;
  };
  const found: CandidateTrouble[] = [];
  const failedIn = new Set<string>();
  for (const d of deployments) {
    if (d.release_candidate_version !== candidate || (d.status !== 'failure' && d.status !== 'error')) continue;
    if (d.kind === 'rollback' || d.kind === 'auto_rollback') continue;
    const at = d.deploy_end_at ?? d.updated_at;
    if (!recent(at)) continue;
    failedIn.add(d.environment_name);
    found.push({ environment: d.environment_name, what: 'failed', at, reason: d.error_message ?? humanize(d.status) });
  }
  for (const d of deployments) {
    if ((d.kind !== 'rollback' && d.kind !== 'auto_rollback') || d.from_release_candidate_version !== candidate) continue;
    if (d.release_candidate_version === candidate || !recent(d.deploy_start_at)) continue;
    // The automatic rollback a failure caused adds nothing to the failure's own entry.
    if (d.kind === 'auto_rollback' && failedIn.has(d.environment_name)) continue;
    found.push({
      environment: d.environment_name,
      what: 'rolled_back',
      at: d.deploy_start_at,
      reason: d.kind === 'auto_rollback' ? `rolled back automatically by ${d.actor}` : `rolled back by ${d.actor}`,
    });
  }
  return found.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** "1.3.1-rc1 failed in canary 2 h ago: Health check failed 3 times in a row …" — one sentence each. */
export function describeTrouble(candidate: string, trouble: CandidateTrouble, ago: string): string {
  return trouble.what === 'failed'
    ? `${candidate} failed in ${trouble.environment} ${ago}: ${trouble.reason.replace(/\.$/, '')}.`
    : `${candidate} was ${trouble.reason} in ${trouble.environment} ${ago}.`;
}
