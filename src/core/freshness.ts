// How fresh the data on screen is, and when to fetch next. One policy for the tree, each stage panel and
// the deployment follower (DESIGN.md: stream while visible, poll with jitter while focused, back off when
// hidden, burst after the user acts; nothing polls while the stream is live). The clock, the timers and
// the random source are injected so it is testable.
import { formatClock } from './format';

export interface Clock {
  now(): number;
}

/** How fresh the overview the tree, the status bar and the hovers read is (the stage panel reports its own: protocol's Freshness). */
export type OverviewFreshness =
  | { kind: 'never' }
  | { kind: 'fresh'; at: number; live: boolean }
  | { kind: 'offline'; lastGoodAt: number | undefined; reason: string };

/** "updated 12 s ago", "updated 3 min ago": the age of the data on screen (tree, status bar, stage panel). */
export function updatedAgo(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  return seconds < 60 ? `updated ${seconds} s ago` : `updated ${Math.round(seconds / 60)} min ago`;
}

/** "offline — showing data from 10:42" when there is data from before, else just "offline". */
export function offlineSince(lastGoodAt: number | null | undefined): string {
  return lastGoodAt === undefined || lastGoodAt === null ? 'offline' : `offline — showing data from ${formatClock(lastGoodAt)}`;
}

/** The view's message line: "Live", "Updated 12 s ago", "Offline — showing data from 10:42". */
export function describeFreshness(freshness: OverviewFreshness, now: number): string {
  switch (freshness.kind) {
    case 'never':
      return 'connecting…';
    case 'fresh':
      return freshness.live ? 'Live' : capitalized(updatedAgo(freshness.at, now));
    case 'offline':
      return capitalized(freshness.lastGoodAt === undefined ? `offline — ${freshness.reason}` : offlineSince(freshness.lastGoodAt));
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface PollContext {
  /** The window has focus. */
  focused: boolean;
  /** Someone can see the data (the tree or the panel is visible); default true. */
  visible?: boolean;
  /** A live event stream is delivering changes: then nothing polls, events drive the refreshes. */
  streaming: boolean;
  /** Consecutive failed fetches. */
  failures: number;
  /** When the user last acted (promote, rollback …), for a burst of quick refreshes after it. */
  lastActionAt: number | undefined;
  /** False for a backend whose every request counts against a per-user rate limit (GitHub): nothing polls
   * while the window is unfocused, and regaining focus refreshes at once. Default true. */
  pollsWhileUnfocused?: boolean;
  /** Epoch ms before which the backend refuses requests (a rate limit's reset, `retry-after`). */
  notBefore?: number;
}

export interface PollPolicy {
  baseSeconds: number;
  burstSeconds: number;
  burstWindowSeconds: number;
  hiddenFactor: number;
  maxSeconds: number;
  jitter: number;
}

export const defaultPollPolicy: PollPolicy = {
  baseSeconds: 30,
  burstSeconds: 2,
  burstWindowSeconds: 30,
  hiddenFactor: 10,
  maxSeconds: 600,
  jitter: 0.2,
};

/**
 * Milliseconds until the next fetch, or undefined for none: while the event stream is live (each event
 * refreshes what it touches) and while nobody can see the data (showing it again refreshes at once).
 */
export function nextPollDelay(ctx: PollContext, now: number, policy: PollPolicy = defaultPollPolicy, random: () => number = Math.random): number | undefined {
  if (ctx.streaming || ctx.visible === false) return undefined;
  if (!ctx.focused && ctx.pollsWhileUnfocused === false) return undefined;
  let seconds: number;
  if (ctx.lastActionAt !== undefined && now - ctx.lastActionAt < policy.burstWindowSeconds * 1000) {
    seconds = policy.burstSeconds;
  } else {
    seconds = policy.baseSeconds;
    if (!ctx.focused) seconds *= policy.hiddenFactor;
  }
  if (ctx.failures > 0) seconds = Math.max(seconds, Math.min(policy.maxSeconds, 2 ** Math.min(ctx.failures, 10)));
  seconds = Math.min(seconds, policy.maxSeconds);
  const spread = 1 + policy.jitter * (random() * 2 - 1);
  const delay = Math.round(seconds * spread * 1000);
  // Asking before the reset only spends a request on a refusal: wait for it (past the usual cap), with a
  // second's margin for clocks that disagree.
  return ctx.notBefore !== undefined && ctx.notBefore + 1000 > now + delay ? ctx.notBefore + 1000 - now : delay;
}

/** GitHub's API counts every request against the user's hourly limit; the others are our own servers. */
export function pollsWhileUnfocused(backendKind: string): boolean {
  return backendKind !== 'github';
}

/** Timers, injected so the schedule runs on a fake clock in tests (Node's setTimeout in the extension). */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PollScheduleOptions {
  /** Fetches; called when the timer fires. */
  poll: () => void;
  /** The view's state now (focus, visibility, stream, failures); `lastActionAt` is the schedule's own. */
  context: () => Omit<PollContext, 'lastActionAt'>;
  clock: Clock;
  timers: Timers;
  policy?: () => PollPolicy;
  random?: () => number;
}

/**
 * The one refresh policy as a timer: the tree, each stage panel and the deployment follower own one and
 * call `reschedule()` after every fetch and whenever focus, visibility or the stream's state changes.
 */
export class PollSchedule {
  private handle: unknown;
  private lastActionAt: number | undefined;

  constructor(private readonly options: PollScheduleOptions) {}

  /** The person acted: quick refreshes for a while (unless the stream is live). */
  markAction(): void {
    this.lastActionAt = this.options.clock.now();
  }

  /** Arms the timer for the next poll by the policy; none while streaming or hidden. Returns the delay. */
  reschedule(): number | undefined {
    this.cancel();
    const { clock, timers } = this.options;
    const delay = nextPollDelay({ ...this.options.context(), lastActionAt: this.lastActionAt }, clock.now(),
      this.options.policy?.() ?? defaultPollPolicy, this.options.random);
    if (delay === undefined) return undefined;
    this.handle = timers.setTimeout(() => {
      this.handle = undefined;
      this.options.poll();
    }, delay);
    return delay;
  }

  get pending(): boolean {
    return this.handle !== undefined;
  }

  cancel(): void {
    if (this.handle !== undefined) this.options.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
