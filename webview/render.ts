// Turns the state into DOM. Each section is rebuilt only when the slice of state it reads changed (the
// reducer returns new objects only for what changed), so a rollout tick does not rebuild the history
// table, and focus survives a rebuild: it returns to the element with the same data-key. Ages and the soak
// countdown are updated in place every second by tick().
import type { ActionName, CommitSummary, CommitRange, StageView, WebviewToHost } from '../src/api/protocol';
import type { Deployment, ReleaseEvent } from '../src/api/schemas';
import { badge, button, link, spinner, tag } from './components';
import { h, icon, type Child } from './dom';
import { approvalsStillNeeded, approvalSummary, awaitsApproval } from '../src/core/approvals';
import { isTerminal } from '../src/core/deploymentStatus';
import { formatAge, formatDateTime, formatDuration, humanize, plural, shortSha } from '../src/core/format';
import { healthLine, secondsAgo, summarizeHealth, type HealthSummary } from '../src/core/health';
import { autoPromoteStatus } from '../src/core/promotion';
import { splitSubject } from './subjects';
import {
  actionLabel, availability, deploymentTimeline, freshnessText, logClock, logEntries, rolloutSegments, soakStatus,
  type Availability, type StageState,
} from './state';

export interface RenderContext {
  post(message: WebviewToHost): void;
  /** `subject`: the deployment (pause, resume, abort, approve, reject) or the candidate (block, unblock) it acts on. */
  requestAction(action: ActionName, subject?: string): void;
  toggleSection(section: string): void;
  dismissNotice(id: string): void;
}

interface Section {
  id: string;
  /** Rebuilt when any of these changed (by identity). */
  deps(state: StageState): readonly unknown[];
  build(state: StageState, ctx: RenderContext): HTMLElement;
}

const LOG_SHOWN = 60;

const EVENT_ICONS: Record<ReleaseEvent['type'], string> = {
  'deployment.created': 'add',
  'deployment.updated': 'sync',
  'environment.updated': 'settings-gear',
  'project.updated': 'project',
  'release.created': 'tag',
  'release.updated': 'circle-slash',
};

export class StageRenderer {
  private readonly sections: Section[];
  private readonly built = new Map<string, { deps: readonly unknown[]; el: HTMLElement }>();
  private readonly main: HTMLElement;

  constructor(private readonly root: HTMLElement, private readonly ctx: RenderContext) {
    this.main = h('main', { class: 'stage', attrs: { id: 'stage' } });
    root.replaceChildren(this.main);
    this.sections = [
      { id: 'header', deps: (s) => [s.view, s.identity, s.freshness, s.stale, s.unavailable], build: buildHeader },
      { id: 'actions', deps: (s) => [s.view, s.pending, s.unavailable], build: buildActions },
      { id: 'notices', deps: (s) => [s.notices, s.unavailable], build: buildNotices },
      { id: 'body', deps: (s) => [s.view === null, s.unavailable !== null && s.view === null], build: buildBody },
    ];
  }

  render(state: StageState): void {
    for (const section of this.sections) this.renderSection(section, state, this.main);
    const grid = this.main.querySelector<HTMLElement>('#cards');
    if (grid && state.view) for (const card of CARDS) this.renderSection(card, state, grid);
    this.tick(state.now);
  }

  private renderSection(section: Section, state: StageState, parent: HTMLElement): void {
    const deps = section.deps(state);
    const previous = this.built.get(section.id);
    if (previous && previous.el.parentElement === parent && sameDeps(previous.deps, deps)) return;
    const el = section.build(state, this.ctx);
    el.dataset.section = section.id;
    const focusKey = previous ? focusedKeyWithin(previous.el) : undefined;
    if (previous && previous.el.parentElement === parent) previous.el.replaceWith(el);
    else parent.appendChild(el);
    this.built.set(section.id, { deps, el });
    if (focusKey !== undefined) restoreFocus(el, focusKey);
  }

