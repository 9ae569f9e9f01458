// The stage panel's state: a pure reducer (a parsed host message or a local input in, a new state out)
// and the selectors the renderer reads. No DOM, no clock, no randomness here: time arrives as `tick`
// inputs, so everything is unit-testable with node:test (test/unit/webview/).
import type {
  ActionName, ActionOutcome, Freshness, HostToWebview, StageIdentity, StagePersistedState, StageView,
} from '../src/api/protocol';
import type { Deployment, ReleaseEvent } from '../src/api/schemas';
import { actionPlan, actionTitle, type ActionPlan } from '../src/core/actionPlan';
import { isTerminal } from '../src/core/deploymentStatus';
import { eventTitle } from '../src/core/eventText';
import { formatDateTime, formatDuration, humanize } from '../src/core/format';
import { offlineSince, updatedAgo } from '../src/core/freshness';

export const MAX_LOG = 200;
export const MAX_HISTORY = 50;
/** One banner at a time: a new one replaces the last, so they never pile up. */
export const MAX_NOTICES = 1;
export const MAX_RECENT = 100;

export interface Notice {
  id: string;
  /** info: done (✓); warning: not done (the confirmation dismissed); error: failed or refused. */
  kind: 'info' | 'warning' | 'error';
  text: string;
  at: number;
  /** The deployment the action started: the banner follows it to what is true now. */
  deploymentId?: string;
  environment?: string;
  action?: ActionName;
}

export interface PendingAction {
  requestId: string;
  action: ActionName;
}

export interface StageState {
  identity: StageIdentity | null;
  view: StageView | null;
  /** True while `view` came from persisted state and no snapshot has arrived since the reload. */
  stale: boolean;
  /** Events about this environment (or the whole project), newest first: the event log. */
  log: ReleaseEvent[];
  /**
   * The latest events about any environment of the project, oldest first: re-applied over a snapshot
   * that was built before they arrived (see StageView.eventCursor).
   */
  recent: ReleaseEvent[];
  freshness: Freshness;
  unavailable: string | null;
  pending: PendingAction[];
  notices: Notice[];
  collapsed: string[];
  now: number;
}

/** Inputs that come from the webview itself, not the host. */
export type LocalInput =
  | { type: 'tick'; now: number }
  | { type: 'toggleSection'; section: string }
  | { type: 'actionRequested'; requestId: string; action: ActionName }
  | { type: 'dismissNotice'; id: string };

export type StageInput = HostToWebview | LocalInput;

export function initialState(identity: StageIdentity | null, now: number, persisted?: StagePersistedState): StageState {
  const usable = persisted && (!identity || sameIdentity(persisted.identity, identity)) ? persisted : undefined;
  return {
    identity: identity ?? usable?.identity ?? null,
    view: usable?.view ?? null,
    stale: usable?.view != null,
    log: usable?.view?.log ?? [],
    recent: [],
    freshness: { stream: 'connecting', lastUpdateAt: null, error: null },
    unavailable: null,
    pending: [],
    notices: [],
    collapsed: usable?.collapsed ?? [],
    now,
  };
}

/** What the webview saves with setState: enough to restore the panel (and its look) after a reload. */
export function persistedState(state: StageState): StagePersistedState | undefined {
  if (!state.identity) return undefined;
  return { v: 1, identity: state.identity, collapsed: state.collapsed, view: state.view ? { ...state.view, log: state.log.slice(0, 50) } : null };
}

