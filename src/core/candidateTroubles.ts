// "Did this candidate just fail somewhere?": asked before a promote, so the confirmation (the extension's
// modal, the CLI's promote) can say where and why a candidate failed or was rolled back recently. Pure:
// the caller passes whatever deployments it holds (any environments, any order).
import type { Deployment } from '../api/schemas';
import { formatAge } from './format';

/** How far back a failure or a rollback still deserves a warning. */
export const CANDIDATE_TROUBLE_WINDOW_MS = 24 * 3600_000;

export interface CandidateTrouble {
  environment: string;
  /** The deployment that failed, or the rollback that replaced the candidate. */
  deployment_id: string;
  what: 'failed' | 'rolled_back';
  /** When it happened (ISO 8601). */
  at: string;
  /** One sentence: the failure's error_message, or who rolled it back to what. */
  reason: string;
}

/**
 * Where `candidate` failed (`failure` / `error`) or was rolled back away from (a rollback whose `from_*`
 * names it) within `windowMs` before `now`, newest first, each deployment once.
 */
export function candidateTroubles(
  deployments: Iterable<Deployment>, candidate: string, now: number = Date.now(), windowMs = CANDIDATE_TROUBLE_WINDOW_MS,
): CandidateTrouble[] {
  const seen = new Set<string>();
  const troubles: CandidateTrouble[] = [];
  for (const d of deployments) {
    if (seen.has(d.id)) continue;
    seen.add(d.id);
    const trouble = troubleOf(d, candidate);
    if (!trouble) continue;
    const at = Date.parse(trouble.at);
    if (Number.isNaN(at) || at < now - windowMs || at > now + 60_000) continue;
    troubles.push(trouble);
  }
  return troubles.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || Number(b.deployment_id) - Number(a.deployment_id));
}

function troubleOf(d: Deployment, candidate: string): CandidateTrouble | undefined {
  if (d.release_candidate_version === candidate && (d.status === 'failure' || d.status === 'error')) {
    return {
      environment: d.environment_name, deployment_id: d.id, what: 'failed', at: d.deploy_end_at ?? d.updated_at,
      reason: d.error_message ?? `the deployment ended ${d.status}`,
    };
  }
  if ((d.kind === 'rollback' || d.kind === 'auto_rollback') && d.from_release_candidate_version === candidate
    && d.release_candidate_version !== candidate) {
    const who = d.kind === 'auto_rollback' ? 'automatically' : `by ${d.actor}`;
    return {
      environment: d.environment_name, deployment_id: d.id, what: 'rolled_back', at: d.deploy_start_at,
      reason: `rolled back ${who} to ${d.release_candidate_version}`,
    };
  }
  return undefined;
}

/** "1.3.1-rc1 failed in canary 4m ago (Health check failed 3 times…) and was rolled back…": for a confirmation. */
export function describeCandidateTroubles(candidate: string, troubles: readonly CandidateTrouble[], now: number = Date.now()): string | undefined {
  if (troubles.length === 0) return undefined;
  const parts = troubles.slice(0, 4).map((t) => t.what === 'failed'
    ? `failed in ${t.environment} ${formatAge(t.at, now)} (${firstLine(t.reason)})`
    : `was ${t.reason} in ${t.environment} ${formatAge(t.at, now)}`);
  const more = troubles.length > 4 ? `, and ${troubles.length - 4} more` : '';
  return `${candidate} ${parts.join('; ')}${more}.`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}
