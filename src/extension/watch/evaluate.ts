// A watched commit, and what one look at the deployments says about it. Pure (no `vscode`): the watch
// list calls `stepWatch` with the containment answer each time the model changes.
import * as z from 'zod';
import type { Project } from '../../api/schemas';
import type { ProjectPresence } from '../../core/containment';
import { isRollbackKind } from '../../core/deploymentStatus';

export const CommitWatch = z.object({
  id: z.string().min(1),
  sha: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/),
  subject: z.string().nullable(),
  project: z.string().min(1),
  environment: z.string().min(1),
  /** The repository the commit was found in, to answer from it again after a reload. */
  repoDir: z.string().nullable(),
  createdAt: z.number(),
  /** Environments where the commit has been seen live: leaving one of them is a rollback past it. */
  liveIn: z.array(z.string()),
});
export type CommitWatch = z.infer<typeof CommitWatch>;

/** What `globalState` holds; anything that does not parse is dropped rather than trusted. */
export function parseWatches(stored: unknown): CommitWatch[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((item) => {
    const parsed = CommitWatch.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

export type WatchEvent =
  /** Live in the watched environment: the watch is done. */
  | { kind: 'live'; environment: string; candidate: string | null }
  /** An environment where it was live no longer runs it. */
  | { kind: 'left'; environment: string; candidate: string | null; rollback: boolean };

export interface WatchStep {
  watch: CommitWatch;
  events: WatchEvent[];
  done: boolean;
  changed: boolean;
}

/**
 * One look: which environments run the commit now, against the ones that ran it before. An answer of
 * 'unknown' changes nothing (never report what the clone cannot tell).
 */
export function stepWatch(watch: CommitWatch, presence: ProjectPresence, project: Pick<Project, 'environments'>): WatchStep {
  const liveIn = new Set(watch.liveIn);
  const events: WatchEvent[] = [];
  for (const environment of presence.environments) {
    if (environment.contains === true) {
      liveIn.add(environment.name);
    } else if (environment.contains === false && liveIn.has(environment.name)) {
      liveIn.delete(environment.name);
      const current = project.environments.find((e) => e.name === environment.name)?.current;
      events.push({
        kind: 'left',
        environment: environment.name,
        candidate: environment.release_candidate_version,
        rollback: current ? isRollbackKind(current) : false,
      });
    }
  }
  const target = presence.environments.find((e) => e.name === watch.environment);
  const done = target?.contains === true;
  if (done && target) events.push({ kind: 'live', environment: target.name, candidate: target.release_candidate_version });
  const next = [...liveIn].sort();
  const changed = next.join('\n') !== [...watch.liveIn].sort().join('\n');
  return { watch: { ...watch, liveIn: next }, events, done, changed };
}