export function reduce(state: StageState, input: StageInput): StageState {
  switch (input.type) {
    case 'snapshot': {
      let view = input.view;
      for (const event of state.recent) if (event.id > view.eventCursor) view = applyEvent(view, event);
      return {
        ...state,
        identity: { project: view.project.name, environment: view.environment.name },
        view,
        stale: false,
        log: mergeLog(view.log, state.log.filter((e) => e.id > (view.log[0]?.id ?? 0))),
        freshness: input.freshness,
        unavailable: null,
      };
    }
    case 'events': {
      const known = new Set([...state.recent.map((e) => e.id), ...state.log.map((e) => e.id)]);
      const fresh = input.events.filter((e) => !known.has(e.id)).sort((a, b) => a.id - b.id);
      let view = state.view;
      if (view) for (const event of fresh) view = applyEvent(view, event);
      const identity = state.identity;
      const relevant = identity ? fresh.filter((e) => isAboutStage(e, identity)) : [];
      const recent = fresh.length > 0 ? [...state.recent, ...fresh].slice(-MAX_RECENT) : state.recent;
      const notices = followNotices(state.notices, fresh, state.now);
      return { ...state, view, recent, notices, log: relevant.length > 0 ? mergeLog(relevant, state.log) : state.log, freshness: input.freshness };
    }
    case 'freshness':
      return { ...state, freshness: input.freshness };
    case 'unavailable':
      return { ...state, unavailable: input.message };
    case 'actionResult': {
      const pending = state.pending.filter((p) => p.requestId !== input.requestId);
      const notice = noticeFor(input.action, input.outcome, input.message, input.deployment, state.now, input.requestId);
      let view = state.view;
      if (view && input.deployment) view = applyDeployment(view, input.deployment);
      return { ...state, view, pending, notices: [notice, ...state.notices.filter((n) => n.id !== notice.id)].slice(0, MAX_NOTICES) };
    }
    case 'tick':
      return input.now === state.now ? state : { ...state, now: input.now };
    case 'toggleSection': {
      const collapsed = state.collapsed.includes(input.section)
        ? state.collapsed.filter((s) => s !== input.section)
        : [...state.collapsed, input.section];
      return { ...state, collapsed };
    }
    case 'actionRequested':
      return { ...state, pending: [...state.pending, { requestId: input.requestId, action: input.action }] };
    case 'dismissNotice':
      return { ...state, notices: state.notices.filter((n) => n.id !== input.id) };
  }
}

function sameIdentity(a: StageIdentity, b: StageIdentity): boolean {
  return a.project === b.project && a.environment === b.environment;
}

/** The log shows this environment's events and project-wide ones (environment null). */
export function isAboutStage(event: ReleaseEvent, identity: StageIdentity): boolean {
  return event.data.project === identity.project
    && (event.data.environment === identity.environment || event.data.environment === null);
}

function mergeLog(newer: readonly ReleaseEvent[], older: readonly ReleaseEvent[]): ReleaseEvent[] {
  const seen = new Set<number>();
  const merged: ReleaseEvent[] = [];
  for (const event of [...newer, ...older]) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    merged.push(event);
  }
  return merged.sort((a, b) => b.id - a.id).slice(0, MAX_LOG);
}

/** Applies what an event tells about a deployment; structural changes come with the next snapshot. */
export function applyEvent(view: StageView, event: ReleaseEvent): StageView {
  const deployment = event.data.deployment;
  if (!deployment || event.data.project !== view.project.name) return view;
  return applyDeployment(view, deployment);
}

/** Deployment ids are decimal strings (API.md); a larger one is newer. */
function newer(a: Pick<Deployment, 'id'>, b: Pick<Deployment, 'id'>): boolean {
  const x = Number(a.id);
  const y = Number(b.id);
  if (Number.isFinite(x) && Number.isFinite(y)) return x > y;
  return a.id > b.id;
}

/** An update older than what is shown (a re-applied or late event) must not move the view backwards. */
function older(incoming: Deployment, shown: Deployment | null | undefined): boolean {
  if (!shown || shown.id !== incoming.id) return false;
  const a = Date.parse(incoming.updated_at);
  const b = Date.parse(shown.updated_at);
  return !Number.isNaN(a) && !Number.isNaN(b) && a < b;
}

export function applyDeployment(view: StageView, deployment: Deployment): StageView {
  if (deployment.project !== view.project.name) return view;
  if (deployment.environment_name === view.environment.name) {
    const shown = view.history.find((d) => d.id === deployment.id) ?? (view.environment.active?.id === deployment.id ? view.environment.active : undefined);
    if (older(deployment, shown)) return view;
  }
  const ladder = view.ladder.map((rung) => {
    if (rung.name !== deployment.environment_name) return rung;
    const terminal = isTerminal(deployment);
    let { candidate, activeCandidate } = rung;
    if (!terminal) activeCandidate = deployment.release_candidate_version;
    else if (activeCandidate === deployment.release_candidate_version) activeCandidate = null;
    if (deployment.status === 'success') candidate = deployment.release_candidate_version;
    return { ...rung, candidate, activeCandidate };
  });
  let below = view.below;
  if (below && below.name === deployment.environment_name && deployment.status === 'success') {
    below = { ...below, current: { environment: below.name, candidate: deployment.release_candidate_version, commit: deployment.commit } };
  }
  if (deployment.environment_name !== view.environment.name) return { ...view, ladder, below };

  const env = view.environment;
  let active = env.active;
  if (!isTerminal(deployment)) {
    if (!active || active.id === deployment.id || newer(deployment, active)) active = deployment;
  } else if (active?.id === deployment.id) {
    active = null;
  }
  let current = env.current;
  if (deployment.status === 'success' && (!current || current.id === deployment.id || newer(deployment, current))) current = deployment;

  const index = view.history.findIndex((d) => d.id === deployment.id);
  const history = index >= 0
    ? view.history.map((d, i) => (i === index ? deployment : d))
    : [deployment, ...view.history].sort((a, b) => (newer(a, b) ? -1 : newer(b, a) ? 1 : 0)).slice(0, MAX_HISTORY);
  return { ...view, ladder, below, history, environment: { ...env, active, current } };
}

