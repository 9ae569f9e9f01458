// The Releases API contract (docs/api.md) as zod schemas: the single source of truth in code.
// Every response a client reads and every body the server accepts is parsed with these, never cast.
import * as z from 'zod';
import { fetchableUrlProblem } from './urls';

// ── names and identifiers ────────────────────────────────────────────────────────────────────────

export const PROJECT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _-]{0,99}$/;
export const ENVIRONMENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** `<release_version>-rc<N>`; the release version is everything before the last `-rc<N>`. */
export const CANDIDATE_VERSION_PATTERN = /^([0-9A-Za-z][0-9A-Za-z._+-]{0,99})-rc([1-9][0-9]*)$/;
export const COMMIT_PATTERN = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$/;

export const ProjectName = z.string().regex(PROJECT_NAME_PATTERN, 'Invalid project name');
export const EnvironmentName = z.string().regex(ENVIRONMENT_NAME_PATTERN, 'Invalid environment name');
export const CandidateVersion = z.string().regex(CANDIDATE_VERSION_PATTERN, 'Invalid release candidate version');
/** Commits are stored lower-case whatever case they arrive in. */
export const Commit = z
  .string()
  .regex(COMMIT_PATTERN, 'Invalid commit hash')
  .transform((s) => s.toLowerCase());
export const Timestamp = z.string().datetime({ offset: true });

/** Splits `1.4.0-rc2` into `{ release: '1.4.0', rc: 2 }`; undefined when it is not a candidate version. */
export function parseCandidateVersion(version: string): { release: string; rc: number } | undefined {
  const match = CANDIDATE_VERSION_PATTERN.exec(version);
  if (!match || match[1] === undefined || match[2] === undefined) return undefined;
  return { release: match[1], rc: Number(match[2]) };
}

// ── deployments ──────────────────────────────────────────────────────────────────────────────────

export const DEPLOYMENT_STATUSES = [
  'pending', 'in_progress', 'success', 'failure', 'canceling', 'canceled', 'error', 'unknown',
] as const;
export const DeploymentStatus = z.enum(DEPLOYMENT_STATUSES);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

export const TERMINAL_STATUSES: ReadonlySet<DeploymentStatus> = new Set(['success', 'failure', 'canceled', 'error']);

export const DeploymentKind = z.enum(['deploy', 'promote', 'rollback', 'auto_rollback']);
export type DeploymentKind = z.infer<typeof DeploymentKind>;

export const RolloutStep = z.object({
  percent: z.number().int().min(1).max(100),
  soak_seconds: z.number().int().min(0).max(7 * 24 * 3600),
});
export type RolloutStep = z.infer<typeof RolloutStep>;

export const Rollout = z.object({
  step: z.number().int().min(0),
  percent: z.number().int().min(0).max(100),
  steps: z.array(RolloutStep),
  paused: z.boolean(),
  /** When the current step's soak ends (null while applying a step or paused); absent from older servers. */
  soak_ends_at: Timestamp.nullable().optional(),
});
export type Rollout = z.infer<typeof Rollout>;

/** The engine's health checks of a deployment over time; absent when nothing was checked (and from older servers). */
export const DeploymentHealth = z.object({
  /** null until the first check or verdict. */
  healthy: z.boolean().nullable(),
  consecutive_failures: z.number().int().min(0),
  last_checked_at: Timestamp.nullable(),
  last_error: z.string().nullable(),
  /**
   * How many failed checks in a row fail the deployment (its environment's health_check.failure_threshold
   * when last checked; null for a verdict without a configured check), so a client can say "failing 2/3".
   * Absent from older servers.
   */
  failure_threshold: z.number().int().min(1).nullable().optional(),
});
export type DeploymentHealth = z.infer<typeof DeploymentHealth>;

// ── approvals and blocked candidates (API.md endpoints 18–22) ─────────────────────────────────────

/** One person's approval or rejection of a deployment awaiting approval. */
export const ApprovalVote = z.object({
  actor: z.string(),
  at: Timestamp,
  comment: z.string().nullable(),
});
export type ApprovalVote = z.infer<typeof ApprovalVote>;

/** A deployment's approval request: how many approvals it needs, who gave them, who rejected it, until when. */
export const Approval = z.object({
  required: z.number().int().min(1).max(5),
  approvals: z.array(ApprovalVote),
  rejection: ApprovalVote.nullable(),
  expires_at: Timestamp,
});
export type Approval = z.infer<typeof Approval>;

