// How fresh the data on screen is, and when to fetch next. One policy for the tree, the status bar and
// the stage panel (DESIGN.md: stream while visible, poll with jitter while focused, back off when hidden,
// burst after the user acts). The clock and the random source are injected so it is testable.
import { formatClock } from './format';

export interface Clock {
  now(): number;
}

export type Freshness =
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
export function describeFreshness(freshness: Freshness, now: number): string {
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
  /** A live event stream is delivering changes; polling is only a safety net then. */
  streaming: boolean;
  /** Consecutive failed fetches. */
  failures: number;
  /** When the user last acted (promote, rollback …), for a burst of quick refreshes after it. */
  lastActionAt: number | undefined;
}

export interface PollPolicy {
  baseSeconds: number;
  burstSeconds: number;
  burstWindowSeconds: number;
  hiddenFactor: number;
  streamingFactor: number;
  maxSeconds: number;
  jitter: number;
}

export const defaultPollPolicy: PollPolicy = {
  baseSeconds: 30,
  burstSeconds: 2,
  burstWindowSeconds: 30,
  hiddenFactor: 10,
  streamingFactor: 10,
  maxSeconds: 600,
  jitter: 0.2,
};

/** Milliseconds until the next fetch. */
export function nextPollDelay(ctx: PollContext, now: number, policy: PollPolicy = defaultPollPolicy, random: () => number = Math.random): number {
  let seconds: number;
  if (ctx.lastActionAt !== undefined && now - ctx.lastActionAt < policy.burstWindowSeconds * 1000) {
    seconds = policy.burstSeconds;
  } else {
    seconds = policy.baseSeconds;
    if (ctx.streaming) seconds *= policy.streamingFactor;
    if (!ctx.focused) seconds *= policy.hiddenFactor;
  }
  if (ctx.failures > 0) seconds = Math.max(seconds, Math.min(policy.maxSeconds, 2 ** Math.min(ctx.failures, 10)));
  seconds = Math.min(seconds, policy.maxSeconds);
  const spread = 1 + policy.jitter * (random() * 2 - 1);
  return Math.round(seconds * spread * 1000);
}
