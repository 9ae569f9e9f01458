// Contract-valid objects for the stage panel's unit tests: every factory's output parses with the
// protocol / schema it claims to be, so a test cannot pass on data the host would never send. Deployments
// and environments come from the shared contract fixtures, set to the stage's scene (canary, position 1).
import type { StageView } from '../../../src/api/protocol';
import type { Deployment, Environment, ReleaseEvent } from '../../../src/api/schemas';
import * as contract from '../../shared/contractFixtures';

export const T0 = Date.parse('2026-11-23T10:00:00.000Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return contract.deployment({
    release_candidate_version: '1.4.0-rc1',
    actor: 'ci-pipeline',
    deploy_start_at: iso(T0 - 3600_000),
    deploy_end_at: iso(T0 - 3500_000),
    updated_at: iso(T0 - 3500_000),
    ...overrides,
  });
}

export function environment(overrides: Partial<Environment> = {}): Environment {
  return contract.environment({ position: 1, strategy: 'canary', ...overrides });
}

export function rollout(step: number, percent: number, paused = false): NonNullable<Deployment['rollout']> {
  return {
    step,
    percent,
    paused,
    steps: [{ percent: 10, soak_seconds: 600 }, { percent: 50, soak_seconds: 300 }, { percent: 100, soak_seconds: 0 }],
  };
}

/** canary (position 1) running 1.4.0-rc1, dogfood below it running 1.5.0-rc1: a promote is possible. */
export function view(overrides: Partial<StageView> = {}): StageView {
  const current = deployment({ id: '10' });
  return {
    project: { name: 'payments', repo: 'acme/payments' },
    environment: environment({ current }),
    ladder: [
      { name: 'dogfood', position: 0, strategy: 'dogfood', tier: 'development', candidate: '1.5.0-rc1', activeCandidate: null, frozen: false },
      { name: 'canary', position: 1, strategy: 'canary', tier: 'production', candidate: '1.4.0-rc1', activeCandidate: null, frozen: false },
      { name: 'production', position: 2, strategy: 'standard', tier: 'production', candidate: null, activeCandidate: null, frozen: false },
    ],
    below: { name: 'dogfood', current: { environment: 'dogfood', candidate: '1.5.0-rc1', commit: 'b'.repeat(40) } },
    rollbackTarget: { environment: null, candidate: '1.3.0-rc1', commit: 'c'.repeat(40) },
    promoteCommits: {
      state: 'ok', from: 'a'.repeat(40), to: 'b'.repeat(40), total: 2,
      commits: [
        { sha: 'b'.repeat(40), subject: 'Charge cards through the gateway (#42)', author: 'Ada', date: iso(T0 - 7200_000) },
        { sha: 'd'.repeat(40), subject: 'Merge pull request #41 from acme/retry', author: 'Grace', date: iso(T0 - 9000_000) },
      ],
    },
    rollbackCommits: { state: 'unavailable', reason: 'The local repository does not have commit ccccccc; fetch to see the commits.' },
    history: [current, deployment({ id: '9', release_candidate_version: '1.3.0-rc1', commit: 'c'.repeat(40) })],
    log: [],
    capabilities: { events: true, promote: true, pauseResumeAbort: true, freeze: true },
    role: 'admin',
    eventCursor: 0,
    builtAt: T0,
    ...overrides,
  };
}

export function event(id: number, d: Deployment | undefined, type: ReleaseEvent['type'] = 'deployment.updated', at = T0): ReleaseEvent {
  return {
    id,
    type,
    data: { project: d?.project ?? 'payments', environment: d?.environment_name ?? 'canary', ...(d ? { deployment: d } : {}), at: iso(at) },
  };
}

export const live = { stream: 'live' as const, lastUpdateAt: T0, error: null };
