// What the commit hover, the current-line annotation and the quick pick say about a commit, as text.
// Pure (no `vscode`): everything here is decided from the containment answer and the model's projects,
// so the VS Code tier only has to check the wiring.
import type { CandidateBlock, Project } from '../../api/schemas';
import type { Containment, ProjectPresence } from '../../core/containment';
import { formatAge, plural, shortSha } from '../../core/format';
import { ladder } from '../../core/ladder';
import { commandLink, escapeMarkdown, markdownCode } from '../../core/markdown';
import type { CommitInfo } from '../../git';

/** The commands a hover may run; the MarkdownString trusts exactly these. */
export const HOVER_COMMANDS = [
  'flightdeck.openStage',
  'flightdeck.watchCommit',
  'flightdeck.copySha',
  'flightdeck.fetchCommit',
  'flightdeck.signIn',
  'flightdeck.unblockCandidate',
] as const;
export type HoverCommand = (typeof HOVER_COMMANDS)[number];

/** How one environment stands towards the commit, from most to least certain. */
export type RowState =
  | 'live' // what runs there contains the commit
  | 'rolling' // a rollout containing it is under way: live for a share of traffic
  | 'deploying' // another kind of deployment containing it is under way
  | 'not_yet' // what runs there does not contain it
  | 'unknown' // this clone cannot tell (shallow, or the deployed commit is not fetched)
  | 'empty'; // nothing deployed

export interface CommitStanding {
  environment: string;
  state: RowState;
  /** The candidate live there now, its commit, and since when (deploy end, else start). */
  candidate: string | null;
  commit: string | null;
  since: string | null;
  /** The deployment under way that contains the commit. */
  incoming: { candidate: string; percent: number | null; paused: boolean } | null;
  /** The live candidate is blocked (nothing may carry it further): the reason is shown beside it. */
  blocked?: CandidateBlock | null;
}

export interface ProjectRows {
  project: string;
  rows: CommitStanding[];
  /** Where "Watch Until…" waits by default: `production` if the ladder has one, else its last rung. */
  target: string | undefined;
}

export function defaultWatchTarget(project: Pick<Project, 'environments'>): string | undefined {
  const rungs = ladder(project);
  return rungs.find((e) => e.name === 'production')?.name ?? rungs[rungs.length - 1]?.name;
}

/**
 * Rows in ladder order for one project. `activeContains` answers, per environment, whether a deployment
 * under way that is not a rollout (containment only reports rollouts) contains the commit.
 */
export function projectRows(
  presence: ProjectPresence,
  project: Project | undefined,
  activeContains: ReadonlyMap<string, Containment> = new Map(),
): ProjectRows {
  const rows = presence.environments.map((env): CommitStanding => {
    const environment = project?.environments.find((e) => e.name === env.name);
    const current = environment?.current ?? null;
    const active = environment?.active ?? null;
    let incoming: CommitStanding['incoming'] = null;
    if (env.rollout) {
      incoming = { candidate: env.rollout.release_candidate_version, percent: env.rollout.percent, paused: env.rollout.paused };
    } else if (active && !active.rollout && activeContains.get(env.name) === true) {
      incoming = { candidate: active.release_candidate_version, percent: null, paused: false };
    }
    let state: RowState;
    if (env.contains === true) state = 'live';
    else if (incoming) state = incoming.percent !== null ? 'rolling' : 'deploying';
    else if (env.commit === null) state = 'empty';
    else if (env.contains === 'unknown') state = 'unknown';
    else state = 'not_yet';
    return {
      environment: env.name,
      state,
      candidate: env.release_candidate_version,
      commit: env.commit,
      since: current ? current.deploy_end_at ?? current.deploy_start_at : null,
      incoming: state === 'live' ? null : incoming,
      blocked: current?.release_candidate_version === env.release_candidate_version ? current?.candidate_blocked ?? null : null,
    };
  });
  return { project: presence.project, rows, target: project ? defaultWatchTarget(project) : rows[rows.length - 1]?.environment };
}

// ── markdown ──────────────────────────────────────────────────────────────────────────────────────────

/** A link to one of the hover's commands; its arguments travel JSON-encoded in the URI. */
function link(text: string, command: HoverCommand, args: unknown, title: string): string {
  return commandLink(text, command, args, title);
}

/** A full or abbreviated commit id, the only thing a hover passes to a command as `sha`. */
const HEX_SHA = /^[0-9a-f]{7,64}$/i;

export function isHexSha(value: string): boolean {
  return HEX_SHA.test(value);
}

