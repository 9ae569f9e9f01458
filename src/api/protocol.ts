// The stage panel's message protocol: what the extension host and the webview say to each other, as one
// zod discriminated union each way. Both sides parse every message they receive with these schemas and
// drop (and log) what does not parse; nothing is cast. The webview imports this file, so it may depend on
// zod and ./schemas only.
//
// Order of a conversation: the webview posts `ready` once its script runs (and again after every reload:
// a hidden panel's document is discarded, see DESIGN.md); the host posts nothing before that, then a full
// `snapshot`, then `events` batches, `freshness` changes and `actionResult`s, and a new `snapshot`
// whenever derived data (commit lists, rollback target, ladder) may have changed.
import * as z from 'zod';
import { CandidateBlock, Caller, Deployment, Environment, ReleaseEvent, Strategy, Tier } from './schemas';

/** Bumped when a message changes shape incompatibly; a webview from an older bundle is answered with a reload. */
export const STAGE_PROTOCOL_VERSION = 2;

/** The webview panel type, also the key of the serializer that restores panels after a window reload. */
export const STAGE_VIEW_TYPE = 'flightdeck.stage';

// ── the view model the host builds ───────────────────────────────────────────────────────────────

export const StageIdentity = z.object({
  project: z.string().min(1).max(200),
  environment: z.string().min(1).max(200),
});
export type StageIdentity = z.infer<typeof StageIdentity>;

/** One commit from the local repository, for "what promote would bring" / "what rollback would remove". */
export const CommitSummary = z.object({
  sha: z.string().regex(/^[0-9a-f]{7,64}$/),
  subject: z.string().max(2000),
  author: z.string().max(500),
  /** Author date, ISO 8601. */
  date: z.string().max(64),
});
export type CommitSummary = z.infer<typeof CommitSummary>;

/**
 * A commit range as the host could (or could not) read it from the local repository:
 * `none` when there is no range to show (nothing to promote, no rollback target), `unavailable` with the
 * reason when the range exists but the repository cannot list it (no repository open, commit not fetched).
 */
export const CommitRange = z.discriminatedUnion('state', [
  z.object({ state: z.literal('none'), reason: z.string().max(500) }),
  z.object({ state: z.literal('unavailable'), reason: z.string().max(500) }),
  z.object({
    state: z.literal('ok'),
    from: z.string().nullable(),
    to: z.string(),
    commits: z.array(CommitSummary).max(500),
    /** All commits in the range; more than `commits.length` when the list was cut. */
    total: z.number().int().min(0),
  }),
]);
export type CommitRange = z.infer<typeof CommitRange>;

export const LadderRung = z.object({
  name: z.string(),
  position: z.number().int(),
  strategy: Strategy,
  tier: Tier,
  /** What is live there (release_candidate_version of `current`), null when nothing is. */
  candidate: z.string().nullable(),
  /** The candidate being deployed there right now, if any. */
  activeCandidate: z.string().nullable(),
  /** The active deployment waits for approval (nothing runs yet); absent from an older host. */
  awaitingApproval: z.boolean().optional(),
  frozen: z.boolean(),
});
export type LadderRung = z.infer<typeof LadderRung>;

export const CandidateRef = z.object({
  environment: z.string().nullable(),
  candidate: z.string(),
  commit: z.string(),
  /** The candidate is blocked (nothing may carry it further); absent from an older host. */
  blocked: CandidateBlock.nullable().optional(),
});
export type CandidateRef = z.infer<typeof CandidateRef>;

export const TokenRole = z.enum(['admin', 'not_admin', 'unknown']);
export type TokenRole = z.infer<typeof TokenRole>;

export const StageCapabilities = z.object({
  events: z.boolean(),
  promote: z.boolean(),
  pauseResumeAbort: z.boolean(),
  freeze: z.boolean(),
  /** Deployments may await approval (API.md endpoints 19–21); absent from an older host. */
  approvals: z.boolean().optional(),
  /** Candidates may be blocked (endpoint 22); absent from an older host. */
  block: z.boolean().optional(),
  /** The backend's own words for what it lacks (GitHub's, Aviator's), shown under the disabled buttons. */
  reasons: z.object({
    promote: z.string().max(500),
    pauseResumeAbort: z.string().max(500),
    freeze: z.string().max(500),
    approvals: z.string().max(500),
    block: z.string().max(500),
  }).partial().optional(),
});
export type StageCapabilities = z.infer<typeof StageCapabilities>;

/** Everything the panel shows, built by the host from the backend and the local repository. */
export const StageView = z.object({
  project: z.object({ name: z.string(), repo: z.string() }),
  environment: Environment,
  ladder: z.array(LadderRung),
  /** The rung a promote takes its candidate from; null at the bottom of the ladder. */
  below: z.object({ name: z.string(), current: CandidateRef.nullable() }).nullable(),
  /** What a rollback would return to (API.md endpoint 5, computed by core/rollback), null when nothing. */
  rollbackTarget: CandidateRef.nullable(),
  promoteCommits: CommitRange,
  rollbackCommits: CommitRange,
  /** Recent deployments of this environment, newest first. */
  history: z.array(Deployment).max(100),
  /** Recent events about this environment the host saw (also while the panel was hidden), newest first. */
  log: z.array(ReleaseEvent).max(200),
  capabilities: StageCapabilities,
  role: TokenRole,
  /** Who the token is (GET /api/whoami), null when the backend cannot say: an own request's reject is a withdrawal. */
  caller: Caller.nullable().optional(),
  /**
   * The newest event id the host had seen when it began building this view: events after it may not be
   * reflected yet, so the webview re-applies those it already has.
   */
  eventCursor: z.number().int().min(0),
  /** Epoch ms when the host finished building this view. */
  builtAt: z.number(),
});
export type StageView = z.infer<typeof StageView>;