  /** Every second: relative ages, the soak countdown and the freshness line, in place. */
  tick(now: number): void {
    for (const el of this.root.querySelectorAll<HTMLElement>('[data-age]')) {
      const text = formatAge(el.dataset.age ?? '', now);
      if (el.textContent !== text) el.textContent = text;
    }
    for (const el of this.root.querySelectorAll<HTMLElement>('[data-soak-end]')) {
      const remaining = Math.max(0, (Number(el.dataset.soakEnd) - now) / 1000);
      el.textContent = remaining > 0 ? `${formatDuration(remaining)} left` : 'finishing soak…';
    }
    for (const el of this.root.querySelectorAll<HTMLElement>('[data-check-at]')) {
      const text = `last check ${secondsAgo(el.dataset.checkAt ?? '', now)}`;
      if (el.textContent !== text) el.textContent = text;
    }
    for (const el of this.root.querySelectorAll<HTMLElement>('[data-promote-at]')) {
      const remaining = (Number(el.dataset.promoteAt) - now) / 1000;
      const text = remaining > 0 ? `in ${formatDuration(remaining)}` : 'now (once a health check passes)';
      if (el.textContent !== text) el.textContent = text;
    }
    const fresh = this.root.querySelector<HTMLElement>('#freshness');
    if (fresh && fresh.dataset.state) {
      const text = freshnessText(JSON.parse(fresh.dataset.state) as StageState['freshness'], now);
      const label = fresh.querySelector<HTMLElement>('.freshness-text');
      if (label && label.textContent !== text.text) label.textContent = text.text;
    }
  }
}

/**
 * What the cards' block and approval buttons depend on, as primitive values: every snapshot parses into
 * new objects, and a card rebuilt for nothing loses the element under the pointer or the focus.
 */
function actionDeps(s: StageState): readonly unknown[] {
  const v = s.view;
  return [s.pending, s.unavailable, v?.caller?.name, v?.caller?.role, v?.role, v?.capabilities.approvals, v?.capabilities.block, v?.environment.protected];
}

function sameDeps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}

function focusedKeyWithin(el: HTMLElement): string | undefined {
  const active = document.activeElement;
  if (!active || !el.contains(active)) return undefined;
  return active.closest<HTMLElement>('[data-key]')?.dataset.key;
}

function restoreFocus(el: HTMLElement, key: string): void {
  const target = [...el.querySelectorAll<HTMLElement>('[data-key]')].find((candidate) => candidate.dataset.key === key);
  if (target && !target.hasAttribute('disabled')) target.focus();
}

// ── header ───────────────────────────────────────────────────────────────────────────────────────