const MARK: Record<RowState, string> = { live: '✓', rolling: '◐', deploying: '◐', not_yet: '✗', unknown: '?', empty: '–' };

export interface UnknownReason {
  shallow: boolean;
}

function rowMarkdown(project: string, row: CommitStanding, unknown: UnknownReason, now: number): string {
  const v = (candidate: string | null): string => escapeMarkdown(candidate ?? '');
  const name = link(escapeMarkdown(row.environment), 'flightdeck.openStage', { project, environment: row.environment },
    `Open the stage of ${project}/${row.environment}`);
  const runs = row.candidate ? ` (runs ${v(row.candidate)})` : '';
  let text: string;
  switch (row.state) {
    case 'live':
      text = `${v(row.candidate)}${row.since ? `, ${formatAge(row.since, now)}` : ''}`;
      break;
    case 'rolling':
      text = `rolling out ${v(row.incoming?.candidate ?? null)} at ${row.incoming?.percent ?? 0}%${row.incoming?.paused ? ', paused' : ''}${runs}`;
      break;
    case 'deploying':
      text = `deploying ${v(row.incoming?.candidate ?? null)}${runs}`;
      break;
    case 'not_yet':
      text = `not yet${runs}`;
      break;
    case 'unknown':
      text = `unknown${runs}: ${unknown.shallow ? 'this shallow clone lacks the history to tell' : 'its commit is not in this clone'}`;
      break;
    case 'empty':
      text = 'nothing deployed';
      break;
  }
  const blocked = row.blocked && row.candidate
    ? ` · $(circle-slash) blocked: ${escapeMarkdown(row.blocked.reason)} · ${link('Unblock', 'flightdeck.unblockCandidate', { project, candidate: row.candidate }, `Unblock ${row.candidate} (asks first)`)}`
    : '';
  return `${MARK[row.state]} ${name} — ${text}${blocked}`;
}

export type DeploymentState =
  | { kind: 'ready'; projects: ProjectRows[]; shallow: boolean; staleSince: number | undefined }
  /** The time box ran out before the ancestry answer; it is still being computed (and then cached). */
  | { kind: 'pending' }
  /** No data from the release server to answer with. */
  | { kind: 'unavailable'; reason: 'connecting' | 'offline' | 'signin' }
  /** Nothing to say: no project of this server tracks the commit's repository. */
  | { kind: 'unrelated' }
  | { kind: 'failed'; message: string };

export type HoverSubject =
  | { kind: 'sha'; sha: string }
  | { kind: 'blame'; sha: string; line: number };

/** At most this many projects in one hover; the rest are counted (the quick pick shows them all). */
export const MAX_HOVER_PROJECTS = 6;

/**
 * The Flightdeck section of a hover about a commit, or undefined when there is nothing worth showing
 * (no project tracks the repository).
 */
