// The contract's objects for tests and benches, written once: a Deployment, an Environment (with what it
// runs), an environment spec and a Project, each with every field the schemas in src/api/schemas.ts
// require. A test overrides only what it is about (ids, candidates, commits, statuses); when the contract
// gains a field, it is added here and nowhere else. test/unit/api/contractFixtures.test.ts checks that
// every factory's output parses with its schema unchanged.
import type { Deployment, Environment, EnvironmentSpec, Project } from '../../src/api/schemas';

/** When fixtures happen, unless a test says otherwise. */
export const FIXTURE_TIME = '2026-11-23T08:00:00.000Z';

/** The release a candidate belongs to: `1.4.0` for `1.4.0-rc2`. */
export function releaseOf(candidate: string): string {
  return candidate.replace(/-rc\d+$/, '');
}

/** A finished deploy of `1.0.0-rc1` into payments/canary; its release follows the candidate given. */
export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  const candidate = overrides.release_candidate_version ?? '1.0.0-rc1';
  return {
    id: '1',
    project: 'payments',
    environment_name: 'canary',
    release_version: releaseOf(candidate),
    release_candidate_version: candidate,
    commit: 'a'.repeat(40),
    from_release_version: null,
    from_release_candidate_version: null,
    status: 'success',
    kind: 'deploy',
    actor: 'ci',
    deploy_start_at: FIXTURE_TIME,
    deploy_end_at: null,
    updated_at: FIXTURE_TIME,
    error_message: null,
    rollout: null,
    approval: null,
    candidate_blocked: null,
    ...overrides,
  };
}

/** An environment as the spec declares it: a standard production rung that deploys nothing itself. */
export function environmentSpec(overrides: Partial<EnvironmentSpec> = {}): EnvironmentSpec {
  return {
    name: 'canary',
    tier: 'production',
    position: 0,
    strategy: 'standard',
    protected: false,
    frozen: false,
    steps: null,
    auto_promote: null,
    health_check: null,
    deploy: { type: 'none', command: null, url: null },
    required_approvals: 0,
    ...overrides,
  };
}

/** An environment as the server reports it: its spec, what runs there and what is under way (nothing). */
export function environment(overrides: Partial<Environment> = {}): Environment {
  return { ...environmentSpec(), current: null, active: null, ...overrides };
}

/** A project with no environments unless given; its repository is `acme/<name>`. */
export function project(overrides: Partial<Project> = {}): Project {
  const name = overrides.name ?? 'payments';
  return { name, repo: `acme/${name}`, description: null, created_at: FIXTURE_TIME, environments: [], ...overrides };
}