/** A release candidate marked bad: nothing may carry it further up the ladder. */
export const CandidateBlock = z.object({
  actor: z.string(),
  at: Timestamp,
  reason: z.string(),
});
export type CandidateBlock = z.infer<typeof CandidateBlock>;

export const Deployment = z.object({
  id: z.string(),
  project: z.string(),
  environment_name: z.string(),
  release_version: z.string(),
  release_candidate_version: z.string(),
  commit: z.string(),
  from_release_version: z.string().nullable(),
  from_release_candidate_version: z.string().nullable(),
  status: DeploymentStatus,
  kind: DeploymentKind,
  actor: z.string(),
  deploy_start_at: Timestamp,
  deploy_end_at: Timestamp.nullable(),
  updated_at: Timestamp,
  error_message: z.string().nullable(),
  rollout: Rollout.nullable(),
  health: DeploymentHealth.optional(),
  /** null for a deployment that needed no approval; absent from older servers and other backends (read as null). */
  approval: Approval.nullable().default(null),
  /** Whether this deployment's candidate is blocked now (not when it was deployed); absent from older servers. */
  candidate_blocked: CandidateBlock.nullable().default(null),
});
export type Deployment = z.infer<typeof Deployment>;

// ── environments and projects ────────────────────────────────────────────────────────────────────

export const Tier = z.enum(['production', 'staging', 'development']);
export type Tier = z.infer<typeof Tier>;
export const Strategy = z.enum(['standard', 'dogfood', 'canary', 'rollout']);
export type Strategy = z.infer<typeof Strategy>;

const Args = z.array(z.string().max(4096)).max(100);