export function commitHoverMarkdown(
  subject: HoverSubject,
  info: CommitInfo | undefined,
  deployments: DeploymentState,
  now: number = Date.now(),
): string | undefined {
  // The SHA goes into command links: anything but a commit id (git's answer is one) gets no hover.
  if (deployments.kind === 'unrelated' || !isHexSha(subject.sha)) return undefined;
  const sha = subject.sha;
  const short = markdownCode(shortSha(sha));
  const header: string[] = [subject.kind === 'blame'
    ? `$(rocket) **Flightdeck** · line ${subject.line} was last changed in ${short}`
    : `$(rocket) **Flightdeck** · commit ${short}`];
  if (info) {
    const when = formatAge(info.authorDate, now);
    header.push(`**${escapeMarkdown(info.subject)}**  \n${escapeMarkdown(info.authorName)}${when ? ` · ${when}` : ''}`);
  }
  const body: string[] = [];
  const footer: string[] = [];
  switch (deployments.kind) {
    case 'ready': {
      const shown = deployments.projects.slice(0, MAX_HOVER_PROJECTS);
      const anyUnknown = shown.some((p) => p.rows.some((r) => r.state === 'unknown'));
      for (const project of shown) {
        const lines = project.rows.map((row) => rowMarkdown(project.project, row, { shallow: deployments.shallow }, now));
        body.push([`**${escapeMarkdown(project.project)}**`, ...lines].join('  \n'));
      }
      const hidden = deployments.projects.length - shown.length;
      if (hidden > 0) body.push(`_and ${plural(hidden, 'more project')}: run “Where Is Commit Deployed…” to see them all._`);
      if (deployments.shallow && anyUnknown) body.push('_This clone is shallow: `git fetch --unshallow` lets Flightdeck tell._');
      if (deployments.staleSince !== undefined) {
        body.push(`_The release server is offline: this is what it said ${formatAge(new Date(deployments.staleSince).toISOString(), now)}._`);
      }
      const first = shown[0];
      if (first) {
        const next = first.rows.find((r) => r.state !== 'live') ?? first.rows[first.rows.length - 1];
        if (next) {
          footer.push(link('$(pulse) Open Stage', 'flightdeck.openStage', { project: first.project, environment: next.environment },
            `Open the stage of ${first.project}/${next.environment}`));
        }
        const target = first.target;
        const targetRow = first.rows.find((r) => r.environment === target);
        if (target && targetRow && targetRow.state !== 'live') {
          const args = shown.length === 1 ? { sha, project: first.project, environment: target } : { sha };
          footer.push(link(`$(eye) Watch Until ${escapeMarkdown(capitalize(target))}`, 'flightdeck.watchCommit', args,
            `Notify me when ${shortSha(sha)} is live in ${target}`));
        }
      }
      if (anyUnknown && !deployments.shallow) {
        footer.push(link('$(repo-fetch) Fetch', 'flightdeck.fetchCommit', { sha }, 'Fetch from the remote (git fetch) so the deployed commits are known'));
      }
      break;
    }
    case 'pending':
      body.push('_Still working out where it is deployed (a first look at a large history); hover again in a moment._');
      break;
    case 'unavailable':
      body.push(deployments.reason === 'signin'
        ? `_Where it is deployed: ${link('sign in', 'flightdeck.signIn', {}, 'Sign in to the release server')} to the release server to see._`
        : deployments.reason === 'offline'
          ? '_Where it is deployed is unknown: the release server cannot be reached._'
          : '_Where it is deployed is unknown yet: connecting to the release server._');
      break;
    case 'failed':
      body.push(`_Cannot tell where it is deployed: ${escapeMarkdown(deployments.message)}_`);
      break;
  }
  footer.push(link('$(copy) Copy SHA', 'flightdeck.copySha', { sha }, `Copy ${sha}`));
  return [header.join('\n\n'), body.join('\n\n'), footer.join(' · ')].filter((s) => s !== '').join('\n\n---\n\n');
}

/** A deployed commit this clone does not have: say so, and offer a fetch the user has to click. */
export interface MissingCommit {
  token: string;
  deployedIn: { project: string; environment: string; candidate: string; commit: string; active: boolean }[];
}

export function missingCommitMarkdown(missing: MissingCommit): string | undefined {
  // The server's commit goes into command links and titles: only a commit id does (a rogue server's
  // "commit" could be anything), else the hex token the user pointed at, else no hover.
  const commit = [missing.deployedIn[0]?.commit, missing.token].find((c): c is string => c !== undefined && isHexSha(c));
  if (commit === undefined) return undefined;
  const where = missing.deployedIn.slice(0, 4).map((d) =>
    `${escapeMarkdown(d.project)}/${escapeMarkdown(d.environment)} ${d.active ? 'is deploying' : 'runs'} ${escapeMarkdown(d.candidate)}`);
  return [
    `$(rocket) **Flightdeck** · commit ${markdownCode(shortSha(commit))}`,
    `${where.join('; ')}${missing.deployedIn.length > 4 ? '; …' : ''}.  \nThis commit is not in your local clone, so Flightdeck cannot compare it with your history.`,
    [
      link('$(repo-fetch) Fetch', 'flightdeck.fetchCommit', { sha: commit }, 'Run git fetch for this repository'),
      link('$(copy) Copy SHA', 'flightdeck.copySha', { sha: commit }, `Copy ${commit}`),
    ].join(' · '),
  ].join('\n\n');
}

// ── the current-line annotation ──────────────────────────────────────────────────────────────────────

const COMPACT: Record<Exclude<RowState, 'empty'>, (row: CommitStanding) => string> = {
  live: (r) => `✓ ${r.environment}`,
  rolling: (r) => `◐ ${r.environment} ${r.incoming?.percent ?? 0}%`,
  deploying: (r) => `◐ ${r.environment}`,
  not_yet: (r) => `✗ ${r.environment}`,
  unknown: (r) => `? ${r.environment}`,
};

/**
 * One project's rungs in a few words: the highest rung that runs the commit, every rung above it that is
 * on its way (a rollout, a deployment) or unknown, and the top rung: `✓ canary · ◐ rollout 10% · ✗
 * production`. A rung below the highest live one that does not run it (rolled back, another branch) is
 * shown too. Environments with nothing deployed are left out.
 */