function buildHeader(state: StageState, ctx: RenderContext): HTMLElement {
  const view = state.view;
  const project = view?.project.name ?? state.identity?.project ?? '';
  const envName = view?.environment.name ?? state.identity?.environment ?? '';
  const env = view?.environment;
  const fresh = freshnessText(state.freshness, state.now);
  const freshnessEl = h('div', {
    class: `freshness tone-${state.stale ? 'stale' : fresh.tone}`,
    // Not a live region: "updated 8 s ago" changes every second and must not be read out each time.
    attrs: { id: 'freshness', 'aria-label': `Data freshness: ${fresh.text}. ${fresh.detail}`, title: fresh.detail, 'data-state': JSON.stringify(state.freshness) },
  }, h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' } }), h('span', { class: 'freshness-text' }, state.stale ? 'cached — refreshing…' : fresh.text));

  const badges: Child[] = env ? [
    tag(`${env.strategy}`, 'neutral', 'Strategy'),
    tag(`${env.tier}`, 'neutral', 'Tier'),
    env.frozen ? tag('frozen', 'warning', 'Frozen: deploys and promotes are refused; a rollback is forced through the freeze') : null,
    env.protected ? tag('protected', 'warning', 'Protected: only admin tokens may deploy here') : null,
  ] : [];
  return h('header', { class: 'stage-header' },
    h('div', { class: 'title-row' },
      h('h1', { class: 'title' },
        icon('rocket', 'title-icon'),
        h('span', { class: 'project' }, project),
        h('span', { class: 'sep', attrs: { 'aria-hidden': 'true' } }, '/'),
        h('span', { class: 'env' }, envName)),
      h('div', { class: 'badges' }, ...badges),
      h('div', { class: 'spacer' }),
      freshnessEl,
      button({ label: 'Refresh', key: 'refresh', icon: 'refresh', appearance: 'icon', title: 'Refresh now', onClick: () => ctx.post({ type: 'refresh' }) })),
    view ? buildLadder(view) : null);
}

function buildLadder(view: StageView): HTMLElement {
  const items: Child[] = [];
  view.ladder.forEach((rung, index) => {
    const here = rung.name === view.environment.name;
    if (index > 0) items.push(h('li', { class: 'ladder-arrow', attrs: { 'aria-hidden': 'true' } }, icon('arrow-right')));
    items.push(h('li', {
      class: `rung${here ? ' here' : ''}${rung.activeCandidate ? ' deploying' : ''}`,
      attrs: { 'aria-current': here ? 'step' : undefined, title: `${rung.name}: ${rung.strategy}, ${rung.tier}${rung.frozen ? ', frozen' : ''}` },
    },
    h('span', { class: 'rung-name' }, rung.name, rung.frozen ? icon('lock', 'rung-lock') : null),
    h('span', { class: 'rung-candidate' }, rung.candidate ?? '—'),
    rung.activeCandidate ? h('span', { class: `rung-active${rung.awaitingApproval ? ' awaiting' : ''}`, attrs: { title: rung.awaitingApproval ? 'awaiting approval' : undefined } },
      rung.awaitingApproval ? icon('watch') : icon('sync', 'spin'), `→ ${rung.activeCandidate}`) : null));
  });
  return h('ol', { class: 'ladder', attrs: { 'aria-label': 'Promotion ladder' } }, ...items);
}

// ── actions ──────────────────────────────────────────────────────────────────────────────────────

function buildActions(state: StageState, ctx: RenderContext): HTMLElement {
  const can = availability(state);
  const view = state.view;
  const active = view?.environment.active ?? null;
  const below = view?.below?.current ?? null;
  const target = view?.rollbackTarget ?? null;

  const promoteHint = below && view ? `${below.environment ?? 'below'} ${below.candidate} → ${view.environment.name}` : null;
  const live = view?.environment.current?.release_candidate_version;
  const rollbackHint = !target ? null
    : target.candidate === live ? `redeploy ${target.candidate} (live now)${active ? `, canceling ${active.release_candidate_version}` : ''}`
    : `back to ${target.candidate}${active ? `, canceling ${active.release_candidate_version}` : ''}`;
  // A frozen environment's rollback is forced through the freeze (core/actionPlan): the hint says so.
  const rollbackText = rollbackHint && view?.environment.frozen ? `${rollbackHint}, forced through the freeze` : rollbackHint;
  const paused = active?.rollout?.paused === true;
  const pauseOrResume: ActionName = paused ? 'resume' : 'pause';
  const freezeOrUnfreeze: ActionName = view?.environment.frozen ? 'unfreeze' : 'freeze';

  const group = (action: ActionName, iconName: string, appearance: 'primary' | 'secondary', hint: string | null, deploymentId?: string) =>
    actionGroup(action, actionLabel(state, action), iconName, appearance, can[action], hint, () => ctx.requestAction(action, deploymentId));
  const rolloutReason = can[pauseOrResume].enabled || can.abort.enabled ? null : can.abort.reason;
  return h('section', { class: 'actions', attrs: { 'aria-label': 'Actions' } },
    group('promote', 'arrow-up', 'primary', promoteHint),
    group('rollback', 'discard', 'secondary', rollbackText),
    h('div', { class: 'action rollout-actions', attrs: { role: 'group', 'aria-label': 'Rollout' } },
      h('div', { class: 'buttons' },
        button({
          label: actionLabel(state, pauseOrResume), key: pauseOrResume, icon: paused ? 'debug-continue' : 'debug-pause',
          disabled: !can[pauseOrResume].enabled, describedBy: 'reason-rollout',
          onClick: () => { if (active) ctx.requestAction(pauseOrResume, active.id); },
        }),
        button({
          label: 'Abort', key: 'abort', icon: 'debug-stop', disabled: !can.abort.enabled, describedBy: 'reason-rollout',
          onClick: () => { if (active) ctx.requestAction('abort', active.id); },
        })),
      h('span', { class: 'reason', attrs: { id: 'reason-rollout' } },
        rolloutReason ?? (can[pauseOrResume].enabled ? '' : can[pauseOrResume].reason ?? '') ?? '')),
    group(freezeOrUnfreeze, freezeOrUnfreeze === 'freeze' ? 'lock' : 'unlock', 'secondary', null));
}

function actionGroup(action: ActionName, title: string, iconName: string, appearance: 'primary' | 'secondary', can: Availability, hint: string | null, onClick: () => void): HTMLElement {
  const reasonId = `reason-${action}`;
  const text = can.enabled ? hint ?? '' : can.reason ?? '';
  return h('div', { class: `action action-${action}${can.enabled ? '' : ' disabled'}` },
    h('div', { class: 'buttons' },
      button({ label: title, key: action, icon: iconName, appearance, disabled: !can.enabled, describedBy: reasonId, onClick })),
    h('span', { class: `reason${can.enabled ? ' hint' : ''}`, attrs: { id: reasonId } },
      !can.enabled && can.reason ? icon('info', 'reason-icon') : null, text));
}

function buildNotices(state: StageState, ctx: RenderContext): HTMLElement {
  const items: Child[] = [];
  if (state.unavailable !== null) {
    items.push(h('div', { class: 'notice error', attrs: { role: 'alert' } }, icon('error'), h('span', {}, state.unavailable)));
  }
  for (const notice of state.notices) {
    items.push(h('div', { class: `notice ${notice.kind}` },
      icon(notice.kind === 'error' ? 'error' : notice.kind === 'warning' ? 'warning' : 'check'),
      h('span', { class: 'notice-text' }, notice.text),
      button({ label: 'Dismiss', key: `dismiss-${notice.id}`, icon: 'close', appearance: 'icon', onClick: () => ctx.dismissNotice(notice.id) })));
  }
  return h('div', { class: 'notices', attrs: { role: 'status', 'aria-live': 'polite' } }, ...items);
}

function buildBody(state: StageState): HTMLElement {
  if (!state.view) {
    return h('div', { class: 'loading' }, state.unavailable === null ? spinner('Loading the stage') : null,
      h('span', {}, state.unavailable === null ? 'Loading the stage…' : 'Nothing to show.'));
  }
  return h('div', { class: 'cards', attrs: { id: 'cards' } });
}

// ── cards ────────────────────────────────────────────────────────────────────────────────────────

function card(id: string, title: string, state: StageState, ctx: RenderContext, content: () => Child[], extra?: { count?: number | undefined; countLabel?: string; wide?: boolean; titleExtra?: Child }): HTMLElement {
  const collapsed = state.collapsed.includes(id);
  const bodyId = `${id}-body`;
  return h('section', { class: `card card-${id}${extra?.wide ? ' wide' : ''}${collapsed ? ' collapsed' : ''}`, attrs: { 'aria-labelledby': `${id}-title` } },
    h('h2', { class: 'card-title' },
      h('button', {
        class: 'card-toggle',
        attrs: { id: `${id}-title`, 'aria-expanded': collapsed ? 'false' : 'true', 'aria-controls': bodyId, 'data-key': `toggle-${id}` },
        on: { click: () => ctx.toggleSection(id) },
      }, icon(collapsed ? 'chevron-right' : 'chevron-down', 'chevron'), h('span', {}, title)),
      extra?.count !== undefined ? badge(extra.count, extra.countLabel ?? String(extra.count)) : null,
      extra?.titleExtra ?? null),
    collapsed ? null : h('div', { class: 'card-body', attrs: { id: bodyId } }, ...content()));
}

const CARDS: Section[] = [
  // The live and active cards hold the block and approval buttons: their availability depends on who the
  // caller is, what the backend can do and which requests are pending (actionDeps).
  { id: 'live', deps: (s) => [s.view?.environment.current, s.view?.environment.active, s.view?.environment.health_check, s.view?.environment.auto_promote, s.view?.ladder, s.collapsed, ...actionDeps(s)], build: buildLive },
  { id: 'active', deps: (s) => [s.view?.environment.active, s.view?.environment.health_check, s.view?.history, s.log, s.collapsed, ...actionDeps(s)], build: buildActive },
  { id: 'promote', deps: (s) => [s.view?.promoteCommits, s.view?.below, s.view?.environment.current, s.collapsed], build: buildPromote },
  { id: 'rollback', deps: (s) => [s.view?.rollbackCommits, s.view?.rollbackTarget, s.view?.environment.current, s.collapsed], build: buildRollback },
  { id: 'log', deps: (s) => [s.log, s.view?.history, s.collapsed], build: buildLog },
  { id: 'history', deps: (s) => [s.view?.history, s.collapsed], build: buildHistory },
];

function age(iso: string, now: number): HTMLElement {
  return h('time', { class: 'age', attrs: { datetime: iso, title: formatDateTime(iso), 'data-age': iso } }, formatAge(iso, now));
}

function commitLink(sha: string, ctx: RenderContext, key: string): HTMLElement {
  return link({ key, ariaLabel: `Open commit ${shortSha(sha)}`, title: `Open commit ${sha}`, onActivate: () => ctx.post({ type: 'openCommit', sha }) },
    h('code', { class: 'sha' }, shortSha(sha)));
}

function statusTag(status: Deployment['status']): HTMLElement {
  const tone = status === 'success' ? 'ok' : status === 'failure' || status === 'error' ? 'error' : status === 'canceled' || status === 'canceling' ? 'warning' : 'neutral';
  return h('span', { class: `status status-${tone}`, attrs: { title: `Status: ${humanize(status)}` } }, h('span', { class: 'status-dot', attrs: { 'aria-hidden': 'true' } }), humanize(status));
}

function buildLive(state: StageState, ctx: RenderContext): HTMLElement {
  const current = state.view?.environment.current ?? null;
  return card('live', 'Live now', state, ctx, () => {
    if (!current) return [h('p', { class: 'empty' }, `Nothing is live in ${state.view?.environment.name ?? 'this environment'} yet.`)];
    return [
      h('div', { class: 'live-head' }, h('span', { class: 'live-candidate' }, current.release_candidate_version), blockedTag(current)),
      h('dl', { class: 'facts' },
        ...blockedFacts(current, state.now),
        h('dt', {}, 'Commit'), h('dd', {}, commitLink(current.commit, ctx, 'live-commit')),
        h('dt', {}, 'Deployed'), h('dd', {}, `${humanize(current.kind)} by `, h('strong', {}, current.actor), ' · ', age(current.deploy_end_at ?? current.deploy_start_at, state.now)),
        current.from_release_candidate_version ? h('dt', {}, 'Replaced') : null,
        current.from_release_candidate_version ? h('dd', {}, h('span', { class: 'candidate' }, current.from_release_candidate_version)) : null,
        ...healthFacts(state),
        ...autoPromoteFacts(state)),
      candidateActions(state, ctx, current.release_candidate_version),
    ];
  });
}

/** "blocked" beside a candidate wherever it is shown, with the reason as its title. */
function blockedTag(d: Deployment): HTMLElement | null {
  return d.candidate_blocked ? tag('blocked', 'error', `Blocked by ${d.candidate_blocked.actor}: ${d.candidate_blocked.reason}`) : null;
}

function blockedFacts(d: Deployment, now: number): Child[] {
  const block = d.candidate_blocked;
  if (!block) return [];
  return [h('dt', {}, 'Blocked'), h('dd', { class: 'blocked-reason' }, icon('circle-slash'), h('strong', {}, block.actor), ' · ', age(block.at, now), `: ${block.reason}`)];
}

/** Block… or Unblock for the live candidate (core/actionPlan decides which, and says why not). */
function candidateActions(state: StageState, ctx: RenderContext, candidate: string): HTMLElement {
  const can = availability(state);
  const action: ActionName = can.unblock.enabled ? 'unblock' : 'block';
  const label = action === 'block' ? `${actionLabel(state, 'block')}…` : actionLabel(state, 'unblock');
  return actionGroup(action, label, action === 'block' ? 'circle-slash' : 'pass', 'secondary', can[action],
    action === 'block' ? 'stops it moving further up the ladder' : null, () => ctx.requestAction(action, candidate));
}

/** Who approved, who is still needed, until when; Approve and Reject (Withdraw for the caller's own request). */
function approvalBlock(active: Deployment, state: StageState, ctx: RenderContext): HTMLElement | null {
  const approval = active.approval;
  if (!approval || !awaitsApproval(active)) return null;
  const can = availability(state);
  const needed = approvalsStillNeeded(approval);
  const votes = approval.approvals;
  const expiresIn = (Date.parse(approval.expires_at) - state.now) / 1000;
  return h('div', { class: 'approval', attrs: { role: 'group', 'aria-label': 'Approval' } },
    h('p', { class: 'approval-summary' }, icon('watch'), approvalSummary(active)),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Approved by'),
      h('dd', {}, votes.length === 0 ? h('span', { class: 'muted' }, 'nobody yet')
        : h('ul', { class: 'votes' }, ...votes.map((v) => h('li', {}, icon('check'), h('strong', {}, v.actor), ' · ', age(v.at, state.now),
          v.comment ? h('span', { class: 'vote-comment' }, ` · “${v.comment}”`) : null)))),
      h('dt', {}, 'Still needed'),
      h('dd', {}, `${plural(needed, 'more approval')}, from anyone but ${active.actor}`),
      h('dt', {}, 'Expires'),
      h('dd', { attrs: { title: formatDateTime(approval.expires_at) } }, expiresIn > 0 ? `in ${formatDuration(expiresIn)}` : 'now', ` (${formatDateTime(approval.expires_at)})`)),
    h('div', { class: 'approval-actions' },
      actionGroup('approve', `${actionLabel(state, 'approve')}…`, 'check', 'primary', can.approve, null, () => ctx.requestAction('approve', active.id)),
      actionGroup('reject', `${actionLabel(state, 'reject')}…`, 'close', 'secondary', can.reject, null, () => ctx.requestAction('reject', active.id))));
}