function noticeFor(action: ActionName, outcome: ActionOutcome, message: string, deployment: Deployment | null, now: number, id: string): Notice {
  const title = actionTitle(action);
  if (outcome === 'failed') return { id, kind: 'error', text: `${title} failed: ${message}`, at: now, action };
  if (outcome === 'refused') return { id, kind: 'error', text: message || `${title} refused.`, at: now, action };
  if (outcome === 'cancelled') return { id, kind: 'warning', text: message || `${title} cancelled.`, at: now, action };
  const what = deployment ? ` ${deployment.release_candidate_version} (deployment ${deployment.id}, ${humanize(deployment.status)})` : '';
  return { id, kind: 'info', text: message || `${title} done${what}.`, at: now, action, ...(deployment ? { deploymentId: deployment.id, environment: deployment.environment_name } : {}) };
}

/**
 * A banner about a deployment the user started says what is true now: "1.5.0-rc1 is live in canary" when
 * it succeeds, its failure (and the automatic rollback that followed) when it fails — never a stale
 * "Promote started" after a rollback.
 */
export function followNotices(notices: readonly Notice[], events: readonly ReleaseEvent[], now: number): Notice[] {
  if (notices.every((n) => n.deploymentId === undefined)) return notices as Notice[];
  return notices.map((notice) => {
    let next = notice;
    for (const event of events) {
      const d = event.data.deployment;
      if (!d || next.deploymentId === undefined) continue;
      const title = next.action ? actionTitle(next.action) : 'Deployment';
      if (d.id === next.deploymentId) {
        if (d.status === 'success' && next.kind !== 'error') {
          next = { ...next, kind: 'info', text: `${d.release_candidate_version} is live in ${d.environment_name}.`, at: now };
        } else if (d.status === 'failure' || d.status === 'error') {
          next = { ...next, kind: 'error', text: `${title} of ${d.release_candidate_version} ${d.status === 'error' ? 'errored' : 'failed'}${d.error_message ? `: ${d.error_message.replace(/\.$/, '')}` : ''}.`, at: now };
        } else if (d.status === 'canceled') {
          next = { ...next, kind: 'warning', text: `${title} of ${d.release_candidate_version} was canceled.`, at: now };
        }
      } else if (event.type === 'deployment.created' && d.kind === 'auto_rollback' && d.environment_name === next.environment
        && next.kind === 'error' && !next.text.includes('rolled back')) {
        next = { ...next, text: `${next.text} Flightdeck rolled back to ${d.release_candidate_version}.`, at: now };
      }
    }
    return next;
  });
}

// ── selectors ────────────────────────────────────────────────────────────────────────────────────

export interface Availability {
  enabled: boolean;
  /** Why it is disabled (shown next to the button), or a hint when enabled. */
  reason: string | null;
}

export type Availabilities = Record<ActionName, Availability>;

const ok: Availability = { enabled: true, reason: null };
const no = (reason: string): Availability => ({ enabled: false, reason });

/** The core action plan for what the panel shows (core/actionPlan: the same rules as the tree and the palette). */
export function planOf(view: StageView): ActionPlan {
  return actionPlan({
    project: view.project.name,
    environment: view.environment,
    source: view.below ? { name: view.below.name, current: view.below.current } : null,
    caller: view.caller ?? undefined,
    rollbackTarget: view.rollbackTarget ? { release_candidate_version: view.rollbackTarget.candidate, commit: view.rollbackTarget.commit } : null,
    capabilities: view.capabilities,
    role: view.role,
  });
}

