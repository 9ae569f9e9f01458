// Which environments a promote can go into now, each with from → to (the Promote… picker, asking the
// action plan), and when an environment's auto-promotion is due (the stage's countdown). Pure: the clock is a parameter.
import type { Environment, Project } from '../api/schemas';
import { planInProject, type PlanInput } from './actionPlan';
import { findEnvironment, ladder } from './ladder';

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
 * The rungs a promote could go into, in ladder order: those whose action plan (core/actionPlan, the one
 * rule the tree, the stage and the CLI also ask) allows a promote from the rung below.
 */
export function promoteChoices(
  project: Pick<Project, 'name' | 'environments'>,
  context: Pick<PlanInput, 'capabilities' | 'role'>,
): PromoteChoice[] {
  const choices: PromoteChoice[] = [];
  for (const environment of ladder(project)) {
    const planned = planInProject(project, environment, context).promote;
    if (!planned.available) continue;
    const source = findEnvironment(project, planned.from);
    if (!source) continue;
    choices.push({ environment, source, from: planned.expectedCurrent, to: planned.candidate });
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