/** "Health: failing 2/3 · last check 12 s ago" for the live deployment (while nothing else deploys). */
function healthFacts(state: StageState): Child[] {
  const env = state.view?.environment;
  if (!env || env.active) return [];
  const health = summarizeHealth(env, state.now);
  if (health.tone === 'none') return [];
  return [h('dt', {}, 'Health'), h('dd', {}, healthElement(health, env.current?.health?.last_checked_at ?? null))];
}

function healthElement(health: HealthSummary, checkedAt: string | null): HTMLElement {
  const iconName = health.tone === 'failing' ? 'error' : health.tone === 'healthy' ? 'pass' : 'pulse';
  return h('span', { class: `health health-${health.tone}`, attrs: { title: healthLine(health) } },
    // Beside the label "Health", the words say the verdict only: "failing 1/3", "healthy".
    icon(iconName), h('span', { class: 'health-text' }, health.text.replace(/^health (check )?/, '')),
    checkedAt ? ' · ' : null,
    checkedAt ? h('span', { attrs: { 'data-check-at': checkedAt } }, health.lastCheck) : null,
    health.error ? h('span', { class: 'health-error' }, ` — ${health.error}`) : null);
}

/** The pending auto-promotion's countdown: "Auto-promotes 1.5.0-rc1 to rollout in 4 min 05 s". */
function autoPromoteFacts(state: StageState): Child[] {
  const view = state.view;
  if (!view) return [];
  const rule = view.environment.auto_promote;
  const target = rule ? view.ladder.find((r) => r.name === rule.to) : undefined;
  const status = autoPromoteStatus(view.environment, target, state.now);
  if (!status) return [];
  if (summarizeHealth(view.environment, state.now).tone === 'failing') {
    // The engine promotes only what it saw healthy: no countdown to something that will not happen.
    return [h('dt', {}, 'Next'), h('dd', { class: 'auto-promote held' }, icon('debug-pause'), 'auto-promotion to ', status.to, ' held: the health check fails')];
  }
  const when = status.kind === 'counting'
    ? h('span', { class: 'countdown', attrs: { 'data-promote-at': status.dueAt } }, `in ${formatDuration((status.dueAt - state.now) / 1000)}`)
    : h('span', { class: 'countdown' }, 'now (once a health check passes)');
  return [h('dt', {}, 'Next'), h('dd', { class: 'auto-promote' }, icon('watch'), 'promotes ', h('span', { class: 'candidate' }, status.candidate), ` to ${status.to} `, when)];
}