/** Which actions the panel offers now, and for each disabled one the reason shown beside it. */
export function availability(state: StageState): Availabilities {
  const view = state.view;
  if (!view || state.unavailable !== null) {
    const reason = no(state.unavailable ?? 'Loading…');
    return {
      promote: reason, rollback: reason, pause: reason, resume: reason, abort: reason, freeze: reason, unfreeze: reason,
      approve: reason, reject: reason, block: reason, unblock: reason,
    };
  }
  const plan = planOf(view);
  const of = (action: ActionName): Availability => {
    const planned = plan[action];
    if (!planned.available) return no(planned.reason);
    // One request at a time per action: the host is showing its confirmation.
    return state.pending.some((p) => p.action === action) ? no('Waiting for confirmation…') : ok;
  };
  return {
    promote: of('promote'), rollback: of('rollback'), pause: of('pause'), resume: of('resume'), abort: of('abort'),
    freeze: of('freeze'), unfreeze: of('unfreeze'),
    approve: of('approve'), reject: of('reject'), block: of('block'), unblock: of('unblock'),
  };
}

/** The button's title: "Force Rollback" on a frozen environment (core/actionPlan). */
export function actionLabel(state: StageState, action: ActionName): string {
  return actionTitle(action, state.view ? planOf(state.view) : undefined);
}

export type SoakStatus =
  | { kind: 'paused' }
  | { kind: 'applying'; percent: number }
  | { kind: 'soaking'; remainingSeconds: number; totalSeconds: number; nextPercent: number | null }
  | { kind: 'finishing' };

/**
 * Where the active rollout is in its current step. The API has no "soak started at": the engine updates
 * the deployment when it applies a step, so `updated_at` is when the current soak began (an estimate).
 */
export function soakStatus(active: Deployment | null, now: number): SoakStatus | null {
  const rollout = active?.rollout;
  if (!active || !rollout || isTerminal(active)) return null;
  if (rollout.paused) return { kind: 'paused' };
  const step = rollout.steps[rollout.step];
  if (!step) return { kind: 'finishing' };
  if (rollout.percent < step.percent) return { kind: 'applying', percent: step.percent };
  const next = rollout.steps[rollout.step + 1];
  if (!next && step.soak_seconds === 0) return { kind: 'finishing' };
  // The engine says when the soak ends; an older server does not, and the last update is the estimate.
  const endsAt = rollout.soak_ends_at ? Date.parse(rollout.soak_ends_at) : Number.NaN;
  let remaining: number;
  if (!Number.isNaN(endsAt)) {
    remaining = (endsAt - now) / 1000;
  } else {
    const started = Date.parse(active.updated_at);
    remaining = step.soak_seconds - (Number.isNaN(started) ? 0 : Math.max(0, (now - started) / 1000));
  }
  return { kind: 'soaking', remainingSeconds: Math.max(0, Math.ceil(remaining)), totalSeconds: step.soak_seconds, nextPercent: next?.percent ?? null };
}

export interface Segment {
  percent: number;
  /** The share of the bar this step covers (the traffic it adds over the step before). */
  width: number;
  state: 'done' | 'current' | 'todo';
  soakSeconds: number;
}

/** The rollout as a segmented bar: one segment per step, sized by the traffic each step adds. */
export function rolloutSegments(deployment: Deployment): Segment[] {
  const rollout = deployment.rollout;
  if (!rollout) return [];
  const finished = deployment.status === 'success';
  let previous = 0;
  return rollout.steps.map((step, index) => {
    const width = Math.max(0, step.percent - previous);
    previous = step.percent;
    const state: Segment['state'] = finished || index < rollout.step || (index === rollout.step && rollout.percent >= step.percent && isTerminal(deployment))
      ? 'done'
      : index === rollout.step ? 'current' : 'todo';
    return { percent: step.percent, width, state, soakSeconds: step.soak_seconds };
  });
}

export interface TimelineEntry {
  id: number;
  at: string;
  text: string;
  tone: 'ok' | 'bad' | 'neutral';
}

/**
 * What the server told about one deployment over time (its events, oldest first): steps applied, soaks
 * passed, pauses, and the failure reason when a health check or step failed. The API has no separate
 * health-check history; this is as much of it as the events carry.
 */