/** A URL the server will fetch (webhook, health check): http(s), not link-local or cloud metadata (see urls.ts). */
const FetchableUrl = z.string().max(2048).superRefine((text, ctx) => {
  const problem = fetchableUrlProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
/**
 * URLs as a server reports them: what a viewer reads has its credentials redacted, and what was
 * stored before the rule above existed must still read.
 */
const ReportedUrl = z.string();

function deploySpec(url: z.ZodType<string>) {
  return z.object({
    type: z.enum(['none', 'command', 'webhook']),
    command: z.string().min(1).max(4096).nullable().default(null),
    url: url.nullable().default(null),
    args: Args.optional(),
    cwd: z.string().max(4096).nullable().optional(),
    timeout_seconds: z.number().int().min(1).max(24 * 3600).optional(),
  }).refine((d) => d.type !== 'command' || d.command !== null, { message: 'A command deploy needs "command"' })
    .refine((d) => d.type !== 'webhook' || d.url !== null, { message: 'A webhook deploy needs "url"' });
}
export const DeploySpec = deploySpec(FetchableUrl);
export type DeploySpec = z.infer<typeof DeploySpec>;

function healthCheckSpec(url: z.ZodType<string>) {
  return z.object({
    url: url.nullable().default(null),
    command: z.string().min(1).max(4096).nullable().default(null),
    args: Args.optional(),
    cwd: z.string().max(4096).nullable().optional(),
    timeout_seconds: z.number().int().min(1).max(3600).optional(),
    interval_seconds: z.number().int().min(1).max(3600).default(10),
    failure_threshold: z.number().int().min(1).max(100).default(3),
  }).refine((h) => (h.url === null) !== (h.command === null), { message: 'A health check needs exactly one of "url" and "command"' });
}
export const HealthCheckSpec = healthCheckSpec(FetchableUrl);
export type HealthCheckSpec = z.infer<typeof HealthCheckSpec>;

export const AutoPromote = z.object({
  to: EnvironmentName,
  after_seconds: z.number().int().min(0).max(30 * 24 * 3600),
});
export type AutoPromote = z.infer<typeof AutoPromote>;

function environmentFields(url: z.ZodType<string>) {
  return {
    name: EnvironmentName,
    tier: Tier,
    position: z.number().int().min(0).max(1000),
    strategy: Strategy,
    protected: z.boolean().default(false),
    frozen: z.boolean().default(false),
    steps: z.array(RolloutStep).min(1).max(20).nullable().default(null),
    auto_promote: AutoPromote.nullable().default(null),
    health_check: healthCheckSpec(url).nullable().default(null),
    deploy: deploySpec(url).default({ type: 'none', command: null, url: null }),
    /** How many people (other than the one who asked) approve a deploy or promote into it; 0: none. */
    required_approvals: z.number().int().min(0).max(5).default(0),
  };
}

/** Rollout steps: required for `rollout` (percents strictly increasing, the last 100), absent otherwise. */
function checkSteps(env: { strategy: Strategy; steps: RolloutStep[] | null; name: string }, ctx: z.RefinementCtx): void {
  if (env.strategy !== 'rollout') {
    if (env.steps !== null) ctx.addIssue({ code: 'custom', message: `Environment ${env.name}: steps are only for the rollout strategy`, path: ['steps'] });
    return;
  }
  if (env.steps === null) {
    ctx.addIssue({ code: 'custom', message: `Environment ${env.name}: a rollout needs steps`, path: ['steps'] });
    return;
  }
  const percents = env.steps.map((s) => s.percent);
  if (percents.some((p, i) => i > 0 && p <= (percents[i - 1] ?? 0))) {
    ctx.addIssue({ code: 'custom', message: `Environment ${env.name}: rollout percents must increase strictly`, path: ['steps'] });
  }
  if (percents[percents.length - 1] !== 100) {
    ctx.addIssue({ code: 'custom', message: `Environment ${env.name}: the last rollout step must be 100 percent`, path: ['steps'] });
  }
}

export const EnvironmentSpec = z.object(environmentFields(FetchableUrl)).superRefine(checkSteps);
export type EnvironmentSpec = z.infer<typeof EnvironmentSpec>;
export type EnvironmentSpecInput = z.input<typeof EnvironmentSpec>;

export const Environment = z.object({
  ...environmentFields(ReportedUrl),
  current: Deployment.nullable(),
  active: Deployment.nullable(),
  /** Set by a client-side backend that could not read this environment (Aviator: unknown environment). */
  error: z.string().optional(),
});
export type Environment = z.infer<typeof Environment>;

export const ProjectSpec = z.object({
  repo: z.string().min(1).max(500),
  description: z.string().max(2000).nullable().optional(),
  environments: z.array(EnvironmentSpec).max(50),
}).superRefine((p, ctx) => {
  const names = new Set<string>();
  const positions = new Set<number>();
  for (const env of p.environments) {
    if (names.has(env.name)) ctx.addIssue({ code: 'custom', message: `Environment ${env.name} is listed twice`, path: ['environments'] });
    if (positions.has(env.position)) ctx.addIssue({ code: 'custom', message: `Position ${env.position} is used twice`, path: ['environments'] });
    names.add(env.name);
    positions.add(env.position);
  }
  for (const env of p.environments) {
    if (env.auto_promote && !names.has(env.auto_promote.to)) {
      ctx.addIssue({ code: 'custom', message: `Environment ${env.name} auto-promotes to unknown environment ${env.auto_promote.to}`, path: ['environments'] });
    }
  }
});
export type ProjectSpec = z.infer<typeof ProjectSpec>;
export type ProjectSpecInput = z.input<typeof ProjectSpec>;

export const Project = z.object({
  name: z.string(),
  repo: z.string(),
  description: z.string().nullable(),
  created_at: Timestamp,
  environments: z.array(Environment),
  /** Set by a client-side backend that could not read this project (GitHub: unknown repository, bad token). */
  error: z.string().optional(),
});
export type Project = z.infer<typeof Project>;

export const Overview = z.object({ projects: z.array(Project) });
export type Overview = z.infer<typeof Overview>;

// ── releases ─────────────────────────────────────────────────────────────────────────────────────

export const Candidate = z.object({
  release_candidate_version: z.string(),
  commit: z.string(),
  created_at: Timestamp,
  build_status: z.literal('ready'),
  /** null unless the candidate is blocked; absent from older servers (read as null). */
  blocked: CandidateBlock.nullable().default(null),
});
export type Candidate = z.infer<typeof Candidate>;

export const Release = z.object({
  project: z.string(),
  release_version: z.string(),
  created_at: Timestamp,
  candidates: z.array(Candidate),
});
export type Release = z.infer<typeof Release>;

// ── request bodies ───────────────────────────────────────────────────────────────────────────────

/** `null` means "I expect nothing deployed"; absent means "no precondition". */
const ExpectedCurrent = z.string().max(200).nullable().optional();

export const CreateCandidateBody = z.object({
  commit: Commit,
  repo: z.string().max(500).optional(),
  trigger_build_workflow: z.boolean().optional(),
});
export const CreateDeploymentBody = z.object({
  release_candidate_version: CandidateVersion,
  expected_current: ExpectedCurrent,
});
export const PatchDeploymentBody = z.object({
  release_candidate_version: CandidateVersion,
  status: DeploymentStatus,
  error_message: z.string().max(10_000).nullable().optional(),
});
export const RollbackBody = z.object({
  force: z.boolean().optional(),
  to_release_candidate_version: CandidateVersion.optional(),
  expected_current: ExpectedCurrent,
});
export const PromoteBody = z.object({
  from_environment: EnvironmentName.optional(),
  release_candidate_version: CandidateVersion.optional(),
  expected_current: ExpectedCurrent,
});
export const EnvironmentPatchBody = z.object({
  frozen: z.boolean().optional(),
  protected: z.boolean().optional(),
});
export const HealthVerdictBody = z.object({
  healthy: z.boolean(),
  reason: z.string().max(10_000).optional(),
});
/** Endpoints 19 and 20: an approval or a rejection, with an optional comment. */
export const ApprovalBody = z.object({
  comment: z.string().max(1000).optional(),
});
/** Endpoint 22: why the candidate is blocked. */
export const BlockBody = z.object({
  reason: z.string().trim().min(1, 'A reason is required').max(500),
});
export type ApprovalBody = z.infer<typeof ApprovalBody>;
export type BlockBody = z.infer<typeof BlockBody>;
export type CreateCandidateBody = z.infer<typeof CreateCandidateBody>;
export type CreateDeploymentBody = z.infer<typeof CreateDeploymentBody>;
export type PatchDeploymentBody = z.infer<typeof PatchDeploymentBody>;
export type RollbackBody = z.infer<typeof RollbackBody>;
export type PromoteBody = z.infer<typeof PromoteBody>;
export type EnvironmentPatchBody = z.infer<typeof EnvironmentPatchBody>;
export type HealthVerdictBody = z.infer<typeof HealthVerdictBody>;

/** `page` from 1, `per_page` 1..100 (above → 400). Query strings arrive as text. */
export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(10),
});
export type PageQuery = z.infer<typeof PageQuery>;

