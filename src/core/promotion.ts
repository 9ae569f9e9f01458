// Which environments a promote can go into now, each with from → to (the Promote… picker), and when an
// environment's auto-promotion is due (the stage's countdown). Pure: the clock is a parameter.
import type { Environment, Project } from '../api/schemas';
import { ladder, rungBelow } from './ladder';

export interface PromoteChoice {
  environment: Environment;
  /** The rung the candidate comes from. */
  source: Environment;
  /** What runs in the environment now; null when nothing does. */
  from: string | null;
  /** The candidate the promote brings (what runs in `source`). */
  to: string;
}

/**
 * The rungs a promote could go into, in ladder order: not the bottom rung (nothing below it), not one
 * whose rung below has nothing live or the same candidate, and not one that is frozen or deploying (the
 * server would refuse both).
 */
export function promoteChoices(project: Pick<Project, 'environments'>): PromoteChoice[] {
  const choices: PromoteChoice[] = [];
  for (const environment of ladder(project)) {
    const source = rungBelow(project, environment.name);
    const to = source?.current?.release_candidate_version;
    if (!source || !to || environment.error || source.error) continue;
    const from = environment.current?.release_candidate_version ?? null;
    if (from === to || environment.frozen || environment.active) continue;
    choices.push({ environment, source, from, to });
  }
  return choices;
}

export type AutoPromoteStatus =
  | { kind: 'counting'; to: string; candidate: string; dueAt: number }
  | { kind: 'due'; to: string; candidate: string };

/**
 * The environment's pending auto-promotion: its live candidate goes to `auto_promote.to` once
 * `after_seconds` have passed since it went live. None when nothing succeeded here, while a deployment is
 * active, when what is live came from a rollback (never carried onward), or when the target already runs
 * (or is deploying) that candidate.
 */
export function autoPromoteStatus(
  environment: Pick<Environment, 'auto_promote' | 'current' | 'active'>,
  target: { candidate: string | null; activeCandidate: string | null } | undefined,
  now: number,
): AutoPromoteStatus | undefined {
  const rule = environment.auto_promote;
  const current = environment.current;
  if (!rule || !current || environment.active || current.status !== 'success') return undefined;
  if (current.kind === 'rollback' || current.kind === 'auto_rollback') return undefined;
  const candidate = current.release_candidate_version;
  if (target && (target.candidate === candidate || target.activeCandidate === candidate)) return undefined;
  const endedAt = Date.parse(current.deploy_end_at ?? current.updated_at);
  if (Number.isNaN(endedAt)) return undefined;
  const dueAt = endedAt + rule.after_seconds * 1000;
  return dueAt > now ? { kind: 'counting', to: rule.to, candidate, dueAt } : { kind: 'due', to: rule.to, candidate };
}
