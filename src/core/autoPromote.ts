// When the engine may carry a successful deployment up the ladder by itself (API.md, `auto_promote`):
// forward only, never a rollback, never a blocked candidate, never into an environment that already moved past the candidate, and
// into a protected environment only what the engine verified or an admin vouched for. Pure: the server
// decides with it, and clients can say why an auto-promotion did not happen.
import type { Deployment } from '../api/schemas';
import { blockedCandidateMessage } from './approvals';
import { compareCandidateVersions } from './version';

/**
 * How the source deployment came to succeed. `engine`: the engine ran it and saw it succeed (its
 * executor exited 0, or its rollout completed with health checks); `admin`: an admin token caused it;
 * `reported`: a pipeline (a deployer token) reported it, which the engine cannot verify.
 */
export type SuccessProvenance = 'engine' | 'admin' | 'reported';

export type AutoPromoteSkip =
  | 'rollback' | 'blocked' | 'not_current' | 'already_current' | 'already_active' | 'ran_before' | 'target_ahead' | 'unverified';

export interface AutoPromoteInput {
  /** The successful deployment the source environment runs. */
  source: Deployment;
  provenance: SuccessProvenance;
  target: { name: string; protected: boolean };
  /** The target's deployments, newest first (a window of its history: what it ran before its current). */
  targetHistory: readonly Deployment[];
}

export type AutoPromoteDecision =
  | { promote: true }
  | { promote: false; skip: AutoPromoteSkip; reason: string };

/** Whether the engine promotes `source` into the target now; when not, why (a sentence for logs and clients). */
export function autoPromoteDecision(input: AutoPromoteInput): AutoPromoteDecision {
  const { source, target, targetHistory } = input;
  const candidate = source.release_candidate_version;
  const skip = (kind: AutoPromoteSkip, reason: string): AutoPromoteDecision => ({ promote: false, skip: kind, reason });
  if (source.kind === 'rollback' || source.kind === 'auto_rollback') {
    return skip('rollback', `${candidate} is live in ${source.environment_name} through a rollback, which is never promoted by itself`);
  }
  // candidate_blocked is the block as it stands when the engine decides, not when the source deployed.
  if (source.candidate_blocked) return skip('blocked', blockedCandidateMessage(candidate, source.candidate_blocked));
  if (source.status !== 'success') return skip('not_current', `${candidate} is ${source.status} in ${source.environment_name}, not live`);
  const current = targetHistory.find((d) => d.status === 'success');
  const active = targetHistory.find((d) => !TERMINAL.has(d.status));
  if (current?.release_candidate_version === candidate) return skip('already_current', `${target.name} already runs ${candidate}`);
  if (active?.release_candidate_version === candidate) return skip('already_active', `${target.name} is already deploying ${candidate}`);
  const before = targetHistory.find((d) => d.release_candidate_version === candidate && d !== active);
  if (before) {
    return skip('ran_before', `${target.name} already ran ${candidate} before its current ${current?.release_candidate_version ?? 'state'}`
      + ` (${before.kind} ${before.status}): promoting it would move ${target.name} backwards`);
  }
  if (current && (compareCandidateVersions(current.release_candidate_version, candidate) ?? -1) > 0) {
    return skip('target_ahead', `${target.name} runs ${current.release_candidate_version}, ahead of ${candidate}`);
  }
  if (target.protected && input.provenance === 'reported') {
    return skip('unverified', `${target.name} is protected and ${candidate}'s success in ${source.environment_name} was reported by`
      + ` ${source.actor}, not verified by the engine or reported by an admin`);
  }
  return { promote: true };
}

const TERMINAL: ReadonlySet<Deployment['status']> = new Set(['success', 'failure', 'canceled', 'error']);