function buildActive(state: StageState, ctx: RenderContext): HTMLElement {
  const view = state.view;
  const active = view?.environment.active ?? null;
  const lastFailed = !active ? view?.history.find((d) => isTerminal(d)) : undefined;
  const waiting = active !== null && awaitsApproval(active);
  const title = waiting ? 'Awaiting approval' : active ? 'Deployment in progress' : 'Deployment';
  return card('active', title, state, ctx, () => {
    const health = view?.environment.health_check ?? null;
    const summary = view ? summarizeHealth(view.environment, state.now) : null;
    const watched = view?.environment.active ?? view?.environment.current ?? null;
    const liveHealth = active && summary && summary.tone !== 'none'
      ? h('p', { class: 'health-live' }, healthElement(summary, watched?.health?.last_checked_at ?? null))
      : null;
    const configLine = health
      ? h('p', { class: 'health-config' }, icon('pulse'), `Health check: ${health.url ? `GET ${health.url}` : `${health.command ?? ''}`} every ${formatDuration(health.interval_seconds)}; rolls back after ${plural(health.failure_threshold, 'failure')} in a row.`)
      : h('p', { class: 'health-config muted' }, icon('pulse'), 'No health check configured for this environment.');
    if (!active) {
      const items: Child[] = [h('p', { class: 'empty' }, 'No deployment in progress.')];
      if (lastFailed && (lastFailed.status === 'failure' || lastFailed.status === 'error')) {
        items.push(h('p', { class: 'last-failure' }, icon('error'), `Last deployment ${lastFailed.release_candidate_version} ${humanize(lastFailed.status)} `, age(lastFailed.deploy_end_at ?? lastFailed.updated_at, state.now), lastFailed.error_message ? `: ${lastFailed.error_message}` : ''));
      }
      items.push(configLine);
      return items;
    }
    const items: Child[] = [
      h('div', { class: 'active-head' },
        h('span', { class: 'active-candidate' }, active.release_candidate_version),
        waiting ? tag('awaiting approval', 'warning') : statusTag(active.status),
        blockedTag(active),
        active.rollout?.paused ? tag('paused', 'warning') : null),
      h('p', { class: 'active-meta' }, `${humanize(active.kind)} by `, h('strong', {}, active.actor), ' · started ', age(active.deploy_start_at, state.now), ' · ', commitLink(active.commit, ctx, 'active-commit'),
        active.from_release_candidate_version ? ` · replaces ${active.from_release_candidate_version}` : ''),
    ];
    if (waiting) {
      // Nothing runs until it is approved: the approval is the whole story, health and rollout come after.
      items.push(approvalBlock(active, state, ctx));
      return items;
    }
    if (active.rollout) items.push(...rolloutBlock(active, state.now));
    items.push(liveHealth, configLine);
    const timeline = deploymentTimeline(state.log, active.id);
    if (timeline.length > 0) {
      items.push(h('ol', { class: 'timeline', attrs: { 'aria-label': 'Rollout timeline' } },
        ...timeline.slice(-12).map((entry) => h('li', { class: `tone-${entry.tone}` },
          h('time', { class: 'clock', attrs: { datetime: entry.at, title: formatDateTime(entry.at) } }, formatDateTime(entry.at).slice(11)),
          h('span', {}, entry.text)))));
    }
    return items;
  }, { titleExtra: active && !waiting ? spinner('Deploying') : null });
}

