// Builds the stage panel's view model (protocol StageView) from the backend and, when one is open, the
// local git repository: what is live, what is deploying, the ladder, history, the rollback target
// (core/rollback, the same rule the server applies) and the commit lists a promote or rollback would
// bring or remove. Free of vscode so it can be reasoned about (and tested) on its own.
import type { CommitSummary, CommitRange, StageIdentity, StageView, TokenRole } from '../../api/protocol';
import type { Caller, Deployment, ReleaseEvent } from '../../api/schemas';
import type { ReleaseBackend } from '../../client/backend';
import { isBackendError } from '../../client/errors';
import type { ActionCapabilities } from '../../core/actionPlan';
import { awaitsApproval } from '../../core/approvals';
import { shortSha } from '../../core/format';
import { findEnvironment, ladder, rungBelow } from '../../core/ladder';
import { rollbackTarget } from '../../core/rollback';
import { repoMatchesRemote } from '../../git';
import { describeError } from '../../core/errors';

/** The part of the git adapter (src/git GitRepository) the panel uses. */
export interface CommitSource {
  resolve(rev: string): Promise<string | undefined>;
  commitsBetween(from: string | null, to: string, limit?: number): Promise<Array<{ sha: string; subject: string; authorName: string; authorDate: string }>>;
  countBetween(from: string | null, to: string): Promise<number>;
  remoteUrls?(): Promise<Array<{ url: string }>>;
}

/** The workspace's repositories (src/extension/workspace.ts WorkspaceRepositories fits). */
export interface RepositoryProvider {
  allRepositories(): Promise<CommitSource[]>;
}

/** Thrown when the environment cannot be shown at all: the message is for the user. */
export class StageUnavailableError extends Error {}

/** Commits listed per range; the total is counted separately. */
export const COMMITS_SHOWN = 50;
export const HISTORY_SHOWN = 30;
/** The rollback target needs the history behind it; the server's own rule looks at all of it. */
const HISTORY_FETCHED = 100;

export interface SnapshotInputs {
  backend: ReleaseBackend;
  repositories: RepositoryProvider | undefined;
  role: TokenRole;
  /** Who the token is, when the backend says (GET /api/whoami). */
  caller?: Caller | undefined;
  log: readonly ReleaseEvent[];
  /** Commit ranges never change for a pair of commits: cached by the panel across snapshots. */
  rangeCache: Map<string, CommitRange>;
  /** The newest event id seen when the build began (StageView.eventCursor). */
  eventCursor: number;
  now?: () => number;
}

export async function buildStageView(identity: StageIdentity, inputs: SnapshotInputs): Promise<StageView> {
  const { backend } = inputs;
  const [project, history] = await Promise.all([
    backend.getProject(identity.project),
    backend.listDeployments(identity.project, identity.environment, 1, HISTORY_FETCHED).catch((error: unknown) => {
      // The environment may be gone; getProject tells which.
      if (isBackendError(error) && error.kind === 'not_found') return [] as Deployment[];
      throw error;
    }),
  ]);
  const environment = findEnvironment(project, identity.environment);
  if (!environment) throw new StageUnavailableError(`Project ${project.name} has no environment ${identity.environment} (any more).`);
  const belowEnv = rungBelow(project, environment.name);
  const belowCurrent = belowEnv?.current ?? null;
  const target = rollbackTarget(history) ?? null;

  const repos = new RepositoryChooser(inputs.repositories, project.repo);
  const current = environment.current;
  let promoteCommits: CommitRange;
  if (!belowEnv) promoteCommits = { state: 'none', reason: `${environment.name} is the first rung: promotes start above it.` };
  else if (!belowCurrent) promoteCommits = { state: 'none', reason: `Nothing is live in ${belowEnv.name} yet.` };
  else if (current && current.release_candidate_version === belowCurrent.release_candidate_version) {
    promoteCommits = { state: 'none', reason: `${environment.name} already runs ${belowCurrent.release_candidate_version}, like ${belowEnv.name}.` };
  } else promoteCommits = await commitRange(repos, current?.commit ?? null, belowCurrent.commit, inputs.rangeCache);

  let rollbackCommits: CommitRange;
  if (!target) rollbackCommits = { state: 'none', reason: 'Nothing earlier to roll back to.' };
  else if (!current) rollbackCommits = { state: 'none', reason: `Nothing is live in ${environment.name}.` };
  else if (target.release_candidate_version === current.release_candidate_version) {
    rollbackCommits = {
      state: 'none',
      reason: environment.active
        ? `A rollback would cancel the deployment of ${environment.active.release_candidate_version} ${awaitsApproval(environment.active) ? 'awaiting approval' : 'in progress'} and keep ${current.release_candidate_version}: it removes nothing that is live.`
        : `A rollback would redeploy ${current.release_candidate_version}, which is live now (the newest deployment did not succeed).`,
    };
  } else rollbackCommits = await commitRange(repos, target.commit, current.commit, inputs.rangeCache);

  return {
    project: { name: project.name, repo: project.repo },
    environment,
    ladder: ladder(project).map((e) => ({
      name: e.name,
      position: e.position,
      strategy: e.strategy,
      tier: e.tier,
      candidate: e.current?.release_candidate_version ?? null,
      activeCandidate: e.active?.release_candidate_version ?? null,
      awaitingApproval: e.active ? awaitsApproval(e.active) : false,
      frozen: e.frozen,
    })),
    below: belowEnv ? {
      name: belowEnv.name,
      current: belowCurrent ? { environment: belowEnv.name, candidate: belowCurrent.release_candidate_version, commit: belowCurrent.commit, blocked: belowCurrent.candidate_blocked } : null,
    } : null,
    rollbackTarget: target ? { environment: null, candidate: target.release_candidate_version, commit: target.commit, blocked: null } : null,
    promoteCommits,
    rollbackCommits,
    history: history.slice(0, HISTORY_SHOWN),
    log: inputs.log.slice(0, 200),
    capabilities: {
      events: backend.capabilities.events,
      promote: backend.capabilities.promote,
      pauseResumeAbort: backend.capabilities.pauseResumeAbort,
      freeze: backend.capabilities.freeze,
      approvals: backend.capabilities.approvals,
      block: backend.capabilities.block,
      ...stageReasons(backend),
    },
    role: inputs.role,
    caller: inputs.caller ?? null,
    eventCursor: inputs.eventCursor,
    builtAt: (inputs.now ?? Date.now)(),
  };
}