// ── host → webview ───────────────────────────────────────────────────────────────────────────────

export const StreamStatus = z.enum(['connecting', 'live', 'reconnecting', 'closed', 'unsupported']);
export type StreamStatus = z.infer<typeof StreamStatus>;

export const Freshness = z.object({
  stream: StreamStatus,
  /** Epoch ms of the newest data on screen (snapshot or event); null before any. */
  lastUpdateAt: z.number().nullable(),
  /** Why the last refresh failed; null when it succeeded. */
  error: z.string().max(1000).nullable(),
});
export type Freshness = z.infer<typeof Freshness>;

export const ACTION_NAMES = ['promote', 'rollback', 'pause', 'resume', 'abort', 'freeze', 'unfreeze', 'approve', 'reject', 'block', 'unblock'] as const;
export const ActionName = z.enum(ACTION_NAMES);
export type ActionName = z.infer<typeof ActionName>;

/** Correlates an action request with its result; chosen by the webview. */
const RequestId = z.string().min(1).max(64);

/** `refused`: the action plan or the server said no (the message says why); `failed`: it could not be done. */
export const ActionOutcome = z.enum(['done', 'cancelled', 'refused', 'failed']);
export type ActionOutcome = z.infer<typeof ActionOutcome>;

const SnapshotMessage = z.object({ type: z.literal('snapshot'), view: StageView, freshness: Freshness });
const EventsMessage = z.object({ type: z.literal('events'), events: z.array(ReleaseEvent).min(1).max(500), freshness: Freshness });
const FreshnessMessage = z.object({ type: z.literal('freshness'), freshness: Freshness });
const ActionResultMessage = z.object({
  type: z.literal('actionResult'),
  requestId: RequestId,
  action: ActionName,
  outcome: ActionOutcome,
  /** One sentence for the user: what happened, or why not. */
  message: z.string().max(2000),
  /** The deployment the action created or changed, when it returned one. */
  deployment: Deployment.nullable(),
});
/** The environment cannot be shown at all (unknown project or environment, signed out); data kept if any. */
const UnavailableMessage = z.object({ type: z.literal('unavailable'), message: z.string().max(2000) });

export const HostToWebview = z.discriminatedUnion('type', [
  SnapshotMessage, EventsMessage, FreshnessMessage, ActionResultMessage, UnavailableMessage,
]);
export type HostToWebview = z.infer<typeof HostToWebview>;
export type SnapshotMessage = z.infer<typeof SnapshotMessage>;
export type EventsMessage = z.infer<typeof EventsMessage>;
export type ActionResultMessage = z.infer<typeof ActionResultMessage>;

// ── webview → host ───────────────────────────────────────────────────────────────────────────────

const ReadyMessage = z.object({ type: z.literal('ready'), protocol: z.number().int() });
const EnvironmentAction = (name: 'promote' | 'rollback' | 'freeze' | 'unfreeze') =>
  z.object({ type: z.literal(name), requestId: RequestId });
const DeploymentAction = (name: 'pause' | 'resume' | 'abort') =>
  z.object({ type: z.literal(name), requestId: RequestId, deploymentId: z.string().min(1).max(64) });
/**
 * Approve or reject (withdraw) the deployment awaiting approval. `comment`, when the webview sends one,
 * replaces the host's input box; the modal confirmation is asked either way.
 */
const ApprovalAction = (name: 'approve' | 'reject') =>
  z.object({ type: z.literal(name), requestId: RequestId, deploymentId: z.string().min(1).max(64), comment: z.string().max(2000).optional() });
/** Block or unblock a candidate; `reason` (block only), when sent, replaces the host's input box. */
const CandidateAction = (name: 'block' | 'unblock') =>
  z.object({ type: z.literal(name), requestId: RequestId, candidate: z.string().min(1).max(200), reason: z.string().min(1).max(500).optional() });
const OpenCommitMessage = z.object({ type: z.literal('openCommit'), sha: z.string().regex(/^[0-9a-fA-F]{7,64}$/) });
const OpenPullRequestMessage = z.object({ type: z.literal('openPullRequest'), number: z.number().int().min(1).max(1e9) });
const RefreshMessage = z.object({ type: z.literal('refresh') });
/** The webview reports its own script errors so they reach the output channel. */
const WebviewErrorMessage = z.object({ type: z.literal('webviewError'), message: z.string().max(4000) });

export const WebviewToHost = z.discriminatedUnion('type', [
  ReadyMessage,
  EnvironmentAction('promote'), EnvironmentAction('rollback'), EnvironmentAction('freeze'), EnvironmentAction('unfreeze'),
  DeploymentAction('pause'), DeploymentAction('resume'), DeploymentAction('abort'),
  ApprovalAction('approve'), ApprovalAction('reject'), CandidateAction('block'), CandidateAction('unblock'),
  OpenCommitMessage, OpenPullRequestMessage, RefreshMessage, WebviewErrorMessage,
]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;
export type ActionRequest = Extract<WebviewToHost, { type: ActionName }>;

export function isActionRequest(message: WebviewToHost): message is ActionRequest {
  return (ACTION_NAMES as readonly string[]).includes(message.type);
}

// ── the webview's persisted state (vscode getState/setState; the serializer reads it after a reload) ──

export const StagePersistedState = z.object({
  v: z.literal(1),
  identity: StageIdentity,
  /** Section ids the user collapsed. */
  collapsed: z.array(z.string().max(64)).max(32),
  /** The last view, shown at once after a reload until a fresh snapshot arrives. */
  view: StageView.nullable(),
});
export type StagePersistedState = z.infer<typeof StagePersistedState>;