function rolloutBlock(active: Deployment, now: number): Child[] {
  const rollout = active.rollout;
  if (!rollout) return [];
  const segments = rolloutSegments(active);
  const bar = h('div', {
    class: `rollout-bar${rollout.paused ? ' paused' : ''}`,
    attrs: {
      role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': rollout.percent,
      'aria-valuetext': `${rollout.percent}% live, step ${rollout.step + 1} of ${rollout.steps.length}${rollout.paused ? ', paused' : ''}`,
      'aria-label': 'Rollout progress',
    },
  }, ...segments.map((segment, index) => h('div', {
    class: `segment ${segment.state}`,
    style: { flexGrow: String(Math.max(segment.width, 4)) },
    attrs: { title: `Step ${index + 1}: ${segment.percent}%${segment.soakSeconds > 0 ? `, soak ${formatDuration(segment.soakSeconds)}` : ''}` },
  }, h('span', { class: 'segment-label' }, `${segment.percent}%`))));
  const soak = soakStatus(active, now);
  let soakText: Child = null;
  if (soak?.kind === 'paused') soakText = h('span', { class: 'soak paused' }, icon('debug-pause'), 'paused — the soak clock is stopped');
  else if (soak?.kind === 'applying') soakText = h('span', { class: 'soak' }, icon('sync', 'spin'), `applying ${soak.percent}%…`);
  else if (soak?.kind === 'finishing') soakText = h('span', { class: 'soak' }, 'finishing…');
  else if (soak?.kind === 'soaking') {
    const end = now + soak.remainingSeconds * 1000;
    soakText = h('span', { class: 'soak' }, icon('watch'), 'soak ',
      h('span', { class: 'countdown', attrs: { 'data-soak-end': end } }, soak.remainingSeconds > 0 ? `${formatDuration(soak.remainingSeconds)} left` : 'finishing soak…'),
      soak.nextPercent !== null ? ` · next ${soak.nextPercent}%` : '');
  }
  return [
    bar,
    h('p', { class: 'rollout-status' },
      h('strong', { class: 'percent' }, `${rollout.percent}%`), ' live · ',
      `step ${rollout.step + 1} of ${rollout.steps.length}`, soakText ? ' · ' : '', soakText),
  ];
}