export function deploymentTimeline(log: readonly ReleaseEvent[], deploymentId: string): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let last: Deployment | undefined;
  for (const event of [...log].sort((a, b) => a.id - b.id)) {
    const d = event.data.deployment;
    if (!d || d.id !== deploymentId) continue;
    const text = describeChange(last, d);
    last = d;
    if (!text) continue;
    entries.push({ id: event.id, at: event.data.at, text: text.text, tone: text.tone });
  }
  return entries;
}

function describeChange(before: Deployment | undefined, d: Deployment): { text: string; tone: TimelineEntry['tone'] } | undefined {
  const r = d.rollout;
  const pr = before?.rollout;
  if (d.status === 'failure' || d.status === 'error') {
    return { text: `${humanize(d.status)}${d.error_message ? `: ${d.error_message}` : ''}`, tone: 'bad' };
  }
  if (d.status === 'success' && before?.status !== 'success') return { text: r ? 'All steps done: 100% live' : 'Succeeded', tone: 'ok' };
  if (d.status === 'canceling' || d.status === 'canceled') return before?.status === d.status ? undefined : { text: humanize(d.status), tone: 'bad' };
  if (!before) return { text: r ? `Started at step ${r.step + 1} of ${r.steps.length}` : `Started (${humanize(d.status)})`, tone: 'neutral' };
  if (r && pr) {
    if (r.paused && !pr.paused) return { text: `Paused at ${r.percent}%`, tone: 'neutral' };
    if (!r.paused && pr.paused) return { text: `Resumed at ${r.percent}%`, tone: 'neutral' };
    if (r.step > pr.step) {
      const soak = pr.steps[pr.step]?.soak_seconds ?? 0;
      return { text: `Step ${pr.step + 1} healthy${soak > 0 ? ` through a ${formatDuration(soak)} soak` : ''}; step ${r.step + 1}: ${r.steps[r.step]?.percent ?? r.percent}%`, tone: 'ok' };
    }
    if (r.percent !== pr.percent) return { text: `${r.percent}% live`, tone: 'neutral' };
  }
  if (d.status !== before.status) return { text: humanize(d.status), tone: 'neutral' };
  return undefined;
}

export type FreshnessTone = 'live' | 'stale' | 'offline' | 'connecting';

/** The indicator in the header: "live", "reconnecting…", "updated 8 s ago", "offline — showing data from 10:42". */
export function freshnessText(freshness: Freshness, now: number): { text: string; tone: FreshnessTone; detail: string } {
  const ago = freshness.lastUpdateAt === null ? 'no data yet' : updatedAgo(freshness.lastUpdateAt, now);
  if (freshness.error !== null) {
    return {
      text: offlineSince(freshness.lastUpdateAt),
      tone: 'offline',
      detail: freshness.error,
    };
  }
  switch (freshness.stream) {
    case 'live':
      return { text: 'live', tone: 'live', detail: `Streaming events from the release server; ${ago}.` };
    case 'reconnecting':
      return { text: 'reconnecting…', tone: 'stale', detail: `The event stream dropped; ${ago}.` };
    case 'connecting':
      return { text: freshness.lastUpdateAt === null ? 'connecting…' : ago, tone: 'connecting', detail: 'Connecting to the event stream.' };
    case 'closed':
    case 'unsupported':
      return { text: ago, tone: 'stale', detail: freshness.stream === 'unsupported' ? 'This server has no event stream; the panel polls.' : 'No event stream; the panel polls.' };
  }
}

/** One line for the event log. */
export function describeEvent(event: ReleaseEvent): string {
  const d = event.data.deployment;
  const where = event.data.environment ?? 'project';
  switch (event.type) {
    case 'deployment.created':
      return d ? `${humanize(d.kind)} of ${d.release_candidate_version} to ${d.environment_name} by ${d.actor} (${humanize(d.status)})` : `Deployment created in ${where}`;
    case 'deployment.updated': {
      if (!d) return `Deployment updated in ${where}`;
      const rollout = d.rollout ? ` · step ${d.rollout.step + 1}/${d.rollout.steps.length} · ${d.rollout.percent}%${d.rollout.paused ? ' · paused' : ''}` : '';
      const error = d.error_message ? ` — ${d.error_message}` : '';
      return `${d.release_candidate_version} in ${d.environment_name}: ${humanize(d.status)}${rollout}${error}`;
    }
    case 'environment.updated':
      return `Environment ${where} changed`;
    case 'project.updated':
      return `Project ${event.data.project} changed`;
    case 'release.created':
      return `New release candidate in ${event.data.project}`;
    case 'release.updated':
      return `A release candidate in ${event.data.project} was blocked or unblocked`;
  }
}

