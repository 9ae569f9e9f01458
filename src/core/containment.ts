// "Where is this commit deployed?" answered by git ancestry: a commit is live in an environment when it is
// an ancestor of (or equal to) the commit that environment's current deployment runs. Dates and branch
// order never decide it. Pure: the ancestry questions go to an injected oracle (src/git implements it).
import type { Deployment, Project } from '../api/schemas';
import { ladder } from './ladder';

/** `'unknown'` when the oracle cannot tell (a shallow clone cut the history, the tip is not fetched). */
export type Containment = boolean | 'unknown';

export interface AncestryOracle {
  /** Whether `ancestor` equals `descendant` or is reachable from it through parent links. */
  isAncestor(ancestor: string, descendant: string): Promise<Containment>;
  /**
   * `isAncestor(commit, tip)` for every tip, answers in the order of `tips`. One call per hover, so an
   * implementation can answer all environments from one index instead of one git process each.
   */
  containsAll(commit: string, tips: readonly string[]): Promise<Containment[]>;
}

/** An active rollout whose commit contains the queried commit: it is live for `percent` of traffic. */
export interface RolloutPresence {
  release_candidate_version: string;
  commit: string;
  step: number;
  percent: number;
  paused: boolean;
}

export interface EnvironmentPresence {
  name: string;
  position: number;
  /** What is live now (the environment's `current` deployment); null when nothing is deployed. */
  release_candidate_version: string | null;
  commit: string | null;
  /** Whether `commit` above contains the queried commit; false when nothing is deployed. */
  contains: Containment;
  /** Set only when an active rollout deployment contains the queried commit. */
  rollout: RolloutPresence | null;
}

export interface ProjectPresence {
  project: string;
  environments: EnvironmentPresence[];
}

/** The fields of a project this module reads; the API's `Project` satisfies it. */
export type ProjectLadder = Pick<Project, 'name' | 'environments'>;

/**
 * For each project and each environment in ladder order, whether `commit` is in what that environment
 * runs. All distinct deployed commits are asked about in one `containsAll` call.
 */
export async function whereIsCommit(
  commit: string,
  projects: readonly ProjectLadder[],
  oracle: AncestryOracle,
): Promise<ProjectPresence[]> {
  const queried = commit.toLowerCase();
  const tips = distinctTips(projects);
  const answers = tips.length > 0 ? await oracle.containsAll(queried, tips) : [];
  if (answers.length !== tips.length) {
    throw new Error(`The ancestry oracle answered ${answers.length} questions for ${tips.length} deployed commits.`);
  }
  const answerByTip = new Map<string, Containment>();
  tips.forEach((tip, i) => answerByTip.set(tip, answers[i] ?? 'unknown'));
  const containsTip = (tip: string): Containment => answerByTip.get(tip.toLowerCase()) ?? 'unknown';

  return projects.map((project) => ({
    project: project.name,
    environments: ladder(project).map((environment) => {
      const current = environment.current;
      const active = activeRollout(environment.active);
      const rolloutContains = active ? containsTip(active.commit) === true : false;
      return {
        name: environment.name,
        position: environment.position,
        release_candidate_version: current?.release_candidate_version ?? null,
        commit: current ? current.commit.toLowerCase() : null,
        contains: current ? containsTip(current.commit) : false,
        rollout: active && rolloutContains ? rolloutPresence(active) : null,
      };
    }),
  }));
}

/** Every commit some environment runs or is rolling out, lower-case, each once, in first-seen order. */
export function distinctTips(projects: readonly ProjectLadder[]): string[] {
  const tips = new Set<string>();
  for (const project of projects) {
    for (const environment of project.environments) {
      if (environment.current) tips.add(environment.current.commit.toLowerCase());
      const active = activeRollout(environment.active);
      if (active) tips.add(active.commit.toLowerCase());
    }
  }
  return [...tips];
}

type RolloutDeployment = Deployment & { rollout: NonNullable<Deployment['rollout']> };

/** `active` is by definition non-terminal; only a rollout puts a share of traffic on its commit early. */
function activeRollout(active: Deployment | null): RolloutDeployment | undefined {
  return active && active.rollout ? { ...active, rollout: active.rollout } : undefined;
}

function rolloutPresence(active: RolloutDeployment): RolloutPresence {
  return {
    release_candidate_version: active.release_candidate_version,
    commit: active.commit.toLowerCase(),
    step: active.rollout.step,
    percent: active.rollout.percent,
    paused: active.rollout.paused,
  };
}