export function compactRows(rows: readonly CommitStanding[]): string[] {
  const shown = rows.filter((row) => row.state !== 'empty');
  let highestLive = -1;
  shown.forEach((row, i) => {
    if (row.state === 'live') highestLive = i;
  });
  const parts: string[] = [];
  shown.forEach((row, i) => {
    if (row.state === 'empty') return;
    const isTop = i === shown.length - 1;
    if (i === highestLive || (i < highestLive && row.state !== 'live')) parts.push(COMPACT[row.state](row));
    else if (i > highestLive && (isTop || row.state === 'rolling' || row.state === 'deploying' || row.state === 'unknown')) parts.push(COMPACT[row.state](row));
  });
  if (highestLive < 0 && parts.length > 0 && parts.every((p) => p.startsWith('✗'))) return ['✗ not live anywhere yet'];
  return parts;
}

/**
 * `a1b2c3d  ✓ canary · ✗ production`, with `project:` labels when several projects share the repository;
 * undefined when there is nothing to say.
 */
export function annotationText(sha: string, projects: readonly ProjectRows[]): string | undefined {
  const labelled = projects.length > 1;
  const segments = projects.flatMap((project) => {
    const parts = compactRows(project.rows);
    return parts.length === 0 ? [] : [`${labelled ? `${project.project}: ` : ''}${parts.join(' · ')}`];
  });
  if (segments.length === 0) return undefined;
  return `${shortSha(sha)}  ${segments.join('  │  ')}`;
}

/** One line per environment for the quick pick: label, description, detail. */
export function rowSummary(row: CommitStanding, now: number = Date.now()): { mark: string; description: string } {
  const runs = row.candidate ? `runs ${row.candidate}` : '';
  switch (row.state) {
    case 'live':
      return { mark: MARK.live, description: `live · ${row.candidate ?? ''}${row.since ? ` · ${formatAge(row.since, now)}` : ''}` };
    case 'rolling':
      return { mark: MARK.rolling, description: `rolling out ${row.incoming?.candidate ?? ''} at ${row.incoming?.percent ?? 0}%${row.incoming?.paused ? ' (paused)' : ''}${runs ? ` · ${runs}` : ''}` };
    case 'deploying':
      return { mark: MARK.deploying, description: `deploying ${row.incoming?.candidate ?? ''}${runs ? ` · ${runs}` : ''}` };
    case 'not_yet':
      return { mark: MARK.not_yet, description: `not yet · ${runs}` };
    case 'unknown':
      return { mark: MARK.unknown, description: `unknown · ${runs}` };
    case 'empty':
      return { mark: MARK.empty, description: 'nothing deployed' };
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ── finding a SHA in text ────────────────────────────────────────────────────────────────────────────

/**
 * A 7–40 (or 64, SHA-256) hex token with word boundaries on both sides, or after `-g` as in
 * `git describe` output (`v1.2.0-3-g1a2b3c4`).
 */
const SHA_TOKEN = /(?:(?<![0-9A-Za-z_])|(?<=-g))([0-9a-fA-F]{7,40}|[0-9a-fA-F]{64})(?![0-9A-Za-z_])/g;
/** Only this much of a long line (minified code) is looked at around the position. */
const WINDOW = 128;

export interface ShaToken {
  text: string;
  /** Character offsets in the line: `start` inclusive, `end` exclusive. */
  start: number;
  end: number;
}

/** The SHA-like token under `character` (the character at that offset, or the one just before it ends). */
export function findShaAt(lineText: string, character: number): ShaToken | undefined {
  const from = Math.max(0, character - WINDOW);
  const slice = lineText.slice(from, character + WINDOW);
  for (const match of slice.matchAll(SHA_TOKEN)) {
    const text = match[1];
    if (text === undefined || match.index === undefined) continue;
    const start = from + match.index;
    const end = start + text.length;
    // Tokens cut by the window edge are not whole tokens.
    if ((start === from && from > 0) || (end === from + slice.length && end < lineText.length)) continue;
    if (character >= start && character < end) return { text, start, end };
  }
  return undefined;
}

/** The hover for a line that git has no commit for (changed in the editor or on disk, or untracked). */
export function uncommittedMarkdown(line: number): string {
  return `$(rocket) **Flightdeck** · line ${line} is not committed yet, so it is not deployed anywhere.`;
}