export interface LogEntry {
  key: string;
  /** ISO time of the event (or of the deployment, for history from before the panel opened). */
  at: string;
  /** "Health check failing", "Automatic rollback": never the wire name. */
  title: string;
  text: string;
  tone: 'ok' | 'bad' | 'neutral';
  /** The event's type; undefined for an entry from the deployment history. */
  type: ReleaseEvent['type'] | undefined;
}

/**
 * The event log: the events seen live, newest first, then — so a panel never opens on an empty log — the
 * environment's recent deployments from before the first of them (each once, by its latest state).
 */
export function logEntries(log: readonly ReleaseEvent[], history: readonly Deployment[], limit: number, failureThreshold?: number): LogEntry[] {
  // A deployment's previous state, to tell a health check's verdict from a change of status.
  const before = new Map<number, Deployment>();
  const last = new Map<string, Deployment>();
  for (const event of [...log].sort((a, b) => a.id - b.id)) {
    const d = event.data.deployment;
    if (!d) continue;
    const previous = last.get(d.id);
    if (previous) before.set(event.id, previous);
    last.set(d.id, d);
  }
  const entries: LogEntry[] = log.slice(0, limit).map((event) => {
    const health = healthChange(before.get(event.id), event, failureThreshold);
    return {
      key: `e${event.id}`,
      at: event.data.at,
      title: health?.title ?? eventTitle(event),
      text: health?.text ?? describeEvent(event),
      tone: health?.tone ?? toneOf(event.data.deployment),
      type: event.type,
    };
  });
  const seen = new Set(log.map((e) => e.data.deployment?.id).filter((id): id is string => id !== undefined));
  const oldest = log.length > 0 ? Math.min(...log.map((e) => Date.parse(e.data.at))) : Number.POSITIVE_INFINITY;
  for (const d of history) {
    if (entries.length >= limit) break;
    const at = d.deploy_end_at ?? d.updated_at;
    if (seen.has(d.id) || !(Date.parse(at) < oldest)) continue;
    const type = isTerminal(d) ? 'deployment.updated' : 'deployment.created';
    entries.push({
      key: `d${d.id}`,
      at,
      title: eventTitle({ type, data: { project: d.project, environment: d.environment_name, deployment: d, at } }),
      text: `${humanize(d.kind)} of ${d.release_candidate_version} by ${d.actor}${d.from_release_candidate_version ? ` (replaced ${d.from_release_candidate_version})` : ''}${d.error_message ? ` — ${d.error_message}` : ''}`,
      tone: toneOf(d),
      type: undefined,
    });
  }
  return entries;
}

/** An update that changed only the health record: the check's verdict, in words. */
function healthChange(previous: Deployment | undefined, event: ReleaseEvent, threshold: number | undefined): Pick<LogEntry, 'title' | 'text' | 'tone'> | undefined {
  const d = event.data.deployment;
  if (event.type !== 'deployment.updated' || !d?.health || d.health.healthy === null) return undefined;
  if (previous && (previous.status !== d.status || JSON.stringify(previous.health) === JSON.stringify(d.health))) return undefined;
  // Without the state before, only a failing verdict is sure to be the check's (a status change can carry a passing one).
  if (!previous && d.health.healthy) return undefined;
  if (d.health.healthy) return { title: 'Health check passed', text: `${d.release_candidate_version} in ${d.environment_name} is healthy`, tone: 'ok' };
  const count = `${d.health.consecutive_failures}${threshold ? `/${threshold}` : ''}`;
  return {
    title: 'Health check failing',
    text: `${d.release_candidate_version} in ${d.environment_name}: failing ${count}${d.health.last_error ? ` — ${d.health.last_error}` : ''}`,
    tone: 'bad',
  };
}

function toneOf(d: Deployment | undefined): LogEntry['tone'] {
  if (!d) return 'neutral';
  if (d.status === 'failure' || d.status === 'error' || d.health?.healthy === false) return 'bad';
  return d.status === 'success' ? 'ok' : 'neutral';
}

/** "10:42:07" for today, "11-21 10:42" for older: the log reaches back past today when it shows history. */
export function logClock(iso: string, now: number): string {
  const full = formatDateTime(iso);
  return formatDateTime(new Date(now).toISOString()).slice(0, 10) === full.slice(0, 10) ? full.slice(11) : full.slice(5, 16);
}