// ── tokens ───────────────────────────────────────────────────────────────────────────────────────

export const Role = z.enum(['viewer', 'deployer', 'admin']);
export type Role = z.infer<typeof Role>;
export const TokenCreateBody = z.object({ role: Role, name: z.string().regex(TOKEN_NAME_PATTERN, 'Invalid token name') });
export const TokenInfo = z.object({ name: z.string(), role: Role, created_at: Timestamp });
export const TokenCreated = TokenInfo.extend({ token: z.string() });
/** `GET /api/whoami` (beyond API.md): the calling token's name and role. */
export const Caller = z.object({ name: z.string(), role: Role });
export type TokenCreateBody = z.infer<typeof TokenCreateBody>;
export type TokenInfo = z.infer<typeof TokenInfo>;
export type TokenCreated = z.infer<typeof TokenCreated>;
export type Caller = z.infer<typeof Caller>;

// ── errors, health, events ───────────────────────────────────────────────────────────────────────

export const ErrorBody = z.object({
  error: z.string(),
  current: z.string().nullable().optional(),
  issues: z.array(z.unknown()).optional(),
  /** A refused blocked candidate's block (deploy, promote, explicit rollback, the start of an approved deployment). */
  blocked: CandidateBlock.optional(),
}).passthrough();
export type ErrorBody = z.infer<typeof ErrorBody>;

export const Healthz = z.object({ ok: z.literal(true), version: z.string() });
export type Healthz = z.infer<typeof Healthz>;

export const EVENT_TYPES = [
  'deployment.created', 'deployment.updated', 'environment.updated', 'project.updated', 'release.created',
  /** A candidate blocked or unblocked (endpoint 22). */
  'release.updated',
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

export const EventData = z.object({
  project: z.string(),
  environment: z.string().nullable(),
  deployment: Deployment.optional(),
  at: Timestamp,
});
export type EventData = z.infer<typeof EventData>;

export const ReleaseEvent = z.object({ id: z.number().int().min(1), type: EventType, data: EventData });
export type ReleaseEvent = z.infer<typeof ReleaseEvent>;

// ── `flightdeck where --json` ────────────────────────────────────────────────────────────────────

export const WhereResult = z.object({
  commit: z.string(),
  projects: z.array(z.object({
    project: z.string(),
    environments: z.array(z.object({
      name: z.string(),
      release_candidate_version: z.string().nullable(),
      commit: z.string().nullable(),
      /** `"unknown"` where a shallow clone or a missing commit keeps git from knowing: never a wrong false. */
      contains: z.union([z.boolean(), z.literal('unknown')]),
    })),
  })),
});
export type WhereResult = z.infer<typeof WhereResult>;
