// Which live events deserve a notification, and what it says: the engine failed a deployment or rolled
// an environment back (once per deployment), or a rollout / auto-promotion the user started finished.
// Fed only with events seen live on the stream (never the history loaded at start). Pure: the caller
// keeps the memory between batches and shows what this returns.
import type { Deployment, ReleaseEvent } from '../api/schemas';

export const ENGINE_ACTOR = 'flightdeck';

export type LoudNotice =
  /** The engine rolled an environment back; `failed` is what it rolled back from, when seen. */
  | { kind: 'rolled_back'; project: string; environment: string; rollback: Deployment; failed: Deployment | undefined }
  /** A deployment failed (or errored) and no automatic rollback came with it. */
  | { kind: 'failed'; project: string; environment: string; deployment: Deployment }
  /** A deployment the user started (or the auto-promotion that carried it on) ended. */
  | { kind: 'finished'; project: string; environment: string; deployment: Deployment; automatic: boolean };

export interface LoudMemory {
  /** Deployment ids already announced (failed, rolled back, finished). */
  announced: Set<string>;
  /** Deployments the user started in this window, and auto-promotions descended from them: id → automatic. */
  tracked: Map<string, boolean>;
  /** Candidates the user started, per project: an engine promote of one of them is their auto-promotion. */
  startedCandidates: Map<string, Set<string>>;
  /** Ids a progress notification still follows (it says how they ended itself). */
  followed: Set<string>;
  /** The newest failure seen per `project/environment`, for the rollback that follows it in a later batch. */
  lastFailure: Map<string, Deployment>;
}

export function emptyLoudMemory(): LoudMemory {
  return { announced: new Set(), tracked: new Map(), startedCandidates: new Map(), followed: new Set(), lastFailure: new Map() };
}

/** Remember a deployment the user started: its end, and that of its auto-promotions, are announced. */
export function trackStarted(memory: LoudMemory, deployment: Deployment): void {
  memory.tracked.set(deployment.id, false);
  const candidates = memory.startedCandidates.get(deployment.project) ?? new Set<string>();
  candidates.add(deployment.release_candidate_version);
  memory.startedCandidates.set(deployment.project, candidates);
}

const isFailed = (d: Deployment): boolean => d.status === 'failure' || d.status === 'error';
const isTerminal = (d: Deployment): boolean => d.status === 'success' || d.status === 'canceled' || isFailed(d);
const keyOf = (d: Deployment): string => `${d.project}/${d.environment_name}`;

/**
 * The notices one batch of live events calls for (events in any order; they are taken by id). A failure
 * and the automatic rollback it caused, in the same batch, make one notice. `inWorkspace` says whether a
 * project belongs to the workspace: failures and rollbacks are announced only for those, what the user
 * started always.
 */
export function loudNotices(events: readonly ReleaseEvent[], memory: LoudMemory, inWorkspace: (project: string) => boolean): LoudNotice[] {
  const notices: LoudNotice[] = [];
  const sorted = [...events].sort((a, b) => a.id - b.id);
  const rollbacks = new Map<string, Deployment>();
  for (const event of sorted) {
    const d = event.data.deployment;
    if (event.type === 'deployment.created' && d?.kind === 'auto_rollback') rollbacks.set(keyOf(d), d);
  }
  for (const event of sorted) {
    const d = event.data.deployment;
    if (!d) continue;
    if (event.type === 'deployment.created') {
      if (d.kind === 'promote' && d.actor === ENGINE_ACTOR && memory.startedCandidates.get(d.project)?.has(d.release_candidate_version)) {
        memory.tracked.set(d.id, true);
      }
      if (d.kind === 'auto_rollback' && !memory.announced.has(d.id) && inWorkspace(d.project)) {
        memory.announced.add(d.id);
        const failed = memory.lastFailure.get(keyOf(d));
        memory.lastFailure.delete(keyOf(d));
        if (failed) memory.announced.add(failed.id);
        notices.push({ kind: 'rolled_back', project: d.project, environment: d.environment_name, rollback: d, failed });
      }
      continue;
    }
    if (event.type !== 'deployment.updated' || !isTerminal(d) || memory.announced.has(d.id)) continue;
    const automatic = memory.tracked.get(d.id);
    if (isFailed(d)) {
      memory.lastFailure.set(keyOf(d), d);
      // The automatic rollback it caused comes later in this batch, and its notice names this failure.
      if (rollbacks.has(keyOf(d))) continue;
      if (memory.followed.has(d.id)) continue;
      if (!inWorkspace(d.project) && automatic === undefined) continue;
      memory.announced.add(d.id);
      notices.push({ kind: 'failed', project: d.project, environment: d.environment_name, deployment: d });
      continue;
    }
    if (automatic === undefined || memory.followed.has(d.id)) continue;
    memory.announced.add(d.id);
    memory.tracked.delete(d.id);
    notices.push({ kind: 'finished', project: d.project, environment: d.environment_name, deployment: d, automatic });
  }
  return notices;
}

/** The notification's sentence. */
export function loudMessage(notice: LoudNotice): string {
  const where = `${notice.project}/${notice.environment}`;
  switch (notice.kind) {
    case 'rolled_back': {
      const failed = notice.failed;
      const from = failed?.release_candidate_version ?? notice.rollback.from_release_candidate_version;
      const why = failed?.error_message ? `: ${failed.error_message.replace(/\.$/, '')}` : '';
      return `Flightdeck rolled ${where} back to ${notice.rollback.release_candidate_version}${from ? ` after ${from} failed${why}` : ''}.`;
    }
    case 'failed': {
      const d = notice.deployment;
      const why = d.error_message ? `: ${d.error_message.replace(/\.$/, '')}` : '';
      return `${d.kind === 'auto_rollback' || d.kind === 'rollback' ? 'Rollback' : 'Deployment'} of ${d.release_candidate_version} to ${where} ${d.status === 'error' ? 'errored' : 'failed'}${why}.`;
    }
    case 'finished': {
      const d = notice.deployment;
      const what = notice.automatic ? `The auto-promotion of ${d.release_candidate_version} to ${where}` : `${d.release_candidate_version} to ${where}`;
      if (d.status === 'success') return notice.automatic ? `${what} finished: ${where} now runs ${d.release_candidate_version}.` : `${where} now runs ${d.release_candidate_version}.`;
      return `${what} ended ${d.status}${d.error_message ? `: ${d.error_message.replace(/\.$/, '')}` : ''}.`;
    }
  }
}