function commitList(range: CommitRange, ctx: RenderContext, prefix: string, now: number): Child[] {
  if (range.state !== 'ok') {
    return [h('p', { class: range.state === 'none' ? 'empty' : 'empty unavailable' }, range.state === 'unavailable' ? icon('warning') : null, range.reason)];
  }
  if (range.commits.length === 0) return [h('p', { class: 'empty' }, 'No commits between them.')];
  const rows = range.commits.map((commit) => commitRow(commit, ctx, prefix, now));
  const more = range.total - range.commits.length;
  return [
    h('ol', { class: 'commits' }, ...rows),
    more > 0 ? h('p', { class: 'more muted' }, `and ${plural(more, 'more commit')}`) : null,
  ];
}

function commitRow(commit: CommitSummary, ctx: RenderContext, prefix: string, now: number): HTMLElement {
  const split = splitSubject(commit.subject);
  const subject: Child[] = split
    ? [split.before, link({ key: `${prefix}-pr-${commit.sha}`, ariaLabel: `Open pull request ${split.pr}`, title: `Open pull request #${split.pr}`, onActivate: () => ctx.post({ type: 'openPullRequest', number: split.pr }) }, `#${split.pr}`), split.after]
    : [commit.subject];
  return h('li', { class: 'commit' },
    commitLink(commit.sha, ctx, `${prefix}-${commit.sha}`),
    h('span', { class: 'subject', attrs: { title: commit.subject } }, ...subject),
    h('span', { class: 'author muted' }, commit.author),
    Number.isNaN(Date.parse(commit.date)) ? h('span', {}) : age(commit.date, now));
}

