// The promotion ladder: environments ordered by `position`, and who feeds whom.
import type { Deployment, Environment, Project } from '../api/schemas';
import { isRollbackKind } from './deploymentStatus';

export function ladder(project: Pick<Project, 'environments'>): Environment[] {
  return [...project.environments].sort((a, b) => a.position - b.position);
}

/** The rung a promote into `environmentName` takes its candidate from by default: the one just below. */
export function rungBelow(project: Pick<Project, 'environments'>, environmentName: string): Environment | undefined {
  const rungs = ladder(project);
  const index = rungs.findIndex((e) => e.name === environmentName);
  return index > 0 ? rungs[index - 1] : undefined;
}

export function rungAbove(project: Pick<Project, 'environments'>, environmentName: string): Environment | undefined {
  const rungs = ladder(project);
  const index = rungs.findIndex((e) => e.name === environmentName);
  return index >= 0 ? rungs[index + 1] : undefined;
}

export function findEnvironment(project: Pick<Project, 'environments'>, environmentName: string): Environment | undefined {
  return project.environments.find((e) => e.name === environmentName);
}

/** What the environment shows as its state, in order of what matters most to someone looking. */
export type EnvironmentState =
  | 'deploying' // a deployment is active (pending, in progress, canceling)
  | 'paused' // an active rollout is paused
  | 'failed' // the newest deployment failed or errored and nothing replaced it
  | 'rolled_back' // what is live came from a rollback
  | 'live' // a successful deployment is current
  | 'empty'; // nothing ever succeeded

export function environmentState(environment: Environment, newest?: Deployment): EnvironmentState {
  if (environment.active) return environment.active.rollout?.paused ? 'paused' : 'deploying';
  const latest = newest ?? environment.current ?? undefined;
  if (latest && (latest.status === 'failure' || latest.status === 'error')) return 'failed';
  if (!environment.current) return 'empty';
  if (isRollbackKind(environment.current)) return 'rolled_back';
  return 'live';
}

/** Percent of traffic on the active rollout, if one is running. */
export function activeRolloutPercent(environment: Environment): number | undefined {
  return environment.active?.rollout?.percent;
}