/** The backend's reasons for what it lacks (ActionCapabilities.reasons), those the stage's buttons show. */
function stageReasons(backend: ReleaseBackend): Pick<StageView['capabilities'], 'reasons'> {
  const reasons = (backend.capabilities as ActionCapabilities).reasons;
  if (!reasons) return {};
  const picked = Object.fromEntries((['promote', 'pauseResumeAbort', 'freeze', 'approvals', 'block'] as const)
    .flatMap((key) => {
      const reason = reasons[key];
      return typeof reason === 'string' ? [[key, reason.slice(0, 500)]] : [];
    }));
  return { reasons: picked };
}

/** Tries the repository whose remote matches the project first, then the others. */
class RepositoryChooser {
  private ordered: Promise<CommitSource[]> | undefined;

  constructor(private readonly provider: RepositoryProvider | undefined, private readonly projectRepo: string) {}

  list(): Promise<CommitSource[]> {
    this.ordered ??= (async () => {
      if (!this.provider) return [];
      const repos = await this.provider.allRepositories();
      const scored = await Promise.all(repos.map(async (repo) => {
        const urls = repo.remoteUrls ? await repo.remoteUrls().catch(() => []) : [];
        return { repo, match: urls.some((u) => repoMatchesRemote(this.projectRepo, u.url)) };
      }));
      return [...scored.filter((s) => s.match), ...scored.filter((s) => !s.match)].map((s) => s.repo);
    })();
    return this.ordered;
  }
}

async function commitRange(repos: RepositoryChooser, from: string | null, to: string, cache: Map<string, CommitRange>): Promise<CommitRange> {
  const key = `${from ?? ''}..${to}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let list: CommitSource[];
  try {
    list = await repos.list();
  } catch (error) {
    return { state: 'unavailable', reason: `The local repository cannot be read: ${message(error)}` };
  }
  if (list.length === 0) return { state: 'unavailable', reason: 'Open the project\'s git repository in this window to see the commits.' };
  for (const repo of list) {
    try {
      const [resolvedFrom, toSha] = await Promise.all([from === null ? Promise.resolve(null) : repo.resolve(from), repo.resolve(to)]);
      if (!toSha || resolvedFrom === undefined) continue;
      const fromSha: string | null = resolvedFrom;
      const commits = await repo.commitsBetween(fromSha, toSha, COMMITS_SHOWN);
      const total = commits.length < COMMITS_SHOWN ? commits.length : await repo.countBetween(fromSha, toSha);
      const range: CommitRange = {
        state: 'ok',
        from: fromSha,
        to: toSha,
        commits: commits.map((c): CommitSummary => ({ sha: c.sha.toLowerCase(), subject: c.subject.slice(0, 2000), author: c.authorName.slice(0, 500), date: c.authorDate })),
        total,
      };
      if (cache.size > 64) cache.clear();
      cache.set(key, range);
      return range;
    } catch (error) {
      return { state: 'unavailable', reason: `git could not list the commits: ${message(error)}` };
    }
  }
  const missing = from === null ? shortSha(to) : `${shortSha(from)} or ${shortSha(to)}`;
  return { state: 'unavailable', reason: `The local repository does not have commit ${missing}; fetch to see the commits.` };
}

function message(error: unknown): string {
  return describeError(error);
}