function buildPromote(state: StageState, ctx: RenderContext): HTMLElement {
  const view = state.view;
  const range = view?.promoteCommits ?? { state: 'none' as const, reason: '' };
  const source = view?.below?.current ?? null;
  return card('promote', 'What promote would bring', state, ctx, () => [
    source && view && range.state !== 'none' ? h('p', { class: 'range' },
      h('span', { class: 'range-end' }, `${source.environment ?? ''} ${source.candidate}`), ' ', h('code', { class: 'sha muted' }, shortSha(source.commit)),
      ' ', icon('arrow-right'), ' ',
      h('span', { class: 'range-end' }, `${view.environment.name} ${view.environment.current?.release_candidate_version ?? '(nothing live)'}`)) : null,
    ...commitList(range, ctx, 'promote', state.now),
  ], { count: range.state === 'ok' ? range.total : undefined, countLabel: range.state === 'ok' ? plural(range.total, 'commit') : '' });
}

function buildRollback(state: StageState, ctx: RenderContext): HTMLElement {
  const view = state.view;
  const range = view?.rollbackCommits ?? { state: 'none' as const, reason: '' };
  const target = view?.rollbackTarget ?? null;
  return card('rollback', 'What rollback would remove', state, ctx, () => [
    target && view && range.state !== 'none' ? h('p', { class: 'range' },
      h('span', { class: 'range-end' }, `${view.environment.current?.release_candidate_version ?? ''}`), ' ', icon('arrow-right'), ' ',
      h('span', { class: 'range-end' }, target.candidate), ' ', h('code', { class: 'sha muted' }, shortSha(target.commit))) : null,
    ...commitList(range, ctx, 'rollback', state.now),
  ], { count: range.state === 'ok' ? range.total : undefined, countLabel: range.state === 'ok' ? plural(range.total, 'commit') : '' });
}

function buildLog(state: StageState, ctx: RenderContext): HTMLElement {
  return card('log', 'Event log', state, ctx, () => {
    const entries = logEntries(state.log, state.view?.history ?? [], LOG_SHOWN, state.view?.environment.health_check?.failure_threshold);
    if (entries.length === 0) return [h('p', { class: 'empty' }, 'No events yet. Changes to this environment appear here as they happen.')];
    return [h('ol', { class: 'event-log', attrs: { role: 'log', 'aria-label': 'Events' } },
      ...entries.map((entry) => h('li', { class: `event tone-${entry.tone}${entry.type ? ` event-${entry.type.replace('.', '-')}` : ' event-history'}` },
        h('time', { class: 'clock', attrs: { datetime: entry.at, title: formatDateTime(entry.at) } }, logClock(entry.at, state.now)),
        h('span', { class: 'event-type', attrs: { title: entry.type ?? 'from the deployment history' } }, icon(entry.type ? EVENT_ICONS[entry.type] : 'history'), entry.title),
        h('span', { class: 'event-text' }, entry.text))))];
  }, { ...logCount(state), wide: true });
}

/** The log's badge counts what it lists: live events and the history rows before them. */
function logCount(state: StageState): { count?: number; countLabel?: string } {
  const shown = logEntries(state.log, state.view?.history ?? [], LOG_SHOWN).length;
  return shown > 0 ? { count: shown, countLabel: plural(shown, 'entry', 'entries') } : {};
}

function buildHistory(state: StageState, ctx: RenderContext): HTMLElement {
  const history = state.view?.history ?? [];
  return card('history', 'Recent deployments', state, ctx, () => {
    if (history.length === 0) return [h('p', { class: 'empty' }, 'No deployments yet.')];
    const head = h('thead', {}, h('tr', {}, ...['Candidate', 'Kind', 'Status', 'Actor', 'Started', 'Took', 'Commit'].map((c) => h('th', { attrs: { scope: 'col' } }, c))));
    const body = h('tbody', {}, ...history.map((d) => {
      const took = d.deploy_end_at ? (Date.parse(d.deploy_end_at) - Date.parse(d.deploy_start_at)) / 1000 : null;
      return h('tr', { class: d.id === state.view?.environment.current?.id ? 'is-current' : '' },
        h('td', {}, h('span', { class: 'candidate' }, d.release_candidate_version), d.id === state.view?.environment.current?.id ? tag('live', 'ok') : null, blockedTag(d)),
        h('td', {}, humanize(d.kind)),
        h('td', { attrs: { title: d.error_message ?? undefined } }, statusTag(d.status)),
        h('td', {}, d.actor),
        h('td', {}, age(d.deploy_start_at, state.now)),
        h('td', {}, took === null || Number.isNaN(took) ? '—' : formatDuration(took)),
        h('td', {}, commitLink(d.commit, ctx, `history-${d.id}`)));
    }));
    return [h('div', { class: 'table-wrap' }, h('table', { class: 'history', attrs: { 'aria-label': 'Recent deployments' } }, head, body))];
  }, { wide: true });
}

